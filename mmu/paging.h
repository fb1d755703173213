/* Page walks: 32-bit, PAE and 4-level paging (SDM Vol.3A chapter 4), with
 * the second dimension (EPT) as an optional hook on every guest-physical
 * access the walk makes. Pure: reads and updates paging structures through
 * physmem (accessed/dirty bits), knows nothing about the CPU struct. */
#ifndef TURTLES_MMU_PAGING_H
#define TURTLES_MMU_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/arch_bits.h"
#include "mmu/physmem.h"

enum { PG_READ = 0, PG_WRITE = 1, PG_EXEC = 2 };
/* ORed into the access a gpa_translate hook receives when the guest-physical
 * access is not part of translating a linear address (PDPTE loads by
 * paging_pdptes_load); the hook masks it with PG_KIND_MASK. */
#define PG_NOT_LINEAR 0x100u
#define PG_KIND_MASK 0x3u

/* Paging-structure entry bits common to all modes (SDM Vol.3A 4.3-4.5). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_XD (1ull << 63)

enum paging_mode { PAGING_OFF, PAGING_32BIT, PAGING_PAE, PAGING_4LEVEL };

/* One paging-structure entry the walk used, reported to paging_ctx.on_entry
 * (the monitor's `pt` explains walks with it). level: 4 PML4E, 3 PDPTE,
 * 2 PDE, 1 PTE (32-bit paging: 2 and 1). gpa: where the entry is (guest-
 * physical); hpa: where it was read (after gpa_translate). from_register:
 * a PAE PDPTE taken from the PDPTE registers, not read from memory. */
struct paging_step {
    unsigned level;
    uint64_t gpa, hpa;
    uint64_t value;
    unsigned size;
    bool from_register;
};

/* Page-fault error code bits (SDM Vol.3A 4.7). */
#define PFEC_P (1u << 0)
#define PFEC_W (1u << 1)
#define PFEC_U (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I (1u << 4)
#define PFEC_PK (1u << 5)
#define PFEC_SGX (1u << 15)

/* Translation of a guest-physical address by the second dimension (EPT when
 * a VMX guest runs with EPT on). Returns 0 and sets *hpa, or non-zero for a
 * fault that the hook has recorded for its owner (EPT violation or
 * misconfiguration); the walk then stops with PAGING_NESTED_FAULT.
 * access: PG_READ/WRITE/EXEC, possibly ORed with PG_NOT_LINEAR. is_walk:
 * a paging-structure access (entry read: PG_READ; accessed/dirty update:
 * PG_WRITE) rather than the access to the final address. lin: the linear
 * address being translated (meaningless with PG_NOT_LINEAR). mmu/ept.h has
 * a ready-made EPT hook, ept_gpa_translate(). */
typedef int (*gpa_translate_fn)(void *opaque, uint64_t gpa, unsigned access, bool is_walk,
                                uint64_t lin, uint64_t *hpa);

struct paging_ctx {
    uint64_t cr0, cr3, cr4, efer;
    /* Physical-address width (MAXPHYADDR) of the CPU model: bits at and
     * above it in paging-structure entries are reserved (SDM Vol.3A 4.1.4). */
    unsigned phys_bits;
    bool user;            /* CPL 3 data/code access (not an implicit supervisor access) */
    bool implicit_super;  /* descriptor-table/TSS access: supervisor even at CPL 3 */
    bool ac;              /* EFLAGS.AC, for SMAP (SDM Vol.3A 4.6.1) */
    gpa_translate_fn gpa_translate; /* NULL: guest-physical == host-physical */
    void *gpa_opaque;
    bool a20_masked;      /* A20 gate closed: clear bit 20 of physical addresses */
    /* PAE paging: the four PDPTE registers as loaded by MOV CR0/CR3/CR4,
     * task switch or VM entry/exit (struct cpu pdpte[]), or NULL to read the
     * PDPTEs from memory at walk time (cpu/mem.c passes NULL only before the
     * first load, e.g. state set up directly by a loader or a test). */
    const uint64_t *pdptes;
    /* Inspection (monitor, debugger): probe walks write no accessed/dirty
     * flag, so looking at a translation changes nothing in the guest. */
    bool probe;
    /* Called with each entry the walk reads, in walk order; NULL for none. */
    void (*on_entry)(void *opaque, const struct paging_step *step);
    void *on_entry_opaque;
};

enum paging_status { PAGING_OK = 0, PAGING_PAGE_FAULT = 1, PAGING_NESTED_FAULT = 2 };

struct paging_result {
    uint64_t paddr;       /* translated physical address (host-physical if gpa_translate) */
    uint64_t page_size;   /* 4K, 2M, 4M or 1G of the guest mapping */
    /* Effective permissions combined over all levels, for filling TLB tags
     * for the other access kinds: */
    bool writable;        /* R/W=1 at every level */
    bool user;            /* U/S=1 at every level */
    bool nx;              /* XD=1 at some level (and EFER.NXE) */
    bool global;
    bool dirty;           /* D bit of the final entry is set (after this walk) */
    uint32_t pf_error;    /* error code when PAGING_PAGE_FAULT */
    /* PAGING_NESTED_FAULT: the guest-physical access the hook refused, and
     * whether it was a paging-structure access (entry read or A/D update)
     * rather than the access to the final translated address. */
    uint64_t nested_fault_gpa;
    bool nested_fault_in_walk;
};

/* Walk the paging structures for `lin` and `access` (PG_READ/WRITE/EXEC),
 * check permissions, set accessed/dirty bits. With paging off (CR0.PG=0)
 * the address passes through (still via gpa_translate). */
enum paging_status paging_walk(struct physmem *pm, const struct paging_ctx *ctx, uint64_t lin,
                               unsigned access, struct paging_result *out);

enum paging_mode paging_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer);

/* A PAE-paging PDPTE may be loaded into the PDPTE registers: not present, or
 * present with no reserved bit set (SDM Vol.3A 4.4.1). MOV to CR0/CR3/CR4
 * raises #GP(0) when this is false for any of the four. */
bool paging_pdpte_valid(uint64_t pdpte, unsigned phys_bits);

/* Read the four PDPTEs that CR3 (ctx->cr3, bits 31:5) points to, through
 * the gpa_translate hook. Returns PAGING_OK with pdpte[0..3] filled and all
 * valid; PAGING_PAGE_FAULT when one is invalid (the caller raises #GP(0);
 * pdpte[] still holds the values read); PAGING_NESTED_FAULT when the hook
 * refused a read (nested_fault_* in *out say which). */
enum paging_status paging_pdptes_load(struct physmem *pm, const struct paging_ctx *ctx,
                                      uint64_t pdpte[4], struct paging_result *out);

#endif

/* Page walks: 32-bit, PAE and 4-level paging (SDM Vol.3A chapter 4), with
 * the second dimension (EPT) as an optional hook on every guest-physical
 * access the walk makes. Pure: reads and updates paging structures through
 * physmem (accessed/dirty bits), knows nothing about the CPU struct. */
#ifndef TURTLES_MMU_PAGING_H
#define TURTLES_MMU_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/physmem.h"

enum { PG_READ = 0, PG_WRITE = 1, PG_EXEC = 2 };

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
 * misconfiguration); the walk then stops with PAGING_NESTED_FAULT. */
typedef int (*gpa_translate_fn)(void *opaque, uint64_t gpa, unsigned access, bool is_walk,
                                uint64_t lin, uint64_t *hpa);

struct paging_ctx {
    uint64_t cr0, cr3, cr4, efer;
    bool user;            /* CPL 3 data/code access (not an implicit supervisor access) */
    bool implicit_super;  /* descriptor-table/TSS access: supervisor even at CPL 3 */
    bool ac;              /* EFLAGS.AC, for SMAP (SDM Vol.3A 4.6.1) */
    gpa_translate_fn gpa_translate; /* NULL: guest-physical == host-physical */
    void *gpa_opaque;
    bool a20_masked;      /* A20 gate closed: clear bit 20 of physical addresses */
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
};

/* Walk the paging structures for `lin` and `access` (PG_READ/WRITE/EXEC),
 * check permissions, set accessed/dirty bits. With paging off (CR0.PG=0)
 * the address passes through (still via gpa_translate). */
enum paging_status paging_walk(struct physmem *pm, const struct paging_ctx *ctx, uint64_t lin,
                               unsigned access, struct paging_result *out);

#endif

/* The EPT walk: guest-physical to host-physical translation for VMX
 * non-root operation (SDM Vol.3C "The Extended Page Table Mechanism",
 * 29.3 in the 2023+ editions). 4-level EPT with 4 KiB, 2 MiB and 1 GiB
 * pages, R/W/X permissions, optional execute-only, EPT accessed/dirty flags
 * (EPTP bit 6), misconfiguration detection, and the EPT-violation exit
 * qualification. Pure: no CPU state; VMX code builds the VM exit from the
 * result. Mode-based execute control, sub-page permissions, #VE and 5-level
 * EPT are not emulated (the capability MSRs must not claim them). */
#ifndef TURTLES_MMU_EPT_H
#define TURTLES_MMU_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/paging.h"
#include "mmu/physmem.h"

/* EPT paging-structure entry bits. */
#define EPTE_R (1ull << 0)
#define EPTE_W (1ull << 1)
#define EPTE_X (1ull << 2)
#define EPTE_MEMTYPE_SHIFT 3
#define EPTE_IGNORE_PAT (1ull << 6)
#define EPTE_LARGE (1ull << 7)
#define EPTE_A (1ull << 8)
#define EPTE_D (1ull << 9)

/* EPTP fields (SDM Vol.3C "Extended-Page-Table Pointer"). */
#define EPTP_MEMTYPE_MASK 0x7ull
#define EPTP_WALK_LENGTH_SHIFT 3
#define EPTP_AD (1ull << 6)

/* Memory types (SDM Vol.3A 12.3). */
enum { EPT_MT_UC = 0, EPT_MT_WC = 1, EPT_MT_WT = 4, EPT_MT_WP = 5, EPT_MT_WB = 6 };

/* EPT-violation exit qualification, bits 0-8 (SDM Vol.3C table "Exit
 * Qualification for EPT Violations"). Bits 9-11 need the "advanced VM-exit
 * information for EPT violations" capability, which is not emulated: 0. */
#define EPT_QUAL_READ (1ull << 0)
#define EPT_QUAL_WRITE (1ull << 1)
#define EPT_QUAL_FETCH (1ull << 2)
#define EPT_QUAL_READABLE (1ull << 3)
#define EPT_QUAL_WRITABLE (1ull << 4)
#define EPT_QUAL_EXECUTABLE (1ull << 5)
#define EPT_QUAL_LIN_VALID (1ull << 7)
#define EPT_QUAL_LIN_TRANSLATION (1ull << 8) /* else a guest paging-structure access */

struct ept_ctx {
    uint64_t eptp;
    unsigned phys_bits; /* MAXPHYADDR: EPTE bits 51:phys_bits are reserved */
    bool exec_only;  /* IA32_VMX_EPT_VPID_CAP bit 0: execute-only entries allowed */
    bool pages_1g;   /* IA32_VMX_EPT_VPID_CAP bit 17: 1-GiB pages */
    /* Called once the access is known to be allowed and right before the
     * walk sets the dirty flag of a leaf entry whose flag is clear (page-
     * modification logging); NULL for none. It may unwind (a "PML full"
     * VM exit): no flag has been written yet at that point. */
    void (*before_dirty)(void *opaque, uint64_t gpa);
    void *before_dirty_opaque;
    /* Inspection (monitor, debugger): a probe walk writes no accessed/dirty
     * flag and calls no before_dirty. */
    bool probe;
    /* Called with each entry the walk reads (level 4 PML4E .. 1 PTE, its
     * host-physical address and value); NULL for none. */
    void (*on_entry)(void *opaque, unsigned level, uint64_t hpa, uint64_t value);
    void *on_entry_opaque;
};

enum ept_status { EPT_OK = 0, EPT_VIOLATION = 1, EPT_MISCONFIG = 2 };

/* What kind of guest-physical access is translated. */
struct ept_access {
    unsigned kind;      /* PG_READ, PG_WRITE or PG_EXEC */
    bool guest_paging;  /* access to a guest paging-structure entry */
    bool lin_valid;     /* part of translating a guest linear address */
};

struct ept_result {
    uint64_t hpa;
    uint64_t page_size;            /* 4K, 2M or 1G */
    unsigned perms;                /* EPTE_R|W|X present at every level */
    unsigned memtype;              /* leaf entry bits 5:3 */
    bool ignore_pat;
    uint64_t exit_qualification;   /* EPT_VIOLATION: bits 0-8 as above */
};

/* Translate gpa for the access; sets the EPT accessed/dirty flags when the
 * EPTP enables them and the access succeeds. */
enum ept_status ept_walk(struct physmem *pm, const struct ept_ctx *ctx, uint64_t gpa,
                         const struct ept_access *acc, struct ept_result *out);

/* The VM-entry check of an EPTP (SDM Vol.3C 27.2.1.1 in the 2023+ editions;
 * "Checks on VMX Controls"): UC or WB paging-structure memory type, 4-level
 * walk, accessed/dirty enable only when supported, bits 11:7 and the bits
 * above MAXPHYADDR clear. */
bool ept_eptp_valid(uint64_t eptp, bool ad_supported, unsigned phys_bits);

/* A gpa_translate_fn (mmu/paging.h) that walks EPT: put a struct ept_hook
 * in paging_ctx.gpa_opaque. On a refusal it records what the VM exit needs
 * and returns non-zero. */
struct ept_hook {
    struct physmem *pm;
    struct ept_ctx ctx;
    /* Valid after a refusal: */
    enum ept_status status;
    struct ept_result fault;      /* exit_qualification for EPT_VIOLATION */
    uint64_t fault_gpa;
    uint64_t fault_lin;           /* meaningful when EPT_QUAL_LIN_VALID */
};

int ept_gpa_translate(void *opaque, uint64_t gpa, unsigned access, bool is_walk, uint64_t lin,
                      uint64_t *hpa);

#endif

/* The x86 page walker: 32-bit, PAE and 4-level paging (SDM Vol.3A chapter 4).
 *
 * A walk has three phases so that a faulting access changes nothing in
 * memory: (1) read the entries level by level, checking presence and
 * reserved bits; (2) check the access rights of the whole translation
 * (SDM 4.6); (3) set the accessed flags and, for a write, the dirty flag
 * (SDM 4.8), then translate the final address. Every guest-physical access
 * goes through ctx->gpa_translate when set (the EPT dimension). */
#include "mmu/paging.h"

/* bits: the physical-address width (MAXPHYADDR) of the CPU model, from
 * struct paging_ctx. */
#define PHYS_ADDR_MASK(bits) ((1ull << (bits)) - 1)
#define FRAME_MASK(bits) (PHYS_ADDR_MASK(bits) & ~0xfffull)

/* SDM Vol.3A tables 4-14 to 4-19 (4-level) and 4-8 to 4-11 (PAE): bits from
 * MAXPHYADDR up to 51 (4-level) or 62 (PAE) must be zero. */
#define RSVD_4LEVEL_HIGH(bits) (((1ull << 52) - 1) & ~PHYS_ADDR_MASK(bits))
#define RSVD_PAE_HIGH(bits) (((1ull << 63) - 1) & ~PHYS_ADDR_MASK(bits))
/* Large-page address fields must be page aligned: bits 20:13 of a 2 MiB
 * PDE and bits 29:13 of a 1 GiB PDPTE (bit 12 is PAT). */
#define RSVD_2M_ALIGN (((1ull << 21) - 1) & ~((1ull << 13) - 1))
#define RSVD_1G_ALIGN (((1ull << 30) - 1) & ~((1ull << 13) - 1))
/* 32-bit paging 4 MiB PDE with PSE-36 (SDM 4.3, table 4-4): bits 20:13 hold
 * physical-address bits 39:32; those at or above MAXPHYADDR, and bit 21,
 * are reserved (none of 20:13 when MAXPHYADDR is 41 or more). */
#define RSVD_4M_PSE36(bits) \
    (((1ull << 22) - 1) & ~((1ull << ((bits) < 41 ? (bits) - 19 : 22)) - 1))
/* PAE PDPTE (SDM 4.4.1, table 4-8): bits 2:1 and 8:5 reserved, and no XD. */
#define RSVD_PDPTE_PAE(bits) (0x1e6ull | RSVD_PAE_HIGH(bits) | PTE_XD)

#define MAX_LEVELS 4

/* One paging-structure entry used by the walk, remembered for the A/D
 * update phase. */
struct walk_entry {
    uint64_t gpa;
    uint64_t value;
    unsigned size; /* 4 (32-bit paging) or 8 bytes */
};

struct walk {
    struct physmem *pm;
    const struct paging_ctx *ctx;
    uint64_t lin;
    struct walk_entry entries[MAX_LEVELS];
    unsigned nentries;
    struct paging_result *out;
};

enum paging_mode paging_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    /* SDM Vol.3A 4.1.1, table 4-1. With CR0.PG=1, EFER.LMA equals EFER.LME. */
    if (!(cr0 & CR0_PG))
        return PAGING_OFF;
    if (!(cr4 & CR4_PAE))
        return PAGING_32BIT;
    return (efer & EFER_LMA) ? PAGING_4LEVEL : PAGING_PAE;
}

static uint64_t a20(const struct paging_ctx *ctx, uint64_t gpa)
{
    return ctx->a20_masked ? gpa & ~(1ull << 20) : gpa;
}

/* Guest-physical to host-physical through the second dimension. */
static bool gpa_to_hpa(struct walk *w, uint64_t gpa, unsigned access, bool is_walk,
                       uint64_t *hpa)
{
    const struct paging_ctx *ctx = w->ctx;
    if (!ctx->gpa_translate) {
        *hpa = gpa;
        return true;
    }
    if (ctx->gpa_translate(ctx->gpa_opaque, gpa, access, is_walk, w->lin, hpa) == 0)
        return true;
    w->out->nested_fault_gpa = gpa;
    w->out->nested_fault_in_walk = is_walk;
    return false;
}

static void report_entry(struct walk *w, unsigned level, uint64_t gpa, uint64_t hpa,
                         uint64_t value, unsigned size, bool from_register)
{
    if (!w->ctx->on_entry)
        return;
    struct paging_step step = { .level = level, .gpa = gpa, .hpa = hpa, .value = value,
                                .size = size, .from_register = from_register };
    w->ctx->on_entry(w->ctx->on_entry_opaque, &step);
}

static bool read_entry(struct walk *w, unsigned level, uint64_t gpa, unsigned size,
                       uint64_t *value)
{
    uint64_t hpa;
    gpa = a20(w->ctx, gpa);
    if (!gpa_to_hpa(w, gpa, PG_READ, true, &hpa))
        return false;
    *value = physmem_read(w->pm, hpa, size);
    report_entry(w, level, gpa, hpa, *value, size, false);
    if (w->nentries < MAX_LEVELS) {
        struct walk_entry *e = &w->entries[w->nentries++];
        e->gpa = gpa;
        e->value = *value;
        e->size = size;
    }
    return true;
}

static enum paging_status page_fault(struct walk *w, uint32_t pfec, unsigned access)
{
    const struct paging_ctx *ctx = w->ctx;
    if (access == PG_WRITE)
        pfec |= PFEC_W;
    if (ctx->user)
        pfec |= PFEC_U;
    /* SDM Vol.3A 4.7: I/D reports fetches only where execute-disable or
     * SMEP can make a fetch fault. */
    bool nx_on = (ctx->cr4 & CR4_PAE) && (ctx->efer & EFER_NXE);
    bool smep = (ctx->cr4 & CR4_SMEP) != 0;
    if (access == PG_EXEC && (nx_on || smep))
        pfec |= PFEC_I;
    w->out->pf_error = pfec;
    return PAGING_PAGE_FAULT;
}

/* Access rights of the combined translation (SDM Vol.3A 4.6). */
static bool access_allowed(const struct paging_ctx *ctx, const struct paging_result *r,
                           unsigned access)
{
    bool wp = (ctx->cr0 & CR0_WP) != 0;
    bool smep = (ctx->cr4 & CR4_SMEP) != 0;
    bool smap = (ctx->cr4 & CR4_SMAP) != 0;
    if (ctx->user) {
        if (!r->user)
            return false;
        if (access == PG_WRITE)
            return r->writable;
        if (access == PG_EXEC)
            return !r->nx;
        return true;
    }
    if (access == PG_EXEC)
        return !r->nx && !(smep && r->user);
    /* SDM 4.6.1: SMAP blocks supervisor data accesses to user-mode pages
     * unless the access is explicit with EFLAGS.AC=1; implicit supervisor
     * accesses ignore AC. */
    if (smap && r->user && (ctx->implicit_super || !ctx->ac))
        return false;
    if (access == PG_WRITE && !r->writable && wp)
        return false;
    return true;
}

/* Set A in every entry used, and D in the final one for writes (SDM Vol.3A
 * 4.8). Entries already flagged are not written, so an EPT write-protected
 * paging structure whose flags are set causes no nested fault. */
static bool update_accessed_dirty(struct walk *w, unsigned access)
{
    if (w->ctx->probe)
        return true;
    for (unsigned i = 0; i < w->nentries; i++) {
        struct walk_entry *e = &w->entries[i];
        uint64_t set = PTE_A;
        if (i == w->nentries - 1 && access == PG_WRITE)
            set |= PTE_D;
        if ((e->value & set) == set)
            continue;
        uint64_t hpa;
        if (!gpa_to_hpa(w, e->gpa, PG_WRITE, true, &hpa))
            return false;
        /* Re-read: with recursive mappings an earlier update may have
         * written the same entry. */
        e->value = physmem_read(w->pm, hpa, e->size) | set;
        physmem_write(w->pm, hpa, e->value, e->size);
    }
    return true;
}

/* Phases 2 and 3, shared by the three paging modes; `paddr` is the
 * guest-physical address the walk produced and the last remembered entry is
 * the one that mapped the page. */
static enum paging_status finish_walk(struct walk *w, uint64_t paddr, unsigned access)
{
    struct paging_result *r = w->out;
    if (!access_allowed(w->ctx, r, access))
        return page_fault(w, PFEC_P, access);
    if (!update_accessed_dirty(w, access))
        return PAGING_NESTED_FAULT;
    const struct walk_entry *leaf = &w->entries[w->nentries - 1];
    r->dirty = (leaf->value & PTE_D) != 0;
    r->global = (leaf->value & PTE_G) && (w->ctx->cr4 & CR4_PGE);
    uint64_t hpa;
    paddr = a20(w->ctx, paddr);
    if (!gpa_to_hpa(w, paddr, access, false, &hpa))
        return PAGING_NESTED_FAULT;
    r->paddr = hpa;
    return PAGING_OK;
}

/* Fold one non-leaf or leaf entry's rights into the result. */
static void combine_rights(struct paging_result *r, uint64_t entry, bool nx_enabled)
{
    r->writable = r->writable && (entry & PTE_RW);
    r->user = r->user && (entry & PTE_US);
    if (nx_enabled && (entry & PTE_XD))
        r->nx = true;
}

/* SDM Vol.3A 4.3: 32-bit paging, 4 KiB pages and (CR4.PSE) 4 MiB pages. */
static enum paging_status walk_32bit(struct walk *w, unsigned access)
{
    const struct paging_ctx *ctx = w->ctx;
    struct paging_result *r = w->out;
    uint32_t lin = (uint32_t)w->lin;
    uint64_t pde, pte;
    if (!read_entry(w, 2, (ctx->cr3 & 0xfffff000u) + ((lin >> 22) << 2), 4, &pde))
        return PAGING_NESTED_FAULT;
    if (!(pde & PTE_P))
        return page_fault(w, 0, access);
    combine_rights(r, pde, false);
    if ((pde & PTE_PS) && (ctx->cr4 & CR4_PSE)) {
        if (pde & RSVD_4M_PSE36(ctx->phys_bits))
            return page_fault(w, PFEC_P | PFEC_RSVD, access);
        uint64_t base = (pde & 0xffc00000u) | (((pde >> 13) & 0xff) << 32);
        r->page_size = 4ull << 20;
        return finish_walk(w, base | (lin & 0x3fffffu), access);
    }
    if (!read_entry(w, 1, (pde & 0xfffff000u) + (((lin >> 12) & 0x3ff) << 2), 4, &pte))
        return PAGING_NESTED_FAULT;
    if (!(pte & PTE_P))
        return page_fault(w, 0, access);
    combine_rights(r, pte, false);
    r->page_size = 4096;
    return finish_walk(w, (pte & 0xfffff000u) | (lin & 0xfffu), access);
}

/* Reserved bits of a PDE or PTE below the top level, per mode (SDM Vol.3A
 * tables 4-9 to 4-11 and 4-17 to 4-19). */
static uint64_t rsvd_lower(enum paging_mode mode, bool nxe, unsigned bits)
{
    uint64_t m = mode == PAGING_PAE ? RSVD_PAE_HIGH(bits) : RSVD_4LEVEL_HIGH(bits);
    if (!nxe)
        m |= PTE_XD;
    return m;
}

/* The PDE and PTE levels, shared by PAE and 4-level paging. `table` is the
 * guest-physical address of the page directory. */
static enum paging_status walk_pd(struct walk *w, enum paging_mode mode, uint64_t table,
                                  unsigned access)
{
    const struct paging_ctx *ctx = w->ctx;
    struct paging_result *r = w->out;
    bool nxe = (ctx->efer & EFER_NXE) != 0;
    uint64_t rsvd = rsvd_lower(mode, nxe, ctx->phys_bits);
    const uint64_t frame = FRAME_MASK(ctx->phys_bits);
    uint64_t pde, pte;
    if (!read_entry(w, 2, table + (((w->lin >> 21) & 0x1ff) << 3), 8, &pde))
        return PAGING_NESTED_FAULT;
    if (!(pde & PTE_P))
        return page_fault(w, 0, access);
    if ((pde & rsvd) || ((pde & PTE_PS) && (pde & RSVD_2M_ALIGN)))
        return page_fault(w, PFEC_P | PFEC_RSVD, access);
    combine_rights(r, pde, nxe);
    if (pde & PTE_PS) {
        r->page_size = 2ull << 20;
        return finish_walk(w, (pde & frame & ~0x1fffffull) | (w->lin & 0x1fffff), access);
    }
    if (!read_entry(w, 1, (pde & frame) + (((w->lin >> 12) & 0x1ff) << 3), 8, &pte))
        return PAGING_NESTED_FAULT;
    if (!(pte & PTE_P))
        return page_fault(w, 0, access);
    if (pte & rsvd)
        return page_fault(w, PFEC_P | PFEC_RSVD, access);
    combine_rights(r, pte, nxe);
    r->page_size = 4096;
    return finish_walk(w, (pte & frame) | (w->lin & 0xfff), access);
}

bool paging_pdpte_valid(uint64_t pdpte, unsigned phys_bits)
{
    return !(pdpte & PTE_P) || !(pdpte & RSVD_PDPTE_PAE(phys_bits));
}

static bool read_pdpte(struct walk *w, unsigned index, bool linear, uint64_t *value)
{
    /* PDPTEs carry no accessed flag: the read is not remembered for the
     * A/D phase. SDM Vol.3A 4.4.1: CR3 bits 31:5 locate the PDPT. */
    uint64_t hpa, gpa = a20(w->ctx, (w->ctx->cr3 & 0xffffffe0u) + index * 8);
    if (!gpa_to_hpa(w, gpa, linear ? PG_READ : PG_READ | PG_NOT_LINEAR, true, &hpa))
        return false;
    *value = physmem_read(w->pm, hpa, 8);
    if (linear)
        report_entry(w, 3, gpa, hpa, *value, 8, false);
    return true;
}

enum paging_status paging_pdptes_load(struct physmem *pm, const struct paging_ctx *ctx,
                                      uint64_t pdpte[4], struct paging_result *out)
{
    struct walk w = { .pm = pm, .ctx = ctx, .lin = 0, .out = out };
    bool valid = true;
    for (unsigned i = 0; i < 4; i++) {
        if (!read_pdpte(&w, i, false, &pdpte[i]))
            return PAGING_NESTED_FAULT;
        valid = valid && paging_pdpte_valid(pdpte[i], ctx->phys_bits);
    }
    return valid ? PAGING_OK : PAGING_PAGE_FAULT;
}

/* SDM Vol.3A 4.4: PAE paging. */
static enum paging_status walk_pae(struct walk *w, unsigned access)
{
    unsigned index = (unsigned)(w->lin >> 30) & 3;
    uint64_t pdpte;
    if (w->ctx->pdptes) {
        pdpte = w->ctx->pdptes[index];
        report_entry(w, 3, a20(w->ctx, (w->ctx->cr3 & 0xffffffe0u) + index * 8), 0, pdpte, 8,
                     true);
    } else if (!read_pdpte(w, index, true, &pdpte))
        return PAGING_NESTED_FAULT;
    if (!(pdpte & PTE_P))
        return page_fault(w, 0, access);
    /* Registers loaded by MOV CR were validated then (#GP); a PDPTE read at
     * walk time can only report its reserved bits as a page fault. */
    if (pdpte & RSVD_PDPTE_PAE(w->ctx->phys_bits))
        return page_fault(w, PFEC_P | PFEC_RSVD, access);
    /* PAE PDPTEs have no R/W, U/S or XD: rights come from the PDE and PTE. */
    return walk_pd(w, PAGING_PAE, pdpte & FRAME_MASK(w->ctx->phys_bits), access);
}

/* SDM Vol.3A 4.5: 4-level paging, 4 KiB, 2 MiB and 1 GiB pages. */
static enum paging_status walk_4level(struct walk *w, unsigned access)
{
    const struct paging_ctx *ctx = w->ctx;
    struct paging_result *r = w->out;
    bool nxe = (ctx->efer & EFER_NXE) != 0;
    uint64_t rsvd = rsvd_lower(PAGING_4LEVEL, nxe, ctx->phys_bits);
    const uint64_t frame = FRAME_MASK(ctx->phys_bits);
    uint64_t pml4e, pdpte;
    if (!read_entry(w, 4, (ctx->cr3 & frame) + (((w->lin >> 39) & 0x1ff) << 3), 8, &pml4e))
        return PAGING_NESTED_FAULT;
    if (!(pml4e & PTE_P))
        return page_fault(w, 0, access);
    if (pml4e & (rsvd | PTE_PS))
        return page_fault(w, PFEC_P | PFEC_RSVD, access);
    combine_rights(r, pml4e, nxe);
    if (!read_entry(w, 3, (pml4e & frame) + (((w->lin >> 30) & 0x1ff) << 3), 8, &pdpte))
        return PAGING_NESTED_FAULT;
    if (!(pdpte & PTE_P))
        return page_fault(w, 0, access);
    if ((pdpte & rsvd) || ((pdpte & PTE_PS) && (pdpte & RSVD_1G_ALIGN)))
        return page_fault(w, PFEC_P | PFEC_RSVD, access);
    combine_rights(r, pdpte, nxe);
    if (pdpte & PTE_PS) {
        r->page_size = 1ull << 30;
        return finish_walk(w, (pdpte & frame & ~0x3fffffffull) | (w->lin & 0x3fffffff),
                           access);
    }
    return walk_pd(w, PAGING_4LEVEL, pdpte & frame, access);
}

enum paging_status paging_walk(struct physmem *pm, const struct paging_ctx *ctx, uint64_t lin,
                               unsigned access, struct paging_result *out)
{
    struct walk w = { .pm = pm, .ctx = ctx, .lin = lin, .out = out };
    out->paddr = 0;
    out->page_size = 4096;
    out->writable = out->user = true;
    out->nx = out->global = out->dirty = false;
    out->pf_error = 0;
    out->nested_fault_gpa = 0;
    out->nested_fault_in_walk = false;
    enum paging_mode mode = paging_mode_of(ctx->cr0, ctx->cr4, ctx->efer);
    switch (mode) {
    case PAGING_OFF: {
        /* Without paging every access is allowed and the linear address is
         * the physical one (32 bits outside long mode). */
        uint64_t hpa, gpa = a20(ctx, lin & 0xffffffffull);
        out->dirty = true;
        if (!gpa_to_hpa(&w, gpa, access, false, &hpa))
            return PAGING_NESTED_FAULT;
        out->paddr = hpa;
        return PAGING_OK;
    }
    case PAGING_32BIT:
        w.lin = lin & 0xffffffffull;
        return walk_32bit(&w, access);
    case PAGING_PAE:
        w.lin = lin & 0xffffffffull;
        return walk_pae(&w, access);
    case PAGING_4LEVEL:
        break;
    }
    return walk_4level(&w, access);
}

/* The software TLB's invalidation policy (see tlb.h). */
#include "mmu/tlb.h"

static void invalidate(struct tlb_entry *e)
{
    e->tag_read = e->tag_write = e->tag_exec = TLB_TAG_INVALID;
    e->addend = 0;
    e->global = false;
    e->large = false;
}

static void reset_large_range(struct tlb *t)
{
    t->large_lo = UINT64_MAX;
    t->large_hi = 0;
}

void tlb_flush_all(struct tlb *t)
{
    if (t->listing) {
        for (unsigned k = 0; k < t->nused; k++) {
            struct tlb_entry *e = &t->e[t->used[k] >> TLB_BITS][t->used[k] & (TLB_ENTRIES - 1)];
            invalidate(e);
            e->listed = false;
        }
    } else {
        for (int u = 0; u < 2; u++)
            for (unsigned i = 0; i < TLB_ENTRIES; i++) {
                invalidate(&t->e[u][i]);
                t->e[u][i].listed = false;
            }
        t->listing = true;
    }
    t->nused = 0;
    reset_large_range(t);
}

void tlb_flush_nonglobal(struct tlb *t)
{
    bool large_left = false;
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++) {
            struct tlb_entry *e = &t->e[u][i];
            if (!e->global)
                invalidate(e);
            else if (e->large)
                large_left = true;
        }
    if (!large_left)
        reset_large_range(t);
}

static bool entry_maps(const struct tlb_entry *e, uint64_t page)
{
    return e->tag_read == page || e->tag_write == page || e->tag_exec == page;
}

void tlb_flush_page(struct tlb *t, uint64_t lin)
{
    uint64_t page = lin & ~0xfffull;
    for (int u = 0; u < 2; u++) {
        struct tlb_entry *e = &t->e[u][tlb_index(lin)];
        if (entry_maps(e, page))
            invalidate(e);
    }
    /* Large pages are cached as 4 KiB slots, and which slots belong to the
     * page that maps lin is not recorded: drop every large-page slot. That
     * invalidates more than INVLPG must, which is always allowed. */
    if (t->large_lo <= t->large_hi && page >= t->large_lo && page <= t->large_hi) {
        for (int u = 0; u < 2; u++)
            for (unsigned i = 0; i < TLB_ENTRIES; i++)
                if (t->e[u][i].large)
                    invalidate(&t->e[u][i]);
        reset_large_range(t);
    }
}

void tlb_drop_write_paddr(struct tlb *t, uint64_t paddr_page)
{
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            if (t->e[u][i].paddr_page == paddr_page)
                t->e[u][i].tag_write = TLB_TAG_INVALID;
}

void tlb_note_large_page(struct tlb *t, struct tlb_entry *e, uint64_t lin, uint64_t page_size)
{
    if (page_size <= 4096) {
        e->large = false;
        return;
    }
    uint64_t base = lin & ~(page_size - 1);
    uint64_t last = base + (page_size - 4096);
    e->large = true;
    if (base < t->large_lo)
        t->large_lo = base;
    if (last > t->large_hi)
        t->large_hi = last;
}

#define CR3_NOFLUSH (1ull << 63)
#define CR3_PCID_MASK 0xfffull

void tlb_mov_cr3(struct tlb *t, uint64_t old_cr3, uint64_t operand, bool pcide)
{
    /* SDM Vol.3A 4.10.4.1: without PCIDs (or without bit 63) MOV CR3 drops
     * all non-global entries. With bit 63 the new PCID's entries survive;
     * this TLB holds only the current PCID's entries, so they may be kept
     * only when the PCID does not change. */
    if (pcide && (operand & CR3_NOFLUSH) &&
        (old_cr3 & CR3_PCID_MASK) == (operand & CR3_PCID_MASK))
        return;
    tlb_flush_nonglobal(t);
}

void tlb_paging_regs_changed(struct tlb *t, uint64_t old_cr0, uint64_t new_cr0,
                             uint64_t old_cr4, uint64_t new_cr4, uint64_t old_efer,
                             uint64_t new_efer)
{
    if (((old_cr0 ^ new_cr0) & TLB_FLUSH_CR0_BITS) || ((old_cr4 ^ new_cr4) & TLB_FLUSH_CR4_BITS) ||
        ((old_efer ^ new_efer) & TLB_FLUSH_EFER_BITS))
        tlb_flush_all(t);
}

void tlb_invpcid(struct tlb *t, unsigned type, uint64_t pcid, uint64_t lin,
                 uint64_t current_pcid)
{
    switch (type) {
    case INVPCID_ADDRESS:
        /* Other PCIDs have no entries here; global ones may go too. */
        tlb_flush_page(t, lin);
        break;
    case INVPCID_SINGLE:
        if (pcid == current_pcid)
            tlb_flush_nonglobal(t);
        break;
    case INVPCID_ALL_GLOBAL:
        tlb_flush_all(t);
        break;
    default:
        tlb_flush_nonglobal(t);
        break;
    }
}

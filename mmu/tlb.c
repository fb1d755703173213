#include "mmu/tlb.h"

static void invalidate(struct tlb_entry *e)
{
    e->tag_read = e->tag_write = e->tag_exec = TLB_TAG_INVALID;
    e->addend = 0;
    e->global = false;
}

void tlb_flush_all(struct tlb *t)
{
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            invalidate(&t->e[u][i]);
}

void tlb_flush_nonglobal(struct tlb *t)
{
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            if (!t->e[u][i].global)
                invalidate(&t->e[u][i]);
}

void tlb_flush_page(struct tlb *t, uint64_t lin)
{
    /* A large page may be cached under any of its 4 KiB slots, so INVLPG of
     * an address inside a large page would need a scan; entries are filled
     * per 4 KiB page, so dropping the slot is exact. */
    uint64_t page = lin & ~0xfffull;
    for (int u = 0; u < 2; u++) {
        struct tlb_entry *e = &t->e[u][tlb_index(lin)];
        if (e->tag_read == page || e->tag_write == page || e->tag_exec == page)
            invalidate(e);
    }
}

void tlb_drop_write_paddr(struct tlb *t, uint64_t paddr_page)
{
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            if (t->e[u][i].paddr_page == paddr_page)
                t->e[u][i].tag_write = TLB_TAG_INVALID;
}

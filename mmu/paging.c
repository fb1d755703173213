/* TEMPORARY bring-up version: paging off only. To be replaced by the full
 * walker (32-bit, PAE, 4-level). */
#include "mmu/paging.h"

enum paging_status paging_walk(struct physmem *pm, const struct paging_ctx *ctx, uint64_t lin,
                               unsigned access, struct paging_result *out)
{
    (void)pm;
    (void)access;
    out->paddr = lin & 0xffffffffull;
    if (ctx->a20_masked)
        out->paddr &= ~(1ull << 20);
    out->page_size = 4096;
    out->writable = out->user = out->dirty = true;
    out->nx = out->global = false;
    out->pf_error = 0;
    return PAGING_OK;
}

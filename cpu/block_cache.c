#include "cpu/block_cache.h"

#include <stdlib.h>

static unsigned hash_of(uint64_t paddr, unsigned code_size)
{
    uint64_t h = (paddr ^ ((uint64_t)code_size << 40)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> 48) & (BLOCK_HASH_SIZE - 1);
}

static unsigned page_hash(uint64_t page)
{
    return (unsigned)((page >> 12) * 0x9e3779b1u) & (BLOCK_PAGE_HASH_SIZE - 1);
}

struct block_cache *block_cache_new(void)
{
    return calloc(1, sizeof(struct block_cache));
}

void block_cache_free(struct block_cache *bc)
{
    if (!bc)
        return;
    block_flush_all(bc);
    block_reap(bc);
    free(bc);
}

struct block *block_lookup(struct block_cache *bc, uint64_t paddr, unsigned code_size)
{
    for (struct block *b = bc->hash[hash_of(paddr, code_size)]; b; b = b->hash_next)
        if (b->paddr == paddr && b->code_size == code_size)
            return b;
    return NULL;
}

void block_insert(struct block_cache *bc, struct block *b)
{
    unsigned h = hash_of(b->paddr, b->code_size);
    b->hash_next = bc->hash[h];
    bc->hash[h] = b;
    unsigned p = page_hash(b->paddr & ~0xfffull);
    b->page_next = bc->pages[p];
    bc->pages[p] = b;
    b->cached = true;
    b->valid = true;
    bc->nblocks++;
}

static void unlink_hash(struct block_cache *bc, struct block *b)
{
    struct block **pp = &bc->hash[hash_of(b->paddr, b->code_size)];
    while (*pp && *pp != b)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = b->hash_next;
}

void block_invalidate_page(struct block_cache *bc, uint64_t page_paddr)
{
    page_paddr &= ~0xfffull;
    struct block **pp = &bc->pages[page_hash(page_paddr)];
    while (*pp) {
        struct block *b = *pp;
        if ((b->paddr & ~0xfffull) == page_paddr) {
            *pp = b->page_next;
            unlink_hash(bc, b);
            b->valid = false;
            b->hash_next = bc->graveyard;
            bc->graveyard = b;
            bc->nblocks--;
            bc->invalidations++;
            bc->generation++;
        } else {
            pp = &b->page_next;
        }
    }
}

void block_flush_all(struct block_cache *bc)
{
    for (unsigned i = 0; i < BLOCK_PAGE_HASH_SIZE; i++) {
        while (bc->pages[i]) {
            struct block *b = bc->pages[i];
            bc->pages[i] = b->page_next;
            b->valid = false;
            b->hash_next = bc->graveyard;
            bc->graveyard = b;
        }
    }
    for (unsigned i = 0; i < BLOCK_HASH_SIZE; i++)
        bc->hash[i] = NULL;
    bc->nblocks = 0;
    bc->generation++;
}

void block_reap_slow(struct block_cache *bc)
{
    while (bc->graveyard) {
        struct block *b = bc->graveyard;
        bc->graveyard = b->hash_next;
        free(b);
    }
}

/* Decoded blocks, cached per guest-physical address (DESIGN.md: decode once,
 * execute many). A block never crosses a 4 KiB page, so a write to a page
 * invalidates exactly the blocks on that page. Instructions that straddle a
 * page boundary are decoded every time (their second page's mapping may
 * change) and are never cached. */
#ifndef TURTLES_CPU_BLOCK_CACHE_H
#define TURTLES_CPU_BLOCK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/insn.h"

#define BLOCK_MAX_INSNS 64

struct block {
    uint64_t paddr;          /* physical address of the first instruction */
    uint8_t code_size;       /* decoder mode key */
    bool cached;
    bool valid;
    uint16_t ninsns;
    /* Successors seen after this block (block chaining): valid only while
     * chain_gen equals the cache's generation, so that no invalidation
     * since they were recorded can have freed them. */
    uint64_t chain_gen;
    struct block *chain[2];
    struct block *hash_next; /* chain in the lookup hash */
    struct block *page_next; /* chain of blocks on the same physical page */
    struct insn insns[];
};

#define BLOCK_HASH_SIZE (1u << 16)
#define BLOCK_PAGE_HASH_SIZE (1u << 14)

struct block_cache {
    struct block *hash[BLOCK_HASH_SIZE];
    struct block *pages[BLOCK_PAGE_HASH_SIZE];
    struct block *graveyard;  /* invalidated blocks, freed at the next block boundary */
    uint64_t nblocks;
    uint64_t invalidations;
    /* Bumped by every invalidation or flush: a block pointer remembered
     * under an older generation may have been freed. */
    uint64_t generation;
};

struct block_cache *block_cache_new(void);
void block_cache_free(struct block_cache *bc);
struct block *block_lookup(struct block_cache *bc, uint64_t paddr, unsigned code_size);
void block_insert(struct block_cache *bc, struct block *b);
/* Drop every block on this physical page. */
void block_invalidate_page(struct block_cache *bc, uint64_t page_paddr);
void block_flush_all(struct block_cache *bc);
/* Free what invalidation left behind; call only outside any block. */
void block_reap_slow(struct block_cache *bc);

static inline void block_reap(struct block_cache *bc)
{
    if (__builtin_expect(bc->graveyard != NULL, 0))
        block_reap_slow(bc);
}

#endif

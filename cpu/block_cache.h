/* Decoded blocks, cached per guest-physical address (DESIGN.md: decode once,
 * execute many). A block never crosses a 4 KiB page, so a write to a page
 * invalidates exactly the blocks on that page. An instruction that straddles
 * a page boundary is a block of its own, cached under both physical pages
 * (a write to either drops it); since its second page's mapping may change
 * without any write, the dispatch loop checks that mapping before it runs a
 * cached one (page2).
 *
 * The cache holds at most a fixed number of host bytes (-accel tcg,tb-size=
 * MiB), whatever code the guest runs: the guest decides how much code it
 * executes, not how much host memory turtles uses. The bound covers the
 * blocks (as malloc holds them) and the lookup tables, which are sized from
 * it. When a new block would pass the bound, whole pages of blocks are
 * evicted, oldest first, until a quarter of the bound is free again. */
#ifndef TURTLES_CPU_BLOCK_CACHE_H
#define TURTLES_CPU_BLOCK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/insn.h"

#define BLOCK_MAX_INSNS 64

/* The default bound; QEMU's own default for its translated code is 1 GiB.
 * A Linux boot to its shell stays well below this (README). */
#define BLOCK_CACHE_DEFAULT_BYTES (256ull << 20)
#define BLOCK_CACHE_MIN_BYTES (1ull << 20)

/* One successor link of a block (block chaining). It is also on its
 * target's incoming list, so that dropping the target clears it: a link
 * never points at a dropped block, and a write to code costs only the
 * links into that page's blocks. */
struct chain_link {
    struct block *to;
    struct chain_link *in_next, **in_pprev;
};

struct block {
    uint64_t paddr;          /* physical address of the first instruction */
    uint8_t code_size;       /* decoder mode key */
    bool cached;
    bool valid;
    bool straddles;          /* one instruction that ends on the page page2 */
    uint16_t ninsns;
    uint64_t page2;          /* physical page of a straddler's last bytes */
    /* Successors seen after this block, newest in slot 0, and the links
     * of other blocks to this one. */
    struct chain_link chain[2];
    struct chain_link *incoming;
    struct block *hash_next; /* chain in the lookup hash; the graveyard's link once dead */
    struct block *page_next; /* chain of blocks in the same page-hash bucket */
    struct block *page2_next;/* a straddler's chain in the second-page hash */
    struct block *older, *newer; /* insertion order, for eviction */
    struct insn insns[];
};

struct block_cache {
    struct block **hash;      /* hash_size buckets */
    struct block **pages;     /* page_hash_size buckets */
    struct block **pages2;    /* straddlers by their second page; page_hash_size buckets */
    unsigned hash_size, page_hash_size; /* powers of two */
    unsigned hash_shift;                /* 64 - log2(hash_size) */
    struct block *oldest, *newest;      /* live blocks in insertion order */
    struct block *graveyard;  /* invalidated or evicted blocks, freed at the next block boundary */
    uint64_t limit_bytes;     /* the bound: tables + live + dead blocks */
    uint64_t table_bytes;     /* the three hash tables */
    uint64_t live_bytes;      /* blocks in the cache */
    uint64_t dead_bytes;      /* blocks in the graveyard */
    uint64_t peak_bytes;      /* highest table + live + dead seen */
    uint64_t nblocks;
    uint64_t invalidations;   /* blocks dropped by writes to their page or flushes */
    uint64_t evictions;       /* times the cache was full */
    uint64_t evicted_blocks;
    /* Bumped by every invalidation, eviction or flush: a block pointer
     * remembered under an older generation (the dispatch loop's previous
     * block) may have been freed. Chain links need no such check. */
    uint64_t generation;
};

/* A cache bounded to limit_bytes (at least BLOCK_CACHE_MIN_BYTES), or NULL
 * when the host has no memory for its tables. */
struct block_cache *block_cache_new(uint64_t limit_bytes);
void block_cache_free(struct block_cache *bc);
/* Host bytes a block of ninsns instructions costs (allocation included). */
uint64_t block_bytes(unsigned ninsns);
/* Room for a block of ninsns instructions, evicting old blocks when the
 * cache is full; NULL when the host is out of memory (the caller runs the
 * block uncached). Evicted blocks stay allocated until block_reap(), so a
 * block the caller still holds stays readable until then. The block is
 * counted from here on: the caller fills in ninsns = ninsns and inserts it. */
struct block *block_alloc(struct block_cache *bc, unsigned ninsns);
struct block *block_lookup(struct block_cache *bc, uint64_t paddr, unsigned code_size);
void block_insert(struct block_cache *bc, struct block *b);
/* Record to (a cached block) as from's newest successor; the older one
 * moves to the second slot, the one before it is unlinked. */
void block_chain_push(struct block *from, struct block *to);
/* Drop every block on this physical page (straddlers ending on it too). */
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

#include "cpu/block_cache.h"

#include <stdlib.h>

/* What malloc holds for a request: glibc adds an 8-byte header and rounds
 * up to 16 bytes, with 32 at least; other allocators do about the same.
 * Counting the request alone would let the real footprint pass the bound. */
static uint64_t malloc_footprint(uint64_t request)
{
    uint64_t n = (request + 8 + 15) & ~15ull;
    return n < 32 ? 32 : n;
}

uint64_t block_bytes(unsigned ninsns)
{
    return malloc_footprint(sizeof(struct block) + (uint64_t)ninsns * sizeof(struct insn));
}

static unsigned hash_of(const struct block_cache *bc, uint64_t paddr, unsigned code_size)
{
    uint64_t h = (paddr ^ ((uint64_t)code_size << 40)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> bc->hash_shift); /* the best-mixed top bits */
}

static unsigned page_hash(const struct block_cache *bc, uint64_t page)
{
    return (unsigned)((page >> 12) * 0x9e3779b1u) & (bc->page_hash_size - 1);
}

/* The largest power of two not above x. */
static unsigned pow2_floor(uint64_t x)
{
    unsigned p = 1;
    while ((uint64_t)p * 2 <= x)
        p *= 2;
    return p;
}

struct block_cache *block_cache_new(uint64_t limit_bytes)
{
    if (limit_bytes < BLOCK_CACHE_MIN_BYTES)
        limit_bytes = BLOCK_CACHE_MIN_BYTES;
    struct block_cache *bc = calloc(1, sizeof(*bc));
    if (!bc)
        return NULL;
    /* About one lookup bucket per 4 KiB of blocks (a block of a few
     * instructions takes a few hundred bytes, so chains stay short), one
     * page bucket per four lookup buckets: 64 Ki and 16 Ki buckets at the
     * default bound. The tables are paid from the bound. */
    uint64_t want = limit_bytes / 4096;
    bc->hash_size = pow2_floor(want < 1024 ? 1024 : want > (1u << 20) ? (1u << 20) : want);
    bc->page_hash_size = bc->hash_size / 4;
    bc->hash_shift = 64;
    for (unsigned n = bc->hash_size; n > 1; n /= 2)
        bc->hash_shift--;
    bc->hash = calloc(bc->hash_size, sizeof(*bc->hash));
    bc->pages = calloc(bc->page_hash_size, sizeof(*bc->pages));
    bc->pages2 = calloc(bc->page_hash_size, sizeof(*bc->pages2));
    if (!bc->hash || !bc->pages || !bc->pages2) {
        free(bc->hash);
        free(bc->pages);
        free(bc->pages2);
        free(bc);
        return NULL;
    }
    bc->limit_bytes = limit_bytes;
    bc->table_bytes = malloc_footprint(bc->hash_size * sizeof(*bc->hash)) +
                      2 * malloc_footprint(bc->page_hash_size * sizeof(*bc->pages));
    bc->peak_bytes = bc->table_bytes;
    return bc;
}

void block_cache_free(struct block_cache *bc)
{
    if (!bc)
        return;
    block_flush_all(bc);
    block_reap(bc);
    free(bc->hash);
    free(bc->pages);
    free(bc->pages2);
    free(bc);
}

struct block *block_lookup(struct block_cache *bc, uint64_t paddr, unsigned code_size)
{
    for (struct block *b = bc->hash[hash_of(bc, paddr, code_size)]; b; b = b->hash_next)
        if (b->paddr == paddr && b->code_size == code_size)
            return b;
    return NULL;
}

static void note_peak(struct block_cache *bc)
{
    uint64_t now = bc->table_bytes + bc->live_bytes + bc->dead_bytes;
    if (now > bc->peak_bytes)
        bc->peak_bytes = now;
}

static void unlink_hash(struct block_cache *bc, struct block *b)
{
    struct block **pp = &bc->hash[hash_of(bc, b->paddr, b->code_size)];
    while (*pp && *pp != b)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = b->hash_next;
}

static void unlink_age(struct block_cache *bc, struct block *b)
{
    if (b->older)
        b->older->newer = b->newer;
    else
        bc->oldest = b->newer;
    if (b->newer)
        b->newer->older = b->older;
    else
        bc->newest = b->older;
    b->older = b->newer = NULL;
}

static void link_remove(struct chain_link *l)
{
    if (!l->to)
        return;
    *l->in_pprev = l->in_next;
    if (l->in_next)
        l->in_next->in_pprev = l->in_pprev;
    l->to = NULL;
    l->in_next = NULL;
    l->in_pprev = NULL;
}

static void link_add(struct chain_link *l, struct block *to)
{
    l->to = to;
    l->in_next = to->incoming;
    if (to->incoming)
        to->incoming->in_pprev = &l->in_next;
    l->in_pprev = &to->incoming;
    to->incoming = l;
}

void block_chain_push(struct block *from, struct block *to)
{
    struct block *older = from->chain[0].to;
    link_remove(&from->chain[1]);
    link_remove(&from->chain[0]);
    if (older)
        link_add(&from->chain[1], older);
    link_add(&from->chain[0], to);
}

/* Out of the cache (already out of the page chain) and into the graveyard:
 * a vCPU may still be running it, so it is freed only at block_reap(). Its
 * links go, both ways. */
static void bury(struct block_cache *bc, struct block *b)
{
    link_remove(&b->chain[0]);
    link_remove(&b->chain[1]);
    while (b->incoming)
        link_remove(b->incoming);
    unlink_hash(bc, b);
    unlink_age(bc, b);
    b->valid = false;
    b->hash_next = bc->graveyard;
    bc->graveyard = b;
    uint64_t bytes = block_bytes(b->ninsns);
    bc->live_bytes -= bytes;
    bc->dead_bytes += bytes;
    bc->nblocks--;
}

/* Take a straddler out of the second-page chain it is in. */
static void unlink_page2(struct block_cache *bc, struct block *b)
{
    struct block **pp = &bc->pages2[page_hash(bc, b->page2)];
    while (*pp && *pp != b)
        pp = &(*pp)->page2_next;
    if (*pp)
        *pp = b->page2_next;
}

/* Take a block out of its first page's chain. */
static void unlink_page(struct block_cache *bc, struct block *b)
{
    struct block **pp = &bc->pages[page_hash(bc, b->paddr & ~0xfffull)];
    while (*pp && *pp != b)
        pp = &(*pp)->page_next;
    if (*pp)
        *pp = b->page_next;
}

/* Bury every block of one page, and every straddler that ends on it;
 * returns how many. */
static uint64_t drop_page(struct block_cache *bc, uint64_t page_paddr)
{
    uint64_t n = 0;
    struct block **pp = &bc->pages[page_hash(bc, page_paddr)];
    while (*pp) {
        struct block *b = *pp;
        if ((b->paddr & ~0xfffull) == page_paddr) {
            *pp = b->page_next;
            if (b->straddles)
                unlink_page2(bc, b);
            bury(bc, b);
            n++;
        } else {
            pp = &b->page_next;
        }
    }
    pp = &bc->pages2[page_hash(bc, page_paddr)];
    while (*pp) {
        struct block *b = *pp;
        if (b->page2 == page_paddr) {
            *pp = b->page2_next;
            unlink_page(bc, b);
            bury(bc, b);
            n++;
        } else {
            pp = &b->page2_next;
        }
    }
    return n;
}

/* The cache is full: evict the pages of the oldest blocks until a quarter
 * of the bound is free, so that evictions come in rare batches. A page
 * goes as a whole, which keeps the per-page invalidation index exact.
 * Burying a block clears the chain links into it, so no block keeps a
 * pointer to an evicted one; the TLB holds no block pointers. */
static void evict(struct block_cache *bc)
{
    uint64_t target = (bc->limit_bytes - bc->table_bytes) / 4 * 3;
    while (bc->oldest && bc->live_bytes > target)
        bc->evicted_blocks += drop_page(bc, bc->oldest->paddr & ~0xfffull);
    bc->evictions++;
    bc->generation++;
}

struct block *block_alloc(struct block_cache *bc, unsigned ninsns)
{
    uint64_t bytes = block_bytes(ninsns);
    if (bc->table_bytes + bc->live_bytes + bytes > bc->limit_bytes)
        evict(bc);
    struct block *b = malloc(sizeof(struct block) + (size_t)ninsns * sizeof(struct insn));
    if (!b)
        return NULL;
    bc->live_bytes += bytes;
    note_peak(bc);
    return b;
}

void block_insert(struct block_cache *bc, struct block *b)
{
    unsigned h = hash_of(bc, b->paddr, b->code_size);
    b->hash_next = bc->hash[h];
    bc->hash[h] = b;
    unsigned p = page_hash(bc, b->paddr & ~0xfffull);
    b->page_next = bc->pages[p];
    bc->pages[p] = b;
    if (b->straddles) {
        unsigned p2 = page_hash(bc, b->page2);
        b->page2_next = bc->pages2[p2];
        bc->pages2[p2] = b;
    }
    b->chain[0] = b->chain[1] = (struct chain_link){0};
    b->incoming = NULL;
    b->newer = NULL;
    b->older = bc->newest;
    if (bc->newest)
        bc->newest->newer = b;
    else
        bc->oldest = b;
    bc->newest = b;
    b->cached = true;
    b->valid = true;
    bc->nblocks++;
}

void block_invalidate_page(struct block_cache *bc, uint64_t page_paddr)
{
    uint64_t n = drop_page(bc, page_paddr & ~0xfffull);
    if (n) {
        bc->invalidations += n;
        bc->generation++;
    }
}

void block_flush_all(struct block_cache *bc)
{
    while (bc->oldest)
        bc->invalidations += drop_page(bc, bc->oldest->paddr & ~0xfffull);
    bc->generation++;
}

void block_reap_slow(struct block_cache *bc)
{
    while (bc->graveyard) {
        struct block *b = bc->graveyard;
        bc->graveyard = b->hash_next;
        bc->dead_bytes -= block_bytes(b->ninsns);
        free(b);
    }
}

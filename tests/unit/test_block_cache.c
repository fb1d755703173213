/* The decoded-block cache's bound (cpu/block_cache.h): whatever the guest
 * runs, the cache holds at most its limit (plus the one block allocated
 * before the evicted ones are reaped), evicts whole pages oldest first, and
 * a chained block never reaches an evicted one (run under ASan in
 * `make test`: a dangling chain link is a use after free there). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/block_cache.h"
#include "cpu/decode.h"
#include "tests/unit/harness.h"

#define LIMIT (1ull << 20)
#define BLOCKS_PER_PAGE 16

/* A block of n NOP-like instructions at paddr, counted and inserted as
 * build_block() in cpu/exec.c does. */
static struct block *add_block(struct block_cache *bc, uint64_t paddr, unsigned n)
{
    struct block *b = block_alloc(bc, n);
    ck_assert_ptr_nonnull(b);
    memset(b, 0, sizeof(*b) + n * sizeof(struct insn));
    b->paddr = paddr;
    b->code_size = 4;
    b->ninsns = (uint16_t)n;
    block_insert(bc, b);
    return b;
}

START_TEST(bound_holds_and_whole_pages_go_oldest_first)
{
    struct block_cache *bc = block_cache_new(LIMIT);
    ck_assert_ptr_nonnull(bc);
    unsigned pages = 0;
    while (bc->evictions < 3) {
        for (unsigned k = 0; k < BLOCKS_PER_PAGE; k++) {
            add_block(bc, 0x100000 + (uint64_t)pages * 4096 + k * 64, 64);
            block_reap(bc); /* the dispatch loop reaps between blocks */
            ck_assert_uint_le(bc->table_bytes + bc->live_bytes + bc->dead_bytes,
                              LIMIT + block_bytes(64));
        }
        pages++;
        ck_assert_uint_lt(pages, 100000);
    }
    ck_assert_uint_le(bc->peak_bytes, LIMIT + block_bytes(64));
    ck_assert_uint_gt(bc->evicted_blocks, 0);
    /* Every page is either all there or all gone, and the gone ones are the
     * oldest: once a present page is seen, no later page is missing. */
    bool seen_present = false;
    uint64_t found = 0;
    for (unsigned p = 0; p < pages; p++) {
        unsigned here = 0;
        for (unsigned k = 0; k < BLOCKS_PER_PAGE; k++)
            here += block_lookup(bc, 0x100000 + (uint64_t)p * 4096 + k * 64, 4) != NULL;
        ck_assert(here == 0 || here == BLOCKS_PER_PAGE);
        if (here)
            seen_present = true;
        else
            ck_assert_msg(!seen_present, "page %u evicted after a younger one was kept", p);
        found += here;
    }
    ck_assert_uint_eq(found, bc->nblocks);
    ck_assert_uint_eq(bc->live_bytes, bc->nblocks * block_bytes(64));
    /* The newest page is always kept. */
    ck_assert_ptr_nonnull(block_lookup(bc, 0x100000 + (uint64_t)(pages - 1) * 4096, 4));
    block_cache_free(bc);
}
END_TEST

START_TEST(eviction_and_invalidation_bump_the_generation)
{
    struct block_cache *bc = block_cache_new(LIMIT);
    add_block(bc, 0x5000, 4);
    uint64_t gen = bc->generation;
    block_invalidate_page(bc, 0x6000); /* nothing there: chains stay */
    ck_assert_uint_eq(bc->generation, gen);
    block_invalidate_page(bc, 0x5000);
    ck_assert_uint_gt(bc->generation, gen);
    ck_assert_ptr_null(block_lookup(bc, 0x5000, 4));
    block_reap(bc);
    ck_assert_uint_eq(bc->live_bytes + bc->dead_bytes, 0);
    gen = bc->generation;
    uint64_t evictions = bc->evictions;
    for (uint64_t a = 0; bc->evictions == evictions; a += 64)
        add_block(bc, 0x100000 + a, 64);
    ck_assert_uint_gt(bc->generation, gen);
    block_flush_all(bc);
    ck_assert_uint_eq(bc->nblocks, 0);
    ck_assert_uint_eq(bc->live_bytes, 0);
    block_reap(bc);
    ck_assert_uint_eq(bc->dead_bytes, 0);
    block_cache_free(bc);
}
END_TEST

START_TEST(tables_are_counted_and_default_sizes_kept)
{
    struct block_cache *bc = block_cache_new(BLOCK_CACHE_DEFAULT_BYTES);
    ck_assert_uint_eq(bc->hash_size, 1u << 16);
    ck_assert_uint_eq(bc->page_hash_size, 1u << 14);
    ck_assert_uint_ge(bc->table_bytes, ((1u << 16) + (1u << 14)) * sizeof(void *));
    block_cache_free(bc);
    bc = block_cache_new(1); /* raised to the minimum */
    ck_assert_uint_eq(bc->limit_bytes, BLOCK_CACHE_MIN_BYTES);
    ck_assert_uint_lt(bc->table_bytes, BLOCK_CACHE_MIN_BYTES / 8);
    block_cache_free(bc);
}
END_TEST

/* Real code through a 1 MiB cache: 16384 two-instruction blocks (add eax,1;
 * jmp to the next), 16 per page over 4 MiB, run three times. Every pass
 * evicts what the last one decoded while chain links from the previous
 * block are followed; the count must come out exact. */
START_TEST(code_runs_right_through_evictions)
{
    static struct harness h;
    harness_init(&h, 32);
    block_cache_free(h.blocks);
    h.blocks = block_cache_new(LIMIT);
    h.cpu.blocks = h.blocks;
    const uint32_t base = 0x100000, slots = 1024 * BLOCKS_PER_PAGE, stride = 256;
    for (uint32_t i = 0; i < slots; i++) {
        uint32_t a = base + i * stride;
        uint8_t code[16] = {0x83, 0xc0, 0x01}; /* add eax, 1 */
        if (i + 1 < slots) {
            int32_t rel = (int32_t)stride - 8; /* jmp rel32 to the next slot */
            code[3] = 0xe9;
            memcpy(code + 4, &rel, 4);
            harness_load(&h, a, code, 8);
        } else {
            /* dec ecx; jnz base; hlt */
            int32_t rel = (int32_t)(base - (a + 10));
            code[3] = 0x49;
            code[4] = 0x0f;
            code[5] = 0x85;
            memcpy(code + 6, &rel, 4);
            code[10] = 0xf4;
            harness_load(&h, a, code, 11);
        }
    }
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 3;
    ck_assert_int_eq(harness_run(&h, base, 10000000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX] & 0xffffffff, 3 * slots);
    ck_assert_uint_gt(h.blocks->evictions, 2);
    ck_assert_uint_le(h.blocks->peak_bytes, LIMIT + block_bytes(BLOCK_MAX_INSNS));
    harness_free(&h);
}
END_TEST


/* A write to one page drops that page's blocks and the links into them,
 * and nothing else: links between blocks of other pages stay. */
START_TEST(invalidation_drops_only_links_into_the_page)
{
    struct block_cache *bc = block_cache_new(LIMIT);
    struct block *a = add_block(bc, 0x5000, 4), *b = add_block(bc, 0x6000, 4),
                 *c = add_block(bc, 0x7000, 4), *d = add_block(bc, 0x7100, 4);
    block_chain_push(a, b); /* a -> b, and a -> c in the older slot */
    block_chain_push(a, c);
    ck_assert_ptr_eq(a->chain[0].to, c);
    ck_assert_ptr_eq(a->chain[1].to, b);
    block_chain_push(c, a);
    block_chain_push(d, b);
    block_invalidate_page(bc, 0x6000);
    ck_assert(!b->valid);
    ck_assert_ptr_eq(a->chain[0].to, c); /* kept */
    ck_assert_ptr_null(a->chain[1].to);  /* into the written page: gone */
    ck_assert_ptr_null(d->chain[0].to);
    ck_assert_ptr_eq(c->chain[0].to, a);
    /* Dropping a block also takes its own links off their targets. */
    block_invalidate_page(bc, 0x7000);
    ck_assert_ptr_null(a->chain[0].to);
    ck_assert_ptr_null(a->incoming);
    ck_assert_ptr_eq(block_lookup(bc, 0x5000, 4), a);
    /* A third push drops the oldest link from its target's list. */
    struct block *e = add_block(bc, 0x8000, 4), *f = add_block(bc, 0x9000, 4),
                 *g = add_block(bc, 0xa000, 4);
    block_chain_push(a, e);
    block_chain_push(a, f);
    block_chain_push(a, g);
    ck_assert_ptr_null(e->incoming);
    ck_assert_ptr_eq(f->incoming, &a->chain[1]);
    ck_assert_ptr_eq(g->incoming, &a->chain[0]);
    block_reap(bc);
    block_cache_free(bc); /* under ASan: no link left to freed memory */
}
END_TEST

/* A guest patching the block it jumps to next, on another page, on each
 * pass: inc byte [0x101002] (the immediate of add eax, imm8 there); jmp
 * there; add eax, imm8; dec ecx; jnz back; hlt. Pass k adds 1 + k. */
START_TEST(guest_patching_the_next_block)
{
    static struct harness h;
    harness_init(&h, 64);
    h.cpu.intr_idle = true;
    const uint8_t first[] = {0xfe, 0x04, 0x25, 0x02, 0x10, 0x10, 0x00, /* inc byte [0x101002] */
                             0xe9, 0xf4, 0x0f, 0x00, 0x00};             /* jmp 0x101000 */
    const uint8_t second[] = {0x83, 0xc0, 0x01,                         /* add eax, 1 */
                              0xff, 0xc9,                               /* dec ecx */
                              0x0f, 0x85, 0xf5, 0xef, 0xff, 0xff,       /* jnz 0x100000 */
                              0xf4};
    harness_load(&h, 0x100000, first, sizeof(first));
    harness_load(&h, 0x101000, second, sizeof(second));
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 10;
    ck_assert_int_eq(harness_run(&h, 0x100000, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 10 + 55);
    ck_assert_uint_ge(h.blocks->invalidations, 9); /* the first patch came before its decode */
    /* The block on the patching page was never dropped: its links were
     * cut one by one, not all through a generation. */
    const struct block *b = block_lookup(h.blocks, 0x100000, 8);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_eq(b->chain[0].to, block_lookup(h.blocks, 0x101000, 8));
    harness_free(&h);
}
END_TEST

/* Code written by DMA (a device's physmem_write_buf) between two runs:
 * the next run decodes the new bytes. */
START_TEST(code_written_by_dma)
{
    static struct harness h;
    harness_init(&h, 64);
    h.cpu.intr_idle = true;
    const uint8_t code[] = {0x83, 0xc0, 0x01, 0xff, 0xc9, 0x75, 0xf9, 0xf4}; /* add eax,1; dec ecx; jnz; hlt */
    harness_load(&h, 0x100000, code, sizeof(code));
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 3;
    ck_assert_int_eq(harness_run(&h, 0x100000, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 3);
    const uint8_t five = 5;
    physmem_write_buf(&h.mem, 0x100002, &five, 1);
    ck_assert_ptr_null(block_lookup(h.blocks, 0x100000, 8));
    h.cpu.gpr[R_CX] = 3;
    ck_assert_int_eq(harness_run(&h, 0x100000, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 3 + 15);
    harness_free(&h);
}
END_TEST

int main(void)
{
    decode_init();
    Suite *s = suite_create("block_cache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bound_holds_and_whole_pages_go_oldest_first);
    tcase_add_test(tc, eviction_and_invalidation_bump_the_generation);
    tcase_add_test(tc, tables_are_counted_and_default_sizes_kept);
    tcase_add_test(tc, code_runs_right_through_evictions);
    tcase_add_test(tc, invalidation_drops_only_links_into_the_page);
    tcase_add_test(tc, guest_patching_the_next_block);
    tcase_add_test(tc, code_written_by_dma);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

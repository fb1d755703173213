/* Instructions that straddle two pages (cpu/exec.c, cpu/block_cache.h):
 * cached once decoded, dropped by a write to either page (by the CPU or by
 * DMA), and decoded afresh when the second page is remapped without any
 * write. The code: a 5-byte ADD EAX, imm32 from 0x100ffc to 0x101000, so
 * the immediate's top byte is the first byte of the next page, then
 * DEC ECX / JNZ back to it / HLT. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "mmu/tlb.h"
#include "tests/unit/harness.h"

#define STRADDLER 0x100ffcu
#define PAGE2 0x101000u

/* add eax, 1 (straddling) ; [extra] ; dec ecx ; jnz STRADDLER ; hlt */
static void load_loop(struct harness *h, const uint8_t *extra, unsigned nextra)
{
    const uint8_t add[5] = {0x05, 0x01, 0x00, 0x00, 0x00};
    harness_load(h, STRADDLER, add, sizeof(add));
    uint8_t tail[32];
    unsigned n = 0;
    if (nextra)
        memcpy(tail, extra, nextra);
    n += nextra;
    tail[n++] = 0xff; /* dec ecx */
    tail[n++] = 0xc9;
    tail[n++] = 0x0f; /* jnz rel32 */
    tail[n++] = 0x85;
    int32_t rel = (int32_t)STRADDLER - (int32_t)(PAGE2 + 1 + n + 4);
    memcpy(tail + n, &rel, 4);
    n += 4;
    tail[n++] = 0xf4; /* hlt */
    harness_load(h, PAGE2 + 1, tail, n);
}

static void init(struct harness *h)
{
    harness_init(h, 64);
    /* A quiet local APIC: the dispatch loop's fast path between blocks. */
    h->cpu.intr_idle = true;
}

START_TEST(straddler_is_cached_and_runs_right)
{
    static struct harness h;
    init(&h);
    load_loop(&h, NULL, 0);
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 1000;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 100000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 1000);
    const struct block *b = block_lookup(h.blocks, STRADDLER, 8);
    ck_assert_ptr_nonnull(b);
    ck_assert(b->straddles);
    ck_assert_uint_eq(b->page2, PAGE2);
    ck_assert_uint_eq(b->ninsns, 1); /* still a block of its own */
    harness_free(&h);
}
END_TEST

/* The loop writes the immediate's top byte (on the second page) after its
 * first pass: the second pass must add 0x01000001. */
START_TEST(cpu_write_to_second_page_drops_straddler)
{
    static struct harness h;
    init(&h);
    const uint8_t mov[8] = {0xc6, 0x04, 0x25, 0x00, 0x10, 0x10, 0x00, 0x01}; /* mov byte [PAGE2], 1 */
    load_loop(&h, mov, sizeof(mov));
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 2;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 1 + 0x01000001);
    harness_free(&h);
}
END_TEST

/* A device writing the second page by DMA (physmem_write_buf) between two
 * runs drops the cached straddler too. */
START_TEST(dma_write_to_second_page_drops_straddler)
{
    static struct harness h;
    init(&h);
    load_loop(&h, NULL, 0);
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 1000), 0);
    ck_assert_ptr_nonnull(block_lookup(h.blocks, STRADDLER, 8));
    const uint8_t one = 1;
    physmem_write_buf(&h.mem, PAGE2, &one, 1);
    ck_assert_ptr_null(block_lookup(h.blocks, STRADDLER, 8));
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 1 + 0x01000001);
    harness_free(&h);
}
END_TEST

/* 4 KiB pages for the first 2 MiB (identity), with the linear page PAGE2
 * mapped to phys. */
static void map_page2(struct harness *h, uint64_t phys)
{
    const uint64_t pt = 0x10000;
    for (uint64_t i = 0; i < 512; i++)
        physmem_write(&h->mem, pt + i * 8, (i << 12) | 3, 8);
    physmem_write(&h->mem, pt + (PAGE2 >> 12) * 8, phys | 3, 8);
    physmem_write(&h->mem, 0x3000, pt | 3, 8);
    tlb_flush_all(&h->cpu.tlb); /* as MOV CR3 would */
}

/* The second page remapped (no write to either physical page): the cached
 * straddler must not run with the old page's bytes. */
START_TEST(remapped_second_page_is_decoded_afresh)
{
    static struct harness h;
    init(&h);
    load_loop(&h, NULL, 0);
    /* The same tail at 0x105000, with the immediate's top byte 1. */
    uint8_t copy[64];
    physmem_read_buf(&h.mem, PAGE2, copy, sizeof(copy));
    copy[0] = 1;
    harness_load(&h, 0x105000, copy, sizeof(copy));
    map_page2(&h, PAGE2);
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 1);
    map_page2(&h, 0x105000);
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x01000001);
    /* And back. */
    map_page2(&h, PAGE2);
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 1000), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 1);
    harness_free(&h);
}
END_TEST

/* The second page unmapped: the cached straddler faults with #PF at its
 * own address, CR2 the first byte of the second page. */
START_TEST(unmapped_second_page_faults)
{
    static struct harness h;
    init(&h);
    load_loop(&h, NULL, 0);
    map_page2(&h, PAGE2);
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(harness_run(&h, STRADDLER, 1000), 0);
    physmem_write(&h.mem, 0x10000 + (PAGE2 >> 12) * 8, 0, 8);
    tlb_flush_all(&h.cpu.tlb);
    h.cpu.gpr[R_CX] = 1;
    /* No IDT: the #PF becomes a triple fault, and the faulting address is
     * in CR2. */
    harness_run(&h, STRADDLER, 1000);
    ck_assert_uint_eq(h.cpu.cr2, PAGE2);
    harness_free(&h);
}
END_TEST

int main(void)
{
    decode_init();
    Suite *s = suite_create("straddle");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, straddler_is_cached_and_runs_right);
    tcase_add_test(tc, cpu_write_to_second_page_drops_straddler);
    tcase_add_test(tc, dma_write_to_second_page_drops_straddler);
    tcase_add_test(tc, remapped_second_page_is_decoded_afresh);
    tcase_add_test(tc, unmapped_second_page_faults);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

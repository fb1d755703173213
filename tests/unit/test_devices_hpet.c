/* Tests for devices/hpet.c: capabilities, main counter against the clock,
 * one-shot and periodic timers, legacy routing, level status, 32-bit mode,
 * FSB delivery. */
#include <check.h>
#include <stdlib.h>

#include "devices/hpet.h"
#include "device_test_env.h"

static struct test_env *t;
static struct hpet h;

static void setup(void)
{
    t = test_env_new(1 << 20);
    hpet_init(&h, &t->env, HPET_BASE);
}

static void teardown(void)
{
    test_env_free(t);
}

static uint64_t rd64(uint64_t off)
{
    return physmem_read(&t->mem, HPET_BASE + off, 8);
}

static uint32_t rd32(uint64_t off)
{
    return (uint32_t)physmem_read(&t->mem, HPET_BASE + off, 4);
}

static void wr32(uint64_t off, uint32_t v)
{
    physmem_write(&t->mem, HPET_BASE + off, v, 4);
}

static void wr64(uint64_t off, uint64_t v)
{
    physmem_write(&t->mem, HPET_BASE + off, v, 8);
}

static uint64_t turn_ns;

static uint64_t turn_elapsed(void *opaque)
{
    (void)opaque;
    return turn_ns;
}

/* Within a vCPU's turn the clock has not advanced yet, but the counter must
 * still move between two reads (mmu/clock.h clock_now): the turn's
 * elapsed time counts. */
START_TEST(test_counter_moves_within_a_turn)
{
    wr32(0x10, 1);
    t->clock.turn_elapsed_ns = turn_elapsed;
    turn_ns = 0;
    uint64_t a = rd64(0xf0);
    turn_ns = 700; /* 70 ticks of 10 ns */
    uint64_t b = rd64(0xf0);
    ck_assert_uint_eq(b - a, 70);
    t->clock.turn_elapsed_ns = NULL;
    advance_ns(t, 700); /* the turn ends: the clock catches up */
    ck_assert_uint_eq(rd64(0xf0), b);
}
END_TEST

START_TEST(test_caps_and_counter)
{
    uint64_t cap = rd64(0);
    ck_assert_uint_eq(cap >> 32, 10000000u);    /* 10 ns period */
    ck_assert_uint_eq((cap >> 8) & 0x1f, 2);    /* 3 timers */
    ck_assert_uint_eq(cap & (1u << 13), 1u << 13);
    ck_assert_uint_eq(cap & (1u << 15), 1u << 15);
    ck_assert_uint_eq(rd64(0x100) & 0x30, 0x30);   /* periodic and 64-bit capable */
    ck_assert_uint_eq(rd64(0x100) >> 32, HPET_INT_ROUTE_CAP);
    /* halted counter */
    advance_ns(t, 1000);
    ck_assert_uint_eq(rd64(0xf0), 0);
    wr32(0x10, 1);
    advance_ns(t, 1000000);   /* 1 ms = 100000 ticks */
    ck_assert_uint_eq(rd64(0xf0), 100000);
    ck_assert_uint_eq(rd32(0xf0), 100000);
    ck_assert_uint_eq(rd32(0xf4), 0);
    wr32(0x10, 0);
    advance_ns(t, 1000000);
    ck_assert_uint_eq(rd64(0xf0), 100000);   /* frozen */
    wr64(0xf0, 0x100000000ull - 10);
    wr32(0x10, 1);
    advance_ns(t, 200);
    ck_assert_uint_eq(rd64(0xf0), 0x100000000ull + 10);
}
END_TEST

START_TEST(test_oneshot_legacy)
{
    wr32(0x10, 0x3);                 /* enable + legacy */
    ck_assert(hpet_legacy_replacement(&h));
    wr32(0x100, 0x4);                /* timer 0: int enable, edge, one-shot */
    wr64(0x108, 50000);              /* 500 us */
    advance_ns(t, 499990);
    ck_assert_uint_eq(t->rises[0], 0);
    advance_ns(t, 10);
    ck_assert_uint_eq(t->rises[0], 1);
    ck_assert(!t->level[0]);
    advance_ns(t, 10000000);
    ck_assert_uint_eq(t->rises[0], 1);   /* one-shot */
    /* timer 1 goes to IRQ8 in legacy mode */
    wr32(0x120, 0x4);
    wr64(0x128, rd64(0xf0) + 100);
    advance_ns(t, 1000);
    ck_assert_uint_eq(t->rises[8], 1);
}
END_TEST

START_TEST(test_periodic)
{
    wr32(0x10, 0x3);
    /* Linux hpet_set_periodic: SETVAL, then comparator, then period */
    wr32(0x100, 0x4 | 0x8 | 0x40);
    uint64_t now = rd64(0xf0);
    wr64(0x108, now + 100000);
    wr64(0x108, 100000);             /* 1 ms */
    ck_assert_uint_eq(rd64(0x100) & 0x40, 0);   /* SETVAL self-clears */
    for (int i = 0; i < 10; i++)
        advance_ns(t, 1000000);
    ck_assert_uint_eq(t->rises[0], 10);
    ck_assert_uint_eq(rd64(0x108), now + 11 * 100000);
}
END_TEST

START_TEST(test_linux_style_32bit)
{
    /* Linux's clockevent: legacy mode, timer 0 in 32-bit mode, comparator
     * low half written as counter + delta, near the 32-bit wrap. */
    wr64(0xf0, 0xffffff00ull);
    wr32(0x10, 0x3);
    wr32(0x100, 0x4 | 0x100);
    uint32_t cnt = rd32(0xf0) + 1000;   /* wraps past 2^32 */
    wr32(0x108, cnt);
    advance_ns(t, 9990);
    ck_assert_uint_eq(t->rises[0], 0);
    advance_ns(t, 10);
    ck_assert_uint_eq(t->rises[0], 1);
    /* periodic 32-bit with SETVAL */
    wr32(0x100, 0x4 | 0x8 | 0x40 | 0x100);
    uint32_t now = rd32(0xf0);
    wr32(0x108, now + 5000);
    wr32(0x108, 5000);
    for (int i = 0; i < 20; i++)
        advance_ns(t, 50000);
    ck_assert_uint_eq(t->rises[0], 21);
}
END_TEST

START_TEST(test_level_routed)
{
    wr32(0x10, 0x1);
    /* timer 2: level, enabled, route 21 */
    wr32(0x140, (21u << 9) | 0x4 | 0x2);
    ck_assert_uint_eq((rd32(0x140) >> 9) & 0x1f, 21);
    wr32(0x140, (5u << 9) | 0x4 | 0x2);   /* 5 is not in the capability */
    ck_assert_uint_eq((rd32(0x140) >> 9) & 0x1f, 21);
    wr64(0x148, rd64(0xf0) + 10);
    advance_ns(t, 100);
    ck_assert(t->level[21]);
    ck_assert_uint_eq(rd64(0x20), 0x4);
    wr64(0x20, 0x4);
    ck_assert(!t->level[21]);
    ck_assert_uint_eq(rd64(0x20), 0);
}
END_TEST

START_TEST(test_32bit_mode)
{
    wr64(0xf0, 0xfffffff0ull);
    wr32(0x10, 0x1);
    wr32(0x120, (20u << 9) | 0x4 | 0x100);   /* timer 1, 32-bit, route 20 */
    wr32(0x128, 0x10);                        /* after the 32-bit wrap */
    wr32(0x12c, 0xffffffff);                  /* high half ignored */
    ck_assert_uint_eq(rd64(0x128), 0x10);
    advance_ns(t, 310);
    ck_assert_uint_eq(t->rises[20], 0);
    advance_ns(t, 10);
    ck_assert_uint_eq(t->rises[20], 1);
}
END_TEST

START_TEST(test_fsb)
{
    wr32(0x10, 0x1);
    wr64(0x110, (0xfee01000ull << 32) | 0x4041);   /* dest 1, vector 0x41 */
    wr32(0x100, 0x4 | (1u << 14));
    wr64(0x108, rd64(0xf0) + 5);
    advance_ns(t, 100);
    ck_assert_uint_eq(t->nmsgs, 1);
    ck_assert_uint_eq(t->msgs[0].vector, 0x41);
    ck_assert_uint_eq(t->msgs[0].dest, 1);
    ck_assert_uint_eq(t->rises[0], 0);
}
END_TEST

START_TEST(test_garbage)
{
    for (uint64_t off = 0; off < HPET_MMIO_SIZE; off += 4) {
        (void)rd32(off);
        if (off != 0x10)
            wr32(off, 0xffffffffu);
    }
    for (uint64_t off = 0; off < HPET_MMIO_SIZE; off++)
        (void)physmem_read(&t->mem, HPET_BASE + off, 1);
    wr32(0x10, 3);
    advance_ns(t, 100000000);
    physmem_write(&t->mem, HPET_BASE + 0x105, 0xff, 8);   /* straddling */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hpet");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_caps_and_counter);
    tcase_add_test(tc, test_counter_moves_within_a_turn);
    tcase_add_test(tc, test_oneshot_legacy);
    tcase_add_test(tc, test_periodic);
    tcase_add_test(tc, test_linux_style_32bit);
    tcase_add_test(tc, test_level_routed);
    tcase_add_test(tc, test_32bit_mode);
    tcase_add_test(tc, test_fsb);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

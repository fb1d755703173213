/* Tests for mmu/clock.c: timer ordering, re-arming, icount time. */
#include <check.h>
#include <stdlib.h>

#include "mmu/clock.h"

struct rec {
    char log[64];
    int n;
    struct clock *c;
    struct timer *rearm;
    uint64_t period;
    uint64_t seen_now[16];
};

static void fire_a(void *o, uint64_t now) { struct rec *r = o; r->seen_now[r->n & 15] = now; r->log[r->n++] = 'a'; }
static void fire_b(void *o, uint64_t now) { struct rec *r = o; r->seen_now[r->n & 15] = now; r->log[r->n++] = 'b'; }
static void fire_c(void *o, uint64_t now) { struct rec *r = o; r->seen_now[r->n & 15] = now; r->log[r->n++] = 'c'; }

static void fire_periodic(void *o, uint64_t now)
{
    struct rec *r = o;
    (void)now;
    r->log[r->n++] = 'p';
    timer_arm(r->c, r->rearm, r->rearm->deadline_ns + r->period);
}

START_TEST(test_order)
{
    struct clock c;
    struct rec r = {0};
    struct timer a, b, t3;
    clock_init(&c, 0, false);
    timer_init(&a, fire_a, &r, "a");
    timer_init(&b, fire_b, &r, "b");
    timer_init(&t3, fire_c, &r, "c");
    timer_arm(&c, &a, 300);
    timer_arm(&c, &b, 100);
    timer_arm(&c, &t3, 200);
    ck_assert_uint_eq(c.next_deadline, 100);
    clock_advance_to(&c, 150);
    ck_assert_str_eq(r.log, "b");
    clock_advance_to(&c, 1000);
    ck_assert_str_eq(r.log, "bca");
    ck_assert_uint_eq(c.next_deadline, UINT64_MAX);
    ck_assert(!a.armed && !b.armed && !t3.armed);
}
END_TEST

START_TEST(test_equal_deadlines_fifo_and_rearm)
{
    struct clock c;
    struct rec r = {0};
    struct timer a, b;
    clock_init(&c, 0, false);
    timer_init(&a, fire_a, &r, "a");
    timer_init(&b, fire_b, &r, "b");
    timer_arm(&c, &a, 50);
    timer_arm(&c, &b, 50);
    timer_arm(&c, &a, 50);   /* re-arming moves a behind b */
    clock_advance_to(&c, 50);
    ck_assert_str_eq(r.log, "ba");
}
END_TEST

START_TEST(test_disarm)
{
    struct clock c;
    struct rec r = {0};
    struct timer a, b;
    clock_init(&c, 0, false);
    timer_init(&a, fire_a, &r, "a");
    timer_init(&b, fire_b, &r, "b");
    timer_arm(&c, &a, 10);
    timer_arm(&c, &b, 20);
    timer_disarm(&c, &a);
    timer_disarm(&c, &a);   /* twice is harmless */
    ck_assert_uint_eq(c.next_deadline, 20);
    clock_advance_to(&c, 100);
    ck_assert_str_eq(r.log, "b");
}
END_TEST

START_TEST(test_periodic_rearm_in_callback)
{
    struct clock c;
    struct rec r = {0};
    struct timer p;
    clock_init(&c, 0, false);
    timer_init(&p, fire_periodic, &r, "p");
    r.c = &c;
    r.rearm = &p;
    r.period = 100;
    timer_arm(&c, &p, 100);
    clock_advance_to(&c, 450);   /* deadlines 100, 200, 300, 400 */
    ck_assert_str_eq(r.log, "pppp");
    ck_assert_uint_eq(p.deadline_ns, 500);
    ck_assert(p.armed);
}
END_TEST

START_TEST(test_icount)
{
    struct clock c;
    struct rec r = {0};
    struct timer a;
    clock_init(&c, 2, false);   /* 4 ns per instruction */
    timer_init(&a, fire_a, &r, "a");
    timer_arm(&c, &a, 400);
    clock_advance_insns(&c, 99);
    ck_assert_uint_eq(c.now_ns, 396);
    ck_assert_int_eq(r.n, 0);
    clock_advance_insns(&c, 1);
    ck_assert_uint_eq(c.now_ns, 400);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.seen_now[0], 400);
    /* time never goes backwards */
    clock_advance_to(&c, 10);
    ck_assert_uint_eq(c.now_ns, 400);
    /* a deadline in the past runs at the next check, not inside arm */
    timer_arm(&c, &a, 5);
    ck_assert_int_eq(r.n, 1);
    clock_run_expired(&c);
    ck_assert_int_eq(r.n, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_order);
    tcase_add_test(tc, test_equal_deadlines_fifo_and_rearm);
    tcase_add_test(tc, test_disarm);
    tcase_add_test(tc, test_periodic_rearm_in_callback);
    tcase_add_test(tc, test_icount);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Tests for devices/pit.c: counting against the clock in modes 0, 2, 3,
 * latch and read-back, BCD, IRQ0 timing, port 0x61. */
#include <check.h>
#include <stdlib.h>

#include "devices/devtime.h"
#include "devices/pit.h"
#include "device_test_env.h"

static struct test_env *t;
static struct pit pit;

static void setup(void)
{
    t = test_env_new(0);
    pit_init(&pit, &t->env);
}

static void teardown(void)
{
    test_env_free(t);
}

/* ns for n PIT ticks, rounded up */
static uint64_t ticks_ns(uint64_t n)
{
    return ticks_to_ns_ceil(n, PIT_FREQ_HZ);
}

static uint16_t read_word(uint16_t port)
{
    uint8_t lo = inb(t, port);
    uint8_t hi = inb(t, port);
    return (uint16_t)(lo | hi << 8);
}

START_TEST(test_mode2_rate_generator)
{
    outb(t, 0x43, 0x34);   /* ch0, lo/hi, mode 2 */
    outb(t, 0x40, 0x9c);   /* 0x2e9c = 11932: 100 Hz */
    outb(t, 0x40, 0x2e);
    uint64_t period = ticks_ns(11932);
    /* The first edge comes after one full period, then every period. */
    advance_ns(t, period - 1000);
    ck_assert_uint_eq(t->rises[0], 0);
    advance_ns(t, 1000);
    ck_assert_uint_eq(t->rises[0], 1);
    ck_assert(!t->level[0]);   /* pulses */
    for (int i = 0; i < 99; i++)
        advance_ns(t, period);
    ck_assert_uint_eq(t->rises[0], 100);   /* 100 Hz for one second */
    /* A long jump delivers one edge for the missed ones (coalesced, as
     * the PIC would), and the timer keeps its phase. */
    advance_ns(t, 10 * period);
    ck_assert_uint_eq(t->rises[0], 101);
    /* count decreases from the reload */
    outb(t, 0x43, 0x00);   /* latch ch0 */
    uint16_t c = read_word(0x40);
    ck_assert_uint_le(c, 11932);
    ck_assert_uint_ge(c, 1);
}
END_TEST

START_TEST(test_mode0_oneshot_and_out2)
{
    /* Linux pit_calibrate_tsc: gate on, speaker off, ch2 mode 0. */
    outb(t, 0x61, (uint8_t)((inb(t, 0x61) & ~0x02) | 0x01));
    outb(t, 0x43, 0xb0);
    outb(t, 0x42, 0x9b);   /* 11931 = 10 ms */
    outb(t, 0x42, 0x2e);
    ck_assert_uint_eq(inb(t, 0x61) & 0x20, 0);
    advance_ns(t, ticks_ns(11931) - 1000);
    ck_assert_uint_eq(inb(t, 0x61) & 0x20, 0);
    advance_ns(t, 1000);
    ck_assert_uint_eq(inb(t, 0x61) & 0x20, 0x20);
    /* The count keeps decrementing past 0 and wraps. */
    advance_ns(t, ticks_ns(10));
    outb(t, 0x43, 0x80);
    uint16_t c = read_word(0x42);
    ck_assert_uint_ge(c, 0xfff0);
}
END_TEST

START_TEST(test_mode0_irq_once)
{
    outb(t, 0x43, 0x30);
    outb(t, 0x40, 0x10);
    outb(t, 0x40, 0x00);   /* 16 ticks */
    advance_ns(t, ticks_ns(16));
    ck_assert_uint_eq(t->rises[0], 1);
    advance_ns(t, ticks_ns(200000));
    ck_assert_uint_eq(t->rises[0], 1);
    ck_assert(!t->clock.armed);
}
END_TEST

START_TEST(test_mode3_square_wave)
{
    outb(t, 0x61, 0x01);
    outb(t, 0x43, 0xb6);   /* ch2, lo/hi, mode 3 */
    outb(t, 0x42, 100);
    outb(t, 0x42, 0);
    ck_assert(pit_get_out(&pit, 2));
    advance_ns(t, ticks_ns(49));
    ck_assert(pit_get_out(&pit, 2));
    advance_ns(t, ticks_ns(51) - ticks_ns(49));
    ck_assert(!pit_get_out(&pit, 2));
    advance_ns(t, ticks_ns(100) - ticks_ns(51));
    ck_assert(pit_get_out(&pit, 2));
}
END_TEST

START_TEST(test_latch_holds_value)
{
    outb(t, 0x43, 0x34);
    outb(t, 0x40, 0x00);
    outb(t, 0x40, 0x00);   /* 65536 */
    advance_ns(t, ticks_ns(1000));
    outb(t, 0x43, 0x00);
    advance_ns(t, ticks_ns(5000));
    outb(t, 0x43, 0x00);   /* a second latch is ignored until read */
    uint16_t c = read_word(0x40);
    ck_assert_int_eq(c, 65536 - 1000);
    /* unlatched read reflects 6000 ticks */
    c = read_word(0x40);
    ck_assert_int_eq(c, 65536 - 6000);
}
END_TEST

START_TEST(test_readback_status)
{
    outb(t, 0x43, 0xb2);   /* ch2 lo/hi mode 1 */
    outb(t, 0x43, 0xe8);   /* read-back: status only (count bit 5 set), ch2 */
    uint8_t st = inb(t, 0x42);
    ck_assert_uint_eq(st & 0x3f, 0x32);   /* rw=3, mode=1, binary */
    ck_assert_uint_eq(st & 0x40, 0x40);   /* null count */
    outb(t, 0x42, 5);
    outb(t, 0x42, 0);
    advance_ns(t, ticks_ns(2));
    outb(t, 0x43, 0xc8);   /* read-back count and status of ch2 */
    st = inb(t, 0x42);
    ck_assert_uint_eq(st & 0x40, 0);
    uint16_t c = read_word(0x42);
    ck_assert_int_eq(c, 3);
}
END_TEST

START_TEST(test_bcd_and_byte_modes)
{
    outb(t, 0x43, 0x11);   /* ch0 LSB only, mode 0, BCD */
    outb(t, 0x40, 0x99);   /* 99 decimal */
    advance_ns(t, ticks_ns(9));
    ck_assert_uint_eq(inb(t, 0x40), 0x90);
    outb(t, 0x43, 0x20);   /* MSB only, mode 0, binary */
    outb(t, 0x40, 0x01);   /* count 0x100 */
    advance_ns(t, ticks_ns(1));
    ck_assert_uint_eq(inb(t, 0x40), 0x00);   /* 0xff: MSB 0 */
    /* the control register reads as ones, nothing crashes */
    ck_assert_uint_eq(inb(t, 0x43), 0xff);
    for (unsigned v = 0; v < 256; v++) {
        outb(t, 0x43, (uint8_t)v);
        outb(t, 0x40, (uint8_t)v);
        outb(t, 0x41, (uint8_t)v);
        outb(t, 0x42, (uint8_t)v);
        (void)inb(t, 0x40);
        (void)inb(t, 0x42);
        advance_ns(t, 997);
    }
}
END_TEST

START_TEST(test_refresh_toggle)
{
    uint8_t a = inb(t, 0x61) & 0x10;
    advance_ns(t, 15085);
    uint8_t b = inb(t, 0x61) & 0x10;
    ck_assert_uint_ne(a, b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pit");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mode2_rate_generator);
    tcase_add_test(tc, test_mode0_oneshot_and_out2);
    tcase_add_test(tc, test_mode0_irq_once);
    tcase_add_test(tc, test_mode3_square_wave);
    tcase_add_test(tc, test_latch_holds_value);
    tcase_add_test(tc, test_readback_status);
    tcase_add_test(tc, test_bcd_and_byte_modes);
    tcase_add_test(tc, test_refresh_toggle);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Tests for devices/rtc.c: time from the start epoch, BCD/binary, 12/24h,
 * UIP, update-ended, periodic and alarm interrupts, register C, setting
 * the time, NVRAM and memory-size bytes. */
#include <check.h>
#include <stdlib.h>

#include "devices/devtime.h"
#include "devices/rtc.h"
#include "device_test_env.h"

static struct test_env *t;
static struct rtc rtc;

static void setup(void)
{
    t = test_env_new(0);
    rtc_init(&rtc, &t->env, RTC_DEFAULT_START_EPOCH);
}

static void teardown(void)
{
    test_env_free(t);
}

static uint8_t rd(uint8_t idx)
{
    outb(t, 0x70, idx);
    return inb(t, 0x71);
}

static void wr(uint8_t idx, uint8_t v)
{
    outb(t, 0x70, idx);
    outb(t, 0x71, v);
}

START_TEST(test_start_time_bcd)
{
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x00);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0x00);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x00);
    ck_assert_uint_eq(rd(RTC_DAY_OF_MONTH), 0x01);
    ck_assert_uint_eq(rd(RTC_MONTH), 0x01);
    ck_assert_uint_eq(rd(RTC_YEAR), 0x26);
    ck_assert_uint_eq(rd(RTC_CENTURY), 0x20);
    ck_assert_uint_eq(rd(RTC_DAY_OF_WEEK), 5);   /* 2026-01-01 is a Thursday */
    ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
    /* 1 h 2 min 59 s later */
    advance_ns(t, (3600ull + 120 + 59) * NS_PER_SEC);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x59);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0x02);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x01);
}
END_TEST

START_TEST(test_binary_12h)
{
    advance_ns(t, (13ull * 3600 + 5) * NS_PER_SEC);
    wr(RTC_REG_B, 0x04);   /* binary, 12-hour */
    ck_assert_uint_eq(rd(RTC_HOURS), 0x81);   /* 1 PM */
    ck_assert_uint_eq(rd(RTC_SECONDS), 5);
    ck_assert_uint_eq(rd(RTC_YEAR), 26);
    wr(RTC_REG_B, 0x06);
    ck_assert_uint_eq(rd(RTC_HOURS), 13);
    /* midnight in 12h is 12 AM */
    advance_ns(t, 11ull * 3600 * NS_PER_SEC);
    wr(RTC_REG_B, 0x04);
    ck_assert_uint_eq(rd(RTC_HOURS), 12);
}
END_TEST

START_TEST(test_leap_and_rollover)
{
    /* 2028-02-28 23:59:59 -> 2028-02-29 */
    struct rtc r2;
    rtc_init(&r2, NULL, 1835395199ull);
    ck_assert_uint_eq(rtc_cmos_read(&r2, RTC_MONTH), 0x02);
    ck_assert_uint_eq(rtc_cmos_read(&r2, RTC_DAY_OF_MONTH), 0x28);
    ck_assert_uint_eq(rtc_cmos_read(&r2, RTC_HOURS), 0x23);
    ck_assert_uint_eq(rtc_cmos_read(&r2, RTC_SECONDS), 0x59);
    ck_assert_uint_eq(rtc_cmos_read(&r2, RTC_YEAR), 0x28);
}
END_TEST

START_TEST(test_uip_window)
{
    advance_ns(t, NS_PER_SEC - 300000);
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x80, 0);
    advance_ns(t, 100000);
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x80, 0x80);
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x7f, 0x26);
    advance_ns(t, 200000);
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x80, 0);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x01);
}
END_TEST

START_TEST(test_update_ended_irq)
{
    wr(RTC_REG_B, 0x12);   /* UIE, 24h, BCD */
    advance_ns(t, NS_PER_SEC / 2);
    ck_assert(!t->level[8]);
    advance_ns(t, NS_PER_SEC / 2);
    ck_assert(t->level[8]);
    uint8_t c = rd(RTC_REG_C);
    ck_assert_uint_eq(c & 0xb0, 0x90);   /* IRQF | UF (PF may be set too: rate 6) */
    ck_assert(!t->level[8]);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x00);
    for (int i = 0; i < 5; i++) {
        advance_ns(t, NS_PER_SEC);
        (void)rd(RTC_REG_C);
    }
    ck_assert_uint_eq(t->rises[8], 6);
}
END_TEST

START_TEST(test_periodic_irq)
{
    wr(RTC_REG_A, 0x26);   /* 1024 Hz */
    wr(RTC_REG_B, 0x42);   /* PIE */
    unsigned n = 0;
    /* Acknowledge each interrupt like a driver: count over 1 s. */
    for (uint64_t ns = 0; ns < NS_PER_SEC; ns += 100000) {
        advance_ns(t, 100000);
        if (t->level[8]) {
            ck_assert_uint_eq(rd(RTC_REG_C) & 0xc0, 0xc0);
            n++;
        }
    }
    ck_assert_uint_eq(n, 1024);
    /* 2 Hz: rate 15 */
    wr(RTC_REG_A, 0x2f);
    (void)rd(RTC_REG_C);
    unsigned before = t->rises[8];
    for (int i = 0; i < 10; i++) {
        advance_ns(t, NS_PER_SEC / 10);
        if (t->level[8])
            (void)rd(RTC_REG_C);
    }
    ck_assert_uint_eq(t->rises[8] - before, 2);
    /* PF is set without PIE, but no interrupt */
    wr(RTC_REG_B, 0x02);
    (void)rd(RTC_REG_C);
    before = t->rises[8];
    advance_ns(t, NS_PER_SEC);
    ck_assert_uint_eq(rd(RTC_REG_C) & 0xc0, 0x40);
    ck_assert_uint_eq(t->rises[8], before);
}
END_TEST

START_TEST(test_alarm)
{
    wr(RTC_SECONDS_ALARM, 0x05);
    wr(RTC_MINUTES_ALARM, 0xc0);   /* don't care */
    wr(RTC_HOURS_ALARM, 0xff);
    wr(RTC_REG_B, 0x22);           /* AIE */
    advance_ns(t, 4 * NS_PER_SEC);
    ck_assert(!t->level[8]);
    advance_ns(t, NS_PER_SEC);
    ck_assert(t->level[8]);
    ck_assert_uint_eq(rd(RTC_REG_C) & 0xa0, 0xa0);
}
END_TEST

START_TEST(test_set_time)
{
    wr(RTC_REG_B, 0x82);   /* SET */
    wr(RTC_YEAR, 0x30);
    wr(RTC_MONTH, 0x06);
    wr(RTC_DAY_OF_MONTH, 0x15);
    wr(RTC_HOURS, 0x12);
    wr(RTC_MINUTES, 0x34);
    wr(RTC_SECONDS, 0x56);
    advance_ns(t, 5 * NS_PER_SEC);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x56);   /* frozen while SET */
    wr(RTC_REG_B, 0x02);
    advance_ns(t, 2 * NS_PER_SEC);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x58);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0x34);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x12);
    ck_assert_uint_eq(rd(RTC_DAY_OF_MONTH), 0x15);
    ck_assert_uint_eq(rd(RTC_YEAR), 0x30);
    ck_assert_uint_eq(rtc_wall_seconds(&rtc), 1907757298ull);   /* 2030-06-15 12:34:58 */
}
END_TEST

START_TEST(test_nvram_nmi_memsize)
{
    wr(0x40, 0xa5);
    ck_assert_uint_eq(rd(0x40), 0xa5);
    outb(t, 0x70, 0x80 | 0x40);
    ck_assert(rtc_nmi_masked(&rtc));
    ck_assert_uint_eq(inb(t, 0x71), 0xa5);
    outb(t, 0x70, 0x0d);
    ck_assert(!rtc_nmi_masked(&rtc));
    wr(RTC_REG_C, 0xff);   /* read-only */
    ck_assert_uint_eq(rd(RTC_REG_C), 0);
    rtc_set_memory_size(&rtc, 3ull << 30, 1ull << 30);
    ck_assert_uint_eq(rd(0x15) | rd(0x16) << 8, 640);
    ck_assert_uint_eq(rd(0x17) | rd(0x18) << 8, 0xffff);
    ck_assert_uint_eq(rd(0x30) | rd(0x31) << 8, 0xffff);
    ck_assert_uint_eq(rd(0x34) | rd(0x35) << 8, ((3ull << 30) - (16 << 20)) >> 16);
    ck_assert_uint_eq(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, (1ull << 30) >> 16);
    rtc_set_memory_size(&rtc, 32ull << 20, 0);
    ck_assert_uint_eq(rd(0x17) | rd(0x18) << 8, 31 * 1024);
    ck_assert_uint_eq(rd(0x34) | rd(0x35) << 8, 256);
    /* every index and value is safe */
    for (unsigned i = 0; i < 256; i++) {
        wr((uint8_t)i, (uint8_t)(i * 7));
        (void)rd((uint8_t)i);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rtc");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_start_time_bcd);
    tcase_add_test(tc, test_binary_12h);
    tcase_add_test(tc, test_leap_and_rollover);
    tcase_add_test(tc, test_uip_window);
    tcase_add_test(tc, test_update_ended_irq);
    tcase_add_test(tc, test_periodic_irq);
    tcase_add_test(tc, test_alarm);
    tcase_add_test(tc, test_set_time);
    tcase_add_test(tc, test_nvram_nmi_memsize);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

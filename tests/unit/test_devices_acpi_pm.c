/* Tests for devices/acpi_pm.c: PM timer rate and width, TMR_STS and SCI,
 * SCI_EN through SMI_CMD, S5 power-off, GPE0, power button. */
#include <check.h>
#include <stdlib.h>

#include "devices/acpi_pm.h"
#include "devices/devtime.h"
#include "device_test_env.h"

static struct test_env *t;
static struct acpi_pm pm;
static int poweroffs, sleeps;
static unsigned last_sleep;

static void on_poweroff(void *o) { (void)o; poweroffs++; }
static void on_sleep(void *o, unsigned typ) { (void)o; sleeps++; last_sleep = typ; }

static void setup(void)
{
    t = test_env_new(0);
    poweroffs = sleeps = 0;
    struct acpi_pm_callbacks cb = {.poweroff = on_poweroff, .sleep = on_sleep, .opaque = NULL};
    acpi_pm_init(&pm, &t->env, &cb);
}

static void teardown(void)
{
    test_env_free(t);
}

START_TEST(test_pm_timer_rate)
{
    uint32_t a = inl(t, ACPI_PM_TMR_BLK);
    advance_ns(t, NS_PER_SEC);
    uint32_t b = inl(t, ACPI_PM_TMR_BLK);
    ck_assert_uint_eq(b - a, ACPI_PM_TIMER_HZ);
    /* 24 bits wide: wraps after 2^24 ticks (~4.69 s) */
    advance_ns(t, 5 * NS_PER_SEC);
    ck_assert_uint_le(inl(t, ACPI_PM_TMR_BLK), 0xffffff);
    ck_assert_uint_eq(inl(t, ACPI_PM_TMR_BLK), (uint32_t)(ns_to_ticks(6 * NS_PER_SEC, ACPI_PM_TIMER_HZ) & 0xffffff));
    /* byte reads work too */
    uint32_t v = inl(t, ACPI_PM_TMR_BLK);
    ck_assert_uint_eq(inb(t, ACPI_PM_TMR_BLK + 2), (v >> 16) & 0xff);
}
END_TEST

START_TEST(test_tmr_sts_sci)
{
    outb(t, ACPI_SMI_CMD, ACPI_ACPI_ENABLE);
    ck_assert_uint_eq(inw(t, ACPI_PM1A_CNT_BLK) & 1, 1);   /* SCI_EN */
    outw(t, ACPI_PM1A_EVT_BLK + 2, ACPI_PM1_TMR);          /* TMR_EN */
    ck_assert(!t->level[9]);
    /* bit 23 toggles every 2^23 ticks = 2.343 s */
    advance_ns(t, 2 * NS_PER_SEC);
    ck_assert(!t->level[9]);
    advance_ns(t, NS_PER_SEC / 2);
    ck_assert(t->level[9]);
    ck_assert_uint_eq(inw(t, ACPI_PM1A_EVT_BLK) & ACPI_PM1_TMR, ACPI_PM1_TMR);
    outw(t, ACPI_PM1A_EVT_BLK, ACPI_PM1_TMR);              /* write 1 to clear */
    ck_assert(!t->level[9]);
    ck_assert_uint_eq(inw(t, ACPI_PM1A_EVT_BLK) & ACPI_PM1_TMR, 0);
    /* SCI disabled: no interrupt, status still set */
    outb(t, ACPI_SMI_CMD, ACPI_ACPI_DISABLE);
    advance_ns(t, 3 * NS_PER_SEC);
    ck_assert(!t->level[9]);
    ck_assert_uint_eq(inw(t, ACPI_PM1A_EVT_BLK) & ACPI_PM1_TMR, ACPI_PM1_TMR);
}
END_TEST

START_TEST(test_power_button_and_gpe)
{
    outb(t, ACPI_SMI_CMD, ACPI_ACPI_ENABLE);
    acpi_pm_power_button(&pm);
    ck_assert(!t->level[9]);   /* not enabled */
    outw(t, ACPI_PM1A_EVT_BLK + 2, ACPI_PM1_PWRBTN);
    ck_assert(t->level[9]);
    outw(t, ACPI_PM1A_EVT_BLK, ACPI_PM1_PWRBTN);
    ck_assert(!t->level[9]);
    acpi_pm_set_gpe(&pm, 1);
    ck_assert(!t->level[9]);
    outb(t, ACPI_GPE0_BLK + 2, 0x02);
    ck_assert(t->level[9]);
    ck_assert_uint_eq(inb(t, ACPI_GPE0_BLK), 0x02);
    outb(t, ACPI_GPE0_BLK, 0x02);
    ck_assert(!t->level[9]);
}
END_TEST

START_TEST(test_sleep)
{
    /* SLP_TYP for S5 with SLP_EN */
    outw(t, ACPI_PM1A_CNT_BLK, (uint16_t)((ACPI_SLP_TYP_S5 << 10) | 0x2000 | 1));
    ck_assert_int_eq(poweroffs, 1);
    ck_assert_uint_eq(inw(t, ACPI_PM1A_CNT_BLK) & 0x2000, 0);   /* SLP_EN write-only */
    outw(t, ACPI_PM1A_CNT_BLK, (uint16_t)((1 << 10) | 0x2000));
    ck_assert_int_eq(sleeps, 1);
    ck_assert_uint_eq(last_sleep, 1);
    /* type without SLP_EN: nothing */
    outw(t, ACPI_PM1A_CNT_BLK, (uint16_t)(ACPI_SLP_TYP_S5 << 10));
    ck_assert_int_eq(poweroffs, 1);
    /* byte write of the high half alone (some OSes) */
    outb(t, ACPI_PM1A_CNT_BLK + 1, (uint8_t)(((ACPI_SLP_TYP_S5 << 10) | 0x2000) >> 8));
    ck_assert_int_eq(poweroffs, 2);
}
END_TEST

START_TEST(test_garbage)
{
    for (unsigned p = 0; p < 16; p++)
        for (unsigned sz = 1; sz <= 4; sz *= 2) {
            iobus_write(&t->io, (uint16_t)(ACPI_PM_BASE + p), 0xffffffffu & ~0x2000u, sz);
            (void)iobus_read(&t->io, (uint16_t)(ACPI_PM_BASE + p), sz);
            iobus_write(&t->io, (uint16_t)(ACPI_GPE0_BLK + (p & 3)), 0xffffffffu, sz);
            (void)iobus_read(&t->io, (uint16_t)(ACPI_GPE0_BLK + (p & 3)), sz);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi_pm");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pm_timer_rate);
    tcase_add_test(tc, test_tmr_sts_sci);
    tcase_add_test(tc, test_power_button_and_gpe);
    tcase_add_test(tc, test_sleep);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

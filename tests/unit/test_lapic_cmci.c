/* IA32_APIC_BASE state transitions (SDM Vol.3A 11.12.5) and the agreement
 * between the local APIC version register's LVT count, LVT CMCI and
 * MCG_CAP.CMCI_P with its MCi_CTL2 registers (SDM Vol.3A 11.4.8, Vol.3B
 * 16.3.1.1, 16.3.2.5). */
#include <check.h>
#include <stdlib.h>

#include "cpu/lapic.h"
#include "cpu/msr.h"
#include "mmu/clock.h"
#include "tests/unit/harness.h"

static struct harness h;
static struct clock clk;
static struct lapic apic;

#define APIC_BASE_DEFAULT (0xfee00000ull | APIC_BASE_BSP)

static void setup(void)
{
    harness_init(&h, 32);
    clock_init(&clk, 0, false);
    lapic_init(&apic, &h.cpu, &clk, 0);
    h.cpu.apic_base = APIC_BASE_DEFAULT | APIC_BASE_EN;
    lapic_reset(&apic, true);
}

static void teardown(void)
{
    h.cpu.lapic = NULL;
    harness_free(&h);
}

static bool wr(uint32_t msr, uint64_t v)
{
    return msr_write(&h.cpu, msr, v);
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0xdeadbeef;
    ck_assert_msg(msr_read(&h.cpu, msr, &v), "MSR %#x should exist", msr);
    return v;
}

START_TEST(disabled_to_x2apic_directly_is_refused)
{
    const uint64_t xapic = APIC_BASE_DEFAULT | APIC_BASE_EN;
    const uint64_t x2apic = xapic | APIC_BASE_EXTD;
    ck_assert(wr(MSR_APIC_BASE, APIC_BASE_DEFAULT)); /* disable */
    ck_assert(!wr(MSR_APIC_BASE, x2apic));
    ck_assert_uint_eq(rd(MSR_APIC_BASE), APIC_BASE_DEFAULT);
    /* Disabled -> xAPIC -> x2APIC is the way. */
    ck_assert(wr(MSR_APIC_BASE, xapic));
    ck_assert(wr(MSR_APIC_BASE, x2apic));
    ck_assert(lapic_x2apic(&apic));
    /* The other invalid transitions stay refused; x2APIC -> disabled is fine. */
    ck_assert(!wr(MSR_APIC_BASE, xapic));
    ck_assert(!wr(MSR_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_EXTD));
    ck_assert(wr(MSR_APIC_BASE, APIC_BASE_DEFAULT));
    ck_assert(!wr(MSR_APIC_BASE, x2apic));
}
END_TEST

START_TEST(lvt_count_lvt_cmci_and_mcg_cap_agree)
{
    uint32_t lvr = lapic_mmio_read(&apic, LAPIC_VER);
    ck_assert_uint_eq(lvr & 0xff, 0x14);
    ck_assert_uint_eq((lvr >> 16) & 0xff, 6); /* 7 LVT entries: CMCI included */
    ck_assert_uint_eq(rd(MSR_MCG_CAP) & (1u << 10), 1u << 10);
    /* LVT CMCI exists: masked after reset, writable, in xAPIC and x2APIC. */
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_LVT_CMCI), LAPIC_LVT_MASKED);
    lapic_mmio_write(&apic, LAPIC_SVR, 0x1ff); /* software-enabled: LVT masks can clear */
    lapic_mmio_write(&apic, LAPIC_LVT_CMCI, 0xf3);
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_LVT_CMCI), 0xf3);
    ck_assert(wr(MSR_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_EN | APIC_BASE_EXTD));
    ck_assert_uint_eq(rd(0x82f), 0xf3);
    ck_assert(wr(0x82f, LAPIC_LVT_MASKED | 0xf3));
    ck_assert_uint_eq((rd(0x803) >> 16) & 0xff, 6);
}
END_TEST

START_TEST(mci_ctl2_registers_exist_per_bank)
{
    for (uint32_t i = 0; i < MCE_BANKS; i++) {
        ck_assert_uint_eq(rd(0x280 + i), 0);
        ck_assert(wr(0x280 + i, (1ull << 30) | 1)); /* CMCI_EN, threshold 1 */
        ck_assert_uint_eq(rd(0x280 + i), (1ull << 30) | 1);
        ck_assert(!wr(0x280 + i, 1ull << 31)); /* reserved */
        ck_assert(!wr(0x280 + i, 1ull << 15));
    }
    uint64_t v;
    ck_assert(!msr_read(&h.cpu, 0x280 + MCE_BANKS, &v));
}
END_TEST

static Suite *lapic_cmci_suite(void)
{
    Suite *s = suite_create("lapic_cmci");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, disabled_to_x2apic_directly_is_refused);
    tcase_add_test(tc, lvt_count_lvt_cmci_and_mcg_cap_agree);
    tcase_add_test(tc, mci_ctl2_registers_exist_per_bank);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lapic_cmci_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

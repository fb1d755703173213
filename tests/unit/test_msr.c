/* The MSR store: existence, reserved bits, read-only MSRs, lock bits, the
 * EFER rules and the RDMSR/WRMSR instructions (SDM Vol.4 table 2-2). */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/msr.h"
#include "cpu/tsc.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

static struct harness h;

static void setup(void)
{
    harness_init(&h, 32);
}

static void teardown(void)
{
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

START_TEST(unknown_and_absent_msrs_fault)
{
    uint64_t v;
    ck_assert(!msr_read(&h.cpu, 0x12345, &v));
    h.cpu.vmx_off = true; /* -cpu NAME,vmx=off hides the VMX capability MSRs */
    ck_assert(!msr_read(&h.cpu, MSR_VMX_BASIC, &v));
    h.cpu.vmx_off = false;
    ck_assert(msr_read(&h.cpu, MSR_VMX_BASIC, &v));
    ck_assert(!msr_read(&h.cpu, 0xe1, &v));          /* UMWAIT_CONTROL */
    ck_assert(!msr_read(&h.cpu, 0x802, &v));         /* x2APIC without a local APIC */
    ck_assert(!msr_read(&h.cpu, MSR_TSC_DEADLINE, &v));
    ck_assert(!wr(0x12345, 0));
}
END_TEST

START_TEST(efer_rules)
{
    ck_assert(wr(MSR_EFER, EFER_SCE | EFER_NXE));
    ck_assert_uint_eq(rd(MSR_EFER), EFER_SCE | EFER_NXE);
    ck_assert(!wr(MSR_EFER, 1ull << 1)); /* reserved */
    ck_assert(!wr(MSR_EFER, 1ull << 63));
    /* LMA is read-only: writing it changes nothing. */
    ck_assert(wr(MSR_EFER, EFER_LMA));
    ck_assert_uint_eq(rd(MSR_EFER) & EFER_LMA, 0);
    /* LME cannot change while paging is enabled. */
    h.cpu.cr0 |= CR0_PG;
    ck_assert(!wr(MSR_EFER, EFER_LME));
    h.cpu.cr0 &= ~CR0_PG;
    ck_assert(wr(MSR_EFER, EFER_LME));
}
END_TEST

START_TEST(pat_and_mtrr_validity)
{
    ck_assert_uint_eq(rd(MSR_PAT), 0x0007040600070406ull);
    ck_assert(wr(MSR_PAT, 0x0007010600070106ull));
    ck_assert(!wr(MSR_PAT, 0x0007040600070402ull)); /* type 2 is reserved */
    ck_assert(!wr(MSR_PAT, 0x0807040600070406ull));
    uint64_t cap = rd(MSR_MTRRCAP);
    ck_assert_uint_eq(cap & 0xff, MTRR_VAR_COUNT);
    ck_assert(cap & (1u << 8));
    ck_assert(!wr(MSR_MTRRCAP, 0));
    ck_assert(wr(MSR_MTRR_DEF_TYPE, (1u << 11) | (1u << 10) | 6));
    ck_assert(!wr(MSR_MTRR_DEF_TYPE, 2));
    ck_assert(!wr(MSR_MTRR_DEF_TYPE, 1u << 12));
    ck_assert(wr(MSR_MTRR_PHYSBASE0, 0x80000006ull));
    ck_assert(!wr(MSR_MTRR_PHYSBASE0, 0x80000003ull));       /* type 3 */
    ck_assert(!wr(MSR_MTRR_PHYSBASE0, 1ull << h.cpu.model->phys_bits));  /* above MAXPHYADDR */
    ck_assert(wr(MSR_MTRR_PHYSBASE0 + 1, 0x7f80000800ull));
    ck_assert(!wr(MSR_MTRR_PHYSBASE0 + 1, 0x7f80000801ull)); /* mask bits 10:0 */
    ck_assert(!msr_write(&h.cpu, MSR_MTRR_PHYSBASE0 + 2 * MTRR_VAR_COUNT, 0));
    ck_assert(wr(MSR_MTRR_FIX64K_00000, 0x0606060606060606ull));
    ck_assert(!wr(MSR_MTRR_FIX4K_C0000 + 7, 0x0606060606060602ull));
}
END_TEST

START_TEST(feature_control_lock)
{
    ck_assert_uint_eq(rd(MSR_FEATURE_CONTROL), 0);
    h.cpu.vmx_off = true;
    ck_assert(!wr(MSR_FEATURE_CONTROL, FEATURE_CONTROL_VMX)); /* VMX hidden: #GP */
    h.cpu.vmx_off = false;
    ck_assert(wr(MSR_FEATURE_CONTROL, FEATURE_CONTROL_LOCKED));
    ck_assert(!wr(MSR_FEATURE_CONTROL, 0));
    ck_assert_uint_eq(rd(MSR_FEATURE_CONTROL), FEATURE_CONTROL_LOCKED);
    cpu_reset(&h.cpu, false);
    ck_assert_uint_eq(rd(MSR_FEATURE_CONTROL), 0);
}
END_TEST

START_TEST(canonical_bases)
{
    ck_assert(wr(MSR_FS_BASE, 0xffff800000001000ull));
    ck_assert_uint_eq(h.cpu.seg[S_FS].base, 0xffff800000001000ull);
    ck_assert(!wr(MSR_GS_BASE, 0x0000800000000000ull));
    ck_assert(!wr(MSR_KERNEL_GS_BASE, 0x0001000000000000ull));
    ck_assert(!wr(MSR_LSTAR, 0x8000000000000000ull));
    ck_assert(!wr(MSR_SYSENTER_EIP, 0x0000900000000000ull));
    ck_assert(wr(MSR_STAR, 0x0023001000000000ull));
    ck_assert(!wr(MSR_SFMASK, 1ull << 32));
    ck_assert(wr(MSR_TSC_AUX, 7));
    ck_assert(!wr(MSR_TSC_AUX, 1ull << 32));
}
END_TEST

START_TEST(arch_capabilities_read_only_and_truthful)
{
    uint64_t v = rd(MSR_ARCH_CAPABILITIES);
    ck_assert(v & ARCH_CAP_RDCL_NO);
    ck_assert(v & ARCH_CAP_MDS_NO);
    ck_assert(v & ARCH_CAP_TAA_NO);
    ck_assert(!(v & (1ull << 7))); /* no TSX_CTRL MSR */
    ck_assert(!wr(MSR_ARCH_CAPABILITIES, 0));
    ck_assert(wr(MSR_SPEC_CTRL, 1));
    ck_assert(!wr(MSR_SPEC_CTRL, 8));
    ck_assert(wr(MSR_PRED_CMD, 1));
    ck_assert(!wr(MSR_PRED_CMD, 2));
    uint64_t dummy;
    ck_assert(!msr_read(&h.cpu, MSR_PRED_CMD, &dummy)); /* write-only */
}
END_TEST

START_TEST(tsc_write_sets_offset_and_adjust)
{
    uint64_t before = rd(MSR_TSC);
    ck_assert(wr(MSR_TSC, before + 1000000));
    uint64_t after = rd(MSR_TSC);
    ck_assert_uint_ge(after, before + 1000000);
    ck_assert_uint_eq(rd(MSR_TSC_ADJUST), 1000000);
    ck_assert(wr(MSR_TSC_ADJUST, 0));
    ck_assert_uint_eq(rd(MSR_TSC), cpu_tsc(&h.cpu));
    ck_assert_uint_lt(rd(MSR_TSC), before + 1000);
}
END_TEST

START_TEST(performance_counters)
{
    ck_assert(wr(MSR_PMC0 + 3, 0x80000000u));
    ck_assert_uint_eq(rd(MSR_PMC0 + 3), 0xffff80000000ull); /* sign-extended, 48 bits */
    ck_assert(wr(MSR_PERFEVTSEL0, 0x4300c0));
    ck_assert(!wr(MSR_PERFEVTSEL0, 1ull << 32));
    uint64_t dummy;
    ck_assert(!msr_read(&h.cpu, MSR_PMC0 + 4, &dummy));
    ck_assert(wr(MSR_FIXED_CTR0 + 2, 5));
    ck_assert(!msr_read(&h.cpu, MSR_FIXED_CTR0 + 3, &dummy));
    ck_assert(wr(MSR_FIXED_CTR_CTRL, 0x333));
    ck_assert(!wr(MSR_FIXED_CTR_CTRL, 0x1000));
    ck_assert(wr(MSR_PERF_GLOBAL_CTRL, 0x70000000full));
    ck_assert(!wr(MSR_PERF_GLOBAL_CTRL, 0x10));
    ck_assert(!wr(MSR_PERF_GLOBAL_STATUS, 0));
    ck_assert(wr(MSR_PERF_GLOBAL_OVF_CTRL, 1));
}
END_TEST

START_TEST(machine_check_banks)
{
    ck_assert_uint_eq(rd(MSR_MCG_CAP) & 0xff, MCE_BANKS);
    ck_assert(wr(MSR_MC0_CTL + 4 * (MCE_BANKS - 1), ~0ull));
    ck_assert(wr(MSR_MC0_CTL + 1, 0));
    ck_assert(!wr(MSR_MC0_CTL + 1, 1));
    uint64_t dummy;
    ck_assert(!msr_read(&h.cpu, MSR_MC0_CTL + 4 * MCE_BANKS, &dummy));
    ck_assert(!msr_read(&h.cpu, 0x17b, &dummy)); /* no MCG_CTL */
}
END_TEST

START_TEST(misc_enable_fixed_bits)
{
    uint64_t v = rd(MSR_MISC_ENABLE);
    ck_assert(v & 1);
    ck_assert(v & (1u << 11));
    ck_assert(wr(MSR_MISC_ENABLE, v | (1ull << 22)));
    ck_assert(!wr(MSR_MISC_ENABLE, v & ~(1ull << 11)));
}
END_TEST

START_TEST(skylake_lbr_msrs_exist)
{
    /* Linux resets them from the family/model alone on bare metal. */
    ck_assert(wr(MSR_LBR_FROM_0 + 31, 0));
    ck_assert(wr(MSR_LBR_TO_0, 0x1234));
    ck_assert_uint_eq(rd(MSR_LBR_TO_0), 0x1234);
    ck_assert(wr(MSR_LBR_INFO_0 + 5, 0));
    ck_assert(wr(MSR_LBR_TOS, 31));
    ck_assert(!wr(MSR_LBR_TOS, 32));
    ck_assert(wr(MSR_LBR_SELECT, 0x3ff));
    ck_assert(!wr(MSR_LBR_SELECT, 0x400));
    ck_assert(!wr(MSR_LBR_FROM_0 + 32, 0));
    /* The microcode loader reads IA32_PLATFORM_ID on bare metal. */
    ck_assert_uint_eq((rd(MSR_PLATFORM_ID) >> 50) & 7, 1);
    ck_assert(!wr(MSR_PLATFORM_ID, 0));
}
END_TEST

START_TEST(rdmsr_wrmsr_instructions)
{
    /* mov ecx, 0x277 ; rdmsr ; mov ecx, 0xc0000081 ; wrmsr ; hlt */
    static const uint8_t code[] = {0xb9, 0x77, 0x02, 0x00, 0x00, 0x0f, 0x32,
                                   0xb9, 0x81, 0x00, 0x00, 0xc0, 0x0f, 0x30, 0xf4};
    harness_load(&h, 0x10000, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, 0x10000, 100), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x00070406);
    ck_assert_uint_eq(h.cpu.gpr[R_DX], 0x00070406);
    ck_assert_uint_eq(h.cpu.star, 0x0007040600070406ull);
}
END_TEST

static Suite *msr_suite(void)
{
    Suite *s = suite_create("msr");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unknown_and_absent_msrs_fault);
    tcase_add_test(tc, efer_rules);
    tcase_add_test(tc, pat_and_mtrr_validity);
    tcase_add_test(tc, feature_control_lock);
    tcase_add_test(tc, canonical_bases);
    tcase_add_test(tc, arch_capabilities_read_only_and_truthful);
    tcase_add_test(tc, tsc_write_sets_offset_and_adjust);
    tcase_add_test(tc, performance_counters);
    tcase_add_test(tc, machine_check_banks);
    tcase_add_test(tc, misc_enable_fixed_bits);
    tcase_add_test(tc, skylake_lbr_msrs_exist);
    tcase_add_test(tc, rdmsr_wrmsr_instructions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(msr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

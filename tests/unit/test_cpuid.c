/* The CPUID model: vendor, signature, feature bits that follow the ISA
 * mask, topology, TSC frequency leaves, address sizes (SDM Vol.2 CPUID). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"

static struct harness h;
static uint32_t r[4];

static void setup(void)
{
    harness_init(&h, 32);
}

static void teardown(void)
{
    harness_free(&h);
}

static void q(uint32_t leaf, uint32_t sub)
{
    cpuid_query(&h.cpu, leaf, sub, r);
}

START_TEST(default_model_identity)
{
    ck_assert_str_eq(cpu_models[0]->name, "turtles-skylake");
    ck_assert_ptr_eq(cpu_model_find("turtles-skylake"), cpu_models[0]);
    ck_assert_ptr_null(cpu_model_find("pentium"));
    q(0, 0);
    ck_assert_uint_ge(r[0], 0x16);
    char vendor[13] = {0};
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    ck_assert_str_eq(vendor, "GenuineIntel");
    q(1, 0);
    ck_assert_uint_eq(r[0], 0x906ea);
    /* Not on kvm_intel's VMX-preemption-timer erratum list. */
    static const uint32_t erratum[] = {0x206e6, 0x20652, 0x20655, 0x106e5, 0x106a0,
                                       0x106a1, 0x106a4, 0x106a5, 0x306a8};
    for (unsigned i = 0; i < sizeof(erratum) / sizeof(erratum[0]); i++)
        ck_assert_uint_ne(r[0] & ~0xf000u, erratum[i]);
}
END_TEST

START_TEST(vmx_off_hides_vmx)
{
    h.cpu.vmx_off = true; /* -cpu NAME,vmx=off */
    q(1, 0);
    ck_assert(!(r[2] & (1u << 5)));
    h.cpu.vmx_off = false;
}
END_TEST

START_TEST(leaf1_features)
{
    q(1, 0);
    ck_assert(!(r[2] & (1u << 31))); /* no hypervisor bit: turtles is the hardware */
    ck_assert(r[2] & (1u << 5));     /* VMX offered by the default model */
    ck_assert(!(r[2] & (1u << 3)));  /* MONITOR not emulated */
    ck_assert(r[3] & (1u << 5));     /* MSR */
    ck_assert(r[3] & (1u << 11));    /* SEP */
    ck_assert(!(r[3] & (1u << 9)));  /* no local APIC in the harness */
    bool x87 = (cpu_models[0]->isa_mask >> ISA_X87) & 1;
    ck_assert_int_eq(!!(r[3] & 1u), x87);
    bool sse2 = (cpu_models[0]->isa_mask >> ISA_SSE2) & 1;
    ck_assert_int_eq(!!(r[3] & (1u << 26)), sse2);
    /* OSXSAVE mirrors CR4. */
    ck_assert(!(r[2] & (1u << 27)));
    ck_assert_uint_eq(r[1] >> 24, 0); /* APIC ID of vCPU 0 */
}
END_TEST

START_TEST(extended_leaves)
{
    q(0x80000000, 0);
    ck_assert_uint_eq(r[0], 0x80000008);
    q(0x80000001, 0);
    ck_assert(r[3] & (1u << 29)); /* LM */
    ck_assert(r[3] & (1u << 11)); /* SYSCALL */
    ck_assert(r[3] & (1u << 20)); /* NX */
    q(0x80000008, 0);
    ck_assert_uint_eq(r[0] & 0xff, 39);
    ck_assert_uint_eq((r[0] >> 8) & 0xff, 48);
    q(0x80000007, 0);
    ck_assert(r[3] & (1u << 8)); /* invariant TSC */
    q(0x80000002, 0);
    ck_assert(memcmp(r, "Turtles", 7) == 0);
}
END_TEST

START_TEST(tsc_frequency_leaves_agree_with_model)
{
    q(0x15, 0);
    ck_assert_uint_ne(r[0], 0);
    uint64_t hz = (uint64_t)r[2] * r[1] / r[0];
    ck_assert_uint_eq(hz, cpu_models[0]->tsc_hz);
    q(0x16, 0);
    ck_assert_uint_eq((uint64_t)r[0] * 1000000u, cpu_models[0]->tsc_hz);
}
END_TEST

START_TEST(topology_and_caches)
{
    q(0xb, 0);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_uint_eq((r[2] >> 8) & 0xff, 1); /* SMT level */
    q(0xb, 1);
    ck_assert_uint_eq(r[1], 1);               /* one vCPU in the harness */
    ck_assert_uint_eq((r[2] >> 8) & 0xff, 2); /* core level */
    q(0xb, 2);
    ck_assert_uint_eq((r[2] >> 8) & 0xff, 0);
    q(4, 0);
    ck_assert_uint_eq(r[0] & 0x1f, 1); /* data cache */
    uint32_t size = (((r[1] >> 22) & 0x3ff) + 1) * (((r[1] >> 12) & 0x3ff) + 1) *
                    ((r[1] & 0xfff) + 1) * (r[2] + 1);
    ck_assert_uint_eq(size, 32 * 1024);
    q(4, 4);
    ck_assert_uint_eq(r[0] & 0x1f, 0); /* no more caches */
}
END_TEST

START_TEST(pmu_leaf_matches_msrs)
{
    q(0xa, 0);
    ck_assert_uint_ge(r[0] & 0xff, 2);
    ck_assert_uint_eq((r[0] >> 8) & 0xff, 4);
    ck_assert_uint_eq(r[3] & 0x1f, 3);
}
END_TEST

START_TEST(leaf7_and_out_of_range)
{
    q(7, 0);
    ck_assert(r[1] & (1u << 7)); /* SMEP */
    bool fsgs = (cpu_models[0]->isa_mask >> ISA_FSGSBASE) & 1;
    ck_assert_int_eq(!!(r[1] & 1u), fsgs);
    ck_assert(r[3] & (1u << 29)); /* ARCH_CAPABILITIES */
    uint32_t last[4];
    q(0x16, 0);
    memcpy(last, r, sizeof(last));
    q(0x40000000, 0); /* beyond the basic range: highest basic leaf */
    ck_assert(memcmp(last, r, sizeof(last)) == 0);
}
END_TEST

START_TEST(cpuid_instruction)
{
    /* xor eax, eax ; cpuid ; hlt */
    static const uint8_t code[] = {0x31, 0xc0, 0x0f, 0xa2, 0xf4};
    harness_load(&h, 0x10000, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, 0x10000, 10), 0);
    ck_assert_uint_eq(h.cpu.gpr[R_BX], 0x756e6547); /* "Genu" */
}
END_TEST

static Suite *cpuid_suite(void)
{
    Suite *s = suite_create("cpuid");
    TCase *tc = tcase_create("model");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, default_model_identity);
    tcase_add_test(tc, leaf1_features);
    tcase_add_test(tc, vmx_off_hides_vmx);
    tcase_add_test(tc, extended_leaves);
    tcase_add_test(tc, tsc_frequency_leaves_agree_with_model);
    tcase_add_test(tc, topology_and_caches);
    tcase_add_test(tc, pmu_leaf_matches_msrs);
    tcase_add_test(tc, leaf7_and_out_of_range);
    tcase_add_test(tc, cpuid_instruction);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cpuid_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Architectural performance monitoring version 2 (cpu/pmu.c): CPUID.0AH,
 * counting of retired instructions, core and reference cycles at the right
 * CPLs, the enable bits (IA32_PERFEVTSELx.EN/USR/OS, IA32_FIXED_CTR_CTRL,
 * IA32_PERF_GLOBAL_CTRL), CMASK/INV, overflow into IA32_PERF_GLOBAL_STATUS
 * with the PMI through LVT PERF, and RDPMC with CR4.PCE (SDM Vol.3B 20.2). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/insn.h"
#include "cpu/lapic.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"
#include "cpu/pmu.h"
#include "mmu/clock.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

#define CODE 0x10000u
#define PMI_VECTOR 0x40u
#define EVT_INSNS 0x00c0ull
#define EVT_CORE 0x003cull
#define EVT_REF 0x013cull
#define CTR_MASK ((1ull << PMU_COUNTER_BITS) - 1)
#define FIXED_GLOBAL(j) (1ull << (32 + (j)))

static struct harness h;
static struct clock clk;
static struct lapic apic;

static void setup(void)
{
    harness_init(&h, 32);
    clock_init(&clk, 0, false);
    h.cpu.bus.clock = &clk;
    lapic_init(&apic, &h.cpu, &clk, 0);
    h.cpu.apic_base = 0xfee00000ull | APIC_BASE_BSP | APIC_BASE_EN;
    lapic_reset(&apic, true);
    lapic_mmio_write(&apic, LAPIC_SVR, 0x1ff); /* software-enable the APIC */
    /* Start from everything off (reset enables the GLOBAL_CTRL bits). */
    ck_assert(msr_write(&h.cpu, MSR_PERF_GLOBAL_CTRL, 0));
}

static void teardown(void)
{
    h.cpu.lapic = NULL;
    harness_free(&h);
}

static void wr(uint32_t msr, uint64_t v)
{
    ck_assert_msg(msr_write(&h.cpu, msr, v), "WRMSR %#x <- %#llx", msr, (unsigned long long)v);
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0xdeadbeef;
    ck_assert_msg(msr_read(&h.cpu, msr, &v), "RDMSR %#x", msr);
    return v;
}

/* n NOPs and a HLT at CODE. */
static void load_nops_hlt(unsigned n)
{
    uint8_t *code = malloc(n + 1);
    memset(code, 0x90, n);
    code[n] = 0xf4;
    harness_load(&h, CODE, code, n + 1);
    free(code);
}

/* Run at CODE until HLT, however often a counter overflow ends the turn. */
static void run_to_hlt(void)
{
    int r = harness_run(&h, CODE, 100000);
    while (r == -2 && !h.cpu.halted) {
        h.cpu.quantum_end = h.cpu.icount + 100000;
        cpu_run(&h.cpu);
        r = h.cpu.halted ? 0 : -2;
    }
    ck_assert_int_eq(r, 0);
}

static bool irr_has(unsigned vector)
{
    return (lapic_mmio_read(&apic, LAPIC_IRR + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

START_TEST(cpuid_leaf_0a_claims_what_is_counted)
{
    uint32_t r[4];
    cpuid_query(&h.cpu, 0xa, 0, r);
    ck_assert_uint_eq(r[0] & 0xff, 2);                         /* version 2 */
    ck_assert_uint_eq((r[0] >> 8) & 0xff, PMU_GP_COUNTERS);
    ck_assert_uint_eq((r[0] >> 16) & 0xff, PMU_COUNTER_BITS);
    /* Core cycles, instructions, reference cycles available (within the
     * EBX vector length, EBX bit clear); LLC, branch and branch-miss
     * events not (beyond the length). */
    ck_assert_uint_eq(r[0] >> 24, 3);
    ck_assert_uint_eq(r[1] & 0x7, 0);
    ck_assert_uint_eq(r[3] & 0x1f, PMU_FIXED_COUNTERS);
    ck_assert_uint_eq((r[3] >> 5) & 0xff, PMU_COUNTER_BITS);
    /* Reference cycles tick at the crystal clock CPUID.15H enumerates. */
    cpuid_query(&h.cpu, 0x15, 0, r);
    ck_assert_uint_eq(r[2], PMU_REF_HZ);
}
END_TEST

START_TEST(counts_instructions_core_and_reference_cycles)
{
    wr(MSR_PERFEVTSEL0, PMU_SEL_EN | PMU_SEL_OS | PMU_SEL_USR | EVT_INSNS);
    wr(MSR_PERFEVTSEL0 + 1, PMU_SEL_EN | PMU_SEL_OS | PMU_SEL_USR | EVT_CORE);
    wr(MSR_PERFEVTSEL0 + 2, PMU_SEL_EN | PMU_SEL_OS | PMU_SEL_USR | EVT_REF);
    wr(MSR_FIXED_CTR_CTRL, 0x333);
    wr(MSR_PERF_GLOBAL_CTRL, 0x7 | FIXED_GLOBAL(0) | FIXED_GLOBAL(1) | FIXED_GLOBAL(2));
    load_nops_hlt(999);
    run_to_hlt();
    /* 999 NOPs and the HLT retire; at 1 ns per instruction a 24 MHz
     * crystal ticks 24 times in 1000 ns. */
    ck_assert_uint_eq(rd(MSR_PMC0), 1000);
    ck_assert_uint_eq(rd(MSR_PMC0 + 1), 1000);
    ck_assert_uint_eq(rd(MSR_PMC0 + 2), 24);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 1000);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0 + 1), 1000);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0 + 2), 24);
    /* A halted core counts nothing, however long it stays halted. */
    clock_advance_insns(&clk, 100000);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0 + 1), 1000);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0 + 2), 24);
}
END_TEST

START_TEST(reference_cycles_follow_the_icount_shift)
{
    clk.icount_shift = 3; /* 8 ns per instruction */
    wr(MSR_FIXED_CTR_CTRL, 0x300);
    wr(MSR_PERF_GLOBAL_CTRL, FIXED_GLOBAL(2));
    load_nops_hlt(999);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0 + 2), 8000 * 24 / 1000);
}
END_TEST

START_TEST(wrmsr_counts_with_the_settings_it_replaces)
{
    /* mov ecx, GLOBAL_CTRL; mov eax, 1; xor edx, edx; wrmsr (enables);
     * 10 NOPs; xor eax, eax; wrmsr (disables); hlt. As on hardware the
     * enabling WRMSR is not counted and the disabling one is. */
    static const uint8_t head[] = {0xb9, 0x8f, 0x03, 0, 0, 0xb8, 1, 0, 0, 0, 0x31, 0xd2, 0x0f, 0x30};
    static const uint8_t tail[] = {0x31, 0xc0, 0x0f, 0x30, 0xf4};
    uint8_t code[sizeof(head) + 10 + sizeof(tail)];
    memcpy(code, head, sizeof(head));
    memset(code + sizeof(head), 0x90, 10);
    memcpy(code + sizeof(head) + 10, tail, sizeof(tail));
    harness_load(&h, CODE, code, sizeof(code));
    wr(MSR_PERFEVTSEL0, PMU_SEL_EN | PMU_SEL_OS | EVT_INSNS);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_PMC0), 10 + 2);
    ck_assert_uint_eq(rd(MSR_PERF_GLOBAL_CTRL), 0);
}
END_TEST

START_TEST(counts_by_cpl)
{
    sys_gdt_flat(&h, 0xc);
    /* PMC0 counts at CPL 0 only, PMC1 at CPL > 0 only, fixed counter 0 at
     * both, fixed counter 1 at CPL > 0 only. */
    wr(MSR_PERFEVTSEL0, PMU_SEL_EN | PMU_SEL_OS | EVT_INSNS);
    wr(MSR_PERFEVTSEL0 + 1, PMU_SEL_EN | PMU_SEL_USR | EVT_INSNS);
    wr(MSR_FIXED_CTR_CTRL, 0x23);
    wr(MSR_PERF_GLOBAL_CTRL, 0x3 | FIXED_GLOBAL(0) | FIXED_GLOBAL(1));
    load_nops_hlt(99);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_PMC0), 100);
    ck_assert_uint_eq(rd(MSR_PMC0 + 1), 0);

    /* Ring 3: NOPs then jmp $ until the instruction limit. */
    sys_to_ring3(&h.cpu, 0x1b, 0x23);
    static const uint8_t spin[] = {0x90, 0x90, 0x90, 0xeb, 0xfe};
    harness_load(&h, CODE, spin, sizeof(spin));
    uint64_t before = h.cpu.icount;
    ck_assert_int_eq(harness_run(&h, CODE, 5000), -2);
    uint64_t user = h.cpu.icount - before;
    ck_assert_uint_ge(user, 5000);
    ck_assert_uint_eq(rd(MSR_PMC0), 100);
    ck_assert_uint_eq(rd(MSR_PMC0 + 1), user);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 100 + user);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0 + 1), user);
}
END_TEST

START_TEST(enable_bits_gate_counting)
{
    load_nops_hlt(49);
    /* Locally enabled, globally disabled. */
    wr(MSR_PERFEVTSEL0, PMU_SEL_EN | PMU_SEL_OS | PMU_SEL_USR | EVT_INSNS);
    wr(MSR_FIXED_CTR_CTRL, 0x3);
    ck_assert(!h.cpu.pmu_enabled);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_PMC0), 0);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 0);
    /* Globally enabled, EN clear / no privilege level selected. */
    wr(MSR_PERFEVTSEL0, PMU_SEL_OS | PMU_SEL_USR | EVT_INSNS);
    wr(MSR_PERFEVTSEL0 + 1, PMU_SEL_EN | EVT_INSNS);
    wr(MSR_FIXED_CTR_CTRL, 0);
    wr(MSR_PERF_GLOBAL_CTRL, 0x3 | FIXED_GLOBAL(0));
    ck_assert(!h.cpu.pmu_enabled);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_PMC0), 0);
    ck_assert_uint_eq(rd(MSR_PMC0 + 1), 0);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 0);
    /* Both: counts. */
    wr(MSR_FIXED_CTR_CTRL, 0x1);
    ck_assert(h.cpu.pmu_enabled);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 50);
}
END_TEST

START_TEST(cmask_inv_and_uncounted_events)
{
    const uint64_t base = PMU_SEL_EN | PMU_SEL_OS | EVT_INSNS;
    wr(MSR_PERFEVTSEL0, base | (2ull << 24));                 /* >= 2 per cycle: never */
    wr(MSR_PERFEVTSEL0 + 1, base | (1ull << 24));             /* >= 1 per cycle: always */
    wr(MSR_PERFEVTSEL0 + 2, base | (2ull << 24) | PMU_SEL_INV); /* < 2 per cycle: always */
    wr(MSR_PERFEVTSEL0 + 3, PMU_SEL_EN | PMU_SEL_OS | 0x00c4); /* branches: not counted */
    wr(MSR_PERF_GLOBAL_CTRL, 0xf);
    load_nops_hlt(99);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_PMC0), 0);
    ck_assert_uint_eq(rd(MSR_PMC0 + 1), 100);
    ck_assert_uint_eq(rd(MSR_PMC0 + 2), 100);
    ck_assert_uint_eq(rd(MSR_PMC0 + 3), 0);
}
END_TEST

START_TEST(counter_writes_sign_extend_or_are_full_width)
{
    wr(MSR_PMC0, 0x80000000u);
    ck_assert_uint_eq(rd(MSR_PMC0), 0xffff80000000ull);
    wr(MSR_PMC0, 0xff0123456789ull); /* bits 63:32 are not written */
    ck_assert_uint_eq(rd(MSR_PMC0), 0x23456789u);
    wr(MSR_FIXED_CTR0, 0xff0123456789ull);
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 0xff0123456789ull);
    ck_assert(!msr_write(&h.cpu, MSR_FIXED_CTR0, 1ull << PMU_COUNTER_BITS));
    ck_assert(!msr_write(&h.cpu, MSR_PERF_GLOBAL_STATUS, 0));
}
END_TEST

START_TEST(overflow_sets_status_and_raises_the_pmi_promptly)
{
    lapic_mmio_write(&apic, LAPIC_LVT_PERF, PMI_VECTOR);
    wr(MSR_PMC0, (uint64_t)-10);
    wr(MSR_PERFEVTSEL0, PMU_SEL_EN | PMU_SEL_OS | PMU_SEL_INT | EVT_INSNS);
    wr(MSR_PERF_GLOBAL_CTRL, 1);
    load_nops_hlt(2999);
    /* The turn ends in the block where the counter wraps, with the status
     * bit and the interrupt request already there. */
    uint64_t start = h.cpu.icount;
    ck_assert_int_eq(harness_run(&h, CODE, 100000), -2);
    ck_assert_uint_ge(h.cpu.icount - start, 10);
    ck_assert_uint_le(h.cpu.icount - start, 10 + 64);
    ck_assert_uint_eq(h.cpu.perf_global_status, 1);
    ck_assert(irr_has(PMI_VECTOR));
    /* SDM Vol.3A 11.5.1: delivery masks LVT PERF. */
    ck_assert(lapic_mmio_read(&apic, LAPIC_LVT_PERF) & LAPIC_LVT_MASKED);
    ck_assert_uint_eq(rd(MSR_PMC0), h.cpu.icount - start - 10);
    /* IA32_PERF_GLOBAL_OVF_CTRL clears the status bit. */
    wr(MSR_PERF_GLOBAL_OVF_CTRL, 1);
    ck_assert_uint_eq(rd(MSR_PERF_GLOBAL_STATUS), 0);
    /* The counter goes on from 0. */
    h.cpu.quantum_end = h.cpu.icount + 100000;
    cpu_run(&h.cpu);
    ck_assert(h.cpu.halted);
    ck_assert_uint_eq(rd(MSR_PMC0), 3000 - 10);
}
END_TEST

START_TEST(overflow_without_int_raises_no_pmi)
{
    lapic_mmio_write(&apic, LAPIC_LVT_PERF, PMI_VECTOR);
    wr(MSR_FIXED_CTR0 + 1, CTR_MASK - 4);
    wr(MSR_FIXED_CTR_CTRL, 0x10); /* fixed counter 1 at CPL 0, no PMI */
    wr(MSR_PERF_GLOBAL_CTRL, FIXED_GLOBAL(1));
    load_nops_hlt(99);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_PERF_GLOBAL_STATUS), FIXED_GLOBAL(1));
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0 + 1), 100 - 5);
    ck_assert(!irr_has(PMI_VECTOR));
    ck_assert(!(lapic_mmio_read(&apic, LAPIC_LVT_PERF) & LAPIC_LVT_MASKED));
}
END_TEST

START_TEST(fixed_counter_pmi_as_nmi_and_freeze)
{
    lapic_mmio_write(&apic, LAPIC_LVT_PERF, 4u << 8); /* NMI, as Linux programs it */
    h.cpu.nmi_blocked = true; /* keep it pending: the harness has no IDT */
    wr(MSR_DEBUGCTL, 1ull << 12);                      /* FREEZE_PERFMON_ON_PMI */
    wr(MSR_FIXED_CTR0, CTR_MASK - 19);
    wr(MSR_FIXED_CTR_CTRL, 0x9); /* CPL 0, PMI */
    wr(MSR_PERF_GLOBAL_CTRL, FIXED_GLOBAL(0));
    load_nops_hlt(99);
    run_to_hlt();
    ck_assert(h.cpu.nmi_pending);
    ck_assert_uint_eq(rd(MSR_PERF_GLOBAL_STATUS), FIXED_GLOBAL(0));
    /* Frozen by the PMI: the counter stopped right after wrapping. */
    ck_assert_uint_eq(rd(MSR_PERF_GLOBAL_CTRL), 0);
    ck_assert_uint_le(rd(MSR_FIXED_CTR0), 64);
}
END_TEST

START_TEST(masked_lvt_perf_delivers_nothing)
{
    lapic_mmio_write(&apic, LAPIC_LVT_PERF, LAPIC_LVT_MASKED | PMI_VECTOR);
    lapic_perf_interrupt(&apic);
    ck_assert(!irr_has(PMI_VECTOR));
    lapic_mmio_write(&apic, LAPIC_LVT_PERF, PMI_VECTOR);
    lapic_perf_interrupt(&apic);
    ck_assert(irr_has(PMI_VECTOR));
    /* INIT is not a delivery mode of this entry. */
    lapic_mmio_write(&apic, LAPIC_LVT_PERF, 5u << 8);
    lapic_perf_interrupt(&apic);
    ck_assert(!h.cpu.init_pending);
}
END_TEST

/* RDPMC as the dispatcher runs it: its row's intercept step (CR4.PCE check,
 * cpu/row_intercept.c) and then op_rdpmc. */
static void rdpmc_row(struct cpu *cpu, struct insn *in)
{
    for (unsigned i = 0; i < opcode_row_count; i++)
        if (opcode_rows[i].fn == op_rdpmc)
            in->row = (uint16_t)i;
    ck_assert_int_eq(opcode_rows[in->row].exit, RX_RDPMC);
    op_row_intercept(cpu, in);
}

START_TEST(rdpmc_reads_live_values_and_honours_cr4_pce)
{
    struct insn in;
    memset(&in, 0, sizeof(in));
    int vec;
    wr(MSR_FIXED_CTR_CTRL, 0x3);
    wr(MSR_PERF_GLOBAL_CTRL, FIXED_GLOBAL(0));
    load_nops_hlt(9);
    run_to_hlt();
    h.cpu.gpr[R_CX] = 1u << 30; /* fixed counter 0 */
    TRY_RAISE(&h.cpu, vec, rdpmc_row(&h.cpu, &in));
    ck_assert_int_eq(vec, -1);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 10);
    ck_assert_uint_eq(h.cpu.gpr[R_DX], 0);
    wr(MSR_PMC0 + 2, 0x87654321u);
    h.cpu.gpr[R_CX] = 2;
    TRY_RAISE(&h.cpu, vec, rdpmc_row(&h.cpu, &in));
    ck_assert_int_eq(vec, -1);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x87654321u);
    ck_assert_uint_eq(h.cpu.gpr[R_DX], 0xffff);
    /* Invalid selections: #GP. */
    static const uint32_t bad[] = {4, 64, (1u << 30) | 3, 1u << 31, (1u << 31) | (1u << 30)};
    for (volatile unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        h.cpu.gpr[R_CX] = bad[i];
        TRY_RAISE(&h.cpu, vec, rdpmc_row(&h.cpu, &in));
        ck_assert_int_eq(vec, EXC_GP);
    }
    /* CPL 3: #GP unless CR4.PCE. */
    sys_gdt_flat(&h, 0xc);
    sys_to_ring3(&h.cpu, 0x1b, 0x23);
    h.cpu.gpr[R_CX] = 2;
    TRY_RAISE(&h.cpu, vec, rdpmc_row(&h.cpu, &in));
    ck_assert_int_eq(vec, EXC_GP);
    h.cpu.cr4 |= CR4_PCE;
    TRY_RAISE(&h.cpu, vec, rdpmc_row(&h.cpu, &in));
    ck_assert_int_eq(vec, -1);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x87654321u);
}
END_TEST

START_TEST(vmx_global_ctrl_load_counts_up_to_the_switch)
{
    wr(MSR_FIXED_CTR_CTRL, 0x3);
    wr(MSR_PERF_GLOBAL_CTRL, FIXED_GLOBAL(0));
    load_nops_hlt(19);
    run_to_hlt();
    pmu_set_global_ctrl(&h.cpu, 0); /* as VM entry/exit loads it */
    ck_assert(!h.cpu.pmu_enabled);
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 20);
    pmu_set_global_ctrl(&h.cpu, FIXED_GLOBAL(0));
    run_to_hlt();
    ck_assert_uint_eq(rd(MSR_FIXED_CTR0), 40);
}
END_TEST

static Suite *pmu_suite(void)
{
    Suite *s = suite_create("pmu");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cpuid_leaf_0a_claims_what_is_counted);
    tcase_add_test(tc, counts_instructions_core_and_reference_cycles);
    tcase_add_test(tc, reference_cycles_follow_the_icount_shift);
    tcase_add_test(tc, wrmsr_counts_with_the_settings_it_replaces);
    tcase_add_test(tc, counts_by_cpl);
    tcase_add_test(tc, enable_bits_gate_counting);
    tcase_add_test(tc, cmask_inv_and_uncounted_events);
    tcase_add_test(tc, counter_writes_sign_extend_or_are_full_width);
    tcase_add_test(tc, overflow_sets_status_and_raises_the_pmi_promptly);
    tcase_add_test(tc, overflow_without_int_raises_no_pmi);
    tcase_add_test(tc, fixed_counter_pmi_as_nmi_and_freeze);
    tcase_add_test(tc, masked_lvt_perf_delivers_nothing);
    tcase_add_test(tc, rdpmc_reads_live_values_and_honours_cr4_pce);
    tcase_add_test(tc, vmx_global_ctrl_load_counts_up_to_the_switch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pmu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

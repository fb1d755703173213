/* A harness CPU with a local APIC and a machine clock attached: the TSC
 * moving within one dispatch-loop turn, TSC-deadline writes in the past,
 * LVT timer mode changes, HLT wake-up rules and CR8 in x2APIC mode (found
 * by kvm-unit-tests: apic.flat timer tests, vmx "preemption timer",
 * vmx_posted_interrupts_test, emulator.flat "mov %cr8"). */
#include <check.h>
#include <stdlib.h>

#include "cpu/exception.h"
#include "cpu/lapic.h"
#include "cpu/msr.h"
#include "cpu/tsc.h"
#include "tests/unit/timing_test_util.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

#define CODE_AT 0x10000u
#define HANDLER 0x20000u
#define TIMER_VECTOR 0x60u
#define START_NS 1000000u /* 1 ms: the TSC is 3,000,000 at 3 GHz */
#define LVT_ONESHOT 0u
#define LVT_PERIODIC (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)

static struct harness h;
static struct clock clk;
static struct lapic apic;

static void setup(void)
{
    harness_init(&h, 64);
    test_attach_clock_lapic(&h, &clk, &apic, START_NS);
    /* GDT and IDT for delivery: every vector of interest goes to HANDLER,
     * which halts. */
    sys_gdt_flat(&h, 0xa);
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x27};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 16 - 1};
    put64(&h, IDT_BASE + TIMER_VECTOR * 16, make_gate(0x08, HANDLER, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + TIMER_VECTOR * 16 + 8, 0);
    harness_load(&h, HANDLER, (const uint8_t[]){0xf4}, 1);
}

static void teardown(void)
{
    timer_disarm(&clk, &apic.timer);
    harness_free(&h);
}

static bool isr_bit(unsigned vector)
{
    return (apic.isr[vector / 32] >> (vector % 32)) & 1;
}

static bool irr_bit(unsigned vector)
{
    return (apic.irr[vector / 32] >> (vector % 32)) & 1;
}

/* SDM Vol.3B 17.17: the TSC increments with every clock, so two RDTSCs a
 * few instructions apart in one turn differ; and the clock's advance at
 * the end of the turn keeps it monotonic. */
START_TEST(tsc_moves_within_one_turn)
{
    /* rdtsc; mov ebx, eax; mov esi, edx; nop; nop; nop; rdtsc; hlt */
    static const uint8_t code[] = {0x0f, 0x31, 0x89, 0xc3, 0x89, 0xd6, 0x90,
                                   0x90, 0x90, 0x0f, 0x31, 0xf4};
    harness_load(&h, CODE_AT, code, sizeof(code));
    uint64_t icount = h.cpu.icount;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    uint64_t t1 = h.cpu.gpr[R_SI] << 32 | (uint32_t)h.cpu.gpr[R_BX];
    uint64_t t2 = h.cpu.gpr[R_DX] << 32 | (uint32_t)h.cpu.gpr[R_AX];
    ck_assert_uint_ge(t1, 3000000u);
    ck_assert_uint_gt(t2, t1);
    /* Six instructions apart: at most 6 ns of a 3 GHz TSC. */
    ck_assert_uint_le(t2 - t1, 18u);
    /* What the machine loop does after the turn. */
    clock_advance_insns(&clk, h.cpu.icount - icount);
    ck_assert_uint_ge(cpu_tsc(&h.cpu), t2);
}
END_TEST

/* SDM Vol.3A 11.5.4.1: writing IA32_TSC_DEADLINE with a value the TSC has
 * already reached raises the timer interrupt at once; here it is taken at
 * the boundary right after the WRMSR, not when the clock next advances. */
START_TEST(tsc_deadline_in_the_past_fires_at_once)
{
    lapic_mmio_write(&apic, LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | TIMER_VECTOR);
    h.cpu.rflags |= F_IF;
    h.cpu.gpr[R_CX] = MSR_TSC_DEADLINE;
    h.cpu.gpr[R_AX] = 1;
    h.cpu.gpr[R_DX] = 0;
    static const uint8_t code[] = {0x0f, 0x30, 0x90, 0x90, 0xf4}; /* wrmsr; nop; nop; hlt */
    harness_load(&h, CODE_AT, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLER + 1);
    ck_assert_uint_eq(get64(&h, h.cpu.gpr[R_SP]), CODE_AT + 2);
    ck_assert(isr_bit(TIMER_VECTOR));
    ck_assert_uint_eq(apic.tsc_deadline, 0); /* disarmed once it fired */
    ck_assert(!apic.timer.armed);
}
END_TEST

/* A deadline in the future is armed on the clock at the time the TSC
 * reaches it (3 GHz TSC: 3000 ticks are 1000 ns), and does not fire early. */
START_TEST(tsc_deadline_in_the_future_is_armed_at_its_time)
{
    lapic_mmio_write(&apic, LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | TIMER_VECTOR);
    h.cpu.rflags |= F_IF;
    h.cpu.gpr[R_CX] = MSR_TSC_DEADLINE;
    h.cpu.gpr[R_AX] = 3000000u + 3000u;
    h.cpu.gpr[R_DX] = 0;
    static const uint8_t code[] = {0x0f, 0x30, 0x90, 0x90, 0xf4};
    harness_load(&h, CODE_AT, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, CODE_AT + 5);
    ck_assert(!isr_bit(TIMER_VECTOR) && !irr_bit(TIMER_VECTOR));
    ck_assert(apic.timer.armed);
    ck_assert_uint_eq(apic.timer.deadline_ns, START_NS + 1000u);
    clock_advance_to(&clk, START_NS + 1000u);
    ck_assert(irr_bit(TIMER_VECTOR));
}
END_TEST

/* SDM Vol.3A 11.5.4.1: only a change into or out of TSC-deadline mode
 * disarms the timer; one-shot -> periodic keeps TMICT and the running
 * count. */
START_TEST(oneshot_to_periodic_keeps_the_count)
{
    lapic_mmio_write(&apic, LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
    lapic_mmio_write(&apic, LAPIC_LVT_TIMER, LVT_ONESHOT | TIMER_VECTOR);
    lapic_mmio_write(&apic, LAPIC_TIMER_INIT, 1000000);
    clock_advance_to(&clk, START_NS + 1000);
    lapic_mmio_write(&apic, LAPIC_LVT_TIMER, LVT_PERIODIC | TIMER_VECTOR);
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_TIMER_INIT), 1000000);
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_TIMER_CUR), 1000000 - 1000);
    ck_assert(apic.timer.armed);
    ck_assert_uint_eq(apic.timer.deadline_ns, START_NS + 1000000u);
    /* Into TSC-deadline mode: TMICT is cleared, the timer disarmed. */
    lapic_mmio_write(&apic, LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | TIMER_VECTOR);
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_TIMER_INIT), 0);
    ck_assert(!apic.timer.armed);
}
END_TEST

/* A one-shot count that reached 0 stays 0 when the mode then changes to
 * periodic: nothing reloaded TMICT, so nothing counts (SDM Vol.3A 11.5.4:
 * the periodic reload happens when the count reaches 0 in periodic mode). */
START_TEST(expired_oneshot_stays_zero_in_periodic_mode)
{
    lapic_mmio_write(&apic, LAPIC_TIMER_DIV, 0xb);
    lapic_mmio_write(&apic, LAPIC_LVT_TIMER, LVT_ONESHOT | TIMER_VECTOR);
    lapic_mmio_write(&apic, LAPIC_TIMER_INIT, 100);
    clock_advance_to(&clk, START_NS + 200);
    ck_assert(irr_bit(TIMER_VECTOR));
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_TIMER_CUR), 0);
    lapic_mmio_write(&apic, LAPIC_LVT_TIMER, LVT_PERIODIC | TIMER_VECTOR);
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_TIMER_INIT), 100);
    ck_assert_uint_eq(lapic_mmio_read(&apic, LAPIC_TIMER_CUR), 0);
    ck_assert(!apic.timer.armed);
}
END_TEST

/* SDM Vol.2 HLT, Vol.3A 6.8.1: with IF = 0 a maskable interrupt does not
 * end the HLT state; accepting it into the IRR leaves the CPU halted. With
 * IF = 1 it is taken. */
START_TEST(hlt_with_if_clear_stays_halted_after_fixed_interrupt)
{
    lapic_mmio_write(&apic, LAPIC_TPR, 0);
    static const uint8_t code[] = {0xfa, 0xf4}; /* cli; hlt */
    harness_load(&h, CODE_AT, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert(h.cpu.halted);
    lapic_accept(&apic, TIMER_VECTOR, 0, false);
    ck_assert(irr_bit(TIMER_VECTOR));
    ck_assert(h.cpu.halted);
    ck_assert(!cpu_wakeable(&h.cpu));
    h.cpu.quantum_end = h.cpu.icount + 100;
    cpu_run(&h.cpu);
    ck_assert(h.cpu.halted);
    ck_assert_uint_eq(h.cpu.rip, CODE_AT + 2);
    ck_assert(irr_bit(TIMER_VECTOR));
    /* IF = 1: the same pending interrupt wakes the CPU and is taken. */
    h.cpu.rflags |= F_IF;
    ck_assert(cpu_wakeable(&h.cpu));
    h.cpu.quantum_end = h.cpu.icount + 100;
    cpu_run(&h.cpu);
    ck_assert_uint_eq(h.cpu.rip, HANDLER + 1);
    ck_assert(isr_bit(TIMER_VECTOR));
    ck_assert_uint_eq(get64(&h, h.cpu.gpr[R_SP]), CODE_AT + 2);
}
END_TEST

/* SDM Vol.3A 11.8.6.1 (CR8 is TPR[7:4] in every APIC mode), 11.12 (x2APIC
 * TPR is MSR 808H). */
START_TEST(cr8_reaches_tpr_in_x2apic_mode)
{
    ck_assert(lapic_set_base(&apic, 0xfee00000ull | APIC_BASE_BSP | APIC_BASE_EN |
                                        APIC_BASE_EXTD));
    ck_assert(lapic_x2apic(&apic));
    ck_assert(lapic_msr_write(&apic, 0x808, 0x90));
    h.cpu.gpr[R_AX] = 5;
    /* mov rbx, cr8; mov cr8, rax; hlt */
    static const uint8_t code[] = {0x44, 0x0f, 0x20, 0xc3, 0x44, 0x0f, 0x22, 0xc0, 0xf4};
    harness_load(&h, CODE_AT, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, CODE_AT + sizeof(code));
    ck_assert_uint_eq(h.cpu.gpr[R_BX], 9);
    uint64_t tpr = 0;
    ck_assert(lapic_msr_read(&apic, 0x808, &tpr));
    ck_assert_uint_eq(tpr, 0x50);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lapic_cpu");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tsc_moves_within_one_turn);
    tcase_add_test(tc, tsc_deadline_in_the_past_fires_at_once);
    tcase_add_test(tc, tsc_deadline_in_the_future_is_armed_at_its_time);
    tcase_add_test(tc, oneshot_to_periodic_keeps_the_count);
    tcase_add_test(tc, expired_oneshot_stays_zero_in_periodic_mode);
    tcase_add_test(tc, hlt_with_if_clear_stays_halted_after_fixed_interrupt);
    tcase_add_test(tc, cr8_reaches_tpr_in_x2apic_mode);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

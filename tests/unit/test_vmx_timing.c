/* Time and asynchronous events around VMX non-root operation, with a
 * machine clock and a local APIC attached to the harness vCPU: the
 * VMX-preemption timer counting within a turn and while L2 is in HLT (its
 * clock timer armed at VM entry, disarmed at VM exit), HLT wake-up rules in
 * non-root operation, and INIT (found by kvm-unit-tests "preemption timer"
 * and vmx_init_signal_test). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/exception.h"
#include "cpu/lapic.h"
#include "cpu/tsc.h"
#include "tests/unit/timing_test_util.h"
#include "tests/unit/vmx_l2_util.h"

#define START_NS 1000000u /* 1 ms: the TSC is 3,000,000 at 3 GHz */
#define TSC_HZ 3000000000ull
#define TIMER_VALUE 1000u

static struct clock clk;
static struct lapic apic;

/* The harness vCPU with a clock at START_NS and an enabled xAPIC. */
static void setup_timing(void)
{
    setup();
    test_attach_clock_lapic(&h, &clk, &apic, START_NS);
}

static void teardown_timing(void)
{
    timer_disarm(&clk, &apic.timer);
    teardown(); /* disarms the VMX-preemption timer's clock timer */
}

static unsigned timer_rate(void)
{
    return (unsigned)(h.cpu.vmx->caps.misc & 0x1f); /* SDM A.6 IA32_VMX_MISC[4:0] */
}

static struct vmcs *timer_vmcs(uint32_t value)
{
    struct vmcs *v = guest_vmcs();
    v->pin_based_vm_exec_control |= PIN_PREEMPTION_TIMER;
    v->vm_exit_controls |= EXIT_SAVE_PREEMPTION_TIMER;
    v->vmx_preemption_timer_value = value;
    return v;
}

/* SDM Vol.3C 25.5.1: the timer counts down while L2 runs, and "save
 * VMX-preemption timer value" stores what is left (27.3.4): after L2 ran
 * about a hundred instructions the saved value is smaller than the loaded
 * one, though no clock time passed outside the turn. */
START_TEST(saved_preemption_timer_value_counts_down_within_a_turn)
{
    struct vmcs *v = timer_vmcs(TIMER_VALUE);
    uint8_t code[203];
    memset(code, 0x90, 200);
    code[200] = 0x0f, code[201] = 0x01, code[202] = 0xc1; /* vmcall */
    ck_assert(run_l2(code, sizeof(code)));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMCALL);
    /* 200 instructions at 1 ns each are 600 TSC ticks: rate 3 gives 75. */
    ck_assert_uint_eq(timer_rate(), 3);
    ck_assert_uint_lt(v->vmx_preemption_timer_value, TIMER_VALUE);
    ck_assert_uint_ge(v->vmx_preemption_timer_value, TIMER_VALUE - 80);
    ck_assert(!h.cpu.vmx->preemption_wake.armed);
}
END_TEST

/* SDM Vol.3C 25.5.1: the timer counts down in the HLT activity state and
 * causes a VM exit from it. The machine clock timer preemption_wake is
 * armed at VM entry for the time at which the TSC reaches the expiry
 * (entry TSC in units of 2^rate, plus the timer value), so that an idle
 * machine advances its clock there; the exit disarms it. */
START_TEST(preemption_timer_wakes_l2_from_hlt)
{
    struct vmcs *v = timer_vmcs(TIMER_VALUE);
    ck_assert(!run_l2((const uint8_t[]){0xf4}, 1)); /* L2 halts in non-root */
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert(h.cpu.halted);
    struct vmx_cpu *vx = h.cpu.vmx;
    ck_assert(vx->preemption_wake.armed);
    uint64_t entry_tsc = vx->timer_entry_tsc;
    ck_assert_uint_ge(entry_tsc, 3000000u);
    ck_assert_uint_le(entry_tsc, 3000000u + 30u);
    unsigned rate = timer_rate();
    uint64_t expiry_tsc = ((entry_tsc >> rate) + TIMER_VALUE) << rate;
    uint64_t expiry_ns = (expiry_tsc * 1000000000ull + TSC_HZ - 1) / TSC_HZ;
    ck_assert_uint_eq(vx->preemption_wake.deadline_ns, expiry_ns);
    /* About 1000 * 8 / 3 ns after entry. */
    ck_assert_uint_ge(expiry_ns, START_NS + 2660u);
    ck_assert_uint_le(expiry_ns, START_NS + 2680u);
    /* Not wakeable before the deadline, wakeable at it. */
    ck_assert(!cpu_wakeable(&h.cpu));
    clock_advance_to(&clk, expiry_ns - 1);
    ck_assert(!cpu_wakeable(&h.cpu));
    clock_advance_to(&clk, expiry_ns);
    ck_assert(cpu_wakeable(&h.cpu));
    h.cpu.quantum_end = h.cpu.icount + 100;
    cpu_run(&h.cpu);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, HOST_RIP + 1);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_PREEMPTION_TIMER);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(v->guest_activity_state, ACTIVITY_HLT);
    ck_assert_uint_eq(v->vmx_preemption_timer_value, 0);
    ck_assert(!vx->preemption_wake.armed);
}
END_TEST


/* SDM Vol.3C 25.2: with "external-interrupt exiting" an external interrupt
 * causes a VM exit whatever RFLAGS.IF, so it ends L2's HLT even with IF = 0;
 * without that control IF = 0 keeps L2 halted (Vol.2 HLT). */
START_TEST(hlt_in_l2_with_if_clear_woken_only_by_exiting_interrupt)
{
    test_intr_line_attach(&h.cpu, 0x41);
    struct vmcs *v = guest_vmcs();
    ck_assert(!run_l2((const uint8_t[]){0xf4}, 1));
    ck_assert(h.cpu.vmx_nonroot && h.cpu.halted);
    test_intr_line = true;
    ck_assert(!cpu_wakeable(&h.cpu));
    v->pin_based_vm_exec_control |= PIN_EXTINT_EXITING;
    ck_assert(cpu_wakeable(&h.cpu));
    h.cpu.quantum_end = h.cpu.icount + 100;
    cpu_run(&h.cpu);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXTERNAL_INTERRUPT);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(v->guest_activity_state, ACTIVITY_HLT);
}
END_TEST

/* OUT from L2 (no I/O exiting) sends INIT to the vCPU's own local APIC,
 * as another vCPU's ICR write would. */
static void out_sends_init(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)value;
    (void)size;
    lapic_accept(&apic, 0, 5, false);
}

/* SDM Vol.3C 25.2: INIT causes a VM exit in non-root operation, at the
 * next instruction boundary (Vol.3A 6.9, table 6-2), so before L2 reaches
 * the VMCALL a few instructions later in the same block. */
START_TEST(init_while_l2_runs_exits_at_next_boundary)
{
    h.cpu.bus.io_out = out_sends_init;
    struct vmcs *v = guest_vmcs();
    /* out 0x80, al; nop; nop; nop; vmcall */
    ck_assert(RUN_L2(0xe6, 0x80, 0x90, 0x90, 0x90, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_INIT_SIGNAL);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2);
    ck_assert(!h.cpu.init_pending);
}
END_TEST

/* SDM Vol.3C 23.8: INIT is held in VMX root operation; VM entry then exits
 * for it before the first guest instruction. */
START_TEST(init_held_in_root_exits_right_after_vm_entry)
{
    struct vmcs *v = guest_vmcs();
    h.cpu.init_pending = true;
    ck_assert(RUN_L2(0x90, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_INIT_SIGNAL);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert(!h.cpu.init_pending);
}
END_TEST

/* SDM Vol.3C 23.8: after VMXOFF a held INIT is no longer blocked; the turn
 * ends right after VMXOFF so that the machine loop processes it. */
START_TEST(vmxoff_with_held_init_ends_the_turn)
{
    vmx_enter_root(&h);
    ck_assert(h.cpu.vmx->vmxon);
    h.cpu.init_pending = true;
    /* vmxoff; nop; nop; nop; hlt */
    static const uint8_t code[] = {0x0f, 0x01, 0xc4, 0x90, 0x90, 0x90, 0xf4};
    harness_load(&h, CODE_ADDR, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_ADDR, 100), -2);
    ck_assert(!h.cpu.vmx->vmxon);
    ck_assert_uint_eq(h.cpu.rip, CODE_ADDR + 3);
    ck_assert_uint_le(h.cpu.quantum_end, h.cpu.icount);
    ck_assert(h.cpu.init_pending); /* the machine loop's to take */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmx_timing");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup_timing, teardown_timing);
    tcase_add_test(tc, saved_preemption_timer_value_counts_down_within_a_turn);
    tcase_add_test(tc, preemption_timer_wakes_l2_from_hlt);
    tcase_add_test(tc, hlt_in_l2_with_if_clear_woken_only_by_exiting_interrupt);
    tcase_add_test(tc, init_while_l2_runs_exits_at_next_boundary);
    tcase_add_test(tc, init_held_in_root_exits_right_after_vm_entry);
    tcase_add_test(tc, vmxoff_with_held_init_ends_the_turn);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

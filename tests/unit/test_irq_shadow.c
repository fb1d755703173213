/* The STI / MOV SS interrupt shadow covers exactly one instruction, also
 * when that instruction is the first of a longer decoded block: held
 * interrupts and NMIs are taken right after it, and in VMX non-root
 * operation an interrupt- or NMI-window exit with blocking loaded from the
 * guest interruptibility state comes after the first guest instruction
 * (found by kvm-unit-tests vmx_intr_window/nmi_window/pending_event). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/timing_test_util.h"
#include "tests/unit/vmx_l2_util.h"

#define HANDLER 0x20000u
#define INTR_VECTOR 0x40u


/* OUT to any port raises NMI: the NMI becomes pending in the middle of a
 * block, so that the MOV SS after it in the same block holds it. */
static void out_raises_nmi(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct harness *hh = opaque;
    (void)port;
    (void)value;
    (void)size;
    hh->cpu.nmi_pending = true;
}

/* 64-bit GDT and IDT for root-mode delivery; `vector` goes to HANDLER,
 * which halts. */
static void root_idt(unsigned vector)
{
    sys_gdt_flat(&h, 0xa);
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x27};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 16 - 1};
    put64(&h, IDT_BASE + vector * 16, make_gate(0x08, HANDLER, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + vector * 16 + 8, 0);
    harness_load(&h, HANDLER, (const uint8_t[]){0xf4}, 1);
}

/* SDM Vol.2B STI, Vol.3A 6.8.3: after STI with IF = 0 a pending interrupt
 * is recognized after the next instruction, so here before the CLI. */
START_TEST(interrupt_after_sti_comes_before_following_cli)
{
    root_idt(INTR_VECTOR);
    test_intr_line_attach(&h.cpu, INTR_VECTOR);
    test_intr_line = true;
    h.cpu.rflags &= ~(uint64_t)F_IF;
    static const uint8_t code[] = {0xfb, 0x90, 0xfa, 0xf4}; /* sti; nop; cli; hlt */
    harness_load(&h, CODE_ADDR, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_ADDR, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLER + 1);
    ck_assert(!test_intr_line);
    /* Return RIP: the CLI, which has not run. */
    ck_assert_uint_eq(get64(&h, h.cpu.gpr[R_SP]), CODE_ADDR + 2);
    ck_assert_uint_eq(get64(&h, h.cpu.gpr[R_SP] + 16) & F_IF, F_IF);
}
END_TEST

/* SDM Vol.3A 6.8.3: MOV SS blocks NMIs (and interrupts) until the end of
 * the next instruction, not longer. */
START_TEST(nmi_after_mov_ss_comes_after_one_instruction)
{
    root_idt(EXC_NMI);
    h.cpu.bus.io_out = out_raises_nmi;
    h.cpu.gpr[R_AX] = 0x10;
    /* out 0x80, al (NMI pending); mov ss, ax; nop; nop; nop; hlt */
    static const uint8_t code[] = {0xe6, 0x80, 0x8e, 0xd0, 0x90, 0x90, 0x90, 0xf4};
    harness_load(&h, CODE_ADDR, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_ADDR, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLER + 1);
    ck_assert(!h.cpu.nmi_pending);
    ck_assert(h.cpu.nmi_blocked);
    /* Return RIP: the second NOP (MOV SS at +2, first NOP at +4). */
    ck_assert_uint_eq(get64(&h, h.cpu.gpr[R_SP]), CODE_ADDR + 5);
}
END_TEST

/* mov eax, 1 (5 bytes); nop; nop; vmcall */
static uint8_t first_insn_then_vmcall[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0x90, 0x90,
                                           0x0f, 0x01, 0xc1};
#define FIRST_INSN_LEN 5

/* SDM Vol.3C 24.4.2, 25.2: blocking by STI loaded by VM entry ends after
 * the first guest instruction; with interrupt-window exiting and IF = 1
 * the exit comes on that boundary. */
START_TEST(interrupt_window_exit_after_first_insn_with_sti_blocking)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_INTR_WINDOW_EXITING;
    v->guest_rflags = 2 | F_IF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI;
    h.cpu.gpr[R_AX] = 0;
    ck_assert(run_l2(first_insn_then_vmcall, sizeof(first_insn_then_vmcall)));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_INTERRUPT_WINDOW);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + FIRST_INSN_LEN);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 1);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_STI, 0);
}
END_TEST

/* SDM Vol.3C 25.2: NMI-window exiting with blocking by MOV SS from the
 * interruptibility state: the window opens after the first instruction. */
START_TEST(nmi_window_exit_after_first_insn_with_mov_ss_blocking)
{
    struct vmcs *v = guest_vmcs();
    v->pin_based_vm_exec_control |= PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
    v->cpu_based_vm_exec_control |= CPU_NMI_WINDOW_EXITING;
    v->guest_interruptibility_info = INTERRUPTIBILITY_MOV_SS;
    h.cpu.gpr[R_AX] = 0;
    ck_assert(run_l2(first_insn_then_vmcall, sizeof(first_insn_then_vmcall)));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_NMI_WINDOW);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + FIRST_INSN_LEN);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 1);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_MOV_SS, 0);
}
END_TEST

/* Without a shadow the window is open at once: the exit comes before the
 * first guest instruction (SDM Vol.3C 25.2). */
START_TEST(interrupt_window_exit_before_first_insn_without_blocking)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_INTR_WINDOW_EXITING;
    v->guest_rflags = 2 | F_IF;
    h.cpu.gpr[R_AX] = 0;
    ck_assert(run_l2(first_insn_then_vmcall, sizeof(first_insn_then_vmcall)));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_INTERRUPT_WINDOW);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0);
}
END_TEST

/* POP SS exists outside 64-bit mode only: a 32-bit flat harness with the
 * NMI handler behind a 32-bit interrupt gate. */
static void setup32(void)
{
    harness_init(&h, 32);
    sys_gdt_flat(&h, 0xc);
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x27};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 8 - 1};
    put64(&h, IDT_BASE + EXC_NMI * 8, make_gate(0x08, HANDLER, 0xe, 0, true, 0));
    harness_load(&h, HANDLER, (const uint8_t[]){0xf4}, 1);
}

static void teardown32(void)
{
    harness_free(&h);
}

/* SDM Vol.3A 6.8.3: POP SS holds an NMI for exactly one instruction. */
START_TEST(nmi_after_pop_ss_comes_after_one_instruction)
{
    h.cpu.bus.io_out = out_raises_nmi;
    /* push 0x10; out 0x80, al (NMI pending); pop ss; nop; nop; nop; hlt */
    static const uint8_t code[] = {0x6a, 0x10, 0xe6, 0x80, 0x17, 0x90, 0x90, 0x90, 0xf4};
    harness_load(&h, CODE_ADDR, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_ADDR, 100), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLER + 1);
    ck_assert(h.cpu.nmi_blocked);
    /* Return EIP: the second NOP (POP SS at +4, first NOP at +5). */
    ck_assert_uint_eq(physmem_read(&h.mem, h.cpu.gpr[R_SP], 4), CODE_ADDR + 6);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("irq_shadow");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, interrupt_after_sti_comes_before_following_cli);
    tcase_add_test(tc, nmi_after_mov_ss_comes_after_one_instruction);
    tcase_add_test(tc, interrupt_window_exit_after_first_insn_with_sti_blocking);
    tcase_add_test(tc, nmi_window_exit_after_first_insn_with_mov_ss_blocking);
    tcase_add_test(tc, interrupt_window_exit_before_first_insn_without_blocking);
    suite_add_tcase(s, tc);
    TCase *tc32 = tcase_create("protected32");
    tcase_add_checked_fixture(tc32, setup32, teardown32);
    tcase_add_test(tc32, nmi_after_pop_ss_comes_after_one_instruction);
    suite_add_tcase(s, tc32);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Debug exceptions in VMX non-root operation, end to end with a real L2
 * (tests/unit/vmx_l2_util.h): the #DB exit qualification for data
 * breakpoints, single-step and general detect (SDM Vol.3C 27.2.1 table
 * 27-1) with DR6/DR7 left alone, the MOV-DR exit before general detect,
 * pending debug exceptions saved at an exit under MOV-SS blocking (27.3.4),
 * the interruptibility state of STI vs MOV SS blocking, and a VM entry with
 * MOV-SS blocking and a pending BS delivering the #DB after the first guest
 * instruction (26.6.3), an instruction breakpoint resumed with RF, RF as
 * VM exits save it (27.3.3), and an MTF VM exit before a single-step trap
 * (25.5.2). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/vmx_l2_util.h"

#define DB_INTR_INFO (INTR_INFO_VALID | (EV_HWEXC << 8) | EXC_DB)
#define DR6_INIT 0xffff0ff0ull
#define WATCHED 0x9000u
#define DB_HANDLER 0x31000u

/* DR7 arming breakpoint n locally (rw, len fields as in SDM 18.2.4). */
static uint64_t dr7_bp(unsigned n, unsigned rw, unsigned len)
{
    return 0x400 | (1ull << (2 * n)) | (uint64_t)rw << (16 + 4 * n) |
           (uint64_t)len << (18 + 4 * n);
}

START_TEST(data_breakpoint_exit_qualification)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_DB;
    v->guest_dr7 = dr7_bp(1, 1, 3); /* write, 4 bytes */
    h.cpu.dr[1] = WATCHED;
    h.cpu.dr[6] = DR6_INIT;
    h.cpu.gpr[R_AX] = WATCHED + 2;
    /* nop; mov [rax], bl (hits); cpuid (not reached) */
    ck_assert(RUN_L2(0x90, 0x88, 0x18, 0x0f, 0xa2));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, DB_INTR_INFO);
    ck_assert_uint_eq(v->exit_qualification, 2); /* B1 */
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 3); /* a trap */
    ck_assert_uint_eq(h.cpu.dr[6], DR6_INIT);     /* not touched by the exiting #DB */
    ck_assert_uint_eq(v->guest_dr7, dr7_bp(1, 1, 3));
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 0);
}
END_TEST

START_TEST(single_step_exit_qualification)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_DB;
    v->guest_rflags = 2 | F_TF;
    h.cpu.dr[6] = DR6_INIT;
    ck_assert(RUN_L2(0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, DB_INTR_INFO);
    ck_assert_uint_eq(v->exit_qualification, 1u << 14); /* BS */
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(h.cpu.dr[6], DR6_INIT);
    ck_assert_uint_eq(v->guest_rflags & (F_TF | F_RF), F_TF);
}
END_TEST

START_TEST(general_detect_exit_qualification)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_DB;
    v->guest_dr7 = 0x400 | (1u << 13); /* GD */
    h.cpu.dr[6] = DR6_INIT;
    ck_assert(RUN_L2(0x0f, 0x21, 0xc0)); /* mov rax, dr0 */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, DB_INTR_INFO);
    ck_assert_uint_eq(v->exit_qualification, 1u << 13); /* BD */
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);          /* a fault */
    ck_assert_uint_eq(v->guest_dr7, 0x400 | (1u << 13)); /* GD not cleared */
    ck_assert_uint_eq(h.cpu.dr[6], DR6_INIT);
    ck_assert_uint_eq(v->guest_rflags & F_RF, F_RF); /* the image of a fault */

    /* With MOV-DR exiting, the VM exit comes first (SDM 25.1.3). */
    v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_DB;
    v->cpu_based_vm_exec_control |= CPU_MOV_DR_EXITING;
    v->guest_dr7 = 0x400 | (1u << 13);
    ck_assert(RUN_L2(0x0f, 0x21, 0xc0));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_DR_ACCESS);
    ck_assert_uint_eq(v->exit_qualification, 0 | (1u << 4)); /* DR0, from DR, RAX */
}
END_TEST

START_TEST(pending_debug_exceptions_saved_under_mov_ss)
{
    struct vmcs *v = guest_vmcs();
    sys_gdt_flat(&h, 0xa);
    v->guest_rflags = 2 | F_TF;
    h.cpu.gpr[R_AX] = 0x10;
    /* mov ss, ax (its single-step trap is held); cpuid exits before it runs */
    ck_assert(RUN_L2(0x8e, 0xd0, 0x0f, 0xa2));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2);
    ck_assert_uint_eq(v->guest_interruptibility_info, INTERRUPTIBILITY_MOV_SS);
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 1u << 14);

    /* A data breakpoint met by MOV SS: B0 and enabled breakpoint. */
    v = guest_vmcs(); /* the same VMCS again: clear what the exit saved */
    sys_gdt_flat(&h, 0xa);
    v->guest_interruptibility_info = 0;
    v->guest_pending_dbg_exceptions = 0;
    v->guest_rflags = 2;
    v->guest_dr7 = dr7_bp(0, 3, 1); /* read/write, 2 bytes */
    h.cpu.dr[0] = WATCHED;
    physmem_write(&h.mem, WATCHED, 0x10, 2);
    h.cpu.gpr[R_AX] = WATCHED;
    ck_assert(RUN_L2(0x8e, 0x10, 0x0f, 0xa2)); /* mov ss, [rax]; cpuid */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_interruptibility_info, INTERRUPTIBILITY_MOV_SS);
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, (1u << 12) | 1u);
}
END_TEST

START_TEST(sti_blocking_is_not_mov_ss_blocking)
{
    struct vmcs *v = guest_vmcs();
    v->guest_rflags = 2;
    ck_assert(RUN_L2(0xfb, 0x0f, 0xa2)); /* sti; cpuid */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_interruptibility_info, INTERRUPTIBILITY_STI);
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 0);
}
END_TEST

START_TEST(entry_mov_ss_pending_bs_after_first_insn)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_DB;
    v->guest_rflags = 2 | F_TF; /* BS with TF: the entry check of 26.3.1.5 */
    v->guest_interruptibility_info = INTERRUPTIBILITY_MOV_SS;
    v->guest_pending_dbg_exceptions = (1u << 14) | 4u; /* BS, B2 */
    h.cpu.dr[6] = DR6_INIT;
    ck_assert(RUN_L2(0x90, 0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, DB_INTR_INFO);
    ck_assert_uint_eq(v->exit_qualification, (1u << 14) | 4u);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1); /* after the first instruction */
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 0);
    ck_assert_uint_eq(h.cpu.dr[6], DR6_INIT);

    /* Not intercepted: delivered through the guest IDT with DR6 set. */
    v = guest_vmcs();
    v->exception_bitmap = 0;
    sys_gdt_flat(&h, 0xa);
    put64(&h, IDT_BASE + 16 * EXC_DB, make_gate(0x08, DB_HANDLER, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + 16 * EXC_DB + 8, 0);
    harness_load(&h, DB_HANDLER, (const uint8_t[]){0xf4}, 1);
    v->guest_rflags = 2 | F_TF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_MOV_SS;
    v->guest_pending_dbg_exceptions = 1u << 14;
    h.cpu.dr[6] = DR6_INIT;
    harness_load(&h, GUEST_RIP, (const uint8_t[]){0x90, 0x90}, 2);
    ck_assert_int_eq(harness_run(&h, LAUNCH_ADDR, 100), 0);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER + 1);
    ck_assert_uint_eq(get64(&h, GUEST_RSP - 40), GUEST_RIP + 1); /* the frame's RIP */
    ck_assert_uint_eq(h.cpu.dr[6], DR6_INIT | (1u << 14));
}
END_TEST

START_TEST(instruction_breakpoint_and_rf)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_DB;
    v->guest_dr7 = dr7_bp(0, 0, 0);
    h.cpu.dr[0] = GUEST_RIP + 1;
    h.cpu.dr[6] = DR6_INIT;
    ck_assert(RUN_L2(0x90, 0x0f, 0xa2)); /* nop; cpuid (breakpoint) */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->exit_qualification, 1); /* B0 */
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1); /* a fault */
    ck_assert_uint_eq(v->guest_rflags & F_RF, 0);   /* not for an instruction breakpoint */
    ck_assert_uint_eq(h.cpu.dr[6], DR6_INIT);
    /* Resumed with RF set (as KVM does), the CPUID runs and exits; an
     * instruction exit saves RF = 0 (27.3.3). */
    v->guest_rflags |= F_RF;
    uint8_t resume[] = {0x0f, 0x01, 0xc3, 0xf4};
    harness_load(&h, LAUNCH_ADDR, resume, sizeof(resume));
    ck_assert_int_eq(harness_run(&h, LAUNCH_ADDR, 100), 0);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(v->guest_rflags & F_RF, 0);
}
END_TEST

START_TEST(ept_violation_saves_rf)
{
    struct vmcs *v = guest_vmcs();
    h.cpu.gpr[R_AX] = HOLE_GPA;
    ck_assert(RUN_L2(0x8a, 0x18)); /* mov bl, [rax] in the EPT hole */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->guest_rflags & F_RF, F_RF);
}
END_TEST

/* An MTF VM exit after an instruction comes before its single-step trap,
 * which waits in the pending debug exceptions (kvm-unit-tests
 * vmx_mtf_test). */
START_TEST(mtf_exit_before_single_step_trap)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_MONITOR_TRAP_FLAG;
    v->guest_rflags = 2 | F_TF;
    ck_assert(RUN_L2(0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_MONITOR_TRAP_FLAG);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 1u << 14);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmx_debug");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, data_breakpoint_exit_qualification);
    tcase_add_test(tc, single_step_exit_qualification);
    tcase_add_test(tc, general_detect_exit_qualification);
    tcase_add_test(tc, pending_debug_exceptions_saved_under_mov_ss);
    tcase_add_test(tc, sti_blocking_is_not_mov_ss_blocking);
    tcase_add_test(tc, entry_mov_ss_pending_bs_after_first_insn);
    tcase_add_test(tc, instruction_breakpoint_and_rf);
    tcase_add_test(tc, ept_violation_saves_rf);
    tcase_add_test(tc, mtf_exit_before_single_step_trap);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

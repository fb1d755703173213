/* VMX non-root operation end to end in the unit harness: VMXON, a VMCS for
 * a small 64-bit L2 (sharing the harness page tables) behind an EPT
 * identity map, VMLAUNCH from L1 code, then L2 runs an instruction that L1
 * wants, and the test checks the exit reason, qualification, instruction
 * length/information and the state L1 gets back (SDM Vol.3C 25, 27.2). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/vmx_l2_util.h"

START_TEST(cpuid_exits)
{
    struct vmcs *v = guest_vmcs();
    ck_assert(RUN_L2(0x90, 0x0f, 0xa2)); /* nop; cpuid */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 2);
    ck_assert_uint_eq(v->idt_vectoring_info_field, 0);
    /* VMRESUME continues at the guest RIP: L1 skips CPUID first. */
    v->guest_rip += v->vm_exit_instruction_len;
    uint8_t resume[] = {0x0f, 0x01, 0xc3, 0xf4};
    harness_load(&h, LAUNCH_ADDR, resume, sizeof(resume));
    ck_assert(RUN_L2(0x90, 0x0f, 0xa2, 0x0f, 0xa2));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 3);
}
END_TEST

START_TEST(io_exits_with_bitmaps)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_USE_IO_BITMAPS;
    v->io_bitmap_a = IO_BITMAP_A;
    v->io_bitmap_b = IO_BITMAP_B;
    physmem_write(&h.mem, IO_BITMAP_A + 0x3f8 / 8, 1u << (0x3f8 & 7), 1);
    /* out 0x80, al passes through; mov dx, 0x3f8; out dx, ax exits. */
    h.cpu.gpr[R_AX] = 0x1234;
    ck_assert(RUN_L2(0xe6, 0x80, 0x66, 0xba, 0xf8, 0x03, 0x66, 0xef));
    ck_assert_uint_eq(h.last_out_port, 0x80);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_IO_INSTRUCTION);
    /* size 2 (1), OUT, DX form, port 0x3f8 */
    ck_assert_uint_eq(v->exit_qualification, 1 | (0x3f8u << 16));
    ck_assert_uint_eq(v->vm_exit_instruction_len, 2);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 6);
}
END_TEST

START_TEST(io_string_and_immediate)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_UNCOND_IO_EXITING;
    ck_assert(RUN_L2(0xe4, 0x71)); /* in al, 0x71 */
    ck_assert_uint_eq(v->exit_qualification, (1u << 3) | (1u << 6) | (0x71u << 16));
    /* rep outsb from rsi = 0x9000, port in dx */
    guest_vmcs();
    v = vmx_current_vmcs(&h.cpu);
    v->cpu_based_vm_exec_control |= CPU_UNCOND_IO_EXITING;
    h.cpu.gpr[R_SI] = 0x9000;
    h.cpu.gpr[R_CX] = 3;
    h.cpu.gpr[R_DX] = 0x60;
    ck_assert(RUN_L2(0xf3, 0x6e));
    ck_assert_uint_eq(v->exit_qualification, (1u << 4) | (1u << 5) | (0x60u << 16));
    ck_assert_uint_eq(v->guest_linear_address, 0x9000);
    /* address size 64 (2) in 9:7, segment DS (3) in 17:15 */
    ck_assert_uint_eq(v->vmx_instruction_info, (2u << 7) | (3u << 15));
    ck_assert_uint_eq(h.cpu.gpr[R_CX], 3); /* nothing was output */
}
END_TEST

START_TEST(hlt_exit_and_activity)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_HLT_EXITING;
    ck_assert(RUN_L2(0xf4));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->guest_activity_state, ACTIVITY_ACTIVE);
    /* Without HLT exiting L2 halts in non-root operation. */
    v->cpu_based_vm_exec_control &= ~CPU_HLT_EXITING;
    uint8_t resume[] = {0x0f, 0x01, 0xc3, 0xf4};
    harness_load(&h, LAUNCH_ADDR, resume, sizeof(resume));
    ck_assert_int_eq(harness_run(&h, LAUNCH_ADDR, 100), 0);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, GUEST_RIP + 1);
}
END_TEST

START_TEST(ept_violation_and_readonly)
{
    struct vmcs *v = guest_vmcs();
    /* mov byte [rax], 1 with rax in the EPT hole */
    h.cpu.gpr[R_AX] = HOLE_GPA + 0x10;
    ck_assert(RUN_L2(0xc6, 0x00, 0x01));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->guest_physical_address, HOLE_GPA + 0x10);
    ck_assert_uint_eq(v->guest_linear_address, HOLE_GPA + 0x10);
    ck_assert_uint_eq(v->exit_qualification,
                      EPT_QUAL_WRITE | EPT_QUAL_LIN_VALID | EPT_QUAL_LIN_TRANSLATION);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    /* Read-only page: a read goes through (and fills the TLB), a write
     * after it still exits with "readable" in the qualification. */
    guest_vmcs();
    v = vmx_current_vmcs(&h.cpu);
    uint64_t ro = HOLE_GPA + (2u << 20) + 0x20;
    physmem_write(&h.mem, ro, 0x5a, 1);
    h.cpu.gpr[R_AX] = ro;
    /* mov bl, [rax]; mov [rax], bl */
    ck_assert(RUN_L2(0x8a, 0x18, 0x88, 0x18));
    ck_assert_uint_eq(h.cpu.gpr[R_BX] & 0xff, 0x5a);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->exit_qualification, EPT_QUAL_WRITE | EPT_QUAL_READABLE |
                                                 EPT_QUAL_LIN_VALID |
                                                 EPT_QUAL_LIN_TRANSLATION);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2);
}
END_TEST

START_TEST(ept_misconfig)
{
    struct vmcs *v = guest_vmcs();
    /* Write-only is a misconfiguration (SDM: W without R). */
    physmem_write(&h.mem, EPT_PD + (HOLE_GPA >> 21) * 8,
                  HOLE_GPA | EPTE_LARGE | (6u << EPTE_MEMTYPE_SHIFT) | EPTE_W, 8);
    h.cpu.gpr[R_AX] = HOLE_GPA;
    ck_assert(RUN_L2(0x8a, 0x18));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_MISCONFIG);
    ck_assert_uint_eq(v->guest_physical_address, HOLE_GPA);
}
END_TEST

START_TEST(msr_bitmap_exit_and_pass)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_USE_MSR_BITMAPS;
    v->msr_bitmap = MSR_BITMAP;
    physmem_write(&h.mem, MSR_BITMAP + 2048 + 0x174 / 8, 1u << (0x174 & 7), 1);
    /* rdmsr 0x174 (passes), wrmsr 0x174 (exits) */
    v->guest_sysenter_cs = 0x23;
    h.cpu.gpr[R_CX] = 0x174;
    ck_assert(RUN_L2(0x0f, 0x32, 0x0f, 0x30));
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x23);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_MSR_WRITE);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2);
}
END_TEST

START_TEST(cr_access_exits)
{
    struct vmcs *v = guest_vmcs();
    v->cr0_guest_host_mask = CR0_TS;
    v->cr0_read_shadow = 0;
    /* mov rbx, cr0 (sees shadow TS = 0); or rbx, 8; mov cr0, rbx */
    ck_assert(RUN_L2(0x0f, 0x20, 0xc3, 0x48, 0x83, 0xcb, 0x08, 0x0f, 0x22, 0xc3));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CR_ACCESS);
    /* CR0, MOV to CR, GPR 3 */
    ck_assert_uint_eq(v->exit_qualification, 0 | (0u << 4) | (3u << 8));
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 7);
    /* CR3-store exiting: mov rax, cr3 */
    guest_vmcs();
    v = vmx_current_vmcs(&h.cpu);
    v->cpu_based_vm_exec_control |= CPU_CR3_STORE_EXITING;
    ck_assert(RUN_L2(0x0f, 0x20, 0xd8));
    ck_assert_uint_eq(v->exit_qualification, 3 | (1u << 4) | (0u << 8));
}
END_TEST

START_TEST(tpr_shadow_cr8)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = VAPIC_PAGE;
    v->tpr_threshold = 4;
    physmem_write(&h.mem, VAPIC_PAGE + 0x80, 0x50, 4);
    /* mov rax, cr8; mov cr8, rbx (rbx = 2 < threshold: trap-like exit) */
    h.cpu.gpr[R_BX] = 2;
    ck_assert(RUN_L2(0x44, 0x0f, 0x20, 0xc0, 0x44, 0x0f, 0x22, 0xc3, 0x90));
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 5);
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC_PAGE + 0x80, 4), 0x20);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_TPR_BELOW_THRESHOLD);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 8);
}
END_TEST

START_TEST(exception_bitmap_exit)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_UD;
    ck_assert(RUN_L2(0x90, 0x0f, 0x0b)); /* nop; ud2 */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | (EV_HWEXC << 8) | EXC_UD);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    /* #PF: the qualification has the address, CR2 is untouched. */
    guest_vmcs();
    v = vmx_current_vmcs(&h.cpu);
    v->exception_bitmap = 1u << EXC_PF;
    h.cpu.cr2 = 0x1234;
    h.cpu.gpr[R_AX] = 1ull << 40; /* beyond the harness' 1 GiB of mappings */
    ck_assert(RUN_L2(0x8a, 0x18));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (EV_HWEXC << 8) | EXC_PF);
    ck_assert_uint_eq(v->vm_exit_intr_error_code, 0);
    ck_assert_uint_eq(v->exit_qualification, 1ull << 40);
    ck_assert_uint_eq(h.cpu.cr2, 0x1234);
}
END_TEST

START_TEST(triple_fault_exit)
{
    struct vmcs *v = guest_vmcs();
    v->guest_idtr_limit = 0; /* every delivery faults: #UD -> #GP -> #DF -> triple */
    ck_assert(RUN_L2(0x0f, 0x0b));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_TRIPLE_FAULT);
    ck_assert(!h.cpu.shutdown);
}
END_TEST

static bool test_irq_line;
static bool fake_intr_pending(struct cpu *cpu)
{
    (void)cpu;
    return test_irq_line;
}
static int fake_intr_ack(struct cpu *cpu)
{
    (void)cpu;
    test_irq_line = false;
    return 0x41;
}

START_TEST(external_interrupt_ack_on_exit)
{
    struct vmcs *v = guest_vmcs();
    h.cpu.intr_pending = fake_intr_pending;
    h.cpu.intr_ack = fake_intr_ack;
    v->pin_based_vm_exec_control |= PIN_EXTINT_EXITING;
    v->vm_exit_controls |= EXIT_ACK_INTR_ON_EXIT;
    test_irq_line = true;
    /* IF = 0 in L2 does not hold the exit back. */
    ck_assert(RUN_L2(0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXTERNAL_INTERRUPT);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | 0x41);
    ck_assert(!test_irq_line);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
}
END_TEST

START_TEST(interrupt_window_and_preemption_timer)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_INTR_WINDOW_EXITING;
    v->guest_rflags = 2 | F_IF;
    ck_assert(RUN_L2(0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_INTERRUPT_WINDOW);
    guest_vmcs();
    v = vmx_current_vmcs(&h.cpu);
    v->pin_based_vm_exec_control |= PIN_PREEMPTION_TIMER;
    v->vm_exit_controls |= EXIT_SAVE_PREEMPTION_TIMER;
    v->vmx_preemption_timer_value = 0;
    ck_assert(RUN_L2(0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_PREEMPTION_TIMER);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->vmx_preemption_timer_value, 0);
}
END_TEST

START_TEST(unrestricted_real_mode_guest)
{
    struct vmcs *v = guest_vmcs();
    v->secondary_vm_exec_control |= CPU2_UNRESTRICTED_GUEST;
    v->cpu_based_vm_exec_control |= CPU_UNCOND_IO_EXITING;
    v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->guest_ia32_efer = 0;
    v->guest_cr0 = CR0_ET | CR0_NE;
    v->guest_cr3 = 0;
    v->guest_cr4 = CR4_VMXE;
    v->guest_rip = 0x100;
    v->guest_rsp = 0x7000;
    v->guest_cs_selector = 0x3000;
    v->guest_cs_base = 0x30000;
    v->guest_cs_limit = 0xffff;
    v->guest_cs_ar_bytes = 0x9b;
    uint16_t *sels[] = {&v->guest_ss_selector, &v->guest_ds_selector, &v->guest_es_selector,
                        &v->guest_fs_selector, &v->guest_gs_selector};
    uint32_t *ars[] = {&v->guest_ss_ar_bytes, &v->guest_ds_ar_bytes, &v->guest_es_ar_bytes,
                       &v->guest_fs_ar_bytes, &v->guest_gs_ar_bytes};
    uint32_t *lims[] = {&v->guest_ss_limit, &v->guest_ds_limit, &v->guest_es_limit,
                        &v->guest_fs_limit, &v->guest_gs_limit};
    for (int i = 0; i < 5; i++) {
        *sels[i] = 0;
        *ars[i] = 0x93;
        *lims[i] = 0xffff;
    }
    v->guest_ss_base = v->guest_ds_base = v->guest_es_base = 0;
    v->guest_fs_base = v->guest_gs_base = 0;
    v->guest_tr_ar_bytes = 0x8b;
    v->guest_tr_selector = 0;
    v->guest_gdtr_limit = 0xffff;
    v->guest_idtr_base = 0;
    v->guest_idtr_limit = 0x3ff;
    /* at 0x30100: mov al, [0x10]; out 0xe9, al */
    physmem_write(&h.mem, 0x10, 0x77, 1);
    harness_load(&h, 0x30100, (const uint8_t[]){0xa0, 0x10, 0x00, 0xe6, 0xe9}, 5);
    int r = harness_run(&h, LAUNCH_ADDR, 1000);
    ck_assert_int_eq(r, 0);
    ck_assert_msg(!h.cpu.vmx_nonroot, "exit reason %#x check %s", v->vm_exit_reason,
                  h.cpu.vmx->last_check_failed ? h.cpu.vmx->last_check_failed : "-");
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_IO_INSTRUCTION);
    ck_assert_uint_eq(v->exit_qualification, (1u << 6) | (0xe9u << 16));
    ck_assert_uint_eq(v->guest_rip, 0x103);
    ck_assert_uint_eq(h.cpu.gpr[R_AX] & 0xff, 0x77);
    ck_assert_uint_eq(h.cpu.mode, MODE_LONG); /* L1 is back in 64-bit mode */
}
END_TEST

START_TEST(pml_logs_dirty_pages_then_fills)
{
    struct vmcs *v = guest_vmcs();
    v->ept_pointer |= EPTP_AD;
    v->secondary_vm_exec_control |= CPU2_ENABLE_PML;
    v->pml_address = 0x214000;
    v->guest_pml_index = 511;
    v->cpu_based_vm_exec_control |= CPU_HLT_EXITING;
    /* Two writes to one page log it once; then HLT exits. */
    h.cpu.gpr[R_AX] = 0x500000;
    ck_assert(RUN_L2(0xc6, 0x00, 0x01, 0xc6, 0x40, 0x08, 0x02, 0xf4));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    unsigned logged = 0, target = 0;
    for (unsigned i = v->guest_pml_index + 1u; i <= 511; i++) {
        uint64_t gpa = physmem_read(&h.mem, v->pml_address + 8 * i, 8);
        logged++;
        if (gpa == 0x500000)
            target++;
    }
    ck_assert_uint_eq(target, 1);
    ck_assert_uint_ge(logged, 1);
    ck_assert(physmem_read(&h.mem, EPT_PD + (0x500000 >> 21) * 8, 8) & EPTE_D);
    /* Index out of range: the next logging write is a PML-full exit. */
    guest_vmcs();
    v = vmx_current_vmcs(&h.cpu);
    v->ept_pointer |= EPTP_AD;
    v->secondary_vm_exec_control |= CPU2_ENABLE_PML;
    v->pml_address = 0x214000;
    v->guest_pml_index = 0xffff;
    h.cpu.gpr[R_AX] = 0x500000;
    ck_assert(RUN_L2(0xc6, 0x00, 0x01));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_PML_FULL);
}
END_TEST

/* SDM 29.3.6: only writes that set a dirty flag are logged. A write that
 * a non-leaf EPT entry forbids is an EPT violation and logs nothing, even
 * though the leaf itself allows writes. */
START_TEST(pml_skips_write_refused_above_leaf)
{
    struct vmcs *v = guest_vmcs();
    v->ept_pointer |= EPTP_AD;
    v->secondary_vm_exec_control |= CPU2_ENABLE_PML;
    v->pml_address = 0x214000;
    v->guest_pml_index = 511;
    physmem_write(&h.mem, EPT_PDPT, EPT_PD | 5, 8); /* R+X, no W, above every leaf */
    h.cpu.gpr[R_AX] = 0x500000;
    ck_assert(RUN_L2(0xc6, 0x00, 0x01));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    /* The first refused write is L2's own page-table A/D update, a write
     * under EPT A/D (29.3.5). */
    ck_assert(v->exit_qualification & 2);
    ck_assert_uint_eq(v->guest_pml_index, 511);
    ck_assert(!(physmem_read(&h.mem, EPT_PD + (0x500000 >> 21) * 8, 8) & EPTE_D));
}
END_TEST

START_TEST(monitor_trap_flag)
{
    struct vmcs *v = guest_vmcs();
    v->cpu_based_vm_exec_control |= CPU_MONITOR_TRAP_FLAG;
    ck_assert(RUN_L2(0x90, 0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_MONITOR_TRAP_FLAG);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert(!h.cpu.single_step); /* L1 runs normally again */
    /* A pending MTF VM exit injected as "other event": exits at once. */
    v->vm_entry_intr_info_field = INTR_INFO_VALID | (INTR_TYPE_OTHER << 8);
    uint8_t resume[] = {0x0f, 0x01, 0xc3, 0xf4};
    harness_load(&h, LAUNCH_ADDR, resume, sizeof(resume));
    ck_assert_int_eq(harness_run(&h, LAUNCH_ADDR, 100), 0);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_MONITOR_TRAP_FLAG);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
}
END_TEST

/* With VPID on, the root context survives the entry/exit round trip and
 * the guest's combined translations survive the exit until VMRESUME: L1
 * changing L2's page table without any invalidation leaves L2 reading
 * through its cached translation (SDM 28.3: VPID-tagged mappings are
 * kept across VM transitions). Without VPID, both are gone. */
static uint64_t tlb_round_trip(bool vpid)
{
    struct vmcs *v = guest_vmcs();
    if (!vpid)
        v->secondary_vm_exec_control &= ~CPU2_ENABLE_VPID;
    v->cpu_based_vm_exec_control |= CPU_HLT_EXITING;
    physmem_write(&h.mem, 0x500000, 0x11, 8);
    physmem_write(&h.mem, 0x900000, 0x22, 8);
    /* L1: mov rbx, [0x700000]; vmlaunch; hlt */
    uint8_t launch[] = {0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x70, 0x00, 0x0f, 0x01, 0xc2, 0xf4};
    harness_load(&h, LAUNCH_ADDR, launch, sizeof(launch));
    /* L2: mov rcx, [0x500000]; cpuid; mov rdx, [0x500000]; hlt */
    ck_assert(RUN_L2(0x48, 0x8b, 0x0c, 0x25, 0x00, 0x00, 0x50, 0x00, 0x0f, 0xa2, 0x48, 0x8b,
                     0x14, 0x25, 0x00, 0x00, 0x50, 0x00, 0xf4));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    bool root_kept = h.cpu.tlb.e[0][tlb_index(0x700000)].tag_read == 0x700000;
    ck_assert(root_kept == vpid);
    /* L1 remaps L2's 2 MiB page at 0x400000 to 0x800000, no INVVPID. */
    physmem_write(&h.mem, 0x3000 + 2 * 8, 0x800000 | 0x83, 8);
    v->guest_rip += v->vm_exit_instruction_len;
    uint8_t resume[] = {0x0f, 0x01, 0xc3, 0xf4};
    harness_load(&h, LAUNCH_ADDR, resume, sizeof(resume));
    ck_assert_int_eq(harness_run(&h, LAUNCH_ADDR, 1000), 0);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    physmem_write(&h.mem, 0x3000 + 2 * 8, 0x400000 | 0x83, 8);
    return h.cpu.gpr[R_DX];
}

START_TEST(tlb_contexts_tagged_by_vpid)
{
    ck_assert_uint_eq(tlb_round_trip(true), 0x11);
}
END_TEST

START_TEST(tlb_flushed_without_vpid)
{
    ck_assert_uint_eq(tlb_round_trip(false), 0x22);
}
END_TEST

/* Found by kvm-unit-tests "disable RDTSCP": SDM Vol.2 RDPID, Vol.3C 25.3:
 * in non-root operation RDPID is #UD unless "enable RDTSCP" is 1 (it never
 * exits itself); the #UD then exits through the exception bitmap. With
 * the control RDPID returns IA32_TSC_AUX. */
START_TEST(rdpid_needs_enable_rdtscp)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_UD;
    h.cpu.tsc_aux = 0x1234;
    h.cpu.gpr[R_AX] = 0;
    ck_assert(RUN_L2(0x90, 0xf3, 0x0f, 0xc7, 0xf8, 0x0f, 0x01, 0xc1)); /* nop; rdpid rax; vmcall */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | (EV_HWEXC << 8) | EXC_UD);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0);
    v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_UD;
    v->secondary_vm_exec_control |= CPU2_ENABLE_RDTSCP;
    ck_assert(RUN_L2(0x90, 0xf3, 0x0f, 0xc7, 0xf8, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMCALL);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x1234);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmx_nonroot");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cpuid_exits);
    tcase_add_test(tc, io_exits_with_bitmaps);
    tcase_add_test(tc, io_string_and_immediate);
    tcase_add_test(tc, hlt_exit_and_activity);
    tcase_add_test(tc, ept_violation_and_readonly);
    tcase_add_test(tc, ept_misconfig);
    tcase_add_test(tc, msr_bitmap_exit_and_pass);
    tcase_add_test(tc, cr_access_exits);
    tcase_add_test(tc, tpr_shadow_cr8);
    tcase_add_test(tc, rdpid_needs_enable_rdtscp);
    tcase_add_test(tc, exception_bitmap_exit);
    tcase_add_test(tc, triple_fault_exit);
    tcase_add_test(tc, external_interrupt_ack_on_exit);
    tcase_add_test(tc, interrupt_window_and_preemption_timer);
    tcase_add_test(tc, unrestricted_real_mode_guest);
    tcase_add_test(tc, pml_logs_dirty_pages_then_fills);
    tcase_add_test(tc, pml_skips_write_refused_above_leaf);
    tcase_add_test(tc, monitor_trap_flag);
    tcase_add_test(tc, tlb_contexts_tagged_by_vpid);
    tcase_add_test(tc, tlb_flushed_without_vpid);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

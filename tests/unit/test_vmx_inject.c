/* VMX event fidelity, end to end with real L2 guests (tests/unit/
 * vmx_l2_util.h): VM-entry event injection (SDM Vol.3C 26.6 "Event
 * Injection" and "Details of Vectored-Event Injection"), IDT-vectoring
 * information for exits during event delivery and its exceptions -- a #DF
 * that exits directly, a triple fault (27.2.4) --, NMI blocking around
 * event delivery (27.1) and NMI unblocking due to IRET (25.3, 27.2.1,
 * 27.2.2). L2 runs in 64-bit mode at CPL 0 unless a test drops it to CPL
 * 3; its handlers end in CPUID, which always exits. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/exception.h"
#include "tests/unit/vmx_l2_util.h"

#define HANDLER 0x31000u /* CPUID */
#define RSP0 0x50000u    /* TSS.RSP0 for CPL 3 -> 0 */
#define IST_IN_HOLE (HOLE_GPA + 0x1000u) /* an IST stack EPT does not map */

#define TYPE(t) ((uint32_t)(t) << 8)

static void set_gate(unsigned vector, uint64_t target, unsigned dpl, bool present, unsigned ist)
{
    put64(&h, IDT_BASE + 16 * vector, make_gate(0x08, (uint32_t)target, 0xe, dpl, present, ist));
    put64(&h, IDT_BASE + 16 * vector + 8, target >> 32);
}

/* guest_vmcs() with a GDT in memory (flat 64-bit code 0x08/0x18, data
 * 0x10/0x20), a handler at HANDLER, and the TSS stacks (RSP0, and IST1 in
 * the EPT hole). */
static struct vmcs *event_vmcs(void)
{
    struct vmcs *v = guest_vmcs();
    /* A second call in one test gets the VMCS back as the last exit left
     * it: start these fields over too. */
    v->exception_bitmap = 0;
    v->vm_entry_intr_info_field = 0;
    v->vm_entry_instruction_len = 0;
    v->guest_interruptibility_info = 0;
    v->guest_activity_state = ACTIVITY_ACTIVE;
    sys_gdt_flat(&h, 0xa);
    v->guest_gdtr_limit = 0x27;
    harness_load(&h, HANDLER, (const uint8_t[]){0x0f, 0xa2}, 2);
    put64(&h, TSS_BASE + 4, RSP0);
    put64(&h, TSS_BASE + 0x24, IST_IN_HOLE);
    return v;
}

/* L2 at CPL 3 (selectors 0x1b/0x23 of sys_gdt_flat). */
static void guest_ring3(struct vmcs *v)
{
    v->guest_cs_selector = 0x1b;
    v->guest_cs_ar_bytes |= 3u << 5;
    v->guest_ss_selector = 0x23;
    v->guest_ss_ar_bytes |= 3u << 5;
    v->guest_ds_selector = v->guest_es_selector = 0x23;
    v->guest_fs_selector = v->guest_gs_selector = 0x23;
    v->guest_ds_ar_bytes |= 3u << 5;
    v->guest_es_ar_bytes |= 3u << 5;
    v->guest_fs_ar_bytes |= 3u << 5;
    v->guest_gs_ar_bytes |= 3u << 5;
}

static void check_entered(struct vmcs *v)
{
    ck_assert_msg(!(v->vm_exit_reason & EXIT_REASON_ENTRY_FAILURE) &&
                      v->vm_exit_reason != 0xffffffffu,
                  "entry failed: reason %#x check %s", v->vm_exit_reason,
                  h.cpu.vmx->last_check_failed ? h.cpu.vmx->last_check_failed : "-");
}

#define RUN(...)                                  \
    do {                                          \
        bool ok_ = RUN_L2(__VA_ARGS__);           \
        check_entered(vmx_current_vmcs(&h.cpu));  \
        ck_assert(ok_);                           \
    } while (0)

/* --- IDT-vectoring information (SDM 27.2.4) --- */

/* #PF, then #NP on its absent gate: contributory after a page fault is a
 * #DF (SDM Vol.3A table 6-5). When the #DF exits through the exception
 * bitmap, the exit is not "during event delivery": no IDT-vectoring
 * information. The #PF itself was not intercepted and updated CR2. */
START_TEST(converted_double_fault_exit_has_no_idt_vectoring)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_PF, HANDLER, 0, false, 0);
    v->exception_bitmap = 1u << EXC_DF;
    h.cpu.gpr[R_AX] = 1ull << 40; /* beyond the harness mappings */
    RUN(0x8a, 0x18);               /* mov bl, [rax] */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_DF);
    ck_assert_uint_eq(v->vm_exit_intr_error_code, 0);
    ck_assert_uint_eq(v->idt_vectoring_info_field & INTR_INFO_VALID, 0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(h.cpu.cr2, 1ull << 40);
}
END_TEST

/* The same #DF not intercepted, its delivery pushing onto an IST stack
 * that EPT does not map: the EPT violation happens while delivering the
 * #DF, which is what IDT-vectoring reports (vector 8, error code 0). */
START_TEST(exit_during_double_fault_delivery_reports_df)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_PF, HANDLER, 0, false, 0);
    set_gate(EXC_DF, HANDLER, 0, true, 1);
    h.cpu.gpr[R_AX] = 1ull << 40;
    RUN(0x8a, 0x18);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->idt_vectoring_info_field,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_DF);
    ck_assert_uint_eq(v->idt_vectoring_error_code, 0);
    ck_assert_uint_eq(v->vm_exit_intr_info & INTR_INFO_VALID, 0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
}
END_TEST

/* A nested exception that the bitmap takes while the #DF is delivered:
 * IDT-vectoring names the #DF, and the #NP's error code has EXT set
 * (27.2.2). The #PF gate has a type a 64-bit IDT refuses (#GP, not
 * intercepted: #PF then #GP makes the #DF), the #DF gate is absent (#NP,
 * intercepted). Without the interception it is a triple fault, which is
 * not an exit during event delivery either. */
START_TEST(exception_during_double_fault_delivery_exits_with_df_vectoring)
{
    struct vmcs *v = event_vmcs();
    put64(&h, IDT_BASE + 16 * EXC_PF, make_gate(0x08, HANDLER, 0x5, 0, true, 0));
    set_gate(EXC_DF, HANDLER, 0, false, 0);
    v->exception_bitmap = 1u << EXC_NP;
    h.cpu.gpr[R_AX] = 1ull << 40;
    RUN(0x8a, 0x18);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_NP);
    ck_assert_uint_eq(v->vm_exit_intr_error_code, EXC_DF * 8 + 2 + 1);
    ck_assert_uint_eq(v->idt_vectoring_info_field,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_DF);
    ck_assert_uint_eq(v->idt_vectoring_error_code, 0);

    v = event_vmcs();
    put64(&h, IDT_BASE + 16 * EXC_PF, make_gate(0x08, HANDLER, 0x5, 0, true, 0));
    set_gate(EXC_DF, HANDLER, 0, false, 0);
    h.cpu.gpr[R_AX] = 1ull << 40;
    RUN(0x8a, 0x18);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_TRIPLE_FAULT);
    ck_assert_uint_eq(v->idt_vectoring_info_field & INTR_INFO_VALID, 0);
    ck_assert_uint_eq(v->vm_exit_intr_info & INTR_INFO_VALID, 0);
}
END_TEST

/* SDM 27.2.4: a triple fault is not an exit during event delivery, even
 * when the event whose delivery failed was injected. */
START_TEST(triple_fault_from_injected_df_has_no_idt_vectoring)
{
    struct vmcs *v = event_vmcs();
    v->guest_idtr_limit = 0;
    v->vm_entry_intr_info_field =
        INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_DF;
    v->vm_entry_exception_error_code = 0;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_TRIPLE_FAULT);
    ck_assert_uint_eq(v->idt_vectoring_info_field & INTR_INFO_VALID, 0);
    ck_assert(!h.cpu.shutdown);
}
END_TEST

/* An injected external interrupt whose gate is absent raises #NP, handled
 * serially (benign then contributory); the #NP's own delivery then hits
 * an EPT violation. The event being delivered at the exit is the #NP, not
 * the injected interrupt. */
START_TEST(exit_after_injected_event_turned_into_exception_reports_exception)
{
    struct vmcs *v = event_vmcs();
    set_gate(0x40, HANDLER, 0, false, 0);
    set_gate(EXC_NP, HANDLER, 0, true, 1);
    v->guest_rflags = 2 | F_IF;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_EXTINT) | 0x40;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->idt_vectoring_info_field,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_NP);
    ck_assert_uint_eq(v->idt_vectoring_error_code, 0x40 * 8 + 2 + 1); /* IDT, EXT */
}
END_TEST

/* A guest INT n whose delivery exits: IDT-vectoring has the software
 * interrupt and the VM-exit instruction length is that of INT n. */
START_TEST(exit_during_guest_int_n_delivery_has_length)
{
    struct vmcs *v = event_vmcs();
    set_gate(0x80, HANDLER, 0, false, 0);
    v->exception_bitmap = 1u << EXC_NP;
    RUN(0x90, 0xcd, 0x80); /* nop; int 0x80 */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_NP);
    ck_assert_uint_eq(v->vm_exit_intr_error_code, 0x80 * 8 + 2); /* IDT, not EXT */
    ck_assert_uint_eq(v->idt_vectoring_info_field, INTR_INFO_VALID | TYPE(EV_SWINT) | 0x80);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 2);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
}
END_TEST

/* Event delivery pushing its frame onto the APIC-access page: an
 * APIC-access exit of type 3, "linear access during event delivery"
 * (27.2.1 table 27-6), with IDT-vectoring information for the event. */
START_TEST(apic_access_during_event_delivery_is_type_3)
{
    const uint64_t apic_page = 0x221000;
    struct vmcs *v = event_vmcs();
    v->cpu_based_vm_exec_control |= CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = VAPIC_PAGE;
    v->secondary_vm_exec_control |= CPU2_VIRT_APIC_ACCESSES;
    v->apic_access_addr = apic_page;
    put64(&h, TSS_BASE + 0x24, apic_page + 0x200); /* IST1 */
    set_gate(EXC_UD, HANDLER, 0, true, 1);
    RUN(0x0f, 0x0b); /* ud2 */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_ACCESS);
    ck_assert_uint_eq(v->exit_qualification, 0x1f8 | (3u << 12)); /* SS, the first push */
    ck_assert_uint_eq(v->idt_vectoring_info_field, INTR_INFO_VALID | TYPE(EV_HWEXC) | EXC_UD);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
}
END_TEST

/* --- Injection special cases (SDM 26.6.1.2) --- */

/* Software interrupt (type 4) injected at CPL 3 through a DPL-0 gate: the
 * gate-DPL check applies, #GP(vector*8+2) exits, IDT-vectoring has the
 * injected event and the VM-exit instruction length the VM-entry one. */
START_TEST(injected_software_interrupt_checks_gate_dpl)
{
    struct vmcs *v = event_vmcs();
    guest_ring3(v);
    set_gate(0x80, HANDLER, 0, true, 0);
    v->exception_bitmap = 1u << EXC_GP;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_SWINT) | 0x80;
    v->vm_entry_instruction_len = 2;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_GP);
    ck_assert_uint_eq(v->vm_exit_intr_error_code, 0x80 * 8 + 2);
    ck_assert_uint_eq(v->idt_vectoring_info_field, INTR_INFO_VALID | TYPE(EV_SWINT) | 0x80);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 2);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->guest_cs_selector, 0x1b);
}
END_TEST

/* Software exception (type 6, #BP as from INT3): the DPL check applies. */
START_TEST(injected_software_exception_checks_gate_dpl)
{
    struct vmcs *v = event_vmcs();
    guest_ring3(v);
    set_gate(EXC_BP, HANDLER, 0, true, 0);
    v->exception_bitmap = 1u << EXC_GP;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_SWEXC) | EXC_BP;
    v->vm_entry_instruction_len = 1;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_intr_info & 0xff, EXC_GP);
    ck_assert_uint_eq(v->vm_exit_intr_error_code, EXC_BP * 8 + 2);
    ck_assert_uint_eq(v->idt_vectoring_info_field, INTR_INFO_VALID | TYPE(EV_SWEXC) | EXC_BP);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 1);
}
END_TEST

/* Privileged software exception (type 5, INT1/ICEBP) and a hardware
 * exception at CPL 3 through DPL-0 gates: no DPL check. The type-5 return
 * RIP is RIP + VM-entry instruction length; the hardware exception's is
 * RIP. Injecting #DB leaves DR6 alone. */
START_TEST(injected_privileged_and_hardware_exceptions_skip_gate_dpl)
{
    struct vmcs *v = event_vmcs();
    guest_ring3(v);
    set_gate(EXC_DB, HANDLER, 0, true, 0);
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_PRIVSW) | EXC_DB;
    v->vm_entry_instruction_len = 1;
    uint64_t dr6 = h.cpu.dr[6];
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(v->guest_cs_selector, 0x08);
    ck_assert_uint_eq(v->guest_rsp, RSP0 - 40);
    ck_assert_uint_eq(get64(&h, RSP0 - 40), GUEST_RIP + 1); /* return RIP */
    ck_assert_uint_eq(get64(&h, RSP0 - 32), 0x1b);
    ck_assert_uint_eq(get64(&h, RSP0 - 16), GUEST_RSP);
    ck_assert_uint_eq(get64(&h, RSP0 - 8), 0x23);
    ck_assert_uint_eq(h.cpu.dr[6], dr6);
    ck_assert_uint_eq(v->idt_vectoring_info_field & INTR_INFO_VALID, 0);

    v = event_vmcs();
    guest_ring3(v);
    set_gate(EXC_UD, HANDLER, 0, true, 0);
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_HWEXC) | EXC_UD;
    v->vm_entry_instruction_len = 5; /* ignored for hardware exceptions */
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(get64(&h, RSP0 - 40), GUEST_RIP);
}
END_TEST

/* An injected #DB as a hardware exception: DR6, DR7 (GD included) and
 * IA32_DEBUGCTL are not modified by event injection (26.6.1.2), unlike a
 * #DB the guest itself raises. */
START_TEST(injected_debug_exception_leaves_debug_registers)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_DB, HANDLER, 0, true, 0);
    v->guest_dr7 = 0x400 | (1u << 13); /* GD */
    v->guest_ia32_debugctl = 1;        /* LBR */
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_HWEXC) | EXC_DB;
    uint64_t dr6 = h.cpu.dr[6];
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(h.cpu.dr[6], dr6);
    ck_assert_uint_eq(v->guest_dr7, 0x400 | (1u << 13));
    ck_assert_uint_eq(v->guest_ia32_debugctl, 1);
    ck_assert_uint_eq(get64(&h, GUEST_RSP - 40), GUEST_RIP);
}
END_TEST

/* Blocking by STI allows injecting an exception (only external interrupts
 * are refused, 26.3.1.5); delivering it ends the blocking, so the exit
 * from the handler saves none. */
START_TEST(injection_under_sti_blocking_ends_it)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_UD, HANDLER, 0, true, 0);
    v->guest_rflags = 2 | F_IF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_HWEXC) | EXC_UD;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(v->guest_interruptibility_info &
                          (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS), 0);
}
END_TEST

/* A virtual-8086 guest (unrestricted guest: protected mode without
 * paging) at CS:IP 3000:0100, SS:SP 4000:1000, IOPL 0, with a 32-bit
 * IDT, GDT and TSS (RSP0 as ESP0, SS0 0x10). */
static struct vmcs *v86_vmcs(void)
{
    struct vmcs *v = event_vmcs();
    sys_gdt_flat(&h, 0xc); /* 32-bit code at 0x08 */
    v->secondary_vm_exec_control |= CPU2_UNRESTRICTED_GUEST;
    v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->guest_ia32_efer = 0;
    v->guest_cr0 = CR0_PE | CR0_ET | CR0_NE;
    v->guest_cr3 = 0;
    v->guest_cr4 = CR4_VMXE;
    v->guest_rflags = 2 | F_VM;
    v->guest_rip = 0x100;
    v->guest_rsp = 0x1000;
    uint16_t *sels[] = {&v->guest_cs_selector, &v->guest_ss_selector, &v->guest_ds_selector,
                        &v->guest_es_selector, &v->guest_fs_selector, &v->guest_gs_selector};
    uint64_t *bases[] = {&v->guest_cs_base, &v->guest_ss_base, &v->guest_ds_base,
                         &v->guest_es_base, &v->guest_fs_base, &v->guest_gs_base};
    uint32_t *ars[] = {&v->guest_cs_ar_bytes, &v->guest_ss_ar_bytes, &v->guest_ds_ar_bytes,
                       &v->guest_es_ar_bytes, &v->guest_fs_ar_bytes, &v->guest_gs_ar_bytes};
    uint32_t *lims[] = {&v->guest_cs_limit, &v->guest_ss_limit, &v->guest_ds_limit,
                        &v->guest_es_limit, &v->guest_fs_limit, &v->guest_gs_limit};
    for (int i = 0; i < 6; i++) {
        *sels[i] = i == 0 ? 0x3000 : i == 1 ? 0x4000 : 0;
        *bases[i] = (uint64_t)*sels[i] << 4;
        *ars[i] = 0xf3;
        *lims[i] = 0xffff;
    }
    v->guest_idtr_limit = 0x7ff;
    put64(&h, TSS_BASE + 4, RSP0 | (0x10ull << 32)); /* ESP0, SS0 */
    return v;
}

/* run_l2() for code already in place. */
static bool run_loaded_l2(void)
{
    int r = harness_run(&h, LAUNCH_ADDR, 10000);
    return r == 0 && !h.cpu.vmx_nonroot && h.cpu.rip == HOST_RIP + 1;
}

/* SDM 26.6.1.2: a software interrupt injected into a virtual-8086 guest
 * with IOPL < 3 does not raise #GP (an INT n of the guest would); without
 * CR4.VME (not offered) it goes through the protected-mode IDT, gate DPL
 * 3, to the ring-0 handler with the V86 frame. */
START_TEST(injected_software_interrupt_in_v86_skips_iopl)
{
    struct vmcs *v = v86_vmcs();
    put64(&h, IDT_BASE + 8 * 0x21, make_gate(0x08, HANDLER, 0xe, 3, true, 0));
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_SWINT) | 0x21;
    v->vm_entry_instruction_len = 2;
    harness_load(&h, 0x30100, (const uint8_t[]){0xcd, 0x21}, 2);
    bool ok = run_loaded_l2();
    check_entered(v);
    ck_assert(ok);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(v->guest_cs_selector, 0x08);
    ck_assert_uint_eq(v->guest_rflags & F_VM, 0);
    /* Frame on the ring-0 stack: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS. */
    uint32_t esp = (uint32_t)v->guest_rsp;
    ck_assert_uint_eq(esp, RSP0 - 36);
    ck_assert_uint_eq(physmem_read(&h.mem, esp, 4), 0x102); /* IP + length */
    ck_assert_uint_eq(physmem_read(&h.mem, esp + 4, 4), 0x3000);
    ck_assert_uint_eq(physmem_read(&h.mem, esp + 8, 4) & F_VM, F_VM);
    ck_assert_uint_eq(physmem_read(&h.mem, esp + 16, 4), 0x4000);

    /* The guest's own INT 0x21 at IOPL 0 is #GP(0). */
    v = v86_vmcs();
    put64(&h, IDT_BASE + 8 * 0x21, make_gate(0x08, HANDLER, 0xe, 3, true, 0));
    v->exception_bitmap = 1u << EXC_GP;
    harness_load(&h, 0x30100, (const uint8_t[]){0xcd, 0x21}, 2);
    ok = run_loaded_l2();
    check_entered(v);
    ck_assert(ok);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info & 0xff, EXC_GP);
    ck_assert_uint_eq(v->vm_exit_intr_error_code, 0);
    ck_assert_uint_eq(v->guest_rip, 0x100);
}
END_TEST

/* The injected event is not subject to the exception bitmap (26.6.1). */
START_TEST(injected_exception_bypasses_exception_bitmap)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_GP, HANDLER, 0, true, 0);
    v->exception_bitmap = 1u << EXC_GP;
    v->vm_entry_intr_info_field =
        INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_GP;
    v->vm_entry_exception_error_code = 0x18;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(get64(&h, GUEST_RSP - 48), 0x18); /* error code pushed */
    ck_assert_uint_eq(get64(&h, GUEST_RSP - 40), GUEST_RIP);
    /* RF is pushed as loaded, whatever the event type (26.6.1.2). */
    ck_assert_uint_eq(get64(&h, GUEST_RSP - 24) & F_RF, 0);
}
END_TEST

/* Injecting into a guest in the HLT state: the event is delivered, the
 * guest is active from then on (26.6.1.2 and 26.6.3), its return RIP the
 * guest RIP (the HLT has completed). */
START_TEST(injection_wakes_a_halted_guest)
{
    struct vmcs *v = event_vmcs();
    set_gate(0x40, HANDLER, 0, true, 0);
    v->guest_rflags = 2 | F_IF;
    v->guest_activity_state = ACTIVITY_HLT;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_EXTINT) | 0x40;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_activity_state, ACTIVITY_ACTIVE);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(get64(&h, GUEST_RSP - 40), GUEST_RIP);
    ck_assert_uint_eq(v->guest_rflags & F_IF, 0); /* interrupt gate */
}
END_TEST

/* Injected NMI, without and with virtual NMIs: the handler runs with
 * (virtual-)NMI blocking, and its IRET ends it. */
static void injected_nmi_round_trip(bool virtual_nmis)
{
    struct vmcs *v = event_vmcs();
    if (virtual_nmis)
        v->pin_based_vm_exec_control |= PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
    /* handler: cpuid; iretq */
    harness_load(&h, HANDLER, (const uint8_t[]){0x0f, 0xa2, 0x48, 0xcf}, 4);
    set_gate(EXC_NMI, HANDLER, 0, true, 0);
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_NMI) | EXC_NMI;
    RUN(0x0f, 0xa2); /* the interrupted code: cpuid */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI,
                      INTERRUPTIBILITY_NMI);
    v->guest_rip += 2;
    harness_load(&h, LAUNCH_ADDR, (const uint8_t[]){0x0f, 0x01, 0xc3, 0xf4}, 4);
    ck_assert_int_eq(harness_run(&h, LAUNCH_ADDR, 1000), 0);
    check_entered(v);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
}

START_TEST(injected_nmi_blocks_until_iret)
{
    injected_nmi_round_trip(false);
}
END_TEST

START_TEST(injected_virtual_nmi_blocks_until_iret)
{
    injected_nmi_round_trip(true);
}
END_TEST

/* SDM 27.1: an NMI whose delivery ends in a VM exit has blocked NMIs
 * before the exit; the exit saves blocking by NMI, and IDT-vectoring has
 * the NMI. */
START_TEST(exit_during_nmi_delivery_saves_nmi_blocking)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_NMI, HANDLER, 0, true, 1); /* IST stack in the EPT hole */
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_NMI) | EXC_NMI;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->idt_vectoring_info_field, INTR_INFO_VALID | TYPE(EV_NMI) | EXC_NMI);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI,
                      INTERRUPTIBILITY_NMI);
    ck_assert_uint_eq(v->exit_qualification & INTR_INFO_NMI_UNBLOCK, 0);
}
END_TEST

/* An injected exception under blocking by STI whose delivery exits: a
 * vectoring VM entry leaves no blocking by STI (26.6.1), and an exit
 * during event delivery saves none (27.1). */
START_TEST(exit_during_delivery_saves_no_sti_blocking)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_UD, HANDLER, 0, true, 1); /* IST stack in the EPT hole */
    v->guest_rflags = 2 | F_IF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | TYPE(EV_HWEXC) | EXC_UD;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->idt_vectoring_info_field, INTR_INFO_VALID | TYPE(EV_HWEXC) | EXC_UD);
    ck_assert_uint_eq(v->guest_interruptibility_info &
                          (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS), 0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
}
END_TEST

/* NMI exiting: the NMI exits (reason 0, type NMI) and blocks NMIs only
 * once the exit is done, in root operation (27.1). */
START_TEST(nmi_exit_blocks_nmis_after_the_exit)
{
    struct vmcs *v = event_vmcs();
    v->pin_based_vm_exec_control |= PIN_NMI_EXITING;
    h.cpu.nmi_blocked = true; /* L1's own: the NMI waits for non-root */
    h.cpu.nmi_pending = true;
    RUN(0x90);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | TYPE(EV_NMI) | EXC_NMI);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
    ck_assert(!h.cpu.nmi_pending);
    ck_assert(h.cpu.nmi_blocked);
}
END_TEST

/* NMI exiting without virtual NMIs: blocking by NMI loaded by VM entry
 * holds NMIs (and so their VM exits) back for all of non-root operation
 * (26.6.1); with virtual NMIs the bit is virtual and the NMI exits. */
START_TEST(nmi_exit_held_by_blocking_without_virtual_nmis)
{
    struct vmcs *v = event_vmcs();
    v->pin_based_vm_exec_control |= PIN_NMI_EXITING;
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    h.cpu.nmi_blocked = true; /* L1's own: the NMI waits for non-root */
    h.cpu.nmi_pending = true;
    RUN(0x90, 0x0f, 0xa2);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert(h.cpu.nmi_pending);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI,
                      INTERRUPTIBILITY_NMI);

    v = event_vmcs();
    v->pin_based_vm_exec_control |= PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    h.cpu.nmi_blocked = true;
    h.cpu.nmi_pending = true;
    RUN(0x90, 0x0f, 0xa2);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI,
                      INTERRUPTIBILITY_NMI);
}
END_TEST

/* --- NMI unblocking due to IRET (SDM 25.3, 27.2.2, 27.2.1) --- */

/* IRETQ at GUEST_RIP with a zero frame on the stack: the null CS raises
 * #GP(0), which L1 intercepts. pin: extra pin-based controls; blocked:
 * (virtual-)NMI blocking before the IRET. */
static struct vmcs *iret_gp_exit(uint32_t pin, bool blocked)
{
    struct vmcs *v = event_vmcs();
    v->pin_based_vm_exec_control |= pin;
    v->exception_bitmap = 1u << EXC_GP;
    v->guest_interruptibility_info = blocked ? INTERRUPTIBILITY_NMI : 0;
    for (unsigned i = 0; i < 5; i++)
        put64(&h, GUEST_RSP + 8 * i, 0);
    RUN(0x48, 0xcf);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info & 0xfff,
                      INTR_INFO_DELIVER_CODE | TYPE(EV_HWEXC) | EXC_GP);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    return v;
}

START_TEST(iret_fault_reports_nmi_unblocking)
{
    struct vmcs *v = iret_gp_exit(0, true);
    ck_assert_uint_eq(v->vm_exit_intr_info & INTR_INFO_NMI_UNBLOCK, INTR_INFO_NMI_UNBLOCK);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
    /* Nothing to unblock: bit 12 clear. */
    v = iret_gp_exit(0, false);
    ck_assert_uint_eq(v->vm_exit_intr_info & INTR_INFO_NMI_UNBLOCK, 0);
}
END_TEST

START_TEST(iret_fault_reports_virtual_nmi_unblocking)
{
    struct vmcs *v = iret_gp_exit(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, true);
    ck_assert_uint_eq(v->vm_exit_intr_info & INTR_INFO_NMI_UNBLOCK, INTR_INFO_NMI_UNBLOCK);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
}
END_TEST

/* NMI exiting without virtual NMIs: IRET does not touch NMI blocking. */
START_TEST(iret_under_nmi_exiting_keeps_nmi_blocking)
{
    struct vmcs *v = iret_gp_exit(PIN_NMI_EXITING, true);
    ck_assert_uint_eq(v->vm_exit_intr_info & INTR_INFO_NMI_UNBLOCK, 0);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI,
                      INTERRUPTIBILITY_NMI);
}
END_TEST

/* A faulting IRET whose #GP reaches the guest's handler still unblocked
 * NMIs (SDM Vol.3A 6.7.1). */
START_TEST(iret_fault_delivered_to_guest_leaves_nmis_unblocked)
{
    struct vmcs *v = event_vmcs();
    set_gate(EXC_GP, HANDLER, 0, true, 0);
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    for (unsigned i = 0; i < 5; i++)
        put64(&h, GUEST_RSP + 8 * i, 0);
    RUN(0x48, 0xcf);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
}
END_TEST

/* IRET popping its frame from a page EPT does not map: EPT violation with
 * bit 12 of the qualification; the NMI blocking stays removed. */
START_TEST(iret_ept_violation_reports_nmi_unblocking)
{
    struct vmcs *v = event_vmcs();
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    v->guest_rsp = HOLE_GPA + 0x100;
    RUN(0x48, 0xcf);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->exit_qualification & (1u << 12), 1u << 12);
    ck_assert_uint_eq(v->exit_qualification & EPT_QUAL_READ, EPT_QUAL_READ);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    /* Without blocking before the IRET the bit is clear. */
    v = event_vmcs();
    v->guest_rsp = HOLE_GPA + 0x100;
    RUN(0x48, 0xcf);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->exit_qualification & (1u << 12), 0);
}
END_TEST

/* IRET setting the accessed bit of its CS descriptor in a page whose EPT
 * dirty flag is clear, with page-modification logging and the log full:
 * PML-full exit with bit 12 of the qualification (27.2.1), the IRET
 * undone (RIP, RSP, RFLAGS as before it), NMI blocking removed. */
START_TEST(iret_pml_full_reports_nmi_unblocking)
{
    struct vmcs *v = event_vmcs();
    const uint64_t gdt = 0x400000; /* alone in its 2 MiB EPT page */
    put64(&h, gdt, 0);
    put64(&h, gdt + 0x08, make_seg_desc(0, 0xfffff, 0xa, 0, true, 0xa)); /* not accessed */
    put64(&h, gdt + 0x10, make_seg_desc(0, 0xfffff, 0x3, 0, true, 0xc));
    v->guest_gdtr_base = gdt;
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t e = get64(&h, EPT_PD + i * 8);
        if (e && (i << 21) != gdt)
            put64(&h, EPT_PD + i * 8, e | EPTE_A | EPTE_D);
    }
    v->ept_pointer |= EPTP_AD;
    v->secondary_vm_exec_control |= CPU2_ENABLE_PML;
    v->pml_address = 0x214000;
    v->guest_pml_index = 0xffff;
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    v->guest_rflags = 2 | F_CF;
    put64(&h, GUEST_RSP, GUEST_RIP + 2);
    put64(&h, GUEST_RSP + 8, 0x08);
    put64(&h, GUEST_RSP + 16, 2);
    put64(&h, GUEST_RSP + 24, GUEST_RSP + 0x100);
    put64(&h, GUEST_RSP + 32, 0x10);
    RUN(0x48, 0xcf);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_PML_FULL);
    ck_assert_uint_eq(v->exit_qualification, 1u << 12);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->guest_rsp, GUEST_RSP);
    /* RF = 1 as for EPT violations (SDM 27.3.3, 2016+ editions). */
    ck_assert_uint_eq(v->guest_rflags, 2 | F_CF | F_RF);
    ck_assert_uint_eq(get64(&h, gdt + 0x08) & (1ull << 40), 0);
}
END_TEST

/* A 32-bit IRET with RFLAGS.NT returns through the TSS back link: a task
 * switch, which exits unconditionally (reason 9, source IRET) before the
 * IRET takes effect. That exit is not among those after which 27.1 leaves
 * NMI blocking removed, so the (virtual-)NMI blocking is still there. */
static void iret_task_switch_keeps_blocking(uint32_t pin)
{
    struct vmcs *v = event_vmcs();
    v->pin_based_vm_exec_control |= pin;
    v->secondary_vm_exec_control |= CPU2_UNRESTRICTED_GUEST;
    v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->guest_ia32_efer = 0;
    v->guest_cr0 = CR0_PE | CR0_ET | CR0_NE;
    v->guest_cr3 = 0;
    v->guest_cr4 = CR4_VMXE;
    v->guest_cs_ar_bytes = 0xb | SEG_S | SEG_P | SEG_DB | SEG_G;
    v->guest_rflags = 2 | F_NT;
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    physmem_write(&h.mem, TSS_BASE, 0x28, 2); /* back link */
    RUN(0xcf); /* iretd */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_TASK_SWITCH);
    ck_assert_uint_eq(v->exit_qualification, 0x28 | (1u << 30));
    ck_assert_uint_eq(v->vm_exit_instruction_len, 1);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI,
                      INTERRUPTIBILITY_NMI);
}

START_TEST(iret_task_switch_exit_keeps_nmi_blocking)
{
    iret_task_switch_keeps_blocking(0);
    iret_task_switch_keeps_blocking(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
}
END_TEST

/* A completed IRET leaves nothing behind: a later EPT violation does not
 * claim NMI unblocking. */
START_TEST(completed_iret_does_not_mark_later_exits)
{
    struct vmcs *v = event_vmcs();
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    /* Frame: RIP GUEST_RIP+2, CS 0x08, RFLAGS 2, RSP GUEST_RSP, SS 0x10. */
    put64(&h, GUEST_RSP, GUEST_RIP + 2);
    put64(&h, GUEST_RSP + 8, 0x08);
    put64(&h, GUEST_RSP + 16, 2);
    put64(&h, GUEST_RSP + 24, GUEST_RSP);
    put64(&h, GUEST_RSP + 32, 0x10);
    h.cpu.gpr[R_AX] = HOLE_GPA;
    RUN(0x48, 0xcf, 0x8a, 0x18); /* iretq; mov bl, [rax] */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2);
    ck_assert_uint_eq(v->exit_qualification & (1u << 12), 0);
    ck_assert_uint_eq(v->guest_interruptibility_info & INTERRUPTIBILITY_NMI, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmx_inject");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, converted_double_fault_exit_has_no_idt_vectoring);
    tcase_add_test(tc, exit_during_double_fault_delivery_reports_df);
    tcase_add_test(tc, exception_during_double_fault_delivery_exits_with_df_vectoring);
    tcase_add_test(tc, triple_fault_from_injected_df_has_no_idt_vectoring);
    tcase_add_test(tc, exit_after_injected_event_turned_into_exception_reports_exception);
    tcase_add_test(tc, exit_during_guest_int_n_delivery_has_length);
    tcase_add_test(tc, apic_access_during_event_delivery_is_type_3);
    tcase_add_test(tc, injected_software_interrupt_checks_gate_dpl);
    tcase_add_test(tc, injected_software_exception_checks_gate_dpl);
    tcase_add_test(tc, injected_privileged_and_hardware_exceptions_skip_gate_dpl);
    tcase_add_test(tc, injected_debug_exception_leaves_debug_registers);
    tcase_add_test(tc, injection_under_sti_blocking_ends_it);
    tcase_add_test(tc, injected_software_interrupt_in_v86_skips_iopl);
    tcase_add_test(tc, injected_exception_bypasses_exception_bitmap);
    tcase_add_test(tc, injection_wakes_a_halted_guest);
    tcase_add_test(tc, injected_nmi_blocks_until_iret);
    tcase_add_test(tc, injected_virtual_nmi_blocks_until_iret);
    tcase_add_test(tc, exit_during_nmi_delivery_saves_nmi_blocking);
    tcase_add_test(tc, exit_during_delivery_saves_no_sti_blocking);
    tcase_add_test(tc, nmi_exit_blocks_nmis_after_the_exit);
    tcase_add_test(tc, nmi_exit_held_by_blocking_without_virtual_nmis);
    tcase_add_test(tc, iret_fault_reports_nmi_unblocking);
    tcase_add_test(tc, iret_fault_reports_virtual_nmi_unblocking);
    tcase_add_test(tc, iret_under_nmi_exiting_keeps_nmi_blocking);
    tcase_add_test(tc, iret_fault_delivered_to_guest_leaves_nmis_unblocked);
    tcase_add_test(tc, iret_ept_violation_reports_nmi_unblocking);
    tcase_add_test(tc, iret_pml_full_reports_nmi_unblocking);
    tcase_add_test(tc, iret_task_switch_exit_keeps_nmi_blocking);
    tcase_add_test(tc, completed_iret_does_not_mark_later_exits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* APIC virtualization in the unit harness (vmx_emul/vmx_apicv.c, SDM
 * Vol.3C chapter 29): virtual-interrupt delivery through L2's IDT, EOI
 * virtualization with the EOI-exit bitmap, self-IPI and TPR through
 * virtualized x2APIC MSRs, the APIC-access page with and without
 * APIC-register virtualization, and posted-interrupt processing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/lapic.h"
#include "tests/unit/vmx_l2_util.h"

#define VAPIC 0x220000u
#define APIC_ACCESS 0x221000u
#define PI_DESC 0x222000u
#define HANDLER 0x31000u
#define L2_GDT 0x5000u
#define L2_IDT 0x6000u

/* L2's GDT (64-bit code at 0x08, data at 0x10) and an interrupt gate for
 * `vector` to HANDLER, which halts (HLT exiting is on). */
static struct vmcs *apicv_vmcs(unsigned vector)
{
    struct vmcs *v = guest_vmcs();
    physmem_write(&h.mem, L2_GDT + 8, 0x00af9b000000ffffull, 8);
    physmem_write(&h.mem, L2_GDT + 16, 0x00cf93000000ffffull, 8);
    uint64_t lo = (HANDLER & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                  ((uint64_t)(HANDLER >> 16) << 48);
    physmem_write(&h.mem, L2_IDT + vector * 16, lo, 8);
    physmem_write(&h.mem, L2_IDT + vector * 16 + 8, 0, 8);
    harness_load(&h, HANDLER, (const uint8_t[]){0xf4}, 1);
    for (unsigned off = 0; off < 0x1000; off += 8)
        physmem_write(&h.mem, VAPIC + off, 0, 8);
    v->cpu_based_vm_exec_control |= CPU_HLT_EXITING | CPU_TPR_SHADOW | CPU_USE_MSR_BITMAPS;
    v->msr_bitmap = MSR_BITMAP; /* all zero: no MSR exits */
    v->virtual_apic_page_addr = VAPIC;
    v->guest_rflags = 2 | F_IF;
    return v;
}

static void enable_vid(struct vmcs *v)
{
    v->pin_based_vm_exec_control |= PIN_EXTINT_EXITING;
    v->secondary_vm_exec_control |= CPU2_VIRTUAL_INTR_DELIVERY | CPU2_VIRT_X2APIC_MODE;
}

static bool vbit(uint32_t base, unsigned vec)
{
    return (physmem_read(&h.mem, VAPIC + base + (vec / 32) * 16, 4) >> (vec % 32)) & 1;
}

START_TEST(virtual_interrupt_delivery)
{
    struct vmcs *v = apicv_vmcs(0x41);
    enable_vid(v);
    v->guest_intr_status = 0x41; /* RVI */
    physmem_write(&h.mem, VAPIC + 0x200 + 2 * 16, 1u << 1, 4); /* VIRR[0x41] */
    ck_assert(RUN_L2(0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert(vbit(0x100, 0x41));  /* VISR */
    ck_assert(!vbit(0x200, 0x41)); /* VIRR */
    ck_assert_uint_eq(v->guest_intr_status, 0x4100); /* SVI 0x41, RVI 0 */
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC + 0xa0, 4), 0x40); /* VPPR */
}
END_TEST

START_TEST(vtpr_masks_virtual_interrupt)
{
    struct vmcs *v = apicv_vmcs(0x41);
    enable_vid(v);
    v->guest_intr_status = 0x41;
    physmem_write(&h.mem, VAPIC + 0x80, 0x50, 4); /* VTPR class 5 > 4 */
    /* L2 lowers TPR with x2APIC WRMSR 0x808: then the interrupt arrives. */
    h.cpu.gpr[R_CX] = 0x808;
    h.cpu.gpr[R_AX] = 0x10;
    h.cpu.gpr[R_DX] = 0;
    ck_assert(RUN_L2(0x90, 0x0f, 0x30, 0xf4));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC + 0x80, 4), 0x10);
}
END_TEST

START_TEST(eoi_exit_bitmap_and_self_ipi)
{
    struct vmcs *v = apicv_vmcs(0x41);
    enable_vid(v);
    /* In service: 0x41. EOI via WRMSR 0x80b exits (EOI-exit bitmap). */
    v->guest_intr_status = 0x4100;
    physmem_write(&h.mem, VAPIC + 0x100 + 2 * 16, 1u << 1, 4);
    v->eoi_exit_bitmap1 = 1ull << (0x41 - 64);
    h.cpu.gpr[R_CX] = 0x80b;
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_DX] = 0;
    ck_assert(RUN_L2(0x0f, 0x30, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EOI_INDUCED);
    ck_assert_uint_eq(v->exit_qualification, 0x41);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2); /* trap-like */
    ck_assert(!vbit(0x100, 0x41));
    ck_assert_uint_eq(v->guest_intr_status, 0);
    /* Self-IPI through WRMSR 0x83f: delivered at once to L2's handler. */
    v = apicv_vmcs(0x41);
    enable_vid(v);
    h.cpu.gpr[R_CX] = 0x83f;
    h.cpu.gpr[R_AX] = 0x41;
    h.cpu.gpr[R_DX] = 0;
    ck_assert(RUN_L2(0x0f, 0x30, 0x90, 0xcc));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(v->guest_intr_status, 0x4100);
}
END_TEST

/* SDM 29.4.1: fetching an instruction from the APIC-access page is an
 * APIC-access exit of access type 2, before the instruction runs. */
START_TEST(apic_access_page_fetch)
{
    struct vmcs *v = apicv_vmcs(0x41);
    v->secondary_vm_exec_control |= CPU2_VIRT_APIC_ACCESSES | CPU2_APIC_REGISTER_VIRT;
    v->apic_access_addr = APIC_ACCESS;
    h.cpu.gpr[R_AX] = APIC_ACCESS + 0x10;
    ck_assert(RUN_L2(0xff, 0xe0)); /* jmp rax */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_ACCESS);
    ck_assert_uint_eq(v->exit_qualification, 0x2010);
    ck_assert_uint_eq(v->guest_rip, APIC_ACCESS + 0x10);
}
END_TEST

START_TEST(apic_access_page)
{
    struct vmcs *v = apicv_vmcs(0x41);
    v->secondary_vm_exec_control |= CPU2_VIRT_APIC_ACCESSES;
    v->apic_access_addr = APIC_ACCESS;
    physmem_write(&h.mem, VAPIC + 0x80, 0x30, 4);
    /* mov ebx, [rax + 0x80] reads VTPR; mov ecx, [rax + 0x20] exits. */
    h.cpu.gpr[R_AX] = APIC_ACCESS;
    ck_assert(RUN_L2(0x8b, 0x98, 0x80, 0x00, 0x00, 0x00, 0x8b, 0x48, 0x20));
    ck_assert_uint_eq(h.cpu.gpr[R_BX], 0x30);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_ACCESS);
    ck_assert_uint_eq(v->exit_qualification, 0x20); /* linear read of offset 0x20 */
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 6);
    /* With APIC-register virtualization the ID read is virtualized and a
     * write to it is an APIC-write exit after the instruction. */
    v = apicv_vmcs(0x41);
    v->secondary_vm_exec_control |= CPU2_VIRT_APIC_ACCESSES | CPU2_APIC_REGISTER_VIRT;
    v->apic_access_addr = APIC_ACCESS;
    physmem_write(&h.mem, VAPIC + 0x20, 0x07000000, 4);
    h.cpu.gpr[R_AX] = APIC_ACCESS;
    h.cpu.gpr[R_DX] = 0x09000000;
    /* mov ecx, [rax + 0x20]; mov [rax + 0x20], edx; nop */
    ck_assert(RUN_L2(0x8b, 0x48, 0x20, 0x89, 0x50, 0x20, 0x90));
    ck_assert_uint_eq(h.cpu.gpr[R_CX], 0x07000000);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_WRITE);
    ck_assert_uint_eq(v->exit_qualification, 0x20);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 6);
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC + 0x20, 4), 0x09000000);
}
END_TEST

static bool notify_line;
static bool notify_pending(struct cpu *cpu)
{
    (void)cpu;
    return notify_line;
}
static int notify_ack(struct cpu *cpu)
{
    (void)cpu;
    notify_line = false;
    return 0xf2;
}

START_TEST(posted_interrupt_processing)
{
    struct vmcs *v = apicv_vmcs(0x45);
    enable_vid(v);
    v->pin_based_vm_exec_control |= PIN_POSTED_INTERRUPTS;
    v->vm_exit_controls |= EXIT_ACK_INTR_ON_EXIT;
    v->posted_intr_nv = 0xf2;
    v->posted_intr_desc_addr = PI_DESC;
    for (unsigned off = 0; off < 64; off += 8)
        physmem_write(&h.mem, PI_DESC + off, 0, 8);
    physmem_write(&h.mem, PI_DESC + 8, 1u << (0x45 - 64), 4); /* PIR[0x45] */
    physmem_write(&h.mem, PI_DESC + 32, 1, 1);                 /* ON */
    h.cpu.intr_pending = notify_pending;
    h.cpu.intr_ack = notify_ack;
    notify_line = true;
    ck_assert(RUN_L2(0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(physmem_read(&h.mem, PI_DESC + 32, 1) & 1, 0);
    ck_assert_uint_eq(physmem_read(&h.mem, PI_DESC + 8, 4), 0);
    ck_assert(vbit(0x100, 0x45));
    /* Another vector is an ordinary external-interrupt exit. */
    v = apicv_vmcs(0x45);
    enable_vid(v);
    v->pin_based_vm_exec_control |= PIN_POSTED_INTERRUPTS;
    v->vm_exit_controls |= EXIT_ACK_INTR_ON_EXIT;
    v->posted_intr_nv = 0xf3;
    v->posted_intr_desc_addr = PI_DESC;
    notify_line = true;
    ck_assert(RUN_L2(0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXTERNAL_INTERRUPT);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | 0xf2);
}
END_TEST

/* Found by kvm-unit-tests virt_x2apic_mode_test: SDM Vol.3C 29.5, with
 * "virtualize x2APIC mode" and APIC-register virtualization every RDMSR of
 * 800H-8FFH reads the 8 bytes at offset (ECX & FFH) << 4 of the
 * virtual-APIC page, register or not: 800H reads offset 0, 830H reads
 * 300H-307H (not ICR high at 310H). */
START_TEST(x2apic_rdmsr_reads_any_virtual_apic_offset)
{
    struct vmcs *v = apicv_vmcs(0x41);
    v->secondary_vm_exec_control |= CPU2_VIRT_X2APIC_MODE | CPU2_APIC_REGISTER_VIRT;
    physmem_write(&h.mem, VAPIC + 0x000, 0x1122334455667788ull, 8);
    physmem_write(&h.mem, VAPIC + 0x300, 0x99aabbccddeeff00ull, 8);
    physmem_write(&h.mem, VAPIC + 0x310, 0x0f0f0f0f, 4);
    /* mov ecx, 0x800; rdmsr; mov r8, rax; mov r9, rdx; mov ecx, 0x830;
     * rdmsr; vmcall */
    ck_assert(RUN_L2(0xb9, 0x00, 0x08, 0x00, 0x00, 0x0f, 0x32, 0x49, 0x89, 0xc0, 0x49, 0x89,
                     0xd1, 0xb9, 0x30, 0x08, 0x00, 0x00, 0x0f, 0x32, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMCALL);
    ck_assert_uint_eq(h.cpu.gpr[8], 0x55667788);
    ck_assert_uint_eq(h.cpu.gpr[9], 0x11223344);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0xddeeff00);
    ck_assert_uint_eq(h.cpu.gpr[R_DX], 0x99aabbcc);
}
END_TEST

/* SDM Vol.3C 29.5: without APIC-register virtualization only TPR (808H)
 * is virtualized: RDMSR of PPR (80AH) goes to the local APIC, which (not in
 * x2APIC mode here) refuses it with #GP. */
START_TEST(x2apic_rdmsr_ppr_not_virtualized_without_register_virt)
{
    struct vmcs *v = apicv_vmcs(0x41);
    v->secondary_vm_exec_control |= CPU2_VIRT_X2APIC_MODE;
    v->exception_bitmap = 1u << EXC_GP;
    physmem_write(&h.mem, VAPIC + 0x80, 0x20, 4);
    physmem_write(&h.mem, VAPIC + 0xa0, 0x30, 4);
    /* mov ecx, 0x808; rdmsr (virtualized); mov ecx, 0x80a; rdmsr */
    ck_assert(RUN_L2(0xb9, 0x08, 0x08, 0x00, 0x00, 0x0f, 0x32, 0xb9, 0x0a, 0x08, 0x00, 0x00,
                     0x0f, 0x32, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x20);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info & 0xff, EXC_GP);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 12);
}
END_TEST

/* SDM Vol.3C 29.5, 29.4.3.2: WRMSR 83FH (self IPI) writes the value at
 * offset 3F0H, then APIC-write emulation: a vector below 16 is a trap-like
 * APIC-write VM exit with qualification 3F0H; vector 41H is self-IPI
 * virtualization (VIRR, RVI) and is delivered to L2. */
START_TEST(x2apic_self_ipi_msr_low_vector_is_apic_write_exit)
{
    struct vmcs *v = apicv_vmcs(0x41);
    enable_vid(v);
    h.cpu.gpr[R_CX] = 0x83f;
    h.cpu.gpr[R_AX] = 5;
    h.cpu.gpr[R_DX] = 0;
    ck_assert(RUN_L2(0x0f, 0x30, 0x90, 0x0f, 0x01, 0xc1)); /* wrmsr; nop; vmcall */
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_WRITE);
    ck_assert_uint_eq(v->exit_qualification, 0x3f0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2); /* trap-like */
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC + 0x3f0, 4), 5);
    ck_assert(!vbit(0x200, 5));
    /* Vector 41H: virtualized, delivered through L2's IDT. */
    v = apicv_vmcs(0x41);
    enable_vid(v);
    h.cpu.gpr[R_AX] = 0x41;
    ck_assert(RUN_L2(0x0f, 0x30, 0x90, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC + 0x3f0, 4), 0x41);
    ck_assert(vbit(0x100, 0x41));
}
END_TEST

/* APIC-access page writes with APIC-register virtualization and without
 * virtual-interrupt delivery (found by kvm-unit-tests apic_reg_virt_test;
 * SDM Vol.3C 29.4.3.1 which writes are virtualized, 29.4.3.2 APIC-write
 * emulation). */
static struct vmcs *regvirt_vmcs(void)
{
    struct vmcs *v = apicv_vmcs(0x41);
    v->secondary_vm_exec_control |= CPU2_VIRT_APIC_ACCESSES | CPU2_APIC_REGISTER_VIRT;
    v->apic_access_addr = APIC_ACCESS;
    h.cpu.gpr[R_AX] = APIC_ACCESS;
    return v;
}

/* EOI without virtual-interrupt delivery: an APIC-write exit after the
 * instruction, qualification B0H. */
START_TEST(apic_access_eoi_write_without_vid_is_apic_write_exit)
{
    struct vmcs *v = regvirt_vmcs();
    h.cpu.gpr[R_DX] = 0;
    /* mov [rax + 0xb0], edx; nop; vmcall */
    ck_assert(RUN_L2(0x89, 0x90, 0xb0, 0x00, 0x00, 0x00, 0x90, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_WRITE);
    ck_assert_uint_eq(v->exit_qualification, 0xb0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 6);
}
END_TEST

/* ICR high: the write is virtualized, APIC-write emulation clears bytes
 * 2:0 and there is no VM exit. */
START_TEST(apic_access_icr_high_write_clears_low_bytes_without_exit)
{
    struct vmcs *v = regvirt_vmcs();
    h.cpu.gpr[R_DX] = 0xab123456;
    /* mov [rax + 0x310], edx; vmcall */
    ck_assert(RUN_L2(0x89, 0x90, 0x10, 0x03, 0x00, 0x00, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMCALL);
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC + 0x310, 4), 0xab000000);
}
END_TEST

/* PPR is not in the list of virtualized reads (29.4.2): APIC-access exit
 * (linear read, offset A0H), which reports the instruction length (the
 * SDM leaves it undefined; processors and hypervisors use it). */
START_TEST(apic_access_ppr_read_exits_with_instruction_length)
{
    struct vmcs *v = regvirt_vmcs();
    /* nop; mov ecx, [rax + 0xa0] */
    ck_assert(RUN_L2(0x90, 0x8b, 0x88, 0xa0, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_ACCESS);
    ck_assert_uint_eq(v->exit_qualification, 0xa0);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 1);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 6);
    /* A write exit carries its length too: mov [rax + 0x20], dl (no
     * register virtualization: every write but TPR exits). */
    v = apicv_vmcs(0x41);
    v->secondary_vm_exec_control |= CPU2_VIRT_APIC_ACCESSES;
    v->apic_access_addr = APIC_ACCESS;
    h.cpu.gpr[R_AX] = APIC_ACCESS;
    ck_assert(RUN_L2(0x88, 0x50, 0x20, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_APIC_ACCESS);
    ck_assert_uint_eq(v->exit_qualification, 0x1020);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 3);
}
END_TEST

/* With APIC-register virtualization a write entirely within the first 4
 * bytes of a register is virtualized (29.4.3.1): a byte at 81H lands in
 * VTPR, and TPR virtualization then clears bytes 3:1 (29.4.3.2). */
START_TEST(apic_access_partial_tpr_write_is_virtualized)
{
    struct vmcs *v = regvirt_vmcs();
    physmem_write(&h.mem, VAPIC + 0x80, 0x20, 4);
    h.cpu.gpr[R_DX] = 0x55;
    /* mov [rax + 0x81], dl; vmcall */
    ck_assert(RUN_L2(0x88, 0x90, 0x81, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xc1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMCALL);
    ck_assert_uint_eq(physmem_read(&h.mem, VAPIC + 0x80, 4), 0x20);
}
END_TEST

static struct clock x2apic_clock;
static struct lapic x2apic;

/* Found by kvm-unit-tests vmx_posted_interrupts_test: SDM Vol.3C 29.6,
 * posted-interrupt processing writes 0 to the local APIC's EOI register,
 * in x2APIC mode as well: the notification vector leaves the ISR. */
START_TEST(posted_interrupt_eoi_reaches_x2apic)
{
    clock_init(&x2apic_clock, 0, false);
    h.cpu.bus.clock = &x2apic_clock;
    lapic_init(&x2apic, &h.cpu, &x2apic_clock, 0);
    lapic_reset(&x2apic, true);
    h.cpu.lapic = &x2apic;
    ck_assert(lapic_set_base(&x2apic, 0xfee00000ull | APIC_BASE_BSP | APIC_BASE_EN |
                                          APIC_BASE_EXTD));
    ck_assert(lapic_msr_write(&x2apic, 0x80f, 0x1ff)); /* SVR: software enable */
    struct vmcs *v = apicv_vmcs(0x45);
    enable_vid(v);
    v->pin_based_vm_exec_control |= PIN_POSTED_INTERRUPTS;
    v->vm_exit_controls |= EXIT_ACK_INTR_ON_EXIT;
    v->posted_intr_nv = 0xf2;
    v->posted_intr_desc_addr = PI_DESC;
    for (unsigned off = 0; off < 64; off += 8)
        physmem_write(&h.mem, PI_DESC + off, 0, 8);
    physmem_write(&h.mem, PI_DESC + 8, 1u << (0x45 - 64), 4); /* PIR[0x45] */
    physmem_write(&h.mem, PI_DESC + 32, 1, 1);                 /* ON */
    lapic_accept(&x2apic, 0xf2, 0, false);
    ck_assert(RUN_L2(0x90, 0x90));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->guest_rip, HANDLER);
    ck_assert(vbit(0x100, 0x45));
    uint64_t isr = 0, irr = 0;
    ck_assert(lapic_msr_read(&x2apic, 0x817, &isr)); /* ISR bits 255:224 */
    ck_assert(lapic_msr_read(&x2apic, 0x827, &irr));
    ck_assert_uint_eq(isr & (1u << (0xf2 - 224)), 0);
    ck_assert_uint_eq(irr & (1u << (0xf2 - 224)), 0);
    h.cpu.lapic = NULL;
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmx_apicv");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, virtual_interrupt_delivery);
    tcase_add_test(tc, vtpr_masks_virtual_interrupt);
    tcase_add_test(tc, eoi_exit_bitmap_and_self_ipi);
    tcase_add_test(tc, apic_access_page);
    tcase_add_test(tc, apic_access_page_fetch);
    tcase_add_test(tc, posted_interrupt_processing);
    tcase_add_test(tc, x2apic_rdmsr_reads_any_virtual_apic_offset);
    tcase_add_test(tc, x2apic_rdmsr_ppr_not_virtualized_without_register_virt);
    tcase_add_test(tc, x2apic_self_ipi_msr_low_vector_is_apic_write_exit);
    tcase_add_test(tc, apic_access_eoi_write_without_vid_is_apic_write_exit);
    tcase_add_test(tc, apic_access_icr_high_write_clears_low_bytes_without_exit);
    tcase_add_test(tc, apic_access_ppr_read_exits_with_instruction_length);
    tcase_add_test(tc, apic_access_partial_tpr_write_is_virtualized);
    tcase_add_test(tc, posted_interrupt_eoi_reaches_x2apic);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

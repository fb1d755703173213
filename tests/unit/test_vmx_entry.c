/* VM entry and VM exit: each VM-entry check of SDM Vol.3C 26.2/26.3 is
 * violated alone, starting from a known-good VMCS (64-bit host, 64-bit
 * guest), and must give its own outcome (VMfailValid 7 or 8, or a
 * VM-entry failure exit 33/34 with the right qualification); successful
 * entries into a 64-bit guest and an unrestricted real-mode guest, event
 * injection, and exit construction with host-state loading. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/vmx_test_util.h"
#include "vmx_emul/vmcs.h"
#include "vmx_emul/vmcs_cache.h"

static struct harness h;

#define HOST_RIP 0x20000u
#define HOST_RSP 0x70000u
#define GUEST_RIP 0x30000u
#define GUEST_RSP 0x60000u
#define MSR_AREA 0x8000u
#define EPTP_GOOD (0x300000u | (3u << 3) | 6u)

static void setup(void)
{
    vmx_harness_init(&h);
}

static void teardown(void)
{
    vmx_harness_free(&h);
}

/* Offer every control the model data names, as if all were emulated (the
 * entry checks must hold for controls the capability masks leave out too). */
static void widen_caps(struct vmx_caps *c)
{
    uint32_t pin = PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS |
                   PIN_PREEMPTION_TIMER | PIN_POSTED_INTERRUPTS;
    uint32_t cpu1 = 0xfff9fffcu & ~CPU_TERTIARY_CONTROLS;
    uint32_t cpu2 = 0x3ffffu & ~(CPU2_ENCLS_EXITING);
    c->pinbased |= (uint64_t)pin << 32;
    c->true_pinbased |= (uint64_t)pin << 32;
    c->procbased |= (uint64_t)cpu1 << 32;
    c->true_procbased |= (uint64_t)cpu1 << 32;
    c->procbased2 = (uint64_t)cpu2 << 32;
    c->exit |= (uint64_t)(EXIT_ACK_INTR_ON_EXIT | EXIT_SAVE_PREEMPTION_TIMER) << 32;
    c->true_exit |= (uint64_t)(EXIT_ACK_INTR_ON_EXIT | EXIT_SAVE_PREEMPTION_TIMER) << 32;
    c->ept_vpid_cap = (1ull << 6) | (1ull << 14) | (1ull << 20) | (1ull << 21) | (1ull << 25) |
                      (1ull << 26) | (1ull << 32) | (1ull << 40) | (1ull << 41) |
                      (1ull << 42) | (1ull << 43);
    c->vmfunc = 1;
}

/* A VMCS that enters: 64-bit host and guest sharing the harness' page
 * tables and flat segments. */
static struct vmcs *good_vmcs(void)
{
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    struct vmcs *v = vmx_current_vmcs(&h.cpu);
    struct cpu *c = &h.cpu;
    vmx_fill_flat64_vmcs(v, c, HOST_RIP, HOST_RSP, GUEST_RIP, GUEST_RSP);
    v->host_ia32_pat = 0x0007040600070406ull;
    v->guest_ia32_pat = 0x0007040600070406ull;
    return v;
}

/* EPT identity map of the first GiB at EPTP_GOOD: PML4 0x300000, PDPT
 * 0x301000, PD 0x302000 with 2 MiB RWX write-back pages. */
static void identity_ept(void)
{
    put64(&h, 0x300000, 0x301000 | 7);
    put64(&h, 0x301000, 0x302000 | 7);
    for (uint64_t i = 0; i < 512; i++)
        put64(&h, 0x302000 + 8 * i, (i << 21) | 0x80 | (6 << 3) | 7);
}

/* An unrestricted real-mode guest (needs EPT, so the caps are widened). */
static struct vmcs *real_mode_vmcs(void)
{
    struct vmcs *v = good_vmcs();
    identity_ept();
    widen_caps(&h.cpu.vmx->caps);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST;
    v->ept_pointer = EPTP_GOOD;
    v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->guest_cr0 = CR0_ET | CR0_NE;
    v->guest_cr3 = 0;
    v->guest_cr4 = CR4_VMXE;
    v->guest_rip = 0x100;
    v->guest_rsp = 0x7000;
    v->guest_rflags = 2 | F_IF;
    v->guest_cs_selector = 0x3000;
    v->guest_cs_base = 0x30000;
    v->guest_cs_limit = 0xffff;
    v->guest_cs_ar_bytes = 0x9b;
    uint16_t *sels[] = {&v->guest_ss_selector, &v->guest_ds_selector, &v->guest_es_selector,
                        &v->guest_fs_selector, &v->guest_gs_selector};
    for (int i = 0; i < 5; i++)
        *sels[i] = 0;
    v->guest_ss_base = v->guest_ds_base = v->guest_es_base = 0;
    v->guest_fs_base = v->guest_gs_base = 0;
    v->guest_ss_limit = v->guest_ds_limit = v->guest_es_limit = 0xffff;
    v->guest_fs_limit = v->guest_gs_limit = 0xffff;
    v->guest_ss_ar_bytes = v->guest_ds_ar_bytes = v->guest_es_ar_bytes = 0x93;
    v->guest_fs_ar_bytes = v->guest_gs_ar_bytes = 0x93;
    v->guest_tr_selector = 0;
    v->guest_tr_base = 0;
    v->guest_tr_limit = 0xffff;
    v->guest_tr_ar_bytes = 0x8b;
    v->guest_gdtr_base = 0;
    v->guest_gdtr_limit = 0xffff;
    v->guest_idtr_base = 0;
    v->guest_idtr_limit = 0x3ff;
    return v;
}

/* A 32-bit PAE guest with its PDPT at 0x7800. */
static struct vmcs *pae_vmcs(void)
{
    struct vmcs *v = good_vmcs();
    v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->guest_cs_ar_bytes = 0xb | SEG_S | SEG_P | SEG_DB | SEG_G;
    v->guest_cr3 = 0x7800;
    v->guest_cr4 = CR4_PAE | CR4_VMXE;
    for (int i = 0; i < 4; i++)
        put64(&h, 0x7800 + 8 * i, (0x40000ull + 0x1000 * i) | 1);
    return v;
}

/* A 32-bit protected-mode guest in virtual-8086 mode (SDM 26.3.1.2: every
 * segment base = selector << 4, limit 0xFFFF, access rights 0xF3). */
static struct vmcs *v86_vmcs(void)
{
    struct vmcs *v = pae_vmcs();
    v->guest_rflags = 2 | F_VM;
    v->guest_rip = 0x100;
    v->guest_cs_selector = 0x3000;
    uint16_t *sels[] = {&v->guest_cs_selector, &v->guest_ss_selector, &v->guest_ds_selector,
                        &v->guest_es_selector, &v->guest_fs_selector, &v->guest_gs_selector};
    uint64_t *bases[] = {&v->guest_cs_base, &v->guest_ss_base, &v->guest_ds_base,
                         &v->guest_es_base, &v->guest_fs_base, &v->guest_gs_base};
    uint32_t *limits[] = {&v->guest_cs_limit, &v->guest_ss_limit, &v->guest_ds_limit,
                          &v->guest_es_limit, &v->guest_fs_limit, &v->guest_gs_limit};
    uint32_t *ars[] = {&v->guest_cs_ar_bytes, &v->guest_ss_ar_bytes, &v->guest_ds_ar_bytes,
                       &v->guest_es_ar_bytes, &v->guest_fs_ar_bytes, &v->guest_gs_ar_bytes};
    for (int i = 0; i < 6; i++) {
        if (i > 0)
            *sels[i] = (uint16_t)(0x100 * i);
        *bases[i] = (uint64_t)*sels[i] << 4;
        *limits[i] = 0xffff;
        *ars[i] = 0xf3;
    }
    return v;
}

/* Turn the processor (already in VMX root) into a 32-bit protected-mode,
 * PAE-paging one, and the VMCS into a 32-bit host with a 32-bit guest:
 * the base for the SDM 26.2.4 address-space-size checks, which depend on
 * whether the processor is in IA-32e mode when VMLAUNCH executes. */
static void processor_outside_ia32e(struct vmcs *v)
{
    h.cpu.efer &= ~(EFER_LMA | EFER_LME);
    h.cpu.seg[S_CS].attr = (h.cpu.seg[S_CS].attr & ~SEG_L) | SEG_DB;
    cpu_update_mode(&h.cpu);
    v->vm_exit_controls &= ~EXIT_HOST_ADDR_SPACE_SIZE;
    v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->host_cr4 &= ~CR4_PCIDE;
    v->guest_cr4 &= ~CR4_PCIDE;
    v->guest_cs_ar_bytes = 0xb | SEG_S | SEG_P | SEG_DB | SEG_G;
    v->guest_cr3 = 0x7800;
    for (int i = 0; i < 4; i++)
        put64(&h, 0x7800 + 8 * i, (0x40000ull + 0x1000 * i) | 1);
}

enum expect_kind { E_OK, E_VMFAIL, E_EXIT };
struct entry_case {
    const char *name;
    struct vmcs *(*base)(void);
    void (*mutate)(struct vmcs *v, struct vmx_caps *c);
    enum expect_kind kind;
    uint32_t code;         /* VM-instruction error or basic exit reason */
    uint64_t qual;         /* exit qualification for E_EXIT */
    const char *text;      /* part of the failing check's text, NULL: any */
};

#define MUT(n, body) \
    static void mut_##n(struct vmcs *v, struct vmx_caps *c) { (void)v; (void)c; body; }

/* Controls: VMfailValid(7). */
MUT(pin_default1_clear, v->pin_based_vm_exec_control &= ~2u)
MUT(pin_not_offered, v->pin_based_vm_exec_control |= 1u << 8) /* a reserved bit */
MUT(cpu1_not_offered, v->cpu_based_vm_exec_control |= CPU_TERTIARY_CONTROLS) /* not emulated, not offered */
MUT(cpu2_not_offered, v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_XSAVES) /* not emulated, not offered */
MUT(cr3_targets, v->cr3_target_count = 5)
MUT(io_bitmap, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_USE_IO_BITMAPS;
    v->io_bitmap_a = 0x40000; v->io_bitmap_b = 0x40800)
MUT(msr_bitmap, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_USE_MSR_BITMAPS;
    v->msr_bitmap = 1ull << 40)
MUT(vapic_addr, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = 0x40010)
MUT(tpr_threshold_high, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = 0x40000; v->tpr_threshold = 0x10)
MUT(tpr_threshold_vtpr, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = 0x41000; physmem_write(&h.mem, 0x41080, 0x30, 1);
    v->tpr_threshold = 4)
MUT(x2apic_without_tpr, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_VIRT_X2APIC_MODE)
MUT(vnmi_without_nmi_exiting, widen_caps(c); v->pin_based_vm_exec_control |= PIN_VIRTUAL_NMIS)
MUT(nmi_window_without_vnmi, widen_caps(c);
    v->cpu_based_vm_exec_control |= CPU_NMI_WINDOW_EXITING)
MUT(apic_access_addr, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_VIRT_APIC_ACCESSES; v->apic_access_addr = 0xfee00800)
MUT(x2apic_and_apic_accesses, widen_caps(c);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS | CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = 0x40000; v->apic_access_addr = 0xfee00000;
    v->secondary_vm_exec_control = CPU2_VIRT_APIC_ACCESSES | CPU2_VIRT_X2APIC_MODE)
MUT(vid_without_extint, widen_caps(c);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS | CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = 0x40000; v->secondary_vm_exec_control = CPU2_VIRTUAL_INTR_DELIVERY)
MUT(posted_without_vid, widen_caps(c); v->pin_based_vm_exec_control |= PIN_POSTED_INTERRUPTS)
MUT(posted_without_ack, widen_caps(c);
    v->pin_based_vm_exec_control |= PIN_POSTED_INTERRUPTS | PIN_EXTINT_EXITING;
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS | CPU_TPR_SHADOW;
    v->virtual_apic_page_addr = 0x40000; v->secondary_vm_exec_control = CPU2_VIRTUAL_INTR_DELIVERY)
MUT(posted_nv, mut_posted_without_ack(v, c); v->vm_exit_controls |= EXIT_ACK_INTR_ON_EXIT;
    v->posted_intr_nv = 0x1f2)
MUT(posted_desc, mut_posted_without_ack(v, c); v->vm_exit_controls |= EXIT_ACK_INTR_ON_EXIT;
    v->posted_intr_nv = 0xf2; v->posted_intr_desc_addr = 0x40020)
MUT(vpid_zero, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_VPID)
MUT(eptp_bad_type, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT; v->ept_pointer = EPTP_GOOD - 6 + 2)
MUT(eptp_bad_walk, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT; v->ept_pointer = EPTP_GOOD + (1 << 3))
MUT(eptp_reserved, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT; v->ept_pointer = EPTP_GOOD | 0x100)
MUT(pml_without_ept, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_PML; v->pml_address = 0x40000)
MUT(unrestricted_without_ept, widen_caps(c);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_UNRESTRICTED_GUEST)
MUT(vmfunc_unsupported, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_VMFUNC; v->vm_function_control = 2)
MUT(eptp_switching_without_ept, widen_caps(c);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_VMFUNC; v->vm_function_control = 1;
    v->eptp_list_address = 0x40000)
MUT(shadow_bitmaps, v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_VMCS_SHADOWING; v->vmread_bitmap = 0x40000;
    v->vmwrite_bitmap = 0x40004)
MUT(exit_not_offered, v->vm_exit_controls |= EXIT_CLEAR_BNDCFGS) /* not emulated, not offered */
MUT(save_timer_without_timer, widen_caps(c); v->vm_exit_controls |= EXIT_SAVE_PREEMPTION_TIMER)
MUT(exit_store_area, v->vm_exit_msr_store_count = 1; v->vm_exit_msr_store_addr = MSR_AREA + 8)
MUT(exit_load_area, v->vm_exit_msr_load_count = 2;
    v->vm_exit_msr_load_addr = (1ull << 39) - 16)
MUT(entry_not_offered, v->vm_entry_controls |= ENTRY_TO_SMM)
MUT(inject_type1, v->vm_entry_intr_info_field = INTR_INFO_VALID | (1u << 8) | 0x20)
MUT(inject_other_without_mtf, v->vm_entry_intr_info_field = INTR_INFO_VALID | (7u << 8);
    c->procbased &= ~((uint64_t)CPU_MONITOR_TRAP_FLAG << 32)) /* MTF is offered: withdraw it */
MUT(inject_nmi_vector, v->vm_entry_intr_info_field = INTR_INFO_VALID | (2u << 8) | 3)
MUT(inject_exc_vector, v->vm_entry_intr_info_field = INTR_INFO_VALID | (3u << 8) | 32)
MUT(inject_code_for_ud, v->vm_entry_intr_info_field =
    INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (3u << 8) | EXC_UD)
MUT(inject_no_code_for_gp, v->vm_entry_intr_info_field = INTR_INFO_VALID | (3u << 8) | EXC_GP)
MUT(inject_reserved, v->vm_entry_intr_info_field = INTR_INFO_VALID | (1u << 20) | 0x20)
MUT(inject_error_code_high, v->vm_entry_intr_info_field =
    INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (3u << 8) | EXC_GP;
    v->vm_entry_exception_error_code = 0x10000)
MUT(inject_swint_length, v->vm_entry_intr_info_field = INTR_INFO_VALID | (4u << 8) | 0x80;
    v->vm_entry_instruction_len = 16)
MUT(entry_load_area, v->vm_entry_msr_load_count = 1; v->vm_entry_msr_load_addr = MSR_AREA + 4)

/* Host state: VMfailValid(8). */
MUT(host_cr0_pe, v->host_cr0 &= ~CR0_PE)
MUT(host_cr4_vmxe, v->host_cr4 &= ~CR4_VMXE)
MUT(host_cr4_unsupported, v->host_cr4 |= 1ull << 22)
MUT(host_cr3_wide, v->host_cr3 = 1ull << 40)
MUT(host_sysenter_esp, v->host_ia32_sysenter_esp = 0x0000800000000000ull)
MUT(host_sysenter_eip, v->host_ia32_sysenter_eip = 0x0000800000000000ull)
MUT(host_perf, v->vm_exit_controls |= EXIT_LOAD_PERF_GLOBAL_CTRL;
    v->host_ia32_perf_global_ctrl = 1ull << 20)
MUT(host_pat, v->vm_exit_controls |= EXIT_LOAD_PAT; v->host_ia32_pat = 2)
MUT(host_efer_reserved, v->vm_exit_controls |= EXIT_LOAD_EFER; v->host_ia32_efer |= 1ull << 3)
MUT(host_efer_lma, v->vm_exit_controls |= EXIT_LOAD_EFER; v->host_ia32_efer &= ~EFER_LMA)
MUT(host_efer_lme, v->vm_exit_controls |= EXIT_LOAD_EFER; v->host_ia32_efer &= ~EFER_LME)
MUT(host_sel_rpl, v->host_ds_selector = 0x13)
MUT(host_sel_ti, v->host_tr_selector = 0x1c)
MUT(host_cs_null, v->host_cs_selector = 0)
MUT(host_tr_null, v->host_tr_selector = 0)
MUT(host_fs_base, v->host_fs_base = 0x0000800000000000ull)
MUT(host_gs_base, v->host_gs_base = 0xffff000000000000ull)
MUT(host_gdtr_base, v->host_gdtr_base = 0x0001000000000000ull)
MUT(host_idtr_base, v->host_idtr_base = 0x0001000000000000ull)
MUT(host_tr_base, v->host_tr_base = 0x0001000000000000ull)
MUT(host_size_zero_in_ia32e, v->vm_exit_controls &= ~EXIT_HOST_ADDR_SPACE_SIZE)
MUT(host_pae_clear, v->host_cr4 &= ~CR4_PAE)
MUT(host_rip_canonical, v->host_rip = 0x0000800000000000ull)

/* Guest state: VM-entry failure, exit reason 33. */
MUT(guest_cr0_ne, v->guest_cr0 &= ~CR0_NE)
MUT(guest_cr0_pg_without_pe, v->guest_cr0 = CR0_ET | CR0_NE | CR0_PG)
MUT(guest_cr4_vmxe, v->guest_cr4 &= ~CR4_VMXE)
MUT(guest_debugctl, v->guest_ia32_debugctl = 1ull << 2)
MUT(guest_ia32e_without_pae, v->guest_cr4 &= ~CR4_PAE)
MUT(guest_pcide_outside_ia32e, v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->guest_cr4 |= CR4_PCIDE)
MUT(guest_cr3_wide, v->guest_cr3 = 1ull << 45)
MUT(guest_dr7_high, v->guest_dr7 = 1ull << 32 | 0x400)
MUT(guest_sysenter_eip, v->guest_sysenter_eip = 0x0000800000000000ull)
MUT(guest_perf, v->vm_entry_controls |= ENTRY_LOAD_PERF_GLOBAL_CTRL;
    v->guest_ia32_perf_global_ctrl = 1ull << 63)
MUT(guest_pat, v->vm_entry_controls |= ENTRY_LOAD_PAT; v->guest_ia32_pat = 0x0800)
MUT(guest_efer_lma, v->vm_entry_controls |= ENTRY_LOAD_EFER; v->guest_ia32_efer &= ~EFER_LMA)
MUT(guest_efer_lme, v->vm_entry_controls |= ENTRY_LOAD_EFER; v->guest_ia32_efer &= ~EFER_LME)
MUT(guest_tr_ti, v->guest_tr_selector = 0x1c)
MUT(guest_ldtr_ti, v->guest_ldtr_ar_bytes = 2 | SEG_P; v->guest_ldtr_limit = 0xff;
    v->guest_ldtr_selector = 0x24)
MUT(guest_ss_rpl, v->guest_ss_selector = 0x13)
MUT(guest_tr_base, v->guest_tr_base = 0x0000800000000000ull)
MUT(guest_fs_base, v->guest_fs_base = 0x0000800000000000ull)
MUT(guest_cs_base_high, v->guest_cs_base = 1ull << 32)
MUT(guest_ds_base_high, v->guest_ds_base = 1ull << 32)
MUT(guest_cs_type, v->guest_cs_ar_bytes = (v->guest_cs_ar_bytes & ~0xfu) | 3)
MUT(guest_ss_type, v->guest_ss_ar_bytes = (v->guest_ss_ar_bytes & ~0xfu) | 5)
MUT(guest_ds_not_accessed, v->guest_ds_ar_bytes &= ~1u)
MUT(guest_es_exec_only, v->guest_es_ar_bytes = (v->guest_es_ar_bytes & ~0xfu) | 9)
MUT(guest_gs_s_clear, v->guest_gs_ar_bytes &= ~SEG_S)
MUT(guest_fs_dpl, v->guest_fs_selector = 0x13)
MUT(guest_ds_not_present, v->guest_ds_ar_bytes &= ~SEG_P)
MUT(guest_ds_reserved, v->guest_ds_ar_bytes |= 1u << 8)
MUT(guest_es_g, v->guest_es_limit = 0xfffff000u)
MUT(guest_ds_g_big_limit, v->guest_ds_limit = 0x100000; v->guest_ds_ar_bytes &= ~SEG_G)
MUT(guest_cs_s, v->guest_cs_ar_bytes &= ~SEG_S)
MUT(guest_cs_dpl, v->guest_cs_ar_bytes |= 3u << 5)
MUT(guest_ss_dpl, v->guest_ss_ar_bytes |= 3u << 5; v->guest_cs_ar_bytes |= 3u << 5)
MUT(guest_cs_not_present, v->guest_cs_ar_bytes &= ~SEG_P)
MUT(guest_cs_reserved, v->guest_cs_ar_bytes |= 1u << 17)
MUT(guest_cs_l_and_db, v->guest_cs_ar_bytes |= SEG_DB)
MUT(guest_cs_g, v->guest_cs_limit = 0xffff0000u)
MUT(guest_tr_type, v->guest_tr_ar_bytes = (v->guest_tr_ar_bytes & ~0xfu) | 3)
MUT(guest_tr_s, v->guest_tr_ar_bytes |= SEG_S)
MUT(guest_tr_unusable, v->guest_tr_ar_bytes |= SEG_UNUSABLE)
MUT(guest_ldtr_type, v->guest_ldtr_ar_bytes = 3 | SEG_P; v->guest_ldtr_limit = 0xff)
MUT(guest_gdtr_base, v->guest_gdtr_base = 0x0000800000000000ull)
MUT(guest_idtr_limit, v->guest_idtr_limit = 0x10000)
MUT(guest_rip_canonical, v->guest_rip = 0x0000800000000000ull)
MUT(guest_rip_high_compat, v->guest_cs_ar_bytes = (v->guest_cs_ar_bytes & ~SEG_L) | SEG_DB;
    v->guest_rip = 1ull << 32)
MUT(guest_rflags_reserved, v->guest_rflags |= 1u << 15)
MUT(guest_rflags_bit1, v->guest_rflags = 0)
MUT(guest_rflags_vm, v->guest_rflags |= F_VM)
MUT(guest_extint_if_clear, v->vm_entry_intr_info_field = INTR_INFO_VALID | 0x20)
MUT(guest_activity_4, v->guest_activity_state = 4)
MUT(guest_activity_shutdown, v->guest_activity_state = ACTIVITY_SHUTDOWN)
MUT(guest_sti_while_hlt, v->guest_rflags |= F_IF; v->guest_activity_state = ACTIVITY_HLT;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI)
MUT(guest_hlt_inject_gp, v->guest_activity_state = ACTIVITY_HLT;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (3u << 8) | EXC_GP)
MUT(guest_sipi_inject, v->guest_activity_state = ACTIVITY_WAIT_SIPI;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | (2u << 8) | 2)
MUT(guest_intr_reserved, v->guest_interruptibility_info = 1u << 5)
MUT(guest_sti_and_movss, v->guest_rflags |= F_IF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)
MUT(guest_sti_if_clear, v->guest_interruptibility_info = INTERRUPTIBILITY_STI)
MUT(guest_extint_sti, v->guest_rflags |= F_IF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | 0x20)
MUT(guest_nmi_movss, v->guest_interruptibility_info = INTERRUPTIBILITY_MOV_SS;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | (2u << 8) | 2)
MUT(guest_smi_blocking, v->guest_interruptibility_info = INTERRUPTIBILITY_SMI)
MUT(guest_vnmi_blocked_inject, widen_caps(c);
    v->pin_based_vm_exec_control |= PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
    v->guest_interruptibility_info = INTERRUPTIBILITY_NMI;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | (2u << 8) | 2)
MUT(guest_pending_dbg_reserved, v->guest_pending_dbg_exceptions = 1u << 4)
MUT(guest_bs_clear_with_tf, v->guest_rflags |= F_TF | F_IF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI)
MUT(guest_bs_set_without_tf, v->guest_rflags |= F_IF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_STI;
    v->guest_pending_dbg_exceptions = 1u << 14)
MUT(link_misaligned, v->vmcs_link_pointer = 0x40008)
MUT(link_revision, v->vmcs_link_pointer = 0x40000; physmem_write(&h.mem, 0x40000, 0x99, 4))
MUT(link_shadow_indicator, v->vmcs_link_pointer = 0x40000;
    physmem_write(&h.mem, 0x40000, vmx_test_revision(&h) | 0x80000000u, 4))
MUT(pae_pdpte_reserved, put64(&h, 0x7808, 0x41000 | 1 | (1u << 5)))
MUT(pae_pdpte_not_present_ignored, put64(&h, 0x7808, 0xfff0))

/* Checks that no case reached before (found by listing the text each case
 * makes fire: VMX_ENTRY_LIST_CHECKS=1 build/tests/test_vmx_entry). */
MUT(pml_addr, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT | CPU2_ENABLE_PML;
    v->ept_pointer = EPTP_GOOD; v->pml_address = 0x40800)
MUT(eptp_list_addr, widen_caps(c); v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT | CPU2_ENABLE_VMFUNC;
    v->ept_pointer = EPTP_GOOD; v->vm_function_control = VMFUNC_EPTP_SWITCHING;
    v->eptp_list_address = 0x45010)
MUT(inject_other_vector, v->vm_entry_intr_info_field = INTR_INFO_VALID | (7u << 8) | 5)
MUT(host32_ss_null, processor_outside_ia32e(v); v->host_ss_selector = 0)
MUT(host32_ia32e_guest, processor_outside_ia32e(v);
    v->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST)
MUT(host32_size_1, processor_outside_ia32e(v); v->vm_exit_controls |= EXIT_HOST_ADDR_SPACE_SIZE)
MUT(host32_pcide, processor_outside_ia32e(v); c->cr4_fixed1 |= CR4_PCIDE;
    v->host_cr4 |= CR4_PCIDE)
MUT(host32_rip_high, processor_outside_ia32e(v); v->host_rip = 1ull << 32)
/* "IA-32e mode guest with host address-space size 0" cannot fail alone:
 * outside IA-32e mode "IA-32e mode guest while the processor is outside
 * IA-32e mode" fails first, and inside it host address-space size 0 fails
 * "host address-space size 0 while the processor is in IA-32e mode". The
 * SDM (26.2.4) lists it anyway; it stays as a guard. */
MUT(host32_ok, processor_outside_ia32e(v))
MUT(guest_ia32e_pg_clear, v->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST)
MUT(guest_sysenter_esp, v->guest_sysenter_esp = 0xffff700000000000ull)
MUT(guest_efer_reserved, v->vm_entry_controls |= ENTRY_LOAD_EFER; v->guest_ia32_efer |= 1ull << 3)
MUT(v86_base, v->guest_ds_base = 0x10)
MUT(v86_limit, v->guest_fs_limit = 0xfffff)
MUT(v86_ar, v->guest_gs_ar_bytes = 0x93)
MUT(v86_ia32e, v->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST)
/* An unrestricted real-mode guest whose segments already follow the
 * virtual-8086 rules (selectors 0, base 0, limit 0xFFFF), with AR 0xF3. */
MUT(v86_real_mode, v->guest_rflags |= F_VM;
    v->guest_cs_selector = 0x3000;
    v->guest_cs_ar_bytes = v->guest_ss_ar_bytes = v->guest_ds_ar_bytes = 0xf3;
    v->guest_es_ar_bytes = v->guest_fs_ar_bytes = v->guest_gs_ar_bytes = 0xf3)
MUT(guest_gs_base, v->guest_gs_base = 0x0000800000000000ull)
MUT(guest_ldtr_base, v->guest_ldtr_ar_bytes = 2 | SEG_P; v->guest_ldtr_limit = 0xff;
    v->guest_ldtr_selector = 0x20; v->guest_ldtr_base = 0x0000800000000000ull)
MUT(guest_ss_base_high, v->guest_ss_base = 1ull << 32)
MUT(guest_es_base_high, v->guest_es_base = 1ull << 33)
MUT(guest_ss_s_clear, v->guest_ss_ar_bytes &= ~SEG_S)
MUT(guest_cs_data_dpl, v->guest_cs_ar_bytes = 0xf3)
MUT(guest_conforming_cs_dpl, v->guest_cs_ar_bytes = 0xf | SEG_S | SEG_P | SEG_L | SEG_G | (3u << 5))
MUT(guest_real_ss_dpl, v->guest_cs_ar_bytes = 0x93; v->guest_ss_ar_bytes = 0xf3)
MUT(guest_ss_not_present, v->guest_ss_ar_bytes &= ~SEG_P)
MUT(guest_ss_reserved, v->guest_ss_ar_bytes |= 1u << 9)
MUT(guest_ss_g, v->guest_ss_limit = 0xfffff000u)
MUT(guest_cs_unusable, v->guest_cs_ar_bytes |= SEG_UNUSABLE)
MUT(guest_tr_available_32, v->guest_tr_ar_bytes = 9 | SEG_P)
MUT(guest_tr_not_present, v->guest_tr_ar_bytes &= ~SEG_P)
MUT(guest_tr_reserved, v->guest_tr_ar_bytes |= 1u << 20)
MUT(guest_tr_g, v->guest_tr_ar_bytes |= SEG_G)
#define USABLE_LDTR(v) ((v)->guest_ldtr_ar_bytes = 2 | SEG_P, (v)->guest_ldtr_limit = 0xff, \
                        (v)->guest_ldtr_selector = 0x20)
MUT(guest_ldtr_s, USABLE_LDTR(v); v->guest_ldtr_ar_bytes |= SEG_S)
MUT(guest_ldtr_not_present, USABLE_LDTR(v); v->guest_ldtr_ar_bytes &= ~SEG_P)
MUT(guest_ldtr_reserved, USABLE_LDTR(v); v->guest_ldtr_ar_bytes |= 1u << 10)
MUT(guest_ldtr_g, USABLE_LDTR(v); v->guest_ldtr_ar_bytes |= SEG_G)
MUT(guest_idtr_base, v->guest_idtr_base = 0xfff0000000000000ull)
MUT(guest_gdtr_limit, v->guest_gdtr_limit = 0x10000)
/* HLT with SS.DPL 3 needs CS and SS at ring 3 so that only this check fails. */
MUT(guest_hlt_ring3, v->guest_activity_state = ACTIVITY_HLT;
    v->guest_cs_selector = 0x0b; v->guest_cs_ar_bytes |= 3u << 5;
    v->guest_ss_selector = 0x13; v->guest_ss_ar_bytes |= 3u << 5)
MUT(guest_ring3_ok, v->guest_cs_selector = 0x0b; v->guest_cs_ar_bytes |= 3u << 5;
    v->guest_ss_selector = 0x13; v->guest_ss_ar_bytes |= 3u << 5)
MUT(guest_shutdown_inject_gp, c->misc |= 1ull << 7; v->guest_activity_state = ACTIVITY_SHUTDOWN;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (3u << 8) | EXC_GP)
MUT(link_is_current, v->vmcs_link_pointer = VMCS_ADDR)

/* The seven checks of each of DS, ES, FS, GS (SDM 26.3.1.2). */
#define DATA_SEG_MUTS(s) \
    MUT(s##_not_accessed, v->guest_##s##_ar_bytes &= ~1u) \
    MUT(s##_exec_only, v->guest_##s##_ar_bytes = (v->guest_##s##_ar_bytes & ~0xfu) | 9) \
    MUT(s##_s_clear, v->guest_##s##_ar_bytes &= ~SEG_S) \
    MUT(s##_dpl_below_rpl, v->guest_##s##_selector = 0x13) \
    MUT(s##_not_present, v->guest_##s##_ar_bytes &= ~SEG_P) \
    MUT(s##_reserved, v->guest_##s##_ar_bytes |= 1u << 11) \
    MUT(s##_g, v->guest_##s##_limit = 0xfffff000u)
DATA_SEG_MUTS(ds)
DATA_SEG_MUTS(es)
DATA_SEG_MUTS(fs)
DATA_SEG_MUTS(gs)

/* MSR loading: exit reason 34 with the 1-based entry index. */
static void msr_area(uint64_t index2)
{
    put64(&h, MSR_AREA, MSR_SYSENTER_CS);
    put64(&h, MSR_AREA + 8, 0x10);
    put64(&h, MSR_AREA + 16, index2);
    put64(&h, MSR_AREA + 24, 0);
}
MUT(msr_load_cap_msr, msr_area(0x480); v->vm_entry_msr_load_count = 2;
    v->vm_entry_msr_load_addr = MSR_AREA)
MUT(msr_load_x2apic, msr_area(0x808); v->vm_entry_msr_load_count = 2;
    v->vm_entry_msr_load_addr = MSR_AREA)
MUT(msr_load_fs_base, msr_area(MSR_FS_BASE); v->vm_entry_msr_load_count = 2;
    v->vm_entry_msr_load_addr = MSR_AREA)
MUT(msr_load_reserved, msr_area(1ull << 32 | MSR_SYSENTER_ESP); v->vm_entry_msr_load_count = 2;
    v->vm_entry_msr_load_addr = MSR_AREA)
MUT(msr_load_ok, msr_area(MSR_SYSENTER_ESP); v->vm_entry_msr_load_count = 2;
    v->vm_entry_msr_load_addr = MSR_AREA)
MUT(nothing, )

#define CTL(n, t) {#n, good_vmcs, mut_##n, E_VMFAIL, 7, 0, t}
#define HOST(n, t) {#n, good_vmcs, mut_##n, E_VMFAIL, 8, 0, t}
#define GUEST(n, t) {#n, good_vmcs, mut_##n, E_EXIT, 33, 0, t}

static const struct entry_case cases[] = {
    CTL(pin_default1_clear, "pin-based"),
    CTL(pin_not_offered, "pin-based"),
    CTL(cpu1_not_offered, "primary processor-based"),
    CTL(cpu2_not_offered, "secondary processor-based"),
    CTL(cr3_targets, "CR3-target count"),
    CTL(io_bitmap, "I/O-bitmap"),
    CTL(msr_bitmap, "MSR-bitmap"),
    CTL(vapic_addr, "virtual-APIC address"),
    CTL(tpr_threshold_high, "TPR threshold bits 31:4"),
    CTL(tpr_threshold_vtpr, "greater than bits 7:4"),
    CTL(x2apic_without_tpr, "without use TPR shadow"),
    CTL(vnmi_without_nmi_exiting, "virtual NMIs without NMI exiting"),
    CTL(nmi_window_without_vnmi, "NMI-window exiting without"),
    CTL(apic_access_addr, "APIC-access address"),
    CTL(x2apic_and_apic_accesses, "together with virtualize APIC accesses"),
    CTL(vid_without_extint, "without external-interrupt exiting"),
    CTL(posted_without_vid, "posted interrupts without virtual-interrupt"),
    CTL(posted_without_ack, "without acknowledge interrupt"),
    CTL(posted_nv, "notification vector"),
    CTL(posted_desc, "descriptor address"),
    CTL(vpid_zero, "VPID 0"),
    CTL(eptp_bad_type, "EPT pointer"),
    CTL(eptp_bad_walk, "EPT pointer"),
    CTL(eptp_reserved, "EPT pointer"),
    CTL(pml_without_ept, "PML without"),
    CTL(unrestricted_without_ept, "unrestricted guest without enable EPT"),
    CTL(vmfunc_unsupported, "unsupported function"),
    CTL(eptp_switching_without_ept, "EPTP switching without"),
    CTL(shadow_bitmaps, "VMREAD/VMWRITE-bitmap"),
    CTL(exit_not_offered, "VM-exit controls"),
    CTL(save_timer_without_timer, "save VMX-preemption timer"),
    CTL(exit_store_area, "MSR-store"),
    CTL(exit_load_area, "VM-exit MSR-load"),
    CTL(entry_not_offered, "VM-entry controls"),
    CTL(inject_type1, "type 1"),
    CTL(inject_other_without_mtf, "type 7"),
    CTL(inject_nmi_vector, "NMI with a vector"),
    CTL(inject_exc_vector, "above 31"),
    CTL(inject_code_for_ud, "has no error code"),
    CTL(inject_no_code_for_gp, "has an error code"),
    CTL(inject_reserved, "30:12"),
    CTL(inject_error_code_high, "31:16"),
    CTL(inject_swint_length, "instruction length"),
    CTL(entry_load_area, "VM-entry MSR-load address"),
    HOST(host_cr0_pe, "host CR0"),
    HOST(host_cr4_vmxe, "host CR4"),
    HOST(host_cr4_unsupported, "host CR4"),
    HOST(host_cr3_wide, "host CR3"),
    HOST(host_sysenter_esp, "SYSENTER_ESP"),
    HOST(host_sysenter_eip, "SYSENTER_EIP"),
    HOST(host_perf, "PERF_GLOBAL_CTRL"),
    HOST(host_pat, "host IA32_PAT"),
    HOST(host_efer_reserved, "EFER sets reserved"),
    HOST(host_efer_lma, "EFER.LMA"),
    HOST(host_efer_lme, "EFER.LME"),
    HOST(host_sel_rpl, "RPL or TI"),
    HOST(host_sel_ti, "RPL or TI"),
    HOST(host_cs_null, "host CS selector 0"),
    HOST(host_tr_null, "host TR selector 0"),
    HOST(host_fs_base, "host FS base"),
    HOST(host_gs_base, "host GS base"),
    HOST(host_gdtr_base, "host GDTR base"),
    HOST(host_idtr_base, "host IDTR base"),
    HOST(host_tr_base, "host TR base"),
    HOST(host_size_zero_in_ia32e, "host address-space size 0 while"),
    HOST(host_pae_clear, "host CR4.PAE"),
    HOST(host_rip_canonical, "host RIP not canonical"),
    GUEST(guest_cr0_ne, "guest CR0 does not respect"),
    {"guest_cr0_pg_without_pe", real_mode_vmcs, mut_guest_cr0_pg_without_pe, E_EXIT, 33, 0,
     "guest CR0.PG set without CR0.PE"},
    GUEST(guest_cr4_vmxe, "guest CR4"),
    GUEST(guest_debugctl, "DEBUGCTL"),
    GUEST(guest_ia32e_without_pae, "CR4.PAE clear"),
    GUEST(guest_pcide_outside_ia32e, "PCIDE"),
    GUEST(guest_cr3_wide, "guest CR3"),
    GUEST(guest_dr7_high, "DR7"),
    GUEST(guest_sysenter_eip, "guest IA32_SYSENTER_EIP"),
    GUEST(guest_perf, "guest IA32_PERF_GLOBAL_CTRL"),
    GUEST(guest_pat, "guest IA32_PAT"),
    GUEST(guest_efer_lma, "EFER.LMA"),
    GUEST(guest_efer_lme, "EFER.LME"),
    GUEST(guest_tr_ti, "TR selector has TI"),
    GUEST(guest_ldtr_ti, "LDTR usable with selector TI"),
    GUEST(guest_ss_rpl, "SS.RPL differs"),
    GUEST(guest_tr_base, "guest TR base"),
    GUEST(guest_fs_base, "guest FS base"),
    GUEST(guest_cs_base_high, "guest CS base bits"),
    GUEST(guest_ds_base_high, "guest DS base bits"),
    GUEST(guest_cs_type, "guest CS type"),
    GUEST(guest_ss_type, "guest SS usable but not a read/write"),
    GUEST(guest_ds_not_accessed, "guest DS usable but not accessed"),
    GUEST(guest_es_exec_only, "guest ES is an execute-only"),
    GUEST(guest_gs_s_clear, "guest GS usable with S clear"),
    GUEST(guest_fs_dpl, "guest FS DPL below"),
    GUEST(guest_ds_not_present, "guest DS usable but not present"),
    GUEST(guest_ds_reserved, "guest DS access rights"),
    GUEST(guest_es_g, "guest ES limit and G"),
    GUEST(guest_ds_g_big_limit, "guest DS limit and G"),
    GUEST(guest_cs_s, "guest CS has S clear"),
    GUEST(guest_cs_dpl, "non-conforming CS DPL"),
    GUEST(guest_ss_dpl, "guest SS DPL differs from its RPL"),
    GUEST(guest_cs_not_present, "guest CS not present"),
    GUEST(guest_cs_reserved, "guest CS access rights"),
    GUEST(guest_cs_l_and_db, "both L and D/B"),
    GUEST(guest_cs_g, "guest CS limit and G"),
    GUEST(guest_tr_type, "busy 64-bit TSS"),
    GUEST(guest_tr_s, "guest TR has S set"),
    GUEST(guest_tr_unusable, "guest TR unusable"),
    GUEST(guest_ldtr_type, "guest LDTR type"),
    GUEST(guest_gdtr_base, "guest GDTR base"),
    GUEST(guest_idtr_limit, "guest IDTR limit"),
    GUEST(guest_rip_canonical, "guest RIP not canonical"),
    GUEST(guest_rip_high_compat, "guest RIP bits 63:32"),
    GUEST(guest_rflags_reserved, "RFLAGS sets reserved"),
    GUEST(guest_rflags_bit1, "RFLAGS bit 1"),
    GUEST(guest_rflags_vm, "virtual-8086 guest segment base"), /* checked before RFLAGS.VM */
    GUEST(guest_extint_if_clear, "RFLAGS.IF clear"),
    GUEST(guest_activity_4, "above 3"),
    GUEST(guest_activity_shutdown, "not supported"),
    GUEST(guest_sti_while_hlt, "while not active"),
    GUEST(guest_hlt_inject_gp, "HLT guest"),
    GUEST(guest_sipi_inject, "wait-for-SIPI"),
    GUEST(guest_intr_reserved, "interruptibility state sets reserved"),
    GUEST(guest_sti_and_movss, "both STI and MOV SS"),
    GUEST(guest_sti_if_clear, "blocking by STI with RFLAGS.IF clear"),
    GUEST(guest_extint_sti, "external interrupt injected with blocking"),
    GUEST(guest_nmi_movss, "NMI injected with blocking by MOV SS"),
    GUEST(guest_smi_blocking, "SMI"),
    GUEST(guest_vnmi_blocked_inject, "virtual-NMI blocking"),
    GUEST(guest_pending_dbg_reserved, "pending debug exceptions set reserved"),
    GUEST(guest_bs_clear_with_tf, "BS clear"),
    GUEST(guest_bs_set_without_tf, "BS set"),
    {"link_misaligned", good_vmcs, mut_link_misaligned, E_EXIT, 33, 4, "link pointer not"},
    {"link_revision", good_vmcs, mut_link_revision, E_EXIT, 33, 4, "revision"},
    {"link_shadow_indicator", good_vmcs, mut_link_shadow_indicator, E_EXIT, 33, 4, "indicator"},
    {"pae_pdpte_reserved", pae_vmcs, mut_pae_pdpte_reserved, E_EXIT, 33, 2, "PDPTE"},
    {"pae_pdpte_not_present_ignored", pae_vmcs, mut_pae_pdpte_not_present_ignored, E_OK, 0, 0,
     NULL},
    {"msr_load_cap_msr", good_vmcs, mut_msr_load_cap_msr, E_EXIT, 34, 2, "MSR-load"},
    {"msr_load_x2apic", good_vmcs, mut_msr_load_x2apic, E_EXIT, 34, 2, "MSR-load"},
    {"msr_load_fs_base", good_vmcs, mut_msr_load_fs_base, E_EXIT, 34, 2, "MSR-load"},
    {"msr_load_reserved", good_vmcs, mut_msr_load_reserved, E_EXIT, 34, 2, "MSR-load"},
    {"msr_load_ok", good_vmcs, mut_msr_load_ok, E_OK, 0, 0, NULL},
    CTL(pml_addr, "PML address not 4-KByte aligned"),
    CTL(eptp_list_addr, "EPTP-list address not 4-KByte aligned"),
    CTL(inject_other_vector, "injected other event with a vector other than 0"),
    HOST(host32_ss_null, "host SS selector 0 with host address-space size 0"),
    HOST(host32_ia32e_guest, "IA-32e mode guest while the processor is outside IA-32e mode"),
    HOST(host32_size_1, "host address-space size 1 while the processor is outside"),
    HOST(host32_pcide, "host CR4.PCIDE set with host address-space size 0"),
    HOST(host32_rip_high, "host RIP bits 63:32 set with host address-space size 0"),
    {"host32_ok", good_vmcs, mut_host32_ok, E_OK, 0, 0, NULL},
    {"guest_ia32e_pg_clear", real_mode_vmcs, mut_guest_ia32e_pg_clear, E_EXIT, 33, 0,
     "IA-32e mode guest with CR0.PG clear"},
    GUEST(guest_sysenter_esp, "guest IA32_SYSENTER_ESP not canonical"),
    GUEST(guest_efer_reserved, "guest IA32_EFER sets reserved bits"),
    {"good_v86", v86_vmcs, mut_nothing, E_OK, 0, 0, NULL},
    {"v86_base", v86_vmcs, mut_v86_base, E_EXIT, 33, 0, "segment base is not selector times 16"},
    {"v86_limit", v86_vmcs, mut_v86_limit, E_EXIT, 33, 0, "segment limit is not 0xFFFF"},
    {"v86_ar", v86_vmcs, mut_v86_ar, E_EXIT, 33, 0, "segment access rights are not 0xF3"},
    {"v86_ia32e", v86_vmcs, mut_v86_ia32e, E_EXIT, 33, 0,
     "guest RFLAGS.VM set in IA-32e mode or real mode"},
    {"v86_real_mode", real_mode_vmcs, mut_v86_real_mode, E_EXIT, 33, 0,
     "guest RFLAGS.VM set in IA-32e mode or real mode"},
    GUEST(guest_gs_base, "guest GS base not canonical"),
    GUEST(guest_ldtr_base, "guest LDTR base not canonical"),
    GUEST(guest_ss_base_high, "guest SS base bits 63:32 set"),
    GUEST(guest_es_base_high, "guest ES base bits 63:32 set"),
    GUEST(guest_ss_s_clear, "guest SS usable with S clear"),
    {"guest_cs_data_dpl", real_mode_vmcs, mut_guest_cs_data_dpl, E_EXIT, 33, 0,
     "guest CS is a data segment with DPL not 0"},
    GUEST(guest_conforming_cs_dpl, "guest conforming CS DPL greater than SS DPL"),
    {"guest_real_ss_dpl", real_mode_vmcs, mut_guest_real_ss_dpl, E_EXIT, 33, 0,
     "guest SS DPL not 0 in real mode or with a data-segment CS"},
    GUEST(guest_ss_not_present, "guest SS usable but not present"),
    GUEST(guest_ss_reserved, "guest SS access rights set reserved bits"),
    GUEST(guest_ss_g, "guest SS limit and G bit disagree"),
    GUEST(guest_cs_unusable, "guest CS unusable"),
    {"guest_tr_available_32", pae_vmcs, mut_guest_tr_available_32, E_EXIT, 33, 0,
     "guest TR type is not a busy 16-bit or 32-bit TSS"},
    GUEST(guest_tr_not_present, "guest TR not present"),
    GUEST(guest_tr_reserved, "guest TR access rights set reserved bits"),
    GUEST(guest_tr_g, "guest TR limit and G bit disagree"),
    GUEST(guest_ldtr_s, "guest LDTR has S set"),
    GUEST(guest_ldtr_not_present, "guest LDTR not present"),
    GUEST(guest_ldtr_reserved, "guest LDTR access rights set reserved bits"),
    GUEST(guest_ldtr_g, "guest LDTR limit and G bit disagree"),
    GUEST(guest_idtr_base, "guest IDTR base not canonical"),
    GUEST(guest_gdtr_limit, "guest GDTR limit bits 31:16 set"),
    GUEST(guest_hlt_ring3, "guest in HLT state with SS.DPL not 0"),
    {"guest_ring3_ok", good_vmcs, mut_guest_ring3_ok, E_OK, 0, 0, NULL},
    GUEST(guest_shutdown_inject_gp, "event injected into a shut-down guest"),
    {"link_is_current", good_vmcs, mut_link_is_current, E_EXIT, 33, 4,
     "VMCS link pointer is the current VMCS"},
#define DATA_SEG_CASES(s, S) \
    GUEST(s##_not_accessed, "guest " S " usable but not accessed"), \
    GUEST(s##_exec_only, "guest " S " is an execute-only code segment"), \
    GUEST(s##_s_clear, "guest " S " usable with S clear"), \
    GUEST(s##_dpl_below_rpl, "guest " S " DPL below its RPL"), \
    GUEST(s##_not_present, "guest " S " usable but not present"), \
    GUEST(s##_reserved, "guest " S " access rights set reserved bits"), \
    GUEST(s##_g, "guest " S " limit and G bit disagree")
    DATA_SEG_CASES(ds, "DS"),
    DATA_SEG_CASES(es, "ES"),
    DATA_SEG_CASES(fs, "FS"),
    DATA_SEG_CASES(gs, "GS"),
    {"good_64bit", good_vmcs, mut_nothing, E_OK, 0, 0, NULL},
    {"good_real_mode", real_mode_vmcs, mut_nothing, E_OK, 0, 0, NULL},
    {"good_pae", pae_vmcs, mut_nothing, E_OK, 0, 0, NULL},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(entry_check)
{
    const struct entry_case *t = &cases[_i];
    struct vmcs *v = t->base();
    t->mutate(v, &h.cpu.vmx->caps);
    ck_assert_msg(do_vmlaunch(&h) == -1, "%s: exception", t->name);
    struct vmx_cpu *vx = h.cpu.vmx;
    const char *why = vx->last_check_failed ? vx->last_check_failed : "(none)";
    switch (t->kind) {
    case E_OK:
        ck_assert_msg(vmx_outcome(&h) == 0 && h.cpu.vmx_nonroot, "%s: entry failed: %s",
                      t->name, why);
        break;
    case E_VMFAIL:
        ck_assert_msg(vmx_outcome(&h) == (int)t->code, "%s: outcome %d, check: %s", t->name,
                      vmx_outcome(&h), why);
        ck_assert(!h.cpu.vmx_nonroot);
        ck_assert_uint_eq(h.cpu.rip, CODE_ADDR + 3); /* falls through */
        break;
    case E_EXIT:
        ck_assert_msg(v->vm_exit_reason == (t->code | EXIT_REASON_ENTRY_FAILURE),
                      "%s: exit reason %#x, check: %s", t->name, v->vm_exit_reason, why);
        ck_assert_msg(v->exit_qualification == t->qual, "%s: qualification %llu", t->name,
                      (unsigned long long)v->exit_qualification);
        ck_assert(!h.cpu.vmx_nonroot);
        ck_assert_uint_eq(h.cpu.rip, HOST_RIP);
        ck_assert_uint_eq(h.cpu.gpr[R_SP], HOST_RSP);
        /* a failed entry leaves the VMCS clear: VMLAUNCH may be retried */
        ck_assert_uint_eq(vx->cache[vx->current_slot].launch_state, VMCS_CLEAR);
        break;
    }
    /* tests/unit coverage listing: which check each case made fire */
    if (getenv("VMX_ENTRY_LIST_CHECKS"))
        fprintf(stderr, "case %s fired: %s\n", t->name, why);
    if (t->text)
        ck_assert_msg(vx->last_check_failed && strstr(vx->last_check_failed, t->text),
                      "%s: failed check was \"%s\", expected \"%s\"", t->name, why, t->text);
}
END_TEST

/* ---- successful entries, exits ---- */

START_TEST(launch_run_exit_resume_64bit)
{
    struct vmcs *v = good_vmcs();
    v->guest_ia32_debugctl = 1;
    v->guest_dr7 = 0x401;
    v->guest_sysenter_esp = 0x1234;
    v->vm_exit_controls |= EXIT_SAVE_EFER;
    h.cpu.gpr[R_BX] = 0x77;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, GUEST_RIP);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], GUEST_RSP);
    ck_assert_uint_eq(h.cpu.mode, MODE_LONG);
    ck_assert_uint_eq(h.cpu.dr[7], 0x401);
    ck_assert_uint_eq(h.cpu.sysenter_esp, 0x1234);
    ck_assert_uint_eq(h.cpu.vmx->cache[h.cpu.vmx->current_slot].launch_state, VMCS_LAUNCHED);

    /* The guest runs CPUID (an unconditional exit, SDM 25.1.2) then HLT
     * (no HLT exiting: it halts in non-root operation). The host's code at
     * HOST_RIP is a HLT. */
    static const uint8_t guest[] = {0x31, 0xc0, 0x0f, 0xa2, 0xf4};
    static const uint8_t host[] = {0xf4};
    harness_load(&h, GUEST_RIP, guest, sizeof(guest));
    harness_load(&h, HOST_RIP, host, sizeof(host));
    ck_assert_int_eq(harness_run(&h, GUEST_RIP, 100), 0);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, HOST_RIP + 1);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_CPUID);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 2);
    /* L1 skips the CPUID and resumes; the guest halts. */
    v->guest_rip += 2;
    h.cpu.rip = CODE_ADDR;
    ck_assert_int_eq(do_vmresume(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_int_eq(harness_run(&h, GUEST_RIP + 4, 100), 0);
    ck_assert(h.cpu.vmx_nonroot);

    /* Build a HLT exit by hand, as an exit hook does. */
    h.cpu.rip = GUEST_RIP + 4;
    h.cpu.halted = false;
    h.cpu.gpr[R_SP] = GUEST_RSP - 8;
    h.cpu.rflags = 2 | F_IF | F_CF;
    struct vmx_exit_info info = {.valid = EXITINFO_INSN_LEN, .insn_len = 1};
    vmx_vmexit(&h.cpu, EXIT_REASON_HLT, 0, &info);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_HLT);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 1);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 4);
    ck_assert_uint_eq(v->guest_rsp, GUEST_RSP - 8);
    ck_assert_uint_eq(v->guest_rflags, 2 | F_IF | F_CF);
    ck_assert_uint_eq(v->guest_dr7, 0x401);
    ck_assert_uint_eq(v->guest_ia32_debugctl, 1);
    ck_assert_uint_eq(v->guest_ia32_efer, h.cpu.efer);
    ck_assert_uint_eq(v->guest_cs_ar_bytes, 0xb | SEG_S | SEG_P | SEG_L | SEG_G);
    ck_assert_uint_eq(v->guest_ldtr_ar_bytes & SEG_UNUSABLE, SEG_UNUSABLE);
    ck_assert_uint_eq(v->guest_activity_state, ACTIVITY_ACTIVE);
    ck_assert_uint_eq(v->vm_entry_controls & ENTRY_IA32E_MODE_GUEST, ENTRY_IA32E_MODE_GUEST);
    ck_assert_uint_eq(v->idt_vectoring_info_field, 0);
    ck_assert_uint_eq(v->vm_exit_intr_info, 0);
    /* Host state (SDM 27.5). */
    ck_assert_uint_eq(h.cpu.rip, HOST_RIP);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], HOST_RSP);
    ck_assert_uint_eq(h.cpu.rflags, 2);
    ck_assert_uint_eq(h.cpu.dr[7], 0x400);
    ck_assert_uint_eq(h.cpu.debugctl, 0);
    ck_assert_uint_eq(h.cpu.seg[S_CS].sel, 0x08);
    ck_assert_uint_eq(h.cpu.seg[S_CS].attr, 0xb | SEG_S | SEG_P | SEG_L | SEG_G);
    ck_assert_uint_eq(h.cpu.seg[S_SS].attr, 3 | SEG_S | SEG_P | SEG_DB | SEG_G);
    ck_assert_uint_eq(h.cpu.tr.sel, 0x18);
    ck_assert_uint_eq(h.cpu.tr.base, 0x7000);
    ck_assert_uint_eq(h.cpu.tr.limit, 0x67);
    ck_assert_uint_eq(h.cpu.tr.attr, 0xb | SEG_P);
    ck_assert_uint_eq(h.cpu.ldtr.attr & SEG_UNUSABLE, SEG_UNUSABLE);
    ck_assert_uint_eq(h.cpu.gdtr.base, 0x5000);
    ck_assert_uint_eq(h.cpu.gdtr.limit, 0xffff);
    ck_assert_uint_eq(h.cpu.idtr.limit, 0xffff);
    ck_assert_uint_eq(h.cpu.mode, MODE_LONG);
    ck_assert(h.cpu.efer & EFER_LMA);

    /* VMRESUME goes back in; VMLAUNCH is refused. */
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMLAUNCH_NONCLEAR_VMCS);
    ck_assert_int_eq(do_vmresume(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, GUEST_RIP + 4);
    ck_assert_uint_eq(h.cpu.rflags, 2 | F_IF | F_CF);
}
END_TEST

START_TEST(vmx_instructions_exit_in_nonroot)
{
    good_vmcs();
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    /* vmptrld [rax+0x10]: 0F C7 70 10 -> exit 21, qualification = displacement. */
    h.cpu.gpr[R_AX] = DATA_ADDR;
    ck_assert_int_eq(VMX_EXEC(&h, 0x0f, 0xc7, 0x70, 0x10), -1);
    struct vmcs *v = vmx_current_vmcs(&h.cpu);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMPTRLD);
    ck_assert_uint_eq(v->exit_qualification, 0x10);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 4);
    ck_assert_uint_eq(v->guest_rip, CODE_ADDR);
    /* address size 64 (2 << 7), segment DS (3 << 15), no index (bit 22), base RAX */
    ck_assert_uint_eq(v->vmx_instruction_info, (2u << 7) | (3u << 15) | (1u << 22));
    ck_assert_uint_eq(h.cpu.rip, HOST_RIP);
    /* VMCALL exits unconditionally. */
    ck_assert_int_eq(do_vmresume(&h), -1);
    ck_assert_int_eq(do_vmcall(&h), -1);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMCALL);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 3);
    /* VMREAD without shadowing exits, with register operands in the info. */
    uint64_t x;
    ck_assert_int_eq(do_vmresume(&h), -1);
    ck_assert_int_eq(do_vmread(&h, VMCS_GUEST_RIP, &x), -1);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMREAD);
    ck_assert_uint_eq(v->vmx_instruction_info, (R_BX << 3) | (1u << 10) | (R_CX << 28));
}
END_TEST

START_TEST(shadow_vmcs_read_write_without_exit)
{
    struct vmcs *v = good_vmcs();
    /* A shadow VMCS at 0x42000 holding GUEST_RIP = 0x5555. */
    physmem_write(&h.mem, 0x42000, vmx_test_revision(&h) | 0x80000000u, 4);
    do_vmclear(&h, 0x42000);
    do_vmptrld(&h, 0x42000);
    do_vmwrite(&h, VMCS_GUEST_RIP, 0x5555);
    do_vmptrld(&h, VMCS_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_VMCS_SHADOWING;
    v->vmread_bitmap = 0x43000;
    v->vmwrite_bitmap = 0x44000;
    v->vmcs_link_pointer = 0x42000;
    /* Exit on VMREAD of GUEST_RSP (bit set), not on GUEST_RIP. */
    physmem_write(&h.mem, 0x43000 + (VMCS_GUEST_RSP >> 3), 1u << (VMCS_GUEST_RSP & 7), 1);
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    uint64_t x = 0;
    ck_assert_int_eq(do_vmread(&h, VMCS_GUEST_RIP, &x), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    ck_assert_uint_eq(x, 0x5555);
    ck_assert_int_eq(do_vmwrite(&h, VMCS_GUEST_RIP, 0x6666), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_int_eq(do_vmread(&h, VMCS_GUEST_RIP, &x), -1);
    ck_assert_uint_eq(x, 0x6666);
    /* An unsupported field whose bitmap bit is clear: VMfailValid, with the
     * error in the current VMCS (the one running L2), not in the shadow
     * VMCS the read addressed (SDM 30.2 VMfailValid; kvm-unit-tests
     * vmx_vmcs_shadow_test checks the same on hardware). */
    ck_assert_int_eq(do_vmread(&h, 0x6831, &x), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rflags & F_ARITH, F_ZF);
    ck_assert_uint_eq(v->vm_instruction_error, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    ck_assert_uint_eq(h.cpu.vmx->cache[vmcs_cache_find(h.cpu.vmx, 0x42000)].vmcs.vm_instruction_error,
                      0);
    /* bits 63:15 of the encoding set: exit */
    ck_assert_int_eq(do_vmread(&h, 1ull << 20 | VMCS_GUEST_RIP, &x), -1);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMREAD);
    ck_assert_int_eq(do_vmresume(&h), -1);
    ck_assert_int_eq(do_vmread(&h, VMCS_GUEST_RSP, &x), -1);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMREAD);
}
END_TEST

START_TEST(vmfunc_eptp_switching_and_invept_exit)
{
    struct vmcs *v = good_vmcs();
    identity_ept();
    widen_caps(&h.cpu.vmx->caps);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT | CPU2_ENABLE_VMFUNC;
    v->ept_pointer = EPTP_GOOD;
    v->vm_function_control = VMFUNC_EPTP_SWITCHING;
    v->eptp_list_address = 0x45000;
    put64(&h, 0x45000 + 8, 0x310000 | (3 << 3) | 6);
    put64(&h, 0x45000 + 16, 0x310000 | (3 << 3) | 2); /* bad memory type */
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    h.cpu.gpr[R_AX] = 0;
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(VMX_EXEC(&h, 0x0f, 0x01, 0xd4), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->ept_pointer, 0x310000 | (3 << 3) | 6);
    h.cpu.gpr[R_CX] = 2; /* invalid EPTP in the list: exit 59 */
    ck_assert_int_eq(VMX_EXEC(&h, 0x0f, 0x01, 0xd4), -1);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMFUNC);
    ck_assert_uint_eq(v->ept_pointer, 0x310000 | (3 << 3) | 6);
    ck_assert_int_eq(do_vmresume(&h), -1);
    h.cpu.gpr[R_AX] = 1; /* function 1 not enabled: exit */
    ck_assert_int_eq(VMX_EXEC(&h, 0x0f, 0x01, 0xd4), -1);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_VMFUNC);
    /* INVEPT in non-root exits with the type register in bits 31:28. */
    ck_assert_int_eq(do_vmresume(&h), -1);
    h.cpu.gpr[R_AX] = DATA_ADDR;
    ck_assert_int_eq(VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x80, 0x08), -1);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_INVEPT);
    ck_assert_uint_eq(v->vmx_instruction_info >> 28, R_CX);
    ck_assert_uint_eq(v->vm_exit_instruction_len, 5);
}
END_TEST

START_TEST(real_mode_guest_with_injected_interrupt)
{
    struct vmcs *v = real_mode_vmcs();
    /* IVT entry 0x20 -> 1234:0010 */
    physmem_write(&h.mem, 0x20 * 4, 0x12340010u, 4);
    v->vm_entry_intr_info_field = INTR_INFO_VALID | (EV_EXTINT << 8) | 0x20;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    ck_assert_uint_eq(h.cpu.mode, MODE_REAL);
    ck_assert_uint_eq(h.cpu.seg[S_CS].sel, 0x1234);
    ck_assert_uint_eq(h.cpu.rip, 0x10);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x7000 - 6);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x7000 - 6, 2), 0x100);    /* return IP */
    ck_assert_uint_eq(physmem_read(&h.mem, 0x7000 - 4, 2), 0x3000);   /* CS */
    ck_assert_uint_eq(h.cpu.rflags & F_IF, 0);
    ck_assert_uint_eq(v->vm_entry_intr_info_field & INTR_INFO_VALID, INTR_INFO_VALID);
    /* The exit clears the valid bit and saves the real-mode state. */
    vmx_vmexit(&h.cpu, EXIT_REASON_EXTERNAL_INTERRUPT, 0, NULL);
    ck_assert_uint_eq(v->vm_entry_intr_info_field & INTR_INFO_VALID, 0);
    ck_assert_uint_eq(v->guest_cs_selector, 0x1234);
    ck_assert_uint_eq(v->guest_cs_base, 0x12340);
    ck_assert_uint_eq(v->guest_rip, 0x10);
    ck_assert_uint_eq(v->vm_entry_controls & ENTRY_IA32E_MODE_GUEST, 0);
    ck_assert_uint_eq(h.cpu.mode, MODE_LONG);
}
END_TEST

START_TEST(software_interrupt_injection_uses_instruction_length)
{
    struct vmcs *v = real_mode_vmcs();
    physmem_write(&h.mem, 0x21 * 4, 0x20000040u, 4);
    v->vm_entry_intr_info_field = INTR_INFO_VALID | (EV_SWINT << 8) | 0x21;
    v->vm_entry_instruction_len = 2;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, 0x40);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x7000 - 6, 2), 0x102);
}
END_TEST

START_TEST(hlt_activity_state_and_exit_saves_it)
{
    struct vmcs *v = good_vmcs();
    v->guest_activity_state = ACTIVITY_HLT;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert(h.cpu.halted);
    vmx_vmexit(&h.cpu, EXIT_REASON_EXTERNAL_INTERRUPT, 0, NULL);
    ck_assert_uint_eq(v->guest_activity_state, ACTIVITY_HLT);
    ck_assert(!h.cpu.halted);
}
END_TEST

START_TEST(exit_msr_store_and_host_msr_load)
{
    struct vmcs *v = good_vmcs();
    put64(&h, MSR_AREA, MSR_SYSENTER_EIP);
    put64(&h, MSR_AREA + 8, 0);
    put64(&h, MSR_AREA + 16, MSR_SYSENTER_ESP);
    put64(&h, MSR_AREA + 24, 0xabcdef);
    v->vm_exit_msr_store_count = 1;
    v->vm_exit_msr_store_addr = MSR_AREA;
    v->vm_exit_msr_load_count = 1;
    v->vm_exit_msr_load_addr = MSR_AREA + 16;
    v->guest_sysenter_eip = 0x4321;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    vmx_vmexit(&h.cpu, EXIT_REASON_CPUID, 0, NULL);
    ck_assert_uint_eq(get64(&h, MSR_AREA + 8), 0x4321);
    ck_assert_uint_eq(h.cpu.sysenter_esp, 0xabcdef);
    /* A host MSR-load failure is a VMX abort. */
    put64(&h, MSR_AREA + 16, 0x480);
    ck_assert_int_eq(do_vmresume(&h), -1);
    vmx_vmexit(&h.cpu, EXIT_REASON_CPUID, 0, NULL);
    ck_assert(h.cpu.shutdown);
    ck_assert_uint_eq(physmem_read(&h.mem, VMCS_ADDR + 4, 4), 4);
}
END_TEST

START_TEST(exit_during_injection_records_idt_vectoring)
{
    struct vmcs *v = good_vmcs();
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    /* As the exception-bitmap hook would during delivery of an injected #GP: */
    h.cpu.vmx->injecting = true;
    h.cpu.vmx->injecting_info = INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (3u << 8) | EXC_GP;
    h.cpu.vmx->injecting_error = 0x18;
    struct vmx_exit_info info = {.valid = EXITINFO_INTR,
                                 .intr_info = INTR_INFO_VALID | INTR_INFO_DELIVER_CODE |
                                              (3u << 8) | EXC_PF,
                                 .intr_error = 2};
    vmx_vmexit(&h.cpu, EXIT_REASON_EXCEPTION_NMI, 0x1000, &info);
    ck_assert_uint_eq(v->idt_vectoring_info_field,
                      INTR_INFO_VALID | INTR_INFO_DELIVER_CODE | (3u << 8) | EXC_GP);
    ck_assert_uint_eq(v->idt_vectoring_error_code, 0x18);
    ck_assert_uint_eq(v->vm_exit_intr_info & 0xff, EXC_PF);
    ck_assert_uint_eq(v->exit_qualification, 0x1000);
    ck_assert(!h.cpu.vmx->injecting);
}
END_TEST

START_TEST(trace_lines)
{
    FILE *f = tmpfile();
    h.cpu.log_mask = LOG_VMEXIT;
    h.cpu.log_file = f;
    good_vmcs();
    do_vmlaunch(&h);
    vmx_vmexit(&h.cpu, EXIT_REASON_CPUID, 0, NULL);
    struct vmcs *v = vmx_current_vmcs(&h.cpu);
    v->guest_cr0 &= ~CR0_NE;
    do_vmresume(&h);
    char buf[2048] = {0};
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    h.cpu.log_file = NULL;
    ck_assert_ptr_nonnull(strstr(buf, "VM entry (VMLAUNCH)"));
    ck_assert_ptr_nonnull(strstr(buf, "reason=CPUID(10)"));
    ck_assert_ptr_nonnull(strstr(buf, "vmcs=0x101000"));
    ck_assert_ptr_nonnull(strstr(buf, "guest CR0 does not respect"));
    ck_assert_ptr_nonnull(strstr(buf, "INVALID_GUEST_STATE(33) entry-failure"));
}
END_TEST

/* ---- pending debug exceptions after VM entry (SDM 26.6.3) ---- */

#define DB_HANDLER 0x31000u

/* A 64-bit interrupt gate for #DB in the guest IDT (shared with the host). */
static void db_gate(void)
{
    sys_gdt_flat(&h, 0xa);
    put64(&h, IDT_BASE + 16 * EXC_DB, make_gate(0x08, DB_HANDLER, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + 16 * EXC_DB + 8, 0);
}

START_TEST(pending_bs_delivers_db_after_entry)
{
    struct vmcs *v = good_vmcs();
    db_gate();
    v->guest_pending_dbg_exceptions = (1u << 14) | (1u << 1); /* BS, B1 */
    h.cpu.dr[6] = 0xffff0ff0;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER);
    ck_assert_uint_eq(h.cpu.dr[6], 0xffff0ff0 | (1u << 14) | (1u << 1));
    /* a trap: the frame returns to the guest RIP of the VMCS */
    ck_assert_uint_eq(h.cpu.gpr[R_SP], GUEST_RSP - 40);
    ck_assert_uint_eq(get64(&h, GUEST_RSP - 40), GUEST_RIP);
    ck_assert_uint_eq(h.cpu.vmx->pending_dbg_exceptions, 0);
    vmx_vmexit(&h.cpu, EXIT_REASON_CPUID, 0, NULL);
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 0);
}
END_TEST

START_TEST(pending_db_wakes_hlt_guest)
{
    struct vmcs *v = good_vmcs();
    db_gate();
    v->guest_activity_state = ACTIVITY_HLT;
    v->guest_rflags = 2 | F_TF; /* HLT with TF: BS must be set (26.3.1.5) */
    v->guest_pending_dbg_exceptions = 1u << 14;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    ck_assert(!h.cpu.halted);
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER);
    ck_assert_uint_eq(h.cpu.rflags & F_TF, 0);
}
END_TEST

START_TEST(pending_db_exits_when_exception_bitmap_wants_it)
{
    struct vmcs *v = good_vmcs();
    v->exception_bitmap = 1u << EXC_DB;
    v->guest_pending_dbg_exceptions = (1u << 12) | 1u; /* enabled breakpoint, B0 */
    h.cpu.dr[6] = 0xffff0ff0;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, HOST_RIP);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | (3u << 8) | EXC_DB);
    ck_assert_uint_eq(v->exit_qualification, 1);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP);
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 0);
    ck_assert_uint_eq(h.cpu.dr[6], 0xffff0ff0); /* the exit comes before DR6 changes */
    /* the entry itself succeeded: VMRESUME is the way back in */
    ck_assert_uint_eq(h.cpu.vmx->cache[h.cpu.vmx->current_slot].launch_state, VMCS_LAUNCHED);
}
END_TEST

START_TEST(pending_db_not_delivered)
{
    /* Held by MOV-SS blocking: stays pending and is saved by the next exit. */
    struct vmcs *v = good_vmcs();
    db_gate();
    v->guest_rflags = 2 | F_TF;
    v->guest_interruptibility_info = INTERRUPTIBILITY_MOV_SS;
    v->guest_pending_dbg_exceptions = 1u << 14;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    ck_assert_uint_eq(h.cpu.rip, GUEST_RIP);
    vmx_vmexit(&h.cpu, EXIT_REASON_CPUID, 0, NULL);
    ck_assert_uint_eq(v->guest_pending_dbg_exceptions, 1u << 14);
    /* B3-B0 without BS or enabled breakpoint: not a valid pending #DB. */
    v->guest_rflags = 2;
    v->guest_interruptibility_info = 0;
    v->guest_pending_dbg_exceptions = 0x5;
    ck_assert_int_eq(do_vmresume(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert_uint_eq(h.cpu.rip, GUEST_RIP);
    /* A vectoring entry delivers the injected event, not the pending #DB. */
    vmx_vmexit(&h.cpu, EXIT_REASON_CPUID, 0, NULL);
    sys_gdt_flat(&h, 0xa);
    put64(&h, IDT_BASE + 16 * 0x40, make_gate(0x08, 0x32000, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + 16 * 0x40 + 8, 0);
    v->guest_rflags = 2 | F_IF;
    v->guest_pending_dbg_exceptions = 1u << 12;
    v->vm_entry_intr_info_field = INTR_INFO_VALID | 0x40;
    ck_assert_int_eq(do_vmresume(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    ck_assert_uint_eq(h.cpu.rip, 0x32000);
}
END_TEST

/* -d vmexit: one entry/exit pair names the levels, the VMCS, the EPTP,
 * the exit reason, the qualification and the guest RIP; an entry failure
 * found after the guest state was loaded still returns to root. */
START_TEST(trace_names_levels_vmcs_eptp)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    h.cpu.log_mask = LOG_VMEXIT;
    h.cpu.log_file = f;
    struct vmcs *v = good_vmcs();
    identity_ept();
    widen_caps(&h.cpu.vmx->caps);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT;
    v->ept_pointer = EPTP_GOOD;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert_msg(h.cpu.vmx_nonroot, "%s", h.cpu.vmx->last_check_failed);
    h.cpu.rip = GUEST_RIP + 7;
    vmx_vmexit(&h.cpu, EXIT_REASON_CR_ACCESS, 0x34, NULL);
    msr_area(0x480);
    v->vm_entry_msr_load_count = 2;
    v->vm_entry_msr_load_addr = MSR_AREA;
    h.cpu.rip = CODE_ADDR;
    ck_assert_int_eq(do_vmresume(&h), -1);
    char buf[4096] = {0};
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    h.cpu.log_file = NULL;
    ck_assert_msg(strstr(buf, "vmx: cpu0 VM entry (VMLAUNCH) -> non-root vmcs=0x101000 "
                              "eptp=0x30001e guest-rip=0x30000\n") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "vmx: cpu0 VM exit from non-root vmcs=0x101000 eptp=0x30001e "
                              "reason=CR_ACCESS(28) qual=0x34 guest-rip=0x30007 then root\n") != NULL,
                  "%s", buf);
    ck_assert_msg(strstr(buf, "vmx: cpu0 VM-entry failure -> root vmcs=0x101000 eptp=0x30001e "
                              "reason=MSR_LOAD_FAIL(34) entry-failure qual=0x2") != NULL,
                  "%s", buf);
}
END_TEST

static Suite *vmx_entry_suite(void)
{
    Suite *s = suite_create("vmx_entry");
    TCase *tc = tcase_create("checks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, entry_check, 0, (int)NCASES);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("run");
    tcase_add_checked_fixture(tr, setup, teardown);
    tcase_add_test(tr, launch_run_exit_resume_64bit);
    tcase_add_test(tr, vmx_instructions_exit_in_nonroot);
    tcase_add_test(tr, shadow_vmcs_read_write_without_exit);
    tcase_add_test(tr, vmfunc_eptp_switching_and_invept_exit);
    tcase_add_test(tr, real_mode_guest_with_injected_interrupt);
    tcase_add_test(tr, software_interrupt_injection_uses_instruction_length);
    tcase_add_test(tr, hlt_activity_state_and_exit_saves_it);
    tcase_add_test(tr, exit_msr_store_and_host_msr_load);
    tcase_add_test(tr, exit_during_injection_records_idt_vectoring);
    tcase_add_test(tr, trace_lines);
    tcase_add_test(tr, pending_bs_delivers_db_after_entry);
    tcase_add_test(tr, pending_db_wakes_hlt_guest);
    tcase_add_test(tr, pending_db_exits_when_exception_bitmap_wants_it);
    tcase_add_test(tr, pending_db_not_delivered);
    tcase_add_test(tr, trace_names_levels_vmcs_eptp);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vmx_entry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

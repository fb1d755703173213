/* VM exits (SDM Vol.3C chapter 27; section numbers of the 2016-2022
 * editions): recording exit information (27.2), saving guest state (27.3),
 * the MSR-store area (27.4), loading host state (27.5), the host MSR-load
 * area (27.6) and VMX aborts (27.7). VM-entry failures (26.8) share the
 * host-state half. */
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/insn.h"
#include "cpu/msr.h"
#include "cpu/pmu.h"
#include "mmu/paging.h"
#include "mmu/physmem.h"
#include "vmx_emul/vmcs_cache.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_internal.h"
#include "vmx_emul/vmx_nonroot.h"
#include "vmx_emul/vmx_tlb.h"

static const char *const reason_names[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXCEPTION_NMI] = "EXCEPTION_NMI",
    [EXIT_REASON_EXTERNAL_INTERRUPT] = "EXTERNAL_INTERRUPT",
    [EXIT_REASON_TRIPLE_FAULT] = "TRIPLE_FAULT",
    [EXIT_REASON_INIT_SIGNAL] = "INIT_SIGNAL",
    [EXIT_REASON_SIPI_SIGNAL] = "SIPI_SIGNAL",
    [EXIT_REASON_IO_SMI] = "IO_SMI",
    [EXIT_REASON_OTHER_SMI] = "OTHER_SMI",
    [EXIT_REASON_INTERRUPT_WINDOW] = "INTERRUPT_WINDOW",
    [EXIT_REASON_NMI_WINDOW] = "NMI_WINDOW",
    [EXIT_REASON_TASK_SWITCH] = "TASK_SWITCH",
    [EXIT_REASON_CPUID] = "CPUID",
    [EXIT_REASON_GETSEC] = "GETSEC",
    [EXIT_REASON_HLT] = "HLT",
    [EXIT_REASON_INVD] = "INVD",
    [EXIT_REASON_INVLPG] = "INVLPG",
    [EXIT_REASON_RDPMC] = "RDPMC",
    [EXIT_REASON_RDTSC] = "RDTSC",
    [EXIT_REASON_RSM] = "RSM",
    [EXIT_REASON_VMCALL] = "VMCALL",
    [EXIT_REASON_VMCLEAR] = "VMCLEAR",
    [EXIT_REASON_VMLAUNCH] = "VMLAUNCH",
    [EXIT_REASON_VMPTRLD] = "VMPTRLD",
    [EXIT_REASON_VMPTRST] = "VMPTRST",
    [EXIT_REASON_VMREAD] = "VMREAD",
    [EXIT_REASON_VMRESUME] = "VMRESUME",
    [EXIT_REASON_VMWRITE] = "VMWRITE",
    [EXIT_REASON_VMXOFF] = "VMXOFF",
    [EXIT_REASON_VMXON] = "VMXON",
    [EXIT_REASON_CR_ACCESS] = "CR_ACCESS",
    [EXIT_REASON_DR_ACCESS] = "DR_ACCESS",
    [EXIT_REASON_IO_INSTRUCTION] = "IO_INSTRUCTION",
    [EXIT_REASON_MSR_READ] = "MSR_READ",
    [EXIT_REASON_MSR_WRITE] = "MSR_WRITE",
    [EXIT_REASON_INVALID_STATE] = "INVALID_GUEST_STATE",
    [EXIT_REASON_MSR_LOAD_FAIL] = "MSR_LOAD_FAIL",
    [EXIT_REASON_MWAIT] = "MWAIT",
    [EXIT_REASON_MONITOR_TRAP_FLAG] = "MONITOR_TRAP_FLAG",
    [EXIT_REASON_MONITOR] = "MONITOR",
    [EXIT_REASON_PAUSE] = "PAUSE",
    [EXIT_REASON_MCE_DURING_VMENTRY] = "MCE_DURING_VMENTRY",
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = "TPR_BELOW_THRESHOLD",
    [EXIT_REASON_APIC_ACCESS] = "APIC_ACCESS",
    [EXIT_REASON_EOI_INDUCED] = "EOI_INDUCED",
    [EXIT_REASON_GDTR_IDTR] = "GDTR_IDTR",
    [EXIT_REASON_LDTR_TR] = "LDTR_TR",
    [EXIT_REASON_EPT_VIOLATION] = "EPT_VIOLATION",
    [EXIT_REASON_EPT_MISCONFIG] = "EPT_MISCONFIG",
    [EXIT_REASON_INVEPT] = "INVEPT",
    [EXIT_REASON_RDTSCP] = "RDTSCP",
    [EXIT_REASON_PREEMPTION_TIMER] = "PREEMPTION_TIMER",
    [EXIT_REASON_INVVPID] = "INVVPID",
    [EXIT_REASON_WBINVD] = "WBINVD",
    [EXIT_REASON_XSETBV] = "XSETBV",
    [EXIT_REASON_APIC_WRITE] = "APIC_WRITE",
    [EXIT_REASON_RDRAND] = "RDRAND",
    [EXIT_REASON_INVPCID] = "INVPCID",
    [EXIT_REASON_VMFUNC] = "VMFUNC",
    [EXIT_REASON_ENCLS] = "ENCLS",
    [EXIT_REASON_RDSEED] = "RDSEED",
    [EXIT_REASON_PML_FULL] = "PML_FULL",
    [EXIT_REASON_XSAVES] = "XSAVES",
    [EXIT_REASON_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_reason_name(unsigned reason)
{
    if (reason < EXIT_REASON_COUNT && reason_names[reason])
        return reason_names[reason];
    return "?";
}

/* VMX-abort indicators (SDM 27.7). */
enum { ABORT_SAVE_GUEST_MSR = 1, ABORT_HOST_PDPTE = 2, ABORT_HOST_MSR_LOAD = 4 };

/* SDM 27.7: write the indicator into the VMCS region, then shut down (a
 * VMX-abort shutdown, not a triple fault: it does not exit to anyone). */
static void vmx_abort(struct cpu *cpu, uint32_t indicator)
{
    struct vmx_cpu *vx = cpu->vmx;
    if (vx->current_slot >= 0)
        vmcs_cache_writeback(cpu, vx->current_slot);
    physmem_write(cpu->bus.mem, vx->current_vmcs_ptr + 4, indicator, 4);
    vmx_trace(cpu, "VMX abort", ~0u, indicator);
    cpu->vmx_nonroot = false;
    cpu->shutdown = true;
    cpu->stop_block = true;
}

static void save_segment(const struct segment *s, uint16_t *sel, uint64_t *base,
                         uint32_t *limit, uint32_t *ar)
{
    *sel = s->sel;
    *base = s->base;
    *limit = s->limit;
    *ar = s->attr & (0xf0ffu | SEG_UNUSABLE);
}

/* SDM 27.3: guest state from the vCPU into the current VMCS. */
static void save_guest_state(struct cpu *cpu, struct vmcs *v)
{
    struct vmx_cpu *vx = cpu->vmx;
    v->guest_cr0 = cpu->cr0;
    v->guest_cr3 = cpu->cr3;
    v->guest_cr4 = cpu->cr4;
    if (vmx_ctl_save_debug_controls(v)) {
        v->guest_dr7 = cpu->dr[7];
        v->guest_ia32_debugctl = cpu->debugctl;
    }
    v->guest_sysenter_cs = (uint32_t)cpu->sysenter_cs;
    v->guest_sysenter_esp = cpu->sysenter_esp;
    v->guest_sysenter_eip = cpu->sysenter_eip;
    if (vmx_ctl_save_pat(v))
        v->guest_ia32_pat = cpu->pat;
    if (vmx_ctl_save_efer(v))
        v->guest_ia32_efer = cpu->efer;
    save_segment(&cpu->seg[S_ES], &v->guest_es_selector, &v->guest_es_base, &v->guest_es_limit,
                 &v->guest_es_ar_bytes);
    save_segment(&cpu->seg[S_CS], &v->guest_cs_selector, &v->guest_cs_base, &v->guest_cs_limit,
                 &v->guest_cs_ar_bytes);
    save_segment(&cpu->seg[S_SS], &v->guest_ss_selector, &v->guest_ss_base, &v->guest_ss_limit,
                 &v->guest_ss_ar_bytes);
    save_segment(&cpu->seg[S_DS], &v->guest_ds_selector, &v->guest_ds_base, &v->guest_ds_limit,
                 &v->guest_ds_ar_bytes);
    save_segment(&cpu->seg[S_FS], &v->guest_fs_selector, &v->guest_fs_base, &v->guest_fs_limit,
                 &v->guest_fs_ar_bytes);
    save_segment(&cpu->seg[S_GS], &v->guest_gs_selector, &v->guest_gs_base, &v->guest_gs_limit,
                 &v->guest_gs_ar_bytes);
    save_segment(&cpu->ldtr, &v->guest_ldtr_selector, &v->guest_ldtr_base, &v->guest_ldtr_limit,
                 &v->guest_ldtr_ar_bytes);
    save_segment(&cpu->tr, &v->guest_tr_selector, &v->guest_tr_base, &v->guest_tr_limit,
                 &v->guest_tr_ar_bytes);
    v->guest_gdtr_base = cpu->gdtr.base;
    v->guest_gdtr_limit = cpu->gdtr.limit;
    v->guest_idtr_base = cpu->idtr.base;
    v->guest_idtr_limit = cpu->idtr.limit;
    v->guest_rsp = cpu->gpr[R_SP];
    v->guest_rip = cpu->rip;
    v->guest_rflags = cpu->rflags;
    /* 27.3.4: with "enable EPT" and PAE paging, the PDPTE registers. */
    if (vmx_ctl_ept(v) && paging_mode_of(cpu->cr0, cpu->cr4, cpu->efer) == PAGING_PAE &&
        cpu->pdpte_valid) {
        v->guest_pdptr0 = cpu->pdpte[0];
        v->guest_pdptr1 = cpu->pdpte[1];
        v->guest_pdptr2 = cpu->pdpte[2];
        v->guest_pdptr3 = cpu->pdpte[3];
    }
    bool shadow = cpu->irq_shadow && cpu->irq_shadow_rip == cpu->rip;
    bool movss = shadow && cpu->irq_shadow_movss;
    /* 27.3.4: with blocking by MOV SS, the #DB traps that it holds (B3-B0,
     * enabled breakpoint, BS: cpu->dbg_held has that layout); otherwise
     * what VM entry loaded and did not deliver (26.6.3). */
    v->guest_pending_dbg_exceptions = movss ? cpu->dbg_held : vx->pending_dbg_exceptions;

    uint32_t intr = 0;
    if (shadow)
        intr |= movss ? INTERRUPTIBILITY_MOV_SS : INTERRUPTIBILITY_STI;
    if (vmx_ctl_virtual_nmis(v) ? vx->virtual_nmi_blocked : cpu->nmi_blocked)
        intr |= INTERRUPTIBILITY_NMI;
    v->guest_interruptibility_info = intr;
    v->guest_activity_state = cpu->wait_for_sipi ? ACTIVITY_WAIT_SIPI
                              : cpu->halted      ? ACTIVITY_HLT
                                                 : ACTIVITY_ACTIVE;
    /* The preemption-timer value is saved by vmx_nonroot_leaving (SDM
     * 27.3.4) when "save VMX-preemption timer value" is set; the field is
     * left as is here. */

    /* IA32_VMX_MISC bit 5: "IA-32e mode guest" follows EFER.LMA. */
    if (cpu->efer & EFER_LMA)
        v->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST;
    else
        v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
}

/* SDM 27.4: the VM-exit MSR-store area. Returns false for a VMX abort. */
static bool store_guest_msrs(struct cpu *cpu, const struct vmcs *v)
{
    for (uint32_t i = 0; i < v->vm_exit_msr_store_count; i++) {
        uint64_t e = v->vm_exit_msr_store_addr + 16ull * i;
        uint64_t lo = physmem_read(cpu->bus.mem, e, 8);
        uint32_t index = (uint32_t)lo;
        uint64_t value;
        if ((lo >> 32) || (index >> 8) == 0x8 || index == 0x9e /* IA32_SMBASE */ ||
            !msr_read(cpu, index, &value))
            return false;
        physmem_write(cpu->bus.mem, e + 8, value, 8);
    }
    return true;
}

static void host_segment(struct segment *s, uint16_t sel, uint64_t base)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xffffffffu;
    /* Read/write accessed data, S, DPL 0, P, D/B, G; unusable with a null
     * selector (SDM 27.5.2). */
    s->attr = 3 | SEG_S | SEG_P | SEG_DB | SEG_G | (sel == 0 ? SEG_UNUSABLE : 0);
}

/* SDM 27.5 (and 26.8 for VM-entry failures): host state from the current
 * VMCS. Returns false after a VMX abort. */
static bool load_host_state(struct cpu *cpu, struct vmcs *v)
{
    const struct vmx_caps *c = &cpu->vmx->caps;
    bool host64 = vmx_ctl_host_addr_space_size(v);

    /* 27.5.1: CR0 keeps ET, CD, NW and bits 28:19, 17, 15:6. */
    uint64_t keep0 = CR0_ET | CR0_CD | CR0_NW | 0x1ff80000ull | (1ull << 17) | 0xffc0ull;
    cpu->cr0 = (((v->host_cr0 & ~keep0) | (cpu->cr0 & keep0)) & 0xffffffffull) | c->cr0_fixed0;
    cpu->cr4 = v->host_cr4 | c->cr4_fixed0;
    if (host64)
        cpu->cr4 |= CR4_PAE;
    else
        cpu->cr4 &= ~CR4_PCIDE;
    cpu->cr3 = v->host_cr3;
    cpu->dr[7] = 0x400;
    debug_update(cpu);
    cpu->debugctl = 0;
    cpu->sysenter_cs = v->host_ia32_sysenter_cs;
    cpu->sysenter_esp = host64 ? v->host_ia32_sysenter_esp : (uint32_t)v->host_ia32_sysenter_esp;
    cpu->sysenter_eip = host64 ? v->host_ia32_sysenter_eip : (uint32_t)v->host_ia32_sysenter_eip;
    if (vmx_ctl_exit_load_perf_global_ctrl(v))
        pmu_set_global_ctrl(cpu, v->host_ia32_perf_global_ctrl);
    if (vmx_ctl_exit_load_pat(v))
        cpu->pat = v->host_ia32_pat;
    if (vmx_ctl_exit_load_efer(v))
        cpu->efer = v->host_ia32_efer;
    else
        cpu->efer = (cpu->efer & ~(EFER_LMA | EFER_LME)) | (host64 ? EFER_LMA | EFER_LME : 0);

    /* 27.5.2 segment and descriptor-table registers. */
    struct segment *cs = &cpu->seg[S_CS];
    cs->sel = v->host_cs_selector;
    cs->base = 0;
    cs->limit = 0xffffffffu;
    cs->attr = 11 | SEG_S | SEG_P | SEG_G | (host64 ? SEG_L : SEG_DB);
    host_segment(&cpu->seg[S_SS], v->host_ss_selector, 0);
    host_segment(&cpu->seg[S_DS], v->host_ds_selector, 0);
    host_segment(&cpu->seg[S_ES], v->host_es_selector, 0);
    host_segment(&cpu->seg[S_FS], v->host_fs_selector, v->host_fs_base);
    host_segment(&cpu->seg[S_GS], v->host_gs_selector, v->host_gs_base);
    cpu->tr.sel = v->host_tr_selector;
    cpu->tr.base = v->host_tr_base;
    cpu->tr.limit = 0x67;
    cpu->tr.attr = 11 | SEG_P;
    cpu->ldtr.sel = 0;
    cpu->ldtr.base = 0;
    cpu->ldtr.limit = 0;
    cpu->ldtr.attr = SEG_UNUSABLE;
    cpu->gdtr.base = v->host_gdtr_base;
    cpu->gdtr.limit = 0xffff;
    cpu->idtr.base = v->host_idtr_base;
    cpu->idtr.limit = 0xffff;

    /* 27.5.3 RIP, RSP, RFLAGS. */
    cpu->rip = v->host_rip;
    cpu->next_rip = v->host_rip;
    cpu->gpr[R_SP] = v->host_rsp;
    cpu->rflags = 2;
    cpu->irq_shadow = false;
    cpu->irq_shadow_movss = false;
    debug_set_held(cpu, 0); /* the guest's, saved above */
    debug_set_trap(cpu, DBG_DISCARD);
    cpu->halted = false;
    cpu->wait_for_sipi = false;

    cpu->vmx_nonroot = false;
    cpu_update_mode(cpu);
    vmx_tlb_host_loaded(cpu);
    cpu->stop_block = true;

    /* 27.5.4 PDPTEs of a PAE host. */
    if (!host64 && (cpu->cr0 & CR0_PG) && (cpu->cr4 & CR4_PAE)) {
        for (int i = 0; i < 4; i++) {
            uint64_t e = physmem_read(cpu->bus.mem, (cpu->cr3 & 0xffffffe0u) + 8u * i, 8);
            if ((e & 1) && (e & (0x1e6ull | phys_reserved_mask(cpu)))) {
                vmx_abort(cpu, ABORT_HOST_PDPTE);
                return false;
            }
            cpu->pdpte[i] = e;
        }
        cpu->pdpte_valid = true;
    }
    /* 27.6 the host MSR-load area. */
    for (uint32_t i = 0; i < v->vm_exit_msr_load_count; i++) {
        if (!vmx_msr_area_load_one(cpu, v->vm_exit_msr_load_addr + 16ull * i)) {
            vmx_abort(cpu, ABORT_HOST_MSR_LOAD);
            return false;
        }
    }
    return true;
}

void vmx_vmexit(struct cpu *cpu, uint32_t reason, uint64_t qualification,
                const struct vmx_exit_info *info)
{
    struct vmx_cpu *vx = cpu->vmx;
    struct vmcs *v = vmx_current_vmcs(cpu);
    if (!vx || !v || !cpu->vmx_nonroot)
        return;

    /* 27.2 recording VM-exit information. */
    v->vm_exit_reason = reason;
    v->exit_qualification = qualification;
    uint32_t valid = info ? info->valid : 0;
    if (valid & EXITINFO_GUEST_LINEAR)
        v->guest_linear_address = info->guest_linear;
    if (valid & EXITINFO_GUEST_PHYS)
        v->guest_physical_address = info->guest_phys;
    if (valid & EXITINFO_INTR) {
        v->vm_exit_intr_info = info->intr_info;
        v->vm_exit_intr_error_code = info->intr_error;
    } else {
        v->vm_exit_intr_info = 0;
    }
    /* 27.2.4: an exit while delivering an event (the injected one included)
     * records that event as IDT-vectoring information. */
    if (valid & EXITINFO_IDT_VECTORING) {
        v->idt_vectoring_info_field = info->idt_info;
        v->idt_vectoring_error_code = info->idt_error;
    } else if (vx->injecting) {
        v->idt_vectoring_info_field = vx->injecting_info & ~INTR_INFO_NMI_UNBLOCK;
        v->idt_vectoring_error_code = vx->injecting_error;
    } else {
        v->idt_vectoring_info_field = 0;
    }
    vx->injecting = false;
    if (valid & EXITINFO_INSN_LEN)
        v->vm_exit_instruction_len = info->insn_len;
    if (valid & EXITINFO_INSN_INFO)
        v->vmx_instruction_info = info->insn_info;
    if (valid & EXITINFO_IO) {
        v->io_rcx = info->io_rcx;
        v->io_rsi = info->io_rsi;
        v->io_rdi = info->io_rdi;
        v->io_rip = info->io_rip;
    }
    v->vm_entry_intr_info_field &= ~INTR_INFO_VALID;

    /* 27.3 saving guest state, 27.4 the MSR-store area. */
    vmx_nonroot_leaving(cpu);
    save_guest_state(cpu, v);
    /* 27.3.3: an exit for an access that an instruction makes (not during
     * event delivery) saves RF = 1, as the image of a fault would, so that
     * the instruction restarts without its instruction breakpoint. The
     * 2016+ editions list page-modification-log-full exits here too. */
    switch (reason) {
    case EXIT_REASON_EPT_VIOLATION:
    case EXIT_REASON_EPT_MISCONFIG:
    case EXIT_REASON_APIC_ACCESS:
    case EXIT_REASON_PML_FULL:
        if (!(v->idt_vectoring_info_field & INTR_INFO_VALID))
            v->guest_rflags |= F_RF;
        break;
    default:
        break;
    }
    vmx_trace(cpu, "VM exit from", reason, qualification);
    if (!store_guest_msrs(cpu, v)) {
        vmx_abort(cpu, ABORT_SAVE_GUEST_MSR);
        return;
    }
    /* 27.5, 27.6 */
    load_host_state(cpu, v);
    if (cpu->vmx_transition_hook)
        cpu->vmx_transition_hook(cpu, reason);
}

void vmx_exit_insn(struct cpu *cpu, const struct insn *in, uint32_t reason, uint64_t qual,
                   uint32_t insn_info, bool insn_info_valid)
{
    struct vmx_exit_info info = {
        .valid = EXITINFO_INSN_LEN | (insn_info_valid ? EXITINFO_INSN_INFO : 0),
        .insn_len = in ? in->len : (uint32_t)(cpu->next_rip - cpu->rip),
        .insn_info = insn_info,
    };
    vmx_vmexit(cpu, reason, qual, &info);
}

void vmx_entry_failure(struct cpu *cpu, uint32_t reason, uint64_t qualification)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    v->vm_exit_reason = reason | EXIT_REASON_ENTRY_FAILURE;
    v->exit_qualification = qualification;
    vmx_trace(cpu, "VM-entry failure ->", reason | EXIT_REASON_ENTRY_FAILURE, qualification);
    /* 26.8: no guest state is saved and no MSRs are stored; host state and
     * the host MSR-load area are loaded as on a VM exit. */
    load_host_state(cpu, v);
    if (cpu->vmx_transition_hook)
        cpu->vmx_transition_hook(cpu, reason | EXIT_REASON_ENTRY_FAILURE);
}

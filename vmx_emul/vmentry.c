/* VM entry (SDM Vol.3C chapter 26; section numbers of the 2016-2022
 * editions): the checks (vmentry_checks.c), guest-state loading (26.3.2),
 * the VM-entry MSR-load area (26.4), event injection (26.5), then non-root
 * operation. */
#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/msr.h"
#include "cpu/pmu.h"
#include "mmu/paging.h"
#include "mmu/physmem.h"
#include "vmx_emul/vmcs_cache.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_intercept.h"
#include "vmx_emul/vmx_internal.h"
#include "vmx_emul/vmx_nonroot.h"
#include "vmx_emul/vmx_tlb.h"

bool vmx_msr_area_load_one(struct cpu *cpu, uint64_t entry_paddr)
{
    uint64_t lo = physmem_read(cpu->bus.mem, entry_paddr, 8);
    uint64_t data = physmem_read(cpu->bus.mem, entry_paddr + 8, 8);
    uint32_t index = (uint32_t)lo;
    if ((lo >> 32) || (index >> 8) == 0x8 || index == MSR_FS_BASE || index == MSR_GS_BASE ||
        index == 0x9b /* IA32_SMM_MONITOR_CTL */)
        return false;
    return msr_write(cpu, index, data);
}

static void load_segment(struct segment *s, uint16_t sel, uint64_t base, uint32_t limit,
                         uint32_t ar)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->attr = ar;
}

/* SDM 26.3.2: load the guest-state area into the vCPU. */
static void load_guest_state(struct cpu *cpu, const struct vmcs *v)
{
    struct vmx_cpu *vx = cpu->vmx;
    vmx_tlb_save_root(cpu);
    bool ia32e = vmx_ctl_ia32e_mode_guest(v);

    /* 26.3.2.1 control registers, debug registers, MSRs. */
    cpu->cr0 = (v->guest_cr0 & 0xffffffffull) | CR0_ET;
    cpu->cr3 = v->guest_cr3;
    cpu->cr4 = v->guest_cr4;
    if (vmx_ctl_load_debug_controls(v)) {
        cpu->dr[7] = v->guest_dr7;
        cpu->debugctl = v->guest_ia32_debugctl;
    }
    cpu->sysenter_cs = v->guest_sysenter_cs;
    cpu->sysenter_esp = v->guest_sysenter_esp;
    cpu->sysenter_eip = v->guest_sysenter_eip;
    if (vmx_ctl_entry_load_perf_global_ctrl(v))
        pmu_set_global_ctrl(cpu, v->guest_ia32_perf_global_ctrl);
    if (vmx_ctl_entry_load_pat(v))
        cpu->pat = v->guest_ia32_pat;
    if (vmx_ctl_entry_load_efer(v)) {
        cpu->efer = v->guest_ia32_efer;
    } else {
        cpu->efer = (cpu->efer & ~EFER_LMA) | (ia32e ? EFER_LMA : 0);
        if (v->guest_cr0 & CR0_PG)
            cpu->efer = (cpu->efer & ~EFER_LME) | (ia32e ? EFER_LME : 0);
    }

    /* 26.3.2.2 segment and descriptor-table registers. */
    load_segment(&cpu->seg[S_ES], v->guest_es_selector, v->guest_es_base, v->guest_es_limit,
                 v->guest_es_ar_bytes);
    load_segment(&cpu->seg[S_CS], v->guest_cs_selector, v->guest_cs_base, v->guest_cs_limit,
                 v->guest_cs_ar_bytes);
    load_segment(&cpu->seg[S_SS], v->guest_ss_selector, v->guest_ss_base, v->guest_ss_limit,
                 v->guest_ss_ar_bytes);
    load_segment(&cpu->seg[S_DS], v->guest_ds_selector, v->guest_ds_base, v->guest_ds_limit,
                 v->guest_ds_ar_bytes);
    load_segment(&cpu->seg[S_FS], v->guest_fs_selector, v->guest_fs_base, v->guest_fs_limit,
                 v->guest_fs_ar_bytes);
    load_segment(&cpu->seg[S_GS], v->guest_gs_selector, v->guest_gs_base, v->guest_gs_limit,
                 v->guest_gs_ar_bytes);
    load_segment(&cpu->ldtr, v->guest_ldtr_selector, v->guest_ldtr_base, v->guest_ldtr_limit,
                 v->guest_ldtr_ar_bytes);
    load_segment(&cpu->tr, v->guest_tr_selector, v->guest_tr_base, v->guest_tr_limit,
                 v->guest_tr_ar_bytes);
    cpu->gdtr.base = v->guest_gdtr_base;
    cpu->gdtr.limit = v->guest_gdtr_limit;
    cpu->idtr.base = v->guest_idtr_base;
    cpu->idtr.limit = v->guest_idtr_limit;

    /* 26.3.2.3 RIP, RSP, RFLAGS. */
    cpu->gpr[R_SP] = v->guest_rsp;
    cpu->rip = v->guest_rip;
    cpu->rflags = v->guest_rflags;

    /* 26.3.2.4 PDPTEs of a PAE-paging guest (checked by 26.3.1.6): from the
     * VMCS with "enable EPT", else from the PDPT at guest CR3. */
    if (paging_mode_of(cpu->cr0, cpu->cr4, cpu->efer) == PAGING_PAE) {
        if (vmx_ctl_ept(v)) {
            cpu->pdpte[0] = v->guest_pdptr0;
            cpu->pdpte[1] = v->guest_pdptr1;
            cpu->pdpte[2] = v->guest_pdptr2;
            cpu->pdpte[3] = v->guest_pdptr3;
        } else {
            for (unsigned i = 0; i < 4; i++)
                cpu->pdpte[i] =
                    physmem_read(cpu->bus.mem, (cpu->cr3 & 0xffffffe0u) + 8u * i, 8);
        }
        cpu->pdpte_valid = true;
    }

    /* 26.3.2.5 non-register state. */
    uint32_t intr = v->guest_interruptibility_info;
    cpu->irq_shadow = (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) != 0;
    cpu->irq_shadow_movss = (intr & INTERRUPTIBILITY_MOV_SS) != 0;
    cpu->irq_shadow_rip = v->guest_rip;
    debug_set_held(cpu, 0);
    debug_set_trap(cpu, DBG_DISCARD); /* VMLAUNCH/VMRESUME's own traps are not the guest's */
    if (vmx_ctl_virtual_nmis(v))
        vx->virtual_nmi_blocked = (intr & INTERRUPTIBILITY_NMI) != 0;
    else
        cpu->nmi_blocked = (intr & INTERRUPTIBILITY_NMI) != 0;
    cpu->halted = v->guest_activity_state == ACTIVITY_HLT;
    cpu->wait_for_sipi = v->guest_activity_state == ACTIVITY_WAIT_SIPI;
    vx->pending_dbg_exceptions = v->guest_pending_dbg_exceptions;

    cpu_update_mode(cpu);
    /* The TLB holds the guest's saved context for this VPID/EPTP, or
     * nothing (vmx_emul/vmx_tlb.c). */
    vmx_tlb_guest_loaded(cpu);
    cpu_update_ac_check(cpu); /* the restored TLB may hold user data tags */
    debug_update(cpu); /* guest DR7 and CR4.DE; flushes the guest's TLB if data breakpoints */
}

/* SDM 26.5: deliver the event in the VM-entry interruption-information
 * field through the guest's IDT/IVT, as if it had occurred right after the
 * entry. */
static void inject_event(struct cpu *cpu, struct vmcs *v)
{
    struct vmx_cpu *vx = cpu->vmx;
    uint32_t ii = v->vm_entry_intr_info_field;
    unsigned type = INTR_INFO_TYPE(ii), vector = INTR_INFO_VECTOR(ii);
    if (type == INTR_TYPE_OTHER)
        return; /* pending MTF VM exit: vmx_nonroot_entered arms it (SDM 26.6.2) */
    bool has_code = (ii & INTR_INFO_DELIVER_CODE) != 0;
    uint64_t return_rip = cpu->rip;
    if (type == EV_SWINT || type == EV_PRIVSW || type == EV_SWEXC)
        return_rip += v->vm_entry_instruction_len;
    vx->injecting = true;
    vx->injecting_info = ii;
    vx->injecting_error = v->vm_entry_exception_error_code;
    if (type == EV_NMI && vmx_ctl_virtual_nmis(v))
        vx->virtual_nmi_blocked = true;
    cpu->halted = false;
    cpu_deliver_event(cpu, vector, (enum event_type)type, has_code,
                      v->vm_entry_exception_error_code, return_rip);
    vx->injecting = false;
}

/* Pending-debug-exceptions bits (SDM Vol.3C 24.4.2, table 24-4). */
#define PENDING_DBG_B3_0 0xfull
#define PENDING_DBG_ENABLED_BP (1ull << 12)
#define PENDING_DBG_BS (1ull << 14)

/* SDM 26.6.3 "Delivery of Pending Debug Exceptions after VM Entry". Only
 * BS or enabled-breakpoint make the field a valid pending #DB; B3-B0 alone
 * are just the record of matched conditions. A vectoring entry (event
 * injection, or a pending MTF exit) does not deliver them here: the
 * value stays as loaded and is saved by the next exit (27.3.4). */
static void deliver_pending_debug_exceptions(struct cpu *cpu, struct vmcs *v)
{
    struct vmx_cpu *vx = cpu->vmx;
    uint64_t pde = vx->pending_dbg_exceptions;
    uint32_t act = v->guest_activity_state;
    if (!(pde & (PENDING_DBG_BS | PENDING_DBG_ENABLED_BP)))
        return;
    if (v->vm_entry_intr_info_field & INTR_INFO_VALID)
        return;
    if (act == ACTIVITY_SHUTDOWN || act == ACTIVITY_WAIT_SIPI)
        return;
    /* Blocking by MOV SS holds the trap past the first guest instruction,
     * as after a MOV SS that met it (Vol.3A 6.8.3): the dispatch loop
     * delivers it then, or an exit before saves it again (27.3.4). */
    if (v->guest_interruptibility_info & INTERRUPTIBILITY_MOV_SS) {
        debug_set_held(cpu, (uint32_t)(pde & (PENDING_DBG_B3_0 | PENDING_DBG_ENABLED_BP |
                                              PENDING_DBG_BS)));
        vx->pending_dbg_exceptions = 0;
        return;
    }
    vx->pending_dbg_exceptions = 0;
    uint64_t dr6_bits = pde & (PENDING_DBG_B3_0 | PENDING_DBG_BS);
    if (vmx_l1_wants_exception(v, EXC_DB, 0)) {
        /* The #DB exits before it touches DR6; the qualification carries
         * what DR6 would have received (SDM 27.2.1, table 27-1). */
        struct vmx_exit_info info = {
            .valid = EXITINFO_INTR,
            .intr_info = INTR_INFO_VALID | (uint32_t)EV_HWEXC << 8 | EXC_DB,
        };
        vmx_vmexit(cpu, EXIT_REASON_EXCEPTION_NMI, dr6_bits, &info);
        return;
    }
    cpu->halted = false; /* a trap delivered in HLT state wakes the guest */
    /* DR6 (and DR7.GD) as for any #DB (cpu/debug.c). */
    cpu->dbg_event = DBG_EVENT_VALID | (uint32_t)dr6_bits;
    cpu_deliver_event(cpu, EXC_DB, EV_HWEXC, false, 0, cpu->rip);
    cpu->dbg_event = 0;
}

void vmx_trace(struct cpu *cpu, const char *what, uint32_t reason, uint64_t qualification)
{
    if (!(cpu->log_mask & LOG_VMEXIT))
        return;
    FILE *f = cpu->log_file ? (FILE *)cpu->log_file : stderr;
    const struct vmcs *v = vmx_current_vmcs(cpu);
    uint64_t eptp = v && vmx_ctl_ept(v) ? v->ept_pointer : 0;
    /* The level named after "what": the one entered (entry), the one left
     * (exit, which always returns to root), or root for an entry failure,
     * even one found after the guest state was loaded (MSR loading). */
    bool entry_failure = reason != ~0u && (reason & EXIT_REASON_ENTRY_FAILURE);
    bool vm_exit = reason != ~0u && !entry_failure;
    fprintf(f, "vmx: cpu%d %s %s vmcs=%#llx eptp=%#llx", cpu->index, what,
            cpu->vmx_nonroot && !entry_failure ? "non-root" : "root",
            (unsigned long long)(cpu->vmx ? cpu->vmx->current_vmcs_ptr : 0),
            (unsigned long long)eptp);
    if (reason != ~0u)
        fprintf(f, " reason=%s(%u)%s qual=%#llx", vmx_exit_reason_name(reason & 0xffff),
                reason & 0xffff, (reason & EXIT_REASON_ENTRY_FAILURE) ? " entry-failure" : "",
                (unsigned long long)qualification);
    if (v)
        fprintf(f, " guest-rip=%#llx", (unsigned long long)v->guest_rip);
    fprintf(f, vm_exit ? " then root\n" : "\n");
}

void vmx_vmentry(struct cpu *cpu, bool launch)
{
    struct vmx_cpu *vx = cpu->vmx;
    struct vmcs *v = vmx_current_vmcs(cpu);
    vx->last_check_failed = NULL;
    vx->injecting = false;

    switch (vmx_check_controls_and_host(cpu, v)) {
    case VMENTRY_FAIL_CONTROL:
        vmx_fail_valid(cpu, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
        return;
    case VMENTRY_FAIL_HOST:
        vmx_fail_valid(cpu, VMXERR_ENTRY_INVALID_HOST_STATE_FIELD);
        return;
    default:
        break;
    }
    /* From here on the instruction does not fail: it enters the guest or
     * ends in a VM-entry failure exit to the host RIP. */
    cpu->stop_block = true;
    uint64_t qual = 0;
    if (vmx_check_guest_state(cpu, v, &qual) != VMENTRY_OK) {
        vmx_entry_failure(cpu, EXIT_REASON_INVALID_STATE, qual);
        return;
    }
    load_guest_state(cpu, v);
    cpu->vmx_nonroot = true;
    vmx_nonroot_entered(cpu);

    /* SDM 26.4: the VM-entry MSR-load area; qualification is the 1-based
     * index of the failing entry. */
    for (uint32_t i = 0; i < v->vm_entry_msr_load_count; i++) {
        if (!vmx_msr_area_load_one(cpu, v->vm_entry_msr_load_addr + 16ull * i)) {
            vx->last_check_failed = "VM-entry MSR-load area entry cannot be loaded";
            vx->last_msr_fail_index = i + 1;
            vmx_entry_failure(cpu, EXIT_REASON_MSR_LOAD_FAIL, i + 1);
            return;
        }
    }
    if (launch)
        vx->cache[vx->current_slot].launch_state = VMCS_LAUNCHED;
    vmx_trace(cpu, launch ? "VM entry (VMLAUNCH) ->" : "VM entry (VMRESUME) ->", ~0u, 0);

    if (v->vm_entry_intr_info_field & INTR_INFO_VALID)
        inject_event(cpu, v);
    else
        deliver_pending_debug_exceptions(cpu, v);
    cpu->next_rip = cpu->rip;
    cpu->stop_block = true;
    /* Still in non-root: the injected event did not exit straight away. */
    if (cpu->vmx_transition_hook && cpu->vmx_nonroot)
        cpu->vmx_transition_hook(cpu, ~0u);
}

/* Every VM-entry check, one named line each (DESIGN.md, after KVM's CC()):
 * SDM Vol.3C 26.2 "Checks on VMX Controls and Host-State Area" (failure:
 * VMfailValid 7 or 8) and 26.3.1 "Checks on the Guest State Area" (failure:
 * VM-entry failure, exit reason 33). A failing check records its own text
 * in vmx->last_check_failed and the -d vmexit trace. Section numbers follow
 * the 2016-2022 editions of the SDM. */
#include <stdio.h>

#include "cpu/ctrlreg.h"
#include "cpu/msr.h"
#include "mmu/physmem.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_internal.h"

static enum vmentry_outcome check_failed(struct cpu *cpu, enum vmentry_outcome outcome,
                                         const char *text)
{
    cpu->vmx->last_check_failed = text;
    if (cpu->log_mask & LOG_VMEXIT) {
        FILE *f = cpu->log_file ? (FILE *)cpu->log_file : stderr;
        fprintf(f, "vmx: cpu%d VM-entry check failed: %s\n", cpu->index, text);
    }
    return outcome;
}

#define CTL_CHECK(bad, text) \
    do { if (bad) return check_failed(cpu, VMENTRY_FAIL_CONTROL, text); } while (0)
#define HOST_CHECK(bad, text) \
    do { if (bad) return check_failed(cpu, VMENTRY_FAIL_HOST, text); } while (0)
#define GUEST_CHECK(bad, text) \
    do { if (bad) { *qual = 0; return check_failed(cpu, VMENTRY_FAIL_GUEST, text); } } while (0)
#define GUEST_CHECK_Q(bad, q, text) \
    do { if (bad) { *qual = (q); return check_failed(cpu, VMENTRY_FAIL_GUEST, text); } } while (0)

static bool canonical(uint64_t a)
{
    /* bits 63:47 all equal (48-bit linear addresses), without signed shifts */
    uint64_t top = a >> 47;
    return top == 0 || top == 0x1ffff;
}

static bool page_ok(const struct cpu *cpu, uint64_t pa)
{
    return vmx_page_addr_ok(cpu, pa);
}

/* SDM Vol.3A 11.12.2: each PAT entry is 0, 1, 4, 5, 6 or 7. */
static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        unsigned t = (pat >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

static uint64_t perf_global_ctrl_reserved(void)
{
    return ~(((1ull << PMU_GP_COUNTERS) - 1) | (((1ull << PMU_FIXED_COUNTERS) - 1) << 32));
}

/* DEBUGCTL bits that WRMSR accepts (cpu/msr.c): LBR, BTF, FREEZE_LBRS_ON_PMI,
 * FREEZE_PERFMON_ON_PMI, FREEZE_WHILE_SMM. */
#define DEBUGCTL_VALID ((1ull << 0) | (1ull << 1) | (1ull << 11) | (1ull << 12) | (1ull << 14))
#define DEBUGCTL_BTF (1ull << 1)

/* A VMX-managed area of count 16-byte entries (MSR lists, SDM 26.2.1.2). */
static bool msr_area_ok(const struct cpu *cpu, uint64_t addr, uint32_t count)
{
    return count == 0 || (!(addr & 0xf) && vmx_paddr_ok(cpu, addr) &&
                          vmx_paddr_ok(cpu, addr + (uint64_t)count * 16 - 1));
}

bool vmx_eptp_valid(const struct cpu *cpu, const struct vmx_caps *caps, uint64_t eptp)
{
    uint64_t cap = caps->ept_vpid_cap;
    unsigned memtype = eptp & 7, walk = (eptp >> 3) & 7;
    if (!((memtype == 0 && ((cap >> 8) & 1)) || (memtype == 6 && ((cap >> 14) & 1))))
        return false;
    if (!((walk == 3 && ((cap >> 6) & 1)) || (walk == 4 && ((cap >> 7) & 1))))
        return false;
    if (((eptp >> 6) & 1) && !((cap >> 21) & 1))
        return false;
    return !(eptp & 0xf80) && vmx_paddr_ok(cpu, eptp);
}

static bool cr_fixed_ok(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
    return (value & fixed0) == fixed0 && !(value & ~fixed1);
}

enum vmentry_outcome vmx_check_controls_and_host(struct cpu *cpu, const struct vmcs *v)
{
    const struct vmx_caps *c = &cpu->vmx->caps;
    bool true_ctls = (c->basic >> 55) & 1;
    uint32_t allowed1_cpu1 = (uint32_t)(c->procbased >> 32);
    uint32_t cpu2 = vmx_ctl_secondary_controls(v) ? v->secondary_vm_exec_control : 0;
    bool tpr_shadow = vmx_ctl_tpr_shadow(v), vid = vmx_ctl_virtual_intr_delivery(v);
    bool ept = vmx_ctl_ept(v);

    /* SDM 26.2.1.1 VM-execution control fields. */
    CTL_CHECK(!vmx_ctls_valid(v->pin_based_vm_exec_control,
                              true_ctls ? c->true_pinbased : c->pinbased),
              "pin-based controls: a reserved or unsupported bit has the wrong value");
    CTL_CHECK(!vmx_ctls_valid(v->cpu_based_vm_exec_control,
                              true_ctls ? c->true_procbased : c->procbased),
              "primary processor-based controls: a reserved or unsupported bit has the wrong value");
    CTL_CHECK(vmx_ctl_secondary_controls(v) && !vmx_ctls_valid(cpu2, c->procbased2),
              "secondary processor-based controls: an unsupported bit is set");
    CTL_CHECK(v->cr3_target_count > ((c->misc >> 16) & 0x1ff),
              "CR3-target count greater than the number of CR3-target values supported");
    CTL_CHECK(vmx_ctl_io_bitmaps(v) && !(page_ok(cpu, v->io_bitmap_a) && page_ok(cpu, v->io_bitmap_b)),
              "I/O-bitmap address not 4-KByte aligned or beyond the physical-address width");
    CTL_CHECK(vmx_ctl_msr_bitmaps(v) && !page_ok(cpu, v->msr_bitmap),
              "MSR-bitmap address not 4-KByte aligned or beyond the physical-address width");
    CTL_CHECK(tpr_shadow && !page_ok(cpu, v->virtual_apic_page_addr),
              "virtual-APIC address not 4-KByte aligned or beyond the physical-address width");
    CTL_CHECK(tpr_shadow && !vid && (v->tpr_threshold & ~0xfu),
              "TPR threshold bits 31:4 set without virtual-interrupt delivery");
    CTL_CHECK(tpr_shadow && !vid && !vmx_ctl_virt_apic_accesses(v) &&
              (v->tpr_threshold & 0xf) >
              ((physmem_read(cpu->bus.mem, v->virtual_apic_page_addr + 0x80, 1) >> 4) & 0xf),
              "TPR threshold greater than bits 7:4 of the virtual TPR");
    CTL_CHECK(!tpr_shadow && (cpu2 & (CPU2_VIRT_X2APIC_MODE | CPU2_APIC_REGISTER_VIRT |
                                      CPU2_VIRTUAL_INTR_DELIVERY)),
              "x2APIC virtualization, APIC-register virtualization or virtual-interrupt delivery without use TPR shadow");
    CTL_CHECK(!vmx_ctl_nmi_exiting(v) && vmx_ctl_virtual_nmis(v),
              "virtual NMIs without NMI exiting");
    CTL_CHECK(!vmx_ctl_virtual_nmis(v) && vmx_ctl_nmi_window_exiting(v),
              "NMI-window exiting without virtual NMIs");
    CTL_CHECK(vmx_ctl_virt_apic_accesses(v) && !page_ok(cpu, v->apic_access_addr),
              "APIC-access address not 4-KByte aligned or beyond the physical-address width");
    CTL_CHECK(vmx_ctl_virt_x2apic_mode(v) && vmx_ctl_virt_apic_accesses(v),
              "virtualize x2APIC mode together with virtualize APIC accesses");
    CTL_CHECK(vid && !vmx_ctl_extint_exiting(v),
              "virtual-interrupt delivery without external-interrupt exiting");
    CTL_CHECK(vmx_ctl_posted_interrupts(v) && !vid,
              "process posted interrupts without virtual-interrupt delivery");
    CTL_CHECK(vmx_ctl_posted_interrupts(v) && !vmx_ctl_ack_intr_on_exit(v),
              "process posted interrupts without acknowledge interrupt on exit");
    CTL_CHECK(vmx_ctl_posted_interrupts(v) && (v->posted_intr_nv & 0xff00),
              "posted-interrupt notification vector bits 15:8 set");
    CTL_CHECK(vmx_ctl_posted_interrupts(v) &&
              ((v->posted_intr_desc_addr & 0x3f) || !vmx_paddr_ok(cpu, v->posted_intr_desc_addr)),
              "posted-interrupt descriptor address not 64-byte aligned or beyond the physical-address width");
    CTL_CHECK(vmx_ctl_vpid(v) && v->vpid == 0, "enable VPID with VPID 0");
    CTL_CHECK(ept && !vmx_eptp_valid(cpu, c, v->ept_pointer), "EPT pointer invalid");
    CTL_CHECK(vmx_ctl_pml(v) && !ept, "enable PML without enable EPT");
    CTL_CHECK(vmx_ctl_pml(v) && !page_ok(cpu, v->pml_address),
              "PML address not 4-KByte aligned or beyond the physical-address width");
    CTL_CHECK(vmx_ctl_unrestricted_guest(v) && !ept, "unrestricted guest without enable EPT");
    CTL_CHECK(vmx_ctl_vmfunc(v) && (v->vm_function_control & ~c->vmfunc),
              "VM-function controls: an unsupported function is enabled");
    CTL_CHECK(vmx_ctl_vmfunc(v) && (v->vm_function_control & VMFUNC_EPTP_SWITCHING) && !ept,
              "EPTP switching without enable EPT");
    CTL_CHECK(vmx_ctl_vmfunc(v) && (v->vm_function_control & VMFUNC_EPTP_SWITCHING) &&
              !page_ok(cpu, v->eptp_list_address),
              "EPTP-list address not 4-KByte aligned or beyond the physical-address width");
    CTL_CHECK(vmx_ctl_vmcs_shadowing(v) &&
              !(page_ok(cpu, v->vmread_bitmap) && page_ok(cpu, v->vmwrite_bitmap)),
              "VMREAD/VMWRITE-bitmap address not 4-KByte aligned or beyond the physical-address width");

    /* SDM 26.2.1.2 VM-exit control fields. */
    CTL_CHECK(!vmx_ctls_valid(v->vm_exit_controls, true_ctls ? c->true_exit : c->exit),
              "VM-exit controls: a reserved or unsupported bit has the wrong value");
    CTL_CHECK(!vmx_ctl_preemption_timer(v) && vmx_ctl_save_preemption_timer(v),
              "save VMX-preemption timer value without activate VMX-preemption timer");
    CTL_CHECK(!msr_area_ok(cpu, v->vm_exit_msr_store_addr, v->vm_exit_msr_store_count),
              "VM-exit MSR-store address not 16-byte aligned or area beyond the physical-address width");
    CTL_CHECK(!msr_area_ok(cpu, v->vm_exit_msr_load_addr, v->vm_exit_msr_load_count),
              "VM-exit MSR-load address not 16-byte aligned or area beyond the physical-address width");

    /* SDM 26.2.1.3 VM-entry control fields. */
    CTL_CHECK(!vmx_ctls_valid(v->vm_entry_controls, true_ctls ? c->true_entry : c->entry),
              "VM-entry controls: a reserved or unsupported bit has the wrong value");
    uint32_t ii = v->vm_entry_intr_info_field;
    if (ii & INTR_INFO_VALID) {
        unsigned type = INTR_INFO_TYPE(ii), vector = INTR_INFO_VECTOR(ii);
        bool pe = !vmx_ctl_unrestricted_guest(v) || (v->guest_cr0 & CR0_PE);
        bool needs_code = pe && type == EV_HWEXC &&
                          (vector == EXC_DF || vector == EXC_TS || vector == EXC_NP ||
                           vector == EXC_SS || vector == EXC_GP || vector == EXC_PF ||
                           vector == EXC_AC);
        bool has_code = (ii & INTR_INFO_DELIVER_CODE) != 0;
        CTL_CHECK(type == 1, "VM-entry interruption type 1 (reserved)");
        CTL_CHECK(type == INTR_TYPE_OTHER && !(allowed1_cpu1 & CPU_MONITOR_TRAP_FLAG),
                  "VM-entry interruption type 7 without monitor trap flag support");
        CTL_CHECK(type == EV_NMI && vector != 2, "injected NMI with a vector other than 2");
        CTL_CHECK(type == EV_HWEXC && vector > 31, "injected hardware exception with vector above 31");
        CTL_CHECK(type == INTR_TYPE_OTHER && vector != 0, "injected other event with a vector other than 0");
        CTL_CHECK(has_code && !needs_code,
                  "deliver-error-code set for an event that has no error code");
        CTL_CHECK(!has_code && needs_code,
                  "deliver-error-code clear for an exception that has an error code");
        CTL_CHECK(ii & 0x7ffff000u, "VM-entry interruption-information bits 30:12 set");
        CTL_CHECK(has_code && (v->vm_entry_exception_error_code & 0xffff0000u),
                  "VM-entry exception error code bits 31:16 set");
        CTL_CHECK((type == EV_SWINT || type == EV_PRIVSW || type == EV_SWEXC) &&
                  (v->vm_entry_instruction_len > 15 ||
                   (v->vm_entry_instruction_len == 0 && !((c->misc >> 30) & 1))),
                  "VM-entry instruction length not in 1-15 for a software event");
    }
    CTL_CHECK(!msr_area_ok(cpu, v->vm_entry_msr_load_addr, v->vm_entry_msr_load_count),
              "VM-entry MSR-load address not 16-byte aligned or area beyond the physical-address width");

    /* SDM 26.2.2 host control registers and MSRs. */
    bool host64 = vmx_ctl_host_addr_space_size(v);
    HOST_CHECK(!cr_fixed_ok(v->host_cr0, c->cr0_fixed0, c->cr0_fixed1),
               "host CR0 does not respect IA32_VMX_CR0_FIXED0/FIXED1");
    HOST_CHECK(!cr_fixed_ok(v->host_cr4, c->cr4_fixed0, c->cr4_fixed1),
               "host CR4 does not respect IA32_VMX_CR4_FIXED0/FIXED1");
    HOST_CHECK(!vmx_paddr_ok(cpu, v->host_cr3), "host CR3 sets bits beyond the physical-address width");
    HOST_CHECK(!canonical(v->host_ia32_sysenter_esp), "host IA32_SYSENTER_ESP not canonical");
    HOST_CHECK(!canonical(v->host_ia32_sysenter_eip), "host IA32_SYSENTER_EIP not canonical");
    HOST_CHECK(vmx_ctl_exit_load_perf_global_ctrl(v) &&
               (v->host_ia32_perf_global_ctrl & perf_global_ctrl_reserved()),
               "host IA32_PERF_GLOBAL_CTRL sets reserved bits");
    HOST_CHECK(vmx_ctl_exit_load_pat(v) && !pat_valid(v->host_ia32_pat),
               "host IA32_PAT has an invalid memory type");
    HOST_CHECK(vmx_ctl_exit_load_efer(v) && (v->host_ia32_efer & ~efer_valid_mask(cpu)),
               "host IA32_EFER sets reserved bits");
    HOST_CHECK(vmx_ctl_exit_load_efer(v) && !!(v->host_ia32_efer & EFER_LMA) != host64,
               "host IA32_EFER.LMA differs from host address-space size");
    HOST_CHECK(vmx_ctl_exit_load_efer(v) && !!(v->host_ia32_efer & EFER_LME) != host64,
               "host IA32_EFER.LME differs from host address-space size");

    /* SDM 26.2.3 host segment and descriptor-table registers. */
    HOST_CHECK((v->host_es_selector | v->host_cs_selector | v->host_ss_selector |
                v->host_ds_selector | v->host_fs_selector | v->host_gs_selector |
                v->host_tr_selector) & 7,
               "host selector with RPL or TI set");
    HOST_CHECK(v->host_cs_selector == 0, "host CS selector 0");
    HOST_CHECK(v->host_tr_selector == 0, "host TR selector 0");
    HOST_CHECK(v->host_ss_selector == 0 && !host64,
               "host SS selector 0 with host address-space size 0");
    HOST_CHECK(!canonical(v->host_fs_base), "host FS base not canonical");
    HOST_CHECK(!canonical(v->host_gs_base), "host GS base not canonical");
    HOST_CHECK(!canonical(v->host_gdtr_base), "host GDTR base not canonical");
    HOST_CHECK(!canonical(v->host_idtr_base), "host IDTR base not canonical");
    HOST_CHECK(!canonical(v->host_tr_base), "host TR base not canonical");

    /* SDM 26.2.4 address-space size. */
    bool in_ia32e = (cpu->efer & EFER_LMA) != 0;
    HOST_CHECK(!in_ia32e && vmx_ctl_ia32e_mode_guest(v),
               "IA-32e mode guest while the processor is outside IA-32e mode");
    HOST_CHECK(!in_ia32e && host64,
               "host address-space size 1 while the processor is outside IA-32e mode");
    HOST_CHECK(in_ia32e && !host64,
               "host address-space size 0 while the processor is in IA-32e mode");
    HOST_CHECK(!host64 && vmx_ctl_ia32e_mode_guest(v),
               "IA-32e mode guest with host address-space size 0");
    HOST_CHECK(!host64 && (v->host_cr4 & CR4_PCIDE),
               "host CR4.PCIDE set with host address-space size 0");
    HOST_CHECK(!host64 && (v->host_rip >> 32), "host RIP bits 63:32 set with host address-space size 0");
    HOST_CHECK(host64 && !(v->host_cr4 & CR4_PAE), "host CR4.PAE clear with host address-space size 1");
    HOST_CHECK(host64 && !canonical(v->host_rip), "host RIP not canonical");
    return VMENTRY_OK;
}

/* Segment access-rights checks shared by ES, DS, FS, GS (SDM 26.3.1.2). */
#define AR_RESERVED 0xfffe0f00u /* bits 31:17 and 11:8 */
static bool granularity_ok(uint32_t limit, uint32_t ar)
{
    if ((limit & 0xfff) != 0xfff && (ar & SEG_G))
        return false;
    if ((limit & 0xfff00000u) && !(ar & SEG_G))
        return false;
    return true;
}

static enum vmentry_outcome check_data_segment(struct cpu *cpu, uint16_t sel, uint32_t limit,
                                               uint32_t ar, bool unrestricted, uint64_t *qual,
                                               const char *t_accessed, const char *t_readable,
                                               const char *t_s, const char *t_dpl,
                                               const char *t_p, const char *t_res,
                                               const char *t_g)
{
    if (ar & SEG_UNUSABLE)
        return VMENTRY_OK;
    GUEST_CHECK(!(ar & 1), t_accessed);
    GUEST_CHECK((ar & 8) && !(ar & 2), t_readable);
    GUEST_CHECK(!(ar & SEG_S), t_s);
    GUEST_CHECK(!unrestricted && SEG_TYPE(ar) <= 11 && SEG_DPL(ar) < (sel & 3u), t_dpl);
    GUEST_CHECK(!(ar & SEG_P), t_p);
    GUEST_CHECK(ar & AR_RESERVED, t_res);
    GUEST_CHECK(!granularity_ok(limit, ar), t_g);
    return VMENTRY_OK;
}

#define DATA_SEG(S, s) \
    check_data_segment(cpu, v->guest_##s##_selector, v->guest_##s##_limit, \
                       v->guest_##s##_ar_bytes, unrestricted, qual, \
                       "guest " S " usable but not accessed", \
                       "guest " S " is an execute-only code segment", \
                       "guest " S " usable with S clear", \
                       "guest " S " DPL below its RPL", \
                       "guest " S " usable but not present", \
                       "guest " S " access rights set reserved bits", \
                       "guest " S " limit and G bit disagree")

enum vmentry_outcome vmx_check_guest_state(struct cpu *cpu, const struct vmcs *v,
                                           uint64_t *qual)
{
    const struct vmx_caps *c = &cpu->vmx->caps;
    bool unrestricted = vmx_ctl_unrestricted_guest(v);
    bool ia32e = vmx_ctl_ia32e_mode_guest(v);
    uint64_t cr0_fixed0 = c->cr0_fixed0 & ~(unrestricted ? (CR0_PE | CR0_PG) : 0);
    bool v86 = (v->guest_rflags & F_VM) != 0;
    uint32_t cs_ar = v->guest_cs_ar_bytes, ss_ar = v->guest_ss_ar_bytes;
    uint32_t tr_ar = v->guest_tr_ar_bytes, ldtr_ar = v->guest_ldtr_ar_bytes;
    unsigned cs_type = SEG_TYPE(cs_ar);

    /* SDM 26.3.1.1 control registers, debug registers and MSRs. */
    GUEST_CHECK(!cr_fixed_ok(v->guest_cr0, cr0_fixed0, c->cr0_fixed1),
                "guest CR0 does not respect IA32_VMX_CR0_FIXED0/FIXED1");
    GUEST_CHECK((v->guest_cr0 & CR0_PG) && !(v->guest_cr0 & CR0_PE),
                "guest CR0.PG set without CR0.PE");
    GUEST_CHECK(!cr_fixed_ok(v->guest_cr4, c->cr4_fixed0, c->cr4_fixed1),
                "guest CR4 does not respect IA32_VMX_CR4_FIXED0/FIXED1");
    GUEST_CHECK(vmx_ctl_load_debug_controls(v) && (v->guest_ia32_debugctl & ~DEBUGCTL_VALID),
                "guest IA32_DEBUGCTL sets reserved bits");
    GUEST_CHECK(ia32e && !(v->guest_cr0 & CR0_PG), "IA-32e mode guest with CR0.PG clear");
    GUEST_CHECK(ia32e && !(v->guest_cr4 & CR4_PAE), "IA-32e mode guest with CR4.PAE clear");
    GUEST_CHECK(!ia32e && (v->guest_cr4 & CR4_PCIDE), "guest CR4.PCIDE set outside IA-32e mode");
    GUEST_CHECK(!vmx_paddr_ok(cpu, v->guest_cr3), "guest CR3 sets bits beyond the physical-address width");
    GUEST_CHECK(vmx_ctl_load_debug_controls(v) && (v->guest_dr7 >> 32), "guest DR7 bits 63:32 set");
    GUEST_CHECK(!canonical(v->guest_sysenter_esp), "guest IA32_SYSENTER_ESP not canonical");
    GUEST_CHECK(!canonical(v->guest_sysenter_eip), "guest IA32_SYSENTER_EIP not canonical");
    GUEST_CHECK(vmx_ctl_entry_load_perf_global_ctrl(v) &&
                (v->guest_ia32_perf_global_ctrl & perf_global_ctrl_reserved()),
                "guest IA32_PERF_GLOBAL_CTRL sets reserved bits");
    GUEST_CHECK(vmx_ctl_entry_load_pat(v) && !pat_valid(v->guest_ia32_pat),
                "guest IA32_PAT has an invalid memory type");
    GUEST_CHECK(vmx_ctl_entry_load_efer(v) && (v->guest_ia32_efer & ~efer_valid_mask(cpu)),
                "guest IA32_EFER sets reserved bits");
    GUEST_CHECK(vmx_ctl_entry_load_efer(v) && !!(v->guest_ia32_efer & EFER_LMA) != ia32e,
                "guest IA32_EFER.LMA differs from IA-32e mode guest");
    GUEST_CHECK(vmx_ctl_entry_load_efer(v) && (v->guest_cr0 & CR0_PG) &&
                !!(v->guest_ia32_efer & EFER_LME) != ia32e,
                "guest IA32_EFER.LME differs from IA-32e mode guest while CR0.PG is set");

    /* SDM 26.3.1.2 segment registers: selectors. */
    GUEST_CHECK(v->guest_tr_selector & 4, "guest TR selector has TI set");
    GUEST_CHECK(!(ldtr_ar & SEG_UNUSABLE) && (v->guest_ldtr_selector & 4),
                "guest LDTR usable with selector TI set");
    GUEST_CHECK(!v86 && !unrestricted &&
                (v->guest_ss_selector & 3) != (v->guest_cs_selector & 3),
                "guest SS.RPL differs from CS.RPL");
    /* Bases. */
    if (v86) {
        GUEST_CHECK(v->guest_cs_base != (uint64_t)v->guest_cs_selector << 4 ||
                    v->guest_ss_base != (uint64_t)v->guest_ss_selector << 4 ||
                    v->guest_ds_base != (uint64_t)v->guest_ds_selector << 4 ||
                    v->guest_es_base != (uint64_t)v->guest_es_selector << 4 ||
                    v->guest_fs_base != (uint64_t)v->guest_fs_selector << 4 ||
                    v->guest_gs_base != (uint64_t)v->guest_gs_selector << 4,
                    "virtual-8086 guest segment base is not selector times 16");
        GUEST_CHECK((v->guest_cs_limit | v->guest_ss_limit | v->guest_ds_limit |
                     v->guest_es_limit | v->guest_fs_limit | v->guest_gs_limit) != 0xffff,
                    "virtual-8086 guest segment limit is not 0xFFFF");
        GUEST_CHECK(cs_ar != 0xf3 || ss_ar != 0xf3 || v->guest_ds_ar_bytes != 0xf3 ||
                    v->guest_es_ar_bytes != 0xf3 || v->guest_fs_ar_bytes != 0xf3 ||
                    v->guest_gs_ar_bytes != 0xf3,
                    "virtual-8086 guest segment access rights are not 0xF3");
    }
    GUEST_CHECK(!canonical(v->guest_tr_base), "guest TR base not canonical");
    GUEST_CHECK(!canonical(v->guest_fs_base), "guest FS base not canonical");
    GUEST_CHECK(!canonical(v->guest_gs_base), "guest GS base not canonical");
    GUEST_CHECK(!(ldtr_ar & SEG_UNUSABLE) && !canonical(v->guest_ldtr_base),
                "guest LDTR base not canonical");
    GUEST_CHECK(v->guest_cs_base >> 32, "guest CS base bits 63:32 set");
    GUEST_CHECK(!(ss_ar & SEG_UNUSABLE) && (v->guest_ss_base >> 32), "guest SS base bits 63:32 set");
    GUEST_CHECK(!(v->guest_ds_ar_bytes & SEG_UNUSABLE) && (v->guest_ds_base >> 32),
                "guest DS base bits 63:32 set");
    GUEST_CHECK(!(v->guest_es_ar_bytes & SEG_UNUSABLE) && (v->guest_es_base >> 32),
                "guest ES base bits 63:32 set");

    /* Access rights outside virtual-8086 mode. */
    if (!v86) {
        GUEST_CHECK(!(cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 ||
                      (unrestricted && cs_type == 3)),
                    "guest CS type is not an accessed code segment (or, unrestricted, accessed data)");
        GUEST_CHECK(!(ss_ar & SEG_UNUSABLE) && SEG_TYPE(ss_ar) != 3 && SEG_TYPE(ss_ar) != 7,
                    "guest SS usable but not a read/write accessed data segment");
        enum vmentry_outcome o;
        if ((o = DATA_SEG("DS", ds)) != VMENTRY_OK)
            return o;
        if ((o = DATA_SEG("ES", es)) != VMENTRY_OK)
            return o;
        if ((o = DATA_SEG("FS", fs)) != VMENTRY_OK)
            return o;
        if ((o = DATA_SEG("GS", gs)) != VMENTRY_OK)
            return o;
        GUEST_CHECK(!(cs_ar & SEG_S), "guest CS has S clear");
        GUEST_CHECK(!(ss_ar & SEG_UNUSABLE) && !(ss_ar & SEG_S), "guest SS usable with S clear");
        GUEST_CHECK(cs_type == 3 && SEG_DPL(cs_ar) != 0, "guest CS is a data segment with DPL not 0");
        GUEST_CHECK((cs_type == 9 || cs_type == 11) && SEG_DPL(cs_ar) != SEG_DPL(ss_ar),
                    "guest non-conforming CS DPL differs from SS DPL");
        GUEST_CHECK((cs_type == 13 || cs_type == 15) && SEG_DPL(cs_ar) > SEG_DPL(ss_ar),
                    "guest conforming CS DPL greater than SS DPL");
        GUEST_CHECK(!unrestricted && SEG_DPL(ss_ar) != (v->guest_ss_selector & 3u),
                    "guest SS DPL differs from its RPL");
        GUEST_CHECK((cs_type == 3 || !(v->guest_cr0 & CR0_PE)) && SEG_DPL(ss_ar) != 0,
                    "guest SS DPL not 0 in real mode or with a data-segment CS");
        GUEST_CHECK(!(cs_ar & SEG_P), "guest CS not present");
        GUEST_CHECK(!(ss_ar & SEG_UNUSABLE) && !(ss_ar & SEG_P), "guest SS usable but not present");
        GUEST_CHECK(cs_ar & AR_RESERVED, "guest CS access rights set reserved bits");
        GUEST_CHECK(!(ss_ar & SEG_UNUSABLE) && (ss_ar & AR_RESERVED),
                    "guest SS access rights set reserved bits");
        GUEST_CHECK(ia32e && (cs_ar & SEG_L) && (cs_ar & SEG_DB),
                    "guest CS has both L and D/B set in IA-32e mode");
        GUEST_CHECK(!granularity_ok(v->guest_cs_limit, cs_ar), "guest CS limit and G bit disagree");
        GUEST_CHECK(!(ss_ar & SEG_UNUSABLE) && !granularity_ok(v->guest_ss_limit, ss_ar),
                    "guest SS limit and G bit disagree");
        GUEST_CHECK(cs_ar & SEG_UNUSABLE, "guest CS unusable");
    }
    /* TR and LDTR. */
    GUEST_CHECK(!ia32e && SEG_TYPE(tr_ar) != 3 && SEG_TYPE(tr_ar) != 11,
                "guest TR type is not a busy 16-bit or 32-bit TSS");
    GUEST_CHECK(ia32e && SEG_TYPE(tr_ar) != 11, "guest TR type is not a busy 64-bit TSS");
    GUEST_CHECK(tr_ar & SEG_S, "guest TR has S set");
    GUEST_CHECK(!(tr_ar & SEG_P), "guest TR not present");
    GUEST_CHECK(tr_ar & AR_RESERVED, "guest TR access rights set reserved bits");
    GUEST_CHECK(!granularity_ok(v->guest_tr_limit, tr_ar), "guest TR limit and G bit disagree");
    GUEST_CHECK(tr_ar & SEG_UNUSABLE, "guest TR unusable");
    if (!(ldtr_ar & SEG_UNUSABLE)) {
        GUEST_CHECK(SEG_TYPE(ldtr_ar) != 2, "guest LDTR type is not LDT");
        GUEST_CHECK(ldtr_ar & SEG_S, "guest LDTR has S set");
        GUEST_CHECK(!(ldtr_ar & SEG_P), "guest LDTR not present");
        GUEST_CHECK(ldtr_ar & AR_RESERVED, "guest LDTR access rights set reserved bits");
        GUEST_CHECK(!granularity_ok(v->guest_ldtr_limit, ldtr_ar),
                    "guest LDTR limit and G bit disagree");
    }

    /* SDM 26.3.1.3 descriptor-table registers. */
    GUEST_CHECK(!canonical(v->guest_gdtr_base), "guest GDTR base not canonical");
    GUEST_CHECK(!canonical(v->guest_idtr_base), "guest IDTR base not canonical");
    GUEST_CHECK(v->guest_gdtr_limit >> 16, "guest GDTR limit bits 31:16 set");
    GUEST_CHECK(v->guest_idtr_limit >> 16, "guest IDTR limit bits 31:16 set");

    /* SDM 26.3.1.4 RIP and RFLAGS. */
    bool long_cs = ia32e && (cs_ar & SEG_L);
    GUEST_CHECK(!long_cs && (v->guest_rip >> 32),
                "guest RIP bits 63:32 set outside 64-bit mode");
    GUEST_CHECK(long_cs && !canonical(v->guest_rip), "guest RIP not canonical");
    GUEST_CHECK(v->guest_rflags & ~0x3f7fd7ull, "guest RFLAGS sets reserved bits");
    GUEST_CHECK(!(v->guest_rflags & 2), "guest RFLAGS bit 1 clear");
    GUEST_CHECK((ia32e || !(v->guest_cr0 & CR0_PE)) && v86,
                "guest RFLAGS.VM set in IA-32e mode or real mode");
    uint32_t ii = v->vm_entry_intr_info_field;
    bool inject = (ii & INTR_INFO_VALID) != 0;
    unsigned itype = INTR_INFO_TYPE(ii), ivec = INTR_INFO_VECTOR(ii);
    GUEST_CHECK(inject && itype == EV_EXTINT && !(v->guest_rflags & F_IF),
                "external interrupt injected with guest RFLAGS.IF clear");

    /* SDM 26.3.1.5 non-register state. */
    uint32_t act = v->guest_activity_state, intr = v->guest_interruptibility_info;
    GUEST_CHECK(act > ACTIVITY_WAIT_SIPI, "guest activity state above 3");
    GUEST_CHECK(act != ACTIVITY_ACTIVE && !((c->misc >> (5 + act)) & 1),
                "guest activity state not supported (IA32_VMX_MISC)");
    GUEST_CHECK(act == ACTIVITY_HLT && SEG_DPL(ss_ar) != 0, "guest in HLT state with SS.DPL not 0");
    GUEST_CHECK((intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) && act != ACTIVITY_ACTIVE,
                "guest blocking by STI or MOV SS while not active");
    GUEST_CHECK(inject && act == ACTIVITY_HLT &&
                !(itype == EV_EXTINT || itype == EV_NMI ||
                  (itype == EV_HWEXC && (ivec == EXC_DB || ivec == EXC_MC)) ||
                  (itype == INTR_TYPE_OTHER && ivec == 0)),
                "event injected into a HLT guest is not an interrupt, NMI, #DB, #MC or MTF");
    GUEST_CHECK(inject && act == ACTIVITY_SHUTDOWN &&
                !(itype == EV_NMI || (itype == EV_HWEXC && ivec == EXC_MC)),
                "event injected into a shut-down guest is not an NMI or #MC");
    GUEST_CHECK(inject && act == ACTIVITY_WAIT_SIPI, "event injected into a wait-for-SIPI guest");
    GUEST_CHECK(intr & ~0xfu, "guest interruptibility state sets reserved bits");
    GUEST_CHECK((intr & INTERRUPTIBILITY_STI) && (intr & INTERRUPTIBILITY_MOV_SS),
                "guest blocking by both STI and MOV SS");
    GUEST_CHECK((intr & INTERRUPTIBILITY_STI) && !(v->guest_rflags & F_IF),
                "guest blocking by STI with RFLAGS.IF clear");
    GUEST_CHECK(inject && itype == EV_EXTINT &&
                (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)),
                "external interrupt injected with blocking by STI or MOV SS");
    GUEST_CHECK(inject && itype == EV_NMI && (intr & INTERRUPTIBILITY_MOV_SS),
                "NMI injected with blocking by MOV SS");
    GUEST_CHECK(intr & INTERRUPTIBILITY_SMI, "guest blocking by SMI outside SMM");
    GUEST_CHECK(inject && itype == EV_NMI && vmx_ctl_virtual_nmis(v) &&
                (intr & INTERRUPTIBILITY_NMI),
                "NMI injected with virtual NMIs while virtual-NMI blocking is set");
    uint64_t pde = v->guest_pending_dbg_exceptions;
    /* B3:0 (3:0), enabled breakpoint (12), BS (14); RTM (16) is not offered. */
    GUEST_CHECK(pde & ~0x500full, "guest pending debug exceptions set reserved bits");
    bool tf_pending = (v->guest_rflags & F_TF) && !(v->guest_ia32_debugctl & DEBUGCTL_BTF);
    GUEST_CHECK(((intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) ||
                 act == ACTIVITY_HLT) && tf_pending && !(pde & (1u << 14)),
                "pending debug exceptions BS clear with RFLAGS.TF set while blocked or halted");
    GUEST_CHECK(((intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) ||
                 act == ACTIVITY_HLT) && !tf_pending && (pde & (1u << 14)),
                "pending debug exceptions BS set without single-stepping while blocked or halted");
    uint64_t link = v->vmcs_link_pointer;
    if (link != VMCS_PTR_INVALID) {
        GUEST_CHECK_Q(!page_ok(cpu, link), 4,
                      "VMCS link pointer not 4-KByte aligned or beyond the physical-address width");
        uint32_t rev = (uint32_t)physmem_read(cpu->bus.mem, link, 4);
        GUEST_CHECK_Q((rev & 0x7fffffffu) != (uint32_t)(c->basic & 0x7fffffffu), 4,
                      "VMCS link pointer region has the wrong revision identifier");
        GUEST_CHECK_Q(!!(rev >> 31) != vmx_ctl_vmcs_shadowing(v), 4,
                      "VMCS link pointer shadow-VMCS indicator differs from VMCS shadowing");
        /* SDM 26.3.1.5: "If the processor is not in SMM or the 'entry to
         * SMM' VM-entry control is 1, the field must not contain the
         * current VMCS pointer" (the SMM form, against the executive-VMCS
         * pointer, does not arise: turtles has no SMM and no dual-monitor
         * treatment). */
        GUEST_CHECK_Q(link == cpu->vmx->current_vmcs_ptr, 4,
                      "VMCS link pointer is the current VMCS");
    }

    /* SDM 26.3.1.6 PDPTEs of a PAE-paging guest. With EPT they come from the
     * VMCS; otherwise from guest memory at CR3 (bits 31:5). */
    if ((v->guest_cr0 & CR0_PG) && (v->guest_cr4 & CR4_PAE) && !ia32e) {
        uint64_t pdpte[4];
        if (vmx_ctl_ept(v)) {
            pdpte[0] = v->guest_pdptr0;
            pdpte[1] = v->guest_pdptr1;
            pdpte[2] = v->guest_pdptr2;
            pdpte[3] = v->guest_pdptr3;
        } else {
            for (int i = 0; i < 4; i++)
                pdpte[i] = physmem_read(cpu->bus.mem, (v->guest_cr3 & 0xffffffe0u) + 8u * i, 8);
        }
        for (int i = 0; i < 4; i++)
            GUEST_CHECK_Q((pdpte[i] & 1) && (pdpte[i] & (0x1e6ull | phys_reserved_mask(cpu))), 2,
                          "guest PDPTE sets reserved bits");
    }
    return VMENTRY_OK;
}

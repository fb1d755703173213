/* The VMX capability MSRs (SDM Vol.3C Appendix A) of a vCPU, as per-model
 * data masked by what turtles emulates, and RDMSR of 0x480-0x491.
 *
 * DESIGN.md: the capability MSRs tell the truth. Each control MSR is built
 * as (model's wish) & (emulated), plus the default1 bits that are always 1.
 * A control joins the *_EMULATED masks below only with the code that
 * implements it. */
#include <stdlib.h>

#include "cpu/cpuid.h"
#include "cpu/ctrlreg.h"
#include "cpu/msr.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_nonroot.h"
#include "vmx_emul/vmx_tlb.h"

/* VMCS revision identifier (bits 30:0 of IA32_VMX_BASIC): any value;
 * "Turt" in ASCII. */
#define VMX_REVISION_ID 0x74727554u

/* Per-model wish lists: what a model would offer once everything is
 * emulated. One model data set today (the default Skylake-class model);
 * more models add rows. */
struct vmx_model_caps {
    uint32_t pin, cpu1, cpu2, exit, entry;
    uint64_t ept_vpid;
    uint64_t vmfunc;
};

static const struct vmx_model_caps skylake_caps = {
    .pin = PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER |
           PIN_POSTED_INTERRUPTS,
    .cpu1 = CPU_INTR_WINDOW_EXITING | CPU_USE_TSC_OFFSETTING | CPU_HLT_EXITING |
            CPU_INVLPG_EXITING | CPU_MWAIT_EXITING | CPU_RDPMC_EXITING | CPU_RDTSC_EXITING |
            CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING | CPU_CR8_LOAD_EXITING |
            CPU_CR8_STORE_EXITING | CPU_TPR_SHADOW | CPU_NMI_WINDOW_EXITING |
            CPU_MOV_DR_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_IO_BITMAPS |
            CPU_MONITOR_TRAP_FLAG | CPU_USE_MSR_BITMAPS | CPU_MONITOR_EXITING |
            CPU_PAUSE_EXITING | CPU_SECONDARY_CONTROLS,
    .cpu2 = CPU2_VIRT_APIC_ACCESSES | CPU2_ENABLE_EPT | CPU2_DESC_TABLE_EXITING |
            CPU2_ENABLE_RDTSCP | CPU2_VIRT_X2APIC_MODE | CPU2_ENABLE_VPID |
            CPU2_WBINVD_EXITING | CPU2_UNRESTRICTED_GUEST | CPU2_APIC_REGISTER_VIRT |
            CPU2_VIRTUAL_INTR_DELIVERY | CPU2_PAUSE_LOOP_EXITING | CPU2_RDRAND_EXITING |
            CPU2_ENABLE_INVPCID | CPU2_ENABLE_VMFUNC | CPU2_VMCS_SHADOWING |
            CPU2_RDSEED_EXITING | CPU2_ENABLE_PML,
    .exit = EXIT_SAVE_DEBUG_CONTROLS | EXIT_HOST_ADDR_SPACE_SIZE | EXIT_LOAD_PERF_GLOBAL_CTRL |
            EXIT_ACK_INTR_ON_EXIT | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER |
            EXIT_LOAD_EFER | EXIT_SAVE_PREEMPTION_TIMER,
    .entry = ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_IA32E_MODE_GUEST |
             ENTRY_LOAD_PERF_GLOBAL_CTRL | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER,
    /* SDM A.10: execute-only (0), 4-level walk (6), UC (8), WB (14), 2M (16)
     * and 1G (17) pages, INVEPT (20), A/D flags (21), single/all-context
     * INVEPT (25, 26), INVVPID (32) with all four types (40-43). */
    .ept_vpid = (1ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 14) | (1ull << 16) |
                (1ull << 17) | (1ull << 20) | (1ull << 21) | (1ull << 25) | (1ull << 26) |
                (1ull << 32) | (1ull << 40) | (1ull << 41) | (1ull << 42) | (1ull << 43),
    .vmfunc = VMFUNC_EPTP_SWITCHING,
};

/* What turtles emulates today, bit by bit (vmx_emul/vmx_controls.h names
 * them). Entry/exit controls are emulated entirely by vmentry.c/vmexit.c;
 * "activate secondary controls" is a plain gate; VMCS shadowing is done by
 * vmx_insn.c. Pin-based controls: vmx_nonroot.c (external-interrupt, NMI
 * and virtual-NMI handling, the preemption timer) and vmx_apicv.c (posted
 * interrupts). */
#define PIN_EMULATED (PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS | \
                      PIN_PREEMPTION_TIMER | PIN_POSTED_INTERRUPTS)
/* Exit predicates: vmx_intercept.c/vmx_nonroot.c. MWAIT/MONITOR exiting are exact
 * because those instructions are #UD (not decoded), which has priority
 * over their VM exits. */
#define CPU1_EMULATED (CPU_SECONDARY_CONTROLS | CPU_INTR_WINDOW_EXITING | \
                       CPU_USE_TSC_OFFSETTING | CPU_HLT_EXITING | CPU_INVLPG_EXITING | \
                       CPU_MWAIT_EXITING | CPU_RDPMC_EXITING | CPU_RDTSC_EXITING | \
                       CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING | CPU_CR8_LOAD_EXITING | \
                       CPU_CR8_STORE_EXITING | CPU_TPR_SHADOW | CPU_NMI_WINDOW_EXITING | \
                       CPU_MOV_DR_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_IO_BITMAPS | \
                       CPU_USE_MSR_BITMAPS | CPU_MONITOR_EXITING | CPU_PAUSE_EXITING | \
                       CPU_MONITOR_TRAP_FLAG)
/* EPT and PML (vmx_ept.c; TLB contexts keyed by VPID and EPTP are saved and
 * restored at VM entry and exit, vmx_tlb.c, so VPID is exact), unrestricted
 * guest (paging off walks through EPT), APIC virtualization (vmx_apicv.c). */
#define CPU2_EMULATED (CPU2_VMCS_SHADOWING | CPU2_ENABLE_EPT | CPU2_DESC_TABLE_EXITING | \
                       CPU2_ENABLE_RDTSCP | CPU2_ENABLE_VPID | CPU2_WBINVD_EXITING | \
                       CPU2_UNRESTRICTED_GUEST | CPU2_PAUSE_LOOP_EXITING | \
                       CPU2_RDRAND_EXITING | CPU2_ENABLE_INVPCID | CPU2_ENABLE_VMFUNC | \
                       CPU2_RDSEED_EXITING | CPU2_ENABLE_PML | CPU2_VIRT_APIC_ACCESSES | \
                       CPU2_VIRT_X2APIC_MODE | CPU2_APIC_REGISTER_VIRT | \
                       CPU2_VIRTUAL_INTR_DELIVERY)
#define EXIT_EMULATED (EXIT_SAVE_DEBUG_CONTROLS | EXIT_HOST_ADDR_SPACE_SIZE | \
                       EXIT_LOAD_PERF_GLOBAL_CTRL | EXIT_SAVE_PAT | EXIT_LOAD_PAT | \
                       EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_ACK_INTR_ON_EXIT | \
                       EXIT_SAVE_PREEMPTION_TIMER)
#define ENTRY_EMULATED (ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_IA32E_MODE_GUEST | \
                        ENTRY_LOAD_PERF_GLOBAL_CTRL | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER)
/* Everything the model lists (mmu/ept.c walks execute-only, 2M/1G
 * and A/D; INVEPT/INVVPID flush the whole TLB, which every type allows). */
#define EPT_VPID_EMULATED (~0ull)
#define VMFUNC_EMULATED VMFUNC_EPTP_SWITCHING

static uint64_t ctls(uint32_t default1, uint32_t allowed1)
{
    return (uint64_t)default1 | ((uint64_t)(allowed1 | default1) << 32);
}

/* Smallest rate such that the preemption timer (TSC >> rate) ticks at most
 * 429,496,729 times a second: kvm_intel rejects a faster timer. */
static unsigned preemption_timer_rate(uint64_t tsc_hz)
{
    unsigned rate = 0;
    while (rate < 31 && (tsc_hz >> rate) > 429496729ull)
        rate++;
    return rate;
}

void vmx_caps_init(struct cpu *cpu, struct vmx_caps *c)
{
    const struct vmx_model_caps *m = &skylake_caps;
    uint32_t pin = m->pin & PIN_EMULATED;
    uint32_t cpu1 = m->cpu1 & CPU1_EMULATED;
    uint32_t cpu2 = m->cpu2 & CPU2_EMULATED;
    uint32_t exit = m->exit & EXIT_EMULATED;
    uint32_t entry = m->entry & ENTRY_EMULATED;

    /* SDM A.1: revision, region size 4096 (44:32), WB memory type (53:50 =
     * 6), INS/OUTS instruction information (54), TRUE controls (55). */
    c->basic = VMX_REVISION_ID | (4096ull << 32) | (6ull << 50) | (1ull << 54) | (1ull << 55);
    c->pinbased = ctls(PIN_DEFAULT1, pin);
    c->true_pinbased = c->pinbased;
    c->procbased = ctls(CPU_DEFAULT1, cpu1);
    c->true_procbased = ctls(CPU_TRUE_DEFAULT1, cpu1 | CPU_DEFAULT1);
    c->exit = ctls(EXIT_DEFAULT1, exit);
    c->true_exit = ctls(EXIT_TRUE_DEFAULT1, exit | EXIT_DEFAULT1);
    c->entry = ctls(ENTRY_DEFAULT1, entry);
    c->true_entry = ctls(ENTRY_TRUE_DEFAULT1, entry | ENTRY_DEFAULT1);
    c->procbased2 = (uint64_t)cpu2 << 32;
    /* SDM A.6: timer rate (4:0), EFER.LMA saved into "IA-32e mode guest"
     * (5), activity states HLT (6) and wait-for-SIPI (8), 4 CR3 targets
     * (24:16), MSR lists up to 512 entries (27:25 = 0), VMWRITE to any field
     * including exit information (29), injection of software events with
     * instruction length 0 (30). */
    uint64_t tsc_hz = cpu->model ? cpu->model->tsc_hz : 0;
    c->misc = preemption_timer_rate(tsc_hz) | (1ull << 5) | (1ull << 6) | (1ull << 8) |
              (4ull << 16) | (1ull << 29) | (1ull << 30);
    /* SDM A.7/A.8: PE, NE, PG must be 1 (unrestricted guest relaxes PE/PG
     * for the guest only); VMXE must be 1; FIXED1 lists what may be 1. */
    c->cr0_fixed0 = CR0_PE | CR0_NE | CR0_PG;
    c->cr0_fixed1 = 0xffffffffull;
    c->cr4_fixed0 = CR4_VMXE;
    c->cr4_fixed1 = cr4_valid_mask(cpu) | CR4_VMXE;
    c->vmcs_enum = (uint64_t)vmcs_highest_index() << 1;
    c->ept_vpid_cap = (cpu2 & (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID)) ?
                      (m->ept_vpid & EPT_VPID_EMULATED) : 0;
    c->vmfunc = (cpu2 & CPU2_ENABLE_VMFUNC) ? (m->vmfunc & VMFUNC_EMULATED) : 0;
}

bool vmx_cr0_value_ok(const struct cpu *cpu, uint64_t cr0)
{
    if (!vmx_in_operation(cpu))
        return true;
    const struct vmx_caps *c = &cpu->vmx->caps;
    uint64_t fixed0 = c->cr0_fixed0;
    const struct vmcs *v = vmx_current_vmcs(cpu);
    if (cpu->vmx_nonroot && v && vmx_ctl_unrestricted_guest(v))
        fixed0 &= ~(CR0_PE | CR0_PG);
    return (cr0 & fixed0) == fixed0 && !(cr0 & ~c->cr0_fixed1);
}

bool vmx_cr4_value_ok(const struct cpu *cpu, uint64_t cr4)
{
    if (!vmx_in_operation(cpu))
        return true;
    const struct vmx_caps *c = &cpu->vmx->caps;
    return (cr4 & c->cr4_fixed0) == c->cr4_fixed0 && !(cr4 & ~c->cr4_fixed1);
}

bool vmx_msr_is_vmx_cap(uint32_t msr)
{
    return msr >= 0x480 && msr <= 0x491;
}

bool vmx_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *value)
{
    if (!vmx_available(cpu) || !vmx_msr_is_vmx_cap(msr))
        return false;
    struct vmx_cpu *v = vmx_get(cpu);
    if (!v)
        return false;
    const struct vmx_caps *c = &v->caps;
    bool has2 = (c->procbased >> 32) & CPU_SECONDARY_CONTROLS;
    bool has_true = (c->basic >> 55) & 1;
    uint32_t allowed2 = (uint32_t)(c->procbased2 >> 32);
    /* SDM A.1-A.11: each MSR exists only when the bit announcing it is set. */
    switch (msr) {
    case 0x480: *value = c->basic; return true;
    case 0x481: *value = c->pinbased; return true;
    case 0x482: *value = c->procbased; return true;
    case 0x483: *value = c->exit; return true;
    case 0x484: *value = c->entry; return true;
    case 0x485: *value = c->misc; return true;
    case 0x486: *value = c->cr0_fixed0; return true;
    case 0x487: *value = c->cr0_fixed1; return true;
    case 0x488: *value = c->cr4_fixed0; return true;
    case 0x489: *value = c->cr4_fixed1; return true;
    case 0x48a: *value = c->vmcs_enum; return true;
    case 0x48b:
        if (!has2)
            return false;
        *value = c->procbased2;
        return true;
    case 0x48c:
        if (!has2 || !(allowed2 & (CPU2_ENABLE_EPT | CPU2_ENABLE_VPID)))
            return false;
        *value = c->ept_vpid_cap;
        return true;
    case 0x48d: *value = c->true_pinbased; return has_true;
    case 0x48e: *value = c->true_procbased; return has_true;
    case 0x48f: *value = c->true_exit; return has_true;
    case 0x490: *value = c->true_entry; return has_true;
    case 0x491:
        if (!has2 || !(allowed2 & CPU2_ENABLE_VMFUNC))
            return false;
        *value = c->vmfunc;
        return true;
    default: return false;
    }
}

struct vmx_cpu *vmx_get(struct cpu *cpu)
{
    if (cpu->vmx)
        return cpu->vmx;
    struct vmx_cpu *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    vmx_caps_init(cpu, &v->caps);
    v->current_vmcs_ptr = VMCS_PTR_INVALID;
    v->vmxon_ptr = VMCS_PTR_INVALID;
    v->current_slot = -1;
    timer_init(&v->preemption_wake, vmx_nonroot_preemption_wake, cpu, "vmx-preemption-timer");
    cpu->vmx = v;
    if (cpu->vmx_keep_diff)
        vmx_exit_stats_keep_diff(cpu, true);
    return v;
}

void vmx_cpu_free(struct cpu *cpu)
{
    vmx_tlb_free(cpu);
    vmx_exit_stats_free(cpu);
    if (cpu->vmx && cpu->bus.clock)
        timer_disarm(cpu->bus.clock, &cpu->vmx->preemption_wake);
    free(cpu->vmx);
    cpu->vmx = NULL;
}

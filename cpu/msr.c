/* The MSR store (SDM Vol.4 table 2-2 architectural MSRs). Every MSR that
 * CPUID does not advertise, and every reserved bit, is refused so that
 * software probing with rdmsr_safe/wrmsr_safe sees the truth. */
#include "cpu/msr.h"

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/ctrlreg.h"
#include "cpu/lapic.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"
#include "cpu/pmu.h"
#include "cpu/tsc.h"
#include "vmx_emul/vmx_hooks.h"

/* Microcode revision reported in IA32_BIOS_SIGN_ID[63:32]. */
#define MICROCODE_REVISION 0xf0ull
/* Maximum non-turbo ratio (PLATFORM_INFO[15:8]): ratio x 100 MHz. */
#define PLATFORM_RATIO 30ull

static bool model_has(const struct cpu *cpu, unsigned isa)
{
    return (cpu->model->isa_mask >> isa) & 1;
}

/* SDM Vol.3A 11.11.2: memory types 0 UC, 1 WC, 4 WT, 5 WP, 6 WB (7 UC- for PAT). */
static bool mtrr_type_valid(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool pat_valid(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        uint64_t t = (v >> (8 * i)) & 0xff;
        if (!mtrr_type_valid(t) && t != 7)
            return false;
    }
    return true;
}

static bool fixed_mtrr_valid(uint64_t v)
{
    for (int i = 0; i < 8; i++)
        if (!mtrr_type_valid((v >> (8 * i)) & 0xff))
            return false;
    return true;
}

/* Index into mtrr_fixed[] for a fixed-range MTRR MSR, or -1. */
static int fixed_mtrr_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K_00000)
        return 0;
    if (msr == MSR_MTRR_FIX16K_80000)
        return 1;
    if (msr == MSR_MTRR_FIX16K_A0000)
        return 2;
    if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8)
        return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
    return -1;
}

static uint64_t arch_capabilities(void)
{
    /* Only *_NO bits that hold for an emulator that never speculates, and
     * enhanced IBRS (SPEC_CTRL is accepted; there is nothing to restrict). */
    return ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_SKIP_VMENTRY_L1DFLUSH |
           ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TAA_NO |
           ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO | ARCH_CAP_GDS_NO |
           ARCH_CAP_RFDS_NO;
}

/* MCG_CAP: bank count, no MCG_CTL, no extended registers; CMCI_P (bit
 * 10) as on a Skylake client, which goes with LVT CMCI in the local APIC
 * (its version register says 7 LVT entries) and the MCi_CTL2 registers
 * (SDM Vol.3B 16.3.1.1, 16.5). No corrected error is ever counted, so no
 * CMCI is ever signalled. */
#define MCG_CMCI_P (1ull << 10)
#define MSR_MC0_CTL2 0x280u
/* MCi_CTL2 (SDM Vol.3B 16.3.2.5): threshold 14:0 and CMCI_EN (30). */
#define MC_CTL2_WRITABLE (0x7fffull | (1ull << 30))

static uint64_t mcg_cap(void)
{
    return MCE_BANKS | MCG_CMCI_P;
}

/* MISC_ENABLE bits software may change; 7 (perfmon available), 11 (BTS
 * unavailable) and 12 (PEBS unavailable) read as 1. */
#define MISC_ENABLE_WRITABLE ((1ull << 0) | (1ull << 3) | (1ull << 16) | (1ull << 22) | \
                              (1ull << 23) | (1ull << 34))
#define MISC_ENABLE_FIXED ((1ull << 7) | (1ull << 11) | (1ull << 12))

/* The model-specific LBR and off-core response MSRs of a Skylake client
 * core. Linux programs them from the family/model alone (it only probes
 * them under a hypervisor), so they must exist; nothing is recorded. */
static uint64_t *lbr_msr(struct cpu *cpu, uint32_t msr)
{
    if (msr >= MSR_LBR_FROM_0 && msr < MSR_LBR_FROM_0 + LBR_DEPTH)
        return &cpu->lbr_from[msr - MSR_LBR_FROM_0];
    if (msr >= MSR_LBR_TO_0 && msr < MSR_LBR_TO_0 + LBR_DEPTH)
        return &cpu->lbr_to[msr - MSR_LBR_TO_0];
    if (msr >= MSR_LBR_INFO_0 && msr < MSR_LBR_INFO_0 + LBR_DEPTH)
        return &cpu->lbr_info[msr - MSR_LBR_INFO_0];
    if (msr == MSR_LBR_SELECT)
        return &cpu->lbr_select;
    if (msr == MSR_LBR_TOS)
        return &cpu->lbr_tos;
    if (msr == MSR_OFFCORE_RSP_0 || msr == MSR_OFFCORE_RSP_0 + 1)
        return &cpu->offcore_rsp[msr - MSR_OFFCORE_RSP_0];
    return NULL;
}

bool msr_read(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
    int fix;
    if (pmu_msr_is_pmu(msr))
        return pmu_msr_read(cpu, msr, val);
    switch (msr) {
    case MSR_TSC: *val = cpu_tsc(cpu); return true;
    case MSR_PLATFORM_ID: *val = 1ull << 50; return true; /* platform 1 (microcode match) */
    case MSR_APIC_BASE: *val = cpu->apic_base; return true;
    case MSR_FEATURE_CONTROL: *val = cpu->feature_control; return true;
    case MSR_TSC_ADJUST: *val = cpu->tsc_adjust; return true;
    case MSR_SPEC_CTRL: *val = cpu->spec_ctrl; return true;
    case MSR_BIOS_SIGN_ID: *val = MICROCODE_REVISION << 32; return true;
    case MSR_PLATFORM_INFO: *val = PLATFORM_RATIO << 8; return true;
    case MSR_MTRRCAP:
        /* VCNT, fixed ranges supported (8), WC supported (10). */
        *val = MTRR_VAR_COUNT | (1u << 8) | (1u << 10);
        return true;
    case MSR_ARCH_CAPABILITIES: *val = arch_capabilities(); return true;
    case MSR_SYSENTER_CS: *val = cpu->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *val = cpu->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *val = cpu->sysenter_eip; return true;
    case MSR_MCG_CAP: *val = mcg_cap(); return true;
    case MSR_MCG_STATUS: *val = cpu->mcg_status; return true;
    case MSR_MISC_ENABLE: *val = cpu->misc_enable | MISC_ENABLE_FIXED; return true;
    case MSR_DEBUGCTL: *val = cpu->debugctl; return true;
    case MSR_PAT: *val = cpu->pat; return true;
    case MSR_MTRR_DEF_TYPE: *val = cpu->mtrr_def_type; return true;
    case MSR_TSC_DEADLINE:
        if (!cpu->lapic)
            return false;
        *val = cpu->lapic->tsc_deadline;
        return true;
    case MSR_EFER: *val = cpu->efer; return true;
    case MSR_STAR: *val = cpu->star; return true;
    case MSR_LSTAR: *val = cpu->lstar; return true;
    case MSR_CSTAR: *val = cpu->cstar; return true;
    case MSR_SFMASK: *val = cpu->sfmask; return true;
    case MSR_FS_BASE: *val = cpu->seg[S_FS].base; return true;
    case MSR_GS_BASE: *val = cpu->seg[S_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *val = cpu->kernel_gs_base; return true;
    case MSR_TSC_AUX:
        if (!model_has(cpu, ISA_RDTSCP) && !model_has(cpu, ISA_RDPID))
            return false;
        *val = cpu->tsc_aux;
        return true;
    default: break;
    }
    if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_VAR_COUNT) {
        *val = cpu->mtrr_var[msr - MSR_MTRR_PHYSBASE0];
        return true;
    }
    if ((fix = fixed_mtrr_index(msr)) >= 0) {
        *val = cpu->mtrr_fixed[fix];
        return true;
    }
    if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * MCE_BANKS) {
        unsigned i = msr - MSR_MC0_CTL;
        *val = cpu->mc_bank[i / 4][i % 4];
        return true;
    }
    if (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + MCE_BANKS) {
        *val = cpu->mc_ctl2[msr - MSR_MC0_CTL2];
        return true;
    }
    uint64_t *lbr = lbr_msr(cpu, msr);
    if (lbr) {
        *val = *lbr;
        return true;
    }
    if (msr >= 0x800 && msr <= 0x8ff)
        return cpu->lapic && lapic_msr_read(cpu->lapic, msr, val);
    /* VMX capability MSRs (0x480-0x491) belong to vmx_emul/ and are absent
     * while the model does not offer VMX; UMWAIT_CONTROL (0xe1) is absent. */
    if (vmx_msr_is_vmx_cap(msr))
        return vmx_msr_read(cpu, msr, val);
    return false;
}

bool msr_write(struct cpu *cpu, uint32_t msr, uint64_t v)
{
    int fix;
    if (pmu_msr_is_pmu(msr))
        return pmu_msr_write(cpu, msr, v);
    switch (msr) {
    case MSR_TSC: {
        /* SDM Vol.3A 18.17.3: a TSC write moves TSC_ADJUST by the same delta. */
        uint64_t now = cpu_tsc(cpu);
        cpu_set_tsc(cpu, v);
        cpu->tsc_adjust += v - now;
        return true;
    }
    case MSR_TSC_ADJUST:
        cpu->tsc_offset += (int64_t)(v - cpu->tsc_adjust);
        cpu->tsc_adjust = v;
        return true;
    case MSR_APIC_BASE: {
        if (cpu->lapic)
            return lapic_set_base(cpu->lapic, v);
        /* BSP (8) is read-only; x2APIC enable (10) is reserved without
         * x2APIC; global enable (11); base bits up to MAXPHYADDR. */
        uint64_t valid = (1ull << 8) | (1ull << 11) | (~phys_reserved_mask(cpu) & ~0xfffull);
        if (v & ~valid)
            return false;
        cpu->apic_base = (v & ~(1ull << 8)) | (cpu->apic_base & (1ull << 8));
        return true;
    }
    case MSR_FEATURE_CONTROL: {
        /* SDM Vol.3C 23.7: once locked, writes #GP until reset. */
        uint64_t valid = FEATURE_CONTROL_LOCKED | (cpu_vmx_offered(cpu) ? FEATURE_CONTROL_VMX : 0);
        if ((cpu->feature_control & FEATURE_CONTROL_LOCKED) || (v & ~valid))
            return false;
        cpu->feature_control = v;
        return true;
    }
    case MSR_SPEC_CTRL:
        /* IBRS, STIBP, SSBD: accepted, nothing speculates. */
        if (v & ~7ull)
            return false;
        cpu->spec_ctrl = v;
        return true;
    case MSR_PRED_CMD:
    case MSR_FLUSH_CMD:
        /* IBPB / L1D flush commands: write-only, bit 0. */
        return (v & ~1ull) == 0;
    case MSR_BIOS_SIGN_ID:
        return true; /* the microcode-update trigger protocol writes 0 here */
    case MSR_SYSENTER_CS: cpu->sysenter_cs = v & 0xffff; return true;
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        if (!is_canonical(v))
            return false;
        if (msr == MSR_SYSENTER_ESP)
            cpu->sysenter_esp = v;
        else
            cpu->sysenter_eip = v;
        return true;
    case MSR_MCG_STATUS:
        if (v & ~7ull) /* RIPV, EIPV, MCIP */
            return false;
        cpu->mcg_status = v;
        return true;
    case MSR_MISC_ENABLE:
        if ((v ^ (cpu->misc_enable | MISC_ENABLE_FIXED)) & ~MISC_ENABLE_WRITABLE)
            return false;
        cpu->misc_enable = v & MISC_ENABLE_WRITABLE;
        return true;
    case MSR_DEBUGCTL:
        /* LBR (0) and BTF (1) are accepted (neither records anything yet),
         * FREEZE_LBRS/PERFMON_ON_PMI (11, 12), FREEZE_WHILE_SMM (14). */
        if (v & ~((1ull << 0) | (1ull << 1) | (1ull << 11) | (1ull << 12) | (1ull << 14)))
            return false;
        cpu->debugctl = v;
        return true;
    case MSR_PAT:
        if (!pat_valid(v))
            return false;
        cpu->pat = v;
        return true;
    case MSR_MTRR_DEF_TYPE:
        if ((v & ~0xcffull) || !mtrr_type_valid(v & 0xff))
            return false;
        cpu->mtrr_def_type = v;
        return true;
    case MSR_TSC_DEADLINE:
        if (!cpu->lapic)
            return false;
        lapic_set_tsc_deadline(cpu->lapic, v);
        return true;
    case MSR_EFER: return cpu_set_efer(cpu, v);
    case MSR_STAR: cpu->star = v; return true;
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!is_canonical(v))
            return false;
        if (msr == MSR_LSTAR) cpu->lstar = v;
        else if (msr == MSR_CSTAR) cpu->cstar = v;
        else if (msr == MSR_FS_BASE) cpu->seg[S_FS].base = v;
        else if (msr == MSR_GS_BASE) cpu->seg[S_GS].base = v;
        else cpu->kernel_gs_base = v;
        return true;
    case MSR_SFMASK:
        if (v >> 32)
            return false;
        cpu->sfmask = v;
        return true;
    case MSR_TSC_AUX:
        if ((!model_has(cpu, ISA_RDTSCP) && !model_has(cpu, ISA_RDPID)) || (v >> 32))
            return false;
        cpu->tsc_aux = v;
        return true;
    case MSR_PLATFORM_ID:
    case MSR_MTRRCAP:
    case MSR_PLATFORM_INFO:
    case MSR_ARCH_CAPABILITIES:
    case MSR_MCG_CAP:
        return false; /* read-only */
    default: break;
    }
    if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_VAR_COUNT) {
        bool is_mask = (msr - MSR_MTRR_PHYSBASE0) & 1;
        /* PHYSBASE: type in 7:0, 11:8 reserved; PHYSMASK: valid bit 11, 10:0 reserved. */
        uint64_t rsvd = phys_reserved_mask(cpu) | (is_mask ? 0x7ffull : 0xf00ull);
        if (v & rsvd)
            return false;
        if (!is_mask && !mtrr_type_valid(v & 0xff))
            return false;
        cpu->mtrr_var[msr - MSR_MTRR_PHYSBASE0] = v;
        return true;
    }
    if ((fix = fixed_mtrr_index(msr)) >= 0) {
        if (!fixed_mtrr_valid(v))
            return false;
        cpu->mtrr_fixed[fix] = v;
        return true;
    }
    if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * MCE_BANKS) {
        unsigned i = msr - MSR_MC0_CTL;
        /* SDM Vol.3B 16.3.2.2: only 0 may be written to MCi_STATUS. */
        if (i % 4 == 1 && v != 0)
            return false;
        cpu->mc_bank[i / 4][i % 4] = v;
        return true;
    }
    if (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + MCE_BANKS) {
        if (v & ~MC_CTL2_WRITABLE)
            return false;
        cpu->mc_ctl2[msr - MSR_MC0_CTL2] = v;
        return true;
    }
    uint64_t *lbr = lbr_msr(cpu, msr);
    if (lbr) {
        /* LBR_SELECT: 10 filter bits; TOS: 5-bit index; records: any. */
        if ((msr == MSR_LBR_SELECT && (v >> 10)) || (msr == MSR_LBR_TOS && (v >> 5)))
            return false;
        *lbr = v;
        return true;
    }
    if (msr >= 0x800 && msr <= 0x8ff)
        return cpu->lapic && lapic_msr_write(cpu->lapic, msr, v);
    return false;
}

/* Model-specific registers: the RDMSR/WRMSR store with the architectural
 * validity checks (SDM Vol.4 chapter 2, table 2-2). */
#ifndef TURTLES_CPU_MSR_H
#define TURTLES_CPU_MSR_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

enum {
    MSR_TSC = 0x10,
    MSR_PLATFORM_ID = 0x17,
    MSR_APIC_BASE = 0x1b,
    MSR_FEATURE_CONTROL = 0x3a,
    MSR_TSC_ADJUST = 0x3b,
    MSR_SPEC_CTRL = 0x48,
    MSR_PRED_CMD = 0x49,
    MSR_BIOS_SIGN_ID = 0x8b,
    MSR_PMC0 = 0xc1,
    MSR_PLATFORM_INFO = 0xce,
    MSR_MTRRCAP = 0xfe,
    MSR_ARCH_CAPABILITIES = 0x10a,
    MSR_FLUSH_CMD = 0x10b,
    MSR_SYSENTER_CS = 0x174,
    MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176,
    MSR_MCG_CAP = 0x179,
    MSR_MCG_STATUS = 0x17a,
    MSR_PERFEVTSEL0 = 0x186,
    MSR_MISC_ENABLE = 0x1a0,
    MSR_OFFCORE_RSP_0 = 0x1a6,
    MSR_LBR_SELECT = 0x1c8,
    MSR_LBR_TOS = 0x1c9,
    MSR_DEBUGCTL = 0x1d9,
    MSR_MTRR_PHYSBASE0 = 0x200,
    MSR_MTRR_FIX64K_00000 = 0x250,
    MSR_MTRR_FIX16K_80000 = 0x258,
    MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K_C0000 = 0x268,
    MSR_PAT = 0x277,
    MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_FIXED_CTR0 = 0x309,
    MSR_FIXED_CTR_CTRL = 0x38d,
    MSR_PERF_GLOBAL_STATUS = 0x38e,
    MSR_PERF_GLOBAL_CTRL = 0x38f,
    MSR_PERF_GLOBAL_OVF_CTRL = 0x390,
    MSR_MC0_CTL = 0x400,
    MSR_VMX_BASIC = 0x480,
    MSR_LBR_FROM_0 = 0x680,
    MSR_LBR_TO_0 = 0x6c0,
    MSR_TSC_DEADLINE = 0x6e0,
    MSR_LBR_INFO_0 = 0xdc0,
    MSR_EFER = 0xc0000080,
    MSR_STAR = 0xc0000081,
    MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083,
    MSR_SFMASK = 0xc0000084,
    MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101,
    MSR_KERNEL_GS_BASE = 0xc0000102,
    MSR_TSC_AUX = 0xc0000103,
};

/* IA32_ARCH_CAPABILITIES bits (names as in Linux's msr-index.h). */
#define ARCH_CAP_RDCL_NO (1ull << 0)
#define ARCH_CAP_IBRS_ALL (1ull << 1)
#define ARCH_CAP_SKIP_VMENTRY_L1DFLUSH (1ull << 3)
#define ARCH_CAP_SSB_NO (1ull << 4)
#define ARCH_CAP_MDS_NO (1ull << 5)
#define ARCH_CAP_PSCHANGE_MC_NO (1ull << 6)
#define ARCH_CAP_TAA_NO (1ull << 8)
#define ARCH_CAP_SBDR_SSDP_NO (1ull << 13)
#define ARCH_CAP_FBSDP_NO (1ull << 14)
#define ARCH_CAP_PSDP_NO (1ull << 15)
#define ARCH_CAP_GDS_NO (1ull << 26)
#define ARCH_CAP_RFDS_NO (1ull << 27)

#define FEATURE_CONTROL_LOCKED (1ull << 0)
#define FEATURE_CONTROL_VMX_SMX (1ull << 1)
#define FEATURE_CONTROL_VMX (1ull << 2)

/* Number of machine-check banks (MCG_CAP.Count), GP and fixed counters. */
#define MCE_BANKS 10
#define PMU_GP_COUNTERS 4
#define PMU_FIXED_COUNTERS 3
#define PMU_COUNTER_BITS 48
#define MTRR_VAR_COUNT 8
#define LBR_DEPTH 32

/* Both return false when the MSR does not exist or (write) the value is
 * invalid: the instruction then raises #GP(0). Writes that change paging or
 * mode state (EFER) update the derived state and the TLB. */
bool msr_read(struct cpu *cpu, uint32_t index, uint64_t *value);
bool msr_write(struct cpu *cpu, uint32_t index, uint64_t value);

#endif

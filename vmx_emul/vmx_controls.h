/* VMX control bits (SDM Vol.3C 24.6 VM-execution, 24.7 VM-exit, 24.8
 * VM-entry controls) and one named predicate per bit, on the decoded VMCS.
 * "(not emulated)" marks bits that vmx_emul/vmx_caps.c never lets a guest
 * set; every other bit with a predicate here is emulated and offered
 * through the *_EMULATED masks of vmx_emul/vmx_caps.c. */
#ifndef TURTLES_VMX_EMUL_VMX_CONTROLS_H
#define TURTLES_VMX_EMUL_VMX_CONTROLS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx_emul/vmcs.h"

/* Pin-based VM-execution controls (SDM 24.6.1, table 24-5). */
#define PIN_EXTINT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PIN_POSTED_INTERRUPTS (1u << 7)
#define PIN_DEFAULT1 0x00000016u /* SDM A.3.1: bits 1, 2, 4 */

/* Primary processor-based VM-execution controls (SDM 24.6.2, table 24-6). */
#define CPU_INTR_WINDOW_EXITING (1u << 2)
#define CPU_USE_TSC_OFFSETTING (1u << 3)
#define CPU_HLT_EXITING (1u << 7)
#define CPU_INVLPG_EXITING (1u << 9)
#define CPU_MWAIT_EXITING (1u << 10)
#define CPU_RDPMC_EXITING (1u << 11)
#define CPU_RDTSC_EXITING (1u << 12)
#define CPU_CR3_LOAD_EXITING (1u << 15)
#define CPU_CR3_STORE_EXITING (1u << 16)
#define CPU_TERTIARY_CONTROLS (1u << 17)
#define CPU_CR8_LOAD_EXITING (1u << 19)
#define CPU_CR8_STORE_EXITING (1u << 20)
#define CPU_TPR_SHADOW (1u << 21)
#define CPU_NMI_WINDOW_EXITING (1u << 22)
#define CPU_MOV_DR_EXITING (1u << 23)
#define CPU_UNCOND_IO_EXITING (1u << 24)
#define CPU_USE_IO_BITMAPS (1u << 25)
#define CPU_MONITOR_TRAP_FLAG (1u << 27)
#define CPU_USE_MSR_BITMAPS (1u << 28)
#define CPU_MONITOR_EXITING (1u << 29)
#define CPU_PAUSE_EXITING (1u << 30)
#define CPU_SECONDARY_CONTROLS (1u << 31)
#define CPU_DEFAULT1 0x0401e172u      /* SDM A.3.2: 1, 4-6, 8, 13-16, 26 */
#define CPU_TRUE_DEFAULT1 0x04006172u /* CR3-load/store exiting may be 0 */

/* Secondary processor-based VM-execution controls (SDM 24.6.2, table 24-7). */
#define CPU2_VIRT_APIC_ACCESSES (1u << 0)
#define CPU2_ENABLE_EPT (1u << 1)
#define CPU2_DESC_TABLE_EXITING (1u << 2)
#define CPU2_ENABLE_RDTSCP (1u << 3)
#define CPU2_VIRT_X2APIC_MODE (1u << 4)
#define CPU2_ENABLE_VPID (1u << 5)
#define CPU2_WBINVD_EXITING (1u << 6)
#define CPU2_UNRESTRICTED_GUEST (1u << 7)
#define CPU2_APIC_REGISTER_VIRT (1u << 8)
#define CPU2_VIRTUAL_INTR_DELIVERY (1u << 9)
#define CPU2_PAUSE_LOOP_EXITING (1u << 10)
#define CPU2_RDRAND_EXITING (1u << 11)
#define CPU2_ENABLE_INVPCID (1u << 12)
#define CPU2_ENABLE_VMFUNC (1u << 13)
#define CPU2_VMCS_SHADOWING (1u << 14)
#define CPU2_ENCLS_EXITING (1u << 15)      /* (not emulated) */
#define CPU2_RDSEED_EXITING (1u << 16)
#define CPU2_ENABLE_PML (1u << 17)
#define CPU2_EPT_VIOLATION_VE (1u << 18)   /* (not emulated) */
#define CPU2_CONCEAL_VMX_FROM_PT (1u << 19) /* (not emulated) */
#define CPU2_ENABLE_XSAVES (1u << 20)      /* (not emulated) */
#define CPU2_MODE_BASED_EPT_EXEC (1u << 22) /* (not emulated) */
#define CPU2_SUBPAGE_WRITE_PERM (1u << 23) /* (not emulated) */
#define CPU2_PT_USE_GPA (1u << 24)         /* (not emulated) */
#define CPU2_TSC_SCALING (1u << 25)        /* (not emulated) */
#define CPU2_USER_WAIT_PAUSE (1u << 26)    /* (not emulated) */
#define CPU2_ENCLV_EXITING (1u << 28)      /* (not emulated) */

/* VM-exit controls (SDM 24.7.1, table 24-13). */
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL (1u << 12)
#define EXIT_ACK_INTR_ON_EXIT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)
#define EXIT_CLEAR_BNDCFGS (1u << 23)      /* (not emulated) */
#define EXIT_CONCEAL_VMX_FROM_PT (1u << 24) /* (not emulated) */
#define EXIT_CLEAR_RTIT_CTL (1u << 25)     /* (not emulated) */
#define EXIT_LOAD_CET_STATE (1u << 28)     /* (not emulated) */
#define EXIT_LOAD_PKRS (1u << 29)          /* (not emulated) */
#define EXIT_DEFAULT1 0x00036dffu      /* SDM A.4: 0-8, 10, 11, 13, 14, 16, 17 */
#define EXIT_TRUE_DEFAULT1 0x00036dfbu /* save debug controls may be 0 */

/* VM-entry controls (SDM 24.8.1, table 24-15). */
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)
#define ENTRY_TO_SMM (1u << 10)             /* (not emulated) */
#define ENTRY_DEACT_DUAL_MONITOR (1u << 11) /* (not emulated) */
#define ENTRY_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)
#define ENTRY_LOAD_BNDCFGS (1u << 16)       /* (not emulated) */
#define ENTRY_CONCEAL_VMX_FROM_PT (1u << 17) /* (not emulated) */
#define ENTRY_LOAD_RTIT_CTL (1u << 18)      /* (not emulated) */
#define ENTRY_LOAD_CET_STATE (1u << 20)     /* (not emulated) */
#define ENTRY_LOAD_PKRS (1u << 22)          /* (not emulated) */
#define ENTRY_DEFAULT1 0x000011ffu      /* SDM A.5: 0-8, 12 */
#define ENTRY_TRUE_DEFAULT1 0x000011fbu /* load debug controls may be 0 */

/* VM-function controls (SDM 24.6.14). */
#define VMFUNC_EPTP_SWITCHING (1ull << 0)

/* Interruption-information fields (SDM 24.8.3 entry, 24.9.2 exit, 24.9.3
 * IDT vectoring): vector 7:0, type 10:8, error code valid 11, NMI unblocking
 * due to IRET 12 (exit fields), valid 31. Types: enum event_type in
 * cpu/cpu.h; 7 is "other event" (pending MTF). */
#define INTR_INFO_VECTOR(x) ((x) & 0xffu)
#define INTR_INFO_TYPE(x) (((x) >> 8) & 7u)
#define INTR_INFO_DELIVER_CODE (1u << 11)
#define INTR_INFO_NMI_UNBLOCK (1u << 12)
#define INTR_INFO_VALID (1u << 31)
#define INTR_TYPE_OTHER 7u

/* Guest interruptibility state (SDM 24.4.2, table 24-3). */
#define INTERRUPTIBILITY_STI (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)
#define INTERRUPTIBILITY_SMI (1u << 2)
#define INTERRUPTIBILITY_NMI (1u << 3)
#define INTERRUPTIBILITY_ENCLAVE (1u << 4)

/* Guest activity state (SDM 24.4.2). */
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_SHUTDOWN = 2, ACTIVITY_WAIT_SIPI = 3 };

static inline bool vmx_pin(const struct vmcs *v, uint32_t bit)
{
    return (v->pin_based_vm_exec_control & bit) != 0;
}
static inline bool vmx_cpu1(const struct vmcs *v, uint32_t bit)
{
    return (v->cpu_based_vm_exec_control & bit) != 0;
}
/* Secondary controls count only while "activate secondary controls" is 1
 * (SDM 24.6.2). */
static inline bool vmx_cpu2(const struct vmcs *v, uint32_t bit)
{
    return (v->cpu_based_vm_exec_control & CPU_SECONDARY_CONTROLS) &&
           (v->secondary_vm_exec_control & bit);
}
static inline bool vmx_exitctl(const struct vmcs *v, uint32_t bit)
{
    return (v->vm_exit_controls & bit) != 0;
}
static inline bool vmx_entryctl(const struct vmcs *v, uint32_t bit)
{
    return (v->vm_entry_controls & bit) != 0;
}

/* Pin-based. */
static inline bool vmx_ctl_extint_exiting(const struct vmcs *v) { return vmx_pin(v, PIN_EXTINT_EXITING); }
static inline bool vmx_ctl_nmi_exiting(const struct vmcs *v) { return vmx_pin(v, PIN_NMI_EXITING); }
static inline bool vmx_ctl_virtual_nmis(const struct vmcs *v) { return vmx_pin(v, PIN_VIRTUAL_NMIS); }
static inline bool vmx_ctl_preemption_timer(const struct vmcs *v) { return vmx_pin(v, PIN_PREEMPTION_TIMER); }
static inline bool vmx_ctl_posted_interrupts(const struct vmcs *v) { return vmx_pin(v, PIN_POSTED_INTERRUPTS); }
/* Primary processor-based. */
static inline bool vmx_ctl_intr_window_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_INTR_WINDOW_EXITING); }
static inline bool vmx_ctl_tsc_offsetting(const struct vmcs *v) { return vmx_cpu1(v, CPU_USE_TSC_OFFSETTING); }
static inline bool vmx_ctl_hlt_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_HLT_EXITING); }
static inline bool vmx_ctl_invlpg_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_INVLPG_EXITING); }
static inline bool vmx_ctl_mwait_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_MWAIT_EXITING); }
static inline bool vmx_ctl_rdpmc_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_RDPMC_EXITING); }
static inline bool vmx_ctl_rdtsc_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_RDTSC_EXITING); }
static inline bool vmx_ctl_cr3_load_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_CR3_LOAD_EXITING); }
static inline bool vmx_ctl_cr3_store_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_CR3_STORE_EXITING); }
static inline bool vmx_ctl_tertiary_controls(const struct vmcs *v) { return vmx_cpu1(v, CPU_TERTIARY_CONTROLS); }     /* (not emulated) */
static inline bool vmx_ctl_cr8_load_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_CR8_LOAD_EXITING); }
static inline bool vmx_ctl_cr8_store_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_CR8_STORE_EXITING); }
static inline bool vmx_ctl_tpr_shadow(const struct vmcs *v) { return vmx_cpu1(v, CPU_TPR_SHADOW); }
static inline bool vmx_ctl_nmi_window_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_NMI_WINDOW_EXITING); }
static inline bool vmx_ctl_mov_dr_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_MOV_DR_EXITING); }
static inline bool vmx_ctl_uncond_io_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_UNCOND_IO_EXITING); }
static inline bool vmx_ctl_io_bitmaps(const struct vmcs *v) { return vmx_cpu1(v, CPU_USE_IO_BITMAPS); }
static inline bool vmx_ctl_monitor_trap_flag(const struct vmcs *v) { return vmx_cpu1(v, CPU_MONITOR_TRAP_FLAG); }
static inline bool vmx_ctl_msr_bitmaps(const struct vmcs *v) { return vmx_cpu1(v, CPU_USE_MSR_BITMAPS); }
static inline bool vmx_ctl_monitor_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_MONITOR_EXITING); }
static inline bool vmx_ctl_pause_exiting(const struct vmcs *v) { return vmx_cpu1(v, CPU_PAUSE_EXITING); }
static inline bool vmx_ctl_secondary_controls(const struct vmcs *v) { return vmx_cpu1(v, CPU_SECONDARY_CONTROLS); }
/* Secondary processor-based. */
static inline bool vmx_ctl_virt_apic_accesses(const struct vmcs *v) { return vmx_cpu2(v, CPU2_VIRT_APIC_ACCESSES); }
static inline bool vmx_ctl_ept(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENABLE_EPT); }
static inline bool vmx_ctl_desc_table_exiting(const struct vmcs *v) { return vmx_cpu2(v, CPU2_DESC_TABLE_EXITING); }
static inline bool vmx_ctl_rdtscp(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENABLE_RDTSCP); }
static inline bool vmx_ctl_virt_x2apic_mode(const struct vmcs *v) { return vmx_cpu2(v, CPU2_VIRT_X2APIC_MODE); }
static inline bool vmx_ctl_vpid(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENABLE_VPID); }
static inline bool vmx_ctl_wbinvd_exiting(const struct vmcs *v) { return vmx_cpu2(v, CPU2_WBINVD_EXITING); }
static inline bool vmx_ctl_unrestricted_guest(const struct vmcs *v) { return vmx_cpu2(v, CPU2_UNRESTRICTED_GUEST); }   /* needs EPT */
static inline bool vmx_ctl_apic_register_virt(const struct vmcs *v) { return vmx_cpu2(v, CPU2_APIC_REGISTER_VIRT); }
static inline bool vmx_ctl_virtual_intr_delivery(const struct vmcs *v) { return vmx_cpu2(v, CPU2_VIRTUAL_INTR_DELIVERY); }
static inline bool vmx_ctl_pause_loop_exiting(const struct vmcs *v) { return vmx_cpu2(v, CPU2_PAUSE_LOOP_EXITING); }
static inline bool vmx_ctl_rdrand_exiting(const struct vmcs *v) { return vmx_cpu2(v, CPU2_RDRAND_EXITING); }
static inline bool vmx_ctl_invpcid(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENABLE_INVPCID); }
static inline bool vmx_ctl_vmfunc(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENABLE_VMFUNC); }                    /* EPTP switching needs EPT */
static inline bool vmx_ctl_vmcs_shadowing(const struct vmcs *v) { return vmx_cpu2(v, CPU2_VMCS_SHADOWING); }
static inline bool vmx_ctl_encls_exiting(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENCLS_EXITING); }             /* (not emulated) */
static inline bool vmx_ctl_rdseed_exiting(const struct vmcs *v) { return vmx_cpu2(v, CPU2_RDSEED_EXITING); }
static inline bool vmx_ctl_pml(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENABLE_PML); }
static inline bool vmx_ctl_ept_violation_ve(const struct vmcs *v) { return vmx_cpu2(v, CPU2_EPT_VIOLATION_VE); }       /* (not emulated) */
static inline bool vmx_ctl_xsaves(const struct vmcs *v) { return vmx_cpu2(v, CPU2_ENABLE_XSAVES); }                    /* (not emulated) */
static inline bool vmx_ctl_tsc_scaling(const struct vmcs *v) { return vmx_cpu2(v, CPU2_TSC_SCALING); }                 /* (not emulated) */
/* VM-exit. */
static inline bool vmx_ctl_save_debug_controls(const struct vmcs *v) { return vmx_exitctl(v, EXIT_SAVE_DEBUG_CONTROLS); }
static inline bool vmx_ctl_host_addr_space_size(const struct vmcs *v) { return vmx_exitctl(v, EXIT_HOST_ADDR_SPACE_SIZE); }
static inline bool vmx_ctl_exit_load_perf_global_ctrl(const struct vmcs *v) { return vmx_exitctl(v, EXIT_LOAD_PERF_GLOBAL_CTRL); }
static inline bool vmx_ctl_ack_intr_on_exit(const struct vmcs *v) { return vmx_exitctl(v, EXIT_ACK_INTR_ON_EXIT); }
static inline bool vmx_ctl_save_pat(const struct vmcs *v) { return vmx_exitctl(v, EXIT_SAVE_PAT); }
static inline bool vmx_ctl_exit_load_pat(const struct vmcs *v) { return vmx_exitctl(v, EXIT_LOAD_PAT); }
static inline bool vmx_ctl_save_efer(const struct vmcs *v) { return vmx_exitctl(v, EXIT_SAVE_EFER); }
static inline bool vmx_ctl_exit_load_efer(const struct vmcs *v) { return vmx_exitctl(v, EXIT_LOAD_EFER); }
static inline bool vmx_ctl_save_preemption_timer(const struct vmcs *v) { return vmx_exitctl(v, EXIT_SAVE_PREEMPTION_TIMER); }
/* VM-entry. */
static inline bool vmx_ctl_load_debug_controls(const struct vmcs *v) { return vmx_entryctl(v, ENTRY_LOAD_DEBUG_CONTROLS); }
static inline bool vmx_ctl_ia32e_mode_guest(const struct vmcs *v) { return vmx_entryctl(v, ENTRY_IA32E_MODE_GUEST); }
static inline bool vmx_ctl_entry_load_perf_global_ctrl(const struct vmcs *v) { return vmx_entryctl(v, ENTRY_LOAD_PERF_GLOBAL_CTRL); }
static inline bool vmx_ctl_entry_load_pat(const struct vmcs *v) { return vmx_entryctl(v, ENTRY_LOAD_PAT); }
static inline bool vmx_ctl_entry_load_efer(const struct vmcs *v) { return vmx_entryctl(v, ENTRY_LOAD_EFER); }

#endif

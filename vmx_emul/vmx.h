/* The narrow interface between cpu/ and vmx_emul/ (DESIGN.md: cpu/ may call
 * into vmx_emul/ through a hook interface): per-vCPU VMX state, the
 * VM-exit entry point, exit reasons, capability MSR access.
 *
 * Lifetime: struct vmx_cpu is allocated lazily on the first use of VMX by
 * a vCPU (a capability-MSR read, IA32_FEATURE_CONTROL or a VMX instruction:
 * vmx_get()) and freed by vmx_cpu_free(). It is plain data: the cache holds
 * slot indexes, never pointers, so it can be serialized as is. */
#ifndef TURTLES_VMX_EMUL_VMX_H
#define TURTLES_VMX_EMUL_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/log.h"
#include "cpu/msr.h"
#include "vmx_emul/vmcs.h"
#include "vmx_emul/vmx_exit_stats.h"
#include "vmx_emul/vmx_hooks.h"
#include "vmx_emul/vmx_intercept.h"

/* Name of a basic exit reason for traces ("CPUID"); "?" when unknown. */
const char *vmx_exit_reason_name(unsigned reason);

/* VM-instruction error numbers (SDM 30.4, table 30-1). */
enum vmx_insn_error {
    VMXERR_VMCALL_IN_ROOT = 1,
    VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
    VMXERR_VMCLEAR_VMXON_POINTER = 3,
    VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4,
    VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
    VMXERR_VMRESUME_AFTER_VMXOFF = 6,
    VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7,
    VMXERR_ENTRY_INVALID_HOST_STATE_FIELD = 8,
    VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
    VMXERR_VMPTRLD_VMXON_POINTER = 10,
    VMXERR_VMPTRLD_INCORRECT_REVISION = 11,
    VMXERR_UNSUPPORTED_VMCS_COMPONENT = 12,
    VMXERR_VMWRITE_READ_ONLY_COMPONENT = 13,
    VMXERR_VMXON_IN_ROOT = 15,
    VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS = 16,
    VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS = 17,
    VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON = 18,
    VMXERR_VMCALL_NONCLEAR_VMCS = 19,
    VMXERR_VMCALL_INVALID_EXIT_CONTROLS = 20,
    VMXERR_VMCALL_INCORRECT_MSEG_REVISION = 22,
    VMXERR_VMXOFF_DUAL_MONITOR = 23,
    VMXERR_VMCALL_INVALID_SMM_FEATURES = 24,
    VMXERR_ENTRY_INVALID_EXEC_CONTROLS_EXECUTIVE = 25,
    VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
    VMXERR_INVALID_INVEPT_INVVPID_OPERAND = 28,
};

/* The capability MSRs of this vCPU (SDM Appendix A), as offered: the
 * model's data masked by what is emulated (vmx_emul/vmx_caps.c). Control
 * MSRs hold allowed-0 settings in bits 31:0, allowed-1 in 63:32. */
struct vmx_caps {
    uint64_t basic;
    uint64_t pinbased, procbased, exit, entry;
    uint64_t true_pinbased, true_procbased, true_exit, true_entry;
    uint64_t procbased2;
    uint64_t misc;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t vmcs_enum;
    uint64_t ept_vpid_cap;
    uint64_t vmfunc;
};

/* One decoded VMCS, keyed by the physical address of its region. */
#define VMCS_CACHE_SLOTS 16
enum vmcs_launch_state { VMCS_CLEAR = 0, VMCS_LAUNCHED = 1,
                         VMCS_LAUNCHED_BEFORE_VMXOFF = 2 /* VMRESUME: error 6 */ };
struct vmcs_cache_entry {
    bool used;
    uint8_t launch_state;   /* enum vmcs_launch_state */
    uint32_t revision;      /* dword 0 of the region as loaded (bit 31: shadow VMCS) */
    uint64_t paddr;
    uint64_t last_use;      /* for eviction: least recently used goes first */
    struct vmcs vmcs;
};

struct vmx_tlb_store;
struct vmx_cpu {
    struct vmx_caps caps;
    bool vmxon;               /* in VMX operation */
    uint64_t vmxon_ptr;
    uint64_t current_vmcs_ptr;/* ~0: invalid */
    int current_slot;         /* cache slot of the current VMCS, -1 when none */
    uint64_t use_clock;
    struct vmcs_cache_entry cache[VMCS_CACHE_SLOTS];
    /* VM entry in progress: the event being injected, so that an exit
     * during its delivery records IDT-vectoring information (SDM 27.2.4). */
    bool injecting;
    uint32_t injecting_info, injecting_error;
    /* Guest state that struct cpu has no place for, kept from VM entry to
     * VM exit: pending debug exceptions (SDM 24.4.2) and virtual-NMI
     * blocking (with "virtual NMIs", SDM 25.3). */
    uint64_t pending_dbg_exceptions;
    bool virtual_nmi_blocked;
    /* The IRET being executed removed (virtual-)NMI blocking: a VM exit
     * before it completes reports "NMI unblocking due to IRET" (SDM
     * 27.2.2, 27.2.1) or, for exits the SDM does not list, puts the
     * blocking back (vmx_emul/vmx_nonroot.c). */
    bool iret_unblocked_nmi;
    /* Text of the last failed VM-entry check, for traces and the monitor
     * (a string literal: diagnostic only, not part of a snapshot). */
    const char *last_check_failed;
    /* MSR-load area index of the last failed VM-entry MSR load. */
    uint32_t last_msr_fail_index;
    /* (vmx_emul/vmx_nonroot.c) Non-root bookkeeping: PAUSE-loop
     * state, the TSC at VM entry for the preemption timer, CR2 before a
     * #PF that may become a VM exit (SDM 27.1: such a #PF leaves CR2
     * alone), and the event being delivered through the guest IDT (for
     * IDT-vectoring information, SDM 27.2.4). */
    struct vmx_ple_state ple;
    uint64_t timer_entry_tsc;
    /* Armed on the machine clock at the VMX-preemption timer's expiry while
     * the guest runs with it, so that an idle machine (L2 in HLT) advances
     * its clock to the expiry instead of waiting forever (SDM 25.5.1: the
     * timer counts down in the HLT state too). */
    struct timer preemption_wake;
    uint64_t cr2_before_pf;
    uint32_t delivering_info, delivering_error, delivering_len;
    /* A trap-like exit (APIC write, EOI-induced, TPR below threshold) to
     * make before the next instruction (vmx_emul/vmx_apicv.c). */
    bool trap_exit_pending;
    uint32_t trap_exit_reason;
    uint64_t trap_exit_qual;
    /* Saved TLB contexts (vmx_emul/vmx_tlb.c): a cache, allocated on first
     * VM entry, not part of a snapshot. */
    struct vmx_tlb_store *tlbs;
    /* Monitor trap flag (SDM 25.5.2): icount at the first guest
     * instruction boundary (~0: not reached yet), an event delivered since,
     * and the vCPU's own single-step setting while MTF forces it. */
    uint64_t mtf_icount;
    bool mtf_event;
    /* VM entry injected "other event" (type 7): a pending MTF VM exit right
     * after the entry, whatever the "monitor trap flag" control (SDM
     * 26.6.2, 26.7.2). */
    bool mtf_injected;
    bool mtf_saved_single_step;
    /* Exit counts, times and the ring of the last exits (monitor views). */
    struct vmx_exit_stats stats;
};

#define VMCS_PTR_INVALID (~0ull)

/* VMX is offered to this vCPU: the model has it and -cpu ...,vmx=off was
 * not given. */
static inline bool vmx_available(const struct cpu *cpu);

/* The vCPU's VMX state, allocated on first use (NULL only on allocation
 * failure). */
struct vmx_cpu *vmx_get(struct cpu *cpu);
/* Fill the capability MSRs from the model (vmx_emul/vmx_caps.c). */
void vmx_caps_init(struct cpu *cpu, struct vmx_caps *caps);
/* vmx_cpu_free: vmx_emul/vmx_hooks.h. */

static inline bool vmx_nonroot(const struct cpu *cpu)
{
    return cpu->vmx_nonroot;
}

static inline bool vmx_in_operation(const struct cpu *cpu)
{
    return cpu->vmx && cpu->vmx->vmxon;
}

/* SDM 23.8: INIT is blocked in VMX root operation (in non-root it is a VM
 * exit: vmx_nonroot_init_sipi). */
static inline bool vmx_blocks_init(const struct cpu *cpu)
{
    return vmx_in_operation(cpu) && !cpu->vmx_nonroot;
}

/* The current VMCS (the one VM exits read and write), NULL when the
 * current-VMCS pointer is invalid. */
static inline struct vmcs *vmx_current_vmcs(const struct cpu *cpu)
{
    if (!cpu->vmx || cpu->vmx->current_slot < 0)
        return NULL;
    return &cpu->vmx->cache[cpu->vmx->current_slot].vmcs;
}

/* Extra information that some exits record (SDM 27.2.1-27.2.5). Fields not
 * named in `valid` are left as they are in the VMCS. */
#define EXITINFO_GUEST_LINEAR (1u << 0)
#define EXITINFO_GUEST_PHYS (1u << 1)
#define EXITINFO_INTR (1u << 2)      /* intr_info/intr_error */
#define EXITINFO_INSN_LEN (1u << 3)
#define EXITINFO_INSN_INFO (1u << 4)
#define EXITINFO_IO (1u << 5)        /* io_rcx/rsi/rdi/rip (SMI only) */
#define EXITINFO_IDT_VECTORING (1u << 6) /* idt_info/idt_error (event being delivered) */
struct vmx_exit_info {
    uint32_t valid;
    uint64_t guest_linear;
    uint64_t guest_phys;
    uint32_t intr_info, intr_error;
    uint32_t insn_len;
    uint32_t insn_info;
    uint64_t io_rcx, io_rsi, io_rdi, io_rip;
    uint32_t idt_info, idt_error;
};

/* VM exit from non-root operation (SDM chapter 27): records the exit
 * information, saves guest state into the current VMCS, stores the
 * MSR-store area, loads host state and the host MSR-load area. Guest RIP
 * saved is cpu->rip (the instruction that caused a fault-like exit, or the
 * next instruction for trap-like exits: callers set cpu->rip first). After
 * the call cpu->rip == cpu->next_rip == host RIP and the block ends, so an
 * instruction handler just returns. On a VMX abort the CPU shuts down. */
void vmx_vmexit(struct cpu *cpu, uint32_t reason, uint64_t qualification,
                const struct vmx_exit_info *info);

/* Exit for an instruction that causes an exit (fault-like: guest RIP is the
 * instruction), with its length, and an instruction-information field when
 * insn_info_valid. For handlers in cpu/: `if (l1 wants it) { vmx_exit_insn(
 * cpu, in, reason, qual, 0, false); return; }`. */
struct insn;
void vmx_exit_insn(struct cpu *cpu, const struct insn *in, uint32_t reason, uint64_t qual,
                   uint32_t insn_info, bool insn_info_valid);

/* The capability MSRs (vmx_msr_read) and the CR0/CR4 fixed-bit checks
 * are declared in vmx_emul/vmx_hooks.h. */

/* VM-exit/entry trace (-d vmexit, LOG_VMEXIT of cpu/log.h). */
void vmx_trace(struct cpu *cpu, const char *what, uint32_t reason, uint64_t qualification);

/* Physical-address width checks for VMX pointers (SDM: "bits beyond the
 * processor's physical-address width"). */
static inline bool vmx_paddr_ok(const struct cpu *cpu, uint64_t pa)
{
    return !(pa & phys_reserved_mask(cpu));
}
static inline bool vmx_page_addr_ok(const struct cpu *cpu, uint64_t pa)
{
    return !(pa & 0xfff) && vmx_paddr_ok(cpu, pa);
}

static inline bool vmx_available(const struct cpu *cpu)
{
    return cpu->model && cpu->model->vmx && !cpu->vmx_off;
}

#endif

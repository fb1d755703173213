/* VM-exit statistics for the monitor's `exits`, `lastexits` and `vmcs
 * diff`: per basic exit reason, how many exits and how much emulated time
 * (machine-clock ns) was spent in non-root operation before them and in
 * root operation handling them (exit to the next VM entry); a ring of the
 * last exits. The exit and entry paths pay a counter increment, a clock
 * read and a ring write; the VMCS copy for `vmcs diff` only while a
 * monitor asked for it (diff_base non-NULL). Diagnostic data: not part of
 * a snapshot. */
#ifndef TURTLES_VMX_EMUL_VMX_EXIT_STATS_H
#define TURTLES_VMX_EMUL_VMX_EXIT_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx_emul/vmcs.h"
#include "vmx_emul/vmx_hooks.h"

#define VMX_EXIT_RING 256u /* a power of two */

struct vmx_exit_record {
    uint32_t reason;      /* the full exit-reason field (bit 31: entry failure) */
    uint64_t qualification;
    uint32_t intr_info;   /* VM-exit interruption information (exception exits) */
    uint64_t guest_rip;
    uint64_t vmcs_ptr;
    uint64_t when_ns;     /* machine time of the exit */
    uint64_t root_ns;     /* time in root until the next VM entry; ~0 while still there */
};

struct vmx_exit_stats {
    uint64_t count[EXIT_REASON_COUNT];
    uint64_t nonroot_ns[EXIT_REASON_COUNT]; /* guest time that ended with this exit */
    uint64_t root_ns[EXIT_REASON_COUNT];    /* root time handling it */
    uint64_t since_ns;                      /* start or the last `exits reset` */
    uint64_t last_entry_ns;
    uint64_t total;                         /* exits recorded into the ring */
    bool in_root_after_exit;                /* the newest ring entry's root time runs */
    struct vmx_exit_record ring[VMX_EXIT_RING];
    /* `vmcs diff`: the current VMCS as it was when the last VM exit or VM
     * entry began, kept only while non-NULL (the monitor allocates it). */
    struct vmcs *diff_base;
    uint64_t diff_base_vmcs_ptr;
    bool diff_base_at_exit;                 /* taken at a VM exit (else an entry) */
};

struct cpu;
/* Called by vmx_vmexit / vmx_entry_failure (before the exit changes the
 * VMCS) and by vmx_vmentry (before the entry). */
void vmx_exit_stats_exit(struct cpu *cpu, uint32_t reason, uint64_t qualification,
                         uint32_t intr_info, uint64_t guest_rip);
void vmx_exit_stats_entry(struct cpu *cpu);
/* `exits reset`: counts and times restart from now (the ring stays). */
void vmx_exit_stats_reset(struct cpu *cpu);
/* Start or stop keeping the `vmcs diff` copy (cpu->vmx_keep_diff: kept
 * across the VMX state being freed and re-created). */
void vmx_exit_stats_keep_diff(struct cpu *cpu, bool on);
/* Release the copy with the VMX state (vmx_cpu_free). */
void vmx_exit_stats_free(struct cpu *cpu);

#endif

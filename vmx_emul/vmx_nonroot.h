/* Non-root operation as vmx_emul/ and the machine loop see it. The hooks
 * that cpu/ calls while cpu->vmx_nonroot are declared in
 * vmx_emul/vmx_hooks.h (included here); this header adds the ones that VM
 * entry, VM exit and the machine call. */
#ifndef TURTLES_VMX_EMUL_VMX_NONROOT_H
#define TURTLES_VMX_EMUL_VMX_NONROOT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_hooks.h"

/* INIT (reason 3) and, in wait-for-SIPI, SIPI (reason 4) in non-root
 * operation: true when one exited (the signal is consumed). In VMX root
 * operation INIT is blocked: true, and it stays pending. For any vCPU with
 * VMX state (cpu->vmx). */
bool vmx_nonroot_init_sipi(struct cpu *cpu);

/* VM entry completed (vmx_emul/vmentry.c) / VM exit starting
 * (vmx_emul/vmexit.c, before guest state is saved). */
void vmx_nonroot_entered(struct cpu *cpu);
void vmx_nonroot_leaving(struct cpu *cpu);
/* The clock timer callback of struct vmx_cpu.preemption_wake (vmx.h): the
 * halted vCPU's wake test then sees the expired timer. */
void vmx_nonroot_preemption_wake(void *opaque, uint64_t now_ns);

/* A VM exit from deep inside an access (EPT violation, APIC access):
 * exits, then unwinds the instruction through the dispatch loop's
 * exception path without delivering anything. */
_Noreturn void vmx_nonroot_exit_unwind(struct cpu *cpu, uint32_t reason, uint64_t qualification,
                                       const struct vmx_exit_info *info);

#endif

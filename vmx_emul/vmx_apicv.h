/* APIC virtualization in VMX non-root operation (SDM Vol.3C chapter 29
 * "APIC Virtualization and Virtual Interrupts"): the virtual-APIC page,
 * TPR/PPR/EOI/self-IPI virtualization, virtual-interrupt delivery (RVI/SVI),
 * the APIC-access page (flexpriority and APIC-register virtualization),
 * virtualized x2APIC MSRs and posted-interrupt processing. */
#ifndef TURTLES_VMX_EMUL_VMX_APICV_H
#define TURTLES_VMX_EMUL_VMX_APICV_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "vmx_emul/vmcs.h"
#include "vmx_emul/vmx_hooks.h"

/* The APIC-access page hooks cpu/mem.c calls (vmx_apicv_access_page,
 * vmx_apicv_mmio_read/write, vmx_apicv_fetch_exit) are in
 * vmx_emul/vmx_hooks.h. */

/* RDMSR/WRMSR of 0x800-0x8ff with "virtualize x2APIC mode" (SDM 29.5),
 * after the MSR bitmap let it through: true when virtualized (*value set
 * for reads); false: the access proceeds normally. Raises #GP for the
 * reserved-bit cases of the SDM. */
bool vmx_apicv_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *value);
bool vmx_apicv_msr_write(struct cpu *cpu, uint32_t msr, uint64_t value);

/* MOV to CR8 with "use TPR shadow" wrote VTPR: TPR virtualization (SDM
 * 29.1.2). Returns true when it made a (trap-like) VM exit. */
bool vmx_apicv_tpr_written(struct cpu *cpu);

/* VM entry with "use TPR shadow": with virtual-interrupt delivery, PPR
 * virtualization (SDM 26.3.2.5, 29.2.1); without, the TPR-threshold test
 * that may exit before the first guest instruction (SDM 26.7.7). */
void vmx_apicv_entered(struct cpu *cpu);

/* Between blocks, after the VM-exit checks: deliver a pending virtual
 * interrupt when RFLAGS.IF allows it (SDM 29.2.2). True when delivered. */
bool vmx_apicv_deliver(struct cpu *cpu, bool shadow);
/* A virtual interrupt is pending and deliverable (for halted vCPUs). */
bool vmx_apicv_pending(const struct cpu *cpu);

/* External interrupt `vector`, acknowledged on the way to a VM exit: with
 * posted-interrupt processing and the notification vector, the posted
 * interrupts are processed instead (SDM 29.6). True: no VM exit. */
bool vmx_apicv_posted(struct cpu *cpu, unsigned vector);

#endif

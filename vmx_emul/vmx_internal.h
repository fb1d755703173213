/* Shared between the files of vmx_emul/ (not for cpu/: that is vmx.h). */
#ifndef TURTLES_VMX_EMUL_VMX_INTERNAL_H
#define TURTLES_VMX_EMUL_VMX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx_emul/vmx.h"

/* SDM 30.2 "Conventions": the RFLAGS outcomes of VMX instructions. */
void vmx_succeed(struct cpu *cpu);
void vmx_fail_invalid(struct cpu *cpu);
void vmx_fail_valid(struct cpu *cpu, unsigned error);
/* VMfail: VMfailValid when the current-VMCS pointer is valid, else
 * VMfailInvalid. */
void vmx_fail(struct cpu *cpu, unsigned error);

/* VM entry for VMLAUNCH (launch) or VMRESUME (vmx_emul/vmentry.c), after
 * the instruction's own checks. */
void vmx_vmentry(struct cpu *cpu, bool launch);

/* Outcome of the VM-entry checks (vmx_emul/vmentry_checks.c). */
enum vmentry_outcome {
    VMENTRY_OK,
    VMENTRY_FAIL_CONTROL,   /* VMfailValid(7) */
    VMENTRY_FAIL_HOST,      /* VMfailValid(8) */
    VMENTRY_FAIL_GUEST,     /* exit reason 33 with *qualification */
};
/* SDM 26.2: controls, then host state. */
enum vmentry_outcome vmx_check_controls_and_host(struct cpu *cpu, const struct vmcs *v);
/* SDM 26.3.1: guest state (PDPTEs and link pointer included). */
enum vmentry_outcome vmx_check_guest_state(struct cpu *cpu, const struct vmcs *v,
                                           uint64_t *qualification);

/* An EPT pointer that VM entry, INVEPT and VMFUNC accept (SDM 26.2.1.1). */
bool vmx_eptp_valid(const struct cpu *cpu, const struct vmx_caps *caps, uint64_t eptp);

/* Allowed settings of a control word under a capability MSR (allowed-0
 * bits 31:0 must be 1, only allowed-1 bits 63:32 may be 1; SDM A.3). */
static inline bool vmx_ctls_valid(uint32_t value, uint64_t cap)
{
    return (value & (uint32_t)cap) == (uint32_t)cap && !(value & ~(uint32_t)(cap >> 32));
}

/* Instruction-information field for a memory operand (SDM 27.2.5, tables
 * 27-13 and 27-14), with reg2 (bits 31:28) when reg2 >= 0. */
struct insn;
uint32_t vmx_insn_info_mem(const struct insn *in, int reg2);

/* VM-entry failure after the controls and host state passed (SDM 26.8):
 * exit reason (with bit 31) and qualification recorded, host state loaded
 * (vmx_emul/vmexit.c). */
void vmx_entry_failure(struct cpu *cpu, uint32_t reason, uint64_t qualification);

/* One entry of a VM-entry MSR-load or host MSR-load area may be loaded
 * (SDM 26.4, 27.6): not an x2APIC MSR, FS/GS base, SMM monitor control, and
 * bits 63:32 of the first quadword clear; then WRMSR must accept it. */
bool vmx_msr_area_load_one(struct cpu *cpu, uint64_t entry_paddr);

#endif

/* TLB contexts across VM entries and exits (SDM Vol.3C 28.3 "Caching
 * Translation Information"): instead of flushing the software TLB at every
 * VM entry and exit, the root context (VPID 0) and a few non-root contexts
 * keyed by (VPID, EPTP) keep their entries while the other one runs. The
 * entries are the combined translations (guest-linear -> host pointer) of
 * cpu/mem.c; switching copies the valid ones out and back in, so the
 * lin_read/lin_write fast paths stay untouched.
 *
 * Without "enable VPID", VM entries and exits invalidate the mappings of
 * VPID 0000H, which both sides then use: nothing is kept. A context is
 * restored only under the paging state it was filled under (CR3 and the
 * permission-relevant CR0/CR4/EFER bits) and the same physical map; write
 * rights to pages that became code meanwhile are dropped on restore. */
#ifndef TURTLES_VMX_EMUL_VMX_TLB_H
#define TURTLES_VMX_EMUL_VMX_TLB_H

#include "cpu/cpu.h"

/* VM entry, before guest state replaces the root paging state. */
void vmx_tlb_save_root(struct cpu *cpu);
/* VM entry, guest state loaded: empty the TLB, refill it from the saved
 * context of this (VPID, EPTP) if there is one. */
void vmx_tlb_guest_loaded(struct cpu *cpu);
/* VM exit, before guest state is saved: keep the guest's entries. */
void vmx_tlb_save_guest(struct cpu *cpu);
/* VM exit or VM-entry failure, host state loaded: empty the TLB and refill
 * it from the root context saved at VM entry when still valid. */
void vmx_tlb_host_loaded(struct cpu *cpu);
/* INVEPT, INVVPID, VMXOFF: forget every saved non-root context (more than
 * any single type requires, which the SDM allows). */
void vmx_tlb_drop_guests(struct cpu *cpu);
void vmx_tlb_free(struct cpu *cpu);

#endif

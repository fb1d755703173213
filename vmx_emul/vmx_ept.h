/* The second dimension of the page walk in VMX non-root operation (SDM
 * Vol.3C "EPT Translation Mechanism", "EPT-Induced VM Exits"): cpu/mem.c
 * attaches an EPT walk to its paging context when the guest runs with
 * "enable EPT", folds the EPT permissions of the final translation into the
 * TLB entry it fills, and turns a refused guest-physical access into the
 * EPT-violation or EPT-misconfiguration VM exit. */
#ifndef TURTLES_VMX_EMUL_VMX_EPT_H
#define TURTLES_VMX_EMUL_VMX_EPT_H

#include <stdbool.h>

#include "cpu/cpu.h"
#include "mmu/ept.h"
#include "mmu/paging.h"

struct vmx_ept_walk {
    struct ept_hook hook;
    struct cpu *cpu;
    bool ad;               /* EPTP enables accessed/dirty flags */
    bool pml;              /* page-modification logging (needs ad) */
    unsigned final_perms;  /* EPTE_R|W|X allowed for the final access's page */
};

/* In non-root operation with EPT on: point ctx at an EPT walk kept in *w
 * and return true; otherwise leave ctx alone and return false. */
bool vmx_ept_attach(struct cpu *cpu, struct paging_ctx *ctx, struct vmx_ept_walk *w);

/* Rights a TLB entry may grant without another walk (EPTE_R|W|X), for an
 * entry filled by an access of kind PG_READ/WRITE/EXEC: with EPT A/D on, a
 * write right only when this access was a write (the walk set the dirty
 * flag), so the first write to a clean page still walks. */
unsigned vmx_ept_tlb_rights(const struct vmx_ept_walk *w, unsigned kind);

/* The walk stopped with PAGING_NESTED_FAULT: EPT violation (reason 48,
 * qualification, guest-physical and guest-linear addresses) or
 * misconfiguration (49); never returns. */
_Noreturn void vmx_ept_fault_exit(struct cpu *cpu, const struct vmx_ept_walk *w);

#endif

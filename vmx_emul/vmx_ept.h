/* The second dimension of the page walk in VMX non-root operation (SDM
 * Vol.3C "EPT Translation Mechanism", "EPT-Induced VM Exits"). What cpu/mem.c
 * calls (struct vmx_ept_walk, vmx_ept_attach, vmx_ept_tlb_rights,
 * vmx_ept_fault_exit) is declared in vmx_emul/vmx_hooks.h. */
#ifndef TURTLES_VMX_EMUL_VMX_EPT_H
#define TURTLES_VMX_EMUL_VMX_EPT_H

#include "vmx_emul/vmx_hooks.h"

#endif

/* Decoded VMCSs cached by VMCS-region physical address, written back to
 * the region on VMCLEAR, eviction and VMXOFF (SDM Vol.3C 24.11.1: the VMCS
 * data may live in the processor until VMCLEAR). */
#ifndef TURTLES_VMX_EMUL_VMCS_CACHE_H
#define TURTLES_VMX_EMUL_VMCS_CACHE_H

#include <stdint.h>

#include "vmx_emul/vmx.h"

/* Region layout in guest memory (turtles' own, stable):
 *   0  revision identifier (bit 31: shadow-VMCS indicator), software's
 *   4  VMX-abort indicator (SDM 24.2)
 *   8  VMCS_REGION_MAGIC once turtles has initialized the region
 *   12 launch state (enum vmcs_launch_state)
 *   16 one 8-byte little-endian slot per vmcs_fields[] row, in table order */
#define VMCS_REGION_MAGIC 0x434d5654u /* "TVMC" */

/* Slot holding the VMCS at paddr, or -1. */
int vmcs_cache_find(const struct vmx_cpu *v, uint64_t paddr);
/* Slot for paddr, reading the region when it is not cached (evicting the
 * least recently used slot other than the current VMCS). */
int vmcs_cache_load(struct cpu *cpu, uint64_t paddr);
/* Write a slot back to its region. */
void vmcs_cache_writeback(struct cpu *cpu, int slot);
/* VMCLEAR: write back (or initialize) the region, launch state clear, and
 * drop it from the cache. */
void vmcs_cache_clear(struct cpu *cpu, uint64_t paddr);
/* VMXOFF: write everything back and empty the cache; launched VMCSs are
 * marked so that a VMRESUME after the next VMXON fails with error 6. */
void vmcs_cache_flush_all(struct cpu *cpu);

#endif

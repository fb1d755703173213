/* The registers the gdb stub shows (frontend/gdb_regs.c): gdb's amd64
 * layout (general registers, rip, eflags, segment selectors, x87, SSE,
 * fs_base/gs_base), then k_gs_base, the control registers and EFER, and
 * the VMX level (vmx_nonroot, vmxon_ptr, vmcs_ptr, eptp), described to gdb
 * by target.xml (qXfer:features:read). */
#ifndef TURTLES_FRONTEND_GDB_REGS_H
#define TURTLES_FRONTEND_GDB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define GDB_NREGS 70

/* Bytes of register r in the g/G/p/P packets (r < GDB_NREGS). */
unsigned gdb_reg_size(int r);
/* Register r of the vCPU, little-endian, gdb_reg_size(r) bytes. */
void gdb_reg_get(struct cpu *c, int r, uint8_t *b);
/* Set register r. CR0, CR3, CR4, CR8 and EFER go through the CPU's own
 * checks: false when it would refuse the value (#GP), nothing changed.
 * The VMX level is read-only (a write is ignored). */
bool gdb_reg_set(struct cpu *c, int r, const uint8_t *b);
/* The target description and its length. */
const char *gdb_target_xml(size_t *len);
/* The registers every stop reply carries ("n:value;" pairs): the VMX
 * level and the current VMCS pointer. */
void gdb_expedited_regs(const struct cpu *c, char *out, size_t size);

#endif

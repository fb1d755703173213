/* Writes to the control registers and EFER with their architectural checks
 * and side effects (mode, TLB, decoded blocks). Shared by MOV CR, LMSW,
 * CLTS, WRMSR and, later, VM entry/exit. */
#ifndef TURTLES_CPU_CTRLREG_H
#define TURTLES_CPU_CTRLREG_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* Each returns false when the value would be refused with #GP(0); on
 * success the register is written and the derived state updated. */
bool cpu_set_cr0(struct cpu *cpu, uint64_t value);
bool cpu_set_cr3(struct cpu *cpu, uint64_t value);
bool cpu_set_cr4(struct cpu *cpu, uint64_t value);
bool cpu_set_efer(struct cpu *cpu, uint64_t value);
bool cpu_set_xcr0(struct cpu *cpu, uint64_t value);

/* CR4 bits this model lets software set (depends on the CPUID model). */
uint64_t cr4_valid_mask(const struct cpu *cpu);
/* EFER bits this model lets software set. */
uint64_t efer_valid_mask(const struct cpu *cpu);
/* XCR0 bits the model supports (x87 and SSE state only). */
#define XCR0_SUPPORTED 3ull

#endif

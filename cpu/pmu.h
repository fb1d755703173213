/* Architectural performance monitoring, version 2 (SDM Vol.3B 20.2.1,
 * 20.2.2): four general-purpose counters (IA32_PERFEVTSELx / IA32_PMCx),
 * three fixed counters (IA32_FIXED_CTR_CTRL / IA32_FIXED_CTRx) and the
 * global control, status and overflow-control MSRs.
 *
 * What counts, in turtles' time base (mmu/clock.h: an instruction takes
 * 2^icount_shift ns of machine time):
 *   - instructions retired (event C0H/00H, fixed counter 0): exactly the
 *     instructions that retire (cpu->icount; a faulting instruction or one
 *     that causes a VM exit does not retire);
 *   - unhalted core cycles (3CH/00H, fixed counter 1): the virtual core
 *     retires one instruction per core cycle, so its clock runs at the
 *     instruction rate (1 GHz at shift 0) and this equals instructions
 *     retired; a halted core does not run, so neither counts;
 *   - unhalted reference cycles (3CH/01H, fixed counter 2): ticks of the
 *     core crystal clock that CPUID.15H enumerates (PMU_REF_HZ) during the
 *     machine time those instructions took (SDM 20.2.1.2 allows the crystal,
 *     TSC or bus clock). Like the core clock this follows the instruction
 *     count even when machine time follows the host (-rtc clock=host), so
 *     that counts stay deterministic.
 * Branch, branch-miss and last-level-cache events are not counted, and
 * CPUID.0AH enumerates only the first three architectural events; any other
 * event counts 0.
 *
 * Counting is lazy: counters are brought up to date (pmu_sync) from the
 * number of instructions retired since the last update, whenever something
 * that changes what counts is about to happen (a PMU MSR write, a CPL
 * change, a VM entry/exit loading IA32_PERF_GLOBAL_CTRL), when a counter is
 * read, and at the end of a vCPU turn. The turn is shortened to end where
 * the next overflow can happen, so overflow (GLOBAL_STATUS bit, PMI through
 * the local APIC's LVT performance-counter entry) is seen at the block in
 * which it happens. With no counter enabled nothing of this runs. */
#ifndef TURTLES_CPU_PMU_H
#define TURTLES_CPU_PMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* The reference clock of unhalted reference cycles: the core crystal clock
 * (cpu/cpuid.c CRYSTAL_HZ, CPUID.15H:ECX). */
#define PMU_REF_HZ 24000000u

/* CPUID.0AH: event x is available when x < EAX[31:24] (the EBX vector
 * length) and EBX bit x is clear (SDM Vol.3B 20.2.1). Events 0-2 (core
 * cycles, instructions, reference cycles) are counted; 3-6 (LLC references
 * and misses, branches and branch mispredicts retired) are not, and they
 * are left out by the length rather than marked in EBX: Linux prints a
 * warning for every EBX bit set, and with a length below 7 it quietly
 * leaves the PMU to software events instead. */
#define PMU_EVENTS_UNAVAILABLE 0u
#define PMU_EVENT_VECTOR_LENGTH 3u

/* IA32_PERFEVTSELx fields (SDM Vol.3B figure 20-1). */
#define PMU_SEL_USR (1ull << 16)
#define PMU_SEL_OS (1ull << 17)
#define PMU_SEL_EDGE (1ull << 18)
#define PMU_SEL_PC (1ull << 19)
#define PMU_SEL_INT (1ull << 20)
#define PMU_SEL_ANY (1ull << 21)
#define PMU_SEL_EN (1ull << 22)
#define PMU_SEL_INV (1ull << 23)

/* Is msr one of the PMU's (counters, selectors, global MSRs)? */
bool pmu_msr_is_pmu(uint32_t msr);
/* RDMSR/WRMSR of a PMU MSR; false: #GP (reserved bits, read-only MSR). */
bool pmu_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *val);
bool pmu_msr_write(struct cpu *cpu, uint32_t msr, uint64_t val);
/* RDPMC's counter read (ECX bit 30 selects a fixed counter); false: ECX
 * selects no counter (#GP). The CR4.PCE/CPL check is the caller's. */
bool pmu_rdpmc(struct cpu *cpu, uint32_t ecx, uint64_t *val);
/* VM entry/exit "load IA32_PERF_GLOBAL_CTRL" (no reserved-bit check: the
 * VM-entry checks did it). */
void pmu_set_global_ctrl(struct cpu *cpu, uint64_t val);

/* Bring every counter up to date with the instructions retired so far,
 * raising overflows. */
void pmu_sync(struct cpu *cpu);

/* cpu_update_mode() after cpu->cpl may have changed: what has retired so far
 * counted at the old CPL (cpu->pmu_cpl). */
static inline void pmu_cpl_changed(struct cpu *cpu)
{
    if (cpu->pmu_enabled && cpu->cpl != cpu->pmu_cpl)
        pmu_sync(cpu);
}

/* cpu_run() start: end the turn where the next counter overflow can occur. */
static inline void pmu_turn_begin(struct cpu *cpu)
{
    if (cpu->pmu_enabled && cpu->quantum_end > cpu->pmu_overflow_icount &&
        cpu->pmu_overflow_icount > cpu->icount)
        cpu->quantum_end = cpu->pmu_overflow_icount;
}

/* cpu_run() end: count the turn, raise what overflowed in it. */
static inline void pmu_turn_end(struct cpu *cpu)
{
    if (cpu->pmu_enabled)
        pmu_sync(cpu);
}

#endif

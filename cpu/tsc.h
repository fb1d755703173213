/* The time-stamp counter: derived from the machine clock at the model's
 * stated frequency, plus the offset that WRMSR IA32_TSC sets. One definition
 * for RDTSC, RDTSCP, IA32_TSC, the TSC-deadline timer and VMX TSC offsetting. */
#ifndef TURTLES_CPU_TSC_H
#define TURTLES_CPU_TSC_H

#include <stdint.h>

struct cpu;

/* TSC ticks at time now_ns for a given frequency (no offset). */
uint64_t tsc_at(uint64_t now_ns, uint64_t tsc_hz);
/* Machine nanoseconds at which the un-offset TSC reaches `tsc` (rounded up). */
uint64_t tsc_to_ns(uint64_t tsc, uint64_t tsc_hz);
/* Machine time the vCPU's current turn has taken so far (0 between turns
 * and with a realtime clock): struct clock's turn_elapsed_ns hook, with
 * the running struct cpu as opaque. */
uint64_t cpu_turn_elapsed_ns(void *opaque);
/* The vCPU's TSC as RDTSC in VMX root would read it. */
uint64_t cpu_tsc(const struct cpu *cpu);
/* The machine time (clock ns) at which cpu_tsc() reaches `tsc` while the
 * vCPU does not run; the clock's present time if it already has. */
uint64_t cpu_tsc_deadline_ns(const struct cpu *cpu, uint64_t tsc);
void cpu_set_tsc(struct cpu *cpu, uint64_t value);

#endif

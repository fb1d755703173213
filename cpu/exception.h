/* Raising exceptions from inside an instruction handler: the handler's work
 * is abandoned (it must not have committed state before the fault), RIP still
 * points at the faulting instruction, and the dispatch loop delivers the
 * event (cpu/interrupt.c). */
#ifndef TURTLES_CPU_EXCEPTION_H
#define TURTLES_CPU_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* The exception to deliver after the longjmp. */
struct pending_exception {
    int vector;           /* -1: none */
    bool has_error;
    uint32_t error_code;
};

_Noreturn void cpu_raise(struct cpu *cpu, unsigned vector, uint32_t error_code);
_Noreturn void cpu_raise_noerr(struct cpu *cpu, unsigned vector);

static inline _Noreturn void raise_ud(struct cpu *cpu) { cpu_raise_noerr(cpu, EXC_UD); }
static inline _Noreturn void raise_gp(struct cpu *cpu, uint32_t e) { cpu_raise(cpu, EXC_GP, e); }
static inline _Noreturn void raise_ss(struct cpu *cpu, uint32_t e) { cpu_raise(cpu, EXC_SS, e); }
static inline _Noreturn void raise_np(struct cpu *cpu, uint32_t e) { cpu_raise(cpu, EXC_NP, e); }
static inline _Noreturn void raise_ts(struct cpu *cpu, uint32_t e) { cpu_raise(cpu, EXC_TS, e); }
static inline _Noreturn void raise_de(struct cpu *cpu) { cpu_raise_noerr(cpu, EXC_DE); }
static inline _Noreturn void raise_nm(struct cpu *cpu) { cpu_raise_noerr(cpu, EXC_NM); }

/* Whether the vector pushes an error code when raised as an exception
 * (SDM Vol.3A table 6-1). */
static inline bool exception_has_error(unsigned v)
{
    return v == EXC_DF || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP ||
           v == EXC_PF || v == EXC_AC || v == 21 /* #CP */;
}

/* Deliver an event through the IDT/IVT in the current mode (cpu/interrupt.c).
 * For software interrupts, next_rip is the return address; otherwise the
 * return address is cpu->rip (faults) or cpu->next_rip (traps) as the caller
 * decides by passing it. Handles #DF/triple-fault escalation. */
void cpu_deliver_event(struct cpu *cpu, unsigned vector, enum event_type type, bool has_error,
                       uint32_t error_code, uint64_t return_rip);

/* Between blocks: take a pending NMI or external interrupt if allowed. */
void cpu_check_interrupts(struct cpu *cpu);

/* Whether a halted CPU would be woken now: an unblocked NMI, or INTR from
 * cpu->intr_pending or the local APIC while IF=1. For the machine loop. */
bool cpu_wakeable(struct cpu *cpu);

/* Whether an idle vCPU (halted and not wakeable, or waiting for SIPI) could
 * be woken by an event that has not arrived yet, while no vCPU runs:
 * nmi_or_init_source says whether some device or LVT entry could still
 * deliver an NMI or INIT, maskable_source whether a maskable interrupt
 * could still reach this vCPU (an unmasked LVT timer, or a path from the
 * PIC, I/O APIC or HPET that is not masked). False means it sleeps forever.
 * Conservative: every open path counts, armed or not. */
bool cpu_may_wake_later(struct cpu *cpu, bool nmi_or_init_source, bool maskable_source);

#endif

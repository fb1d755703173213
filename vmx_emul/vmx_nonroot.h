/* The hooks cpu/ calls in VMX non-root operation (cpu->vmx_nonroot): each
 * asks "does L1 want this?" (vmx_emul/vmx_intercept.h) and, if so, makes
 * the VM exit with its qualification, instruction length and information
 * (SDM Vol.3C 27.2). Handlers call them as
 *     if (cpu->vmx_nonroot && vmx_nonroot_cpuid(cpu, in)) return;
 * A true answer means the VM exit happened (the vCPU is in root operation
 * at the host RIP) or, for virtualized accesses, that the hook did the
 * instruction's work: the handler returns at once. Call them after the
 * instruction's own #UD and CPL checks, which have priority over VM exits
 * (SDM 25.1.1), and before any state changes. */
#ifndef TURTLES_VMX_EMUL_VMX_NONROOT_H
#define TURTLES_VMX_EMUL_VMX_NONROOT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "vmx_emul/vmx.h"

/* Instructions whose exit has no qualification: CPUID, GETSEC, INVD,
 * XSETBV, HLT, RDPMC, RDTSC, RDTSCP, MWAIT, MONITOR, WBINVD (reason from
 * enum vmx_exit_reason). */
bool vmx_nonroot_insn(struct cpu *cpu, const struct insn *in, unsigned reason);
/* PAUSE: PAUSE exiting, or PAUSE-loop exiting at CPL 0. */
bool vmx_nonroot_pause(struct cpu *cpu, const struct insn *in);
/* RDRAND/RDSEED into register in->rm with operand size opsize. */
bool vmx_nonroot_rdrand(struct cpu *cpu, const struct insn *in, unsigned reason,
                        unsigned opsize);
/* IN/OUT/INS/OUTS (direction, string, REP and immediate-port form come from
 * the opcode), after the IOPL/TSS-bitmap checks. */
bool vmx_nonroot_io(struct cpu *cpu, const struct insn *in, uint16_t port, unsigned size);
/* RDMSR/WRMSR of ECX. */
bool vmx_nonroot_msr(struct cpu *cpu, const struct insn *in, bool write);
/* MOV to CR (value read from GPR gpr). Also virtualizes CR8 through the
 * virtual-APIC page with "use TPR shadow" (SDM 29.3), TPR-below-threshold
 * exit included. */
bool vmx_nonroot_cr_write(struct cpu *cpu, const struct insn *in, unsigned cr, uint64_t value,
                          unsigned gpr);
/* MOV from CR into GPR gpr: CR3/CR8-store exiting, CR8 from the virtual
 * TPR with "use TPR shadow". */
bool vmx_nonroot_cr_read(struct cpu *cpu, const struct insn *in, unsigned cr, unsigned gpr);
/* CR0/CR4 as the guest reads them (read shadows), and the value a MOV to
 * CR0/CR4 that did not exit loads (L1-owned bits unchanged), SDM 25.3.
 * Identity for other registers. */
uint64_t vmx_nonroot_cr_view(const struct cpu *cpu, unsigned cr, uint64_t real);
uint64_t vmx_nonroot_cr_merge(const struct cpu *cpu, unsigned cr, uint64_t value);
bool vmx_nonroot_clts(struct cpu *cpu, const struct insn *in);
/* LMSW with its 16-bit source (lin: the memory operand's linear address). */
bool vmx_nonroot_lmsw(struct cpu *cpu, const struct insn *in, uint16_t source, uint64_t lin);
/* MOV to/from DR in->reg with GPR in->rm. */
bool vmx_nonroot_mov_dr(struct cpu *cpu, const struct insn *in, bool from_dr);
bool vmx_nonroot_invlpg(struct cpu *cpu, const struct insn *in, uint64_t lin);
bool vmx_nonroot_invpcid(struct cpu *cpu, const struct insn *in);
/* SGDT/SIDT/LGDT/LIDT (reason GDTR_IDTR) and SLDT/STR/LLDT/LTR
 * (LDTR_TR); identity 0-3 in that order (SDM 27.2.5 tables 27-10/11). */
bool vmx_nonroot_desc_table(struct cpu *cpu, const struct insn *in, unsigned reason,
                            unsigned identity);
/* RDTSC/RDTSCP/IA32_TSC value in non-root: with TSC offsetting, plus the
 * VMCS TSC offset (SDM 25.3). */
uint64_t vmx_nonroot_tsc(const struct cpu *cpu, uint64_t tsc);

/* Event delivery (cpu/interrupt.c cpu_deliver_event): an exception that
 * the exception bitmap takes becomes a VM exit (reason 0) instead of being
 * delivered, with IDT-vectoring information when it arose while delivering
 * another event. Returns true when it exited. */
bool vmx_nonroot_event(struct cpu *cpu, unsigned vector, enum event_type type, bool has_error,
                       uint32_t error_code, uint64_t return_rip);
/* A #DB trap (pending-debug-exceptions layout: B3-B0, bit 12, BS) is due
 * after a guest instruction: true when an MTF VM exit, which comes first,
 * is due too; the trap then waits in the pending debug exceptions that
 * the exit saves. */
bool vmx_nonroot_debug_trap(struct cpu *cpu, uint32_t pending);
/* A triple fault in non-root operation exits with reason 2 (SDM 25.2). */
void vmx_nonroot_triple_fault(struct cpu *cpu);
/* Between blocks (cpu_check_interrupts): preemption-timer expiry, NMI
 * exiting, NMI-window and interrupt-window exiting, external-interrupt
 * exiting with acknowledge-on-exit. True when a VM exit happened. */
bool vmx_nonroot_events(struct cpu *cpu);
/* A halted non-root vCPU has something that vmx_nonroot_events would turn
 * into a VM exit (for the machine loop's wake-up test). */
bool vmx_nonroot_wakeable(struct cpu *cpu);
/* A halted non-root vCPU that is not wakeable now will be or may be later
 * whatever its RFLAGS.IF: the VMX-preemption timer runs, or an external
 * interrupt would exit (external-interrupt exiting, SDM 25.2). */
bool vmx_nonroot_may_wake_later(struct cpu *cpu);
/* INIT (reason 3) and, in wait-for-SIPI, SIPI (reason 4) in non-root
 * operation: true when one exited (the signal is consumed). In VMX root
 * operation INIT is blocked: true, and it stays pending. For any vCPU with
 * VMX state (cpu->vmx). */
bool vmx_nonroot_init_sipi(struct cpu *cpu);
/* Task switches exit unconditionally (SDM 25.1.2, reason 9); ts_reason is
 * enum task_switch_reason. Does not return in non-root operation. */
void vmx_nonroot_task_switch(struct cpu *cpu, uint16_t sel, unsigned ts_reason);
/* IRET in non-root: NMI unblocking under NMI exiting / virtual NMIs (SDM
 * 25.3), done by _begin before anything in the IRET can fault (it holds
 * even when IRET faults); _end once the IRET completed. Between the two a
 * VM exit records "NMI unblocking due to IRET". */
void vmx_nonroot_iret_begin(struct cpu *cpu);
void vmx_nonroot_iret_end(struct cpu *cpu);
/* cpu_translate is about to set CR2 for a #PF in non-root operation. */
void vmx_nonroot_note_pf(struct cpu *cpu);

/* VM entry completed (vmx_emul/vmentry.c) / VM exit starting
 * (vmx_emul/vmexit.c, before guest state is saved). */
void vmx_nonroot_entered(struct cpu *cpu);
/* RDPID in non-root: #UD unless "enable RDTSCP" (does not return then). */
void vmx_nonroot_rdpid(struct cpu *cpu);
/* The clock timer callback of struct vmx_cpu.preemption_wake (vmx.h): the
 * halted vCPU's wake test then sees the expired timer. */
void vmx_nonroot_preemption_wake(void *opaque, uint64_t now_ns);
void vmx_nonroot_leaving(struct cpu *cpu);

/* A VM exit from deep inside an access (EPT violation): exits, then
 * unwinds the instruction through the dispatch loop's exception path
 * without delivering anything. */
/* After a hook returned true inside a helper whose caller would still
 * commit a result (IN's register write): leave the instruction now. */
_Noreturn void vmx_nonroot_unwind(struct cpu *cpu);
_Noreturn void vmx_nonroot_exit_unwind(struct cpu *cpu, uint32_t reason, uint64_t qualification,
                                       const struct vmx_exit_info *info);

#endif

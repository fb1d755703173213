/* The one header through which cpu/ reaches vmx_emul/ (DESIGN.md: cpu/ sees
 * VMX only through a narrow hook interface; tests/boot/layers.sh enforces
 * it). It exports only what the CPU calls: the non-root hooks, the CR0/CR4
 * fixed-bit checks, the VMX MSR entry points, APIC virtualization of the
 * APIC-access page and the EPT dimension of the page walk. The VMX state
 * itself (struct vmx_cpu, the VMCS) stays opaque here: vmx_emul/vmx.h.
 *
 * The non-root hooks (called while cpu->vmx_nonroot) each ask "does L1 want
 * this?" (vmx_emul/vmx_intercept.h) and, if so, make the VM exit with its
 * qualification, instruction length and information (SDM Vol.3C 27.2).
 * Handlers call them as
 *     if (cpu->vmx_nonroot && vmx_nonroot_io(cpu, in, port, size)) return;
 * (the exits that need no operand are the opcode table's exit column,
 * applied by cpu/row_intercept.c).
 * A true answer means the VM exit happened (the vCPU is in root operation
 * at the host RIP) or, for virtualized accesses, that the hook did the
 * instruction's work: the handler returns at once. Call them after the
 * instruction's own #UD and CPL checks, which have priority over VM exits
 * (SDM 25.1.1), and before any state changes. */
#ifndef TURTLES_VMX_EMUL_VMX_HOOKS_H
#define TURTLES_VMX_EMUL_VMX_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/ept.h"
#include "mmu/paging.h"

struct cpu;
struct insn;
struct vmx_cpu;
struct vmx_exit_info;

/* Basic exit reasons (SDM Vol.3C Appendix C). */
enum vmx_exit_reason {
    EXIT_REASON_EXCEPTION_NMI = 0,
    EXIT_REASON_EXTERNAL_INTERRUPT = 1,
    EXIT_REASON_TRIPLE_FAULT = 2,
    EXIT_REASON_INIT_SIGNAL = 3,
    EXIT_REASON_SIPI_SIGNAL = 4,
    EXIT_REASON_IO_SMI = 5,
    EXIT_REASON_OTHER_SMI = 6,
    EXIT_REASON_INTERRUPT_WINDOW = 7,
    EXIT_REASON_NMI_WINDOW = 8,
    EXIT_REASON_TASK_SWITCH = 9,
    EXIT_REASON_CPUID = 10,
    EXIT_REASON_GETSEC = 11,
    EXIT_REASON_HLT = 12,
    EXIT_REASON_INVD = 13,
    EXIT_REASON_INVLPG = 14,
    EXIT_REASON_RDPMC = 15,
    EXIT_REASON_RDTSC = 16,
    EXIT_REASON_RSM = 17,
    EXIT_REASON_VMCALL = 18,
    EXIT_REASON_VMCLEAR = 19,
    EXIT_REASON_VMLAUNCH = 20,
    EXIT_REASON_VMPTRLD = 21,
    EXIT_REASON_VMPTRST = 22,
    EXIT_REASON_VMREAD = 23,
    EXIT_REASON_VMRESUME = 24,
    EXIT_REASON_VMWRITE = 25,
    EXIT_REASON_VMXOFF = 26,
    EXIT_REASON_VMXON = 27,
    EXIT_REASON_CR_ACCESS = 28,
    EXIT_REASON_DR_ACCESS = 29,
    EXIT_REASON_IO_INSTRUCTION = 30,
    EXIT_REASON_MSR_READ = 31,
    EXIT_REASON_MSR_WRITE = 32,
    EXIT_REASON_INVALID_STATE = 33,
    EXIT_REASON_MSR_LOAD_FAIL = 34,
    EXIT_REASON_MWAIT = 36,
    EXIT_REASON_MONITOR_TRAP_FLAG = 37,
    EXIT_REASON_MONITOR = 39,
    EXIT_REASON_PAUSE = 40,
    EXIT_REASON_MCE_DURING_VMENTRY = 41,
    EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
    EXIT_REASON_APIC_ACCESS = 44,
    EXIT_REASON_EOI_INDUCED = 45,
    EXIT_REASON_GDTR_IDTR = 46,
    EXIT_REASON_LDTR_TR = 47,
    EXIT_REASON_EPT_VIOLATION = 48,
    EXIT_REASON_EPT_MISCONFIG = 49,
    EXIT_REASON_INVEPT = 50,
    EXIT_REASON_RDTSCP = 51,
    EXIT_REASON_PREEMPTION_TIMER = 52,
    EXIT_REASON_INVVPID = 53,
    EXIT_REASON_WBINVD = 54,
    EXIT_REASON_XSETBV = 55,
    EXIT_REASON_APIC_WRITE = 56,
    EXIT_REASON_RDRAND = 57,
    EXIT_REASON_INVPCID = 58,
    EXIT_REASON_VMFUNC = 59,
    EXIT_REASON_ENCLS = 60,
    EXIT_REASON_RDSEED = 61,
    EXIT_REASON_PML_FULL = 62,
    EXIT_REASON_XSAVES = 63,
    EXIT_REASON_XRSTORS = 64,
    EXIT_REASON_COUNT = 80
};
/* Exit-reason field bits (SDM 24.9.1). */
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)


/* ---- Life cycle, CR0/CR4 fixed bits, MSRs ---- */

/* Free the vCPU's VMX state (cpu->vmx), if any. */
void vmx_cpu_free(struct cpu *cpu);

/* SDM 23.8: in VMX operation a MOV to CR0/CR4 that would give a FIXED0 bit
 * the value 0 or a FIXED1 bit the value 1 raises #GP(0); in non-root
 * operation with "unrestricted guest", CR0.PE and CR0.PG are free (SDM
 * 25.3). For cpu/ctrlreg.c: refuse the write when these return false. */
bool vmx_cr0_value_ok(const struct cpu *cpu, uint64_t cr0);
bool vmx_cr4_value_ok(const struct cpu *cpu, uint64_t cr4);

/* Capability MSRs 0x480-0x491 as vmx_emul/ sees them. vmx_msr_read returns
 * false when the MSR is absent (#GP). */
bool vmx_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *value);
bool vmx_msr_is_vmx_cap(uint32_t msr);

/* ---- Instruction intercepts in non-root operation ---- */

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
/* RDPID in non-root: #UD unless "enable RDTSCP" (does not return then). */
void vmx_nonroot_rdpid(struct cpu *cpu);
/* Task switches exit unconditionally (SDM 25.1.2, reason 9); ts_reason is
 * enum task_switch_reason. Does not return in non-root operation. */
void vmx_nonroot_task_switch(struct cpu *cpu, uint16_t sel, unsigned ts_reason);
/* IRET in non-root: NMI unblocking under NMI exiting / virtual NMIs (SDM
 * 25.3), done by _begin before anything in the IRET can fault (it holds
 * even when IRET faults); _end once the IRET completed. Between the two a
 * VM exit records "NMI unblocking due to IRET". */
void vmx_nonroot_iret_begin(struct cpu *cpu);
void vmx_nonroot_iret_end(struct cpu *cpu);
/* After a hook returned true inside a helper whose caller would still
 * commit a result (IN's register write): leave the instruction now. */
_Noreturn void vmx_nonroot_unwind(struct cpu *cpu);

/* ---- Events ---- */

/* Event delivery (cpu/interrupt.c cpu_deliver_event): an exception that
 * the exception bitmap takes becomes a VM exit (reason 0) instead of being
 * delivered, with IDT-vectoring information when it arose while delivering
 * another event. type is enum event_type (cpu/cpu.h). Returns true when it
 * exited. */
bool vmx_nonroot_event(struct cpu *cpu, unsigned vector, unsigned type, bool has_error,
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

/* ---- Memory: the APIC-access page and EPT (cpu/mem.c) ---- */

/* cpu_translate is about to set CR2 for a #PF in non-root operation. */
void vmx_nonroot_note_pf(struct cpu *cpu);

/* The physical page paddr is the APIC-access page of a non-root guest
 * with "virtualize APIC accesses" (cpu/mem.c keeps it out of the TLB and
 * sends its accesses here). */
bool vmx_apicv_access_page(const struct cpu *cpu, uint64_t paddr);
/* A linear read/write of `size` bytes at `offset` in the APIC-access page
 * (SDM 29.4): virtualized, or an APIC-access VM exit (reason 44,
 * fault-like: does not return), or for writes that need it an APIC-write
 * exit after the instruction (reason 56, trap-like). */
uint64_t vmx_apicv_mmio_read(struct cpu *cpu, uint32_t offset, unsigned size);
void vmx_apicv_mmio_write(struct cpu *cpu, uint32_t offset, uint64_t value, unsigned size);
/* An instruction fetch from the APIC-access page at paddr: the
 * APIC-access VM exit (SDM 29.4.1; does not return). */
_Noreturn void vmx_apicv_fetch_exit(struct cpu *cpu, uint64_t paddr);

/* The second dimension of the page walk (SDM "EPT Translation Mechanism",
 * "EPT-Induced VM Exits"): cpu/mem.c attaches an EPT walk to its paging
 * context when the guest runs with "enable EPT", folds the EPT permissions
 * of the final translation into the TLB entry it fills, and turns a refused
 * guest-physical access into the EPT-violation or EPT-misconfiguration VM
 * exit. The walk lives on the caller's stack, hence the full struct. */
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

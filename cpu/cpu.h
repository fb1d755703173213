/* The state of one virtual CPU. Everything a snapshot needs is plain data in
 * this struct (the few pointers are wiring that the machine re-creates). */
#ifndef TURTLES_CPU_CPU_H
#define TURTLES_CPU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "mmu/arch_bits.h"
#include "mmu/clock.h"
#include "mmu/physmem.h"
#include "mmu/tlb.h"

/* General registers in encoding order. */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI, R_R8, R_R9, R_R10, R_R11, R_R12,
       R_R13, R_R14, R_R15 };
/* Segment registers in encoding order (Sreg field of ModRM). */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NONE = 7 };

/* RFLAGS bits (SDM Vol.1 3.4.3). */
#define F_CF (1u << 0)
#define F_PF (1u << 2)
#define F_AF (1u << 4)
#define F_ZF (1u << 6)
#define F_SF (1u << 7)
#define F_TF (1u << 8)
#define F_IF (1u << 9)
#define F_DF (1u << 10)
#define F_OF (1u << 11)
#define F_IOPL (3u << 12)
#define F_NT (1u << 14)
#define F_RF (1u << 16)
#define F_VM (1u << 17)
#define F_AC (1u << 18)
#define F_VIF (1u << 19)
#define F_VIP (1u << 20)
#define F_ID (1u << 21)
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* CR0/CR4/EFER bits: mmu/arch_bits.h (the page walker reads them too). */

/* Exception vectors. */
enum { EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6,
       EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13,
       EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19, EXC_VE = 20 };

/* Segment attributes use the VMCS access-rights layout (SDM Vol.3C 24.4.1):
 * type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16. */
#define SEG_TYPE(a) ((a) & 0xf)
#define SEG_S (1u << 4)
#define SEG_DPL(a) (((a) >> 5) & 3)
#define SEG_P (1u << 7)
#define SEG_AVL (1u << 12)
#define SEG_L (1u << 13)
#define SEG_DB (1u << 14)
#define SEG_G (1u << 15)
#define SEG_UNUSABLE (1u << 16)

struct segment {
    uint64_t base;
    uint32_t limit;  /* byte-granular (already scaled by G) */
    uint32_t attr;
    uint16_t sel;
};

struct dtable {
    uint64_t base;
    uint32_t limit;
};

/* Execution modes; the decoder's default sizes follow from mode and CS.D. */
enum cpu_mode { MODE_REAL, MODE_V86, MODE_PROT, MODE_COMPAT, MODE_LONG };

/* Event types as in the VMX interruption-information field (SDM 24.8.3). */
enum event_type { EV_EXTINT = 0, EV_NMI = 2, EV_HWEXC = 3, EV_SWINT = 4, EV_PRIVSW = 5,
                  EV_SWEXC = 6 };

struct x87_reg { uint64_t mant; uint16_t sign_exp; };

struct fpu_state {
    struct x87_reg st[8]; /* physical registers R0..R7 */
    uint16_t fcw, fsw, ftw; /* ftw: full 2-bit-per-register tag word */
    uint16_t fop;
    uint64_t fip, fdp;
    uint16_t fcs, fds;
};

typedef union {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
} xmm_t;

struct vmx_cpu; /* vmx_emul/ owns it */
struct lapic;   /* cpu/lapic.h */
struct cpu;

/* The machine wires these; the CPU does not know which device answers. */
struct cpu_bus {
    struct physmem *mem;
    struct clock *clock;
    void *opaque;
    uint32_t (*io_in)(void *opaque, uint16_t port, unsigned size);
    void (*io_out)(void *opaque, uint16_t port, uint32_t value, unsigned size);
    /* A20 gate: when false, physical address bit 20 is forced to 0. */
    bool *a20;
};

struct block; /* cpu/block_cache.h */

struct cpu {
    /* --- architectural state --- */
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    struct segment seg[6];
    struct segment ldtr, tr;
    struct dtable gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t xcr0;
    uint64_t dr[8];
    uint64_t efer;
    /* PAE paging's four PDPTE registers (SDM Vol.3A 4.4.1): loaded by MOV to
     * CR0/CR3/CR4, task switches, VM entry and VM exit, never re-read by the
     * page walk. Until the first load (pdpte_valid false) the walk reads the
     * PDPT at CR3. */
    uint64_t pdpte[4];
    bool pdpte_valid;
    /* CPL 3 with CR0.AM=1 and RFLAGS.AC=1 (SDM Vol.3A 6.15): data accesses
     * check alignment, so the user half of the TLB gets no read/write tags
     * and every access takes the slow path. Kept by cpu_update_ac_check(). */
    bool ac_check;

    /* MSRs kept as a store (SDM Vol.4). */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat, tsc_aux, apic_base, misc_enable, feature_control;
    uint64_t mtrr_cap, mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
    uint64_t debugctl, spec_ctrl, mcg_status, mcg_cap;
    uint64_t perf_global_ctrl;
    int64_t tsc_offset; /* TSC = clock-derived count + tsc_offset */
    /* More of the MSR store (cpu/msr.c). */
    uint64_t perf_global_status, fixed_ctr_ctrl;
    uint64_t perfevtsel[4], pmc[4], fixed_ctr[3];
    /* Lazy counting state of cpu/pmu.c: the instructions retired when the
     * counters were last brought up to date, the CPL they counted at, the
     * crystal-clock fraction (ns * PMU_REF_HZ mod 1e9, scaled) not yet a
     * reference cycle, and the instruction count at which the next
     * overflow can happen (UINT64_MAX: none). pmu_enabled: some counter is
     * enabled at some CPL (derived; false costs nothing). */
    uint64_t pmu_sync_icount, pmu_overflow_icount, pmu_ref_frac;
    uint8_t pmu_cpl;
    bool pmu_enabled;
    uint64_t mc_bank[10][4];   /* MCi_CTL, STATUS, ADDR, MISC for 10 banks */
    uint64_t mc_ctl2[10];      /* MCi_CTL2: CMCI enable and threshold (MCG_CAP.CMCI_P) */
    uint64_t mcg_ctl;
    uint64_t tsc_adjust;
    /* Last-branch records of the model (32 entries, Skylake layout): kept
     * as a store, nothing is recorded (Linux writes them for this model). */
    uint64_t lbr_from[32], lbr_to[32], lbr_info[32];
    uint64_t lbr_select, lbr_tos, offcore_rsp[2];

    struct fpu_state fpu;
    xmm_t xmm[16];
    uint32_t mxcsr;

    /* --- derived / micro-architectural state --- */
    uint8_t cpl;
    uint8_t mode;        /* enum cpu_mode */
    uint8_t code_size;   /* 2, 4 or 8: default operand/address size of CS */
    uint8_t stack_size;  /* 2, 4 or 8: SS.B / 64-bit */
    bool halted;
    bool shutdown;       /* triple fault reached (outside VMX non-root) */
    bool wait_for_sipi;
    bool nmi_pending, nmi_blocked;
    bool smi_pending;
    bool init_pending;
    uint8_t sipi_vector;
    bool sipi_pending;
    /* Interrupt shadow after STI / MOV SS / POP SS (SDM Vol.3A 6.8.3): the
     * RIP at which the shadow ends. */
    bool irq_shadow;
    /* The shadow came from MOV SS/POP SS ("blocking by MOV SS", which also
     * holds debug traps) rather than from STI (SDM Vol.3C 24.4.2). */
    bool irq_shadow_movss;
    uint64_t irq_shadow_rip;
    /* Set by cpu/lapic.c while its IRR is empty and no ExtINT is asserted:
     * no maskable interrupt can be pending from the local APIC, so the
     * dispatch loop skips the interrupt check — only when the APIC is the
     * only INTR source (cpu->intr_pending NULL). False (always check)
     * without a local APIC. Derived state: a restored machine recomputes it
     * from the local APIC. */
    bool intr_idle;
    /* Source of maskable external interrupts when there is no local APIC
     * (unit tests, a PIC-only machine): intr_pending says whether INTR is
     * asserted; intr_ack is the INTA cycle and returns the vector (or -1
     * when the request went away). NULL: cpu/interrupt.c asks cpu->lapic. */
    bool (*intr_pending)(struct cpu *cpu);
    int (*intr_ack)(struct cpu *cpu);

    /* Exception in flight while delivering another (double-fault rules,
     * SDM Vol.3A 6.15 table 6-5); -1 when none. */
    int delivering_vector;

    /* Dispatch loop state. */
    uint64_t next_rip;   /* set before each handler: rip + insn length */
    bool stop_block;     /* leave the current block after this instruction */
    uint64_t icount;     /* retired instructions */
    uint64_t quantum_end;/* icount at which this vCPU's turn ends */
    uint64_t turn_start_icount; /* icount when cpu_run() began (cpu/tsc.c) */
    /* Events this turn that retired no instruction (an exception or VM exit
     * unwinding one, an instruction-breakpoint #DB): each costs a unit of
     * the turn, so a guest whose handlers fault forever still lets time,
     * devices and the other vCPUs run. */
    uint64_t turn_events;
    /* The same over the vCPU's life, plus the machine's idle steps that the
     * machine loop adds (what -turtles-max-insns counts besides icount). */
    uint64_t events_total;
    jmp_buf exc_jmp;     /* exceptions unwind to the dispatch loop */
    const struct block *cur_block;
    bool single_step;    /* monitor single-step: one instruction per block */

    struct tlb tlb;
    struct cpu_bus bus;
    struct lapic *lapic;
    struct vmx_cpu *vmx;
    bool vmx_nonroot;    /* running a VMX guest */
    bool vmx_off;        /* -cpu NAME,vmx=off: hide VMX although the model has it */
    /* Debug logging (-d): LOG_* bits (cpu/log.h) and the
     * FILE * they go to (NULL: stderr); the frontend sets both. */
    uint32_t log_mask;
    void *log_file;
    uint64_t log_exec_from;  /* -d exec logs blocks from this instruction count on */
    /* -turtles-undefined random: after each instruction the flags the SDM
     * leaves undefined (cpu/flags_table.h) get bits of this xorshift state. */
    bool undefined_random;
    uint64_t undefined_rng;
    int index;           /* vCPU number */
    struct block_cache *blocks; /* shared by all vCPUs of a machine */
    struct cpu **peers;         /* all vCPUs of the machine, for TLB shootdown of code pages */
    int npeers;
    /* Exception raised inside a handler, delivered by the dispatch loop. */
    int exc_vector;             /* -1: none */
    bool exc_has_error;
    uint32_t exc_error;
    const struct insn *cur_insn;
    /* Per-block hook for breakpoints/single-step (monitor, gdb stub): the
     * loop calls it before running a block when non-NULL. Returning true
     * stops the run. */
    bool (*debug_hook)(struct cpu *cpu);
    /* Called by vmx_emul after each VM exit (the basic exit reason, bit 31
     * for a VM-entry failure) and each VM entry (~0u) when non-NULL: the
     * monitor's `until vmexit|vmentry|exit REASON` stop points. NULL (one
     * test on the exit/entry path) while nobody waits for one. */
    void (*vmx_transition_hook)(struct cpu *cpu, uint32_t exit_reason);

    /* Debug architecture (cpu/debug.h, SDM Vol.3B 18.2-18.3). dbg_flags:
     * DBG_ARM_* kinds of breakpoint that DR7 enables, and DBG_F_* (dbg_trap
     * or dbg_held non-zero), one byte that the dispatch loop and the TLB
     * test so that they pay nothing while it is 0. dbg_trap: #DB
     * trap conditions met by the current instruction; dbg_held: those held
     * by MOV SS/POP SS blocking until after the next instruction; both in
     * the VMX pending-debug-exceptions layout (B3-B0, bit 12 enabled
     * breakpoint, bit 14 BS). dbg_event: DR6 bits of the #DB being
     * delivered (DBG_EVENT_VALID set), for DR6 or the VM-exit
     * qualification. */
    uint8_t dbg_flags;
    uint32_t dbg_trap, dbg_held, dbg_event;

    /* CPUID model (cpu/cpuid.h). */
    const struct cpu_model *model;
};

/* Recompute mode/cpl/code_size/stack_size after CR0, EFER, CS, SS or RFLAGS.VM change. */
void cpu_update_mode(struct cpu *cpu);

/* Recompute cpu->ac_check after CR0.AM, RFLAGS.AC or CPL may have changed
 * (cpu_update_mode calls it; so must anything that changes RFLAGS.AC
 * without it, such as POPF) or after the TLB was reloaded. */
void cpu_update_ac_check(struct cpu *cpu);

/* Put the CPU in its power-on state (SDM Vol.3A 9.1.1, table 9-1). */
void cpu_reset(struct cpu *cpu, bool init_only);

/* Run until the instruction count plus cpu->turn_events reaches
 * cpu->quantum_end (exactly: a block that would cross it is cut short), the
 * CPU halts or shuts down. Returns the instructions
 * executed plus the events that retired none (the turn's length in the
 * machine clock's units). */
uint64_t cpu_run(struct cpu *cpu);

/* -turtles-undefined random: from now on cpu_run() replaces the flags each
 * instruction leaves undefined (flags_undefined(), cpu/flags_table.h) with
 * pseudo-random bits drawn from a xorshift state started at seed. */
void cpu_set_undefined_random(struct cpu *cpu, uint64_t seed);

#endif

/* What the gdb stub and the monitor share: pausing every vCPU, single
 * steps, breakpoints (with the monitor's root/non-root/VMCS conditions),
 * the VM exit/entry stop points, `run N` and `wait SECONDS`, and the
 * reason of the last stop. The machine loop asks it between rounds of
 * quanta; while the machine is paused it serves gdb and the monitor until
 * one of them resumes it.
 *
 * Cost: with no breakpoint, step or stop point pending no vCPU has a
 * debug hook or a VMX transition hook installed (the dispatch loop and
 * vmx_emul test a NULL pointer), and the machine loop calls
 * debugger_round() once per round, which returns at its first test. */
#ifndef TURTLES_FRONTEND_DEBUGGER_H
#define TURTLES_FRONTEND_DEBUGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "frontend/machine.h"

struct cpu;
struct gdbstub;
struct monitor;

#define DBG_MAX_BP 64

enum dbg_stop_kind {
    DBG_STOP_NONE,
    DBG_STOP_START,   /* -S */
    DBG_STOP_USER,    /* the monitor's stop, gdb's Ctrl-C or attach */
    DBG_STOP_BREAK,
    DBG_STOP_STEP,
    DBG_STOP_VMEXIT,
    DBG_STOP_VMENTRY,
    DBG_STOP_FINISH,
    DBG_STOP_RUN,     /* run N done */
    DBG_STOP_WAIT,    /* wait SECONDS done */
    DBG_STOP_WATCH,
};

/* Who must be in which VMX level for a breakpoint to stop. */
enum dbg_cond { DBG_COND_ANY, DBG_COND_ROOT, DBG_COND_NONROOT, DBG_COND_VMCS };

struct dbg_breakpoint {
    int id;             /* the monitor's number (info break, delete N) */
    uint64_t addr;      /* linear address of the instruction */
    enum dbg_cond cond;
    uint64_t vmcs;      /* DBG_COND_VMCS: the current-VMCS pointer it needs */
    bool from_gdb;      /* set by gdb's Z0/Z1 (removed by z0/z1) */
    uint64_t hits;
};

/* What `until` (and n, finish) waits for. */
enum dbg_until {
    UNTIL_NONE,
    UNTIL_VMEXIT,       /* any VM exit (or VM-entry failure) */
    UNTIL_VMENTRY,      /* any successful VM entry */
    UNTIL_EXIT_REASON,  /* a VM exit with this basic reason */
    UNTIL_FINISH,       /* a return that leaves the current frame */
    UNTIL_OVER,         /* `n` over a call: back at until_addr with the stack at finish_rsp */
};

struct debugger {
    struct machine *m;
    struct gdbstub *gdb;
    struct monitor *mon;

    bool paused;        /* no vCPU runs; gdb and the monitor are served */
    bool stop_pending;  /* a hook asked every vCPU to stop */
    int stop_cpu;
    enum dbg_stop_kind stop_kind;
    char stop_why[96];  /* the end of the stop line: "breakpoint 1", "VM exit cpuid (10)" */

    /* Single step: steps_left more instructions on step_cpu. */
    bool stepping;
    int step_cpu;
    uint64_t steps_left;
    uint64_t step_icount, step_rip;
    uint16_t step_cs;
    /* Called before each stepped instruction runs (the monitor prints it). */
    void (*step_trace)(void *opaque, struct cpu *c);
    void *step_opaque;

    struct dbg_breakpoint bp[DBG_MAX_BP];
    int nbp;
    int next_bp_id;

    enum dbg_until until;
    int until_cpu;          /* -1: any vCPU */
    uint32_t until_reason;
    uint64_t finish_rsp;
    uint64_t until_addr;
    bool finish_after_ret;  /* the instruction just run on until_cpu was a return */

    /* run N: stop when run_cpu's icount reaches run_target. */
    bool run_limit;
    int run_cpu;
    uint64_t run_target;
    /* wait SECONDS: stop at this host time (CLOCK_MONOTONIC). */
    bool wait_set;
    struct timespec wait_deadline;
    unsigned rounds;

    /* Where each vCPU was when the machine resumed: a breakpoint at that
     * very place does not fire again before the instruction runs. */
    uint64_t resume_icount[MACHINE_MAX_CPUS], resume_pc[MACHINE_MAX_CPUS];
};

struct debugger *debugger_new(struct machine *m, bool start_paused);
void debugger_free(struct debugger *d);

/* ---- the machine loop ---- */
/* Before each round: announces a stop, looks at gdb and the monitor, and
 * while paused serves them until one resumes the machine. Returns true
 * when the machine must quit (gdb's kill); the exit status is set. */
bool debugger_round(struct debugger *d);
/* True when a hook asked every vCPU to stop: the round ends early. */
static inline bool debugger_stop_pending(const struct debugger *d)
{
    return d && d->stop_pending;
}
/* After cpu_run(): a step that ended where the dispatch loop does not
 * call the debug hook again (HLT, shutdown), and `run N`'s end. */
void debugger_after_run(struct debugger *d, int cpu_index);
/* The turn budget of vCPU c, cut so that `run N` ends exactly. */
uint64_t debugger_budget(const struct debugger *d, const struct cpu *c, uint64_t budget);

/* ---- commands (gdb stub, monitor) ---- */
/* Stop every vCPU now (the machine is between rounds): kind and why are
 * what the stop line says. */
void debugger_pause(struct debugger *d, int cpu, enum dbg_stop_kind kind, const char *why);
/* Resume: nothing pending, or a step of `steps` instructions on cpu. */
void debugger_resume(struct debugger *d);
void debugger_step(struct debugger *d, int cpu, uint64_t steps);
void debugger_until(struct debugger *d, enum dbg_until until, int cpu, uint32_t reason);
/* `n` over a call: run until cpu is at linear address addr with RSP at
 * least rsp (the call returned). */
void debugger_step_over(struct debugger *d, int cpu, uint64_t addr, uint64_t rsp);
void debugger_run_insns(struct debugger *d, int cpu, uint64_t n);
void debugger_wait(struct debugger *d, double seconds);
/* Breakpoints: add returns the new breakpoint or NULL when the table is
 * full; delete by the monitor's id or by gdb's address. */
struct dbg_breakpoint *debugger_break_add(struct debugger *d, uint64_t addr, enum dbg_cond cond,
                                          uint64_t vmcs, bool from_gdb);
bool debugger_break_delete(struct debugger *d, int id);
bool debugger_break_delete_gdb(struct debugger *d, uint64_t addr);
/* Recompute which vCPUs need the per-block hook (after a change). */
void debugger_update_hooks(struct debugger *d);

/* ---- looking at a vCPU ---- */
/* The linear address of the next instruction (CS base + RIP outside long mode). */
uint64_t debugger_linear_pc(const struct cpu *c);
/* Read or write guest memory by linear address as the kernel would
 * (any CPL, writes allowed to read-only pages, as a debugger writes
 * code). False when a page is not mapped. */
bool debugger_mem_xfer(struct cpu *c, uint64_t addr, uint8_t *buf, size_t len, bool write);
/* "real", "V86", "protected", "compat", "long". */
const char *debugger_mode_name(const struct cpu *c);
/* The one stop line: vCPU, level and VMCS, mode, CS:RIP, instruction, why. */
void debugger_stop_line(struct debugger *d, int cpu, const char *why, char *out, size_t size);

#endif

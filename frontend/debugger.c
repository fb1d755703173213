#define _POSIX_C_SOURCE 200809L
/* Execution control shared by the gdb stub and the monitor (see
 * debugger.h). */
#include "frontend/debugger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "frontend/disas.h"
#include "frontend/gdbstub.h"
#include "frontend/monitor_loop.h"
#include "frontend/monitor_watch.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

/* How often (rounds) a running machine looks at the host clock for `wait`. */
#define WAIT_CHECK_EVERY 8

/* ---- looking at a vCPU ---- */

uint64_t debugger_linear_pc(const struct cpu *c)
{
    if (c->mode == MODE_LONG)
        return c->rip;
    return (c->seg[S_CS].base + c->rip) & 0xffffffffull;
}

bool debugger_mem_xfer(struct cpu *c, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t lin = addr + i, pa;
        if (c->mode != MODE_LONG)
            lin &= 0xffffffffull;
        if (write) {
            if (!cpu_translate_noexc(c, lin, ACC_WRITE | ACC_SUPER, &pa) &&
                !cpu_translate_noexc(c, lin, ACC_READ | ACC_SUPER, &pa))
                return false;
            physmem_write(c->bus.mem, pa, buf[i], 1);
        } else {
            if (!cpu_translate_noexc(c, lin, ACC_READ | ACC_SUPER, &pa))
                return false;
            buf[i] = (uint8_t)physmem_read(c->bus.mem, pa, 1);
        }
    }
    return true;
}

const char *debugger_mode_name(const struct cpu *c)
{
    switch (c->mode) {
    case MODE_REAL: return "real";
    case MODE_V86: return "V86";
    case MODE_PROT: return "protected";
    case MODE_COMPAT: return "compat";
    case MODE_LONG: return "long";
    default: return "?";
    }
}

void debugger_stop_line(struct debugger *d, int cpu, const char *why, char *out, size_t size)
{
    struct cpu *c = &d->m->cpus[cpu];
    char level[96];
    const struct vmcs *v = c->vmx ? vmx_current_vmcs(c) : NULL;
    if (c->vmx && c->vmx->vmxon && v) {
        int n = snprintf(level, sizeof(level), "%s vmcs=%#llx", c->vmx_nonroot ? "non-root" : "root",
                         (unsigned long long)c->vmx->current_vmcs_ptr);
        if (c->vmx_nonroot && vmx_ctl_ept(v) && n > 0 && (size_t)n < sizeof(level))
            snprintf(level + n, sizeof(level) - (size_t)n, " eptp=%#llx",
                     (unsigned long long)v->ept_pointer);
    } else {
        snprintf(level, sizeof(level), "root vmcs=none");
    }
    char insn[96];
    disas_one(c, debugger_linear_pc(c), insn, sizeof(insn));
    snprintf(out, size, "stopped: cpu%d %s %s %04x:%016llx %s -- %s", cpu, level,
             debugger_mode_name(c), c->seg[S_CS].sel, (unsigned long long)c->rip, insn, why);
}

/* ---- hooks ---- */

static void request_stop(struct debugger *d, int cpu, enum dbg_stop_kind kind, const char *why)
{
    if (d->stop_pending)
        return;
    d->stop_pending = true;
    d->stop_cpu = cpu;
    d->stop_kind = kind;
    d->stop_watch_kind = NULL;
    snprintf(d->stop_why, sizeof(d->stop_why), "%s", why);
}

static bool step_done(const struct debugger *d, const struct cpu *c)
{
    /* An instruction retired, or an exception moved RIP without one. */
    return c->icount != d->step_icount || c->rip != d->step_rip ||
           c->seg[S_CS].sel != d->step_cs;
}

static void arm_step(struct debugger *d, const struct cpu *c)
{
    d->step_icount = c->icount;
    d->step_rip = c->rip;
    d->step_cs = c->seg[S_CS].sel;
}

static bool cond_holds(const struct dbg_breakpoint *b, const struct cpu *c)
{
    switch (b->cond) {
    case DBG_COND_ROOT: return !c->vmx_nonroot;
    case DBG_COND_NONROOT: return c->vmx_nonroot;
    case DBG_COND_VMCS: return c->vmx && c->vmx->current_vmcs_ptr == b->vmcs;
    default: return true;
    }
}

static bool breakpoint_on_page(const struct debugger *d, uint64_t page)
{
    for (int i = 0; i < d->nbp; i++)
        if ((d->bp[i].addr & ~0xfffull) == page)
            return true;
    return false;
}

/* A near or far return (C3, C2, CB, CA) after any prefixes: what
 * `finish` waits for. */
static bool at_return(struct cpu *c)
{
    uint8_t b[15];
    size_t n = 0;
    while (n < sizeof(b) && debugger_mem_xfer(c, debugger_linear_pc(c) + n, b + n, 1, false)) {
        uint8_t x = b[n];
        bool prefix = x == 0x66 || x == 0x67 || x == 0xf2 || x == 0xf3 || x == 0xf0 ||
                      x == 0x2e || x == 0x36 || x == 0x3e || x == 0x26 || x == 0x64 ||
                      x == 0x65 || (c->mode == MODE_LONG && (x & 0xf0) == 0x40);
        if (!prefix)
            return x == 0xc3 || x == 0xc2 || x == 0xcb || x == 0xca;
        n++;
    }
    return false;
}

/* The vCPU's last instruction met a watchpoint (cpu/debug.h), whoever
 * set it (gdb or the monitor): stop, the access done, with the watchpoint
 * in the stop line and gdb's stop-reply word. */
static void watch_stop(struct debugger *d, struct cpu *c)
{
    int i = c->watch_hit - 1;
    c->watch_hit = 0;
    if (d->stop_pending || i < 0 || (unsigned)i >= d->m->watches.n)
        return;
    const struct debug_watch *w = &d->m->watches.w[i];
    char why[96];
    monitor_watch_describe(w, c->watch_hit_access, why, sizeof(why));
    request_stop(d, c->index, DBG_STOP_WATCH, why);
    /* gdb hears of its own watchpoints; one of the monitor's is a plain
     * SIGTRAP to it (gdb resumes silently at a watch address it never
     * set). */
    if (w->owner != WATCH_BY_GDB)
        return;
    unsigned rw = w->kind & DEBUG_WATCH_RW;
    d->stop_watch_kind = rw == DEBUG_WATCH_WRITE  ? "watch"
                         : rw == DEBUG_WATCH_READ ? "rwatch"
                                                  : "awatch";
    d->stop_watch_addr = w->addr;
}

/* Called before every block of a vCPU while something is pending. A
 * block never runs past the end of the linear page it starts on, so only
 * a block starting on a page that holds a breakpoint needs to be one
 * instruction long (cpu->single_step) for each of its instruction
 * addresses to pass here; elsewhere cached blocks run at full speed. */
static bool debug_hook(struct cpu *c)
{
    struct machine *m = c->bus.opaque;
    struct debugger *d = m->dbg;
    if (d->stop_pending)
        return true;
    if (c->watch_hit) {
        watch_stop(d, c);
        return true;
    }
    bool stepping = d->stepping && c->index == d->step_cpu;
    if (stepping && step_done(d, c)) {
        if (--d->steps_left == 0) {
            request_stop(d, c->index, DBG_STOP_STEP, "step");
            return true;
        }
        arm_step(d, c);
        if (d->step_trace)
            d->step_trace(d->step_opaque, c);
    }
    bool finishing = d->until == UNTIL_FINISH && c->index == d->until_cpu;
    if (finishing) {
        if (d->finish_after_ret && c->gpr[4] > d->finish_rsp) {
            request_stop(d, c->index, DBG_STOP_FINISH, "returned (finish)");
            return true;
        }
        d->finish_after_ret = at_return(c);
    }
    bool over = d->until == UNTIL_OVER && c->index == d->until_cpu;
    if (over && debugger_linear_pc(c) == d->until_addr && c->gpr[4] >= d->finish_rsp) {
        request_stop(d, c->index, DBG_STOP_STEP, "step over (n)");
        return true;
    }
    if (d->nbp || over) {
        uint64_t pc = debugger_linear_pc(c);
        bool resumed_here = c->icount == d->resume_icount[c->index] &&
                            pc == d->resume_pc[c->index];
        for (int i = 0; i < d->nbp && !resumed_here; i++) {
            struct dbg_breakpoint *b = &d->bp[i];
            if (b->addr == pc && cond_holds(b, c)) {
                b->hits++;
                char why[48];
                snprintf(why, sizeof(why), "breakpoint %d", b->id);
                request_stop(d, c->index, DBG_STOP_BREAK, why);
                return true;
            }
        }
        c->single_step = stepping || finishing || breakpoint_on_page(d, pc & ~0xfffull) ||
                         (over && (d->until_addr & ~0xfffull) == (pc & ~0xfffull));
    }
    return false;
}

static void end_turn(struct cpu *c);

/* Called by vmx_emul after each VM exit (exit_reason) and VM entry (~0u). */
static void vmx_transition_hook(struct cpu *c, uint32_t exit_reason)
{
    struct machine *m = c->bus.opaque;
    struct debugger *d = m->dbg;
    if (d->until_cpu >= 0 && c->index != d->until_cpu)
        return;
    bool entry = exit_reason == ~0u;
    char why[80];
    if (entry) {
        if (d->until != UNTIL_VMENTRY)
            return;
        snprintf(why, sizeof(why), "VM entry");
        request_stop(d, c->index, DBG_STOP_VMENTRY, why);
        end_turn(c);
        return;
    }
    unsigned basic = exit_reason & 0xffff;
    if (d->until == UNTIL_VMEXIT ||
        (d->until == UNTIL_EXIT_REASON && basic == d->until_reason)) {
        snprintf(why, sizeof(why), "%s %s (%u)",
                 (exit_reason & EXIT_REASON_ENTRY_FAILURE) ? "VM-entry failure" : "VM exit",
                 vmx_exit_reason_name(basic), basic);
        request_stop(d, c->index, DBG_STOP_VMEXIT, why);
        end_turn(c);
    }
}

/* A stop asked for from inside cpu_run() by the VMX hook: the vCPU's turn
 * ends at the next block boundary (no per-block hook is installed for the
 * VMX stop points, so that the guest runs at full speed until then). */
static void end_turn(struct cpu *c)
{
    c->quantum_end = 0;
    c->stop_block = true;
}

void debugger_update_hooks(struct debugger *d)
{
    bool until_vmx = d->until == UNTIL_VMEXIT || d->until == UNTIL_VMENTRY ||
                     d->until == UNTIL_EXIT_REASON;
    for (int i = 0; i < d->m->ncpus; i++) {
        struct cpu *c = &d->m->cpus[i];
        bool stepping = d->stepping && d->step_cpu == i;
        bool finishing = d->until == UNTIL_FINISH && d->until_cpu == i;
        bool over = d->until == UNTIL_OVER && d->until_cpu == i;
        bool per_insn = d->nbp > 0 || stepping || finishing || over;
        c->single_step = per_insn;
        /* Every vCPU gets the block hook while a step or breakpoint is
         * pending: a stop that one vCPU asks for ends the others' turns
         * too. The VMX stop points need none (end_turn). */
        bool hook = per_insn || (d->until != UNTIL_NONE && !until_vmx) || d->stepping ||
                    d->m->watches.n;
        c->debug_hook = hook ? debug_hook : NULL;
        c->vmx_transition_hook = until_vmx ? vmx_transition_hook : NULL;
    }
}

/* ---- commands ---- */

static void clear_pending(struct debugger *d)
{
    d->stepping = false;
    d->steps_left = 0;
    d->until = UNTIL_NONE;
    d->until_cpu = -1;
    d->finish_after_ret = false;
    d->run_limit = false;
    d->wait_set = false;
}

void debugger_pause(struct debugger *d, int cpu, enum dbg_stop_kind kind, const char *why)
{
    request_stop(d, cpu, kind, why);
}

void debugger_resume(struct debugger *d)
{
    for (int i = 0; i < d->m->ncpus; i++) {
        d->resume_icount[i] = d->m->cpus[i].icount;
        d->resume_pc[i] = debugger_linear_pc(&d->m->cpus[i]);
    }
    d->paused = false;
    d->stop_pending = false;
    debugger_update_hooks(d);
}

void debugger_step(struct debugger *d, int cpu, uint64_t steps)
{
    struct cpu *c = &d->m->cpus[cpu];
    d->stepping = steps > 0;
    d->step_cpu = cpu;
    d->steps_left = steps;
    arm_step(d, c);
    /* A halted vCPU that is stepped runs on (QEMU does the same). */
    c->halted = false;
    if (d->step_trace)
        d->step_trace(d->step_opaque, c);
    debugger_resume(d);
}

void debugger_until(struct debugger *d, enum dbg_until until, int cpu, uint32_t reason)
{
    d->until = until;
    d->until_cpu = cpu;
    d->until_reason = reason;
    d->finish_after_ret = false;
    if (until == UNTIL_FINISH)
        d->finish_rsp = d->m->cpus[cpu].gpr[4];
    debugger_resume(d);
}

void debugger_step_over(struct debugger *d, int cpu, uint64_t addr, uint64_t rsp)
{
    d->until_addr = addr;
    d->until = UNTIL_OVER;
    d->until_cpu = cpu;
    d->finish_rsp = rsp;
    debugger_resume(d);
}

void debugger_run_insns(struct debugger *d, int cpu, uint64_t n)
{
    d->run_limit = true;
    d->run_cpu = cpu;
    d->run_target = d->m->cpus[cpu].icount + n;
    debugger_resume(d);
}

void debugger_wait(struct debugger *d, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, &d->wait_deadline);
    double whole = (double)(long long)seconds;
    d->wait_deadline.tv_sec += (time_t)whole;
    d->wait_deadline.tv_nsec += (long)((seconds - whole) * 1e9);
    if (d->wait_deadline.tv_nsec >= 1000000000L) {
        d->wait_deadline.tv_sec++;
        d->wait_deadline.tv_nsec -= 1000000000L;
    }
    d->wait_set = true;
    debugger_resume(d);
}

struct dbg_breakpoint *debugger_break_add(struct debugger *d, uint64_t addr, enum dbg_cond cond,
                                          uint64_t vmcs, bool from_gdb)
{
    if (d->nbp == DBG_MAX_BP)
        return NULL;
    struct dbg_breakpoint *b = &d->bp[d->nbp++];
    *b = (struct dbg_breakpoint){.id = ++d->next_bp_id, .addr = addr, .cond = cond,
                                 .vmcs = vmcs, .from_gdb = from_gdb};
    debugger_update_hooks(d);
    return b;
}

static void remove_at(struct debugger *d, int i)
{
    memmove(&d->bp[i], &d->bp[i + 1], (size_t)(d->nbp - i - 1) * sizeof(d->bp[0]));
    d->nbp--;
    debugger_update_hooks(d);
}

bool debugger_break_delete(struct debugger *d, int id)
{
    for (int i = 0; i < d->nbp; i++) {
        if (d->bp[i].id == id) {
            remove_at(d, i);
            return true;
        }
    }
    return false;
}

bool debugger_break_delete_gdb(struct debugger *d, uint64_t addr)
{
    for (int i = 0; i < d->nbp; i++) {
        if (d->bp[i].from_gdb && d->bp[i].addr == addr) {
            remove_at(d, i);
            return true;
        }
    }
    return false;
}

/* ---- the machine loop ---- */

uint64_t debugger_budget(const struct debugger *d, const struct cpu *c, uint64_t budget)
{
    if (!d || !d->run_limit || c->index != d->run_cpu)
        return budget;
    uint64_t left = d->run_target > c->icount ? d->run_target - c->icount : 0;
    return left < budget ? left : budget;
}

void debugger_after_run(struct debugger *d, int cpu_index)
{
    if (!d || d->stop_pending)
        return;
    struct cpu *c = &d->m->cpus[cpu_index];
    /* A watched access at the end of the turn: stop before the next
     * turn's interrupt check could move the vCPU elsewhere. */
    if (c->watch_hit) {
        watch_stop(d, c);
        return;
    }
    if (d->run_limit && cpu_index == d->run_cpu && c->icount >= d->run_target) {
        char why[64];
        snprintf(why, sizeof(why), "ran the instructions asked for (run)");
        request_stop(d, cpu_index, DBG_STOP_RUN, why);
        return;
    }
    if (d->stepping && cpu_index == d->step_cpu && (c->halted || c->shutdown) && step_done(d, c))
        request_stop(d, cpu_index, DBG_STOP_STEP, c->halted ? "step (halted)" : "step (shutdown)");
}

static bool wait_over(const struct debugger *d)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->wait_deadline.tv_sec ||
           (now.tv_sec == d->wait_deadline.tv_sec && now.tv_nsec >= d->wait_deadline.tv_nsec);
}

static void announce(struct debugger *d)
{
    char line[256];
    debugger_stop_line(d, d->stop_cpu, d->stop_why, line, sizeof(line));
    if (d->gdb)
        gdbstub_announce_stop(d->gdb);
    if (d->mon) {
        monitor_select_cpu(d->mon, d->stop_cpu);
        monitor_announce_stop(d->mon, line);
    }
}

bool debugger_round(struct debugger *d)
{
    struct machine *m = d->m;
    if (!d->paused && !d->stop_pending) {
        if (d->wait_set && ++d->rounds % WAIT_CHECK_EVERY == 0 && wait_over(d))
            request_stop(d, d->mon ? monitor_cpu_index(d->mon) : 0, DBG_STOP_WAIT,
                         "waited (wait)");
        if (d->gdb)
            gdbstub_poll_running(d->gdb);
        if (d->mon)
            monitor_poll_running(d->mon);
        if (!d->stop_pending)
            return false;
    }
    if (d->stop_pending) {
        d->stop_pending = false;
        d->paused = true;
        clear_pending(d);
        debugger_update_hooks(d);
        announce(d);
    }
    while (d->paused && m->stop == STOP_NONE) {
        /* A window stays alive while paused (redraw, close): the waits
         * below are one display frame then. */
        if (machine_display_tick(m, true))
            return true;
        int frame = m->display ? 16 : 200;
        int shared = frame < 50 ? frame : 50;
        bool alive = false;
        if (d->gdb) {
            /* A script's next line does not wait for gdb. */
            int slice = d->mon && monitor_can_resume(d->mon)
                            ? (monitor_has_script(d->mon) ? 0 : shared)
                            : frame;
            if (gdbstub_serve_paused(d->gdb, slice)) {
                machine_request_stop(m, STOP_USER_QUIT, EXIT_GDB_KILL, "killed by gdb");
                return true;
            }
            alive = true;
            if (!d->paused || m->stop != STOP_NONE)
                break;
        }
        if (d->mon && monitor_serve_paused(d->mon, d->gdb ? shared : frame))
            alive = true;
        if (!alive) {
            /* Nobody is left who could resume the machine. */
            machine_request_stop(m, STOP_USER_QUIT, 0,
                                 "the monitor's input ended with the machine stopped");
            return true;
        }
    }
    return false;
}

struct debugger *debugger_new(struct machine *m, bool start_paused)
{
    struct debugger *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->m = m;
    d->until_cpu = -1;
    if (start_paused) {
        d->stop_pending = true;
        d->stop_kind = DBG_STOP_START;
        snprintf(d->stop_why, sizeof(d->stop_why), "%s",
                 m->opt.gdb_wait ? "start (-S)" : "start");
    }
    return d;
}

void debugger_free(struct debugger *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->m->ncpus; i++) {
        d->m->cpus[i].debug_hook = NULL;
        d->m->cpus[i].single_step = false;
        d->m->cpus[i].vmx_transition_hook = NULL;
    }
    free(d);
}

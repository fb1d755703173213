/* The monitor's execution control (see monitor.h): cont, stop, s, n,
 * finish, until, break/delete/info break, vcpu, run, wait, quit,
 * system_reset, system_powerdown. Each command that resumes the machine
 * returns at once; the machine loop prints the stop line when it stops
 * again (and a script reads its next line only then). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu/cpu.h"
#include "frontend/debugger.h"
#include "frontend/disas.h"
#include "frontend/machine.h"
#include "frontend/monitor.h"
#include "frontend/monitor_loop.h"
#include "frontend/platform.h"
#include "vmx_emul/vmx.h"

/* `s N`, `run N`: more than this is a typo, not a plan. */
#define MAX_STEPS 1000000ull
#define MAX_WAIT_SECONDS 86400.0

static struct debugger *dbg(struct monitor *mon)
{
    return monitor_machine(mon)->dbg;
}

static bool no_args(struct monitor *mon, const char *cmd, int argc)
{
    if (argc == 0)
        return true;
    monitor_error(mon, "%s takes no arguments", cmd);
    return false;
}

/* An optional count argument (default 1, at most max). */
static bool count_arg(struct monitor *mon, const char *cmd, int argc, char **argv, uint64_t max,
                      uint64_t *out)
{
    *out = 1;
    if (argc > 1) {
        monitor_error(mon, "%s takes one count at most", cmd);
        return false;
    }
    if (argc == 1 && (!monitor_parse_number(mon, argv[0], out) || *out == 0 || *out > max)) {
        monitor_error(mon, "%s: '%s' is not a count from 1 to %llu", cmd, argv[0],
                      (unsigned long long)max);
        return false;
    }
    return true;
}

/* ---- resuming ---- */

static int run_cont(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "cont", argc))
        return -1;
    if (!dbg(mon)->paused) {
        monitor_error(mon, "the machine is already running");
        return -1;
    }
    debugger_resume(dbg(mon));
    return 0;
}

static int run_stop(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "stop", argc))
        return -1;
    if (dbg(mon)->paused)
        return 0; /* already stopped: nothing to do, as in QEMU */
    debugger_pause(dbg(mon), monitor_cpu_index(mon), DBG_STOP_USER, "stop (monitor)");
    return 0;
}

/* Each stepped instruction, before it runs. */
static void trace_step(void *opaque, struct cpu *c)
{
    struct monitor *mon = opaque;
    char insn[96];
    disas_one(c, debugger_linear_pc(c), insn, sizeof(insn));
    monitor_printf(mon, "  cpu%d %s %04x:%016llx  %s\n", c->index,
                   c->vmx_nonroot ? "non-root" : "root", c->seg[S_CS].sel,
                   (unsigned long long)c->rip, insn);
}

static int run_step(struct monitor *mon, int argc, char **argv)
{
    uint64_t n;
    if (!count_arg(mon, "s", argc, argv, MAX_STEPS, &n))
        return -1;
    struct debugger *d = dbg(mon);
    d->step_trace = trace_step;
    d->step_opaque = mon;
    debugger_step(d, monitor_cpu_index(mon), n);
    return 0;
}

static int run_next(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "n", argc))
        return -1;
    struct cpu *c = monitor_cpu(mon);
    char insn[96];
    uint64_t pc = debugger_linear_pc(c);
    unsigned len = disas_one(c, pc, insn, sizeof(insn));
    struct debugger *d = dbg(mon);
    if (len && !strncmp(insn, "call", 4)) {
        /* Over the call: on at the next instruction, once the stack is
         * back where it is now (a recursive call passing by does not count). */
        d->step_trace = NULL;
        trace_step(mon, c);
        debugger_step_over(d, monitor_cpu_index(mon), pc + len, c->gpr[4]);
        return 0;
    }
    d->step_trace = trace_step;
    d->step_opaque = mon;
    debugger_step(d, monitor_cpu_index(mon), 1);
    return 0;
}

static int run_finish(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "finish", argc))
        return -1;
    debugger_until(dbg(mon), UNTIL_FINISH, monitor_cpu_index(mon), 0);
    return 0;
}

/* SDM Vol.3C Appendix C names (as vmx_exit_reason_name spells them, in any
 * case, '-' for '_'), a few short names people type, or a number. */
static bool parse_exit_reason(struct monitor *mon, const char *s, uint32_t *out)
{
    static const struct { const char *alias; uint32_t reason; } aliases[] = {
        {"io", EXIT_REASON_IO_INSTRUCTION}, {"rdmsr", EXIT_REASON_MSR_READ},
        {"wrmsr", EXIT_REASON_MSR_WRITE},   {"cr", EXIT_REASON_CR_ACCESS},
        {"dr", EXIT_REASON_DR_ACCESS},      {"exception", EXIT_REASON_EXCEPTION_NMI},
        {"nmi", EXIT_REASON_EXCEPTION_NMI}, {"interrupt", EXIT_REASON_EXTERNAL_INTERRUPT},
        {"extint", EXIT_REASON_EXTERNAL_INTERRUPT}, {"ept", EXIT_REASON_EPT_VIOLATION},
        {"invalid_state", EXIT_REASON_INVALID_STATE},
    };
    uint64_t n;
    if (monitor_parse_number(mon, s, &n)) {
        if (n > 0xffff)
            return false;
        *out = (uint32_t)n;
        return true;
    }
    char norm[40];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof(norm); i++)
        norm[i] = s[i] == '-' ? '_' : (char)tolower((unsigned char)s[i]);
    norm[i] = '\0';
    for (size_t k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++) {
        if (!strcmp(norm, aliases[k].alias)) {
            *out = aliases[k].reason;
            return true;
        }
    }
    for (uint32_t r = 0; r < 128; r++) {
        const char *name = vmx_exit_reason_name(r);
        if (strcmp(name, "?") && !strcasecmp(name, norm)) {
            *out = r;
            return true;
        }
    }
    return false;
}

static int run_until(struct monitor *mon, int argc, char **argv)
{
    struct debugger *d = dbg(mon);
    struct cpu *c = monitor_cpu(mon);
    if (argc == 1 && !strcmp(argv[0], "vmexit")) {
        debugger_until(d, UNTIL_VMEXIT, -1, 0);
        return 0;
    }
    if (argc == 1 && !strcmp(argv[0], "vmentry")) {
        debugger_until(d, UNTIL_VMENTRY, -1, 0);
        return 0;
    }
    if (argc == 1 && (!strcmp(argv[0], "nonroot") || !strcasecmp(argv[0], "L2") ||
                      !strcmp(argv[0], "non-root"))) {
        if (c->vmx_nonroot) {
            monitor_error(mon, "cpu%d is in non-root already", monitor_cpu_index(mon));
            return -1;
        }
        debugger_until(d, UNTIL_VMENTRY, monitor_cpu_index(mon), 0);
        return 0;
    }
    if (argc == 1 && (!strcmp(argv[0], "root") || !strcasecmp(argv[0], "L1"))) {
        if (!c->vmx_nonroot) {
            monitor_error(mon, "cpu%d is in root already", monitor_cpu_index(mon));
            return -1;
        }
        debugger_until(d, UNTIL_VMEXIT, monitor_cpu_index(mon), 0);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[0], "exit")) {
        uint32_t reason;
        if (!parse_exit_reason(mon, argv[1], &reason)) {
            monitor_error(mon, "until exit: unknown exit reason '%s' (an SDM name such as "
                          "cpuid, ept_violation, io, or a number)", argv[1]);
            return -1;
        }
        debugger_until(d, UNTIL_EXIT_REASON, -1, reason);
        return 0;
    }
    monitor_error(mon, "usage: until vmexit|vmentry|nonroot|root|exit REASON");
    return -1;
}

static int run_run(struct monitor *mon, int argc, char **argv)
{
    uint64_t n;
    if (argc != 1) {
        monitor_error(mon, "usage: run N (instructions)");
        return -1;
    }
    if (!monitor_parse_number(mon, argv[0], &n) || n == 0) {
        monitor_error(mon, "run: '%s' is not a count of instructions", argv[0]);
        return -1;
    }
    debugger_run_insns(dbg(mon), monitor_cpu_index(mon), n);
    return 0;
}

static int run_wait(struct monitor *mon, int argc, char **argv)
{
    if (argc != 1) {
        monitor_error(mon, "usage: wait SECONDS");
        return -1;
    }
    char *end;
    double s = strtod(argv[0], &end);
    if (*end || !(s > 0) || s > MAX_WAIT_SECONDS) {
        monitor_error(mon, "wait: '%s' is not a number of seconds from 0 to %.0f", argv[0],
                      MAX_WAIT_SECONDS);
        return -1;
    }
    debugger_wait(dbg(mon), s);
    return 0;
}

/* ---- breakpoints ---- */

static const char *cond_text(const struct dbg_breakpoint *b, char *buf, size_t size)
{
    switch (b->cond) {
    case DBG_COND_ROOT: return " if root";
    case DBG_COND_NONROOT: return " if nonroot";
    case DBG_COND_VMCS:
        snprintf(buf, size, " if vmcs==%#llx", (unsigned long long)b->vmcs);
        return buf;
    default: return "";
    }
}

static int run_break(struct monitor *mon, int argc, char **argv)
{
    uint64_t addr, vmcs = 0;
    enum dbg_cond cond = DBG_COND_ANY;
    if (argc < 1 || !monitor_parse_number(mon, argv[0], &addr)) {
        monitor_error(mon, "usage: break ADDR [if nonroot|root|vmcs==ADDR]");
        return -1;
    }
    if (argc > 1) {
        /* "vmcs==X", or "vmcs == X" as three words. */
        char joined[128] = "";
        for (int i = 2; i < argc; i++) {
            size_t len = strlen(joined);
            snprintf(joined + len, sizeof(joined) - len, "%s", argv[i]);
        }
        if (strcmp(argv[1], "if") || argc < 3) {
            monitor_error(mon, "break: expected 'if nonroot|root|vmcs==ADDR' after the address");
            return -1;
        }
        if (!strcmp(joined, "nonroot") || !strcasecmp(joined, "L2") ||
            !strcmp(joined, "non-root")) {
            cond = DBG_COND_NONROOT;
        } else if (!strcmp(joined, "root") || !strcasecmp(joined, "L1")) {
            cond = DBG_COND_ROOT;
        } else if (!strncmp(joined, "vmcs==", 6) && monitor_parse_number(mon, joined + 6, &vmcs)) {
            cond = DBG_COND_VMCS;
        } else {
            monitor_error(mon, "break: unknown condition '%s' (nonroot, root or vmcs==ADDR)",
                          joined);
            return -1;
        }
    }
    struct dbg_breakpoint *b = debugger_break_add(dbg(mon), addr, cond, vmcs, false);
    if (!b) {
        monitor_error(mon, "break: all %d breakpoints are in use", DBG_MAX_BP);
        return -1;
    }
    char buf[48];
    monitor_printf(mon, "breakpoint %d at %#llx%s\n", b->id, (unsigned long long)addr,
                   cond_text(b, buf, sizeof(buf)));
    return 0;
}

static int run_delete(struct monitor *mon, int argc, char **argv)
{
    struct debugger *d = dbg(mon);
    if (argc == 0 || (argc == 1 && !strcmp(argv[0], "all"))) {
        for (int i = d->nbp - 1; i >= 0; i--)
            if (!d->bp[i].from_gdb)
                debugger_break_delete(d, d->bp[i].id);
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        uint64_t id;
        if (!monitor_parse_number(mon, argv[i], &id) || id > 0x7fffffff ||
            !debugger_break_delete(d, (int)id)) {
            monitor_error(mon, "delete: no breakpoint '%s' (info break lists them)", argv[i]);
            return -1;
        }
    }
    return 0;
}

static int run_info_break(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "info break", argc))
        return -1;
    struct debugger *d = dbg(mon);
    if (d->nbp == 0) {
        monitor_printf(mon, "no breakpoints\n");
        return 0;
    }
    for (int i = 0; i < d->nbp; i++) {
        const struct dbg_breakpoint *b = &d->bp[i];
        char buf[48];
        monitor_printf(mon, "%-3d %#018llx%s hits=%llu%s\n", b->id, (unsigned long long)b->addr,
                       cond_text(b, buf, sizeof(buf)), (unsigned long long)b->hits,
                       b->from_gdb ? " (gdb)" : "");
    }
    return 0;
}

/* ---- the machine ---- */

static int run_vcpu(struct monitor *mon, int argc, char **argv)
{
    struct machine *m = monitor_machine(mon);
    uint64_t n;
    if (argc == 0) {
        monitor_printf(mon, "cpu%d (of %d)\n", monitor_cpu_index(mon), m->ncpus);
        return 0;
    }
    if (argc != 1 || !monitor_parse_number(mon, argv[0], &n) || n >= (uint64_t)m->ncpus) {
        monitor_error(mon, "vcpu: expected a vCPU number from 0 to %d", m->ncpus - 1);
        return -1;
    }
    monitor_select_cpu(mon, (int)n);
    char line[256];
    debugger_stop_line(dbg(mon), (int)n, "selected", line, sizeof(line));
    monitor_printf(mon, "%s\n", line + strlen("stopped: "));
    return 0;
}

static int run_quit(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "quit", argc))
        return -1;
    machine_request_stop(monitor_machine(mon), STOP_USER_QUIT, 0, NULL);
    return 0;
}

static int run_system_reset(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "system_reset", argc))
        return -1;
    machine_system_reset(monitor_machine(mon));
    return 0;
}

static int run_system_powerdown(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, "system_powerdown", argc))
        return -1;
    /* The ACPI power button (PM1 status PWRBTN_STS): the guest's OS shuts
     * down if it listens; the machine keeps running otherwise, as on a PC. */
    platform_power_button(monitor_machine(mon));
    return 0;
}

const struct monitor_command monitor_exec_commands[] = {
    {"cont", "", "resume the machine", NULL, run_cont},
    {"c", "", "resume the machine (cont)", NULL, run_cont},
    {"stop", "", "pause the machine", NULL, run_stop},
    {"s", "[N]", "execute N instructions (1) on the current vCPU, each shown disassembled",
     "Interrupts and exceptions taken on the way count as a step, as in gdb.", run_step},
    {"n", "", "step over: a call runs until it returns, anything else is one step", NULL,
     run_next},
    {"finish", "", "run until the current function returns (a ret that pops its frame)", NULL,
     run_finish},
    {"until", "vmexit|vmentry|nonroot|root|exit REASON",
     "run until a VM exit, a VM entry, non-root or root, or a VM exit for REASON",
     "REASON: the SDM's basic exit reason by name (cpuid, ept_violation, io, rdmsr, wrmsr,\n"
     "hlt, vmcall, external_interrupt, ...) or number. L1/L2 stand for root/nonroot.\n"
     "vmexit, vmentry and exit REASON stop on any vCPU; nonroot and root wait for the\n"
     "current one.",
     run_until},
    {"break", "ADDR [if nonroot|root|vmcs==ADDR]",
     "stop before the instruction at linear address ADDR, on any vCPU",
     "With a condition it stops only in VMX non-root (L2), in root (L1), or while the\n"
     "given VMCS is current; the same address in the other level runs on.",
     run_break},
    {"delete", "[N...|all]", "delete breakpoints (all of the monitor's without N)", NULL,
     run_delete},
    {"info break", "", "list the breakpoints", NULL, run_info_break},
    {"vcpu", "[N]", "select the vCPU that commands look at and step", NULL, run_vcpu},
    {"run", "N", "run exactly N instructions of the current vCPU, then stop (deterministic)",
     NULL, run_run},
    {"wait", "SECONDS", "run for SECONDS of host time, then stop", NULL, run_wait},
    {"quit", "", "quit turtles (exit status 0)", NULL, run_quit},
    {"q", "", "quit turtles (quit)", NULL, run_quit},
    {"system_reset", "", "reset the machine (as the reset button)", NULL, run_system_reset},
    {"system_powerdown", "", "press the ACPI power button", NULL, run_system_powerdown},
    {NULL, NULL, NULL, NULL, NULL},
};

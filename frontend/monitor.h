/* The monitor (QEMU's human monitor, plus turtles' VMX views): commands
 * typed on stdio, a unix socket, a script (-turtles-monitor-script) or
 * passed by gdb's `monitor CMD`.
 *
 * The command set is split by concern over several files, each exporting
 * one table (frontend/monitor_tables.c lists them):
 *   monitor_exec.c     execution control: cont/c, stop, s, n, finish,
 *                      until ..., break, delete, info break, vcpu, run,
 *                      wait, quit, system_reset, system_powerdown
 *   monitor_views*.c   state: regs, info registers|cpus|tlb|mem|irq|
 *                      devices|mtree|block, x, xp, disas, pt, ept, vmcs,
 *                      exits, lastexits, trace
 *   monitor_watch.c    watch (shared with gdb's Z2-Z4)
 *   monitor_display.c  screendump, sendkey
 * The monitor itself (monitor.c) only reads lines, splits them into
 * words, finds the command (the longest matching name: "info registers"
 * before "info"), runs it, and prints help from the tables. */
#ifndef TURTLES_FRONTEND_MONITOR_H
#define TURTLES_FRONTEND_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct cpu;
struct monitor;

/* A command's handler: argv[0] is the first word after the command's own
 * name (argc counts only the arguments). Returns 0, or -1 after reporting
 * the problem with monitor_error(); the monitor carries on either way. */
typedef int (*monitor_handler)(struct monitor *mon, int argc, char **argv);

struct monitor_command {
    const char *name;  /* one or two words: "x", "info registers", "vmcs diff" */
    const char *args;  /* usage of the arguments, "" for none: "ADDR [if nonroot|root]" */
    const char *help;  /* one line, shown by `help` */
    const char *more;  /* NULL, or further lines shown by `help CMD` */
    monitor_handler run;
};

/* Each table ends with an entry whose name is NULL. */
extern const struct monitor_command *const monitor_tables[];

/* Output of the command being run: the console, the socket, a script's
 * stdout, or the buffer gdb's qRcmd returns. */
void monitor_printf(struct monitor *mon, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One line "error: ...", counted so a script or a test can tell. */
void monitor_error(struct monitor *mon, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct machine *monitor_machine(struct monitor *mon);
/* The vCPU that commands look at (`vcpu N` selects it; 0 at start). */
struct cpu *monitor_cpu(struct monitor *mon);
int monitor_cpu_index(struct monitor *mon);

/* Parse a number the way the monitor's commands take one: 0x-hex,
 * decimal, or a register name with $ ($rip, $rsp, $cr3). */
bool monitor_parse_number(struct monitor *mon, const char *s, uint64_t *out);

/* Run one command line as if typed; output goes through `out` when given
 * (gdb's qRcmd collects it), else to the monitor's own output.
 * Returns 0 or -1 as the handler did. */
int monitor_execute_line(struct monitor *mon, const char *line,
                         void (*out)(void *opaque, const char *text), void *opaque);

#endif

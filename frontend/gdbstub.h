/* GDB remote serial protocol server (QEMU's -gdb / -s / -S): TCP on
 * 127.0.0.1 unless told otherwise, one thread per vCPU, breakpoints kept
 * in the stub (guest memory is never patched), watchpoints in the
 * machine's set (cpu/debug.h), memory addressed by guest linear address
 * through the current paging mode, as QEMU does. */
#ifndef TURTLES_FRONTEND_GDBSTUB_H
#define TURTLES_FRONTEND_GDBSTUB_H

#include <stdbool.h>

struct machine;
struct gdbstub;

/* Listen on host:port (NULL or "": 127.0.0.1) for the machine's vCPUs.
 * start_stopped (-S): the guest does not run until gdb says continue. NULL
 * on failure (message printed). */
struct gdbstub *gdbstub_new(struct machine *m, const char *host, int port, bool start_stopped);
void gdbstub_free(struct gdbstub *g);

/* Called by the machine loop between rounds of quanta. While the guest
 * runs it looks at the socket now and then without blocking (connection,
 * Ctrl-C); while the guest is stopped it blocks serving gdb until gdb
 * resumes it. Returns true when gdb killed the machine. */
bool gdbstub_poll(struct gdbstub *g);

/* True when a breakpoint or a finished single step asked every vCPU to
 * stop: the machine loop stops running vCPUs and calls gdbstub_poll().
 * NULL-safe. */
bool gdbstub_stop_pending(const struct gdbstub *g);

/* After cpu_run(): catches a single step that ended where the dispatch
 * loop does not call the debug hook again (HLT, shutdown). NULL-safe. */
void gdbstub_after_run(struct gdbstub *g, int cpu_index);

#endif

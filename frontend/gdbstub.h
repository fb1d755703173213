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

struct debugger;

/* Listen on host:port (NULL or "": 127.0.0.1) for the machine's vCPUs,
 * pausing and resuming them through d (shared with the monitor; -S is
 * d's start paused). NULL on failure (message printed). */
struct gdbstub *gdbstub_new(struct machine *m, struct debugger *d, const char *host, int port);
void gdbstub_free(struct gdbstub *g);

/* Called by the debugger between rounds while the guest runs: looks at
 * the socket now and then without blocking (gdb attaching or Ctrl-C
 * pause the machine). */
void gdbstub_poll_running(struct gdbstub *g);
/* The machine stopped: the stop reply, if gdb waits for one. */
void gdbstub_announce_stop(struct gdbstub *g);
/* The machine is paused: serve what gdb sends within timeout_ms (one
 * packet at most). Returns true when gdb killed the machine. */
bool gdbstub_serve_paused(struct gdbstub *g, int timeout_ms);
bool gdbstub_connected(const struct gdbstub *g);

#endif

/* The machine loop's side of the monitor, and what the execution-control
 * commands (monitor_exec.c) need from the monitor's core (monitor.c).
 * The command-table contract is frontend/monitor.h. */
#ifndef TURTLES_FRONTEND_MONITOR_LOOP_H
#define TURTLES_FRONTEND_MONITOR_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "frontend/monitor.h"

struct options;

/* The monitor the options ask for (-monitor, -turtles-monitor-script, the
 * stdio shared with the serial console under -nographic), or NULL when
 * there is none. *failed is set (message printed) when one was asked for
 * and could not be made (a socket path that cannot be bound, a script
 * that cannot be read). */
struct monitor *monitor_new(struct machine *m, const struct options *opt, bool *failed);
void monitor_free(struct monitor *mon);

/* Called by the machine loop between rounds (debugger.c): looks at the
 * monitor's input without blocking while the guest runs. */
void monitor_poll_running(struct monitor *mon);
/* The machine is paused: run the script's next line or serve one line of
 * interactive input, waiting at most timeout_ms for it. Returns false
 * when the monitor has nothing more to say ever (script ended and no
 * interactive input). */
bool monitor_serve_paused(struct monitor *mon, int timeout_ms);
/* True when the monitor can still resume a paused machine (a script with
 * lines left, stdio or a socket open). */
bool monitor_can_resume(const struct monitor *mon);
/* The machine stopped (breakpoint, step, until, stop): print the stop line
 * to the monitor's user. */
void monitor_announce_stop(struct monitor *mon, const char *line);
/* Bytes typed on the shared stdio while the monitor has it (Ctrl-A c):
 * the serial backend hands them over. */
void monitor_feed_input(struct monitor *mon, const char *bytes, size_t n);
/* Ctrl-A c switched stdio to the monitor (true) or back to the serial
 * console (false). */
void monitor_set_focus(struct monitor *mon, bool focus);

/* For the execution commands: select the vCPU that commands look at. */
void monitor_select_cpu(struct monitor *mon, int index);

#endif

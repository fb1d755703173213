/* The monitor's watchpoints (frontend/monitor_watch.c): `watch ADDR LEN
 * [r|w|rw]` puts them in the machine's watchpoint set (cpu/debug.h), the
 * one gdb's Z2-Z4 use too, tagged with the monitor's numbers (shared with
 * its breakpoints: `delete N` and `info break` take both). */
#ifndef TURTLES_FRONTEND_MONITOR_WATCH_H
#define TURTLES_FRONTEND_MONITOR_WATCH_H

#include <stdbool.h>

#include "frontend/monitor.h"

struct machine;
struct debug_watch;

extern const struct monitor_command monitor_watch_commands[];

/* The owner tag of the monitor's watchpoint number n (1, 2, ...): tags
 * from WATCH_BY_MONITOR up are the monitor's (frontend/machine.h). */
int monitor_watch_owner(unsigned n);
/* The monitor's number of a watchpoint, 0 when it is gdb's. */
unsigned monitor_watch_number(const struct debug_watch *w);

/* For `info break`: one line per watchpoint (gdb's too); returns how many. */
unsigned monitor_watch_list(struct monitor *mon);
/* For `delete N`: removes the monitor's watchpoint N (numbered with the
 * breakpoints); false if none. n == 0: every watchpoint of the monitor. */
bool monitor_watch_delete(struct monitor *mon, unsigned n);

/* The stop line's reason for a vCPU that met watchpoint w with an access
 * of kind DEBUG_WATCH_* ("watchpoint 2 (0x7004 len 8): written"). */
void monitor_watch_describe(const struct debug_watch *w, unsigned access, char *buf,
                            unsigned size);

#endif

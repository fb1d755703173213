/* The monitor's views of machine state (issue 10), split by concern; each
 * file exports one command table for frontend/monitor_tables.c:
 *   monitor_views_state.c   regs, info registers, info cpus, trace
 *   monitor_views_memory.c  x, xp, disas, pt, ept, info tlb, info mem,
 *                           info mtree
 *   monitor_views_vmx.c     vmcs, vmcs FIELD, vmcs diff, vmcs set, exits,
 *                           exits reset, lastexits
 *   monitor_views_machine.c info irq, info devices, info block, info mem
 * The handlers run only while the machine is paused. */
#ifndef TURTLES_FRONTEND_MONITOR_VIEWS_H
#define TURTLES_FRONTEND_MONITOR_VIEWS_H

#include "frontend/monitor.h"

extern const struct monitor_command monitor_views_state_commands[];
extern const struct monitor_command monitor_views_memory_commands[];
extern const struct monitor_command monitor_views_vmx_commands[];
extern const struct monitor_command monitor_views_machine_commands[];

struct machine;
/* A monitor attached to / detached from the machine: while attached, each
 * VM exit and entry keeps a copy of the current VMCS for `vmcs diff` (a
 * memcpy per exit/entry; nothing while detached). */
void monitor_views_attach(struct machine *m);
void monitor_views_detach(struct machine *m);

#endif

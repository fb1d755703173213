/* Every table of monitor commands (monitor.h). A part of the monitor adds
 * its table here, one line; `help` lists them in this order. */
#include <stddef.h>

#include "frontend/monitor.h"

extern const struct monitor_command monitor_core_commands[];
extern const struct monitor_command monitor_exec_commands[];
extern const struct monitor_command monitor_media_commands[];
extern const struct monitor_command monitor_watch_commands[];
extern const struct monitor_command monitor_views_state_commands[];
extern const struct monitor_command monitor_views_memory_commands[];
extern const struct monitor_command monitor_views_vmx_commands[];
extern const struct monitor_command monitor_views_machine_commands[];
extern const struct monitor_command monitor_display_commands[];

const struct monitor_command *const monitor_tables[] = {
    monitor_core_commands,
    monitor_exec_commands,
    monitor_media_commands,
    monitor_watch_commands,
    monitor_views_state_commands,
    monitor_views_memory_commands,
    monitor_views_vmx_commands,
    monitor_views_machine_commands,
    monitor_display_commands,
    NULL,
};

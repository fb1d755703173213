/* The monitor's `watch` (see monitor_watch.h). The watchpoints are the
 * machine's (m->watches, cpu/debug.h), shared with gdb's Z2-Z4: the same
 * slow-path check, the same stop after the access, nothing spent while
 * there is none. */
#include "frontend/monitor_watch.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpu/debug.h"
#include "frontend/debugger.h"
#include "frontend/machine.h"

int monitor_watch_owner(unsigned n)
{
    return WATCH_BY_MONITOR + (int)n - 1;
}

unsigned monitor_watch_number(const struct debug_watch *w)
{
    return w->owner >= WATCH_BY_MONITOR ? (unsigned)(w->owner - WATCH_BY_MONITOR) + 1 : 0;
}

static const char *access_name(unsigned kind)
{
    switch (kind & DEBUG_WATCH_RW) {
    case DEBUG_WATCH_READ: return "read";
    case DEBUG_WATCH_WRITE: return "write";
    default: return "read/write";
    }
}

static const char *level_name(unsigned kind)
{
    return kind & DEBUG_WATCH_ROOT_ONLY      ? " in root"
           : kind & DEBUG_WATCH_NONROOT_ONLY ? " in non-root"
                                             : "";
}

void monitor_watch_describe(const struct debug_watch *w, unsigned access, char *buf,
                            unsigned size)
{
    unsigned n = monitor_watch_number(w);
    char who[32];
    if (n)
        snprintf(who, sizeof(who), "watchpoint %u", n);
    else
        snprintf(who, sizeof(who), "gdb watchpoint");
    const char *what = (access & DEBUG_WATCH_RW) == DEBUG_WATCH_RW ? "read and written"
                       : access & DEBUG_WATCH_WRITE              ? "written"
                                                                 : "read";
    snprintf(buf, size, "%s (%#llx len %llu): %s", who, (unsigned long long)w->addr,
             (unsigned long long)w->len, what);
}

unsigned monitor_watch_list(struct monitor *mon)
{
    const struct debug_watchset *set = &monitor_machine(mon)->watches;
    for (unsigned i = 0; i < set->n; i++) {
        const struct debug_watch *w = &set->w[i];
        unsigned n = monitor_watch_number(w);
        char id[16];
        snprintf(id, sizeof(id), n ? "%u" : "-", n);
        monitor_printf(mon, "%-3s watch %#018llx len %llu %s%s%s\n", id,
                       (unsigned long long)w->addr, (unsigned long long)w->len,
                       access_name(w->kind), level_name(w->kind), n ? "" : " (gdb)");
    }
    return set->n;
}

bool monitor_watch_delete(struct monitor *mon, unsigned n)
{
    struct machine *m = monitor_machine(mon);
    struct debug_watchset *set = &m->watches;
    unsigned before = set->n;
    for (unsigned i = set->n; i-- > 0;) {
        unsigned have = monitor_watch_number(&set->w[i]);
        if (have && (n == 0 || have == n))
            debug_watch_remove_owner(set, set->w[i].owner);
    }
    if (set->n == before)
        return false;
    machine_watches_changed(m);
    if (m->dbg)
        debugger_update_hooks(m->dbg);
    return true;
}

/* watch ADDR LEN [r|w|rw]: ADDR is linear (what runs), optionally
 * root:/L1: or nonroot:/L2: to watch one level only. */
static int cmd_watch(struct monitor *mon, int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        monitor_error(mon, "usage: watch ADDR LEN [r|w|rw]");
        return -1;
    }
    const char *a = argv[0];
    unsigned kind = 0;
    static const struct {
        const char *prefix;
        unsigned only;
    } levels[] = {{"root:", DEBUG_WATCH_ROOT_ONLY},   {"l1:", DEBUG_WATCH_ROOT_ONLY},
                  {"nonroot:", DEBUG_WATCH_NONROOT_ONLY}, {"l2:", DEBUG_WATCH_NONROOT_ONLY}};
    for (unsigned i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        size_t l = strlen(levels[i].prefix);
        if (!strncasecmp(a, levels[i].prefix, l)) {
            kind |= levels[i].only;
            a += l;
            break;
        }
    }
    if (!strncasecmp(a, "p:", 2)) {
        monitor_error(mon, "watch: watchpoints watch linear addresses, not guest-physical '%s'",
                      argv[0]);
        return -1;
    }
    uint64_t addr, len;
    if (!monitor_parse_number(mon, a, &addr)) {
        monitor_error(mon, "watch: bad address '%s'", argv[0]);
        return -1;
    }
    if (!monitor_parse_number(mon, argv[1], &len)) {
        monitor_error(mon, "watch: bad length '%s'", argv[1]);
        return -1;
    }
    if (len < 1 || len > DEBUG_WATCH_MAX_LEN) {
        monitor_error(mon, "watch: LEN must be 1 to %u, not '%s'", DEBUG_WATCH_MAX_LEN, argv[1]);
        return -1;
    }
    const char *k = argc == 3 ? argv[2] : "w";
    if (!strcmp(k, "r"))
        kind |= DEBUG_WATCH_READ;
    else if (!strcmp(k, "w"))
        kind |= DEBUG_WATCH_WRITE;
    else if (!strcmp(k, "rw"))
        kind |= DEBUG_WATCH_RW;
    else {
        monitor_error(mon, "watch: expected r, w or rw, not '%s'", k);
        return -1;
    }
    struct machine *m = monitor_machine(mon);
    struct debug_watchset *set = &m->watches;
    if (set->n == DEBUG_WATCH_MAX) {
        monitor_error(mon, "watch: all %d watchpoints are in use", DEBUG_WATCH_MAX);
        return -1;
    }
    /* Numbered with the breakpoints, so that `delete N` names one thing. */
    unsigned n = m->dbg ? (unsigned)++m->dbg->next_bp_id : set->n + 1;
    debug_watch_add(set, addr, len, kind, monitor_watch_owner(n));
    machine_watches_changed(m);
    if (m->dbg)
        debugger_update_hooks(m->dbg);
    monitor_printf(mon, "watchpoint %u: 0x%llx len %llu %s%s\n", n, (unsigned long long)addr,
                   (unsigned long long)len, access_name(kind), level_name(kind));
    return 0;
}

static int cmd_info_watch(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc) {
        monitor_error(mon, "usage: info watch");
        return -1;
    }
    if (!monitor_watch_list(mon))
        monitor_printf(mon, "no watchpoints\n");
    return 0;
}

const struct monitor_command monitor_watch_commands[] = {
    {"watch", "ADDR LEN [r|w|rw]", "stop after an access to LEN bytes at ADDR (w: writes)",
     "ADDR is a linear address of what runs; root: (L1:) or nonroot: (L2:) watches\n"
     "that level only. LEN is 1 to 4096. The machine stops after the instruction\n"
     "that made the access. gdb's watch, rwatch and awatch use the same\n"
     "watchpoints; `delete N` removes watchpoint N.",
     cmd_watch},
    {"info watch", "", "list the watchpoints (the monitor's and gdb's)", NULL, cmd_info_watch},
    {NULL, NULL, NULL, NULL, NULL},
};

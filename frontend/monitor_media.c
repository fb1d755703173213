/* The monitor's removable media (QEMU's `change` and `eject`): a new disc
 * in an IDE CD-ROM drive, or none. The guest sees the tray as on
 * hardware: a media-change unit attention, then the new disc or NOT READY;
 * a tray the guest locked stays shut unless `eject -f`. */
#include <string.h>

#include "frontend/drives.h"
#include "frontend/machine.h"
#include "frontend/monitor.h"
#include "frontend/platform.h"

static int find(struct monitor *mon, const char *name)
{
    struct machine *m = monitor_machine(mon);
    int i = m->platform ? drives_find(&m->platform->drives, name) : -1;
    if (i < 0)
        monitor_error(mon, "no drive named '%s' (see info block)", name);
    return i;
}

static int cmd_eject(struct monitor *mon, int argc, char **argv)
{
    bool force = argc > 0 && strcmp(argv[0], "-f") == 0;
    if (argc != 1 + force) {
        monitor_error(mon, "usage: eject [-f] DEVICE");
        return -1;
    }
    int i = find(mon, argv[force]);
    if (i < 0)
        return -1;
    struct machine *m = monitor_machine(mon);
    char err[256];
    if (drives_change(&m->platform->drives, &m->platform->ide, i, NULL, NULL, force, err,
                      sizeof(err)) != 0) {
        monitor_error(mon, "%s", err);
        return -1;
    }
    return 0;
}

static int cmd_change(struct monitor *mon, int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        monitor_error(mon, "usage: change DEVICE FILE [raw|qcow2]");
        return -1;
    }
    const char *format = argc == 3 ? argv[2] : NULL;
    if (format && strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0) {
        monitor_error(mon, "change: unknown format '%s' (raw or qcow2)", format);
        return -1;
    }
    int i = find(mon, argv[0]);
    if (i < 0)
        return -1;
    struct machine *m = monitor_machine(mon);
    char err[256];
    if (drives_change(&m->platform->drives, &m->platform->ide, i, argv[1], format, false, err,
                      sizeof(err)) != 0) {
        monitor_error(mon, "%s", err);
        return -1;
    }
    return 0;
}

const struct monitor_command monitor_media_commands[] = {
    {"eject", "[-f] DEVICE", "take the disc out of a CD-ROM drive (-f: even if the guest locked it)",
     "DEVICE as `info block` names it (ide1-cd0 for -cdrom).", cmd_eject},
    {"change", "DEVICE FILE [raw|qcow2]", "put the image FILE in a CD-ROM drive as a new disc",
     "The guest sees a media change; a tray the guest locked refuses it.", cmd_change},
    {NULL, NULL, NULL, NULL, NULL},
};

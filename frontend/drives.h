/* The drives of the command line (-drive, -cdrom, -hda..-hdd, -snapshot):
 * images opened through the block layer (devices/block/block.h: raw,
 * qcow2, -snapshot overlays, image locks) and attached to the IDE
 * controller. */
#ifndef TURTLES_FRONTEND_DRIVES_H
#define TURTLES_FRONTEND_DRIVES_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/block/block.h"
#include "devices/ide.h"
#include "frontend/options.h"

struct drive {
    struct block_backend *bb; /* NULL: no image (an empty CD-ROM drive) */
    unsigned index;           /* IDE position 0-3 */
    bool cdrom;
};

struct drives {
    struct drive d[MAX_DRIVES];
    int n;
};

/* Opens every drive of the options and attaches it to the IDE controller.
 * On a bad image prints one line naming it and returns -1 (nothing has
 * been written to any image). */
int drives_open(struct drives *dv, const struct options *o, struct piix_ide *ide);
/* Flushes and closes every image (releasing its lock; a -snapshot overlay
 * goes away). */
void drives_close(struct drives *dv);

#endif

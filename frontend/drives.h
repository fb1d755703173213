/* The drives of the command line (-drive, -cdrom, -hda..-hdd): image files
 * opened for the IDE controller, each seen by the device through struct
 * ide_media. Only raw images so far. */
#ifndef TURTLES_FRONTEND_DRIVES_H
#define TURTLES_FRONTEND_DRIVES_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/ide.h"
#include "frontend/options.h"

struct drive {
    int fd;                  /* -1: no image (an empty CD-ROM drive) */
    const char *path;
    struct ide_media media;
    unsigned index;          /* IDE position 0-3 */
    bool cdrom;
};

struct drives {
    struct drive d[MAX_DRIVES];
    int n;
};

/* Opens every drive of the options and attaches it to the IDE controller.
 * On a bad file prints one line naming it and returns -1 (nothing is
 * written to any image). */
int drives_open(struct drives *dv, const struct options *o, struct piix_ide *ide);
void drives_close(struct drives *dv);

#endif

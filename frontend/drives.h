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
#include "devices/virtio_blk.h"
#include "frontend/options.h"

struct drive {
    struct block_backend *bb; /* NULL: no image (an empty CD-ROM drive) */
    unsigned index;           /* IDE position 0-3 */
    bool cdrom;
    struct virtio_blk *vblk;  /* if=virtio: its device, else NULL */
};

/* virtio-blk disks take PCI slots from here on (VGA is in slot 2). */
#define DRIVES_VIRTIO_FIRST_SLOT 4

struct drives {
    struct drive d[MAX_DRIVES];
    int n;
};

/* Opens every drive of the options and attaches it to the IDE controller,
 * or to a new virtio-blk device on bus. On a bad image prints one line
 * naming it and returns -1 (nothing has been written to any image). */
int drives_open(struct drives *dv, const struct options *o, struct piix_ide *ide,
                struct pci_bus *bus, const struct device_env *env);
void drives_reset(struct drives *dv);
/* Flushes and closes every image (releasing its lock; a -snapshot overlay
 * goes away). */
void drives_close(struct drives *dv);

#endif

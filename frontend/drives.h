/* The drives of the command line (-drive, -cdrom, -hda..-hdd, -snapshot):
 * images opened through the block layer (devices/block/block.h: raw,
 * qcow2, -snapshot overlays, image locks) and attached to the IDE
 * controller. */
#ifndef TURTLES_FRONTEND_DRIVES_H
#define TURTLES_FRONTEND_DRIVES_H

#include <stdbool.h>
#include <stddef.h>
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
    int bootindex;            /* -1: none */
    char fw_path[64];         /* its OpenFirmware device path (DRIVES_FW_PATH_*) */
};

/* The device paths the firmware's "bootorder" file names drives by, as
 * QEMU writes them and SeaBIOS matches them (src/boot.c: the PCI part is
 * "/pci@i0cf8/<any name>@<slot>[,<function>]"; an ATA drive adds
 * "/drive@<channel>/disk@<0 master, 1 slave>"; a virtio-blk disk is found
 * by its PCI device alone). The PIIX3 IDE function is 1.1. */
#define DRIVES_FW_PATH_IDE "/pci@i0cf8/ide@1,1/drive@%u/disk@%u"
#define DRIVES_FW_PATH_VIRTIO "/pci@i0cf8/scsi@%x/disk@0,0"

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
/* The drives with a bootindex as "bootorder" lines, lowest index first,
 * into out ("" when none has one). Returns 0, or -1 with a message (the
 * same bootindex twice, no room). */
int drives_boot_order(const struct drives *dv, char *out, size_t outlen, char *err,
                      size_t errlen);
void drives_reset(struct drives *dv);
/* Flushes and closes every image (releasing its lock; a -snapshot overlay
 * goes away). */
void drives_close(struct drives *dv);

#endif

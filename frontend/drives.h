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
/* The name the monitor gives drive i, as QEMU names default drives:
 * "ide<channel>-hd<unit>" / "ide<channel>-cd<unit>" on IDE,
 * "virtio<i>" on virtio-blk. */
void drives_name(const struct drives *dv, int i, char *buf, size_t len);
/* The index of the drive named name (drives_name), or -1. */
int drives_find(const struct drives *dv, const char *name);
/* The monitor's `change` (file non-NULL: a new disc, read-only, format
 * NULL to probe) and `eject` (file NULL) on CD-ROM drive i. force drops a
 * lock the guest holds on the tray (eject -f). Returns 0, or -1 with one
 * line in err and the drive unchanged. */
int drives_change(struct drives *dv, struct piix_ide *ide, int i, const char *file,
                  const char *format, bool force, char *err, size_t errlen);
/* Flushes and closes every image (releasing its lock; a -snapshot overlay
 * goes away). */
void drives_close(struct drives *dv);

#endif

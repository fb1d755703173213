/* Opening the command line's drives (frontend/drives.h). */
#include "frontend/drives.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct block_backend *open_image(const struct options *o, const struct drive_opt *opt)
{
    struct block_options bo = {.format = opt->format,
                               .read_only = opt->readonly || opt->cdrom,
                               .snapshot = (o->snapshot || opt->snapshot) && !opt->cdrom};
    char err[256] = "";
    struct block_backend *bb = block_open(opt->file, &bo, err, sizeof(err));
    if (!bb) {
        fprintf(stderr, "turtles: %s\n", err);
        return NULL;
    }
    uint64_t unit = opt->cdrom ? ATAPI_SECTOR_SIZE : IDE_SECTOR_SIZE;
    if (block_length(bb) < unit) {
        fprintf(stderr, "turtles: -drive: %s is empty or shorter than one sector\n", opt->file);
        block_close(bb);
        return NULL;
    }
    return bb;
}

int drives_open(struct drives *dv, const struct options *o, struct piix_ide *ide,
                struct pci_bus *bus, const struct device_env *env)
{
    bool used[4] = {false, false, false, false};
    unsigned next_slot = DRIVES_VIRTIO_FIRST_SLOT;
    for (int i = 0; i < o->ndrives; i++) {
        const struct drive_opt *opt = &o->drives[i];
        if (opt->if_none && !opt->virtio && !opt->ide_device) {
            fprintf(stderr, "turtles: -drive id=%s: no -device uses it\n", opt->id);
            return -1;
        }
        if (!opt->virtio)
            continue;
        struct drive *d = &dv->d[dv->n++];
        if (!(d->bb = open_image(o, opt)))
            return -1;
        if (next_slot >= 32) {
            fprintf(stderr, "turtles: -drive: no free PCI slot for %s\n", opt->file);
            return -1;
        }
        d->bootindex = opt->bootindex;
        snprintf(d->fw_path, sizeof(d->fw_path), DRIVES_FW_PATH_VIRTIO, next_slot);
        d->vblk = calloc(1, sizeof(*d->vblk));
        char serial[21];
        snprintf(serial, sizeof(serial), "%s", opt->serial ? opt->serial : "");
        if (!d->vblk || virtio_blk_init(d->vblk, bus, PCI_DEVFN(next_slot, 0), env, d->bb,
                                        serial) < 0) {
            fprintf(stderr, "turtles: -drive: cannot create the virtio-blk device for %s\n",
                    opt->file);
            return -1;
        }
        next_slot++;
    }
    for (int i = 0; i < o->ndrives; i++)
        if (!o->drives[i].virtio && o->drives[i].index >= 0) {
            if (used[o->drives[i].index]) {
                fprintf(stderr, "turtles: -drive: two drives at IDE index %d\n",
                        o->drives[i].index);
                return -1;
            }
            used[o->drives[i].index] = true;
        }
    for (int i = 0; i < o->ndrives; i++) {
        const struct drive_opt *opt = &o->drives[i];
        if (opt->virtio)
            continue;
        struct drive *d = &dv->d[dv->n++];
        d->cdrom = opt->cdrom;
        int index = opt->index;
        for (int k = 0; index < 0 && k < 4; k++)
            if (!used[k]) {
                index = k;
                used[k] = true;
            }
        if (index < 0) {
            fprintf(stderr, "turtles: -drive: no free IDE position for %s\n",
                    opt->file ? opt->file : "(empty CD-ROM)");
            return -1;
        }
        d->index = (unsigned)index;
        d->bootindex = opt->bootindex;
        snprintf(d->fw_path, sizeof(d->fw_path), DRIVES_FW_PATH_IDE, d->index / 2, d->index % 2);
        if (opt->file && !(d->bb = open_image(o, opt)))
            return -1;
        char serial[21];
        if (opt->serial)
            snprintf(serial, sizeof(serial), "%s", opt->serial);
        else
            snprintf(serial, sizeof(serial), "TURTLES%04d", index);
        if (ide_attach(ide, d->index / 2, d->index % 2, opt->cdrom ? IDE_CDROM : IDE_DISK,
                       d->bb, serial) < 0) {
            fprintf(stderr, "turtles: -drive: cannot attach %s\n", opt->file ? opt->file : "");
            return -1;
        }
    }
    return 0;
}

int drives_boot_order(const struct drives *dv, char *out, size_t outlen, char *err,
                      size_t errlen)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < dv->n; i++) {
        const struct drive *d = &dv->d[i];
        if (d->bootindex < 0)
            continue;
        for (int k = 0; k < i; k++)
            if (dv->d[k].bootindex == d->bootindex) {
                snprintf(err, errlen, "bootindex=%d is given to two drives", d->bootindex);
                return -1;
            }
    }
    /* Lowest bootindex first: a selection sort over at most MAX_DRIVES. */
    int last = -1;
    for (;;) {
        const struct drive *best = NULL;
        for (int i = 0; i < dv->n; i++) {
            const struct drive *d = &dv->d[i];
            if (d->bootindex > last && (!best || d->bootindex < best->bootindex))
                best = d;
        }
        if (!best)
            break;
        int n = snprintf(out + used, outlen - used, "%s\n", best->fw_path);
        if (n < 0 || (size_t)n >= outlen - used) {
            snprintf(err, errlen, "the boot order list is too long");
            return -1;
        }
        used += (size_t)n;
        last = best->bootindex;
    }
    return 0;
}

void drives_reset(struct drives *dv)
{
    for (int i = 0; i < dv->n; i++)
        if (dv->d[i].vblk)
            virtio_blk_reset(dv->d[i].vblk);
}

void drives_close(struct drives *dv)
{
    for (int i = 0; i < dv->n; i++) {
        if (dv->d[i].vblk) {
            virtio_blk_destroy(dv->d[i].vblk);
            free(dv->d[i].vblk);
            dv->d[i].vblk = NULL;
        }
        struct block_backend *bb = dv->d[i].bb;
        if (bb && !block_read_only(bb))
            block_flush(bb);
        block_close(bb);
        dv->d[i].bb = NULL;
    }
    dv->n = 0;
}

void drives_name(const struct drives *dv, int i, char *buf, size_t len)
{
    const struct drive *d = &dv->d[i];
    if (d->vblk)
        snprintf(buf, len, "virtio%d", i);
    else
        snprintf(buf, len, "ide%u-%s%u", d->index / 2, d->cdrom ? "cd" : "hd", d->index % 2);
}

int drives_find(const struct drives *dv, const char *name)
{
    char buf[32];
    for (int i = 0; i < dv->n; i++) {
        drives_name(dv, i, buf, sizeof(buf));
        if (strcmp(buf, name) == 0)
            return i;
    }
    return -1;
}

int drives_change(struct drives *dv, struct piix_ide *ide, int i, const char *file,
                  const char *format, bool force, char *err, size_t errlen)
{
    struct drive *d = &dv->d[i];
    char name[32];
    drives_name(dv, i, name, sizeof(name));
    if (!d->cdrom) {
        snprintf(err, errlen, "%s is not removable (only CD-ROM drives take a new medium)", name);
        return -1;
    }
    unsigned ch = d->index / 2, unit = d->index % 2;
    if (ide_cdrom_locked(ide, ch, unit) && !force) {
        snprintf(err, errlen, "%s: the guest has locked the tray%s", name,
                 file ? "" : " (eject -f forces it)");
        return -1;
    }
    struct block_backend *bb = NULL;
    if (file) {
        struct block_options bo = {.format = format, .read_only = true};
        bb = block_open(file, &bo, err, errlen);
        if (!bb)
            return -1;
        if (block_length(bb) < ATAPI_SECTOR_SIZE) {
            snprintf(err, errlen, "%s is empty or shorter than one sector", file);
            block_close(bb);
            return -1;
        }
    }
    if (ide_cdrom_change(ide, ch, unit, bb, force) != 0) {
        snprintf(err, errlen, "%s refused the change", name);
        block_close(bb);
        return -1;
    }
    block_close(d->bb);
    d->bb = bb;
    return 0;
}

/* Opening the command line's drives (frontend/drives.h). */
#include "frontend/drives.h"

#include <stdio.h>

int drives_open(struct drives *dv, const struct options *o, struct piix_ide *ide)
{
    bool used[4] = {false, false, false, false};
    for (int i = 0; i < o->ndrives; i++)
        if (o->drives[i].index >= 0) {
            if (used[o->drives[i].index]) {
                fprintf(stderr, "turtles: -drive: two drives at IDE index %d\n",
                        o->drives[i].index);
                return -1;
            }
            used[o->drives[i].index] = true;
        }
    for (int i = 0; i < o->ndrives; i++) {
        const struct drive_opt *opt = &o->drives[i];
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
        if (opt->file) {
            struct block_options bo = {.format = opt->format,
                                       .read_only = opt->readonly || opt->cdrom,
                                       .snapshot = (o->snapshot || opt->snapshot) && !opt->cdrom};
            char err[256] = "";
            d->bb = block_open(opt->file, &bo, err, sizeof(err));
            if (!d->bb) {
                fprintf(stderr, "turtles: %s\n", err);
                return -1;
            }
            uint64_t unit = opt->cdrom ? ATAPI_SECTOR_SIZE : IDE_SECTOR_SIZE;
            if (block_length(d->bb) < unit) {
                fprintf(stderr, "turtles: -drive: %s is empty or shorter than one sector\n",
                        opt->file);
                return -1;
            }
        }
        char serial[21];
        snprintf(serial, sizeof(serial), "TURTLES%04d", index);
        if (ide_attach(ide, d->index / 2, d->index % 2, opt->cdrom ? IDE_CDROM : IDE_DISK,
                       d->bb, serial) < 0) {
            fprintf(stderr, "turtles: -drive: cannot attach %s\n", opt->file ? opt->file : "");
            return -1;
        }
    }
    return 0;
}

void drives_close(struct drives *dv)
{
    for (int i = 0; i < dv->n; i++) {
        struct block_backend *bb = dv->d[i].bb;
        if (bb && !block_read_only(bb))
            block_flush(bb);
        block_close(bb);
        dv->d[i].bb = NULL;
    }
    dv->n = 0;
}

/* Raw image files behind the IDE drives (frontend/drives.h). */
#define _GNU_SOURCE
#include "frontend/drives.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int raw_read(void *opaque, uint64_t offset, void *buf, size_t len)
{
    struct drive *d = opaque;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(d->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0) { /* past the end of a file that shrank: zeros */
            memset(p, 0, len);
            return 0;
        }
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static int raw_write(void *opaque, uint64_t offset, const void *buf, size_t len)
{
    struct drive *d = opaque;
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(d->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static int raw_flush(void *opaque)
{
    struct drive *d = opaque;
    return fdatasync(d->fd) < 0 ? -errno : 0;
}

static int open_image(struct drive *d, bool readonly)
{
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
    d->fd = open(d->path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
    if (d->fd < 0) {
        fprintf(stderr, "turtles: -drive: cannot open %s: %s\n", d->path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(d->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "turtles: -drive: %s is not a regular file\n", d->path);
        return -1;
    }
    fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) & ~O_NONBLOCK);
    uint64_t unit = d->cdrom ? ATAPI_SECTOR_SIZE : IDE_SECTOR_SIZE;
    if ((uint64_t)st.st_size < unit) {
        fprintf(stderr, "turtles: -drive: %s is empty or shorter than one sector\n", d->path);
        return -1;
    }
    d->media = (struct ide_media){.opaque = d, .read = raw_read, .write = raw_write,
                                  .flush = raw_flush,
                                  .size = (uint64_t)st.st_size / unit * unit,
                                  .read_only = readonly};
    return 0;
}

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
        d->fd = -1;
        d->path = opt->file;
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
        if (opt->file && open_image(d, opt->readonly || opt->cdrom) < 0)
            return -1;
        char serial[21];
        snprintf(serial, sizeof(serial), "TURTLES%04d", index);
        if (ide_attach(ide, d->index / 2, d->index % 2, opt->cdrom ? IDE_CDROM : IDE_DISK,
                       opt->file ? &d->media : NULL, serial) < 0) {
            fprintf(stderr, "turtles: -drive: cannot attach %s\n", opt->file ? opt->file : "");
            return -1;
        }
    }
    return 0;
}

void drives_close(struct drives *dv)
{
    for (int i = 0; i < dv->n; i++) {
        if (dv->d[i].fd >= 0) {
            if (!dv->d[i].media.read_only)
                fdatasync(dv->d[i].fd);
            close(dv->d[i].fd);
        }
        dv->d[i].fd = -1;
    }
    dv->n = 0;
}

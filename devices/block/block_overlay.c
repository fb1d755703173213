/* -snapshot: the guest's writes go to a temporary qcow2 overlay whose
 * backing image is the real one, opened read-only, so the image is left
 * exactly as it was. The overlay's file is unlinked as soon as it is
 * created: it disappears when turtles exits, however it exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/block/block_impl.h"

/* 64 KiB clusters, as QEMU's default. */
#define OVERLAY_CLUSTER_BITS 16

struct block_backend *block_snapshot_overlay(struct block_backend *base, const char *base_path,
                                             const char *base_format, char *err, size_t errlen)
{
    /* Overlays can grow as large as the disk: /var/tmp (on disk) rather
     * than /tmp (often RAM), unless TMPDIR says otherwise; QEMU does the same. */
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/var/tmp";
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/turtles-snapshot-XXXXXX", dir);
    /* O_CLOEXEC: a program turtles starts must not share the overlay. */
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        block_err(err, errlen, "cannot create the -snapshot overlay in %s: %s", dir, strerror(errno));
        block_close(base);
        return NULL;
    }
    unlink(tmpl);
    struct block_backend *file = block_raw_from_fd(fd, "snapshot-overlay", true, err, errlen);
    if (!file) {
        block_close(base);
        return NULL;
    }
    file->log = base->log;
    file->log_opaque = base->log_opaque;
    char abs[PATH_MAX];
    if (!realpath(base_path, abs))
        snprintf(abs, sizeof abs, "%s", base_path);
    int r = qcow2_create(file, block_length(base), OVERLAY_CLUSTER_BITS, abs, base_format);
    if (r < 0) {
        block_err(err, errlen, "cannot write the -snapshot overlay: %s", strerror(-r));
        block_close(file);
        block_close(base);
        return NULL;
    }
    struct block_backend *ov = block_qcow2_open(file, tmpl, false, base, 0, err, errlen);
    if (ov)
        snprintf(ov->name, sizeof ov->name, "%s", base->name);
    return ov;
}

/* Opening an image: the format from format= or probed from the first
 * bytes, the lock, and the -snapshot overlay. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/block/block_impl.h"

struct block_backend *block_open_depth(const char *path, const struct block_options *opts,
                                       int depth, char *err, size_t errlen)
{
    if (depth > BLOCK_MAX_BACKING_DEPTH) {
        block_err(err, errlen, "%s: backing file chain deeper than %d (a loop?)", path,
                  BLOCK_MAX_BACKING_DEPTH);
        return NULL;
    }
    const char *format = opts->format && *opts->format ? opts->format : NULL;
    if (format && strcmp(format, "raw") && strcmp(format, "qcow2")) {
        block_err(err, errlen, "%s: unknown image format '%s' (raw or qcow2)", path, format);
        return NULL;
    }
    /* With -snapshot the image itself is only read. */
    bool read_only = opts->read_only || opts->snapshot;
    struct block_backend *file = block_raw_open(path, read_only, true, err, errlen);
    if (!file)
        return NULL;
    file->log = opts->log;
    file->log_opaque = opts->log_opaque;

    uint8_t head[512] = {0};
    size_t n = block_length(file) < sizeof head ? (size_t)block_length(file) : sizeof head;
    int r = block_read(file, 0, head, n);
    if (r < 0) {
        block_err(err, errlen, "%s: %s", path, strerror(-r));
        block_close(file);
        return NULL;
    }
    const char *probed = block_probe_format(head, n);
    bool is_qcow2 = probed && !strcmp(probed, "qcow2");
    bool probing = !format;
    if (probing) {
        if (probed && !is_qcow2) {
            block_err(err, errlen, "%s: %s images are not supported (raw and qcow2 are)", path,
                      probed);
            block_close(file);
            return NULL;
        }
        format = is_qcow2 ? "qcow2" : "raw";
    } else if (!strcmp(format, "qcow2") && !is_qcow2) {
        block_err(err, errlen, "%s: not a qcow2 image (format=qcow2 given)", path);
        block_close(file);
        return NULL;
    }

    struct block_backend *bb;
    if (!strcmp(format, "raw")) {
        block_raw_set_growable(file, false);
        block_raw_set_probed(file, probing);
        bb = file;
    } else {
        bb = block_qcow2_open(file, path, read_only, NULL, depth, err, errlen);
        if (!bb)
            return NULL;
    }
    bb->log = opts->log;
    bb->log_opaque = opts->log_opaque;
    /* readonly=on needs no overlay: the guest cannot write anyway. */
    if (opts->snapshot && !opts->read_only)
        bb = block_snapshot_overlay(bb, path, format, err, errlen);
    return bb;
}

struct block_backend *block_open(const char *path, const struct block_options *opts,
                                 char *err, size_t errlen)
{
    return block_open_depth(path, opts, 0, err, errlen);
}

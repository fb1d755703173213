/* Block backends: what a disk device (IDE, ATAPI, virtio-blk) reads and
 * writes through. A device holds a struct block_backend * and never knows
 * whether a raw file, a qcow2 image, a -snapshot overlay or a test's
 * recording/failing backend sits behind it (DESIGN.md).
 *
 * Offsets and lengths are in bytes of the guest-visible disk. Every call
 * returns 0 or a negative errno: a host I/O error or corruption found in an
 * image is never turned into a silent success, and the device reports it to
 * the guest as an I/O error. */
#ifndef TURTLES_DEVICES_BLOCK_BLOCK_H
#define TURTLES_DEVICES_BLOCK_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct block_backend;

/* Where a backend's runtime complaints go (corruption found while the guest
 * runs): one line, no newline. NULL: stderr with a "turtles: " prefix. */
typedef void (*block_log_fn)(void *opaque, const char *line);

struct block_backend {
    /* Read or write len bytes at offset; a range past length() is -EINVAL. */
    int (*read)(struct block_backend *bb, uint64_t offset, void *buf, size_t len);
    int (*write)(struct block_backend *bb, uint64_t offset, const void *buf, size_t len);
    /* Everything written before is on the host disk (fdatasync) when this
     * returns 0. */
    int (*flush)(struct block_backend *bb);
    /* The guest no longer needs the range; later reads return zeros or the
     * old data (virtio-blk DISCARD semantics), never another range's data. */
    int (*discard)(struct block_backend *bb, uint64_t offset, uint64_t len);
    uint64_t (*length)(struct block_backend *bb);
    bool (*read_only)(struct block_backend *bb);
    /* Releases everything, including the lock; bb is freed. */
    void (*close)(struct block_backend *bb);

    block_log_fn log;
    void *log_opaque;
    char name[64];   /* for log lines: the image's file name */
};

/* The calls devices make (thin wrappers over the function pointers). */
static inline int block_read(struct block_backend *bb, uint64_t off, void *buf, size_t len)
{
    return bb->read(bb, off, buf, len);
}
static inline int block_write(struct block_backend *bb, uint64_t off, const void *buf, size_t len)
{
    return bb->write(bb, off, buf, len);
}
static inline int block_flush(struct block_backend *bb) { return bb->flush(bb); }
static inline int block_discard(struct block_backend *bb, uint64_t off, uint64_t len)
{
    return bb->discard(bb, off, len);
}
static inline uint64_t block_length(struct block_backend *bb) { return bb->length(bb); }
static inline bool block_read_only(struct block_backend *bb) { return bb->read_only(bb); }
static inline void block_close(struct block_backend *bb)
{
    if (bb)
        bb->close(bb);
}

/* True when [off, off + len) lies inside a disk of size total. */
static inline bool block_range_ok(uint64_t total, uint64_t off, uint64_t len)
{
    return off <= total && len <= total - off;
}

/* One log line for bb (through bb->log, or stderr). */
void block_log(struct block_backend *bb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Copy name's last path component into bb->name. */
void block_set_name(struct block_backend *bb, const char *path);

/* What the command line asks for (-drive file=,format=,readonly=, -snapshot). */
struct block_options {
    const char *format;   /* NULL or "": probe; "raw" or "qcow2" */
    bool read_only;
    bool snapshot;        /* writes go to a temporary qcow2 overlay */
    block_log_fn log;
    void *log_opaque;
};

/* Open an image. On failure returns NULL with one line (no newline) in err,
 * and nothing has been written to the file. */
struct block_backend *block_open(const char *path, const struct block_options *opts,
                                 char *err, size_t errlen);

#endif

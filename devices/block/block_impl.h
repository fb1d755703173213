/* Constructors of the block backends, for block_open.c and the tests.
 * Devices include only block.h. */
#ifndef TURTLES_DEVICES_BLOCK_BLOCK_IMPL_H
#define TURTLES_DEVICES_BLOCK_BLOCK_IMPL_H

#include <stdarg.h>

#include "devices/block/block.h"

/* A host file (block_raw.c). growable: writes past the end extend the file
 * (the file under a qcow2 image); otherwise the disk has the file's size.
 * Takes the image lock (block_lock.c) before returning. */
struct block_backend *block_raw_open(const char *path, bool read_only, bool growable,
                                     char *err, size_t errlen);
/* The same over an already open descriptor (a -snapshot overlay's unlinked
 * temporary file); takes ownership of fd; no lock (nobody else can open it). */
struct block_backend *block_raw_from_fd(int fd, const char *name, bool growable,
                                        char *err, size_t errlen);

/* Whether writes past the end extend the file (decided after probing). */
void block_raw_set_growable(struct block_backend *bb, bool growable);
/* The raw format was probed, not given: the guest may not write a first
 * sector that the next probe would take for another format (a qcow2
 * header naming a host file as its backing file would let the guest read
 * that file on the next boot). QEMU refuses the same writes. */
void block_raw_set_probed(struct block_backend *bb, bool probed);

/* The format whose signature starts the n bytes at b ("qcow2", "vmdk",
 * "vdi", "vhdx", "vpc", "qed"), or NULL for none: raw (block_probe.c). */
const char *block_probe_format(const uint8_t *b, size_t n);

/* A -snapshot overlay (block_overlay.c): a qcow2 image in an unlinked
 * temporary file whose backing image is base (owned from then on, also on
 * failure). base_path goes into the overlay's header. */
struct block_backend *block_snapshot_overlay(struct block_backend *base, const char *base_path,
                                             const char *base_format, char *err, size_t errlen);

/* qcow2 on top of file (block_qcow2.c); takes ownership of file, also on
 * failure. path is the image's name, for resolving a relative backing file.
 * backing: if non-NULL, used as the backing image instead of the one named
 * in the header (the -snapshot overlay's base); owned from then on. */
struct block_backend *block_qcow2_open(struct block_backend *file, const char *path,
                                       bool read_only, struct block_backend *backing,
                                       int depth, char *err, size_t errlen);
/* Write a fresh, empty qcow2 v3 image of size bytes to the (empty) file
 * (qcow2_create.c). backing_name/backing_format go into the header. */
int qcow2_create(struct block_backend *file, uint64_t size, unsigned cluster_bits,
                 const char *backing_name, const char *backing_format);

/* block_open with a nesting depth, for backing files (block_open.c). */
struct block_backend *block_open_depth(const char *path, const struct block_options *opts,
                                       int depth, char *err, size_t errlen);
#define BLOCK_MAX_BACKING_DEPTH 16

/* printf into err (one line). */
void block_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

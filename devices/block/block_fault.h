/* A backend that wraps another one, records every call and fails the ones
 * a test picks: fault injection for the block layer's own tests and for
 * the disk devices' tests (a host I/O error must reach the guest as an
 * I/O error). */
#ifndef TURTLES_DEVICES_BLOCK_BLOCK_FAULT_H
#define TURTLES_DEVICES_BLOCK_BLOCK_FAULT_H

#include "devices/block/block.h"

enum block_op { BLOCK_OP_READ, BLOCK_OP_WRITE, BLOCK_OP_FLUSH, BLOCK_OP_DISCARD, BLOCK_OP_COUNT };

#define BLOCK_FAULT_LOG 256

struct block_fault_record {
    enum block_op op;
    uint64_t offset, len;
    int result;
};

struct block_fault {
    struct block_backend bb;
    struct block_backend *inner;   /* NULL: a disk of `size` zero bytes in memory */
    uint64_t size;
    uint8_t *memory;
    /* Fail calls of kind op from call number fail_after on (0: the next
     * one), fail_count times (-1: forever), with error fail_errno. */
    struct {
        long fail_after;
        long fail_count;
        int fail_errno;
    } fault[BLOCK_OP_COUNT];
    unsigned long calls[BLOCK_OP_COUNT];
    /* The last BLOCK_FAULT_LOG calls, oldest first once full. */
    struct block_fault_record log[BLOCK_FAULT_LOG];
    unsigned long nlog;
    /* Optional: called with every record as it is made (a complete trace
     * when the ring is too short). */
    void (*on_record)(void *opaque, const struct block_fault_record *rec);
    void *on_record_opaque;
    bool read_only;
};

/* Wrap inner (owned, closed with the wrapper) or, with inner NULL, a
 * zero-filled memory disk of size bytes. */
struct block_fault *block_fault_new(struct block_backend *inner, uint64_t size);
/* From call number `after` of kind op on (counted from now), fail `count`
 * calls (-1: all) with -err. */
void block_fault_arm(struct block_fault *f, enum block_op op, long after, long count, int err);

#endif

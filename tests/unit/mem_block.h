/* A block backend over a host buffer for device tests (IDE, virtio-blk):
 * bounds-checked reads and writes, a read-only switch, and counters and
 * failure switches that a test inspects and sets. */
#ifndef TURTLES_TESTS_MEM_BLOCK_H
#define TURTLES_TESTS_MEM_BLOCK_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "devices/block/block.h"

struct mem_bb {
    struct block_backend bb;
    uint8_t *data;
    uint64_t size;
    bool ro;
    bool fail_reads, fail_flush;   /* set by the test: -EIO */
    int flushes, discards;         /* counted */
    uint64_t discard_off, discard_len;
};

static inline struct mem_bb *mem_bb_of(struct block_backend *bb)
{
    return (struct mem_bb *)bb;
}

static inline int mem_bb_read(struct block_backend *bb, uint64_t off, void *buf, size_t len)
{
    struct mem_bb *m = mem_bb_of(bb);
    if (m->fail_reads)
        return -EIO;
    if (!block_range_ok(m->size, off, len))
        return -EINVAL;
    memcpy(buf, m->data + off, len);
    return 0;
}

static inline int mem_bb_write(struct block_backend *bb, uint64_t off, const void *buf, size_t len)
{
    struct mem_bb *m = mem_bb_of(bb);
    if (m->ro || !block_range_ok(m->size, off, len))
        return -EINVAL;
    memcpy(m->data + off, buf, len);
    return 0;
}

static inline int mem_bb_flush(struct block_backend *bb)
{
    struct mem_bb *m = mem_bb_of(bb);
    m->flushes++;
    return m->fail_flush ? -EIO : 0;
}

static inline int mem_bb_discard(struct block_backend *bb, uint64_t off, uint64_t len)
{
    struct mem_bb *m = mem_bb_of(bb);
    m->discards++;
    m->discard_off = off;
    m->discard_len = len;
    return 0;
}

static inline uint64_t mem_bb_length(struct block_backend *bb) { return mem_bb_of(bb)->size; }
static inline bool mem_bb_read_only(struct block_backend *bb) { return mem_bb_of(bb)->ro; }
static inline void mem_bb_close(struct block_backend *bb) { (void)bb; }

static inline void mem_bb_init(struct mem_bb *m, uint8_t *data, uint64_t size, bool ro)
{
    *m = (struct mem_bb){.bb = {.read = mem_bb_read, .write = mem_bb_write,
                                .flush = mem_bb_flush, .discard = mem_bb_discard,
                                .length = mem_bb_length, .read_only = mem_bb_read_only,
                                .close = mem_bb_close},
                         .data = data, .size = size, .ro = ro};
}

#endif

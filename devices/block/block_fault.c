/* The recording and failing test backend (block_fault.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/block_fault.h"

static struct block_fault *fault_of(struct block_backend *bb)
{
    return (struct block_fault *)bb;
}

/* Count the call; the injected error for it, or 0. */
static int injected(struct block_fault *f, enum block_op op)
{
    unsigned long n = f->calls[op]++;
    long after = f->fault[op].fail_after, count = f->fault[op].fail_count;
    if (!f->fault[op].fail_errno || after < 0 || n < (unsigned long)after)
        return 0;
    if (count >= 0 && n >= (unsigned long)after + (unsigned long)count)
        return 0;
    return -f->fault[op].fail_errno;
}

static int record(struct block_fault *f, enum block_op op, uint64_t off, uint64_t len, int r)
{
    struct block_fault_record *rec = &f->log[f->nlog++ % BLOCK_FAULT_LOG];
    rec->op = op;
    rec->offset = off;
    rec->len = len;
    rec->result = r;
    if (f->on_record)
        f->on_record(f->on_record_opaque, rec);
    return r;
}

static int f_read(struct block_backend *bb, uint64_t off, void *buf, size_t len)
{
    struct block_fault *f = fault_of(bb);
    int r = injected(f, BLOCK_OP_READ);
    if (r == 0 && f->inner)
        r = block_read(f->inner, off, buf, len);
    else if (r == 0 && !block_range_ok(f->size, off, len))
        r = -EINVAL;
    else if (r == 0)
        memcpy(buf, f->memory + off, len);
    return record(f, BLOCK_OP_READ, off, len, r);
}

static int f_write(struct block_backend *bb, uint64_t off, const void *buf, size_t len)
{
    struct block_fault *f = fault_of(bb);
    int r = f->read_only ? -EROFS : injected(f, BLOCK_OP_WRITE);
    if (r == 0 && f->inner)
        r = block_write(f->inner, off, buf, len);
    else if (r == 0 && !block_range_ok(f->size, off, len))
        r = -EINVAL;
    else if (r == 0)
        memcpy(f->memory + off, buf, len);
    return record(f, BLOCK_OP_WRITE, off, len, r);
}

static int f_flush(struct block_backend *bb)
{
    struct block_fault *f = fault_of(bb);
    int r = injected(f, BLOCK_OP_FLUSH);
    if (r == 0 && f->inner)
        r = block_flush(f->inner);
    return record(f, BLOCK_OP_FLUSH, 0, 0, r);
}

static int f_discard(struct block_backend *bb, uint64_t off, uint64_t len)
{
    struct block_fault *f = fault_of(bb);
    int r = f->read_only ? -EROFS : injected(f, BLOCK_OP_DISCARD);
    if (r == 0 && f->inner)
        r = block_discard(f->inner, off, len);
    else if (r == 0 && !block_range_ok(f->size, off, len))
        r = -EINVAL;
    else if (r == 0)
        memset(f->memory + off, 0, len);
    return record(f, BLOCK_OP_DISCARD, off, len, r);
}

static uint64_t f_length(struct block_backend *bb)
{
    struct block_fault *f = fault_of(bb);
    return f->inner ? block_length(f->inner) : f->size;
}

static bool f_read_only(struct block_backend *bb)
{
    struct block_fault *f = fault_of(bb);
    return f->read_only || (f->inner && block_read_only(f->inner));
}

static void f_close(struct block_backend *bb)
{
    struct block_fault *f = fault_of(bb);
    block_close(f->inner);
    free(f->memory);
    free(f);
}

struct block_fault *block_fault_new(struct block_backend *inner, uint64_t size)
{
    struct block_fault *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (!inner) {
        f->memory = calloc(1, size ? size : 1);
        if (!f->memory) {
            free(f);
            return NULL;
        }
        f->size = size;
    }
    f->inner = inner;
    f->bb.read = f_read;
    f->bb.write = f_write;
    f->bb.flush = f_flush;
    f->bb.discard = f_discard;
    f->bb.length = f_length;
    f->bb.read_only = f_read_only;
    f->bb.close = f_close;
    if (inner) {
        f->bb.log = inner->log;
        f->bb.log_opaque = inner->log_opaque;
        memcpy(f->bb.name, inner->name, sizeof f->bb.name);
    } else {
        block_set_name(&f->bb, "memory");
    }
    return f;
}

void block_fault_arm(struct block_fault *f, enum block_op op, long after, long count, int err)
{
    f->fault[op].fail_after = (long)f->calls[op] + after;
    f->fault[op].fail_count = count;
    f->fault[op].fail_errno = err;
}

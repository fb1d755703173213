/* qcow2 guest data: the L1/L2 walk, reads (backing file, zero clusters,
 * zlib-compressed clusters), writes with copy-on-write of shared or
 * compressed clusters and shared L2 tables, and discard; plus the small
 * write-through cache of metadata tables.
 *
 * Order of updates (so that after any flush the image is consistent, and a
 * crash in between can only leak a cluster, never leave an L2 entry
 * pointing to an unreferenced one): a new cluster's refcount is written
 * first (qcow2_alloc_cluster), then its contents, then the L1/L2 entry that
 * points to it; an old cluster's refcount is dropped only after the entry
 * no longer points to it. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "devices/block/qcow2.h"

int qcow2_cache_init(struct qcow2_cache *c, uint64_t cluster_size)
{
    memset(c, 0, sizeof *c);
    c->data = malloc(QCOW2_CACHE_SLOTS * cluster_size);
    return c->data ? 0 : -ENOMEM;
}

void qcow2_cache_free(struct qcow2_cache *c)
{
    free(c->data);
    c->data = NULL;
}

static int cache_slot(struct qcow2_cache *c, uint64_t off, bool *hit)
{
    int victim = 0;
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++) {
        if (c->offset[i] == off) {
            *hit = true;
            return i;
        }
        if (c->used[i] < c->used[victim])
            victim = i;
    }
    *hit = false;
    return victim;
}

int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, uint8_t **table)
{
    bool hit;
    int i = cache_slot(c, off, &hit);
    uint8_t *p = c->data + (uint64_t)i * q->cluster_size;
    if (!hit) {
        c->offset[i] = 0;
        int r = block_read(q->file, off, p, q->cluster_size);
        if (r < 0)
            return r;
        c->offset[i] = off;
    }
    c->used[i] = ++c->clock;
    *table = p;
    return 0;
}

void qcow2_cache_put(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, const uint8_t *data)
{
    bool hit;
    int i = cache_slot(c, off, &hit);
    memcpy(c->data + (uint64_t)i * q->cluster_size, data, q->cluster_size);
    c->offset[i] = off;
    c->used[i] = ++c->clock;
}

void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off)
{
    for (int i = 0; i < QCOW2_CACHE_SLOTS; i++)
        if (c->offset[i] == off)
            c->offset[i] = 0;
}

/* Set entry index of the cached L2 table at l2 and write it through. */
static int l2_set(struct qcow2 *q, uint64_t l2, uint64_t index, uint64_t entry)
{
    uint8_t *t;
    int r = qcow2_cache_get(q, &q->l2_cache, l2, &t);
    if (r < 0)
        return r;
    qcow2_put_be64(t + index * 8, entry);
    r = block_write(q->file, l2 + index * 8, t + index * 8, 8);
    if (r < 0)
        qcow2_cache_drop(&q->l2_cache, l2);   /* the file may hold either value */
    return r;
}

/* The L2 entry of guest cluster gc (0 when no L2 table). */
static int l2_entry(struct qcow2 *q, uint64_t gc, uint64_t *entry)
{
    uint64_t l1i = gc / q->l2_entries;
    if (l1i >= q->l1_size)
        return qcow2_corrupt(q, "guest cluster %" PRIu64 " beyond the L1 table", gc);
    uint64_t l2 = q->l1[l1i] & QCOW2_OFFSET_MASK;
    *entry = 0;
    if (!l2)
        return 0;
    if (!qcow2_offset_ok(q, l2))
        return qcow2_corrupt(q, "L1 entry %" PRIu64 " points to 0x%" PRIx64, l1i, l2);
    uint8_t *t;
    int r = qcow2_cache_get(q, &q->l2_cache, l2, &t);
    if (r < 0)
        return r;
    *entry = qcow2_be64(t + (gc % q->l2_entries) * 8);
    return 0;
}

/* Host byte range of a compressed cluster as QEMU accounts it: from the
 * sector holding its first byte, nb_sectors whole 512-byte sectors. */
static void compressed_range(struct qcow2 *q, uint64_t entry, uint64_t *start, uint64_t *len)
{
    uint64_t off = entry & q->coffset_mask;
    *start = off & ~511ull;
    *len = (((entry >> q->csize_shift) & q->csize_mask) + 1) * 512;
}

static int read_compressed(struct qcow2 *q, uint64_t entry, uint8_t *out)
{
    uint64_t off = entry & q->coffset_mask;
    uint64_t start, len;
    compressed_range(q, entry, &start, &len);
    uint64_t in_len = start + len - off;
    if (off >= block_length(q->file))
        return qcow2_corrupt(q, "compressed cluster at 0x%" PRIx64 " past the end of the file", off);
    int r = block_read(q->file, off, q->compressed_buf, in_len);
    if (r < 0)
        return r;
    /* Raw deflate data (no zlib header), as QEMU writes it (window 2^12). */
    z_stream z = {0};
    if (inflateInit2(&z, -12) != Z_OK)
        return -ENOMEM;
    z.next_in = q->compressed_buf;
    z.avail_in = (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)q->cluster_size;
    int zr = inflate(&z, Z_FINISH);
    bool full = z.avail_out == 0;
    inflateEnd(&z);
    /* The sector count may cover bytes after the stream's end: a full
     * cluster of output is what counts. */
    if (!full || (zr != Z_STREAM_END && zr != Z_BUF_ERROR && zr != Z_OK))
        return qcow2_corrupt(q, "compressed cluster at 0x%" PRIx64 " does not inflate", off);
    return 0;
}

/* Read n bytes at offset in within guest cluster gc whose L2 entry is
 * entry: the one place that knows what each kind of entry means. */
static int read_in_cluster(struct qcow2 *q, uint64_t gc, uint64_t entry, uint64_t in,
                           uint8_t *buf, uint64_t n)
{
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        if (in == 0 && n == q->cluster_size)
            return read_compressed(q, entry, buf);
        uint8_t *tmp = malloc(q->cluster_size);
        if (!tmp)
            return -ENOMEM;
        int r = read_compressed(q, entry, tmp);
        if (r == 0)
            memcpy(buf, tmp + in, n);
        free(tmp);
        return r;
    }
    if (q->version >= 3 && (entry & QCOW2_OFLAG_ZERO)) {
        memset(buf, 0, n);
        return 0;
    }
    uint64_t host = entry & QCOW2_OFFSET_MASK;
    if (host) {
        if (!qcow2_offset_ok(q, host))
            return qcow2_corrupt(q, "L2 entry of guest cluster %" PRIu64 " points to 0x%" PRIx64,
                                 gc, host);
        return block_read(q->file, host + in, buf, n);
    }
    /* Unallocated: the backing image, zeros where it is shorter. */
    uint64_t goff = (gc << q->cluster_bits) + in;
    uint64_t from_backing = 0;
    if (q->backing) {
        uint64_t blen = block_length(q->backing);
        if (goff < blen)
            from_backing = blen - goff < n ? blen - goff : n;
        if (from_backing) {
            int r = block_read(q->backing, goff, buf, from_backing);
            if (r < 0)
                return r;
        }
    }
    memset(buf + from_backing, 0, n - from_backing);
    return 0;
}

int qcow2_read(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len)
{
    while (len) {
        uint64_t gc = off >> q->cluster_bits, in = off & (q->cluster_size - 1);
        uint64_t n = q->cluster_size - in < len ? q->cluster_size - in : len;
        uint64_t entry;
        int r = l2_entry(q, gc, &entry);
        if (r == 0)
            r = read_in_cluster(q, gc, entry, in, buf, n);
        if (r < 0)
            return r;
        off += n;
        buf += n;
        len -= n;
    }
    return 0;
}

/* The L2 table for L1 index l1i, made ours alone: allocated when missing,
 * copied when shared with an internal snapshot (COPIED clear). */
static int l2_for_write(struct qcow2 *q, uint64_t l1i, uint64_t *l2_out)
{
    uint64_t e = q->l1[l1i], old = e & QCOW2_OFFSET_MASK;
    if (old && (e & QCOW2_OFLAG_COPIED)) {
        *l2_out = old;
        return 0;
    }
    if (old && !qcow2_offset_ok(q, old))
        return qcow2_corrupt(q, "L1 entry %" PRIu64 " points to 0x%" PRIx64, l1i, old);
    uint64_t fresh;
    int r = qcow2_alloc_cluster(q, &fresh);
    if (r < 0)
        return r;
    if (old) {
        uint8_t *t;
        r = qcow2_cache_get(q, &q->l2_cache, old, &t);
        if (r < 0)
            return r;
        memcpy(q->cluster_buf, t, q->cluster_size);
    } else {
        memset(q->cluster_buf, 0, q->cluster_size);
    }
    r = block_write(q->file, fresh, q->cluster_buf, q->cluster_size);
    if (r < 0)
        return r;
    qcow2_cache_put(q, &q->l2_cache, fresh, q->cluster_buf);
    uint8_t be[8];
    qcow2_put_be64(be, fresh | QCOW2_OFLAG_COPIED);
    r = block_write(q->file, q->l1_offset + l1i * 8, be, 8);
    if (r < 0)
        return r;
    q->l1[l1i] = fresh | QCOW2_OFLAG_COPIED;
    if (old)
        r = qcow2_update_refcount(q, old, q->cluster_size, -1);
    *l2_out = fresh;
    return r;
}

/* Drop the reference an L2 entry held (after the entry changed). */
static int release_entry(struct qcow2 *q, uint64_t entry)
{
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        uint64_t start, len;
        compressed_range(q, entry, &start, &len);
        return qcow2_update_refcount(q, start, len, -1);
    }
    uint64_t host = entry & QCOW2_OFFSET_MASK;
    return host ? qcow2_update_refcount(q, host, q->cluster_size, -1) : 0;
}

static int write_in_cluster(struct qcow2 *q, uint64_t gc, uint64_t in, const uint8_t *buf,
                            uint64_t n)
{
    uint64_t l2, l2i = gc % q->l2_entries;
    int r = l2_for_write(q, gc / q->l2_entries, &l2);
    if (r < 0)
        return r;
    uint64_t entry;
    r = l2_entry(q, gc, &entry);
    if (r < 0)
        return r;
    bool compressed = entry & QCOW2_OFLAG_COMPRESSED;
    bool zero = !compressed && q->version >= 3 && (entry & QCOW2_OFLAG_ZERO);
    uint64_t host = compressed ? 0 : entry & QCOW2_OFFSET_MASK;
    if (host && !qcow2_offset_ok(q, host))
        return qcow2_corrupt(q, "L2 entry of guest cluster %" PRIu64 " points to 0x%" PRIx64,
                             gc, host);
    bool ours = host && (entry & QCOW2_OFLAG_COPIED);
    if (ours && !zero)
        return block_write(q->file, host + in, buf, n);

    /* A whole new cluster: the old contents (backing file, zeros,
     * decompressed or shared data) around the written bytes. */
    const uint8_t *full = buf;
    if (n < q->cluster_size) {
        r = read_in_cluster(q, gc, entry, 0, q->cluster_buf, q->cluster_size);
        if (r < 0)
            return r;
        memcpy(q->cluster_buf + in, buf, n);
        full = q->cluster_buf;
    }
    uint64_t target = host;   /* a preallocated zero cluster of ours is reused */
    if (!ours) {
        r = qcow2_alloc_cluster(q, &target);
        if (r < 0)
            return r;
    }
    r = block_write(q->file, target, full, q->cluster_size);
    if (r < 0)
        return r;
    r = l2_set(q, l2, l2i, target | QCOW2_OFLAG_COPIED);
    if (r < 0)
        return r;
    return ours ? 0 : release_entry(q, entry);
}

int qcow2_write(struct qcow2 *q, uint64_t off, const uint8_t *buf, size_t len)
{
    while (len) {
        uint64_t gc = off >> q->cluster_bits, in = off & (q->cluster_size - 1);
        uint64_t n = q->cluster_size - in < len ? q->cluster_size - in : len;
        int r = write_in_cluster(q, gc, in, buf, n);
        if (r < 0)
            return r;
        off += n;
        buf += n;
        len -= n;
    }
    return 0;
}

/* Whole clusters of a version 3 image become zero clusters and give their
 * space back; partial clusters and version 2 images keep their data, which
 * DISCARD allows. */
int qcow2_discard(struct qcow2 *q, uint64_t off, uint64_t len)
{
    if (q->version < 3)
        return 0;
    uint64_t first = (off + q->cluster_size - 1) >> q->cluster_bits;
    uint64_t end = (off + len) >> q->cluster_bits;
    if (off + len == q->size)
        end = (q->size + q->cluster_size - 1) >> q->cluster_bits;   /* a short last cluster */
    for (uint64_t gc = first; gc < end; gc++) {
        uint64_t entry;
        int r = l2_entry(q, gc, &entry);
        if (r < 0)
            return r;
        if (entry == QCOW2_OFLAG_ZERO)
            continue;
        if (entry == 0 && !q->backing)
            continue;
        uint64_t l2;
        r = l2_for_write(q, gc / q->l2_entries, &l2);
        if (r == 0)
            r = l2_entry(q, gc, &entry);   /* the table may have been copied */
        if (r == 0)
            r = l2_set(q, l2, gc % q->l2_entries, QCOW2_OFLAG_ZERO);
        if (r == 0)
            r = release_entry(q, entry);
        if (r < 0)
            return r;
    }
    return 0;
}

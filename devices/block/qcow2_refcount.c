/* qcow2 reference counts: reading and updating entries of any width the
 * format allows (refcount_order 0..6: 1 to 64 bits), allocating clusters,
 * creating refcount blocks and growing the refcount table.
 *
 * Every change is written to the file before anything points to what it
 * describes: a new refcount block before the table entry naming it, a new
 * refcount table (with the blocks that count its own clusters) before the
 * header switches to it. A crash between two steps leaks clusters at worst. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/qcow2.h"

#define QCOW2_MAX_REFTABLE_CLUSTER_BYTES (8u << 20)

/* Entry i of a refcount block. Sub-byte widths are packed from the least
 * significant bit of each byte up; wider ones are big-endian. */
static uint64_t entry_get(const uint8_t *b, unsigned order, uint64_t i)
{
    switch (order) {
    case 0: return b[i / 8] >> (i % 8) & 1;
    case 1: return b[i / 4] >> (2 * (i % 4)) & 3;
    case 2: return b[i / 2] >> (4 * (i % 2)) & 0xf;
    case 3: return b[i];
    case 4: return (uint64_t)b[2 * i] << 8 | b[2 * i + 1];
    case 5: return qcow2_be32(b + 4 * i);
    default: return qcow2_be64(b + 8 * i);
    }
}

/* Set entry i; returns the byte offset and length that changed. */
static void entry_set(uint8_t *b, unsigned order, uint64_t i, uint64_t v, uint64_t *at, uint64_t *n)
{
    if (order < 3) {
        unsigned bits = 1u << order, per = 8 / bits, shift = bits * (unsigned)(i % per);
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << shift);
        b[i / per] = (uint8_t)((b[i / per] & ~mask) | ((v << shift) & mask));
        *at = i / per;
        *n = 1;
        return;
    }
    unsigned bytes = 1u << (order - 3);
    for (unsigned k = 0; k < bytes; k++)
        b[i * bytes + k] = (uint8_t)(v >> (8 * (bytes - 1 - k)));
    *at = i * bytes;
    *n = bytes;
}

static uint64_t refcount_max(struct qcow2 *q)
{
    unsigned bits = 1u << q->refcount_order;
    return bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
}

/* The refcount block holding cluster's entry: *block 0 when none. */
static int block_of(struct qcow2 *q, uint64_t cluster, uint64_t *block)
{
    uint64_t ti = cluster / q->refblock_entries;
    *block = ti < q->reftable_entries ? q->reftable[ti] & QCOW2_OFFSET_MASK : 0;
    if (*block && !qcow2_offset_ok(q, *block))
        return qcow2_corrupt(q, "refcount table entry %" PRIu64 " points to 0x%" PRIx64, ti, *block);
    return 0;
}

int qcow2_get_refcount(struct qcow2 *q, uint64_t cluster, uint64_t *refcount)
{
    uint64_t block;
    int r = block_of(q, cluster, &block);
    *refcount = 0;
    if (r < 0 || !block)
        return r;
    uint8_t *t;
    r = qcow2_cache_get(q, &q->refblock_cache, block, &t);
    if (r < 0)
        return r;
    *refcount = entry_get(t, q->refcount_order, cluster % q->refblock_entries);
    return 0;
}

int qcow2_update_refcount(struct qcow2 *q, uint64_t off, uint64_t len, int delta)
{
    if (len == 0)
        return 0;
    uint64_t first = off >> q->cluster_bits, last = (off + len - 1) >> q->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        uint64_t block;
        int r = block_of(q, c, &block);
        if (r < 0)
            return r;
        if (!block)
            return qcow2_corrupt(q, "cluster 0x%" PRIx64 " is in use but has no refcount block",
                                 c << q->cluster_bits);
        uint8_t *t;
        r = qcow2_cache_get(q, &q->refblock_cache, block, &t);
        if (r < 0)
            return r;
        uint64_t i = c % q->refblock_entries;
        uint64_t old = entry_get(t, q->refcount_order, i);
        if (delta < 0 && old == 0)
            return qcow2_corrupt(q, "refcount of cluster 0x%" PRIx64 " would go below zero",
                                 c << q->cluster_bits);
        if (delta > 0 && old == refcount_max(q)) {
            block_log(&q->bb, "qcow2: refcount of cluster 0x%" PRIx64 " would overflow",
                      c << q->cluster_bits);
            return -EIO;
        }
        uint64_t at, n;
        entry_set(t, q->refcount_order, i, delta < 0 ? old - 1 : old + (uint64_t)delta, &at, &n);
        r = block_write(q->file, block + at, t + at, n);
        if (r < 0) {
            qcow2_cache_drop(&q->refblock_cache, block);
            return r;
        }
        if (delta < 0 && old == 1 && c < q->free_hint)
            q->free_hint = c;
    }
    return 0;
}

/* A refcount block for table index ti, placed at cluster n (inside the
 * range it describes, so it counts itself). */
static int new_self_block(struct qcow2 *q, uint64_t ti, uint64_t n)
{
    /* Not q->cluster_buf: a write may hold its merged cluster there while
     * it allocates. */
    uint8_t *b = calloc(1, q->cluster_size);
    if (!b)
        return -ENOMEM;
    uint64_t at, len, off = n << q->cluster_bits;
    entry_set(b, q->refcount_order, n % q->refblock_entries, 1, &at, &len);
    int r = block_write(q->file, off, b, q->cluster_size);
    if (r == 0)
        qcow2_cache_put(q, &q->refblock_cache, off, b);
    free(b);
    if (r < 0)
        return r;
    uint8_t be[8];
    qcow2_put_be64(be, off);
    r = block_write(q->file, q->reftable_offset + ti * 8, be, 8);
    if (r < 0)
        return r;
    q->reftable[ti] = off;
    return 0;
}

/* Replace the refcount table by a bigger one that has at least min_entries
 * entries. The new table and the refcount blocks that count it (and
 * themselves) go after everything the old table covers, where no cluster is
 * in use; the header switches to the new table in one write; then the old
 * table's clusters are freed. */
static int grow_reftable(struct qcow2 *q, uint64_t min_entries)
{
    uint64_t cs = q->cluster_size, E = q->refblock_entries;
    uint64_t file_clusters = (block_length(q->file) + cs - 1) / cs;
    uint64_t covered = q->reftable_entries * E;
    uint64_t start = file_clusters > covered ? file_clusters : covered;
    uint64_t table_clusters = (min_entries * 8 + cs - 1) / cs;
    if (table_clusters < 2ull * q->reftable_clusters)
        table_clusters = 2ull * q->reftable_clusters;
    uint64_t blocks = 0;
    for (;;) {
        uint64_t last = start + blocks + table_clusters - 1;
        uint64_t need_entries = last / E + 1 > min_entries ? last / E + 1 : min_entries;
        uint64_t nt = (need_entries * 8 + cs - 1) / cs;
        uint64_t nb = last / E - start / E + 1;
        if (nt <= table_clusters && nb <= blocks)
            break;
        if (nt > table_clusters)
            table_clusters = nt;
        if (nb > blocks)
            blocks = nb;
    }
    if (table_clusters * cs > QCOW2_MAX_REFTABLE_CLUSTER_BYTES) {
        block_log(&q->bb, "qcow2: the refcount table would exceed %u bytes",
                  QCOW2_MAX_REFTABLE_CLUSTER_BYTES);
        return -EFBIG;
    }
    uint64_t last = start + blocks + table_clusters - 1;
    uint64_t entries = table_clusters * cs / 8;
    uint64_t *table = calloc(entries, 8);
    uint8_t *raw = calloc(table_clusters, cs);
    uint8_t *b = malloc(cs);
    if (!table || !raw || !b) {
        free(table);
        free(raw);
        free(b);
        return -ENOMEM;
    }
    memcpy(table, q->reftable, q->reftable_entries * 8);
    int r = 0;
    for (uint64_t k = 0; k < blocks && r == 0; k++) {
        uint64_t range = start / E + k, at, n;
        memset(b, 0, cs);
        for (uint64_t c = start; c <= last; c++)
            if (c / E == range)
                entry_set(b, q->refcount_order, c % E, 1, &at, &n);
        uint64_t off = (start + k) * cs;
        r = block_write(q->file, off, b, cs);
        if (r == 0)
            qcow2_cache_put(q, &q->refblock_cache, off, b);
        table[range] = off;
    }
    for (uint64_t i = 0; i < entries; i++)
        qcow2_put_be64(raw + i * 8, table[i]);
    uint64_t table_off = (start + blocks) * cs;
    if (r == 0)
        r = block_write(q->file, table_off, raw, table_clusters * cs);
    free(raw);
    free(b);
    if (r == 0) {
        uint8_t h[12];
        qcow2_put_be64(h, table_off);
        qcow2_put_be32(h + 8, (uint32_t)table_clusters);
        r = block_write(q->file, QH_REFTABLE_OFFSET, h, sizeof h);
    }
    if (r < 0) {
        free(table);
        return r;
    }
    uint64_t old_off = q->reftable_offset, old_clusters = q->reftable_clusters;
    free(q->reftable);
    q->reftable = table;
    q->reftable_entries = entries;
    q->reftable_offset = table_off;
    q->reftable_clusters = (uint32_t)table_clusters;
    return qcow2_update_refcount(q, old_off, old_clusters * cs, -1);
}

int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off)
{
    /* At most a new refcount block and a table growth before the cluster
     * found is counted; more means refcounts that contradict themselves. */
    for (int round = 0; round < 4; round++) {
        uint64_t n = q->free_hint, rc;
        for (;; n++) {
            int r = qcow2_get_refcount(q, n, &rc);
            if (r < 0)
                return r;
            if (rc == 0)
                break;
        }
        /* Checked at open; refcount blocks damaged since then must not
         * make us write over the header or a table. */
        const char *clash = qcow2_overlaps_metadata(q, n << q->cluster_bits);
        if (clash)
            return qcow2_corrupt(q, "refcount of cluster 0x%" PRIx64 " (%s) is 0",
                                 n << q->cluster_bits, clash);
        uint64_t ti = n / q->refblock_entries;
        int r = 0;
        if (ti >= q->reftable_entries) {
            r = grow_reftable(q, ti + 1);
        } else if (!(q->reftable[ti] & QCOW2_OFFSET_MASK)) {
            r = new_self_block(q, ti, n);
        } else {
            r = qcow2_update_refcount(q, n << q->cluster_bits, 1, +1);
            if (r == 0) {
                q->free_hint = n + 1;
                *off = n << q->cluster_bits;
                return 0;
            }
        }
        if (r < 0)
            return r;
    }
    return qcow2_corrupt(q, "cannot allocate a cluster: the refcounts contradict themselves");
}

/* qcow2 images, versions 2 and 3: opening (every header field, the
 * header extensions, the L1 and refcount tables and every active L2 table
 * are checked before the guest sees the disk) and the backend calls.
 * Format: QEMU's docs/interop/qcow2.txt. Guest data: qcow2_map.c;
 * reference counts and allocation: qcow2_refcount.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/block_impl.h"
#include "devices/block/qcow2.h"

/* Limits that keep a hostile header from making us allocate or read
 * absurd amounts (QEMU has the same ones: 32 MiB of L1, 8 MiB of refcount
 * table, 1023-byte backing file names). */
#define QCOW2_MAX_L1_BYTES (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_SIZE (1ull << 56)

static struct qcow2 *qcow2_of(struct block_backend *bb)
{
    return (struct qcow2 *)bb;
}

int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    block_log(&q->bb, "qcow2 image is corrupt: %s", line);
    q->broken = true;
    return -EIO;
}

bool qcow2_offset_ok(struct qcow2 *q, uint64_t off)
{
    return off != 0 && (off & (q->cluster_size - 1)) == 0 && off < block_length(q->file);
}

static int q_read(struct block_backend *bb, uint64_t off, void *buf, size_t len)
{
    struct qcow2 *q = qcow2_of(bb);
    if (!block_range_ok(q->size, off, len))
        return -EINVAL;
    return qcow2_read(q, off, buf, len);
}

static int q_write(struct block_backend *bb, uint64_t off, const void *buf, size_t len)
{
    struct qcow2 *q = qcow2_of(bb);
    if (q->read_only)
        return -EROFS;
    if (!block_range_ok(q->size, off, len))
        return -EINVAL;
    if (q->broken)
        return -EIO;
    return qcow2_write(q, off, buf, len);
}

static int q_flush(struct block_backend *bb)
{
    struct qcow2 *q = qcow2_of(bb);
    /* Data and metadata go to the file write-through, in an order that
     * keeps the image consistent; one fdatasync makes all of it durable. */
    return block_flush(q->file);
}

static int q_discard(struct block_backend *bb, uint64_t off, uint64_t len)
{
    struct qcow2 *q = qcow2_of(bb);
    if (q->read_only)
        return -EROFS;
    if (!block_range_ok(q->size, off, len))
        return -EINVAL;
    if (q->broken)
        return -EIO;
    return qcow2_discard(q, off, len);
}

static uint64_t q_length(struct block_backend *bb)
{
    return qcow2_of(bb)->size;
}

static bool q_read_only(struct block_backend *bb)
{
    return qcow2_of(bb)->read_only;
}

static void q_free(struct qcow2 *q)
{
    qcow2_cache_free(&q->l2_cache);
    qcow2_cache_free(&q->refblock_cache);
    free(q->l1);
    free(q->reftable);
    free(q->cluster_buf);
    free(q->compressed_buf);
    block_close(q->backing);
    block_close(q->file);
    free(q);
}

static void q_close(struct block_backend *bb)
{
    q_free(qcow2_of(bb));
}

/* Read a big-endian u64 table of n entries at off into host order. */
static int read_table(struct qcow2 *q, uint64_t off, uint64_t n, uint64_t **out)
{
    uint64_t *t = calloc(n ? n : 1, sizeof *t);
    if (!t)
        return -ENOMEM;
    int r = block_read(q->file, off, t, n * 8);
    if (r < 0) {
        free(t);
        return r;
    }
    for (uint64_t i = 0; i < n; i++)
        t[i] = qcow2_be64((const uint8_t *)&t[i]);
    *out = t;
    return 0;
}

/* The checks of a header's features (version 3 fields). */
static int check_features(struct qcow2 *q, const uint8_t *h, uint32_t header_length,
                          char *err, size_t errlen)
{
    uint64_t incompat = qcow2_be64(h + QH_INCOMPAT);
    if (incompat & QCOW2_INCOMPAT_DIRTY) {
        block_err(err, errlen, "qcow2 image has the dirty bit set (lazy refcounts not written "
                  "back): repair it with qemu-img check -r all");
        return -1;
    }
    if ((incompat & QCOW2_INCOMPAT_CORRUPT) && !q->read_only) {
        block_err(err, errlen, "qcow2 image is marked corrupt: repair it with qemu-img check -r all "
                  "or open it read-only");
        return -1;
    }
    if (incompat & QCOW2_INCOMPAT_DATA_FILE) {
        block_err(err, errlen, "qcow2 images with an external data file are not supported");
        return -1;
    }
    if (incompat & QCOW2_INCOMPAT_COMPRESSION) {
        unsigned type = header_length > QH_COMPRESSION_TYPE ? h[QH_COMPRESSION_TYPE] : 0;
        block_err(err, errlen, "qcow2 compression type %u (%s) is not supported (only zlib)",
                  type, type == 1 ? "zstd" : "unknown");
        return -1;
    }
    if (incompat & QCOW2_INCOMPAT_EXTL2) {
        block_err(err, errlen, "qcow2 images with extended L2 entries are not supported");
        return -1;
    }
    uint64_t unknown = incompat & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT);
    if (unknown) {
        block_err(err, errlen, "qcow2 image has unknown incompatible features 0x%" PRIx64, unknown);
        return -1;
    }
    if (header_length > QH_COMPRESSION_TYPE && h[QH_COMPRESSION_TYPE] != 0) {
        block_err(err, errlen, "corrupt qcow2 header: compression type %u without its feature bit",
                  h[QH_COMPRESSION_TYPE]);
        return -1;
    }
    return 0;
}

/* Walk the header extensions after the header; unknown ones are skipped
 * as the spec allows. They end at an end marker, or where the backing
 * file name starts (old version 2 images put the name right after the
 * header, with no extensions at all), or at the end of the first cluster. */
static int read_extensions(struct qcow2 *q, const uint8_t *c0, uint64_t start,
                           char *backing_fmt, size_t fmtlen, char *err, size_t errlen)
{
    uint64_t end = q->cluster_size;
    uint64_t boff = qcow2_be64(c0 + QH_BACKING_OFFSET);
    if (boff && boff < end)
        end = boff;
    uint64_t off = start;
    backing_fmt[0] = 0;
    while (off + 8 <= end) {
        uint32_t type = qcow2_be32(c0 + off), len = qcow2_be32(c0 + off + 4);
        if (type == QCOW2_EXT_END)
            return 0;
        if (len > end - off - 8) {
            block_err(err, errlen, "corrupt qcow2 header: extension 0x%x runs past %s", type,
                      end == q->cluster_size ? "the first cluster" : "the backing file name");
            return -1;
        }
        if (type == QCOW2_EXT_BACKING_FORMAT) {
            if (len >= fmtlen) {
                block_err(err, errlen, "corrupt qcow2 header: backing format name too long");
                return -1;
            }
            memcpy(backing_fmt, c0 + off + 8, len);
            backing_fmt[len] = 0;
        }
        off += 8 + ((len + 7ull) & ~7ull);
    }
    return 0;
}

/* Which fixed metadata the cluster at host offset off overlaps, or NULL:
 * a data cluster or L2 table there would be written over the header or a
 * table (QEMU checks the same "metadata overlap"). */
const char *qcow2_overlaps_metadata(struct qcow2 *q, uint64_t off)
{
    uint64_t l1_end = q->l1_offset + (uint64_t)q->l1_size * 8;
    uint64_t rt_end = q->reftable_offset + q->reftable_entries * 8;
    if (off < q->cluster_size)
        return "the header";
    if (q->l1_size && off + q->cluster_size > q->l1_offset && off < l1_end)
        return "the L1 table";
    if (off + q->cluster_size > q->reftable_offset && off < rt_end)
        return "the refcount table";
    return NULL;
}

/* The clusters of [off, off + len) are all in use by the refcounts: one
 * that is not would be handed out again by the allocator and overwritten. */
static int check_referenced(struct qcow2 *q, uint64_t off, uint64_t len, const char *what,
                            char *err, size_t errlen)
{
    for (uint64_t c = off >> q->cluster_bits; c <= (off + len - 1) >> q->cluster_bits; c++) {
        uint64_t rc;
        if (qcow2_get_refcount(q, c, &rc) < 0) {
            block_err(err, errlen, "cannot read the refcount of cluster 0x%" PRIx64,
                      c << q->cluster_bits);
            return -1;
        }
        if (rc == 0) {
            block_err(err, errlen, "corrupt qcow2 image: %s at 0x%" PRIx64 " has refcount 0",
                      what, c << q->cluster_bits);
            return -1;
        }
    }
    return 0;
}

/* Every L1 entry, and every entry of every L2 table it points to, must
 * point inside the file, aligned, not onto the header or the L1 or
 * refcount table, and to clusters whose refcount is not 0: a bad one is
 * refused now, before the guest runs, rather than found halfway through a
 * boot or written over by a later allocation. */
static int check_tables(struct qcow2 *q, char *err, size_t errlen)
{
    uint64_t file_len = block_length(q->file);
    /* The refcount blocks first: the checks below read them. */
    for (uint64_t i = 0; i < q->reftable_entries; i++) {
        uint64_t rb = q->reftable[i];
        if (rb && !qcow2_offset_ok(q, rb & QCOW2_OFFSET_MASK)) {
            block_err(err, errlen, "corrupt qcow2 image: refcount table entry %" PRIu64
                      " points to 0x%" PRIx64 " (%s)", i, rb,
                      rb >= file_len ? "past the end of the file" : "misaligned");
            return -1;
        }
        if (rb & ~QCOW2_OFFSET_MASK) {
            block_err(err, errlen, "corrupt qcow2 image: refcount table entry %" PRIu64
                      " has reserved bits set", i);
            return -1;
        }
        const char *clash = rb ? qcow2_overlaps_metadata(q, rb) : NULL;
        if (clash) {
            block_err(err, errlen, "corrupt qcow2 image: refcount table entry %" PRIu64
                      " points into %s", i, clash);
            return -1;
        }
    }
    for (uint64_t i = 0; i < q->reftable_entries; i++)
        if (q->reftable[i] && check_referenced(q, q->reftable[i], 1, "refcount block", err, errlen) < 0)
            return -1;
    if (check_referenced(q, 0, q->cluster_size, "the header", err, errlen) < 0 ||
        (q->l1_size && check_referenced(q, q->l1_offset, (uint64_t)q->l1_size * 8, "the L1 table",
                                        err, errlen) < 0) ||
        check_referenced(q, q->reftable_offset, q->reftable_entries * 8, "the refcount table",
                         err, errlen) < 0)
        return -1;
    for (uint32_t i = 0; i < q->l1_size; i++) {
        uint64_t e = q->l1[i];
        uint64_t l2 = e & QCOW2_OFFSET_MASK;
        if (e & QCOW2_L1_RESERVED) {
            block_err(err, errlen, "corrupt qcow2 image: L1 entry %u has reserved bits set", i);
            return -1;
        }
        if (!l2)
            continue;
        if (!qcow2_offset_ok(q, l2)) {
            block_err(err, errlen, "corrupt qcow2 image: L1 entry %u points to an L2 table at "
                      "0x%" PRIx64 " (%s)", i, l2,
                      l2 >= file_len ? "past the end of the file" : "misaligned");
            return -1;
        }
        const char *clash = qcow2_overlaps_metadata(q, l2);
        if (clash) {
            block_err(err, errlen, "corrupt qcow2 image: L1 entry %u points into %s", i, clash);
            return -1;
        }
        if (check_referenced(q, l2, 1, "an L2 table", err, errlen) < 0)
            return -1;
        uint8_t *t;
        int r = qcow2_cache_get(q, &q->l2_cache, l2, &t);
        if (r < 0) {
            block_err(err, errlen, "cannot read the L2 table at 0x%" PRIx64 ": %s", l2, strerror(-r));
            return -1;
        }
        for (uint64_t j = 0; j < q->l2_entries; j++) {
            uint64_t d = qcow2_be64(t + j * 8);
            const char *why = NULL;
            uint64_t host;
            if (d & QCOW2_OFLAG_COMPRESSED) {
                host = d & q->coffset_mask;
                if (host >= file_len)
                    why = "past the end of the file";
            } else {
                host = d & QCOW2_OFFSET_MASK;
                if (d & QCOW2_L2_RESERVED)
                    why = "reserved bits set";
                else if ((d & QCOW2_OFLAG_ZERO) && q->version < 3)
                    why = "zero flag in a version 2 image";
                else if (host && (host & (q->cluster_size - 1)))
                    why = "misaligned";
                else if (host && host >= file_len)
                    why = "past the end of the file";
                else if (host && qcow2_overlaps_metadata(q, host))
                    why = qcow2_overlaps_metadata(q, host);
            }
            if (why) {
                block_err(err, errlen, "corrupt qcow2 image: L2 entry %" PRIu64 " of the table at "
                          "0x%" PRIx64 " points to 0x%" PRIx64 " (%s)", j, l2, host, why);
                return -1;
            }
            /* The refcount lookups use their own cache: t stays valid. */
            if (d & QCOW2_OFLAG_COMPRESSED) {
                uint64_t start = host & ~511ull;
                uint64_t len = (((d >> q->csize_shift) & q->csize_mask) + 1) * 512;
                if (check_referenced(q, start, len, "a compressed cluster", err, errlen) < 0)
                    return -1;
            } else if (host && check_referenced(q, host, 1, "a data cluster", err, errlen) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Open the backing file named in the header, relative to the image. */
static int open_backing(struct qcow2 *q, const uint8_t *c0, const char *path,
                        const char *backing_fmt, int depth, char *err, size_t errlen)
{
    uint64_t boff = qcow2_be64(c0 + QH_BACKING_OFFSET);
    uint32_t bsize = qcow2_be32(c0 + QH_BACKING_SIZE);
    if (!boff)
        return 0;
    if (bsize == 0 || bsize > QCOW2_MAX_BACKING_NAME || boff >= q->cluster_size ||
        bsize > q->cluster_size - boff) {
        block_err(err, errlen, "corrupt qcow2 header: bad backing file name (offset %" PRIu64
                  ", %u bytes)", boff, bsize);
        return -1;
    }
    char name[QCOW2_MAX_BACKING_NAME + 1];
    memcpy(name, c0 + boff, bsize);
    name[bsize] = 0;
    if (strlen(name) != bsize) {
        block_err(err, errlen, "corrupt qcow2 header: backing file name holds a NUL byte");
        return -1;
    }
    char full[4096];
    const char *slash = strrchr(path, '/');
    if (name[0] != '/' && slash)
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - path), path, name);
    else
        snprintf(full, sizeof full, "%s", name);
    struct block_options bo = {
        .format = backing_fmt[0] ? backing_fmt : NULL,
        .read_only = true,
        .log = q->bb.log,
        .log_opaque = q->bb.log_opaque,
    };
    char why[512];
    q->backing = block_open_depth(full, &bo, depth + 1, why, sizeof why);
    if (!q->backing) {
        /* The innermost failure says which image named which file; the
         * images above it pass that line on unchanged. */
        if (!strncmp(why, "backing file ", 13))
            block_err(err, errlen, "%s", why);
        else
            block_err(err, errlen, "backing file %s of %s: %s", name, path, why);
        return -2;
    }
    return 0;
}

static int parse(struct qcow2 *q, const char *path, int depth, bool have_backing,
                 char *err, size_t errlen)
{
    uint8_t h[QH_COMPRESSION_TYPE + 8] = {0};
    uint64_t file_len = block_length(q->file);
    if (file_len < QH_V2_LENGTH) {
        block_err(err, errlen, "truncated qcow2 image (%" PRIu64 " bytes)", file_len);
        return -1;
    }
    size_t hlen = file_len < sizeof h ? (size_t)file_len : sizeof h;
    if (block_read(q->file, 0, h, hlen) < 0) {
        block_err(err, errlen, "cannot read the qcow2 header");
        return -1;
    }
    if (qcow2_be32(h + QH_MAGIC) != QCOW2_MAGIC) {
        block_err(err, errlen, "not a qcow2 image (bad magic)");
        return -1;
    }
    q->version = qcow2_be32(h + QH_VERSION);
    if (q->version != 2 && q->version != 3) {
        block_err(err, errlen, "qcow2 version %u is not supported (2 and 3 are)", q->version);
        return -1;
    }
    q->cluster_bits = qcow2_be32(h + QH_CLUSTER_BITS);
    if (q->cluster_bits < 9 || q->cluster_bits > 21) {
        block_err(err, errlen, "corrupt qcow2 header: cluster_bits %u (9 to 21)", q->cluster_bits);
        return -1;
    }
    q->cluster_size = 1ull << q->cluster_bits;
    q->l2_entries = q->cluster_size / 8;
    uint32_t header_length = QH_V2_LENGTH;
    q->refcount_order = 4;
    if (q->version == 3) {
        header_length = qcow2_be32(h + QH_HEADER_LENGTH);
        if (header_length < QH_V3_MIN_LENGTH || header_length > q->cluster_size ||
            header_length > file_len) {
            block_err(err, errlen, "corrupt qcow2 header: header length %u", header_length);
            return -1;
        }
        if (check_features(q, h, header_length, err, errlen) < 0)
            return -1;
        q->refcount_order = qcow2_be32(h + QH_REFCOUNT_ORDER);
        if (q->refcount_order > 6) {
            block_err(err, errlen, "corrupt qcow2 header: refcount order %u (0 to 6)",
                      q->refcount_order);
            return -1;
        }
    }
    if (qcow2_be32(h + QH_CRYPT) != 0) {
        block_err(err, errlen, "encrypted qcow2 images are not supported");
        return -1;
    }
    q->size = qcow2_be64(h + QH_SIZE);
    if (q->size > QCOW2_MAX_SIZE) {
        block_err(err, errlen, "corrupt qcow2 header: disk size %" PRIu64, q->size);
        return -1;
    }
    q->refblock_entries = q->cluster_size * 8 >> q->refcount_order;
    q->csize_shift = 62 - (q->cluster_bits - 8);
    q->csize_mask = (1ull << (q->cluster_bits - 8)) - 1;
    q->coffset_mask = (1ull << q->csize_shift) - 1;

    /* The L1 table must cover the whole disk. */
    uint64_t per_l2 = q->cluster_size * q->l2_entries;
    uint64_t need_l1 = (q->size + per_l2 - 1) / per_l2;
    q->l1_size = qcow2_be32(h + QH_L1_SIZE);
    q->l1_offset = qcow2_be64(h + QH_L1_OFFSET);
    if ((uint64_t)q->l1_size * 8 > QCOW2_MAX_L1_BYTES || q->l1_size < need_l1) {
        block_err(err, errlen, "corrupt qcow2 header: L1 table of %u entries for a %" PRIu64
                  "-byte disk", q->l1_size, q->size);
        return -1;
    }
    if (q->l1_size && (!qcow2_offset_ok(q, q->l1_offset) ||
                       q->l1_offset + (uint64_t)q->l1_size * 8 > file_len)) {
        block_err(err, errlen, "corrupt qcow2 header: L1 table at 0x%" PRIx64 " (%s)", q->l1_offset,
                  q->l1_offset + (uint64_t)q->l1_size * 8 > file_len ? "past the end of the file"
                                                                      : "misaligned");
        return -1;
    }
    q->reftable_offset = qcow2_be64(h + QH_REFTABLE_OFFSET);
    q->reftable_clusters = qcow2_be32(h + QH_REFTABLE_CLUSTERS);
    q->reftable_entries = (uint64_t)q->reftable_clusters * q->cluster_size / 8;
    if (q->reftable_clusters == 0 ||
        (uint64_t)q->reftable_clusters * q->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        block_err(err, errlen, "corrupt qcow2 header: refcount table of %u clusters",
                  q->reftable_clusters);
        return -1;
    }
    if (!qcow2_offset_ok(q, q->reftable_offset) ||
        q->reftable_offset + q->reftable_entries * 8 > file_len) {
        block_err(err, errlen, "corrupt qcow2 header: refcount table at 0x%" PRIx64 " (%s)",
                  q->reftable_offset,
                  q->reftable_offset + q->reftable_entries * 8 > file_len ? "past the end of the file"
                                                                         : "misaligned");
        return -1;
    }
    uint32_t nb_snapshots = qcow2_be32(h + QH_NB_SNAPSHOTS);
    uint64_t snap_off = qcow2_be64(h + QH_SNAPSHOTS_OFFSET);
    if (nb_snapshots && !qcow2_offset_ok(q, snap_off)) {
        block_err(err, errlen, "corrupt qcow2 header: snapshot table at 0x%" PRIx64, snap_off);
        return -1;
    }

    /* Buffers, then the first cluster (extensions, backing file name). */
    q->cluster_buf = malloc(q->cluster_size);
    q->compressed_buf = malloc(2 * q->cluster_size);
    if (!q->cluster_buf || !q->compressed_buf || qcow2_cache_init(&q->l2_cache, q->cluster_size) < 0 ||
        qcow2_cache_init(&q->refblock_cache, q->cluster_size) < 0) {
        block_err(err, errlen, "out of memory");
        return -1;
    }
    uint8_t *c0 = q->cluster_buf;
    if (block_read(q->file, 0, c0, q->cluster_size) < 0) {
        block_err(err, errlen, "cannot read the qcow2 header cluster");
        return -1;
    }
    char backing_fmt[32];
    if (read_extensions(q, c0, header_length, backing_fmt, sizeof backing_fmt, err, errlen) < 0)
        return -1;
    if (!have_backing) {
        int r = open_backing(q, c0, path, backing_fmt, depth, err, errlen);
        if (r < 0)
            return r;
    }

    if (read_table(q, q->l1_offset, q->l1_size, &q->l1) < 0 ||
        read_table(q, q->reftable_offset, q->reftable_entries, &q->reftable) < 0) {
        block_err(err, errlen, "cannot read the qcow2 L1 or refcount table");
        return -1;
    }
    if (check_tables(q, err, errlen) < 0)
        return -1;

    /* A writer that does not know an autoclear feature must clear its bit
     * (the bitmaps it describes go stale once we write). This is the only
     * header write at open, after every check has passed. */
    if (q->version == 3 && !q->read_only && qcow2_be64(h + QH_AUTOCLEAR)) {
        uint8_t zero[8] = {0};
        if (block_write(q->file, QH_AUTOCLEAR, zero, 8) < 0) {
            block_err(err, errlen, "cannot update the qcow2 header");
            return -1;
        }
    }
    return 0;
}

struct block_backend *block_qcow2_open(struct block_backend *file, const char *path,
                                       bool read_only, struct block_backend *backing,
                                       int depth, char *err, size_t errlen)
{
    struct qcow2 *q = calloc(1, sizeof *q);
    if (!q) {
        block_close(file);
        block_close(backing);
        block_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    q->file = file;
    q->backing = backing;
    q->read_only = read_only;
    q->bb.read = q_read;
    q->bb.write = q_write;
    q->bb.flush = q_flush;
    q->bb.discard = q_discard;
    q->bb.length = q_length;
    q->bb.read_only = q_read_only;
    q->bb.close = q_close;
    q->bb.log = file->log;
    q->bb.log_opaque = file->log_opaque;
    memcpy(q->bb.name, file->name, sizeof q->bb.name);
    char why[768];
    int r = parse(q, path, depth, backing != NULL, why, sizeof why);
    if (r < 0) {
        if (r == -2)   /* a backing file's line names its images already */
            block_err(err, errlen, "%s", why);
        else
            block_err(err, errlen, "%s: %s", path, why);
        q_free(q);
        return NULL;
    }
    return &q->bb;
}

/* qcow2 internals shared by block_qcow2.c (open, header checks, the backend
 * calls), qcow2_map.c (L1/L2 tables, reads and writes of guest data) and
 * qcow2_refcount.c (reference counts and cluster allocation).
 * Format: QEMU's docs/interop/qcow2.txt; all fields big-endian. */
#ifndef TURTLES_DEVICES_BLOCK_QCOW2_H
#define TURTLES_DEVICES_BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/block/block.h"

#define QCOW2_MAGIC 0x514649fbu   /* "QFI\xfb" */

/* Header field offsets. */
enum {
    QH_MAGIC = 0, QH_VERSION = 4, QH_BACKING_OFFSET = 8, QH_BACKING_SIZE = 16,
    QH_CLUSTER_BITS = 20, QH_SIZE = 24, QH_CRYPT = 32, QH_L1_SIZE = 36,
    QH_L1_OFFSET = 40, QH_REFTABLE_OFFSET = 48, QH_REFTABLE_CLUSTERS = 56,
    QH_NB_SNAPSHOTS = 60, QH_SNAPSHOTS_OFFSET = 64,
    QH_V2_LENGTH = 72,
    QH_INCOMPAT = 72, QH_COMPAT = 80, QH_AUTOCLEAR = 88, QH_REFCOUNT_ORDER = 96,
    QH_HEADER_LENGTH = 100, QH_COMPRESSION_TYPE = 104,
    QH_V3_MIN_LENGTH = 104,
};

/* Incompatible feature bits (header offset 72). */
#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)

/* Header extension types. */
#define QCOW2_EXT_END 0u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_DATA_FILE 0x44415441u

/* L1 and L2 entries. */
#define QCOW2_OFLAG_COPIED (1ull << 63)      /* refcount is exactly 1 */
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO (1ull << 0)         /* v3: the cluster reads as zeros */
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull   /* bits 9-55 */
#define QCOW2_L1_RESERVED 0x7f000000000001ffull
#define QCOW2_L2_RESERVED 0x3f000000000001feull

/* A small write-through cache of cluster-sized metadata tables (L2 tables,
 * refcount blocks): reads come from memory, every change is written to the
 * file at once, so the file is always what the cache says. */
#define QCOW2_CACHE_SLOTS 16
struct qcow2_cache {
    uint64_t offset[QCOW2_CACHE_SLOTS];   /* 0: empty */
    uint64_t used[QCOW2_CACHE_SLOTS];     /* LRU stamp */
    uint8_t *data;                        /* QCOW2_CACHE_SLOTS clusters */
    uint64_t clock;
};

struct qcow2 {
    struct block_backend bb;
    struct block_backend *file;
    struct block_backend *backing;   /* NULL: unallocated clusters read as zeros */
    bool read_only;
    /* Corruption found while running: writes are refused from then on, so
     * we never build on top of metadata we know to be wrong. */
    bool broken;

    unsigned version;
    unsigned cluster_bits;
    uint64_t cluster_size;
    uint64_t size;                   /* guest disk size */
    uint64_t l2_entries;             /* entries per L2 table */

    uint64_t *l1;                    /* host byte order */
    uint32_t l1_size;
    uint64_t l1_offset;

    uint64_t *reftable;              /* host byte order */
    uint64_t reftable_entries;
    uint64_t reftable_offset;
    uint32_t reftable_clusters;
    unsigned refcount_order;         /* refcount width is 1 << order bits */
    uint64_t refblock_entries;
    uint64_t free_hint;              /* first cluster index that may be free */

    /* Compressed clusters: csize_shift and csize_mask per the spec. */
    unsigned csize_shift;
    uint64_t csize_mask;
    uint64_t coffset_mask;

    struct qcow2_cache l2_cache;
    struct qcow2_cache refblock_cache;
    uint8_t *cluster_buf;            /* scratch: one cluster */
    uint8_t *compressed_buf;         /* scratch: compressed input, two clusters */
};

/* Big-endian helpers. */
static inline uint64_t qcow2_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}
static inline uint32_t qcow2_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void qcow2_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline void qcow2_put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Report corruption found while running: one log line, the image is marked
 * broken (no more writes); returns -EIO for the caller to pass up. */
int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A host offset of metadata or data is sane: cluster-aligned and the
 * whole cluster inside what the file can hold. */
bool qcow2_offset_ok(struct qcow2 *q, uint64_t off);

/* Which fixed metadata (header, L1 table, refcount table) the cluster at
 * host offset off overlaps, or NULL (block_qcow2.c). */
const char *qcow2_overlaps_metadata(struct qcow2 *q, uint64_t off);

/* Cache (qcow2_map.c): the table at host offset off, read if needed. */
int qcow2_cache_init(struct qcow2_cache *c, uint64_t cluster_size);
void qcow2_cache_free(struct qcow2_cache *c);
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, uint8_t **table);
/* Put a freshly written table into the cache (no read). */
void qcow2_cache_put(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, const uint8_t *data);
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off);

/* Guest data (qcow2_map.c). */
int qcow2_read(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len);
int qcow2_write(struct qcow2 *q, uint64_t off, const uint8_t *buf, size_t len);
int qcow2_discard(struct qcow2 *q, uint64_t off, uint64_t len);

/* Reference counts (qcow2_refcount.c). */
int qcow2_get_refcount(struct qcow2 *q, uint64_t cluster, uint64_t *refcount);
/* Add delta to the refcount of the host clusters covering [off, off + len). */
int qcow2_update_refcount(struct qcow2 *q, uint64_t off, uint64_t len, int delta);
/* A free cluster, its refcount already 1 in the file: its host offset in
 * *off. Returns 0 or a negative errno. */
int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off);

#endif

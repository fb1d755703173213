/* Writing a fresh, empty qcow2 version 3 image (the -snapshot overlay).
 * Layout: cluster 0 header, header extensions and backing file name;
 * cluster 1 the refcount table; cluster 2 its one refcount block; then
 * the L1 table. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/block_impl.h"
#include "devices/block/qcow2.h"

int qcow2_create(struct block_backend *file, uint64_t size, unsigned cluster_bits,
                 const char *backing_name, const char *backing_format)
{
    uint64_t cs = 1ull << cluster_bits;
    uint64_t per_l2 = cs * (cs / 8);
    uint64_t l1_size = (size + per_l2 - 1) / per_l2;
    uint64_t l1_clusters = (l1_size * 8 + cs - 1) / cs;
    if (l1_clusters == 0)
        l1_clusters = 1;
    uint64_t clusters = 3 + l1_clusters;
    /* One 16-bit refcount block must count every cluster we write. */
    if (clusters > cs / 2 || l1_size > UINT32_MAX)
        return -EFBIG;
    size_t name_len = backing_name ? strlen(backing_name) : 0;
    size_t fmt_len = backing_format ? strlen(backing_format) : 0;
    if (name_len > 1023 || 104 + 8 + ((fmt_len + 7) & ~7u) + 8 + name_len > cs)
        return -ENAMETOOLONG;

    uint8_t *img = calloc(clusters, cs);
    if (!img)
        return -ENOMEM;
    uint8_t *h = img;
    qcow2_put_be32(h + QH_MAGIC, QCOW2_MAGIC);
    qcow2_put_be32(h + QH_VERSION, 3);
    qcow2_put_be32(h + QH_CLUSTER_BITS, cluster_bits);
    qcow2_put_be64(h + QH_SIZE, size);
    qcow2_put_be32(h + QH_L1_SIZE, (uint32_t)l1_size);
    qcow2_put_be64(h + QH_L1_OFFSET, 3 * cs);
    qcow2_put_be64(h + QH_REFTABLE_OFFSET, cs);
    qcow2_put_be32(h + QH_REFTABLE_CLUSTERS, 1);
    qcow2_put_be32(h + QH_REFCOUNT_ORDER, 4);
    qcow2_put_be32(h + QH_HEADER_LENGTH, QH_V3_MIN_LENGTH);
    uint64_t p = QH_V3_MIN_LENGTH;
    if (fmt_len) {
        qcow2_put_be32(h + p, QCOW2_EXT_BACKING_FORMAT);
        qcow2_put_be32(h + p + 4, (uint32_t)fmt_len);
        memcpy(h + p + 8, backing_format, fmt_len);
        p += 8 + ((fmt_len + 7) & ~7u);
    }
    p += 8;   /* the end-of-extensions marker: type 0, length 0 */
    if (name_len) {
        qcow2_put_be64(h + QH_BACKING_OFFSET, p);
        qcow2_put_be32(h + QH_BACKING_SIZE, (uint32_t)name_len);
        memcpy(h + p, backing_name, name_len);
    }
    qcow2_put_be64(img + cs, 2 * cs);                 /* refcount table -> block */
    for (uint64_t c = 0; c < clusters; c++) {         /* 16-bit refcounts of 1 */
        img[2 * cs + 2 * c] = 0;
        img[2 * cs + 2 * c + 1] = 1;
    }
    int r = block_write(file, 0, img, clusters * cs);
    free(img);
    return r;
}

/* virtio-blk over PCI (OASIS Virtio 1.1, 5.2), transitional (PCI 1AF4:1001):
 * one request queue; reads, writes, FLUSH (on the host disk before the
 * request completes), GET_ID, DISCARD, and read-only media. The disk is a
 * block backend (devices/block/block.h). */
#ifndef TURTLES_DEVICES_VIRTIO_BLK_H
#define TURTLES_DEVICES_VIRTIO_BLK_H

#include "devices/block/block.h"
#include "devices/virtio_pci.h"

struct virtio_blk {
    struct virtio_pci vp;
    struct block_backend *blk;   /* not owned */
    uint64_t sectors;            /* capacity in 512-byte sectors */
    bool read_only;
    char serial[21];
    uint8_t *buf;                /* bounce buffer for data */
};

int virtio_blk_init(struct virtio_blk *vb, struct pci_bus *bus, uint8_t devfn,
                    const struct device_env *env, struct block_backend *blk, const char *serial);
void virtio_blk_reset(struct virtio_blk *vb);
void virtio_blk_destroy(struct virtio_blk *vb);

#endif

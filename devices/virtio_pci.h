/* Virtio over PCI (OASIS Virtio 1.1, 4.1), transitional: a device offers
 * both the legacy interface (I/O BAR0, 4.1.4.8, for old drivers and
 * firmware) and the modern one (vendor capabilities pointing into a memory
 * BAR: common configuration, notifications, ISR status, device
 * configuration, and the PCI configuration access window). Split
 * virtqueues (2.6) live in guest memory and are read and written through
 * the physical memory map; interrupts are INTx (no MSI-X is offered).
 *
 * A device model (virtio-blk, virtio-net) fills struct virtio_dev_ops and
 * handles its queues' buffers; the transport does the rest. */
#ifndef TURTLES_DEVICES_VIRTIO_PCI_H
#define TURTLES_DEVICES_VIRTIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/pci.h"

#define VIRTIO_MAX_QUEUES 4
#define VIRTIO_QUEUE_MAX_SIZE 256u
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_F_ANY_LAYOUT (1ull << 27)
#define VIRTIO_LEGACY_BAR_SIZE 0x80u
#define VIRTIO_MODERN_BAR_SIZE 0x4000u

/* Device status bits (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

struct virtqueue {
    uint16_t size;           /* negotiated size (power of two, <= VIRTIO_QUEUE_MAX_SIZE) */
    bool enabled;
    uint64_t desc, avail, used; /* guest-physical addresses of the three parts */
    uint16_t last_avail;     /* the next avail ring entry to take */
    uint16_t used_idx;       /* our copy of used->idx */
};

/* A chain of descriptors taken from a queue, flattened: the readable part
 * (driver -> device) and the writable part (device -> driver), each a list
 * of guest-physical ranges. */
#define VIRTIO_MAX_SEGS VIRTIO_QUEUE_MAX_SIZE /* a chain can use the whole ring */
struct virtio_seg {
    uint64_t addr;
    uint32_t len;
};
struct virtio_req {
    uint16_t head;
    struct virtio_seg out[VIRTIO_MAX_SEGS], in[VIRTIO_MAX_SEGS];
    unsigned nout, nin;
    uint64_t out_len, in_len;
};

struct virtio_pci;

struct virtio_dev_ops {
    /* The driver notified queue q: take its requests (virtio_pop) and
     * complete them (virtio_push), then virtio_notify. */
    void (*queue_notify)(struct virtio_pci *vp, unsigned q);
    /* Device-specific configuration space (little-endian fields). */
    uint32_t (*config_read)(struct virtio_pci *vp, unsigned offset, unsigned size);
    void (*config_write)(struct virtio_pci *vp, unsigned offset, uint32_t val, unsigned size);
    void (*reset)(struct virtio_pci *vp);
};

struct virtio_pci {
    struct pci_device pci;
    struct device_env env;
    const struct virtio_dev_ops *ops;
    void *dev;               /* the device model */
    uint64_t host_features;
    uint64_t guest_features;
    uint32_t dfselect, gfselect;
    uint8_t status;
    uint8_t isr;
    uint8_t config_generation;
    uint16_t queue_sel;
    unsigned nqueues;
    uint16_t queue_max[VIRTIO_MAX_QUEUES];
    struct virtqueue vq[VIRTIO_MAX_QUEUES];
    unsigned config_len;     /* bytes of device configuration */
    bool legacy_io_mapped;
    int io_handler;          /* iobus handler of the legacy BAR */
    uint8_t cfg_cap;         /* config-space offset of the PCI cfg access capability */
    bool broken;             /* the driver gave a malformed ring: NEEDS_RESET */
};

/* Sets up the PCI function (vendor 1AF4, transitional device ID `pci_id`,
 * subsystem `virtio_id`, class), its BARs and capabilities, and registers
 * it at devfn. Returns 0 or -1. */
int virtio_pci_init(struct virtio_pci *vp, struct pci_bus *bus, uint8_t devfn,
                    const struct device_env *env, uint16_t pci_id, uint16_t virtio_id,
                    uint32_t class_code, uint64_t features, unsigned nqueues,
                    unsigned config_len, const struct virtio_dev_ops *ops, void *dev);
void virtio_pci_reset(struct virtio_pci *vp);

/* Take the next available chain of queue q into req. Returns 1 when a
 * request was taken, 0 when the queue is empty, -1 when the ring is
 * malformed (the device then stops using it: NEEDS_RESET). */
int virtio_pop(struct virtio_pci *vp, unsigned q, struct virtio_req *req);
/* Return a chain to the driver, written_len bytes written into its
 * device-writable part. */
void virtio_push(struct virtio_pci *vp, unsigned q, const struct virtio_req *req,
                 uint32_t written_len);
/* Interrupt the driver for queue activity (ISR bit 0, INTx). */
void virtio_notify(struct virtio_pci *vp);

/* Copy between a request's segments and a host buffer, starting skip
 * bytes in. Return the bytes copied. */
size_t virtio_req_read(struct virtio_pci *vp, const struct virtio_req *req, uint64_t skip,
                       void *buf, size_t len);
size_t virtio_req_write(struct virtio_pci *vp, const struct virtio_req *req, uint64_t skip,
                        const void *buf, size_t len);

#endif

/* virtio-net over PCI (OASIS Virtio 1.1, 5.1), transitional (PCI
 * 1AF4:1000): a receive queue, a transmit queue and a control queue.
 * Features offered: MAC, STATUS (the link is up), MRG_RXBUF (a received
 * frame may span several receive buffers), CSUM (the device completes a
 * checksum the driver left partial), CTRL_VQ and CTRL_RX (promiscuous and
 * all-multicast modes, the MAC filter table). Not offered: GUEST_CSUM,
 * segmentation offloads (GSO/TSO/UFO), multiqueue, event index. The frames
 * go through a net backend (devices/net/net.h). */
#ifndef TURTLES_DEVICES_VIRTIO_NET_H
#define TURTLES_DEVICES_VIRTIO_NET_H

#include "devices/net/net.h"
#include "devices/virtio_pci.h"

#define VIRTIO_NET_MAC_TABLE_MAX 64
/* The most receive buffers one frame may take with MRG_RXBUF. */
#define VIRTIO_NET_MAX_MERGE 16

struct virtio_net {
    struct virtio_pci vp;
    struct net_backend *nb;      /* not owned; NULL: no cable */
    uint8_t mac[6];
    bool promisc, allmulti;      /* VIRTIO_NET_CTRL_RX (5.1.6.5.1) */
    bool filter_table;           /* a MAC table was set: filter unicast and multicast by it */
    uint8_t uni[VIRTIO_NET_MAC_TABLE_MAX][6], multi[VIRTIO_NET_MAC_TABLE_MAX][6];
    unsigned nuni, nmulti;
    bool uni_overflow, multi_overflow; /* more entries than we keep: accept that kind */
    uint8_t *buf;                /* one frame plus its header */
    struct virtio_req *reqs;     /* VIRTIO_NET_MAX_MERGE requests for one received frame */
};

int virtio_net_init(struct virtio_net *vn, struct pci_bus *bus, uint8_t devfn,
                    const struct device_env *env, struct net_backend *nb, const uint8_t mac[6]);
void virtio_net_reset(struct virtio_net *vn);
void virtio_net_destroy(struct virtio_net *vn);
/* The net backend's receive callback. */
bool virtio_net_receive(void *opaque, const uint8_t *frame, size_t len);

#endif

/* virtio-net (devices/virtio_net.h; section numbers are OASIS Virtio 1.1). */
#include "devices/virtio_net.h"

#include <stdlib.h>
#include <string.h>

#include "devices/net/checksum.h"

/* Feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM (1ull << 0)
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_MRG_RXBUF (1ull << 15)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_F_CTRL_VQ (1ull << 17)
#define VIRTIO_NET_F_CTRL_RX (1ull << 18)

#define VIRTIO_NET_S_LINK_UP 1
/* struct virtio_net_hdr (5.1.6) */
#define HDR_F_NEEDS_CSUM 1
#define HDR_GSO_NONE 0
#define HDR_LEN_MRG 12u     /* with num_buffers: virtio 1.x, or MRG_RXBUF */
#define HDR_LEN_LEGACY 10u
/* Control queue (5.1.6.5) */
#define CTRL_RX 0
#define CTRL_RX_PROMISC 0
#define CTRL_RX_ALLMULTI 1
#define CTRL_MAC 1
#define CTRL_MAC_TABLE_SET 0
#define CTRL_MAC_ADDR_SET 1
#define CTRL_OK 0
#define CTRL_ERR 1

#define QUEUE_RX 0
#define QUEUE_TX 1
#define QUEUE_CTRL 2
#define CONFIG_LEN 10      /* mac, status, max_virtqueue_pairs */
#define BUF_SIZE (HDR_LEN_MRG + NET_FRAME_MAX)

static struct virtio_net *net_of(struct virtio_pci *vp)
{
    return vp->dev;
}

static unsigned hdr_len(const struct virtio_net *vn)
{
    uint64_t f = vn->vp.guest_features;
    return (f & (VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MRG_RXBUF)) ? HDR_LEN_MRG : HDR_LEN_LEGACY;
}

static uint32_t config_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
    struct virtio_net *vn = net_of(vp);
    uint8_t c[CONFIG_LEN];
    memcpy(c, vn->mac, 6);
    c[6] = vn->nb ? VIRTIO_NET_S_LINK_UP : 0;
    c[7] = 0;
    c[8] = 1; /* one queue pair */
    c[9] = 0;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < CONFIG_LEN; i++)
        v |= (uint32_t)c[off + i] << (8 * i);
    return v;
}

static void config_write(struct virtio_pci *vp, unsigned off, uint32_t val, unsigned size)
{
    /* Legacy drivers may write the MAC field (5.1.4: writable without
     * VIRTIO_F_VERSION_1). */
    struct virtio_net *vn = net_of(vp);
    if (vp->guest_features & VIRTIO_F_VERSION_1)
        return;
    for (unsigned i = 0; i < size && off + i < 6; i++)
        vn->mac[off + i] = (uint8_t)(val >> (8 * i));
}

/* ---- receive ---- */

static bool mac_in(const uint8_t table[][6], unsigned n, const uint8_t *a)
{
    for (unsigned i = 0; i < n; i++)
        if (!memcmp(table[i], a, 6))
            return true;
    return false;
}

static bool address_accepted(const struct virtio_net *vn, const uint8_t *dst)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (vn->promisc)
        return true;
    if (!memcmp(dst, bcast, 6))
        return true;
    if (dst[0] & 1)
        return vn->allmulti || vn->multi_overflow || !vn->filter_table ||
               mac_in(vn->multi, vn->nmulti, dst);
    if (!memcmp(dst, vn->mac, 6))
        return true;
    return vn->uni_overflow || mac_in(vn->uni, vn->nuni, dst);
}

bool virtio_net_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct virtio_net *vn = opaque;
    struct virtio_pci *vp = &vn->vp;
    if (!(vp->status & VIRTIO_STATUS_DRIVER_OK) || vp->broken ||
        !(vp->pci.config[PCI_COMMAND] & PCI_COMMAND_MASTER))
        return true; /* no driver yet: dropped, as on a link that is down */
    if (!address_accepted(vn, frame))
        return true;
    unsigned hl = hdr_len(vn);
    bool merge = (vp->guest_features & VIRTIO_NET_F_MRG_RXBUF) != 0;
    memset(vn->buf, 0, hl);
    memcpy(vn->buf + hl, frame, len);
    size_t total = hl + len;
    /* Take buffers until the frame fits; without MRG_RXBUF one buffer
     * must hold it (5.1.6.3.1). Not enough buffers yet: give them back
     * untouched and keep the frame for later. */
    struct virtqueue *q = &vp->vq[QUEUE_RX];
    uint16_t saved = q->last_avail;
    unsigned n = 0;
    uint64_t room = 0;
    while (room < total) {
        if (n == (merge ? VIRTIO_NET_MAX_MERGE : 1)) {
            if (merge) {
                q->last_avail = saved;
                return false; /* tiny buffers: try again when there are more */
            }
            /* One buffer too small for the frame: the frame is lost, the buffer comes back empty. */
            virtio_push(vp, QUEUE_RX, &vn->reqs[0], 0);
            virtio_notify(vp);
            return true;
        }
        int r = virtio_pop(vp, QUEUE_RX, &vn->reqs[n]);
        if (r < 0)
            return true; /* malformed ring: the device needs a reset */
        if (r == 0) {
            q->last_avail = saved;
            return false;
        }
        room += vn->reqs[n].in_len;
        n++;
    }
    if (merge) {
        vn->buf[10] = (uint8_t)n; /* num_buffers */
        vn->buf[11] = (uint8_t)(n >> 8);
    }
    size_t done = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t want = total - done;
        size_t w = virtio_req_write(vp, &vn->reqs[i], 0, vn->buf + done,
                                    want < vn->reqs[i].in_len ? want : (size_t)vn->reqs[i].in_len);
        done += w;
        virtio_push(vp, QUEUE_RX, &vn->reqs[i], (uint32_t)w);
    }
    virtio_notify(vp);
    return true;
}

/* ---- transmit ---- */

static void transmit_one(struct virtio_net *vn, const struct virtio_req *r)
{
    unsigned hl = hdr_len(vn);
    if (r->out_len < hl + NET_FRAME_MIN_HEADER || r->out_len > hl + NET_FRAME_MAX)
        return; /* not a frame we can carry: dropped */
    size_t len = virtio_req_read(&vn->vp, r, 0, vn->buf, (size_t)r->out_len);
    uint8_t *hdr = vn->buf, *frame = vn->buf + hl;
    size_t flen = len - hl;
    if (hdr[1] != HDR_GSO_NONE)
        return; /* no segmentation offload was offered */
    if (hdr[0] & HDR_F_NEEDS_CSUM) {
        /* Complete the checksum from csum_start to the end, stored at
         * csum_start + csum_offset (5.1.6.2). */
        unsigned start = (unsigned)(hdr[6] | hdr[7] << 8);
        unsigned at = start + (unsigned)(hdr[8] | hdr[9] << 8);
        if (start < flen && at + 2 <= flen)
            put_be16(frame + at, inet_fold(inet_sum(frame + start, flen - start, 0)));
    }
    if (vn->nb)
        net_send(vn->nb, frame, flen);
}

/* ---- control queue (5.1.6.5) ---- */

static bool read_mac_table(struct virtio_net *vn, const struct virtio_req *r, uint64_t *off,
                           uint8_t table[][6], unsigned *n, bool *overflow)
{
    uint8_t e[4];
    if (virtio_req_read(&vn->vp, r, *off, e, 4) < 4)
        return false;
    uint32_t entries = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 |
                       (uint32_t)e[3] << 24;
    *off += 4;
    if (entries > (r->out_len - *off) / 6)
        return false;
    *overflow = entries > VIRTIO_NET_MAC_TABLE_MAX;
    *n = *overflow ? 0 : entries;
    for (unsigned i = 0; i < *n; i++)
        virtio_req_read(&vn->vp, r, *off + 6u * i, table[i], 6);
    *off += 6ull * entries;
    return true;
}

static uint8_t control(struct virtio_net *vn, const struct virtio_req *r)
{
    uint8_t cmd[3];
    if (virtio_req_read(&vn->vp, r, 0, cmd, 2) < 2)
        return CTRL_ERR;
    if (cmd[0] == CTRL_RX && (cmd[1] == CTRL_RX_PROMISC || cmd[1] == CTRL_RX_ALLMULTI)) {
        if (virtio_req_read(&vn->vp, r, 2, cmd + 2, 1) < 1)
            return CTRL_ERR;
        if (cmd[1] == CTRL_RX_PROMISC)
            vn->promisc = cmd[2] != 0;
        else
            vn->allmulti = cmd[2] != 0;
        return CTRL_OK;
    }
    if (cmd[0] == CTRL_MAC && cmd[1] == CTRL_MAC_TABLE_SET) {
        uint64_t off = 2;
        if (!read_mac_table(vn, r, &off, vn->uni, &vn->nuni, &vn->uni_overflow) ||
            !read_mac_table(vn, r, &off, vn->multi, &vn->nmulti, &vn->multi_overflow))
            return CTRL_ERR;
        vn->filter_table = true;
        return CTRL_OK;
    }
    return CTRL_ERR; /* a class or command whose feature was not offered */
}

static void queue_notify(struct virtio_pci *vp, unsigned q)
{
    struct virtio_net *vn = net_of(vp);
    bool any = false;
    struct virtio_req *r = &vn->reqs[0];
    if (q == QUEUE_TX) {
        while (virtio_pop(vp, QUEUE_TX, r) == 1) {
            transmit_one(vn, r);
            virtio_push(vp, QUEUE_TX, r, 0);
            any = true;
        }
    } else if (q == QUEUE_CTRL) {
        while (virtio_pop(vp, QUEUE_CTRL, r) == 1) {
            uint8_t ack = control(vn, r);
            if (r->in_len)
                virtio_req_write(vp, r, r->in_len - 1, &ack, 1);
            virtio_push(vp, QUEUE_CTRL, r, r->in_len ? 1 : 0);
            any = true;
        }
    }
    /* The receive queue's notifications say buffers were added: frames
     * that waited for them go at the next turn boundary. */
    if (any)
        virtio_notify(vp);
}

static void dev_reset(struct virtio_pci *vp)
{
    struct virtio_net *vn = net_of(vp);
    vn->promisc = false;
    vn->allmulti = false;
    vn->filter_table = false;
    vn->nuni = vn->nmulti = 0;
    vn->uni_overflow = vn->multi_overflow = false;
}

static const struct virtio_dev_ops net_ops = {
    .queue_notify = queue_notify,
    .config_read = config_read,
    .config_write = config_write,
    .reset = dev_reset,
};

int virtio_net_init(struct virtio_net *vn, struct pci_bus *bus, uint8_t devfn,
                    const struct device_env *env, struct net_backend *nb, const uint8_t mac[6])
{
    memset(vn, 0, sizeof(*vn));
    vn->nb = nb;
    memcpy(vn->mac, mac, 6);
    vn->buf = malloc(BUF_SIZE);
    vn->reqs = calloc(VIRTIO_NET_MAX_MERGE, sizeof(*vn->reqs));
    if (!vn->buf || !vn->reqs)
        return -1;
    uint64_t features = VIRTIO_NET_F_CSUM | VIRTIO_NET_F_MAC | VIRTIO_NET_F_MRG_RXBUF |
                        VIRTIO_NET_F_STATUS | VIRTIO_NET_F_CTRL_VQ | VIRTIO_NET_F_CTRL_RX |
                        VIRTIO_F_ANY_LAYOUT;
    /* Transitional virtio-net: PCI device 1000h, subsystem 1, class 02 00 00. */
    if (virtio_pci_init(&vn->vp, bus, devfn, env, 0x1000, 1, 0x020000, features, 3, CONFIG_LEN,
                        &net_ops, vn) < 0)
        return -1;
    if (nb)
        net_backend_attach(nb, virtio_net_receive, vn);
    return 0;
}

void virtio_net_reset(struct virtio_net *vn)
{
    virtio_pci_reset(&vn->vp);
}

void virtio_net_destroy(struct virtio_net *vn)
{
    free(vn->buf);
    free(vn->reqs);
    vn->buf = NULL;
    vn->reqs = NULL;
}

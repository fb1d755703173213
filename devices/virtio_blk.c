/* virtio-blk (devices/virtio_blk.h; section numbers are OASIS Virtio 1.1). */
#include "devices/virtio_blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feature bits (5.2.3) */
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_DISCARD (1ull << 13)
/* Request types and status (5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR 512u
#define SEG_MAX 126u
#define BUF_SIZE (1u << 20)
#define MAX_DISCARD_SECTORS (1u << 22)
#define CONFIG_LEN 0x3c

static struct virtio_blk *blk_of(struct virtio_pci *vp)
{
    return vp->dev;
}

/* The configuration layout (5.2.4), little-endian. */
static uint32_t config_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
    struct virtio_blk *vb = blk_of(vp);
    uint8_t c[CONFIG_LEN];
    memset(c, 0, sizeof(c));
    for (unsigned i = 0; i < 8; i++)
        c[i] = (uint8_t)(vb->sectors >> (8 * i));  /* capacity */
    c[0x0c] = SEG_MAX;                           /* seg_max */
    c[0x14] = (uint8_t)SECTOR;                   /* blk_size */
    c[0x15] = (uint8_t)(SECTOR >> 8);
    c[0x22] = 1;                                 /* num_queues */
    uint32_t md = MAX_DISCARD_SECTORS;
    for (unsigned i = 0; i < 4; i++)
        c[0x24 + i] = (uint8_t)(md >> (8 * i)); /* max_discard_sectors */
    c[0x28] = 1;                                 /* max_discard_seg */
    c[0x2c] = 1;                                 /* discard_sector_alignment */
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < CONFIG_LEN; i++)
        v |= (uint32_t)c[off + i] << (8 * i);
    return v;
}

static void config_write(struct virtio_pci *vp, unsigned off, uint32_t val, unsigned size)
{
    (void)vp; (void)off; (void)val; (void)size; /* writeback is not offered */
}

static uint8_t do_rw(struct virtio_blk *vb, const struct virtio_req *r, uint32_t type,
                     uint64_t sector, uint32_t *written)
{
    /* Data lies between the 16-byte header and the status byte. */
    uint64_t len = type == VIRTIO_BLK_T_IN ? (r->in_len ? r->in_len - 1 : 0)
                                           : (r->out_len > 16 ? r->out_len - 16 : 0);
    if (len % SECTOR)
        return VIRTIO_BLK_S_IOERR;
    if (sector > vb->sectors || len / SECTOR > vb->sectors - sector)
        return VIRTIO_BLK_S_IOERR;
    if (type == VIRTIO_BLK_T_OUT && vb->read_only)
        return VIRTIO_BLK_S_IOERR;
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < BUF_SIZE ? (size_t)(len - done) : BUF_SIZE;
        uint64_t off = sector * SECTOR + done;
        if (type == VIRTIO_BLK_T_IN) {
            if (block_read(vb->blk, off, vb->buf, n) < 0)
                return VIRTIO_BLK_S_IOERR;
            virtio_req_write(&vb->vp, r, done, vb->buf, n);
            *written += (uint32_t)n;
        } else {
            virtio_req_read(&vb->vp, r, 16 + done, vb->buf, n);
            if (block_write(vb->blk, off, vb->buf, n) < 0)
                return VIRTIO_BLK_S_IOERR;
        }
        done += n;
    }
    return VIRTIO_BLK_S_OK;
}

static uint8_t do_discard(struct virtio_blk *vb, const struct virtio_req *r)
{
    /* One segment {sector u64, num_sectors u32, flags u32} (5.2.6). */
    uint8_t seg[16];
    if (r->out_len < 32 || virtio_req_read(&vb->vp, r, 16, seg, 16) < 16)
        return VIRTIO_BLK_S_IOERR;
    uint64_t sector = 0;
    uint32_t num = 0, flags = 0;
    for (unsigned i = 0; i < 8; i++)
        sector |= (uint64_t)seg[i] << (8 * i);
    for (unsigned i = 0; i < 4; i++) {
        num |= (uint32_t)seg[8 + i] << (8 * i);
        flags |= (uint32_t)seg[12 + i] << (8 * i);
    }
    if (flags & ~1u)                 /* only the unmap bit is defined */
        return VIRTIO_BLK_S_UNSUPP;
    if (vb->read_only || num > MAX_DISCARD_SECTORS || sector > vb->sectors ||
        num > vb->sectors - sector)
        return VIRTIO_BLK_S_IOERR;
    return block_discard(vb->blk, sector * SECTOR, (uint64_t)num * SECTOR) < 0
               ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static void handle_request(struct virtio_blk *vb, const struct virtio_req *r)
{
    uint8_t hdr[16];
    uint32_t written = 0;
    uint8_t status;
    if (r->in_len < 1 || virtio_req_read(&vb->vp, r, 0, hdr, sizeof(hdr)) < sizeof(hdr)) {
        status = VIRTIO_BLK_S_IOERR;
    } else {
        uint32_t type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                        (uint32_t)hdr[3] << 24;
        uint64_t sector = 0;
        for (unsigned i = 0; i < 8; i++)
            sector |= (uint64_t)hdr[8 + i] << (8 * i);
        switch (type) {
        case VIRTIO_BLK_T_IN:
        case VIRTIO_BLK_T_OUT:
            status = do_rw(vb, r, type, sector, &written);
            break;
        case VIRTIO_BLK_T_FLUSH:
            /* Everything written before is on the host disk first. */
            status = vb->read_only || block_flush(vb->blk) == 0 ? VIRTIO_BLK_S_OK
                                                                 : VIRTIO_BLK_S_IOERR;
            break;
        case VIRTIO_BLK_T_GET_ID: {
            char id[20];
            memset(id, 0, sizeof(id));
            size_t idlen = strlen(vb->serial); /* at most 20: serial[21] */
            memcpy(id, vb->serial, idlen < sizeof(id) ? idlen : sizeof(id));
            size_t room = r->in_len ? (size_t)r->in_len - 1 : 0;
            size_t n = room < sizeof(id) ? room : sizeof(id);
            written = (uint32_t)virtio_req_write(&vb->vp, r, 0, id, n);
            status = VIRTIO_BLK_S_OK;
            break;
        }
        case VIRTIO_BLK_T_DISCARD:
            status = do_discard(vb, r);
            break;
        default:
            status = VIRTIO_BLK_S_UNSUPP;
            break;
        }
    }
    /* The status byte is the last byte of the device-writable part. */
    if (r->in_len)
        virtio_req_write(&vb->vp, r, r->in_len - 1, &status, 1);
    virtio_push(&vb->vp, 0, r, written + (r->in_len ? 1 : 0));
}

static void queue_notify(struct virtio_pci *vp, unsigned q)
{
    struct virtio_blk *vb = blk_of(vp);
    struct virtio_req r;
    bool any = false;
    while (q == 0 && virtio_pop(vp, 0, &r) == 1) {
        handle_request(vb, &r);
        any = true;
    }
    if (any)
        virtio_notify(vp);
}

static void dev_reset(struct virtio_pci *vp)
{
    (void)vp;
}

static const struct virtio_dev_ops blk_ops = {
    .queue_notify = queue_notify,
    .config_read = config_read,
    .config_write = config_write,
    .reset = dev_reset,
};

int virtio_blk_init(struct virtio_blk *vb, struct pci_bus *bus, uint8_t devfn,
                    const struct device_env *env, struct block_backend *blk, const char *serial)
{
    memset(vb, 0, sizeof(*vb));
    vb->blk = blk;
    vb->sectors = block_length(blk) / SECTOR;
    vb->read_only = block_read_only(blk);
    snprintf(vb->serial, sizeof(vb->serial), "%s", serial ? serial : "");
    vb->buf = malloc(BUF_SIZE);
    if (!vb->buf)
        return -1;
    uint64_t features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH |
                        VIRTIO_F_ANY_LAYOUT | (vb->read_only ? VIRTIO_BLK_F_RO : VIRTIO_BLK_F_DISCARD);
    /* Transitional virtio-blk: PCI device 1001h, subsystem 2, class 01 00 00. */
    return virtio_pci_init(&vb->vp, bus, devfn, env, 0x1001, 2, 0x010000, features, 1,
                           CONFIG_LEN, &blk_ops, vb);
}

void virtio_blk_reset(struct virtio_blk *vb)
{
    virtio_pci_reset(&vb->vp);
}

void virtio_blk_destroy(struct virtio_blk *vb)
{
    free(vb->buf);
    vb->buf = NULL;
}

/* Transitional virtio PCI transport and split virtqueues (devices/virtio_pci.h;
 * section numbers are OASIS Virtio 1.1). */
#include "devices/virtio_pci.h"

#include <string.h>

/* Legacy I/O BAR registers (4.1.4.8) */
#define VL_HOST_FEATURES 0x00
#define VL_GUEST_FEATURES 0x04
#define VL_QUEUE_PFN 0x08
#define VL_QUEUE_NUM 0x0c
#define VL_QUEUE_SEL 0x0e
#define VL_QUEUE_NOTIFY 0x10
#define VL_STATUS 0x12
#define VL_ISR 0x13
#define VL_CONFIG 0x14
#define VL_PAGE 4096u

/* Modern BAR layout (offsets inside BAR4) */
#define VM_COMMON 0x0000
#define VM_COMMON_LEN 0x38
#define VM_ISR 0x1000
#define VM_DEVICE 0x2000
#define VM_NOTIFY 0x3000
#define VM_NOTIFY_MULT 4

/* Capability types (4.1.4) */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define CAP_PCI_CFG 5

/* Descriptor flags (2.6.5) */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

static const char modern_name[] = "virtio-modern";

static struct physmem *mem(struct virtio_pci *vp)
{
    return vp->env.mem;
}

/* ---- interrupts ---- */

static void update_irq(struct virtio_pci *vp)
{
    pci_set_irq(&vp->pci, vp->isr != 0);
}

void virtio_notify(struct virtio_pci *vp)
{
    vp->isr |= 1;
    update_irq(vp);
}

/* ---- virtqueues ---- */

static void queue_reset(struct virtqueue *q, uint16_t max)
{
    *q = (struct virtqueue){.size = max};
}

static void fail_device(struct virtio_pci *vp)
{
    /* A malformed ring: the device stops and asks for a reset (2.1.2). */
    vp->broken = true;
    vp->status |= VIRTIO_STATUS_NEEDS_RESET;
    vp->isr |= 2; /* configuration change */
    update_irq(vp);
}

int virtio_pop(struct virtio_pci *vp, unsigned qi, struct virtio_req *req)
{
    if (qi >= vp->nqueues || vp->broken || !(vp->status & VIRTIO_STATUS_DRIVER_OK))
        return 0;
    struct virtqueue *q = &vp->vq[qi];
    if (!q->enabled || !q->size)
        return 0;
    uint16_t avail_idx = (uint16_t)physmem_read(mem(vp), q->avail + 2, 2);
    if (avail_idx == q->last_avail)
        return 0;
    if ((uint16_t)(avail_idx - q->last_avail) > q->size) {
        fail_device(vp);
        return -1;
    }
    uint16_t head = (uint16_t)physmem_read(mem(vp), q->avail + 4 + 2u * (q->last_avail % q->size), 2);
    q->last_avail++;
    memset(req, 0, sizeof(*req));
    req->head = head;
    uint16_t i = head;
    for (unsigned n = 0;; n++) {
        /* A chain longer than the ring is a loop (2.6.5.3.1). */
        if (i >= q->size || n >= q->size) {
            fail_device(vp);
            return -1;
        }
        uint64_t d = q->desc + 16u * i;
        uint64_t addr = physmem_read(mem(vp), d, 8);
        uint32_t len = (uint32_t)physmem_read(mem(vp), d + 8, 4);
        uint16_t flags = (uint16_t)physmem_read(mem(vp), d + 12, 2);
        uint16_t next = (uint16_t)physmem_read(mem(vp), d + 14, 2);
        if (flags & VRING_DESC_F_INDIRECT) { /* not offered */
            fail_device(vp);
            return -1;
        }
        if (flags & VRING_DESC_F_WRITE) {
            if (req->nin >= VIRTIO_MAX_SEGS) {
                fail_device(vp);
                return -1;
            }
            req->in[req->nin++] = (struct virtio_seg){addr, len};
            req->in_len += len;
        } else {
            if (req->nout >= VIRTIO_MAX_SEGS) {
                fail_device(vp);
                return -1;
            }
            req->out[req->nout++] = (struct virtio_seg){addr, len};
            req->out_len += len;
        }
        if (!(flags & VRING_DESC_F_NEXT))
            break;
        i = next;
    }
    return 1;
}

void virtio_push(struct virtio_pci *vp, unsigned qi, const struct virtio_req *req,
                 uint32_t written_len)
{
    struct virtqueue *q = &vp->vq[qi];
    uint64_t e = q->used + 4 + 8u * (q->used_idx % q->size);
    physmem_write(mem(vp), e, req->head, 4);
    physmem_write(mem(vp), e + 4, written_len, 4);
    q->used_idx++;
    physmem_write(mem(vp), q->used + 2, q->used_idx, 2);
}

static size_t seg_copy(struct virtio_pci *vp, const struct virtio_seg *segs, unsigned n,
                       uint64_t skip, uint8_t *buf, size_t len, bool to_guest)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        uint64_t l = segs[i].len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        uint64_t chunk = l - skip;
        if (chunk > len - done)
            chunk = len - done;
        if (to_guest)
            physmem_write_buf(mem(vp), segs[i].addr + skip, buf + done, (size_t)chunk);
        else
            physmem_read_buf(mem(vp), segs[i].addr + skip, buf + done, (size_t)chunk);
        done += (size_t)chunk;
        skip = 0;
    }
    return done;
}

size_t virtio_req_read(struct virtio_pci *vp, const struct virtio_req *req, uint64_t skip,
                       void *buf, size_t len)
{
    return seg_copy(vp, req->out, req->nout, skip, buf, len, false);
}

size_t virtio_req_write(struct virtio_pci *vp, const struct virtio_req *req, uint64_t skip,
                        const void *buf, size_t len)
{
    return seg_copy(vp, req->in, req->nin, skip, (uint8_t *)buf, len, true);
}

static void queue_notify(struct virtio_pci *vp, unsigned q)
{
    if (q < vp->nqueues && !vp->broken && (vp->status & VIRTIO_STATUS_DRIVER_OK))
        vp->ops->queue_notify(vp, q);
}

/* ---- status and reset ---- */

void virtio_pci_reset(struct virtio_pci *vp)
{
    vp->guest_features = 0;
    vp->dfselect = vp->gfselect = 0;
    vp->status = 0;
    vp->isr = 0;
    vp->queue_sel = 0;
    vp->broken = false;
    for (unsigned i = 0; i < vp->nqueues; i++)
        queue_reset(&vp->vq[i], vp->queue_max[i]);
    if (vp->ops->reset)
        vp->ops->reset(vp);
    update_irq(vp);
}

static void set_status(struct virtio_pci *vp, uint8_t val)
{
    if (val == 0) {
        virtio_pci_reset(vp);
        return;
    }
    /* FEATURES_OK stays clear if the driver accepted what was not offered. */
    if ((val & VIRTIO_STATUS_FEATURES_OK) && (vp->guest_features & ~vp->host_features))
        val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    vp->status = (uint8_t)(val | (vp->status & VIRTIO_STATUS_NEEDS_RESET));
}

/* ---- legacy interface (I/O BAR0) ---- */

static void legacy_set_pfn(struct virtio_pci *vp, uint32_t pfn)
{
    if (vp->queue_sel >= vp->nqueues)
        return;
    struct virtqueue *q = &vp->vq[vp->queue_sel];
    if (!pfn) {
        queue_reset(q, vp->queue_max[vp->queue_sel]);
        return;
    }
    /* The legacy layout (4.1.4.8): descriptors, then the available ring,
     * then the used ring at the next 4 KiB boundary. */
    q->size = vp->queue_max[vp->queue_sel];
    q->desc = (uint64_t)pfn * VL_PAGE;
    q->avail = q->desc + 16u * q->size;
    q->used = (q->avail + 6 + 2u * q->size + VL_PAGE - 1) & ~(uint64_t)(VL_PAGE - 1);
    q->enabled = true;
    q->last_avail = 0;
    q->used_idx = 0;
}

static uint32_t legacy_read(void *opaque, uint16_t port, unsigned size)
{
    struct virtio_pci *vp = opaque;
    unsigned off = (unsigned)(port - vp->pci.bars[0].mapped);
    if (off >= VL_CONFIG)
        return vp->ops->config_read(vp, off - VL_CONFIG, size);
    switch (off) {
    case VL_HOST_FEATURES: return (uint32_t)vp->host_features;
    case VL_GUEST_FEATURES: return (uint32_t)vp->guest_features;
    case VL_QUEUE_PFN:
        return vp->queue_sel < vp->nqueues ? (uint32_t)(vp->vq[vp->queue_sel].desc / VL_PAGE) : 0;
    case VL_QUEUE_NUM: return vp->queue_sel < vp->nqueues ? vp->queue_max[vp->queue_sel] : 0;
    case VL_QUEUE_SEL: return vp->queue_sel;
    case VL_STATUS: return vp->status;
    case VL_ISR: {
        uint8_t v = vp->isr; /* reading acknowledges (4.1.4.5) */
        vp->isr = 0;
        update_irq(vp);
        return v;
    }
    default: return 0;
    }
}

static void legacy_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct virtio_pci *vp = opaque;
    unsigned off = (unsigned)(port - vp->pci.bars[0].mapped);
    if (off >= VL_CONFIG) {
        vp->ops->config_write(vp, off - VL_CONFIG, val, size);
        return;
    }
    switch (off) {
    case VL_GUEST_FEATURES:
        /* A legacy driver never sets VERSION_1 (bit 32 is out of reach). */
        vp->guest_features = val & vp->host_features;
        break;
    case VL_QUEUE_PFN: legacy_set_pfn(vp, val); break;
    case VL_QUEUE_SEL: vp->queue_sel = (uint16_t)val; break;
    case VL_QUEUE_NOTIFY: queue_notify(vp, val & 0xffff); break;
    case VL_STATUS: set_status(vp, (uint8_t)val); break;
    default: break;
    }
}

/* ---- modern interface (BAR4) ---- */

static uint64_t common_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
    struct virtqueue *q = vp->queue_sel < vp->nqueues ? &vp->vq[vp->queue_sel] : NULL;
    switch (off) {
    case 0x00: return vp->dfselect;
    case 0x04: return vp->dfselect <= 1 ? (uint32_t)(vp->host_features >> (32 * vp->dfselect)) : 0;
    case 0x08: return vp->gfselect;
    case 0x0c: return vp->gfselect <= 1 ? (uint32_t)(vp->guest_features >> (32 * vp->gfselect)) : 0;
    case 0x10: return 0xffff;                 /* msix_config: no MSI-X */
    case 0x12: return vp->nqueues;
    case 0x14: return vp->status;
    case 0x15: return vp->config_generation;
    case 0x16: return vp->queue_sel;
    case 0x18: return q ? q->size : 0;
    case 0x1a: return 0xffff;                 /* queue_msix_vector */
    case 0x1c: return q ? q->enabled : 0;
    case 0x1e: return q ? vp->queue_sel : 0;  /* queue_notify_off */
    case 0x20: return q ? (size == 8 ? q->desc : (uint32_t)q->desc) : 0;
    case 0x24: return q ? (uint32_t)(q->desc >> 32) : 0;
    case 0x28: return q ? (size == 8 ? q->avail : (uint32_t)q->avail) : 0;
    case 0x2c: return q ? (uint32_t)(q->avail >> 32) : 0;
    case 0x30: return q ? (size == 8 ? q->used : (uint32_t)q->used) : 0;
    case 0x34: return q ? (uint32_t)(q->used >> 32) : 0;
    default: return 0;
    }
}

static void set_addr_part(uint64_t *a, unsigned off, uint64_t val, unsigned size)
{
    if (size == 8)
        *a = val;
    else if (off & 4)
        *a = (*a & 0xffffffffull) | (val << 32);
    else
        *a = (*a & ~0xffffffffull) | (uint32_t)val;
}

static void common_write(struct virtio_pci *vp, unsigned off, uint64_t val, unsigned size)
{
    struct virtqueue *q = vp->queue_sel < vp->nqueues ? &vp->vq[vp->queue_sel] : NULL;
    switch (off) {
    case 0x00: vp->dfselect = (uint32_t)val; break;
    case 0x08: vp->gfselect = (uint32_t)val; break;
    case 0x0c:
        if (vp->gfselect <= 1) {
            unsigned sh = 32 * vp->gfselect;
            uint64_t mask = 0xffffffffull << sh;
            vp->guest_features = (vp->guest_features & ~mask) | ((val << sh) & mask);
        }
        break;
    case 0x14: set_status(vp, (uint8_t)val); break;
    case 0x16: vp->queue_sel = (uint16_t)val; break;
    case 0x18:
        /* A power of two no larger than the maximum (2.6). */
        if (q && !q->enabled && val && val <= vp->queue_max[vp->queue_sel] && !(val & (val - 1)))
            q->size = (uint16_t)val;
        break;
    case 0x1c:
        if (q && val == 1 && q->size) {
            q->enabled = true;
            q->last_avail = 0;
            q->used_idx = 0;
        }
        break;
    case 0x20: case 0x24: if (q && !q->enabled) set_addr_part(&q->desc, off, val, size); break;
    case 0x28: case 0x2c: if (q && !q->enabled) set_addr_part(&q->avail, off, val, size); break;
    case 0x30: case 0x34: if (q && !q->enabled) set_addr_part(&q->used, off, val, size); break;
    default: break;
    }
}

static uint64_t modern_read(void *opaque, uint64_t off, unsigned size)
{
    struct virtio_pci *vp = opaque;
    if (off < VM_COMMON + VM_COMMON_LEN)
        return common_read(vp, (unsigned)off, size);
    if (off == VM_ISR) {
        uint8_t v = vp->isr;
        vp->isr = 0;
        update_irq(vp);
        return v;
    }
    if (off >= VM_DEVICE && off < VM_DEVICE + vp->config_len)
        return vp->ops->config_read(vp, (unsigned)(off - VM_DEVICE), size);
    return 0;
}

static void modern_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_pci *vp = opaque;
    if (off < VM_COMMON + VM_COMMON_LEN)
        common_write(vp, (unsigned)off, val, size);
    else if (off >= VM_DEVICE && off < VM_DEVICE + vp->config_len)
        vp->ops->config_write(vp, (unsigned)(off - VM_DEVICE), (uint32_t)val, size);
    else if (off >= VM_NOTIFY && off < VM_NOTIFY + VM_NOTIFY_MULT * vp->nqueues)
        queue_notify(vp, (unsigned)((off - VM_NOTIFY) / VM_NOTIFY_MULT));
}

/* ---- PCI configuration access capability (4.1.4.7) ---- */

static uint32_t le32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t cfg_window_access(struct virtio_pci *vp, bool write, uint32_t data)
{
    const uint8_t *c = &vp->pci.config[vp->cfg_cap];
    unsigned bar = c[4];
    uint32_t off = le32_at(c + 8), len = le32_at(c + 12);
    if (len != 1 && len != 2 && len != 4)
        return 0;
    if (bar == 0 && off + len <= VIRTIO_LEGACY_BAR_SIZE && vp->pci.bars[0].mapped != PCI_BAR_UNMAPPED) {
        uint16_t port = (uint16_t)(vp->pci.bars[0].mapped + off);
        if (write)
            legacy_write(vp, port, data, len);
        else
            return legacy_read(vp, port, len);
    } else if (bar == 4 && off + len <= VIRTIO_MODERN_BAR_SIZE) {
        if (write)
            modern_write(vp, off, data, len);
        else
            return (uint32_t)modern_read(vp, off, len);
    }
    return 0;
}

static uint32_t vp_config_read(struct pci_device *dev, unsigned reg, unsigned size, uint32_t val)
{
    struct virtio_pci *vp = dev->opaque;
    if (reg == (unsigned)vp->cfg_cap + 16u && size == 4)
        return cfg_window_access(vp, false, 0);
    return val;
}

static void vp_config_write(struct pci_device *dev, unsigned reg, uint32_t val, unsigned size)
{
    struct virtio_pci *vp = dev->opaque;
    if (reg >= (unsigned)vp->cfg_cap + 16u && reg < (unsigned)vp->cfg_cap + 20u)
        cfg_window_access(vp, true, val & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1));
}

/* ---- BARs and set-up ---- */

static void vp_bar_remap(struct pci_device *dev, int bar, uint64_t addr)
{
    struct virtio_pci *vp = dev->opaque;
    if (bar == 0) {
        if (addr == PCI_BAR_UNMAPPED)
            iobus_set_range(vp->env.io, vp->io_handler, 0, 0);
        else
            iobus_set_range(vp->env.io, vp->io_handler, (uint16_t)addr, VIRTIO_LEGACY_BAR_SIZE);
    } else if (bar == 4) {
        physmem_remap(vp->env.mem, vp, modern_name, addr == PCI_BAR_UNMAPPED ? 0 : addr,
                      addr == PCI_BAR_UNMAPPED ? 0 : VIRTIO_MODERN_BAR_SIZE);
    }
}

static uint8_t add_cap(struct virtio_pci *vp, uint8_t at, uint8_t next, uint8_t len, uint8_t type,
                       uint8_t bar, uint32_t offset, uint32_t length)
{
    uint8_t *c = &vp->pci.config[at];
    memset(c, 0, len);
    c[0] = 0x09; /* vendor-specific */
    c[1] = next;
    c[2] = len;
    c[3] = type;
    c[4] = bar;
    for (unsigned i = 0; i < 4; i++) {
        c[8 + i] = (uint8_t)(offset >> (8 * i));
        c[12 + i] = (uint8_t)(length >> (8 * i));
    }
    return at;
}

int virtio_pci_init(struct virtio_pci *vp, struct pci_bus *bus, uint8_t devfn,
                    const struct device_env *env, uint16_t pci_id, uint16_t virtio_id,
                    uint32_t class_code, uint64_t features, unsigned nqueues,
                    unsigned config_len, const struct virtio_dev_ops *ops, void *dev)
{
    if (nqueues > VIRTIO_MAX_QUEUES || config_len > VIRTIO_LEGACY_BAR_SIZE - VL_CONFIG)
        return -1;
    memset(vp, 0, sizeof(*vp));
    vp->env = *env;
    vp->ops = ops;
    vp->dev = dev;
    vp->host_features = features | VIRTIO_F_VERSION_1;
    vp->nqueues = nqueues;
    vp->config_len = config_len;
    for (unsigned i = 0; i < nqueues; i++)
        vp->queue_max[i] = VIRTIO_QUEUE_MAX_SIZE;
    pci_device_init(&vp->pci, 0x1af4, pci_id, 0x00, class_code, vp);
    vp->pci.config[PCI_SUBSYSTEM_VENDOR_ID] = 0xf4;
    vp->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 1] = 0x1a;
    vp->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 2] = (uint8_t)virtio_id;
    vp->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 3] = (uint8_t)(virtio_id >> 8);
    pci_register_bar(&vp->pci, 0, VIRTIO_LEGACY_BAR_SIZE, PCI_BAR_IO, false);
    pci_register_bar(&vp->pci, 4, VIRTIO_MODERN_BAR_SIZE, PCI_BAR_MEM32, false);
    pci_set_interrupt_pin(&vp->pci, 1);
    /* The capability list (PCI 3.0 6.7): status bit 4, pointer at 34h. */
    vp->pci.config[PCI_STATUS] |= 0x10;
    vp->pci.config[0x34] = 0x40;
    add_cap(vp, 0x40, 0x50, 16, CAP_COMMON, 4, VM_COMMON, VM_COMMON_LEN);
    add_cap(vp, 0x50, 0x60, 16, CAP_ISR, 4, VM_ISR, 4);
    add_cap(vp, 0x60, 0x70, 16, CAP_DEVICE, 4, VM_DEVICE, config_len);
    add_cap(vp, 0x70, 0x84, 20, CAP_NOTIFY, 4, VM_NOTIFY, VM_NOTIFY_MULT * nqueues);
    vp->pci.config[0x70 + 16] = VM_NOTIFY_MULT; /* notify_off_multiplier */
    vp->cfg_cap = add_cap(vp, 0x84, 0x00, 20, CAP_PCI_CFG, 0, 0, 0);
    /* The window's bar, offset, length and data are the driver's to write. */
    vp->pci.wmask[0x84 + 4] = 0xff;
    for (unsigned i = 8; i < 20; i++)
        vp->pci.wmask[0x84 + i] = 0xff;
    vp->pci.bar_remap = vp_bar_remap;
    vp->pci.config_read = vp_config_read;
    vp->pci.config_write = vp_config_write;
    vp->io_handler = iobus_register(env->io, 0, 0, vp, legacy_read,
                                    legacy_write, "virtio-legacy");
    if (vp->io_handler < 0 || iobus_set_range(env->io, vp->io_handler, 0, 0) < 0 ||
        physmem_add_mmio(env->mem, 0, 0, vp, modern_read, modern_write, modern_name) < 0 ||
        pci_register_device(bus, &vp->pci, devfn) < 0)
        return -1;
    virtio_pci_reset(vp);
    return 0;
}

/* Tests for devices/virtio_blk.c over devices/virtio_pci.c, driven as a
 * guest driver would: the legacy I/O BAR (features, queue PFN, notify, ISR
 * read acknowledges), the modern interface found by walking the PCI
 * capability list (common configuration, queue enable, notify), the
 * request types IN/OUT/FLUSH/GET_ID/DISCARD, read-only media, requests past
 * the end, and malformed rings (descriptor index out of range, a loop)
 * that must set NEEDS_RESET and never crash (the sanitizers watch). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_blk.h"
#include "device_test_env.h"
#include "mem_block.h"

#define RAM (4u << 20)
#define DISK_SECTORS 256u
#define DEVFN (5u << 3)
#define IO_BASE 0xc000u
#define MMIO_BASE 0xfe000000u
#define QSIZE 16u

/* Guest-physical layout used by the tests. */
#define RING 0x10000u        /* legacy ring (page-aligned) or modern desc table */
#define M_AVAIL 0x12000u
#define M_USED 0x13000u
#define HDR 0x20000u
#define DATA 0x30000u
#define STATUS 0x40000u

/* Request types and status (Virtio 1.1, 5.2.6). */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

static struct test_env *t;
static struct pci_bus bus;
static struct virtio_blk vb;
static uint8_t *disk;
static struct mem_bb disk_bb;

static void on_reset(void *o) { (void)o; }

static void make_device(bool ro)
{
    t = test_env_new(RAM);
    ck_assert(t->have_mem);
    pci_bus_init(&bus, &t->env, on_reset, NULL);
    disk = calloc(DISK_SECTORS, 512);
    for (unsigned i = 0; i < DISK_SECTORS * 512; i++)
        disk[i] = (uint8_t)(i * 11 + (i >> 9));
    mem_bb_init(&disk_bb, disk, DISK_SECTORS * 512, ro);
    ck_assert_int_eq(virtio_blk_init(&vb, &bus, DEVFN, &t->env, &disk_bb.bb, "TURTLES-VBLK-0001"), 0);
    pci_config_write(&bus, 0, DEVFN, PCI_BAR0, IO_BASE, 4);
    pci_config_write(&bus, 0, DEVFN, PCI_BAR0 + 16, MMIO_BASE, 4);
    pci_config_write(&bus, 0, DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
}

static void setup(void) { make_device(false); }

static void teardown(void)
{
    virtio_blk_destroy(&vb);
    test_env_free(t);
    free(disk);
}

static uint32_t cfg(unsigned reg, unsigned size) { return pci_config_read(&bus, 0, DEVFN, reg, size); }

/* ---- the ring, written as a driver writes it ---- */

static uint64_t q_desc, q_avail, q_used;
static uint16_t avail_idx, used_seen;

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint64_t d = q_desc + 16u * i;
    physmem_write(&t->mem, d, addr, 8);
    physmem_write(&t->mem, d + 8, len, 4);
    physmem_write(&t->mem, d + 12, flags, 2);
    physmem_write(&t->mem, d + 14, next, 2);
}

static void offer(uint16_t head)
{
    physmem_write(&t->mem, q_avail + 4 + 2u * (avail_idx % QSIZE), head, 2);
    avail_idx++;
    physmem_write(&t->mem, q_avail + 2, avail_idx, 2);
}

static void write_hdr(uint32_t type, uint64_t sector)
{
    physmem_write(&t->mem, HDR, type, 4);
    physmem_write(&t->mem, HDR + 4, 0, 4);
    physmem_write(&t->mem, HDR + 8, sector, 8);
}

/* A three-descriptor request: header, data (device-writable for IN and
 * GET_ID), status. data_len 0 leaves the data descriptor out. */
static void post(uint32_t type, uint64_t sector, uint32_t data_len, bool data_writable)
{
    write_hdr(type, sector);
    physmem_write(&t->mem, STATUS, 0xee, 1);
    if (data_len) {
        set_desc(0, HDR, 16, 1, 1);
        set_desc(1, DATA, data_len, (uint16_t)(1 | (data_writable ? 2 : 0)), 2);
    } else {
        set_desc(0, HDR, 16, 1, 2);
    }
    set_desc(2, STATUS, 1, 2, 0);
    offer(0);
}

static uint8_t status_byte(void) { return (uint8_t)physmem_read(&t->mem, STATUS, 1); }

/* The used ring gained one entry for head 0; returns its length. */
static uint32_t one_used(void)
{
    uint16_t idx = (uint16_t)physmem_read(&t->mem, q_used + 2, 2);
    ck_assert_uint_eq(idx, (uint16_t)(used_seen + 1));
    uint64_t e = q_used + 4 + 8u * (used_seen % QSIZE);
    used_seen++;
    ck_assert_uint_eq(physmem_read(&t->mem, e, 4), 0);
    return (uint32_t)physmem_read(&t->mem, e + 4, 4);
}

/* ---- legacy interface ---- */

static void legacy_notify(void) { iobus_write(&t->io, IO_BASE + 0x10, 0, 2); }

static void legacy_start(void)
{
    ck_assert(cfg(PCI_BAR0, 4) & 1); /* an I/O BAR */
    ck_assert_uint_eq(cfg(0, 4), 0x10011af4u);
    ck_assert_uint_eq(cfg(0x2e, 2), 2);              /* subsystem: block */
    iobus_write(&t->io, IO_BASE + 0x12, 0, 1);        /* reset */
    iobus_write(&t->io, IO_BASE + 0x12, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    uint32_t f = iobus_read(&t->io, IO_BASE + 0x00, 4);
    ck_assert(f & (1u << 9));                         /* FLUSH */
    iobus_write(&t->io, IO_BASE + 0x04, f | 0x80000000u, 4);
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x04, 4), f); /* only offered bits stick */
    iobus_write(&t->io, IO_BASE + 0x0e, 0, 2);        /* queue 0 */
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x0c, 2), VIRTIO_QUEUE_MAX_SIZE);
    iobus_write(&t->io, IO_BASE + 0x08, RING / 4096, 4);
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x08, 4), RING / 4096);
    iobus_write(&t->io, IO_BASE + 0x12,
                VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK, 1);
    /* The legacy layout (4.1.4.8) for a 256-entry queue: the used ring at
     * the next page after the available ring. The test posts to entries
     * below QSIZE only, so the index arithmetic below stays right. */
    q_desc = RING;
    q_avail = RING + 16u * VIRTIO_QUEUE_MAX_SIZE;
    q_used = (q_avail + 6 + 2u * VIRTIO_QUEUE_MAX_SIZE + 4095) & ~4095ull;
    avail_idx = used_seen = 0;
}

/* Queue size in the ring index arithmetic: the legacy queue has 256
 * entries; the test never wraps, so "% QSIZE" and "% 256" agree. */

START_TEST(test_legacy_requests)
{
    legacy_start();
    /* Capacity through the legacy device configuration (offset 0x14). */
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x14, 4), DISK_SECTORS);
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x18, 4), 0);

    /* IN: two sectors from sector 3. */
    post(T_IN, 3, 1024, true);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_OK);
    ck_assert_uint_eq(one_used(), 1025);
    uint8_t buf[1024];
    physmem_read_buf(&t->mem, DATA, buf, sizeof buf);
    ck_assert(memcmp(buf, disk + 3 * 512, sizeof buf) == 0);

    /* The interrupt: ISR bit 0, and reading ISR acknowledges it. */
    ck_assert(vb.vp.pci.irq_level);
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x13, 1), 1);
    ck_assert(!vb.vp.pci.irq_level);
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x13, 1), 0);

    /* OUT: one sector to sector 10. */
    for (unsigned i = 0; i < 512; i++)
        buf[i] = (uint8_t)(0xa5 ^ i);
    physmem_write_buf(&t->mem, DATA, buf, 512);
    post(T_OUT, 10, 512, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_OK);
    ck_assert_uint_eq(one_used(), 1);
    ck_assert(memcmp(disk + 10 * 512, buf, 512) == 0);

    /* FLUSH reaches the backend. */
    post(T_FLUSH, 0, 0, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_OK);
    ck_assert_uint_eq(disk_bb.flushes, 1);
    one_used();

    /* GET_ID: the serial, 20 bytes. */
    memset(buf, 0xcc, 32);
    physmem_write_buf(&t->mem, DATA, buf, 32);
    post(T_GET_ID, 0, 20, true);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_OK);
    ck_assert_uint_eq(one_used(), 21);
    physmem_read_buf(&t->mem, DATA, buf, 21);
    ck_assert(memcmp(buf, "TURTLES-VBLK-0001\0\0\0", 20) == 0);
    ck_assert_uint_eq(buf[20], 0xcc);

    /* DISCARD: one segment {sector 8, 4 sectors, flags 0}. */
    physmem_write(&t->mem, DATA, 8, 8);
    physmem_write(&t->mem, DATA + 8, 4, 4);
    physmem_write(&t->mem, DATA + 12, 0, 4);
    post(T_DISCARD, 0, 16, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_OK);
    ck_assert_uint_eq(disk_bb.discards, 1);
    ck_assert_uint_eq(disk_bb.discard_off, 8 * 512);
    ck_assert_uint_eq(disk_bb.discard_len, 4 * 512);
    one_used();
    /* A discard running past the end, and unknown flags. */
    physmem_write(&t->mem, DATA, DISK_SECTORS - 2, 8);
    post(T_DISCARD, 0, 16, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();
    physmem_write(&t->mem, DATA, 0, 8);
    physmem_write(&t->mem, DATA + 12, 2, 4);
    post(T_DISCARD, 0, 16, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_UNSUPP);
    one_used();
    ck_assert_uint_eq(disk_bb.discards, 1);

    /* Past the end: the last sector reads, one more is an I/O error, and
     * so is a sector number far beyond (no wrap-around). */
    post(T_IN, DISK_SECTORS - 1, 512, true);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_OK);
    one_used();
    post(T_IN, DISK_SECTORS - 1, 1024, true);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();
    uint8_t before[512];
    memcpy(before, disk + (DISK_SECTORS - 1) * 512, 512);
    post(T_OUT, DISK_SECTORS - 1, 1024, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();
    ck_assert(memcmp(before, disk + (DISK_SECTORS - 1) * 512, 512) == 0);
    post(T_IN, ~0ull / 512, 512, true);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();
    /* A data length that is not whole sectors, and an unknown type. */
    post(T_IN, 0, 100, true);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();
    post(99, 0, 0, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_UNSUPP);
    one_used();
    ck_assert_uint_eq(vb.vp.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}
END_TEST

/* ---- modern interface: find the capabilities the way a driver does ---- */

struct caps {
    uint64_t common, isr, device, notify;
    uint32_t notify_mult;
};

static struct caps walk_caps(void)
{
    struct caps c = {0};
    unsigned seen = 0;
    ck_assert(cfg(PCI_STATUS, 2) & 0x10); /* a capability list */
    unsigned p = cfg(0x34, 1) & 0xfc;
    for (unsigned n = 0; p && n < 48; n++) {
        unsigned id = cfg(p, 1), next = cfg(p + 1, 1);
        if (id == 0x09) {
            unsigned type = cfg(p + 3, 1), bar = cfg(p + 4, 1);
            uint32_t off = cfg(p + 8, 4);
            if (type >= 1 && type <= 4) {
                ck_assert_uint_eq(bar, 4);
                uint64_t a = MMIO_BASE + off;
                if (type == 1) c.common = a;
                if (type == 2) { c.notify = a; c.notify_mult = cfg(p + 16, 4); }
                if (type == 3) c.isr = a;
                if (type == 4) c.device = a;
                seen |= 1u << type;
            }
        }
        p = next & 0xfc;
    }
    ck_assert_uint_eq(seen, 0x1e);
    return c;
}

static uint64_t mr(uint64_t a, unsigned s) { return physmem_read(&t->mem, a, s); }
static void mw(uint64_t a, uint64_t v, unsigned s) { physmem_write(&t->mem, a, v, s); }

static struct caps modern_start(void)
{
    struct caps c = walk_caps();
    mw(c.common + 0x14, 0, 1);
    mw(c.common + 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    mw(c.common + 0x00, 1, 4);
    ck_assert(mr(c.common + 0x04, 4) & 1);            /* VERSION_1 */
    mw(c.common + 0x00, 0, 4);
    uint32_t f = (uint32_t)mr(c.common + 0x04, 4);
    mw(c.common + 0x08, 0, 4);
    mw(c.common + 0x0c, f, 4);
    mw(c.common + 0x08, 1, 4);
    mw(c.common + 0x0c, 1, 4);
    mw(c.common + 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK, 1);
    ck_assert(mr(c.common + 0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
    ck_assert_uint_eq(mr(c.common + 0x12, 2), 1);     /* num_queues */
    mw(c.common + 0x16, 0, 2);
    ck_assert_uint_eq(mr(c.common + 0x18, 2), VIRTIO_QUEUE_MAX_SIZE);
    mw(c.common + 0x18, 12, 2);                        /* not a power of two: ignored */
    ck_assert_uint_eq(mr(c.common + 0x18, 2), VIRTIO_QUEUE_MAX_SIZE);
    mw(c.common + 0x18, QSIZE, 2);
    ck_assert_uint_eq(mr(c.common + 0x18, 2), QSIZE);
    mw(c.common + 0x20, RING, 4);
    mw(c.common + 0x24, 0, 4);
    mw(c.common + 0x28, M_AVAIL, 8);
    mw(c.common + 0x30, M_USED, 4);
    mw(c.common + 0x34, 0, 4);
    ck_assert_uint_eq(mr(c.common + 0x28, 4), M_AVAIL);
    mw(c.common + 0x1c, 1, 2);
    ck_assert_uint_eq(mr(c.common + 0x1c, 2), 1);
    mw(c.common + 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                            VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
    q_desc = RING;
    q_avail = M_AVAIL;
    q_used = M_USED;
    avail_idx = used_seen = 0;
    return c;
}

static void modern_notify(const struct caps *c)
{
    uint16_t off = (uint16_t)mr(c->common + 0x1e, 2);
    mw(c->notify + (uint64_t)off * c->notify_mult, 0, 2);
}

START_TEST(test_modern_requests)
{
    struct caps c = modern_start();
    ck_assert_uint_eq(mr(c.device, 4), DISK_SECTORS);
    ck_assert_uint_eq(mr(c.device + 0x14, 4), 512);    /* blk_size */
    /* Offering a feature that was not offered keeps FEATURES_OK clear. */
    ck_assert_uint_eq(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);

    post(T_IN, 7, 512, true);
    /* Nothing happens before the notify. */
    ck_assert_uint_eq(mr(q_used + 2, 2), 0);
    modern_notify(&c);
    ck_assert_uint_eq(status_byte(), S_OK);
    ck_assert_uint_eq(one_used(), 513);
    uint8_t buf[512];
    physmem_read_buf(&t->mem, DATA, buf, 512);
    ck_assert(memcmp(buf, disk + 7 * 512, 512) == 0);
    ck_assert(vb.vp.pci.irq_level);
    ck_assert_uint_eq(mr(c.isr, 1), 1);
    ck_assert(!vb.vp.pci.irq_level);

    /* OUT, then IN of the same sector through a wrapped avail index path. */
    memset(buf, 0x5a, 512);
    physmem_write_buf(&t->mem, DATA, buf, 512);
    post(T_OUT, 20, 512, false);
    modern_notify(&c);
    ck_assert_uint_eq(status_byte(), S_OK);
    one_used();
    ck_assert(memcmp(disk + 20 * 512, buf, 512) == 0);
    for (unsigned i = 0; i < 2 * QSIZE; i++) { /* the rings wrap */
        post(T_FLUSH, 0, 0, false);
        modern_notify(&c);
        ck_assert_uint_eq(status_byte(), S_OK);
        one_used();
    }
    ck_assert_uint_eq(disk_bb.flushes, 2 * QSIZE);

    /* Past the end. */
    post(T_OUT, DISK_SECTORS, 512, false);
    modern_notify(&c);
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();

    /* Reset through the status register clears the queue. */
    mw(c.common + 0x14, 0, 1);
    ck_assert_uint_eq(mr(c.common + 0x14, 1), 0);
    ck_assert_uint_eq(mr(c.common + 0x1c, 2), 0);
}
END_TEST

START_TEST(test_malformed_rings)
{
    /* A descriptor index out of range: NEEDS_RESET, a config interrupt,
     * and no more requests until a reset. */
    struct caps c = modern_start();
    write_hdr(T_IN, 0);
    set_desc(0, HDR, 16, 1, QSIZE + 3); /* next beyond the table */
    offer(0);
    modern_notify(&c);
    ck_assert(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert(mr(c.isr, 1) & 2);
    ck_assert_uint_eq(mr(q_used + 2, 2), 0);
    post(T_FLUSH, 0, 0, false);
    modern_notify(&c);
    ck_assert_uint_eq(disk_bb.flushes, 0);
    ck_assert_uint_eq(mr(q_used + 2, 2), 0);

    /* A head out of range. */
    c = modern_start();
    ck_assert_uint_eq(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
    offer(QSIZE);
    modern_notify(&c);
    ck_assert(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);

    /* A loop: 0 -> 1 -> 0. */
    c = modern_start();
    set_desc(0, HDR, 16, 1, 1);
    set_desc(1, STATUS, 1, 2 | 1, 0);
    offer(0);
    modern_notify(&c);
    ck_assert(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(mr(q_used + 2, 2), 0);

    /* The driver claims more available entries than the ring holds. */
    c = modern_start();
    mw(q_avail + 2, QSIZE + 1, 2);
    modern_notify(&c);
    ck_assert(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);

    /* An indirect descriptor (not offered). */
    c = modern_start();
    set_desc(0, HDR, 16, 4, 0);
    offer(0);
    modern_notify(&c);
    ck_assert(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);

    /* Descriptors pointing outside guest RAM, and a request with no
     * writable part: completed, the device keeps working. */
    c = modern_start();
    write_hdr(T_IN, 0);
    set_desc(0, HDR, 16, 1, 1);
    set_desc(1, 0xfff00000000ull, 512, 2 | 1, 2);
    set_desc(2, STATUS, 1, 2, 0);
    offer(0);
    modern_notify(&c);
    one_used();
    set_desc(0, HDR, 16, 0, 0);
    offer(0);
    modern_notify(&c);
    ck_assert_uint_eq(one_used(), 0);
    ck_assert_uint_eq(mr(c.common + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);

    /* The legacy interface: a loop there too, then a reset recovers. */
    legacy_start();
    set_desc(0, HDR, 16, 1, 0);
    offer(0);
    legacy_notify();
    ck_assert(iobus_read(&t->io, IO_BASE + 0x12, 1) & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert(iobus_read(&t->io, IO_BASE + 0x13, 1) & 2);
    legacy_start();
    ck_assert_uint_eq(iobus_read(&t->io, IO_BASE + 0x12, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
    post(T_FLUSH, 0, 0, false);
    legacy_notify();
    ck_assert_uint_eq(status_byte(), S_OK);
    one_used();
}
END_TEST

START_TEST(test_read_only_media)
{
    teardown();
    make_device(true);
    struct caps c = modern_start();
    mw(c.common + 0x00, 0, 4);
    uint32_t f = (uint32_t)mr(c.common + 0x04, 4);
    ck_assert(f & (1u << 5));          /* VIRTIO_BLK_F_RO */
    ck_assert_uint_eq(f & (1u << 13), 0); /* no DISCARD on read-only media */
    uint8_t before[512], buf[512];
    memcpy(before, disk + 4 * 512, 512);
    memset(buf, 0x77, 512);
    physmem_write_buf(&t->mem, DATA, buf, 512);
    post(T_OUT, 4, 512, false);
    modern_notify(&c);
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();
    ck_assert(memcmp(disk + 4 * 512, before, 512) == 0);
    physmem_write(&t->mem, DATA, 0, 8);
    physmem_write(&t->mem, DATA + 8, 1, 4);
    physmem_write(&t->mem, DATA + 12, 0, 4);
    post(T_DISCARD, 0, 16, false);
    modern_notify(&c);
    ck_assert_uint_eq(status_byte(), S_IOERR);
    one_used();
    ck_assert_uint_eq(disk_bb.discards, 0);
    post(T_IN, 4, 512, true);
    modern_notify(&c);
    ck_assert_uint_eq(status_byte(), S_OK);
    one_used();
    physmem_read_buf(&t->mem, DATA, buf, 512);
    ck_assert(memcmp(buf, before, 512) == 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio_blk");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_legacy_requests);
    tcase_add_test(tc, test_modern_requests);
    tcase_add_test(tc, test_malformed_rings);
    tcase_add_test(tc, test_read_only_media);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* See testdev.h. */
#include "devices/testdev.h"

#include <string.h>

#include "mmu/physmem.h"

/* The bytes of the scratch register an access covers: from the port's
 * offset in the 4-port window, clipped at the register's end. */
static uint64_t scratch_mask(uint16_t port, unsigned size, unsigned *shift)
{
    unsigned off = port & 3u;
    unsigned bytes = size > 4 - off ? 4 - off : size;
    *shift = 8 * off;
    return ((bytes >= 4 ? 0xffffffffull : (1ull << (8 * bytes)) - 1) << *shift) & 0xffffffffull;
}

uint32_t testdev_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct testdev *t = opaque;
    if ((port & ~3u) == TESTDEV_IOPORT || (port & ~3u) == TESTDEV_IOPORT_BYTE) {
        unsigned shift;
        uint64_t mask = scratch_mask(port, size, &shift);
        return (uint32_t)((t->ioport_data & mask) >> shift);
    }
    return 0; /* the flush and IRQ ports are write-only */
}

void testdev_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct testdev *t = opaque;
    if ((port & ~3u) == TESTDEV_IOPORT || (port & ~3u) == TESTDEV_IOPORT_BYTE) {
        unsigned shift;
        uint64_t mask = scratch_mask(port, size, &shift);
        t->ioport_data = (uint32_t)((t->ioport_data & ~mask) | (((uint64_t)value << shift) & mask));
        return;
    }
    if (port >= TESTDEV_IRQ_PORT && port < TESTDEV_IRQ_PORT + TESTDEV_IRQ_LINES) {
        /* One line per port; any non-zero value asserts it. */
        if (t->env.set_irq)
            device_set_irq(&t->env, (unsigned)(port - TESTDEV_IRQ_PORT), (value & 0xff) != 0);
        return;
    }
    /* TESTDEV_FLUSH_PORT: in QEMU it unmaps and remaps the host page behind
     * a guest address to exercise KVM's MMU; nothing a guest can observe,
     * so nothing to do here. */
}

uint64_t testdev_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct testdev *t = opaque;
    uint64_t v = 0;
    if (offset < TESTDEV_IOMEM_SIZE) {
        size_t n = size <= 8 ? size : 8;
        if (n > TESTDEV_IOMEM_SIZE - offset)
            n = (size_t)(TESTDEV_IOMEM_SIZE - offset);
        memcpy(&v, t->iomem + offset, n); /* little-endian hosts */
    }
    return v;
}

void testdev_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct testdev *t = opaque;
    if (offset >= TESTDEV_IOMEM_SIZE)
        return;
    size_t n = size <= 8 ? size : 8;
    if (n > TESTDEV_IOMEM_SIZE - offset)
        n = (size_t)(TESTDEV_IOMEM_SIZE - offset);
    memcpy(t->iomem + offset, &value, n);
}

int testdev_init(struct testdev *t, const struct device_env *env)
{
    memset(t, 0, sizeof(*t));
    t->env = *env;
    if (env->io) {
        iobus_register(env->io, TESTDEV_IOPORT, 4, t, testdev_io_read, testdev_io_write,
                       "pc-testdev-ioport");
        iobus_register(env->io, TESTDEV_FLUSH_PORT, 4, t, testdev_io_read, testdev_io_write,
                       "pc-testdev-flush-page");
        iobus_register(env->io, TESTDEV_IOPORT_BYTE, 4, t, testdev_io_read, testdev_io_write,
                       "pc-testdev-ioport-byte");
        iobus_register(env->io, TESTDEV_IRQ_PORT, TESTDEV_IRQ_LINES, t, testdev_io_read,
                       testdev_io_write, "pc-testdev-irq-line");
    }
    if (env->mem && physmem_add_mmio(env->mem, TESTDEV_IOMEM_BASE, TESTDEV_IOMEM_SIZE, t,
                                     testdev_mmio_read, testdev_mmio_write,
                                     "pc-testdev-iomem") < 0)
        return -1;
    return 0;
}

/* The I/O port bus: a 64 Ki-entry map from port to handler. */
#include "devices/bus.h"

#include <string.h>

static uint32_t size_mask(unsigned size)
{
    switch (size) {
    case 1: return 0xffu;
    case 2: return 0xffffu;
    default: return 0xffffffffu;
    }
}

static unsigned clamp_size(unsigned size)
{
    return (size == 1 || size == 2) ? size : 4;
}

void iobus_init(struct iobus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

/* Returns the handler index, or -1 when the table is full or the range does
 * not fit in the 16-bit port space. A later registration overrides the
 * ports it covers. Count 0 registers a handler that decodes no port yet (a
 * PCI I/O BAR before it is mapped, placed later by iobus_set_range). */
int iobus_register(struct iobus *bus, uint16_t base, uint32_t count, void *opaque,
                   io_read_fn read, io_write_fn write, const char *name)
{
    if ((uint32_t)base + count > 65536u || bus->nhandlers >= IOBUS_MAX_HANDLERS)
        return -1;
    int idx = bus->nhandlers++;
    bus->handlers[idx] = (struct io_handler){
        .opaque = opaque, .read = read, .write = write, .base = base, .name = name};
    for (uint32_t p = base; p < (uint32_t)base + count; p++)
        bus->map[p] = (uint8_t)(idx + 1);
    return idx;
}

int iobus_set_range(struct iobus *bus, int handler, uint16_t base, uint32_t count)
{
    if (handler < 0 || handler >= bus->nhandlers || (uint32_t)base + count > 65536u)
        return -1;
    uint8_t tag = (uint8_t)(handler + 1);
    for (uint32_t p = 0; p < 65536u; p++)
        if (bus->map[p] == tag)
            bus->map[p] = 0;
    for (uint32_t p = base; p < (uint32_t)base + count; p++)
        bus->map[p] = tag;
    bus->handlers[handler].base = base;
    return 0;
}

uint32_t iobus_read(struct iobus *bus, uint16_t port, unsigned size)
{
    size = clamp_size(size);
    unsigned h = bus->map[port];
    if (h == 0 || !bus->handlers[h - 1].read)
        return size_mask(size);
    const struct io_handler *io = &bus->handlers[h - 1];
    return io->read(io->opaque, port, size) & size_mask(size);
}

void iobus_write(struct iobus *bus, uint16_t port, uint32_t value, unsigned size)
{
    size = clamp_size(size);
    unsigned h = bus->map[port];
    if (h == 0 || !bus->handlers[h - 1].write)
        return;
    const struct io_handler *io = &bus->handlers[h - 1];
    io->write(io->opaque, port, value & size_mask(size), size);
}

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

/* The port map from the handlers' ranges, in registration order (a later
 * handler wins where ranges overlap). Only BAR moves rebuild it. */
static void rebuild_map(struct iobus *bus)
{
    memset(bus->map, 0, sizeof bus->map);
    for (int i = 0; i < bus->nhandlers; i++) {
        const struct io_handler *h = &bus->handlers[i];
        for (uint32_t p = h->base; p < (uint32_t)h->base + h->count; p++)
            bus->map[p] = (uint8_t)(i + 1);
    }
}

int iobus_register(struct iobus *bus, uint16_t base, uint32_t count, void *opaque,
                   io_read_fn read, io_write_fn write, const char *name)
{
    if ((uint32_t)base + count > 65536u || bus->nhandlers >= IOBUS_MAX_HANDLERS)
        return -1;
    int idx = bus->nhandlers++;
    bus->handlers[idx] = (struct io_handler){.opaque = opaque, .read = read, .write = write,
                                             .base = base, .count = count, .name = name};
    for (uint32_t p = base; p < (uint32_t)base + count; p++)
        bus->map[p] = (uint8_t)(idx + 1);
    return idx;
}

int iobus_set_range(struct iobus *bus, int handler, uint16_t base, uint32_t count)
{
    if (handler < 0 || handler >= bus->nhandlers || (uint32_t)base + count > 65536u)
        return -1;
    bus->handlers[handler].base = base;
    bus->handlers[handler].count = count;
    rebuild_map(bus);
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

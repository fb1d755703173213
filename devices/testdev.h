/* QEMU's pc-testdev (`-device pc-testdev`), the device kvm-unit-tests uses
 * to test a PC emulator from inside: a 32-bit scratch register readable and
 * writable in pieces at ports 0xE0-0xE3 and 0xE8-0xEB, a "flush page" port
 * at 0xE4, ISA interrupt lines driven by writes to 0x2000-0x2017, and 64 KiB
 * of RAM-like MMIO at 0xFF000000 (which forces accesses through the MMIO
 * path). Layout as in QEMU's hw/misc/pc-testdev.c, where the facts come
 * from; the code is this project's own. */
#ifndef TURTLES_DEVICES_TESTDEV_H
#define TURTLES_DEVICES_TESTDEV_H

#include <stdint.h>

#include "devices/bus.h"

#define TESTDEV_IOPORT 0xe0
#define TESTDEV_FLUSH_PORT 0xe4
#define TESTDEV_IOPORT_BYTE 0xe8
#define TESTDEV_IRQ_PORT 0x2000
#define TESTDEV_IRQ_LINES 24
#define TESTDEV_IOMEM_BASE 0xff000000ull
#define TESTDEV_IOMEM_SIZE 0x10000u

struct testdev {
    uint32_t ioport_data;
    uint8_t iomem[TESTDEV_IOMEM_SIZE];
    struct device_env env;
};

/* Registers the ports and the MMIO window. Returns 0, or -1 when the MMIO
 * window could not be mapped. */
int testdev_init(struct testdev *t, const struct device_env *env);

uint32_t testdev_io_read(void *opaque, uint16_t port, unsigned size);
void testdev_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);
uint64_t testdev_mmio_read(void *opaque, uint64_t offset, unsigned size);
void testdev_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size);

#endif

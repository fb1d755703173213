/* Intel 82093AA-style I/O APIC (version 0x20, 24 pins, with the EOI
 * register of later versions) at 0xFEC00000. */
#ifndef TURTLES_DEVICES_IOAPIC_H
#define TURTLES_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_MMIO_SIZE 0x1000ull
#define IOAPIC_NUM_PINS 24
#define IOAPIC_VERSION 0x20

struct ioapic {
    uint64_t redir[IOAPIC_NUM_PINS];
    uint32_t irr;        /* level entries: line asserted; edge entries: edge latched */
    uint32_t line_level; /* input levels as last driven, for edge detection */
    uint32_t id;         /* bits 27:24 of the ID register */
    uint8_t ioregsel;
    struct device_env env;
};

void ioapic_init(struct ioapic *io, const struct device_env *env, uint64_t base);
void ioapic_reset(struct ioapic *io);
/* Drive input pin (GSI) `pin` to `level` (asserted = true; pin polarity is
 * the wiring's business and is not applied here). */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);
/* A local APIC EOI'd a level-triggered `vector`: clear remote IRR on the
 * matching entries and redeliver those whose line is still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* Some unmasked redirection entry delivers an NMI or INIT when its pin is
 * asserted (the machine's test for "can a halted CPU with IF=0 wake"). */
bool ioapic_may_send_nmi_or_init(const struct ioapic *io);
/* Some entry is unmasked with a maskable delivery mode (fixed or lowest
 * priority): a device line could still interrupt a local APIC. */
bool ioapic_may_send_maskable(const struct ioapic *io);

uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size);
void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size);

#endif

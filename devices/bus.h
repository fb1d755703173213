/* How devices meet the rest of the machine.
 *
 * - I/O ports: a device registers read/write callbacks for a port range.
 * - Interrupt lines: a device drives the level of a numbered line (ISA IRQ
 *   0-15, PCI INTx routed to GSIs); the machine wires lines to the PIC pair
 *   and the I/O APIC.
 * - Interrupt messages: the I/O APIC, MSI and the HPET produce messages
 *   (destination, vector, delivery mode) handed to a callback that the
 *   machine wires to the local APICs in cpu/ (DESIGN.md: a device never
 *   reaches into the CPU).
 * - Memory: MMIO regions and DMA go through mmu/physmem.h. */
#ifndef TURTLES_DEVICES_BUS_H
#define TURTLES_DEVICES_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/clock.h"
#include "mmu/physmem.h"

typedef uint32_t (*io_read_fn)(void *opaque, uint16_t port, unsigned size);
typedef void (*io_write_fn)(void *opaque, uint16_t port, uint32_t value, unsigned size);

#define IOBUS_MAX_HANDLERS 128

struct io_handler {
    void *opaque;
    io_read_fn read;   /* NULL: reads as all ones */
    io_write_fn write; /* NULL: writes ignored */
    uint16_t base;     /* port = base + offset passed unchanged (absolute port) */
    const char *name;
};

struct iobus {
    uint8_t map[65536];  /* port -> handler index + 1, 0 = nothing */
    struct io_handler handlers[IOBUS_MAX_HANDLERS];
    int nhandlers;
};

void iobus_init(struct iobus *bus);
/* count 0: a handler that decodes no port until iobus_set_range places it
 * (PCI I/O BARs: registering the BAR's size at port 0 would take ports
 * 0-N from the PIC, PIT, RTC... that sit there). */
int iobus_register(struct iobus *bus, uint16_t base, uint32_t count, void *opaque,
                   io_read_fn read, io_write_fn write, const char *name);
/* Move a registered handler (index returned by iobus_register) to
 * [base, base + count); count 0 unmaps it. For PCI I/O BARs. Returns 0 or -1. */
int iobus_set_range(struct iobus *bus, int handler, uint16_t base, uint32_t count);
/* Unmapped ports read as all ones and ignore writes (PC behaviour). Sizes 1, 2, 4.
 * A multi-byte access goes to the handler of its first port. */
uint32_t iobus_read(struct iobus *bus, uint16_t port, unsigned size);
void iobus_write(struct iobus *bus, uint16_t port, uint32_t value, unsigned size);

/* Interrupt message, as the I/O APIC redirection entry and MSI describe it
 * (SDM Vol.3A 11.11 for the MSI format). */
enum apic_delivery_mode {
    APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
    APIC_DM_INIT = 5, APIC_DM_STARTUP = 6, APIC_DM_EXTINT = 7,
};
/* NMI and INIT reach a core whatever its RFLAGS.IF (SDM Vol.3A 6.8.1,
 * 11.6.1): the only messages that can end a HLT entered with interrupts
 * disabled. (An SMI would too; turtles has no SMM and drops SMIs.) */
static inline bool apic_mode_ignores_if(unsigned mode)
{
    return mode == APIC_DM_NMI || mode == APIC_DM_INIT;
}

struct apic_msg {
    uint32_t dest;        /* APIC ID or logical destination (x2APIC: 32 bits) */
    uint8_t vector;
    uint8_t delivery_mode;
    bool dest_logical;
    bool level_triggered;
    bool assert_level;
};
typedef void (*apic_msg_fn)(void *opaque, const struct apic_msg *msg);

/* What every device constructor receives. */
struct device_env {
    struct iobus *io;
    struct physmem *mem;
    struct clock *clock;
    /* Drive interrupt line `line` (ISA IRQ number or GSI) to `level`. Edge
     * devices pulse: level 1 then 0. */
    void (*set_irq)(void *opaque, unsigned line, bool level);
    void *irq_opaque;
    /* Deliver an interrupt message to the local APICs. */
    apic_msg_fn send_msg;
    void *msg_opaque;
    /* -d guest_errors: a device tells of programming it cannot honour and
     * ignores (NULL: nobody asked). `device` names it, `what` says what. */
    void (*guest_error)(void *opaque, const char *device, const char *what);
    void *guest_error_opaque;
};

static inline bool device_logs_guest_errors(const struct device_env *env)
{
    return env->guest_error != NULL;
}

static inline void device_guest_error(const struct device_env *env, const char *device,
                                      const char *what)
{
    if (env->guest_error)
        env->guest_error(env->guest_error_opaque, device, what);
}

static inline void device_set_irq(const struct device_env *env, unsigned line, bool level)
{
    env->set_irq(env->irq_opaque, line, level);
}

#endif

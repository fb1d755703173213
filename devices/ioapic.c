/* I/O APIC (Intel 82093AA datasheet, order no. 290566, section 3). */
#include "devices/ioapic.h"

#include <string.h>

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOEOI 0x40

#define RTE_VECTOR 0xffull
#define RTE_DELMODE_SHIFT 8
#define RTE_DESTMODE (1ull << 11)
#define RTE_DELIVS (1ull << 12)
#define RTE_POLARITY (1ull << 13)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_RO_BITS (RTE_DELIVS | RTE_REMOTE_IRR)
/* Bits 17-55 are reserved; 63:56 the destination. */
static const uint64_t rte_writable_mask = 0xff00000000000000ull | 0x1ffffull;

static void deliver(struct ioapic *io, unsigned pin)
{
    uint64_t e = io->redir[pin];
    struct apic_msg msg = {
        .dest = (uint32_t)(e >> 56),
        .vector = (uint8_t)(e & RTE_VECTOR),
        .delivery_mode = (uint8_t)((e >> RTE_DELMODE_SHIFT) & 7),
        .dest_logical = (e & RTE_DESTMODE) != 0,
        .level_triggered = (e & RTE_LEVEL) != 0,
        .assert_level = true,
    };
    if (e & RTE_LEVEL)
        io->redir[pin] |= RTE_REMOTE_IRR;   /* held until the EOI */
    if (io->env.send_msg)
        io->env.send_msg(io->env.msg_opaque, &msg);
}

/* Deliver what a pin's state calls for right now. */
static void service_pin(struct ioapic *io, unsigned pin)
{
    uint64_t e = io->redir[pin];
    uint32_t bit = 1u << pin;
    if ((e & RTE_MASKED) || !(io->irr & bit))
        return;
    if (e & RTE_LEVEL) {
        if (!(e & RTE_REMOTE_IRR))
            deliver(io, pin);
    } else {
        io->irr &= ~bit;   /* an edge is consumed by its delivery */
        deliver(io, pin);
    }
}

bool ioapic_may_send_nmi_or_init(const struct ioapic *io)
{
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t e = io->redir[pin];
        if (!(e & RTE_MASKED) && apic_mode_ignores_if((unsigned)(e >> RTE_DELMODE_SHIFT) & 7))
            return true;
    }
    return false;
}

bool ioapic_may_send_maskable(const struct ioapic *io)
{
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t e = io->redir[pin];
        unsigned mode = (unsigned)(e >> RTE_DELMODE_SHIFT) & 7;
        if (!(e & RTE_MASKED) && (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST ||
                                  mode == APIC_DM_EXTINT))
            return true;
    }
    return false;
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
    if (pin >= IOAPIC_NUM_PINS)
        return;
    uint32_t bit = 1u << pin;
    uint64_t e = io->redir[pin];
    if (e & RTE_LEVEL) {
        if (level)
            io->irr |= bit;
        else
            io->irr &= ~bit;
        service_pin(io, pin);
    } else {
        /* Edge: only a rising edge counts, and an edge that arrives while
         * the pin is masked is lost. */
        if (level && !(io->line_level & bit) && !(e & RTE_MASKED)) {
            io->irr |= bit;
            service_pin(io, pin);
        }
    }
    if (level)
        io->line_level |= bit;
    else
        io->line_level &= ~bit;
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t e = io->redir[pin];
        if (!(e & RTE_LEVEL) || (e & RTE_VECTOR) != vector || !(e & RTE_REMOTE_IRR))
            continue;
        io->redir[pin] &= ~RTE_REMOTE_IRR;
        service_pin(io, pin);
    }
}

static uint32_t read_indirect(const struct ioapic *io, uint8_t reg)
{
    switch (reg) {
    case 0x00:
        return io->id;
    case 0x01:
        return ((uint32_t)(IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION;
    case 0x02: /* arbitration ID mirrors the APIC ID */
        return io->id;
    default:
        if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_NUM_PINS) {
            uint64_t e = io->redir[(reg - 0x10) / 2];
            return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
        }
        return 0xffffffffu;
    }
}

static void write_indirect(struct ioapic *io, uint8_t reg, uint32_t val)
{
    if (reg == 0x00) {
        io->id = val & 0x0f000000u;
        return;
    }
    if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_NUM_PINS)
        return;   /* version, arbitration and unknown registers are read-only */
    unsigned pin = (reg - 0x10) / 2;
    uint64_t e = io->redir[pin];
    uint64_t nv = (reg & 1) ? ((e & 0xffffffffull) | ((uint64_t)val << 32))
                            : ((e & 0xffffffff00000000ull) | val);
    nv = (nv & rte_writable_mask & ~RTE_RO_BITS) | (e & RTE_RO_BITS);
    /* An edge entry has no remote IRR. */
    if (!(nv & RTE_LEVEL))
        nv &= ~RTE_REMOTE_IRR;
    io->redir[pin] = nv;
    /* Switching an entry to level makes IRR follow the line. */
    if (nv & RTE_LEVEL) {
        if (io->line_level & (1u << pin))
            io->irr |= 1u << pin;
        else
            io->irr &= ~(1u << pin);
    }
    /* Unmasking a level entry whose line is asserted delivers it now. */
    service_pin(io, pin);
}

uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ioapic *io = opaque;
    uint64_t v;
    switch (offset & ~3ull) {
    case IOREGSEL:
        v = io->ioregsel;
        break;
    case IOWIN:
        v = read_indirect(io, io->ioregsel);
        break;
    default:
        return 0;
    }
    v >>= 8 * (offset & 3);
    if (size < 4)
        v &= (1ull << (8 * size)) - 1;
    return v;
}

void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct ioapic *io = opaque;
    (void)size;
    /* Only aligned dword accesses are defined; a narrower write to
     * IOREGSEL's low byte is common and accepted. */
    switch (offset) {
    case IOREGSEL:
        io->ioregsel = (uint8_t)value;
        break;
    case IOWIN:
        write_indirect(io, io->ioregsel, (uint32_t)value);
        break;
    case IOEOI:
        ioapic_eoi(io, (uint8_t)value);
        break;
    default:
        break;
    }
}

void ioapic_reset(struct ioapic *io)
{
    for (unsigned i = 0; i < IOAPIC_NUM_PINS; i++)
        io->redir[i] = RTE_MASKED;
    io->irr = 0;
    io->line_level = 0;
    io->id = 0;
    io->ioregsel = 0;
}

void ioapic_init(struct ioapic *io, const struct device_env *env, uint64_t base)
{
    memset(io, 0, sizeof(*io));
    if (env)
        io->env = *env;
    ioapic_reset(io);
    if (env && env->mem)
        physmem_add_mmio(env->mem, base, IOAPIC_MMIO_SIZE, io, ioapic_mmio_read,
                         ioapic_mmio_write, "ioapic");
}

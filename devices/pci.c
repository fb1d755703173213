/* PCI bus 0: config mechanism #1, BAR decoding, INTx through PIRQ links. */
#include "devices/pci.h"

#include <string.h>

static void set_le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device, uint8_t revision,
                     uint32_t class_code, void *opaque)
{
    memset(dev, 0, sizeof(*dev));
    set_le(&dev->config[PCI_VENDOR_ID], vendor, 2);
    set_le(&dev->config[PCI_DEVICE_ID], device, 2);
    dev->config[PCI_REVISION_ID] = revision;
    set_le(&dev->config[PCI_CLASS_PROG], class_code, 3);
    /* Command: I/O, memory, bus master, parity, SERR, INTx disable. */
    dev->wmask[PCI_COMMAND] = 0x47;
    dev->wmask[PCI_COMMAND + 1] = 0x05;
    /* Status error bits are write-1-to-clear. */
    dev->w1cmask[PCI_STATUS + 1] = 0xf9;
    dev->wmask[0x0c] = 0xff;   /* cache line size */
    dev->wmask[0x0d] = 0xff;   /* latency timer */
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
    /* Device-specific space is writable unless the model says otherwise. */
    memset(&dev->wmask[0x40], 0xff, PCI_CONFIG_SPACE_SIZE - 0x40);
    for (int i = 0; i <= PCI_ROM_SLOT; i++)
        dev->bars[i].mapped = PCI_BAR_UNMAPPED;
    dev->opaque = opaque;
}

void pci_register_bar(struct pci_device *dev, int idx, uint64_t size, enum pci_bar_type type,
                      bool prefetchable)
{
    if (idx < 0 || idx >= PCI_NUM_BARS || type == PCI_BAR_NONE)
        return;
    if (type == PCI_BAR_MEM64 && idx == PCI_NUM_BARS - 1)
        return;
    uint64_t min = type == PCI_BAR_IO ? 4 : 16;
    uint64_t sz = min;
    while (sz < size && sz < (1ull << 62))
        sz <<= 1;
    if (type != PCI_BAR_MEM64 && sz > (1ull << 31))
        sz = 1ull << 31;
    struct pci_bar *b = &dev->bars[idx];
    b->size = sz;
    b->type = (uint8_t)type;
    b->prefetchable = prefetchable;
    b->mapped = PCI_BAR_UNMAPPED;
    unsigned off = PCI_BAR0 + 4 * (unsigned)idx;
    uint32_t flags = type == PCI_BAR_IO ? 0x1 : (type == PCI_BAR_MEM64 ? 0x4 : 0x0);
    if (type != PCI_BAR_IO && prefetchable)
        flags |= 0x8;
    set_le(&dev->config[off], flags, 4);
    uint64_t mask = ~(sz - 1);
    /* Low type bits are read-only; address bits below the size read 0,
     * which is how software sizes a BAR (write all ones, read back). */
    /* I/O BARs keep their upper 16 address bits writable, as QEMU's do:
     * SeaBIOS sizes a BAR as ~(value & mask) + 1 in 32 bits, so hardwired
     * zeros there would read as a 4 GiB I/O range. Decoding still needs
     * the whole range below 64 KiB (bar_decoded). */
    uint32_t lo = (uint32_t)mask & (type == PCI_BAR_IO ? ~0x3u : ~0xfu);
    set_le(&dev->wmask[off], lo, 4);
    if (type == PCI_BAR_MEM64) {
        set_le(&dev->config[off + 4], 0, 4);
        set_le(&dev->wmask[off + 4], (uint32_t)(mask >> 32), 4);
        dev->bars[idx + 1] = (struct pci_bar){.mapped = PCI_BAR_UNMAPPED};
    }
}

void pci_register_rom_bar(struct pci_device *dev, uint64_t size)
{
    uint64_t sz = 2048;
    while (sz < size && sz < (1ull << 31))
        sz <<= 1;
    struct pci_bar *b = &dev->bars[PCI_ROM_SLOT];
    b->size = sz;
    b->type = PCI_BAR_MEM32;
    b->prefetchable = false;
    b->mapped = PCI_BAR_UNMAPPED;
    set_le(&dev->config[PCI_ROM_ADDRESS], 0, 4);
    /* Address bits 31:11 above the size, and the enable bit 0. */
    set_le(&dev->wmask[PCI_ROM_ADDRESS], ((uint32_t)~(sz - 1) & 0xfffff800u) | 1u, 4);
}

void pci_set_interrupt_pin(struct pci_device *dev, uint8_t pin)
{
    dev->config[PCI_INTERRUPT_PIN] = pin <= 4 ? pin : 0;
}

/* The address a BAR decodes now, given the command register. */
static uint64_t bar_decoded(const struct pci_device *dev, int idx)
{
    const struct pci_bar *b = &dev->bars[idx];
    if (!b->size)
        return PCI_BAR_UNMAPPED;
    uint16_t cmd = (uint16_t)(dev->config[PCI_COMMAND] | dev->config[PCI_COMMAND + 1] << 8);
    unsigned off = PCI_BAR0 + 4 * (unsigned)idx;
    uint64_t addr;
    if (idx == PCI_ROM_SLOT) {
        uint32_t rom = get_le32(&dev->config[PCI_ROM_ADDRESS]);
        addr = rom & 0xfffff800u;
        if (!(cmd & PCI_COMMAND_MEMORY) || !(rom & 1) || addr == 0 ||
            addr > (1ull << 32) - b->size || addr == (~(b->size - 1) & 0xffffffffull))
            return PCI_BAR_UNMAPPED;
        return addr;
    }
    if (b->type == PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO))
            return PCI_BAR_UNMAPPED;
        addr = get_le32(&dev->config[off]) & ~0x3u;
        if (addr == 0 || addr + b->size > 0x10000)
            return PCI_BAR_UNMAPPED;
        return addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY))
        return PCI_BAR_UNMAPPED;
    addr = get_le32(&dev->config[off]) & ~0xfu;
    if (b->type == PCI_BAR_MEM64)
        addr |= (uint64_t)get_le32(&dev->config[off + 4]) << 32;
    uint64_t limit = b->type == PCI_BAR_MEM64 ? (1ull << 52) : (1ull << 32);
    /* Zero, or a sizing pattern left in place, or past the address space. */
    if (addr == 0 || addr > limit - b->size || addr == (~(b->size - 1) & (limit - 1)))
        return PCI_BAR_UNMAPPED;
    return addr;
}

static void update_bars(struct pci_device *dev)
{
    for (int i = 0; i <= PCI_ROM_SLOT; i++) {
        struct pci_bar *b = &dev->bars[i];
        if (!b->size)
            continue;
        uint64_t addr = bar_decoded(dev, i);
        if (addr != b->mapped) {
            b->mapped = addr;
            if (dev->bar_remap)
                dev->bar_remap(dev, i, addr);
        }
    }
}

void pci_device_reset(struct pci_device *dev)
{
    dev->config[PCI_COMMAND] = 0;
    dev->config[PCI_COMMAND + 1] = 0;
    dev->config[PCI_STATUS + 1] &= (uint8_t)~0xf9;
    dev->config[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i <= PCI_ROM_SLOT; i++) {
        unsigned off = i == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * (unsigned)i;
        for (unsigned j = 0; j < 4; j++)
            dev->config[off + j] &= (uint8_t)~dev->wmask[off + j];
    }
    update_bars(dev);
    pci_set_irq(dev, false);
}

int pci_register_device(struct pci_bus *bus, struct pci_device *dev, uint8_t devfn)
{
    if (bus->devs[devfn])
        return -1;
    dev->devfn = devfn;
    dev->bus = bus;
    bus->devs[devfn] = dev;
    return 0;
}

void pci_bus_update_pirq(struct pci_bus *bus)
{
    uint16_t want = 0;
    for (int link = 0; link < 4; link++) {
        uint8_t r = bus->pirq_route[link];
        unsigned irq = r & 0x0f;
        /* PIIX3 routes only to IRQ 3-7, 9-12, 14, 15. */
        bool valid = !(r & 0x80) && irq >= 3 && irq != 8 && irq != 13;
        if (valid && bus->pirq_asserted[link])
            want |= (uint16_t)(1u << irq);
    }
    uint16_t changed = want ^ bus->isa_irq_level;
    bus->isa_irq_level = want;
    for (unsigned irq = 0; irq < 16; irq++)
        if ((changed >> irq) & 1 && bus->env.set_irq)
            device_set_irq(&bus->env, irq, (want >> irq) & 1);
}

void pci_set_irq(struct pci_device *dev, bool level)
{
    if (dev->irq_level == level)
        return;
    dev->irq_level = level;
    uint8_t pin = dev->config[PCI_INTERRUPT_PIN];
    struct pci_bus *bus = dev->bus;
    if (!bus || pin < 1 || pin > 4)
        return;
    unsigned link = pci_piix_pirq(dev->devfn >> 3, pin);
    if (level)
        bus->pirq_asserted[link]++;
    else if (bus->pirq_asserted[link])
        bus->pirq_asserted[link]--;
    pci_bus_update_pirq(bus);
}

static struct pci_device *lookup(struct pci_bus *bus, uint8_t busno, uint8_t devfn)
{
    if (busno != 0)
        return NULL;
    /* A single-function device answers only on function 0; functions
     * 1-7 of a slot exist only when registered. */
    return bus->devs[devfn];
}

uint32_t pci_config_read(struct pci_bus *bus, uint8_t busno, uint8_t devfn, unsigned reg,
                         unsigned size)
{
    struct pci_device *dev = lookup(bus, busno, devfn);
    if (size != 1 && size != 2 && size != 4)
        size = 4;
    if (reg >= PCI_CONFIG_SPACE_SIZE)
        return 0xffffffffu;
    if (reg + size > PCI_CONFIG_SPACE_SIZE)
        size = PCI_CONFIG_SPACE_SIZE - reg;
    uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    if (!dev)
        return mask;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)dev->config[reg + i] << (8 * i);
    if (dev->config_read)
        v = dev->config_read(dev, reg, size, v) & mask;
    return v;
}

void pci_config_write(struct pci_bus *bus, uint8_t busno, uint8_t devfn, unsigned reg,
                      uint32_t val, unsigned size)
{
    struct pci_device *dev = lookup(bus, busno, devfn);
    if (!dev || reg >= PCI_CONFIG_SPACE_SIZE)
        return;
    if (size != 1 && size != 2 && size != 4)
        size = 4;
    if (reg + size > PCI_CONFIG_SPACE_SIZE)
        size = PCI_CONFIG_SPACE_SIZE - reg;
    for (unsigned i = 0; i < size; i++) {
        unsigned r = reg + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        dev->config[r] = (uint8_t)((dev->config[r] & ~dev->wmask[r]) | (b & dev->wmask[r]));
        dev->config[r] &= (uint8_t)~(b & dev->w1cmask[r]);
    }
    if (dev->config_write)
        dev->config_write(dev, reg, val, size);
    /* Command register or a BAR touched: decoding may have changed. */
    if ((reg < PCI_COMMAND + 2 && reg + size > PCI_COMMAND) ||
        (reg < PCI_BAR0 + 24 && reg + size > PCI_BAR0) ||
        (reg < PCI_ROM_ADDRESS + 4 && reg + size > PCI_ROM_ADDRESS))
        update_bars(dev);
}

uint32_t pci_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct pci_bus *bus = opaque;
    if (port == PCI_CONFIG_ADDRESS_PORT && size == 4)
        return bus->config_address;
    if (port == PCI_RESET_CONTROL_PORT && size == 1)
        return bus->rcr;
    if (port >= PCI_CONFIG_DATA_PORT && port <= PCI_CONFIG_DATA_PORT + 3) {
        uint32_t a = bus->config_address;
        uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        if (!(a & 0x80000000u))
            return mask;
        unsigned reg = (a & 0xfc) | (port & 3u);
        return pci_config_read(bus, (uint8_t)(a >> 16), (uint8_t)(a >> 8), reg, size);
    }
    return 0xffffffffu;
}

void pci_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pci_bus *bus = opaque;
    if (port == PCI_CONFIG_ADDRESS_PORT && size == 4) {
        bus->config_address = value & 0x80fffffcu;
        return;
    }
    if (port == PCI_RESET_CONTROL_PORT && size == 1) {
        /* PIIX3 RCR: bit 1 selects a hard reset, bit 2 starts the reset;
         * any reset kind restarts the whole machine here. */
        bus->rcr = value & 0x0a;
        if ((value & 0x04) && bus->reset)
            bus->reset(bus->reset_opaque);
        return;
    }
    if (port >= PCI_CONFIG_DATA_PORT && port <= PCI_CONFIG_DATA_PORT + 3) {
        uint32_t a = bus->config_address;
        if (!(a & 0x80000000u))
            return;
        unsigned reg = (a & 0xfc) | (port & 3u);
        pci_config_write(bus, (uint8_t)(a >> 16), (uint8_t)(a >> 8), reg, value, size);
    }
}

void pci_bus_reset(struct pci_bus *bus)
{
    bus->config_address = 0;
    bus->rcr = 0;
    for (int i = 0; i < 4; i++)
        bus->pirq_route[i] = 0x80;
    pci_bus_update_pirq(bus);
}

void pci_bus_init(struct pci_bus *bus, const struct device_env *env, pci_reset_fn reset,
                  void *reset_opaque)
{
    memset(bus, 0, sizeof(*bus));
    if (env)
        bus->env = *env;
    bus->reset = reset;
    bus->reset_opaque = reset_opaque;
    pci_bus_reset(bus);
    if (env && env->io)
        iobus_register(env->io, PCI_CONFIG_ADDRESS_PORT, 8, bus, pci_io_read, pci_io_write, "pci");
}

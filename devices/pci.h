/* PCI bus 0 with configuration mechanism #1 (0xCF8/0xCFC), the PIIX reset
 * control register (0xCF9), device registration, BAR sizing and remapping,
 * and INTx routing through the four PIIX PIRQ links to ISA IRQs.
 * (PCI Local Bus Specification 3.0, 3.2.2.3.2 and 6.2.5.) */
#ifndef TURTLES_DEVICES_PCI_H
#define TURTLES_DEVICES_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_RESET_CONTROL_PORT 0xcf9
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_ROM_SLOT 6              /* bars[PCI_ROM_SLOT] is the expansion ROM */
#define PCI_BAR_UNMAPPED UINT64_MAX
#define PCI_DEVFN(slot, fn) ((uint8_t)(((slot) << 3) | (fn)))

/* Standard header offsets */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_ROM_ADDRESS 0x30
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004

enum pci_bar_type { PCI_BAR_NONE = 0, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
    uint64_t size;        /* power of two; 0: no BAR in this slot (reads as 0, PCI 3.0 6.2.5.1) */
    uint8_t type;         /* enum pci_bar_type */
    bool prefetchable;
    uint64_t mapped;      /* address currently decoded, or PCI_BAR_UNMAPPED */
};

struct pci_device;
struct pci_bus;
/* A BAR moved (addr) or stopped decoding (PCI_BAR_UNMAPPED): the device
 * moves its MMIO region (physmem_remap) or I/O handlers. */
typedef void (*pci_bar_remap_fn)(struct pci_device *dev, int bar, uint64_t addr);
/* Called after the generic config write has updated config[]. */
typedef void (*pci_config_write_fn)(struct pci_device *dev, unsigned reg, uint32_t val,
                                    unsigned size);
/* May replace the value read from config[] (live registers). */
typedef uint32_t (*pci_config_read_fn)(struct pci_device *dev, unsigned reg, unsigned size,
                                       uint32_t val);

struct pci_device {
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];    /* bits software may write */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE];  /* bits cleared by writing 1 */
    struct pci_bar bars[PCI_NUM_BARS + 1];   /* + expansion ROM */
    uint8_t devfn;
    bool irq_level;
    void *opaque;                 /* the device model owning this function */
    pci_bar_remap_fn bar_remap;   /* may be NULL */
    pci_config_write_fn config_write;
    pci_config_read_fn config_read;
    struct pci_bus *bus;          /* set by pci_register_device */
};

typedef void (*pci_reset_fn)(void *opaque);

struct pci_bus {
    struct pci_device *devs[256];   /* by devfn, bus 0 only */
    uint32_t config_address;
    uint8_t rcr;                    /* 0xCF9 reset control */
    uint8_t pirq_route[4];          /* PIIX3 PIRQRC[A-D]: bit 7 disables, 3:0 ISA IRQ */
    uint8_t pirq_asserted[4];       /* how many functions assert each link */
    uint16_t isa_irq_level;         /* ISA IRQs currently driven by PCI */
    pci_reset_fn reset;             /* 0xCF9 reset request */
    void *reset_opaque;
    struct device_env env;
};

/* The PIIX PIRQ link (0-3 for A-D) a slot's INTx pin (1-4 for INTA-INTD)
 * reaches on bus 0; the DSDT _PRT and the MP table must say the same. */
static inline unsigned pci_piix_pirq(unsigned slot, unsigned pin)
{
    return (slot + pin - 2) & 3;
}

void pci_bus_init(struct pci_bus *bus, const struct device_env *env, pci_reset_fn reset,
                  void *reset_opaque);
void pci_bus_reset(struct pci_bus *bus);

/* Prepare a function's config space (type 0 header). class_code is the
 * 24-bit base class/subclass/prog-if. */
void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device, uint8_t revision,
                     uint32_t class_code, void *opaque);
/* size is rounded up to a power of two (minimum 16 bytes for memory, 4
 * for I/O). A 64-bit BAR uses slots idx and idx+1. */
void pci_register_bar(struct pci_device *dev, int idx, uint64_t size, enum pci_bar_type type,
                      bool prefetchable);
/* Expansion ROM BAR at 0x30 (minimum 2 KiB); remapped as bar PCI_ROM_SLOT
 * while its enable bit and memory decoding are on. */
void pci_register_rom_bar(struct pci_device *dev, uint64_t size);
/* 1-4 for INTA-INTD, 0 none. */
void pci_set_interrupt_pin(struct pci_device *dev, uint8_t pin);
/* Returns 0, or -1 when the slot is taken. */
int pci_register_device(struct pci_bus *bus, struct pci_device *dev, uint8_t devfn);
/* Clear command, BARs and interrupt line as a bus reset does. */
void pci_device_reset(struct pci_device *dev);
/* INTx level from the device. */
void pci_set_irq(struct pci_device *dev, bool level);
/* PIRQ route registers changed. */
void pci_bus_update_pirq(struct pci_bus *bus);

/* Config space access by address (firmware code, tests). Absent
 * functions read as all ones. */
uint32_t pci_config_read(struct pci_bus *bus, uint8_t busno, uint8_t devfn, unsigned reg,
                         unsigned size);
void pci_config_write(struct pci_bus *bus, uint8_t busno, uint8_t devfn, unsigned reg,
                      uint32_t val, unsigned size);

uint32_t pci_io_read(void *opaque, uint16_t port, unsigned size);
void pci_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif

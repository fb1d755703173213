/* The i440FX/PIIX chipset functions on PCI bus 0:
 *   00:00.0 i440FX host bridge (8086:1237): PAM shadow control, SMRAM;
 *   00:01.0 PIIX3 PCI-ISA bridge (8086:7000): PIRQ route registers;
 *   00:01.3 PIIX4 power management function (8086:7113): PMBA.
 * The PM registers themselves live in acpi_pm.c at a fixed base
 * (ACPI_PM_BASE); PMBA reads back what firmware writes (SeaBIOS writes
 * that same base) but does not move them. */
#ifndef TURTLES_DEVICES_PIIX_H
#define TURTLES_DEVICES_PIIX_H

#include <stdint.h>

#include "devices/pci.h"

#define I440FX_DEVFN PCI_DEVFN(0, 0)
#define PIIX3_DEVFN PCI_DEVFN(1, 0)
#define PIIX4_PM_DEVFN PCI_DEVFN(1, 3)

#define I440FX_PAM0 0x59
#define I440FX_NUM_PAM 7
#define I440FX_SMRAM 0x72
#define PIIX3_PIRQRC 0x60
#define PIIX4_PMBA 0x40
#define PIIX4_PMREGMISC 0x80

/* PAM registers changed: pam[0] is PAM0 (0xF0000-0xFFFFF in bits 5:4),
 * pam[1..6] cover 0xC0000-0xEFFFF in 16 KiB halves (bits 1:0 low half,
 * 5:4 high half); 1 = read RAM, 2 = write RAM (i440FX datasheet 3.2.18). */
typedef void (*i440fx_pam_fn)(void *opaque, const uint8_t pam[I440FX_NUM_PAM]);

struct i440fx {
    struct pci_device pci;
    i440fx_pam_fn pam_changed;
    void *pam_opaque;
};

struct piix3 {
    struct pci_device pci;
};

struct piix4_pm {
    struct pci_device pci;
};

int i440fx_init(struct i440fx *h, struct pci_bus *bus, i440fx_pam_fn pam_changed, void *opaque);
void i440fx_reset(struct i440fx *h);
int piix3_init(struct piix3 *p, struct pci_bus *bus);
void piix3_reset(struct piix3 *p);
int piix4_pm_init(struct piix4_pm *p, struct pci_bus *bus);
void piix4_pm_reset(struct piix4_pm *p);

#endif

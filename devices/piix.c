/* i440FX host bridge, PIIX3 ISA bridge and PIIX4 PM config spaces. */
#include "devices/piix.h"

#include <string.h>

static void i440fx_config_write(struct pci_device *dev, unsigned reg, uint32_t val, unsigned size)
{
    struct i440fx *h = dev->opaque;
    (void)val;
    if (reg < I440FX_PAM0 + I440FX_NUM_PAM && reg + size > I440FX_PAM0 && h->pam_changed)
        h->pam_changed(h->pam_opaque, &dev->config[I440FX_PAM0]);
}

void i440fx_reset(struct i440fx *h)
{
    struct pci_device *d = &h->pci;
    pci_device_reset(d);
    memset(&d->config[0x40], 0, PCI_CONFIG_SPACE_SIZE - 0x40);
    d->config[I440FX_SMRAM] = 0x02;   /* SMRAM at 0xA0000 (C_BASE_SEG), closed */
    /* Everything shadowed routes to ROM/PCI at reset. */
    if (h->pam_changed)
        h->pam_changed(h->pam_opaque, &d->config[I440FX_PAM0]);
}

int i440fx_init(struct i440fx *h, struct pci_bus *bus, i440fx_pam_fn pam_changed, void *opaque)
{
    memset(h, 0, sizeof(*h));
    struct pci_device *d = &h->pci;
    pci_device_init(d, 0x8086, 0x1237, 0x02, 0x060000, h);
    h->pam_changed = pam_changed;
    h->pam_opaque = opaque;
    d->config_write = i440fx_config_write;
    d->wmask[I440FX_PAM0] = 0x30;     /* PAM0 has only the high half (BIOS area) */
    for (unsigned i = 1; i < I440FX_NUM_PAM; i++)
        d->wmask[I440FX_PAM0 + i] = 0x33;
    d->wmask[I440FX_SMRAM] = 0x78;    /* D_OPEN, D_CLS, D_LCK, G_SMRAME; C_BASE_SEG fixed */
    i440fx_reset(h);
    return pci_register_device(bus, d, I440FX_DEVFN);
}

static void piix3_config_write(struct pci_device *dev, unsigned reg, uint32_t val, unsigned size)
{
    (void)val;
    if (reg < PIIX3_PIRQRC + 4 && reg + size > PIIX3_PIRQRC && dev->bus) {
        memcpy(dev->bus->pirq_route, &dev->config[PIIX3_PIRQRC], 4);
        pci_bus_update_pirq(dev->bus);
    }
}

void piix3_reset(struct piix3 *p)
{
    struct pci_device *d = &p->pci;
    pci_device_reset(d);
    memset(&d->config[0x40], 0, PCI_CONFIG_SPACE_SIZE - 0x40);
    /* Reset values from the PIIX3 datasheet (order no. 290550), 2.2. */
    d->config[0x4c] = 0x4d;   /* IORT */
    d->config[0x4e] = 0x03;   /* XBCS */
    d->config[PIIX3_PIRQRC + 0] = 0x80;
    d->config[PIIX3_PIRQRC + 1] = 0x80;
    d->config[PIIX3_PIRQRC + 2] = 0x80;
    d->config[PIIX3_PIRQRC + 3] = 0x80;
    d->config[0x69] = 0x02;   /* TOM */
    d->config[0x70] = 0x80;   /* MBIRQ0 */
    d->config[0x76] = 0x0c;   /* MBDMA */
    d->config[0x77] = 0x0c;
    d->config[0xa0] = 0x08;   /* SMICNTL */
    d->config[0xaa] = 0x08;
    if (d->bus) {
        memcpy(d->bus->pirq_route, &d->config[PIIX3_PIRQRC], 4);
        pci_bus_update_pirq(d->bus);
    }
}

int piix3_init(struct piix3 *p, struct pci_bus *bus)
{
    memset(p, 0, sizeof(*p));
    struct pci_device *d = &p->pci;
    pci_device_init(d, 0x8086, 0x7000, 0x00, 0x060100, p);
    d->config[PCI_HEADER_TYPE] = 0x80;   /* multi-function: IDE, USB, PM follow */
    d->config_write = piix3_config_write;
    for (unsigned i = 0; i < 4; i++)
        d->wmask[PIIX3_PIRQRC + i] = 0x8f;
    int rc = pci_register_device(bus, d, PIIX3_DEVFN);
    piix3_reset(p);
    return rc;
}

void piix4_pm_reset(struct piix4_pm *p)
{
    struct pci_device *d = &p->pci;
    pci_device_reset(d);
    memset(&d->config[0x40], 0, PCI_CONFIG_SPACE_SIZE - 0x40);
    d->config[PIIX4_PMBA] = 0x01;   /* I/O space indicator, read-only */
    d->config[0x90] = 0x01;         /* SMBBA likewise */
    /* DEVACTB (0x58) bit 25 APMC_EN preset: there is no SMM, and firmware
     * (SeaBIOS) reads this bit as "SMM already set up" and skips the SMI
     * it would otherwise wait for; QEMU does the same with smm=off. */
    d->config[0x5B] = 0x02;
}

int piix4_pm_init(struct piix4_pm *p, struct pci_bus *bus)
{
    memset(p, 0, sizeof(*p));
    struct pci_device *d = &p->pci;
    pci_device_init(d, 0x8086, 0x7113, 0x03, 0x068000, p);
    pci_set_interrupt_pin(d, 1);
    /* PMBA: 64-byte aligned I/O base in bits 15:6. */
    d->wmask[PIIX4_PMBA] = 0xc0;
    d->wmask[PIIX4_PMBA + 1] = 0xff;
    d->wmask[PIIX4_PMBA + 2] = 0x00;
    d->wmask[PIIX4_PMBA + 3] = 0x00;
    /* SMBus base: 16-byte aligned, bits 15:4. */
    d->wmask[0x90] = 0xf0;
    d->wmask[0x92] = 0x00;
    d->wmask[0x93] = 0x00;
    piix4_pm_reset(p);
    return pci_register_device(bus, d, PIIX4_PM_DEVFN);
}

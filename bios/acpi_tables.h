/* ACPI tables for a directly booted kernel (no firmware): RSDP (revision 2),
 * RSDT, XSDT, FADT (revision 6), FACS, MADT, HPET and a DSDT generated with
 * bios/aml.h. ACPI 6.4 chapter 5 gives every layout used here.
 *
 * Placement: the tables live in a RAM area the caller reserves in the e820
 * map as ACPI data (e820_options.acpi_base/acpi_size); the RSDP goes where
 * Linux's scan of 0xE0000-0xFFFFF finds it (ACPI 6.4 5.2.5.1), by default in
 * the reserved BIOS area at 0xF0000, and should also be handed over through
 * boot_params.acpi_rsdp_addr (linux_boot_config.acpi_rsdp_addr).
 *
 * PCI interrupt routing (the contract with devices/pci.c and the machine):
 *   slot N, pin INTx reaches PIIX PIRQ link k = pci_piix_pirq(N, pin), and
 *   the PIIX3 routes link k to ISA IRQ PIRQRC[k]. The _PRT is static: it
 *   says link k is ISA IRQ acpi_pirq_isa_irq[k] = 10, 10, 11, 11 (SeaBIOS'
 *   choice), in PIC and APIC mode alike (GSI n = ISA IRQ n, no override),
 *   level triggered. PIRQRC resets to "disabled", so for a direct kernel
 *   boot (no firmware) the machine must write acpi_pirq_isa_irq[] to the
 *   PIIX3's PIRQRC registers (config 0x60-0x63 of 00:01.0) itself. */
#ifndef TURTLES_BIOS_ACPI_TABLES_H
#define TURTLES_BIOS_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/acpi_pm.h"
#include "devices/hpet.h"
#include "devices/ioapic.h"
#include "devices/pci.h"
#include "mmu/physmem.h"

/* The PM block addresses, SCI, SMI command values and the S5 sleep type
 * come from the ACPI PM device model (devices/acpi_pm.h), the reset port
 * from the PCI host (devices/pci.h), so the FADT and DSDT cannot disagree
 * with the hardware. */
#define ACPI_RESET_PORT PCI_RESET_CONTROL_PORT
#define ACPI_RESET_VALUE 0x06          /* PIIX3 RCR: hard reset (bit 1) | reset CPU (bit 2) */
#define ACPI_RTC_CENTURY_INDEX 0x32    /* CMOS byte holding the century */
/* HPET General Capabilities bits 31:0, as devices/hpet.c reports them:
 * vendor 8086, LegacyReplacement capable, 64-bit counter, revision 1. */
#define ACPI_HPET_EVENT_TIMER_BLOCK_ID                                                            \
    ((0x8086u << 16) | (1u << 15) | (1u << 13) | ((HPET_NUM_TIMERS - 1u) << 8) | 0x01u)

#define ACPI_IOAPIC_ADDR ((uint32_t)IOAPIC_BASE)
#define ACPI_LAPIC_ADDR 0xFEE00000u
#define ACPI_HPET_ADDR HPET_BASE
#define ACPI_RSDP_DEFAULT_ADDR 0xF0000ull
#define ACPI_TABLES_DEFAULT_SIZE 0x10000ull /* 64 KiB, at the top of low RAM */
#define ACPI_MAX_CPUS 255             /* xAPIC IDs 0..254 */

extern const uint8_t acpi_pirq_isa_irq[4];

/* OEM identification written into every table header. */
#define ACPI_OEM_ID "TURTLE"     /* 6 chars */
#define ACPI_OEM_TABLE_ID "TURTLES " /* 8 chars */
#define ACPI_CREATOR_ID "TRTL"

struct acpi_config {
    int ncpus;                   /* 1..ACPI_MAX_CPUS; APIC IDs 0..ncpus-1 */
    uint64_t tables_base;        /* 4 KiB aligned RAM, reserved as ACPI in e820 */
    uint64_t tables_size;
    uint64_t rsdp_addr;          /* 16-byte aligned RAM below 1 MiB; 0: default */
    uint8_t ioapic_id;           /* must match the I/O APIC's ID register (reset: 0) */
    bool no_hpet;                /* leave out the HPET table */
    /* 32-bit PCI MMIO window [pci_mmio_base, pci_mmio_end); both 0:
     * from low RAM's end rounded up to 256 MiB (at least 2 GiB) up to the
     * I/O APIC. The PCI model must place 32-bit BARs inside it. */
    uint32_t pci_mmio_base, pci_mmio_end;
    uint64_t pci_mmio64_base, pci_mmio64_size; /* 64-bit window; size 0: none */
    uint64_t low_ram_size;       /* for the default 32-bit window */
};

/* Where each table went (0 when absent). */
struct acpi_tables_info {
    uint64_t rsdp, rsdt, xsdt, fadt, facs, dsdt, madt, hpet;
    uint32_t dsdt_size;
    uint64_t end;                /* first byte after the last table */
};

/* The default placement: the last ACPI_TABLES_DEFAULT_SIZE bytes of low RAM. */
uint64_t acpi_default_tables_base(uint64_t low_ram_size);

/* Builds all tables and writes them to guest RAM through pm. Returns 0, or
 * -1 with a message in err (bad config, area too small, target not RAM).
 * `info` may be NULL. */
int acpi_build_tables(struct physmem *pm, const struct acpi_config *cfg,
                      struct acpi_tables_info *info, char *err, size_t errlen);

/* The DSDT alone (header and AML, checksummed) in a malloc'ed buffer, for
 * tests and for fw_cfg. Returns 0 or -1. */
int acpi_build_dsdt(const struct acpi_config *cfg, uint8_t **out, size_t *len);

/* Sum of bytes, mod 256: a valid table sums to 0. */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif

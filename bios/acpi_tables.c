/* ACPI table construction: see acpi_tables.h. Section numbers are ACPI 6.4. */
#include "bios/acpi_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/aml.h"
#include "bios/loader_file.h"

const uint8_t acpi_pirq_isa_irq[4] = {10, 10, 11, 11};

#define SDT_HEADER_SIZE 36
#define RSDP_SIZE 36
#define FACS_SIZE 64
#define FADT_SIZE 276  /* revision 6: ACPI 6.0 layout (5.2.9), Hypervisor ID last */
#define FADT_REVISION 6
#define FADT_MINOR 0
#define HPET_TABLE_SIZE 56

/* FADT Fixed Feature Flags (5.2.9 Table 5.10). */
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5) /* no fixed-feature sleep button */
#define FADT_F_TMR_VAL_EXT (1u << 8)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_USE_PLATFORM_CLOCK (1u << 15)
/* IA-PC boot architecture flags (5.2.9.3): legacy ISA devices, an 8042. */
#define FADT_IAPC_LEGACY_DEVICES (1u << 0)
#define FADT_IAPC_8042 (1u << 1)

/* MADT (5.2.12). */
#define MADT_PCAT_COMPAT 1u
#define MADT_LOCAL_APIC 0
#define MADT_IO_APIC 1
#define MADT_INT_SRC_OVERRIDE 2
#define MADT_LOCAL_APIC_NMI 4
/* MPS INTI flags (5.2.12.5 Table 5.26). */
#define MPS_INTI_POLARITY_HIGH 0x1
#define MPS_INTI_TRIGGER_LEVEL 0xC

/* Generic Address Structure space IDs (5.2.3.2). */
#define GAS_SYSTEM_MEMORY 0
#define GAS_SYSTEM_IO 1

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
    p[at] = 0;
    p[at] = (uint8_t)(0x100 - acpi_checksum(p, len));
}

/* System Description Table header (5.2.6); the checksum is set last. */
static void sdt_header(uint8_t *p, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(p, sig, 4);
    st_le32(p + 4, len);
    p[8] = rev;
    memcpy(p + 10, ACPI_OEM_ID, 6);
    memcpy(p + 16, ACPI_OEM_TABLE_ID, 8);
    st_le32(p + 24, 1); /* OEM revision */
    memcpy(p + 28, ACPI_CREATOR_ID, 4);
    st_le32(p + 32, 1); /* creator revision */
}

static void sdt_finish(uint8_t *p) { fix_checksum(p, ld_le32(p + 4), 9); }

static void gas(uint8_t *p, uint8_t space, uint8_t bit_width, uint8_t access_size, uint64_t addr)
{
    p[0] = space;
    p[1] = bit_width;
    p[2] = 0; /* bit offset */
    p[3] = access_size; /* 1 byte, 2 word, 3 dword, 4 qword */
    st_le64(p + 4, addr);
}

static void pci_window(const struct acpi_config *cfg, uint32_t *base, uint32_t *end)
{
    if (cfg->pci_mmio_base || cfg->pci_mmio_end) {
        *base = cfg->pci_mmio_base;
        *end = cfg->pci_mmio_end;
        return;
    }
    uint64_t b = (cfg->low_ram_size + 0xFFFFFFFull) & ~0xFFFFFFFull;
    if (b < 0x80000000ull)
        b = 0x80000000ull; /* small machines: the conventional 2 GiB PCI hole start */
    if (b >= ACPI_IOAPIC_ADDR)
        b = ACPI_IOAPIC_ADDR;
    *base = (uint32_t)b;
    *end = ACPI_IOAPIC_ADDR;
}

/* The static _PRT: Package of Package(4) { 0xNNNNFFFF, pin, 0, gsi } for
 * every slot and pin (ACPI 6.4 6.2.13; source 0 means the last field is a
 * GSI). _PRT pins count from 0 = INTA, devices/pci.h's from 1. */
static void dsdt_prt(struct aml *a)
{
    aml_name(a, "_PRT");
    size_t pkg = aml_package(a, 32 * 4);
    for (unsigned slot = 0; slot < 32; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            size_t e = aml_package(a, 4);
            aml_integer(a, (uint64_t)slot << 16 | 0xFFFF);
            aml_integer(a, pin);
            aml_integer(a, 0);
            aml_integer(a, acpi_pirq_isa_irq[pci_piix_pirq(slot, pin + 1)]);
            aml_end(a, e);
        }
    }
    aml_end(a, pkg);
}

static void dsdt_isa_device(struct aml *a, const char *name, const char *hid, unsigned uid,
                            const uint16_t (*io)[2], int nio, uint16_t irq_mask)
{
    size_t dev = aml_device(a, name);
    aml_name(a, "_HID");
    aml_eisaid(a, hid);
    if (uid) {
        aml_name(a, "_UID");
        aml_integer(a, uid);
    }
    struct aml r;
    aml_init(&r);
    for (int i = 0; i < nio; i++)
        aml_res_io(&r, io[i][0], io[i][0], 1, (uint8_t)io[i][1]);
    if (irq_mask)
        aml_res_irq_noflags(&r, irq_mask);
    aml_name(a, "_CRS");
    aml_resource_template(a, &r);
    aml_free(&r);
    aml_end(a, dev);
}

static void dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
    /* Interrupt model chosen by the OS through \_PIC (5.8.1): 0 PIC, 1 APIC.
     * Recorded only: the static _PRT is the same in both models. */
    aml_name(a, "\\PICM");
    aml_integer(a, 0);
    size_t m = aml_method(a, "\\_PIC", 1, false);
    aml_store(a);
    aml_arg(a, 0);
    aml_namestring(a, "\\PICM");
    aml_end(a, m);

    /* Soft-off (7.4.2): SLP_TYPa, SLP_TYPb, reserved, reserved. */
    aml_name(a, "\\_S5");
    size_t p = aml_package(a, 4);
    aml_integer(a, ACPI_SLP_TYP_S5);
    aml_integer(a, ACPI_SLP_TYP_S5);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_end(a, p);

    size_t sb = aml_scope(a, "\\_SB");
    size_t pci = aml_device(a, "PCI0");
    aml_name(a, "_HID");
    aml_eisaid(a, "PNP0A03");
    aml_name(a, "_UID");
    aml_integer(a, 0);
    aml_name(a, "_BBN");
    aml_integer(a, 0);

    uint32_t win_base, win_end;
    pci_window(cfg, &win_base, &win_end);
    struct aml r;
    aml_init(&r);
    aml_res_word_bus(&r, 0x00, 0xFF);
    aml_res_io(&r, 0xCF8, 0xCF8, 1, 8); /* the config mechanism #1 ports */
    aml_res_word_io(&r, 0x0000, 0x0CF7);
    aml_res_word_io(&r, 0x0D00, 0xFFFF);
    aml_res_dword_mem(&r, 0x000A0000, 0x000BFFFF, true); /* legacy VGA window */
    if (win_end > win_base)
        aml_res_dword_mem(&r, win_base, win_end - 1, false);
    if (cfg->pci_mmio64_size)
        aml_res_qword_mem(&r, cfg->pci_mmio64_base,
                          cfg->pci_mmio64_base + cfg->pci_mmio64_size - 1, false);
    aml_name(a, "_CRS");
    aml_resource_template(a, &r);
    aml_free(&r);

    dsdt_prt(a);

    /* The PIIX3 ISA bridge (device 1, function 0) and the legacy devices
     * Linux looks for through PNP: without PNP0303 its i8042 driver gives
     * up on an ACPI machine. */
    size_t isa = aml_device(a, "ISA");
    aml_name(a, "_ADR");
    aml_integer(a, 0x00010000);
    static const uint16_t kbd_io[][2] = {{0x60, 1}, {0x64, 1}};
    static const uint16_t com1_io[][2] = {{0x3F8, 8}};
    static const uint16_t rtc_io[][2] = {{0x70, 2}};
    dsdt_isa_device(a, "KBD", "PNP0303", 0, kbd_io, 2, 1u << 1);
    dsdt_isa_device(a, "MOU", "PNP0F13", 0, NULL, 0, 1u << 12);
    dsdt_isa_device(a, "COM1", "PNP0501", 1, com1_io, 1, 1u << 4);
    dsdt_isa_device(a, "RTC", "PNP0B00", 0, rtc_io, 1, 1u << 8);
    aml_end(a, isa);

    aml_end(a, pci);
    aml_end(a, sb);
}

int acpi_build_dsdt(const struct acpi_config *cfg, uint8_t **out, size_t *len)
{
    struct aml a;
    aml_init(&a);
    uint8_t hdr[SDT_HEADER_SIZE] = {0};
    aml_bytes(&a, hdr, sizeof hdr);
    dsdt_body(&a, cfg);
    if (!aml_ok(&a) || a.len > UINT32_MAX) {
        aml_free(&a);
        return -1;
    }
    /* Revision 2: integers are 64 bits wide (5.2.11.1). */
    sdt_header(a.data, "DSDT", (uint32_t)a.len, 2);
    sdt_finish(a.data);
    *out = a.data;
    *len = a.len;
    return 0;
}

static void build_facs(uint8_t *p)
{
    /* 5.2.10: no checksum; version 2; the waking vector stays 0 (no S3). */
    memcpy(p, "FACS", 4);
    st_le32(p + 4, FACS_SIZE);
    p[32] = 2;
}

static void build_fadt(uint8_t *p, uint64_t facs, uint64_t dsdt)
{
    sdt_header(p, "FACP", FADT_SIZE, FADT_REVISION);
    st_le32(p + 36, (uint32_t)facs);
    st_le32(p + 40, (uint32_t)dsdt);
    p[45] = 0; /* Preferred_PM_Profile: unspecified */
    st_le16(p + 46, ACPI_SCI_IRQ);
    st_le32(p + 48, ACPI_SMI_CMD);
    p[52] = ACPI_ACPI_ENABLE;
    p[53] = ACPI_ACPI_DISABLE;
    st_le32(p + 56, ACPI_PM1A_EVT_BLK);
    st_le32(p + 64, ACPI_PM1A_CNT_BLK);
    st_le32(p + 76, ACPI_PM_TMR_BLK);
    st_le32(p + 80, ACPI_GPE0_BLK);
    p[88] = ACPI_PM1_EVT_LEN;
    p[89] = ACPI_PM1_CNT_LEN;
    p[91] = ACPI_PM_TMR_LEN;
    p[92] = ACPI_GPE0_BLK_LEN;
    /* C2/C3 latencies above 100/1000 us mean "not supported" (5.2.9). */
    st_le16(p + 96, 0x0FFF);
    st_le16(p + 98, 0x0FFF);
    p[108] = ACPI_RTC_CENTURY_INDEX;
    st_le16(p + 109, FADT_IAPC_LEGACY_DEVICES | FADT_IAPC_8042);
    uint32_t flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP |
                     FADT_F_USE_PLATFORM_CLOCK;
    if (ACPI_PM_TMR_32BIT)
        flags |= FADT_F_TMR_VAL_EXT;
    st_le32(p + 112, flags);
    gas(p + 116, GAS_SYSTEM_IO, 8, 1, ACPI_RESET_PORT);
    p[128] = ACPI_RESET_VALUE;
    p[131] = FADT_MINOR;
    st_le64(p + 132, facs);
    st_le64(p + 140, dsdt);
    /* The extended blocks repeat the 32-bit ones, as 5.2.9 asks when both
     * are given. */
    gas(p + 148, GAS_SYSTEM_IO, ACPI_PM1_EVT_LEN * 8, 2, ACPI_PM1A_EVT_BLK);
    gas(p + 172, GAS_SYSTEM_IO, ACPI_PM1_CNT_LEN * 8, 2, ACPI_PM1A_CNT_BLK);
    gas(p + 208, GAS_SYSTEM_IO, ACPI_PM_TMR_LEN * 8, 3, ACPI_PM_TMR_BLK);
    gas(p + 220, GAS_SYSTEM_IO, ACPI_GPE0_BLK_LEN * 8, 1, ACPI_GPE0_BLK);
    sdt_finish(p);
}

static size_t madt_size(int ncpus)
{
    return SDT_HEADER_SIZE + 8 + (size_t)ncpus * 8 + 12 + 2 * 10 + 6;
}

static void build_madt(uint8_t *p, const struct acpi_config *cfg)
{
    size_t len = madt_size(cfg->ncpus);
    sdt_header(p, "APIC", (uint32_t)len, 4);
    st_le32(p + 36, ACPI_LAPIC_ADDR);
    st_le32(p + 40, MADT_PCAT_COMPAT); /* 8259s present: Linux masks them */
    uint8_t *e = p + 44;
    for (int i = 0; i < cfg->ncpus; i++) {
        e[0] = MADT_LOCAL_APIC;
        e[1] = 8;
        e[2] = (uint8_t)i; /* ACPI processor UID */
        e[3] = (uint8_t)i; /* APIC ID */
        st_le32(e + 4, 1); /* enabled */
        e += 8;
    }
    e[0] = MADT_IO_APIC;
    e[1] = 12;
    e[2] = cfg->ioapic_id;
    e[3] = 0;
    st_le32(e + 4, ACPI_IOAPIC_ADDR);
    st_le32(e + 8, 0); /* GSI base */
    e += 12;
    /* The PIT's IRQ 0 reaches I/O APIC input 2 (5.2.12.5). */
    e[0] = MADT_INT_SRC_OVERRIDE;
    e[1] = 10;
    e[2] = 0; /* ISA bus */
    e[3] = 0;
    st_le32(e + 4, 2);
    st_le16(e + 8, 0); /* conforms to the bus: edge, active high */
    e += 10;
    /* The SCI is level triggered, active high (5.2.12.5 note on the SCI). */
    e[0] = MADT_INT_SRC_OVERRIDE;
    e[1] = 10;
    e[2] = 0;
    e[3] = ACPI_SCI_IRQ;
    st_le32(e + 4, ACPI_SCI_IRQ);
    st_le16(e + 8, MPS_INTI_POLARITY_HIGH | MPS_INTI_TRIGGER_LEVEL);
    e += 10;
    /* LINT1 of every processor is the NMI input, as on a PC (5.2.12.7). */
    e[0] = MADT_LOCAL_APIC_NMI;
    e[1] = 6;
    e[2] = 0xFF; /* all processors */
    st_le16(e + 3, 0);
    e[5] = 1;
    sdt_finish(p);
}

static void build_hpet(uint8_t *p)
{
    /* IA-PC HPET specification 1.0a, table 3. */
    sdt_header(p, "HPET", HPET_TABLE_SIZE, 1);
    st_le32(p + 36, ACPI_HPET_EVENT_TIMER_BLOCK_ID);
    gas(p + 40, GAS_SYSTEM_MEMORY, 64, 0, ACPI_HPET_ADDR);
    p[52] = 0;             /* HPET number */
    st_le16(p + 53, 0x80); /* minimum periodic tick */
    p[55] = 0;             /* no page protection */
    sdt_finish(p);
}

uint64_t acpi_default_tables_base(uint64_t low_ram_size)
{
    return (low_ram_size - ACPI_TABLES_DEFAULT_SIZE) & ~0xFFFull;
}

static bool is_ram(struct physmem *pm, uint64_t addr, uint64_t len)
{
    /* RAM is contiguous within the low part, so the two ends suffice once
     * both are RAM and the range stays below 4 GiB. */
    return len && addr + len <= 0x100000000ull && physmem_ram_offset(pm, addr) != UINT64_MAX &&
           physmem_ram_offset(pm, addr + len - 1) != UINT64_MAX &&
           physmem_ram_offset(pm, addr + len - 1) - physmem_ram_offset(pm, addr) == len - 1;
}

static size_t align16(size_t v) { return (v + 15) & ~(size_t)15; }

int acpi_build_tables(struct physmem *pm, const struct acpi_config *cfg,
                      struct acpi_tables_info *info, char *err, size_t errlen)
{
    struct acpi_tables_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!pm || !cfg || cfg->ncpus < 1 || cfg->ncpus > ACPI_MAX_CPUS) {
        snprintf(err, errlen, "ACPI: CPU count must be 1..%d", ACPI_MAX_CPUS);
        return -1;
    }
    uint64_t rsdp_addr = cfg->rsdp_addr ? cfg->rsdp_addr : ACPI_RSDP_DEFAULT_ADDR;
    if ((rsdp_addr & 15) || rsdp_addr + RSDP_SIZE > 0x100000) {
        snprintf(err, errlen, "ACPI: RSDP address 0x%llx must be 16-byte aligned below 1 MiB",
                 (unsigned long long)rsdp_addr);
        return -1;
    }
    if ((cfg->tables_base & 0xFFF) || cfg->tables_size > 0x10000000 ||
        !is_ram(pm, cfg->tables_base, cfg->tables_size)) {
        snprintf(err, errlen, "ACPI: table area 0x%llx+0x%llx is not page-aligned RAM below 4 GiB",
                 (unsigned long long)cfg->tables_base, (unsigned long long)cfg->tables_size);
        return -1;
    }
    if (!is_ram(pm, rsdp_addr, RSDP_SIZE)) {
        snprintf(err, errlen, "ACPI: RSDP address 0x%llx is not RAM (ROM mapped there?)",
                 (unsigned long long)rsdp_addr);
        return -1;
    }

    uint8_t *dsdt = NULL;
    size_t dsdt_len;
    if (acpi_build_dsdt(cfg, &dsdt, &dsdt_len) != 0) {
        snprintf(err, errlen, "ACPI: DSDT generation failed");
        return -1;
    }
    /* RSDT/XSDT list FADT, MADT and HPET; the FADT points at FACS and DSDT. */
    int nentries = cfg->no_hpet ? 2 : 3;
    size_t off_facs = 0;
    size_t off_dsdt = FACS_SIZE; /* the FACS needs 64-byte alignment: it sits first */
    size_t off_fadt = align16(off_dsdt + dsdt_len);
    size_t off_madt = align16(off_fadt + FADT_SIZE);
    size_t off_hpet = align16(off_madt + madt_size(cfg->ncpus));
    size_t off_rsdt = cfg->no_hpet ? off_hpet : align16(off_hpet + HPET_TABLE_SIZE);
    size_t rsdt_len = SDT_HEADER_SIZE + 4 * (size_t)nentries;
    size_t off_xsdt = align16(off_rsdt + rsdt_len);
    size_t xsdt_len = SDT_HEADER_SIZE + 8 * (size_t)nentries;
    size_t total = off_xsdt + xsdt_len;
    if (total > cfg->tables_size) {
        snprintf(err, errlen, "ACPI: tables need %zu bytes, area has %llu", total,
                 (unsigned long long)cfg->tables_size);
        free(dsdt);
        return -1;
    }
    uint8_t *t = calloc(1, total);
    if (!t) {
        snprintf(err, errlen, "out of host memory");
        free(dsdt);
        return -1;
    }
    uint64_t base = cfg->tables_base;
    build_facs(t + off_facs);
    memcpy(t + off_dsdt, dsdt, dsdt_len);
    free(dsdt);
    build_fadt(t + off_fadt, base + off_facs, base + off_dsdt);
    build_madt(t + off_madt, cfg);
    if (!cfg->no_hpet)
        build_hpet(t + off_hpet);

    uint64_t entries[3] = {base + off_fadt, base + off_madt, base + off_hpet};
    sdt_header(t + off_rsdt, "RSDT", (uint32_t)rsdt_len, 1);
    sdt_header(t + off_xsdt, "XSDT", (uint32_t)xsdt_len, 1);
    for (int i = 0; i < nentries; i++) {
        st_le32(t + off_rsdt + SDT_HEADER_SIZE + 4 * i, (uint32_t)entries[i]);
        st_le64(t + off_xsdt + SDT_HEADER_SIZE + 8 * i, entries[i]);
    }
    sdt_finish(t + off_rsdt);
    sdt_finish(t + off_xsdt);
    physmem_write_buf(pm, base, t, total);
    free(t);

    /* RSDP (5.2.5.3): the first checksum covers the ACPI 1.0 part (20
     * bytes), the extended one all 36. */
    uint8_t rsdp[RSDP_SIZE] = {0};
    memcpy(rsdp, "RSD PTR ", 8);
    memcpy(rsdp + 9, ACPI_OEM_ID, 6);
    rsdp[15] = 2;
    st_le32(rsdp + 16, (uint32_t)(base + off_rsdt));
    st_le32(rsdp + 20, RSDP_SIZE);
    st_le64(rsdp + 24, base + off_xsdt);
    fix_checksum(rsdp, 20, 8);
    fix_checksum(rsdp, RSDP_SIZE, 32);
    physmem_write_buf(pm, rsdp_addr, rsdp, sizeof rsdp);

    info->rsdp = rsdp_addr;
    info->rsdt = base + off_rsdt;
    info->xsdt = base + off_xsdt;
    info->fadt = base + off_fadt;
    info->facs = base + off_facs;
    info->dsdt = base + off_dsdt;
    info->madt = base + off_madt;
    info->hpet = cfg->no_hpet ? 0 : base + off_hpet;
    info->dsdt_size = (uint32_t)dsdt_len;
    info->end = base + total;
    return 0;
}

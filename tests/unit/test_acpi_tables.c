/* Unit tests for bios/aml.c and bios/acpi_tables.c: AML encodings, table
 * checksums, lengths and contents read back from a real physmem, and, when
 * iasl (Debian package acpica-tools) is installed, a disassembly of every
 * table by the ACPI reference tools. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/acpi_tables.h"
#include "bios/aml.h"
#include "bios/e820.h"
#include "bios/loader_file.h"
#include "mmu/physmem.h"

#define MiB (1024ull * 1024)
#define RAM_SIZE (128 * MiB)

static void expect_bytes(const struct aml *a, const uint8_t *want, size_t n)
{
    ck_assert(aml_ok(a));
    ck_assert_uint_eq(a->len, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(a->data[i] == want[i], "byte %zu: 0x%02x, want 0x%02x", i, a->data[i],
                      want[i]);
}

START_TEST(test_aml_integers_and_names)
{
    struct aml a;
    aml_init(&a);
    aml_integer(&a, 0);
    aml_integer(&a, 1);
    aml_integer(&a, 5);
    aml_integer(&a, 0x1234);
    aml_integer(&a, 0x12345678);
    aml_integer(&a, 0x123456789Aull);
    static const uint8_t ints[] = {0x00, 0x01, 0x0A, 0x05, 0x0B, 0x34, 0x12, 0x0C, 0x78, 0x56,
                                   0x34, 0x12, 0x0E, 0x9A, 0x78, 0x56, 0x34, 0x12, 0, 0, 0};
    expect_bytes(&a, ints, sizeof ints);
    aml_free(&a);

    aml_init(&a);
    aml_namestring(&a, "\\_SB.PCI0");
    aml_namestring(&a, "_S5");
    aml_namestring(&a, "^A.B.C");
    aml_namestring(&a, "\\");
    static const uint8_t names[] = {0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
                                    '_', 'S', '5', '_',
                                    0x5E, 0x2F, 3, 'A', '_', '_', '_', 'B', '_', '_', '_',
                                    'C', '_', '_', '_',
                                    0x5C, 0x00};
    expect_bytes(&a, names, sizeof names);
    aml_free(&a);

    aml_init(&a);
    aml_eisaid(&a, "PNP0A03");
    static const uint8_t pnp[] = {0x0C, 0x41, 0xD0, 0x0A, 0x03};
    expect_bytes(&a, pnp, sizeof pnp);
    aml_free(&a);

    const char *bad[] = {"TOOLONG", "a", "1ABC", "A..B", "A."};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aml_init(&a);
        aml_namestring(&a, bad[i]);
        ck_assert_msg(!aml_ok(&a), "%s accepted", bad[i]);
        aml_free(&a);
    }
    aml_init(&a);
    aml_eisaid(&a, "pnp0a03");
    ck_assert(!aml_ok(&a));
    aml_free(&a);
}
END_TEST

START_TEST(test_aml_pkglength)
{
    /* 62 content bytes: PkgLength 63 fits one byte; 63 bytes need two. */
    for (size_t body = 60; body < 70; body++) {
        struct aml a;
        aml_init(&a);
        size_t m = aml_scope(&a, "X");
        for (size_t i = 4; i < body; i++)
            aml_byte(&a, 0xA3); /* Noop */
        aml_end(&a, m);
        ck_assert(aml_ok(&a));
        if (body + 1 < 64) {
            ck_assert_uint_eq(a.data[1], body + 1);
            ck_assert_uint_eq(a.len, 1 + 1 + body);
        } else {
            size_t total = body + 2;
            ck_assert_uint_eq(a.data[1], 0x40 | (total & 0xF));
            ck_assert_uint_eq(a.data[2], total >> 4);
            ck_assert_uint_eq(a.len, 1 + 2 + body);
        }
        ck_assert_uint_eq(a.data[a.len - body], 'X');
        aml_free(&a);
    }
    /* A big body needs three bytes; nested packages close inside out. */
    struct aml a;
    aml_init(&a);
    size_t outer = aml_package(&a, 2);
    size_t inner = aml_package(&a, 1);
    aml_integer(&a, 7);
    aml_end(&a, inner);
    uint8_t big[5000] = {0};
    aml_buffer(&a, big, sizeof big);
    aml_end(&a, outer);
    ck_assert(aml_ok(&a));
    size_t total = a.len - 1;
    ck_assert_uint_eq(a.data[1] >> 6, 2);
    ck_assert_uint_eq((a.data[1] & 0xF) | a.data[2] << 4 | a.data[3] << 12, total);
    static const uint8_t head[] = {0x02, 0x12, 0x04, 0x01, 0x0A, 0x07, 0x11};
    ck_assert_int_eq(memcmp(a.data + 4, head, sizeof head), 0);
    aml_free(&a);
}
END_TEST

/* ---- Tables in guest memory ---- */

static struct physmem pm;

static void setup(void) { ck_assert_int_eq(physmem_init(&pm, RAM_SIZE, 0xC0000000ull), 0); }
static void teardown(void) { physmem_destroy(&pm); }

static struct acpi_config default_config(int ncpus)
{
    return (struct acpi_config){.ncpus = ncpus,
                                .tables_base = acpi_default_tables_base(RAM_SIZE),
                                .tables_size = ACPI_TABLES_DEFAULT_SIZE,
                                .low_ram_size = RAM_SIZE};
}

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* Copies a table out of guest memory after checking its checksum. */
static uint8_t *read_table(uint64_t addr, const char *sig)
{
    uint8_t hdr[36];
    physmem_read_buf(&pm, addr, hdr, sizeof hdr);
    ck_assert_msg(memcmp(hdr, sig, 4) == 0, "no %s at 0x%llx", sig, (unsigned long long)addr);
    uint32_t len = ld_le32(hdr + 4);
    ck_assert_uint_ge(len, 36);
    ck_assert_uint_lt(len, 0x10000);
    uint8_t *t = malloc(len);
    physmem_read_buf(&pm, addr, t, len);
    ck_assert_msg(acpi_checksum(t, len) == 0, "%s checksum", sig);
    ck_assert_int_eq(memcmp(t + 10, ACPI_OEM_ID, 6), 0);
    return t;
}

START_TEST(test_tables)
{
    struct acpi_config cfg = default_config(4);
    struct acpi_tables_info info;
    char err[256] = "";
    ck_assert_msg(acpi_build_tables(&pm, &cfg, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_le(info.end, cfg.tables_base + cfg.tables_size);

    /* RSDP where Linux scans for it. */
    uint8_t rsdp[36];
    ck_assert_uint_eq(info.rsdp, ACPI_RSDP_DEFAULT_ADDR);
    ck_assert_uint_eq(info.rsdp & 15, 0);
    ck_assert_uint_ge(info.rsdp, 0xE0000);
    physmem_read_buf(&pm, info.rsdp, rsdp, sizeof rsdp);
    ck_assert_int_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
    ck_assert_uint_eq(acpi_checksum(rsdp, 20), 0);
    ck_assert_uint_eq(acpi_checksum(rsdp, 36), 0);
    ck_assert_uint_eq(rsdp[15], 2);
    ck_assert_uint_eq(ld_le32(rsdp + 20), 36);
    ck_assert_uint_eq(ld_le32(rsdp + 16), info.rsdt);
    ck_assert_uint_eq(ld_le64(rsdp + 24), info.xsdt);

    uint8_t *rsdt = read_table(info.rsdt, "RSDT");
    uint8_t *xsdt = read_table(info.xsdt, "XSDT");
    ck_assert_uint_eq(ld_le32(rsdt + 4), 36 + 3 * 4);
    ck_assert_uint_eq(ld_le32(xsdt + 4), 36 + 3 * 8);
    const char *sigs[3] = {"FACP", "APIC", "HPET"};
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(ld_le32(rsdt + 36 + 4 * i), ld_le64(xsdt + 36 + 8 * i));
        free(read_table(ld_le64(xsdt + 36 + 8 * i), sigs[i]));
    }
    free(rsdt);
    free(xsdt);

    /* FADT. */
    uint8_t *fadt = read_table(info.fadt, "FACP");
    ck_assert_uint_eq(ld_le32(fadt + 4), 276);
    ck_assert_uint_eq(fadt[8], 6);
    ck_assert_uint_eq(ld_le32(fadt + 36), info.facs);
    ck_assert_uint_eq(ld_le64(fadt + 132), info.facs);
    ck_assert_uint_eq(ld_le32(fadt + 40), info.dsdt);
    ck_assert_uint_eq(ld_le64(fadt + 140), info.dsdt);
    ck_assert_uint_eq(ld_le16(fadt + 46), ACPI_SCI_IRQ);
    ck_assert_uint_eq(ld_le32(fadt + 56), ACPI_PM1A_EVT_BLK);
    ck_assert_uint_eq(ld_le32(fadt + 64), ACPI_PM1A_CNT_BLK);
    ck_assert_uint_eq(ld_le32(fadt + 76), ACPI_PM_TMR_BLK);
    ck_assert_uint_eq(fadt[89], 2);
    ck_assert_uint_eq(ld_le32(fadt + 48), ACPI_SMI_CMD);
    ck_assert_uint_eq(fadt[52], ACPI_ACPI_ENABLE);
    ck_assert_uint_eq(ld_le32(fadt + 80), ACPI_GPE0_BLK);
    ck_assert_uint_eq(ld_le16(fadt + 109) & 3, 3); /* legacy devices, 8042 */
    ck_assert_uint_eq(ld_le64(fadt + 172 + 4), ACPI_PM1A_CNT_BLK);
    ck_assert_uint_eq(fadt[172], 1); /* system I/O */
    ck_assert_uint_eq(ld_le64(fadt + 116 + 4), ACPI_RESET_PORT);
    free(fadt);

    /* FACS: 64-byte aligned, no checksum. */
    ck_assert_uint_eq(info.facs & 63, 0);
    ck_assert_uint_eq(physmem_read(&pm, info.facs, 4), 0x53434146); /* "FACS" */
    ck_assert_uint_eq(physmem_read(&pm, info.facs + 4, 4), 64);

    /* MADT: 4 CPUs, 1 I/O APIC, 2 overrides, 1 NMI. */
    uint8_t *madt = read_table(info.madt, "APIC");
    uint32_t len = ld_le32(madt + 4);
    ck_assert_uint_eq(ld_le32(madt + 36), 0xFEE00000);
    ck_assert_uint_eq(ld_le32(madt + 40), 1);
    int count[8] = {0};
    uint32_t off = 44;
    while (off < len) {
        uint8_t type = madt[off], elen = madt[off + 1];
        ck_assert_uint_ge(elen, 2);
        ck_assert_uint_le(off + elen, len);
        if (type < 8)
            count[type]++;
        if (type == 0) {
            ck_assert_uint_eq(madt[off + 3], count[0] - 1); /* APIC IDs 0..n-1 */
            ck_assert_uint_eq(ld_le32(madt + off + 4) & 1, 1);
        } else if (type == 1) {
            ck_assert_uint_eq(ld_le32(madt + off + 4), 0xFEC00000);
            ck_assert_uint_eq(ld_le32(madt + off + 8), 0);
        } else if (type == 2 && madt[off + 3] == 0) {
            ck_assert_uint_eq(ld_le32(madt + off + 4), 2);
        } else if (type == 2) {
            ck_assert_uint_eq(madt[off + 3], 9);
            ck_assert_uint_eq(ld_le32(madt + off + 4), 9);
            ck_assert_uint_eq(ld_le16(madt + off + 8), 0x000D);
        }
        off += elen;
    }
    ck_assert_uint_eq(off, len);
    ck_assert_int_eq(count[0], 4);
    ck_assert_int_eq(count[1], 1);
    ck_assert_int_eq(count[2], 2);
    ck_assert_int_eq(count[4], 1);
    free(madt);

    uint8_t *hpet = read_table(info.hpet, "HPET");
    ck_assert_uint_eq(ld_le32(hpet + 4), 56);
    ck_assert_uint_eq(ld_le64(hpet + 44), 0xFED00000);
    free(hpet);

    /* DSDT: \_S5_ = Package(4) { S5, S5, 0, 0 } with the ACPI PM device's
     * S5 sleep type, byte for byte. */
    uint8_t *dsdt = read_table(info.dsdt, "DSDT");
    ck_assert_uint_eq(ld_le32(dsdt + 4), info.dsdt_size);
    struct aml want;
    aml_init(&want);
    aml_name(&want, "\\_S5");
    size_t pk = aml_package(&want, 4);
    aml_integer(&want, ACPI_SLP_TYP_S5);
    aml_integer(&want, ACPI_SLP_TYP_S5);
    aml_integer(&want, 0);
    aml_integer(&want, 0);
    aml_end(&want, pk);
    ck_assert(contains(dsdt, info.dsdt_size, want.data, want.len));
    ck_assert_uint_eq(want.data[2], '_');
    ck_assert_uint_eq(want.data[5], '_');
    aml_free(&want);
    /* _PRT rows agree with devices/pci.h: slot 2 INTA is PIRQB (IRQ 10),
     * slot 3 INTA is PIRQC (IRQ 11). */
    static const uint8_t slot2[] = {0x12, 0x0B, 0x04, 0x0C, 0xFF, 0xFF, 0x02, 0x00,
                                    0x00, 0x00, 0x0A, 10};
    static const uint8_t slot3[] = {0x12, 0x0B, 0x04, 0x0C, 0xFF, 0xFF, 0x03, 0x00,
                                    0x00, 0x00, 0x0A, 11};
    ck_assert_uint_eq(pci_piix_pirq(2, 1), 1);
    ck_assert(contains(dsdt, info.dsdt_size, slot2, sizeof slot2));
    ck_assert(contains(dsdt, info.dsdt_size, slot3, sizeof slot3));
    free(dsdt);
}
END_TEST

START_TEST(test_cpu_counts)
{
    int counts[] = {1, 2, 17, ACPI_MAX_CPUS};
    for (unsigned i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        struct acpi_config cfg = default_config(counts[i]);
        cfg.no_hpet = (i & 1) != 0;
        struct acpi_tables_info info;
        char err[256] = "";
        ck_assert_msg(acpi_build_tables(&pm, &cfg, &info, err, sizeof err) == 0, "%s", err);
        uint8_t *madt = read_table(info.madt, "APIC");
        ck_assert_uint_eq(ld_le32(madt + 4), 36 + 8 + 8 * counts[i] + 12 + 20 + 6);
        free(madt);
        uint8_t *xsdt = read_table(info.xsdt, "XSDT");
        ck_assert_uint_eq(ld_le32(xsdt + 4), 36 + 8 * (cfg.no_hpet ? 2 : 3));
        free(xsdt);
        ck_assert_uint_eq(info.hpet == 0, cfg.no_hpet);
    }
}
END_TEST

START_TEST(test_errors)
{
    char err[256];
    struct acpi_config cfg = default_config(0);
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    cfg = default_config(ACPI_MAX_CPUS + 1);
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    cfg = default_config(1);
    cfg.tables_size = 512;
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "need"));
    cfg = default_config(1);
    cfg.tables_base = RAM_SIZE; /* past the end of RAM */
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    cfg = default_config(1);
    cfg.tables_base += 0x10; /* not page aligned */
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    cfg = default_config(1);
    cfg.rsdp_addr = 0xF0008;
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    cfg.rsdp_addr = 0x100000;
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    /* A ROM over the RSDP address: writes would vanish, so refuse. */
    static uint8_t rom[0x10000];
    ck_assert_int_eq(physmem_add_rom(&pm, 0xF0000, sizeof rom, rom, "bios"), 0);
    cfg = default_config(1);
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not RAM"));
    cfg.rsdp_addr = 0x9FC00; /* the EBDA instead */
    ck_assert_int_eq(acpi_build_tables(&pm, &cfg, NULL, err, sizeof err), 0);
}
END_TEST

/* Writes a table to dir/name.dat, runs `iasl -d` on it and returns the
 * disassembly (malloc'ed), or NULL when iasl failed. */
static char *iasl_disassemble(const char *dir, const char *name, uint64_t addr)
{
    uint8_t hdr[8];
    physmem_read_buf(&pm, addr, hdr, sizeof hdr);
    uint32_t len = ld_le32(hdr + 4);
    uint8_t *t = malloc(len);
    physmem_read_buf(&pm, addr, t, len);
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/%s.dat", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(t, 1, len, f), len);
    fclose(f);
    free(t);
    snprintf(cmd, sizeof cmd, "cd '%s' && iasl -d %s.dat > %s.log 2>&1", dir, name, name);
    if (system(cmd) != 0)
        return NULL;
    snprintf(path, sizeof path, "%s/%s.dsl", dir, name);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

START_TEST(test_iasl)
{
    if (system("command -v iasl > /dev/null 2>&1") != 0) {
        printf("test_iasl: iasl not installed (apt-get install acpica-tools), skipped\n");
        return;
    }
    struct acpi_config cfg = default_config(2);
    cfg.pci_mmio64_base = 0x800000000ull;
    cfg.pci_mmio64_size = 0x800000000ull;
    struct acpi_tables_info info;
    char err[256] = "";
    ck_assert_msg(acpi_build_tables(&pm, &cfg, &info, err, sizeof err) == 0, "%s", err);
    char dir[256];
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_acpi.XXXXXX", t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));

    char *d = iasl_disassemble(dir, "dsdt", info.dsdt);
    ck_assert_msg(d != NULL, "iasl -d failed on the DSDT (see %s)", dir);
    ck_assert_ptr_nonnull(strstr(d, "Name (\\_S5, Package (0x04)"));
    ck_assert_ptr_nonnull(strstr(d, "EisaId (\"PNP0A03\")"));
    ck_assert_ptr_nonnull(strstr(d, "Name (_PRT, Package (0x80)"));
    ck_assert_ptr_nonnull(strstr(d, "Method (\\_PIC, 1"));
    ck_assert_ptr_nonnull(strstr(d, "WordBusNumber"));
    ck_assert_ptr_nonnull(strstr(d, "QWordMemory"));
    ck_assert_ptr_nonnull(strstr(d, "EisaId (\"PNP0303\")"));
    ck_assert_ptr_null(strstr(d, "Unknown"));
    free(d);
    /* The reference tools flag bad checksums and unknown fields in data
     * tables; none of that may appear. */
    struct { const char *name; uint64_t addr; const char *must; } tabs[] = {
        {"facp", info.fadt, "PM1A Control Block Address : 00000604"},
        {"apic", info.madt, "Local Apic Address : FEE00000"},
        {"hpet", info.hpet, "Address : 00000000FED00000"},
        {"xsdt", info.xsdt, "ACPI Table Address   2 :"},
        {"rsdt", info.rsdt, "ACPI Table Address   2 :"},
    };
    for (unsigned i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        d = iasl_disassemble(dir, tabs[i].name, tabs[i].addr);
        ck_assert_msg(d != NULL, "iasl -d failed on %s", tabs[i].name);
        ck_assert_msg(strstr(d, tabs[i].must) != NULL, "%s lacks \"%s\"", tabs[i].name,
                      tabs[i].must);
        ck_assert_msg(strstr(d, "Incorrect") == NULL, "%s: %s", tabs[i].name,
                      strstr(d, "Incorrect"));
        ck_assert_msg(strstr(d, "Invalid") == NULL, "%s: %s", tabs[i].name, strstr(d, "Invalid"));
        ck_assert_msg(strstr(d, "**** ") == NULL, "%s: %s", tabs[i].name, strstr(d, "**** "));
        free(d);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi_tables");
    TCase *aml = tcase_create("aml");
    tcase_add_test(aml, test_aml_integers_and_names);
    tcase_add_test(aml, test_aml_pkglength);
    suite_add_tcase(s, aml);
    TCase *tc = tcase_create("tables");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tables);
    tcase_add_test(tc, test_cpu_counts);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_iasl);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

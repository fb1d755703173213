#define _POSIX_C_SOURCE 200809L
/* Tests for frontend/fw_cfg_setup.c: the file directory a guest reads has
 * QEMU's names, etc/e820 is the machine's map, the legacy keys, the ACPI
 * linker/loader script is well-formed and, run the way SeaBIOS runs it,
 * yields checksummed tables that point at each other; -kernel keys. */
#include "frontend/fw_cfg_setup.c"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device_test_env.h"

#define RAM (256ull << 20)

static struct test_env *t;
static struct fw_cfg fw;

static void setup_with(const struct fw_cfg_pc_config *cfg)
{
    t = test_env_new(1 << 20);
    fw_cfg_init(&fw, &t->env);
    char err[256] = "";
    ck_assert_msg(fw_cfg_setup_pc(&fw, cfg, err, sizeof(err)) == 0, "%s", err);
}

static void setup(void)
{
    struct fw_cfg_pc_config cfg = {.ram_size = RAM, .low_ram_size = RAM, .ncpus = 2,
                                   .nographic = true, .boot_splash_ms = -1,
                                   .boot_reboot_timeout = -1};
    setup_with(&cfg);
}

static void teardown(void)
{
    fw_cfg_destroy(&fw);
    test_env_free(t);
}

static void read_key(uint16_t key, uint8_t *buf, size_t n)
{
    outw(t, 0x510, key);
    for (size_t i = 0; i < n; i++)
        buf[i] = inb(t, 0x511);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The directory as the guest sees it (big-endian count, 64-byte entries). */
static bool dir_has(const char *name, uint32_t *size)
{
    uint8_t cnt[4];
    read_key(FW_CFG_FILE_DIR, cnt, 4);
    uint32_t n = be32(cnt);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t e[64];
        for (int k = 0; k < 64; k++)
            e[k] = inb(t, 0x511);
        if (!strncmp((const char *)e + 8, name, 56)) {
            if (size)
                *size = be32(e);
            return true;
        }
    }
    return false;
}

static const struct fw_cfg_entry *file(const char *name)
{
    int key = fw_cfg_find_file(&fw, name);
    ck_assert_msg(key >= 0, "no file %s", name);
    return fw_cfg_entry(&fw, (uint16_t)key);
}

START_TEST(test_directory_names)
{
    static const char *const names[] = {"etc/e820", "etc/boot-fail-wait", "etc/acpi/rsdp",
                                        "etc/acpi/tables", "etc/table-loader"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        uint32_t size = 0;
        ck_assert_msg(dir_has(names[i], &size), "%s missing", names[i]);
        ck_assert_uint_gt(size, 0);
    }
    ck_assert(!dir_has("bootorder", NULL));
    ck_assert(!dir_has("genroms/linuxboot.bin", NULL));
    ck_assert(!dir_has("etc/boot-menu-wait", NULL));
    ck_assert_uint_eq(ld_le16(fw_cfg_entry(&fw, FW_CFG_BOOT_MENU)->data), 0);
    uint8_t w[4];
    memcpy(w, file("etc/boot-fail-wait")->data, 4);
    ck_assert_uint_eq(ld_le32(w), 0xffffffffu);
}
END_TEST

START_TEST(test_e820_matches_machine_map)
{
    struct e820_entry map[E820_MAX];
    struct e820_options opt = {.bios_rom = true};
    int n = e820_build(map, E820_MAX, RAM, RAM, &opt);
    ck_assert_int_gt(n, 0);
    const struct fw_cfg_entry *e = file("etc/e820");
    ck_assert_uint_eq(e->len, (uint32_t)n * E820_PACKED_SIZE);
    for (int i = 0; i < n; i++) {
        uint8_t want[E820_PACKED_SIZE];
        e820_pack(want, &map[i]);
        ck_assert(memcmp(e->data + i * E820_PACKED_SIZE, want, E820_PACKED_SIZE) == 0);
    }
    /* The RAM above 1 MiB reaches the top of low RAM: SeaBIOS sizes RAM from it. */
    bool found = false;
    for (int i = 0; i < n; i++)
        found |= map[i].type == E820_RAM && map[i].addr == 0x100000 &&
                 map[i].addr + map[i].size == RAM;
    ck_assert(found);
}
END_TEST

START_TEST(test_legacy_keys)
{
    uint8_t b[16];
    read_key(FW_CFG_NB_CPUS, b, 2);
    ck_assert_uint_eq(ld_le16(b), 2);
    read_key(FW_CFG_MAX_CPUS, b, 2);
    ck_assert_uint_eq(ld_le16(b), 2);
    read_key(FW_CFG_RAM_SIZE, b, 8);
    ck_assert_uint_eq(ld_le64(b), RAM);
    read_key(FW_CFG_NOGRAPHIC, b, 2);
    ck_assert_uint_eq(ld_le16(b), 1);
    read_key(FW_CFG_IRQ0_OVERRIDE, b, 4);
    ck_assert_uint_eq(ld_le32(b), 1);
    ck_assert_uint_eq(fw_cfg_entry(&fw, FW_CFG_UUID)->len, 16);
    ck_assert_uint_eq(fw_cfg_entry(&fw, FW_CFG_NUMA)->len, 3 * 8);
    ck_assert_uint_eq(fw_cfg_entry(&fw, FW_CFG_BOOT_MENU)->len, 2);
    const struct fw_cfg_entry *h = fw_cfg_entry(&fw, FW_CFG_HPET);
    ck_assert_uint_eq(h->len, 121);
    ck_assert_uint_eq(h->data[0], 1);
    ck_assert_uint_eq(ld_le64(h->data + 5), ACPI_HPET_ADDR);
}
END_TEST

/* ---- running the loader script as firmware does ---- */

struct loaded {
    const char *name;
    uint8_t *data;
    uint32_t len;
    uint64_t addr;
};

static struct loaded *find_loaded(struct loaded *l, int n, const uint8_t *name)
{
    for (int i = 0; i < n; i++)
        if (l[i].name && !strncmp(l[i].name, (const char *)name, FW_CFG_FILE_NAME_LEN))
            return &l[i];
    return NULL;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

START_TEST(test_table_loader)
{
    const struct fw_cfg_entry *script = file("etc/table-loader");
    ck_assert_uint_eq(script->len % FW_CFG_LOADER_ENTRY_SIZE, 0);
    struct loaded l[4] = {0};
    int nl = 0;
    /* Arbitrary addresses with the alignment asked for. */
    uint64_t next_high = 0x0fff0000, next_fseg = 0xf5000;
    int allocs = 0, pointers = 0, checksums = 0;
    for (uint32_t off = 0; off < script->len; off += FW_CFG_LOADER_ENTRY_SIZE) {
        const uint8_t *e = script->data + off;
        uint32_t cmd = ld_le32(e);
        if (cmd == FW_CFG_LOADER_ALLOCATE) {
            ck_assert_int_lt(nl, 4);
            ck_assert_uint_eq(e[4 + FW_CFG_FILE_NAME_LEN - 1], 0);
            const struct fw_cfg_entry *f = file((const char *)e + 4);
            uint32_t align = ld_le32(e + 4 + FW_CFG_FILE_NAME_LEN);
            uint8_t zone = e[8 + FW_CFG_FILE_NAME_LEN];
            ck_assert(align && !(align & (align - 1)));
            ck_assert(zone == FW_CFG_LOADER_ZONE_HIGH || zone == FW_CFG_LOADER_ZONE_FSEG);
            uint64_t *next = zone == FW_CFG_LOADER_ZONE_HIGH ? &next_high : &next_fseg;
            l[nl].name = (const char *)e + 4;
            l[nl].len = f->len;
            l[nl].data = malloc(f->len);
            memcpy(l[nl].data, f->data, f->len);
            l[nl].addr = (*next + align - 1) & ~(uint64_t)(align - 1);
            *next = l[nl].addr + f->len;
            nl++;
            allocs++;
        } else if (cmd == FW_CFG_LOADER_ADD_POINTER) {
            struct loaded *p = find_loaded(l, nl, e + 4);
            struct loaded *q = find_loaded(l, nl, e + 4 + FW_CFG_FILE_NAME_LEN);
            ck_assert(p && q);
            uint32_t at = ld_le32(e + 4 + 2 * FW_CFG_FILE_NAME_LEN);
            uint8_t size = e[8 + 2 * FW_CFG_FILE_NAME_LEN];
            ck_assert(size == 4 || size == 8);
            ck_assert_uint_le(at + size, p->len);
            uint64_t v = size == 4 ? ld_le32(p->data + at) : ld_le64(p->data + at);
            ck_assert_uint_lt(v, q->len);
            if (size == 4)
                st_le32(p->data + at, (uint32_t)(v + q->addr));
            else
                st_le64(p->data + at, v + q->addr);
            pointers++;
        } else if (cmd == FW_CFG_LOADER_ADD_CHECKSUM) {
            struct loaded *f = find_loaded(l, nl, e + 4);
            ck_assert(f != NULL);
            uint32_t at = ld_le32(e + 4 + FW_CFG_FILE_NAME_LEN);
            uint32_t start = ld_le32(e + 8 + FW_CFG_FILE_NAME_LEN);
            uint32_t len = ld_le32(e + 12 + FW_CFG_FILE_NAME_LEN);
            ck_assert_uint_le(start + len, f->len);
            ck_assert(at >= start && at < start + len);
            f->data[at] = (uint8_t)(f->data[at] - sum(f->data + start, len));
            checksums++;
        } else {
            ck_abort_msg("unknown loader command %u", cmd);
        }
    }
    ck_assert_int_eq(allocs, 2);
    ck_assert_int_gt(pointers, 0);
    ck_assert_int_gt(checksums, 0);

    struct loaded *rsdp = find_loaded(l, nl, (const uint8_t *)"etc/acpi/rsdp");
    struct loaded *tab = find_loaded(l, nl, (const uint8_t *)"etc/acpi/tables");
    ck_assert(rsdp && tab);
    ck_assert_uint_lt(rsdp->addr, 0x100000);
    ck_assert(memcmp(rsdp->data, "RSD PTR ", 8) == 0);
    ck_assert_uint_eq(sum(rsdp->data, 20), 0);
    ck_assert_uint_eq(sum(rsdp->data, 36), 0);
#define TAB(a) (tab->data + ((a) - tab->addr))
    uint64_t xsdt = ld_le64(rsdp->data + 24), rsdt = ld_le32(rsdp->data + 16);
    ck_assert(memcmp(TAB(xsdt), "XSDT", 4) == 0);
    ck_assert(memcmp(TAB(rsdt), "RSDT", 4) == 0);
    ck_assert_uint_eq(sum(TAB(xsdt), ld_le32(TAB(xsdt) + 4)), 0);
    ck_assert_uint_eq(sum(TAB(rsdt), ld_le32(TAB(rsdt) + 4)), 0);
    uint32_t n = (ld_le32(TAB(xsdt) + 4) - 36) / 8;
    ck_assert_uint_eq(n, 3);
    bool have_fadt = false;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = ld_le64(TAB(xsdt) + 36 + 8 * i);
        ck_assert_uint_eq(a, ld_le32(TAB(rsdt) + 36 + 4 * i));
        ck_assert(a >= tab->addr && a < tab->addr + tab->len);
        ck_assert_uint_eq(sum(TAB(a), ld_le32(TAB(a) + 4)), 0);
        if (!memcmp(TAB(a), "FACP", 4)) {
            have_fadt = true;
            uint64_t facs = ld_le64(TAB(a) + 132), dsdt = ld_le64(TAB(a) + 140);
            ck_assert_uint_eq(facs, ld_le32(TAB(a) + 36));
            ck_assert_uint_eq(dsdt, ld_le32(TAB(a) + 40));
            ck_assert(memcmp(TAB(facs), "FACS", 4) == 0);
            ck_assert_uint_eq(facs % 64, 0);
            ck_assert(memcmp(TAB(dsdt), "DSDT", 4) == 0);
            ck_assert_uint_eq(sum(TAB(dsdt), ld_le32(TAB(dsdt) + 4)), 0);
        }
    }
    ck_assert(have_fadt);
#undef TAB
    for (int i = 0; i < nl; i++)
        free(l[i].data);
}
END_TEST

/* ---- -kernel through firmware ---- */

static char kpath[64], ipath[64];

static void write_file(char *path, const char *tmpl, const uint8_t *data, size_t len)
{
    strcpy(path, tmpl);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

START_TEST(test_kernel_keys)
{
    enum { SETUP_SECTS = 4, KLEN = (SETUP_SECTS + 1) * 512 + 3000, ILEN = 5000 };
    static uint8_t k[KLEN];
    static uint8_t initrd[ILEN];
    memset(k, 0x90, sizeof(k));
    /* A complete setup header: the firmware path checks it (and the RAM
     * it needs) as direct boot does. */
    memset(k + 0x1f1, 0, 0x270 - 0x1f1);
    k[0x1f1] = SETUP_SECTS;
    st_le32(k + 0x1f4, 3000 / 16); /* syssize */
    st_le16(k + 0x1fe, 0xAA55);
    k[0x200] = 0xEB;
    k[0x201] = 0x6A;               /* the header ends at 0x26c */
    memcpy(k + 0x202, "HdrS", 4);
    st_le16(k + 0x206, 0x20f);
    k[0x211] = 0x01; /* LOADED_HIGH */
    st_le32(k + 0x22c, 0x7fffffff);
    st_le32(k + 0x230, 0x200000);  /* kernel_alignment */
    k[0x234] = 1;                  /* relocatable */
    st_le32(k + 0x238, 2047);      /* cmdline_size */
    st_le64(k + 0x258, 0x1000000); /* pref_address */
    st_le32(k + 0x260, 0x400000);  /* init_size */
    static const uint8_t rom[512] = {0x55, 0xaa, 1};
    write_file(kpath, "/tmp/fwk.XXXXXX", k, sizeof(k));
    write_file(ipath, "/tmp/fwi.XXXXXX", initrd, sizeof(initrd));
    struct fw_cfg_pc_config cfg = {.ram_size = RAM, .low_ram_size = RAM, .ncpus = 1,
                                   .kernel = kpath, .initrd = ipath, .append = "console=ttyS0",
                                   .linuxboot_rom = rom, .linuxboot_rom_len = sizeof(rom)};
    setup_with(&cfg);
    const uint32_t setup_len = (SETUP_SECTS + 1) * 512;
    ck_assert_uint_eq(ld_le32(fw_cfg_entry(&fw, FW_CFG_SETUP_SIZE)->data), setup_len);
    ck_assert_uint_eq(ld_le32(fw_cfg_entry(&fw, FW_CFG_KERNEL_SIZE)->data), KLEN - setup_len);
    ck_assert_uint_eq(ld_le32(fw_cfg_entry(&fw, FW_CFG_KERNEL_ADDR)->data), 0x100000);
    ck_assert_uint_eq(fw_cfg_entry(&fw, FW_CFG_KERNEL_DATA)->len, KLEN - setup_len);
    ck_assert_str_eq((const char *)fw_cfg_entry(&fw, FW_CFG_CMDLINE_DATA)->data,
                     "console=ttyS0");
    ck_assert_uint_eq(ld_le32(fw_cfg_entry(&fw, FW_CFG_CMDLINE_SIZE)->data), 14);
    const uint8_t *s = fw_cfg_entry(&fw, FW_CFG_SETUP_DATA)->data;
    ck_assert_uint_eq(ld_le32(s + 0x228), ld_le32(fw_cfg_entry(&fw, FW_CFG_CMDLINE_ADDR)->data));
    ck_assert_uint_eq(s[0x210], 0xb0);
    ck_assert(s[0x211] & 0x80);
    uint32_t ia = ld_le32(fw_cfg_entry(&fw, FW_CFG_INITRD_ADDR)->data);
    ck_assert_uint_eq(ia % 4096, 0);
    ck_assert_uint_le(ia + ILEN, RAM - ACPI_DATA_RESERVE);
    ck_assert_uint_eq(ld_le32(s + 0x218), ia);
    ck_assert_uint_eq(ld_le32(s + 0x21c), ILEN);
    ck_assert_uint_eq(fw_cfg_entry(&fw, FW_CFG_INITRD_DATA)->len, ILEN);
    ck_assert(dir_has("genroms/linuxboot.bin", NULL));
    ck_assert_str_eq((const char *)file("bootorder")->data, "/rom@genroms/linuxboot.bin");
    teardown();
    unlink(kpath);
    unlink(ipath);
}
END_TEST

/* -boot menu=on,splash-time=2500,reboot-timeout=0: the boot menu key, the
 * menu wait and the wait after a failed boot, as QEMU gives them. */
START_TEST(test_boot_options)
{
    struct fw_cfg_pc_config cfg = {.ram_size = RAM, .low_ram_size = RAM, .ncpus = 1,
                                   .boot_menu = true, .boot_splash_ms = 2500,
                                   .boot_reboot_timeout = 0};
    setup_with(&cfg);
    ck_assert_uint_eq(ld_le16(fw_cfg_entry(&fw, FW_CFG_BOOT_MENU)->data), 1);
    ck_assert_uint_eq(ld_le16(file("etc/boot-menu-wait")->data), 2500);
    ck_assert_uint_eq(ld_le32(file("etc/boot-fail-wait")->data), 0);
    teardown();
}
END_TEST

/* "bootorder": the kernel's ROM first, then the drives' paths as given;
 * only drives, without a kernel; nothing, without either. One path a line,
 * NUL-terminated, no empty last line (as QEMU writes it). */
START_TEST(test_boot_order_file)
{
    struct fw_cfg_pc_config cfg = {.ram_size = RAM, .low_ram_size = RAM, .ncpus = 1,
                                   .boot_devices = "/pci@i0cf8/ide@1,1/drive@1/disk@1\n"
                                                   "/pci@i0cf8/scsi@4/disk@0,0\n"};
    setup_with(&cfg);
    const struct fw_cfg_entry *e = file("bootorder");
    ck_assert_str_eq((const char *)e->data,
                     "/pci@i0cf8/ide@1,1/drive@1/disk@1\n/pci@i0cf8/scsi@4/disk@0,0");
    ck_assert_uint_eq(e->len, strlen((const char *)e->data) + 1);
    teardown();
    cfg.boot_devices = "";
    setup_with(&cfg);
    ck_assert(!dir_has("bootorder", NULL));
    teardown();
}
END_TEST

START_TEST(test_kernel_errors)
{
    t = test_env_new(1 << 20);
    fw_cfg_init(&fw, &t->env);
    static const uint8_t junk[1024] = {1};
    static const uint8_t rom[512] = {0x55, 0xaa, 1};
    write_file(kpath, "/tmp/fwk.XXXXXX", junk, sizeof(junk));
    char err[256] = "";
    struct fw_cfg_pc_config cfg = {.ram_size = RAM, .low_ram_size = RAM, .ncpus = 1,
                                   .kernel = kpath, .linuxboot_rom = rom,
                                   .linuxboot_rom_len = sizeof(rom)};
    /* Neither a bzImage nor a multiboot kernel: refused, with no option
     * ROM and no boot order left behind. */
    cfg.multiboot_rom = rom;
    cfg.multiboot_rom_len = sizeof(rom);
    ck_assert_int_eq(fw_cfg_setup_pc(&fw, &cfg, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "neither a Linux bzImage nor a multiboot kernel") != NULL, "%s", err);
    ck_assert_int_lt(fw_cfg_find_file(&fw, "bootorder"), 0);
    /* A file that cannot be read is an error, not a reason to try direct
     * boot instead. */
    cfg.kernel = "/tmp";
    ck_assert_int_eq(fw_cfg_setup_pc(&fw, &cfg, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "-kernel '/tmp': a directory, not a regular file");
    cfg.kernel = kpath;
    cfg.linuxboot_rom = NULL;
    ck_assert_int_eq(fw_cfg_setup_pc(&fw, &cfg, err, sizeof(err)), -1);
    ck_assert(strstr(err, "option ROM") != NULL);
    teardown();
    unlink(kpath);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fw_cfg_setup");
    TCase *tc = tcase_create("pc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_directory_names);
    tcase_add_test(tc, test_e820_matches_machine_map);
    tcase_add_test(tc, test_legacy_keys);
    tcase_add_test(tc, test_table_loader);
    suite_add_tcase(s, tc);
    TCase *tk = tcase_create("kernel");
    tcase_add_test(tk, test_kernel_keys);
    tcase_add_test(tk, test_kernel_errors);
    tcase_add_test(tk, test_boot_options);
    tcase_add_test(tk, test_boot_order_file);
    suite_add_tcase(s, tk);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

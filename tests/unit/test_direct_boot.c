/* Unit tests for bios/direct_boot.c: format detection, e820 + ACPI + loader
 * wiring, and QEMU's multiboot module list syntax. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/direct_boot.h"
#include "bios/loader_file.h"
#include "tests/unit/boot_test_util.h"

#define MiB (1024ull * 1024)

static struct physmem pm;
static char tmpdir[256];

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, 64 * MiB, 0xC0000000ull), 0);
    scratch_dir_create(tmpdir, sizeof tmpdir, "test_direct_boot");
}

static void teardown(void)
{
    physmem_destroy(&pm);
    scratch_dir_remove(tmpdir);
}

static void write_file(const char *name, const void *data, size_t len, char *path)
{
    snprintf(path, SCRATCH_PATH_MAX, "%s/%s", tmpdir, name);
    scratch_write(path, data, len);
}

static void write_bzimage(char *path)
{
    uint8_t b[5 * 512 + 0x1000] = {0};
    st_le32(b + LINUX_HDR_SYSSIZE, 0x100);
    b[LINUX_HDR_SETUP_SECTS] = 4;
    st_le16(b + LINUX_HDR_BOOT_FLAG, 0xAA55);
    b[LINUX_HDR_JUMP + 1] = 0x6A;
    memcpy(b + LINUX_HDR_HEADER, "HdrS", 4);
    st_le16(b + LINUX_HDR_VERSION, 0x020F);
    b[LINUX_HDR_LOADFLAGS] = LINUX_LOADFLAG_LOADED_HIGH;
    st_le32(b + LINUX_HDR_INITRD_ADDR_MAX, 0x7FFFFFFF);
    st_le32(b + LINUX_HDR_KERNEL_ALIGNMENT, 0x200000);
    b[LINUX_HDR_RELOCATABLE] = 1;
    st_le16(b + LINUX_HDR_XLOADFLAGS, LINUX_XLF_KERNEL_64);
    st_le32(b + LINUX_HDR_CMDLINE_SIZE, 2047);
    st_le64(b + LINUX_HDR_PREF_ADDRESS, 0x1000000);
    st_le32(b + LINUX_HDR_INIT_SIZE, 0x400000);
    write_file("bzImage", b, sizeof b, path);
}

static void write_multiboot(char *path)
{
    uint8_t b[0x2000];
    memset(b, 0x90, sizeof b);
    uint32_t flags = MULTIBOOT_FLAG_AOUT_KLUDGE;
    st_le32(b, MULTIBOOT_HEADER_MAGIC);
    st_le32(b + 4, flags);
    st_le32(b + 8, 0u - MULTIBOOT_HEADER_MAGIC - flags);
    st_le32(b + 12, 0x100000);
    st_le32(b + 16, 0x100000);
    st_le32(b + 20, 0);
    st_le32(b + 24, 0);
    st_le32(b + 28, 0x100020);
    write_file("mbkernel", b, sizeof b, path);
}

START_TEST(test_linux)
{
    char kpath[300];
    write_bzimage(kpath);
    struct direct_boot_config cfg = {.kernel = kpath, .append = "console=ttyS0", .ncpus = 2};
    struct direct_boot_result *r = malloc(sizeof *r);
    char err[256] = "";
    ck_assert_msg(direct_boot_setup(&pm, &cfg, r, err, sizeof err) == 0, "%s", err);
    ck_assert(!r->is_multiboot);
    ck_assert(r->cpu.long_mode);
    ck_assert_uint_eq(r->cpu.rip, 0x1000200);
    ck_assert_uint_eq(r->acpi.rsdp, ACPI_RSDP_DEFAULT_ADDR);
    ck_assert_uint_eq(physmem_read(&pm, LINUX_BOOT_PARAMS_ADDR + LINUX_BP_ACPI_RSDP_ADDR, 8),
                      ACPI_RSDP_DEFAULT_ADDR);
    bool acpi_in_map = false;
    for (int i = 0; i < r->e820_count; i++)
        if (r->e820[i].type == E820_ACPI) {
            acpi_in_map = true;
            ck_assert_uint_le(r->e820[i].addr, r->acpi.dsdt);
            ck_assert_uint_ge(r->e820[i].addr + r->e820[i].size, r->acpi.end);
        }
    ck_assert(acpi_in_map);
    ck_assert_uint_eq(physmem_read(&pm, ACPI_RSDP_DEFAULT_ADDR, 8), 0x2052545020445352ull);

    cfg.no_acpi = true;
    ck_assert_msg(direct_boot_setup(&pm, &cfg, r, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(r->acpi.rsdp, 0);
    for (int i = 0; i < r->e820_count; i++)
        ck_assert_uint_ne(r->e820[i].type, E820_ACPI);
    free(r);
}
END_TEST

START_TEST(test_multiboot)
{
    char kpath[300], m1[300], m2[300];
    write_multiboot(kpath);
    write_file("mod,1", "AAAA", 4, m1);
    write_file("mod2", "BB", 2, m2);
    char list[1000];
    /* The comma in the first file name is escaped as ",,". */
    snprintf(list, sizeof list, "%s/mod,,1 arg=1,%s", tmpdir, m2);
    struct direct_boot_config cfg = {.kernel = kpath, .initrd = list, .append = "quiet",
                                     .ncpus = 1};
    struct direct_boot_result *r = malloc(sizeof *r);
    char err[256] = "";
    ck_assert_msg(direct_boot_setup(&pm, &cfg, r, err, sizeof err) == 0, "%s", err);
    ck_assert(r->is_multiboot);
    ck_assert_uint_eq(r->cpu.rax, MULTIBOOT_BOOTLOADER_MAGIC);
    ck_assert_uint_eq(r->cpu.rip, 0x100020);
    ck_assert_int_eq(r->multiboot_info.nmodules, 2);
    uint64_t mbi = r->cpu.rbx;
    char s[400];
    physmem_read_buf(&pm, physmem_read(&pm, mbi + 16, 4), s, sizeof s);
    char want[400];
    snprintf(want, sizeof want, "%s quiet", kpath);
    ck_assert_str_eq(s, want);
    uint64_t mods = physmem_read(&pm, mbi + 24, 4);
    physmem_read_buf(&pm, physmem_read(&pm, mods + 8, 4), s, sizeof s);
    snprintf(want, sizeof want, "%s arg=1", m1);
    ck_assert_str_eq(s, want);
    ck_assert_uint_eq(physmem_read(&pm, physmem_read(&pm, mods, 4), 4), 0x41414141);
    ck_assert_uint_eq(physmem_read(&pm, physmem_read(&pm, mods + 16, 4), 2), 0x4242);
    free(r);
}
END_TEST

START_TEST(test_errors)
{
    struct direct_boot_result *r = malloc(sizeof *r);
    char err[256] = "", path[300];
    uint8_t junk[4096];
    memset(junk, 0x5A, sizeof junk);
    write_file("junk", junk, sizeof junk, path);
    struct direct_boot_config cfg = {.kernel = path, .ncpus = 1};
    ck_assert_int_eq(direct_boot_setup(&pm, &cfg, r, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "neither a Linux bzImage nor a multiboot kernel"));
    cfg.kernel = "/nonexistent/kernel";
    ck_assert_int_eq(direct_boot_setup(&pm, &cfg, r, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    cfg.kernel = NULL;
    ck_assert_int_eq(direct_boot_setup(&pm, &cfg, r, err, sizeof err), -1);
    free(r);
}
END_TEST

START_TEST(test_parse_modules)
{
    struct multiboot_module_spec m[4];
    const char *list = "a.bin x=1 y,b,,c.bin,,,d";
    char *storage = malloc(strlen(list) * 2 + 2);
    int n = direct_boot_parse_modules(list, m, 4, storage);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(m[0].path, "a.bin");
    ck_assert_str_eq(m[0].cmdline, "a.bin x=1 y");
    ck_assert_str_eq(m[1].path, "b,c.bin,");
    ck_assert_str_eq(m[1].cmdline, "b,c.bin,");
    ck_assert_str_eq(m[2].path, "d");
    ck_assert_int_eq(direct_boot_parse_modules(list, m, 2, storage), -1);
    ck_assert_int_eq(direct_boot_parse_modules("", m, 4, storage), 0);
    ck_assert_int_eq(direct_boot_parse_modules(",,,", m, 4, storage), 1);
    ck_assert_str_eq(m[0].path, ",");
    free(storage);
}
END_TEST

/* A reset boots again from the files read at the first boot: the files
 * may be gone (or be FIFOs by now) and the boot still succeeds, with the
 * same bytes in guest RAM (issue 18, item 6). */
START_TEST(test_reload_from_cache)
{
    char kpath[300], ipath[300];
    write_bzimage(kpath);
    uint8_t initrd[3000];
    for (size_t i = 0; i < sizeof initrd; i++)
        initrd[i] = (uint8_t)(i * 7 + 1);
    write_file("initrd", initrd, sizeof initrd, ipath);
    struct loader_cache *cache = calloc(1, sizeof *cache);
    struct direct_boot_config cfg = {.kernel = kpath, .initrd = ipath, .ncpus = 1,
                                     .cache = cache};
    struct direct_boot_result *r = malloc(sizeof *r);
    char err[256] = "";
    ck_assert_msg(direct_boot_setup(&pm, &cfg, r, err, sizeof err) == 0, "%s", err);
    uint64_t at = r->linux_info.initrd_addr;
    ck_assert_uint_ne(at, 0);
    ck_assert_int_eq(cache->n, 2);
    ck_assert_int_eq(remove(kpath), 0);
    ck_assert_int_eq(remove(ipath), 0);
    physmem_write(&pm, at, 0, 8);
    ck_assert_msg(direct_boot_setup(&pm, &cfg, r, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(r->linux_info.initrd_addr, at);
    ck_assert_uint_eq(physmem_read(&pm, at, 1), initrd[0]);
    ck_assert_uint_eq(physmem_read(&pm, at + sizeof initrd - 1, 1), initrd[sizeof initrd - 1]);
    ck_assert_int_eq(cache->n, 2);
    /* Without the cache the files are read again, and are gone. */
    cfg.cache = NULL;
    ck_assert_int_eq(direct_boot_setup(&pm, &cfg, r, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "-kernel '") && strstr(err, "No such file"), "%s", err);
    /* -initrd '' names no file. */
    cfg.cache = cache;
    cfg.initrd = "";
    ck_assert_int_eq(direct_boot_setup(&pm, &cfg, r, err, sizeof err), -1);
    ck_assert_str_eq(err, "-initrd: no file name given");
    loader_cache_free(cache);
    free(cache);
    free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("direct_boot");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_linux);
    tcase_add_test(tc, test_multiboot);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_parse_modules);
    tcase_add_test(tc, test_reload_from_cache);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

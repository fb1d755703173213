/* Unit tests for bios/multiboot.c: synthetic ELF32 and a.out-kludge
 * kernels with modules, loaded into a real physmem, and bad images. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/e820.h"
#include "bios/loader_file.h"
#include "bios/multiboot.h"
#include "mmu/physmem.h"
#include "tests/unit/boot_test_util.h"

#define MiB (1024ull * 1024)
#define RAM_SIZE (64 * MiB)

static struct physmem pm;
static struct e820_entry map[32];
static int nmap;
static char tmpdir[256];

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, RAM_SIZE, 0xC0000000ull), 0);
    nmap = e820_build(map, 32, RAM_SIZE, RAM_SIZE, NULL);
    ck_assert_int_gt(nmap, 0);
    /* Poison RAM so BSS zeroing is visible. */
    memset(pm.ram, 0xAA, RAM_SIZE);
    scratch_dir_create(tmpdir, sizeof tmpdir, "test_multiboot");
}

static void teardown(void)
{
    physmem_destroy(&pm);
    scratch_dir_remove(tmpdir);
}

static const char *write_file(const void *data, size_t len)
{
    return scratch_file(tmpdir, data, len);
}

static void put_mb_header(uint8_t *p, uint32_t flags)
{
    st_le32(p, MULTIBOOT_HEADER_MAGIC);
    st_le32(p + 4, flags);
    st_le32(p + 8, (uint32_t)(0u - MULTIBOOT_HEADER_MAGIC - flags));
}

/* ELF32 image: segment 1 (text+bss) at 1 MiB, segment 2 linked at a
 * higher-half virtual address but loaded at 2 MiB. */
#define ELF_SIZE 0x3100
static uint8_t *build_elf(uint32_t entry_vaddr, uint8_t ei_class)
{
    uint8_t *b = calloc(1, ELF_SIZE);
    memcpy(b, "\177ELF", 4);
    b[4] = ei_class;
    b[5] = 1;
    b[6] = 1;
    st_le16(b + 16, 2);  /* ET_EXEC */
    st_le16(b + 18, 3);  /* EM_386 */
    st_le32(b + 20, 1);
    st_le32(b + 24, entry_vaddr);
    st_le32(b + 28, 52); /* phoff */
    st_le16(b + 40, 52);
    st_le16(b + 42, 32);
    st_le16(b + 44, 3);
    uint8_t *ph = b + 52;
    st_le32(ph, 1);
    st_le32(ph + 4, 0x1000);
    st_le32(ph + 8, 0x100000);
    st_le32(ph + 12, 0x100000);
    st_le32(ph + 16, 0x2000);
    st_le32(ph + 20, 0x3000);
    ph += 32;
    st_le32(ph, 4); /* PT_NOTE: ignored */
    ph += 32;
    st_le32(ph, 1);
    st_le32(ph + 4, 0x3000);
    st_le32(ph + 8, 0xC0200000);
    st_le32(ph + 12, 0x200000);
    st_le32(ph + 16, 0x100);
    st_le32(ph + 20, 0x100);
    put_mb_header(b + 0x200, MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO);
    for (int i = 0x1000; i < ELF_SIZE; i++)
        b[i] = (uint8_t)(i * 5 + 1);
    return b;
}

static void read_str(uint64_t addr, char *buf, size_t len)
{
    physmem_read_buf(&pm, addr, buf, len);
    buf[len - 1] = 0;
}

START_TEST(test_elf_with_modules)
{
    uint8_t *img = build_elf(0x100010, 1);
    char kpath[300];
    strcpy(kpath, write_file(img, ELF_SIZE));
    uint8_t m1[5000], m2[3];
    memset(m1, 0x11, sizeof m1);
    memset(m2, 0x22, sizeof m2);
    char p1[300], p2[300];
    strcpy(p1, write_file(m1, sizeof m1));
    strcpy(p2, write_file(m2, sizeof m2));
    struct multiboot_module_spec mods[2] = {{p1, "mod1 arg=1"}, {p2, NULL}};
    struct multiboot_config cfg = {.kernel_path = kpath, .cmdline = "kernel -v",
                                   .modules = mods, .nmodules = 2, .e820 = map,
                                   .e820_count = nmap};
    struct boot_cpu_state cpu;
    struct multiboot_boot_info info;
    char err[256] = "";
    ck_assert_msg(multiboot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);

    /* Segments: file bytes, then BSS zeroed; the higher-half one at its paddr. */
    ck_assert_uint_eq(physmem_read(&pm, 0x100000, 1), (uint8_t)(0x1000 * 5 + 1));
    ck_assert_uint_eq(physmem_read(&pm, 0x101FFF, 1), (uint8_t)(0x2FFF * 5 + 1));
    for (uint64_t a = 0x102000; a < 0x103000; a += 0x100)
        ck_assert_uint_eq(physmem_read(&pm, a, 8), 0);
    ck_assert_uint_eq(physmem_read(&pm, 0x200000, 1), (uint8_t)(0x3000 * 5 + 1));
    ck_assert_uint_eq(info.kernel_start, 0x100000);
    ck_assert_uint_eq(info.kernel_end, 0x200100);
    free(img);

    /* Machine state (spec 3.2). */
    ck_assert(!cpu.long_mode);
    ck_assert_uint_eq(cpu.rax, 0x2BADB002);
    /* The boot information follows the image (after its GDT). */
    ck_assert_uint_eq(cpu.rbx, info.info_addr);
    ck_assert_uint_ge(info.info_addr, info.kernel_end);
    ck_assert_uint_ge(cpu.rsp, info.info_addr);
    ck_assert_uint_eq(cpu.rip, 0x100010);
    ck_assert_uint_eq(cpu.cr0 & 0x80000001u, 1);
    ck_assert_uint_eq(cpu.rflags & 0x20200, 0);
    ck_assert_uint_eq(cpu.cs_seg.ar, BOOT_SEG_AR_CODE32);
    ck_assert_uint_eq(cpu.cs_seg.limit, 0xFFFFFFFF);
    ck_assert_uint_eq(physmem_read(&pm, cpu.gdt_base + cpu.cs, 8), 0x00CF9B000000FFFFull);

    /* Info struct. */
    uint64_t mbi = cpu.rbx;
    uint32_t flags = (uint32_t)physmem_read(&pm, mbi, 4);
    ck_assert_uint_eq(flags & 0x24D, 0x24D);
    ck_assert_uint_eq(physmem_read(&pm, mbi + 4, 4), 639);
    ck_assert_uint_eq(physmem_read(&pm, mbi + 8, 4), (RAM_SIZE - 1 * MiB) / 1024);
    char s[64];
    read_str(physmem_read(&pm, mbi + 16, 4), s, sizeof s);
    ck_assert_str_eq(s, "kernel -v");
    read_str(physmem_read(&pm, mbi + 64, 4), s, sizeof s);
    ck_assert_str_eq(s, "turtles");

    ck_assert_uint_eq(physmem_read(&pm, mbi + 20, 4), 2);
    uint64_t mods_addr = physmem_read(&pm, mbi + 24, 4);
    uint64_t s1 = physmem_read(&pm, mods_addr, 4), e1 = physmem_read(&pm, mods_addr + 4, 4);
    uint64_t s2 = physmem_read(&pm, mods_addr + 16, 4), e2 = physmem_read(&pm, mods_addr + 20, 4);
    /* Modules follow the image and the loader's data, page-aligned. */
    ck_assert_uint_eq(s1 & 0xFFF, 0);
    ck_assert_uint_gt(s1, mbi);
    ck_assert_uint_eq(e1 - s1, sizeof m1);
    ck_assert_uint_eq(s2 & 0xFFF, 0);
    ck_assert_uint_ge(s2, e1);
    ck_assert_uint_eq(e2 - s2, sizeof m2);
    ck_assert_uint_eq(physmem_read(&pm, s1 + 4999, 1), 0x11);
    ck_assert_uint_eq(physmem_read(&pm, s2, 2), 0x2222);
    read_str(physmem_read(&pm, mods_addr + 8, 4), s, sizeof s);
    ck_assert_str_eq(s, "mod1 arg=1");
    read_str(physmem_read(&pm, mods_addr + 24, 4), s, sizeof s);
    ck_assert_str_eq(s, p2);
    ck_assert_uint_eq(info.nmodules, 2);

    /* Memory map mirrors e820. */
    uint64_t mmap_len = physmem_read(&pm, mbi + 44, 4), mmap = physmem_read(&pm, mbi + 48, 4);
    ck_assert_uint_eq(mmap_len, (uint64_t)nmap * 24);
    for (int i = 0; i < nmap; i++) {
        uint64_t e = mmap + (uint64_t)i * 24;
        ck_assert_uint_eq(physmem_read(&pm, e, 4), 20);
        ck_assert_uint_eq(physmem_read(&pm, e + 4, 8), map[i].addr);
        ck_assert_uint_eq(physmem_read(&pm, e + 12, 8), map[i].size);
        ck_assert_uint_eq(physmem_read(&pm, e + 20, 4), map[i].type);
    }
}
END_TEST

/* Through the firmware: the load list holds what direct boot writes to
 * RAM, chunk by chunk, except the memory fields the option ROM fills in
 * from the firmware (mem_lower, mem_upper, mmap_length), and the header
 * carries direct boot's entry, EBX and ESP. */
START_TEST(test_load_list_matches_direct)
{
    uint8_t *img = build_elf(0x100010, 1);
    char kpath[300];
    strcpy(kpath, write_file(img, ELF_SIZE));
    free(img);
    uint8_t m1[5000];
    memset(m1, 0x11, sizeof m1);
    char p1[300];
    strcpy(p1, write_file(m1, sizeof m1));
    struct multiboot_module_spec mods[1] = {{p1, "mod1 arg=1"}};
    struct multiboot_config cfg = {.kernel_path = kpath, .cmdline = "kernel -v",
                                   .modules = mods, .nmodules = 1, .e820 = map,
                                   .e820_count = nmap};
    struct boot_cpu_state cpu;
    char err[256] = "";
    ck_assert_msg(multiboot_load(&pm, &cfg, &cpu, NULL, err, sizeof err) == 0, "%s", err);
    uint8_t *list;
    size_t len;
    ck_assert_msg(multiboot_load_list(&cfg, &list, &len, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_ge(len, MULTIBOOT_LIST_HEADER_SIZE);
    ck_assert_uint_eq(ld_le32(list), MULTIBOOT_LIST_MAGIC);
    ck_assert_uint_eq(ld_le32(list + 4), cpu.rip);
    ck_assert_uint_eq(ld_le32(list + 8), cpu.rbx);
    ck_assert_uint_eq(ld_le32(list + 12), cpu.rsp);
    uint32_t n = ld_le32(list + 16);
    ck_assert_uint_ge(n, 3); /* the two kernel segments (apart), the module */
    size_t at = MULTIBOOT_LIST_HEADER_SIZE;
    uint64_t mbi = cpu.rbx;
    uint64_t mmap = physmem_read(&pm, mbi + 48, 4);
    uint64_t mmap_end = mmap + MULTIBOOT_FW_MMAP_MAX * MULTIBOOT_MMAP_ENTRY_SIZE;
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_uint_le(at + MULTIBOOT_LIST_CHUNK_SIZE, len);
        uint32_t addr = ld_le32(list + at), clen = ld_le32(list + at + 4);
        at += MULTIBOOT_LIST_CHUNK_SIZE;
        ck_assert_uint_le(at + clen, len);
        ck_assert_uint_ge(addr, 0x100000); /* out of the firmware's way */
        for (uint32_t k = 0; k < clen; k++) {
            uint64_t a = (uint64_t)addr + k;
            bool rom_fills = (a >= mbi + 4 && a < mbi + 12) || (a >= mbi + 44 && a < mbi + 48) ||
                             (a >= mmap && a < mmap_end);
            uint8_t want = rom_fills ? 0 : (uint8_t)physmem_read(&pm, a, 1);
            ck_assert_msg(list[at + k] == want, "chunk %u byte at 0x%llx: 0x%x, not 0x%x", i,
                          (unsigned long long)a, list[at + k], want);
        }
        at += clen;
    }
    ck_assert_uint_eq(at, len);
    /* Room for the firmware's map: MULTIBOOT_FW_MMAP_MAX entries before
     * the module list. */
    ck_assert_uint_ge(physmem_read(&pm, mbi + 24, 4), mmap_end);
    free(list);

    /* A segment below 1 MiB: fine directly, refused through the firmware. */
    uint8_t *low = build_elf(0x100010, 1);
    st_le32(low + 52 + 12, 0x80000);
    st_le32(low + 52 + 8, 0x80000);
    st_le32(low + 24, 0x80010);
    strcpy(kpath, write_file(low, ELF_SIZE));
    free(low);
    ck_assert_msg(multiboot_load(&pm, &cfg, &cpu, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(multiboot_load_list(&cfg, &list, &len, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "below 1 MiB") != NULL, "%s", err);
    ck_assert_ptr_null(list);
}
END_TEST

START_TEST(test_higher_half_entry)
{
    /* Entry given as a virtual address inside the higher-half segment. */
    uint8_t *img = build_elf(0xC0200040, 1);
    struct multiboot_config cfg = {.kernel_path = write_file(img, ELF_SIZE), .e820 = map,
                                   .e820_count = nmap};
    struct boot_cpu_state cpu;
    char err[256] = "";
    ck_assert_msg(multiboot_load(&pm, &cfg, &cpu, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(cpu.rip, 0x200040);
    free(img);
}
END_TEST

START_TEST(test_aout_kludge)
{
    /* A flat binary (an ELF64 file would look the same to the loader)
     * whose header at offset 0x40 says: loaded at 0x100000, BSS to
     * 0x110000, entry 0x100080. */
    uint8_t b[0x1000];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)(i + 9);
    memcpy(b, "\177ELF", 4);
    b[4] = 2; /* ELFCLASS64: ignored with the kludge */
    uint32_t flags = MULTIBOOT_FLAG_AOUT_KLUDGE | MULTIBOOT_FLAG_MEMORY_INFO;
    put_mb_header(b + 0x40, flags);
    st_le32(b + 0x4C, 0x100040);
    st_le32(b + 0x50, 0x100000);
    st_le32(b + 0x54, 0);
    st_le32(b + 0x58, 0x110000);
    st_le32(b + 0x5C, 0x100080);
    struct multiboot_config cfg = {.kernel_path = write_file(b, sizeof b), .e820 = map,
                                   .e820_count = nmap};
    struct boot_cpu_state cpu;
    struct multiboot_boot_info info;
    char err[256] = "";
    ck_assert_msg(multiboot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);
    ck_assert(info.aout_kludge);
    ck_assert_uint_eq(cpu.rip, 0x100080);
    ck_assert_uint_eq(physmem_read(&pm, 0x100000, 4), 0x464C457F);
    ck_assert_uint_eq(physmem_read(&pm, 0x100FFF, 1), (uint8_t)(0xFFF + 9));
    ck_assert_uint_eq(physmem_read(&pm, 0x101000, 8), 0);
    ck_assert_uint_eq(physmem_read(&pm, 0x10FFF8, 8), 0);
    ck_assert_uint_eq(info.kernel_end, 0x110000);
    ck_assert_uint_eq(cpu.gdt_base, 0x110000); /* the loader's data follows the image */
    ck_assert_uint_eq(physmem_read(&pm, info.info_addr + 20, 4), 0); /* no modules */

    /* load_end_addr limits what is copied. */
    st_le32(b + 0x54, 0x100800);
    cfg.kernel_path = write_file(b, sizeof b);
    ck_assert_msg(multiboot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(physmem_read(&pm, 0x1007FF, 1), (uint8_t)(0x7FF + 9));
    ck_assert_uint_eq(physmem_read(&pm, 0x100800, 8), 0);
}
END_TEST

static void expect_error(const struct multiboot_config *cfg, const char *needle)
{
    struct boot_cpu_state cpu;
    char err[256] = "";
    ck_assert_int_eq(multiboot_load(&pm, cfg, &cpu, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
}

START_TEST(test_errors)
{
    struct multiboot_config cfg = {.e820 = map, .e820_count = nmap};
    cfg.kernel_path = "/nonexistent/kernel";
    expect_error(&cfg, "No such file");

    uint8_t junk[9000];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 13);
    cfg.kernel_path = write_file(junk, sizeof junk);
    expect_error(&cfg, "no multiboot header");
    cfg.kernel_path = write_file(junk, 0);
    expect_error(&cfg, "the file is empty");

    /* Header beyond 8 KiB. */
    put_mb_header(junk + 8192, 0);
    cfg.kernel_path = write_file(junk, sizeof junk);
    expect_error(&cfg, "no multiboot header");

    /* Bad checksum. */
    uint8_t *img = build_elf(0x100010, 1);
    st_le32(img + 0x208, 0);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    expect_error(&cfg, "no multiboot header");
    free(img);

    /* Unsupported required flag. */
    img = build_elf(0x100010, 1);
    put_mb_header(img + 0x200, 0x8);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    expect_error(&cfg, "unsupported");
    free(img);

    /* ELF64 without the kludge. */
    img = build_elf(0x100010, 2);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    expect_error(&cfg, "a.out kludge");
    free(img);

    /* Truncated: segment 2's bytes are missing. */
    img = build_elf(0x100010, 1);
    cfg.kernel_path = write_file(img, 0x3050);
    expect_error(&cfg, "truncated");
    /* Program headers past the end of the file. */
    st_le32(img + 28, 0x7FFFFFF0);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    expect_error(&cfg, "truncated");
    free(img);

    /* Segments outside RAM: above it, and in the legacy hole below 1 MiB. */
    img = build_elf(0x100010, 1);
    st_le32(img + 52 + 12, 0x7FFF0000);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    expect_error(&cfg, "not in usable RAM");
    st_le32(img + 52 + 12, 0xA0000);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    expect_error(&cfg, "not in usable RAM");
    /* Low memory is the image's to use (kvm-unit-tests' realmode.flat loads
     * there): the loader's own data goes after the image. */
    st_le32(img + 52 + 12, 0x9000);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    {
        struct boot_cpu_state lcpu;
        struct multiboot_boot_info linfo;
        char lerr[256] = "";
        ck_assert_msg(multiboot_load(&pm, &cfg, &lcpu, &linfo, lerr, sizeof lerr) == 0, "%s", lerr);
        ck_assert_uint_eq(linfo.kernel_start, 0x9000);
        ck_assert_uint_ge(lcpu.gdt_base, linfo.kernel_end);
        ck_assert_uint_ge(lcpu.rbx, linfo.kernel_end);
    }
    free(img);

    /* Entry point outside the image. */
    img = build_elf(0x500000, 1);
    cfg.kernel_path = write_file(img, ELF_SIZE);
    expect_error(&cfg, "entry point");
    free(img);

    /* a.out kludge with load_addr above header_addr. */
    uint8_t b[0x400] = {0};
    put_mb_header(b, MULTIBOOT_FLAG_AOUT_KLUDGE);
    st_le32(b + 12, 0x100000);
    st_le32(b + 16, 0x100100);
    st_le32(b + 28, 0x100100);
    cfg.kernel_path = write_file(b, sizeof b);
    expect_error(&cfg, "inconsistent");
    /* ... and with load_end_addr past the end of the file. */
    st_le32(b + 16, 0x100000);
    st_le32(b + 20, 0x200000);
    cfg.kernel_path = write_file(b, sizeof b);
    expect_error(&cfg, "truncated");
    /* ... and with bss_end below load end. */
    st_le32(b + 20, 0x100200);
    st_le32(b + 24, 0x100100);
    cfg.kernel_path = write_file(b, sizeof b);
    expect_error(&cfg, "bss_end_addr");

    /* Missing module; module too big for RAM (sparse file). */
    img = build_elf(0x100010, 1);
    char kpath[300];
    strcpy(kpath, write_file(img, ELF_SIZE));
    free(img);
    struct multiboot_module_spec mods[1] = {{"/nonexistent/module", NULL}};
    cfg.kernel_path = kpath;
    cfg.modules = mods;
    cfg.nmodules = 1;
    expect_error(&cfg, "/nonexistent/module");
    char big[300];
    snprintf(big, sizeof big, "%s/big", tmpdir);
    FILE *f = fopen(big, "wb");
    ck_assert_int_eq(ftruncate(fileno(f), (off_t)(100 * MiB)), 0);
    fclose(f);
    mods[0].path = big;
    expect_error(&cfg, "does not fit");
    cfg.nmodules = -1;
    expect_error(&cfg, "module count");
}
END_TEST

START_TEST(test_random_images)
{
    uint32_t seed = 777;
    for (int iter = 0; iter < 300; iter++) {
        uint8_t *img = build_elf(0x100010, 1);
        for (int j = 0; j < 12; j++) {
            seed = seed * 1103515245u + 12345u;
            size_t off = (seed >> 8) % 0x220;
            seed = seed * 1103515245u + 12345u;
            img[off] = (uint8_t)(seed >> 16);
        }
        if (iter & 1)
            put_mb_header(img + 0x200, (seed & 0x10003) | MULTIBOOT_FLAG_MEMORY_INFO);
        seed = seed * 1103515245u + 12345u;
        size_t len = iter & 2 ? ELF_SIZE : (seed >> 4) % (ELF_SIZE + 1);
        struct multiboot_config cfg = {.kernel_path = write_file(img, len), .e820 = map,
                                       .e820_count = nmap, .cmdline = "x"};
        struct boot_cpu_state cpu;
        char err[256] = "";
        int rc = multiboot_load(&pm, &cfg, &cpu, NULL, err, sizeof err);
        ck_assert(rc == 0 || (rc == -1 && err[0] != 0));
        unlink(cfg.kernel_path);
        free(img);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("multiboot");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_elf_with_modules);
    tcase_add_test(tc, test_load_list_matches_direct);
    tcase_add_test(tc, test_higher_half_entry);
    tcase_add_test(tc, test_aout_kludge);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_random_images);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for bios/linux_boot.c: a synthetic bzImage in a temporary
 * file, loaded into a real physmem; error paths for bad files; and, when a
 * Debian kernel is at hand ($TURTLES_VMLINUZ or ~/.cache/turtles/vmlinuz),
 * its real header. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/e820.h"
#include "bios/linux_boot.h"
#include "bios/loader_file.h"
#include "mmu/physmem.h"
#include "tests/unit/boot_test_util.h"

#define MiB (1024ull * 1024)
#define RAM_SIZE (128 * MiB)
#define ACPI_BASE (RAM_SIZE - 0x10000)

static struct physmem pm;
static struct e820_entry map[32];
static int nmap;
static char tmpdir[256];

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, RAM_SIZE, 0xC0000000ull), 0);
    struct e820_options o = {.acpi_base = ACPI_BASE, .acpi_size = 0x10000};
    nmap = e820_build(map, 32, RAM_SIZE, RAM_SIZE, &o);
    ck_assert_int_gt(nmap, 0);
    scratch_dir_create(tmpdir, sizeof tmpdir, "test_linux_boot");
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

/* Fields of the synthetic kernel. */
struct fake_kernel {
    unsigned setup_sects;
    uint16_t version;
    uint8_t loadflags;
    uint16_t xloadflags;
    uint8_t relocatable;
    uint32_t kernel_alignment;
    uint32_t initrd_addr_max;
    uint32_t cmdline_size;
    uint64_t pref_address;
    uint32_t init_size;
    size_t payload;          /* bytes of protected-mode kernel */
    uint32_t syssize_extra;  /* lie in syssize: claim more than present */
};

static struct fake_kernel default_kernel(void)
{
    return (struct fake_kernel){
        .setup_sects = 4, .version = 0x020F, .loadflags = LINUX_LOADFLAG_LOADED_HIGH,
        .xloadflags = LINUX_XLF_KERNEL_64 | LINUX_XLF_CAN_BE_LOADED_ABOVE_4G,
        .relocatable = 1, .kernel_alignment = 0x200000, .initrd_addr_max = 0x7FFFFFFF,
        .cmdline_size = 2047, .pref_address = 0x1000000, .init_size = 0x800000,
        .payload = 0x5000};
}

static uint8_t *build_kernel(const struct fake_kernel *k, size_t *len)
{
    size_t setup = ((size_t)(k->setup_sects ? k->setup_sects : 4) + 1) * 512;
    *len = setup + k->payload;
    uint8_t *b = calloc(1, *len);
    ck_assert_ptr_nonnull(b);
    b[LINUX_HDR_SETUP_SECTS] = (uint8_t)k->setup_sects;
    st_le32(b + LINUX_HDR_SYSSIZE, (uint32_t)((k->payload + 15) / 16) + k->syssize_extra);
    st_le16(b + LINUX_HDR_BOOT_FLAG, 0xAA55);
    b[LINUX_HDR_JUMP] = 0xEB;
    b[LINUX_HDR_JUMP + 1] = 0x6A; /* header ends at 0x26C */
    memcpy(b + LINUX_HDR_HEADER, "HdrS", 4);
    st_le16(b + LINUX_HDR_VERSION, k->version);
    st_le16(b + LINUX_HDR_KERNEL_VERSION, 0x400); /* string at 0x600 */
    b[LINUX_HDR_LOADFLAGS] = k->loadflags;
    st_le32(b + LINUX_HDR_CODE32_START, 0x100000);
    st_le32(b + LINUX_HDR_INITRD_ADDR_MAX, k->initrd_addr_max);
    st_le32(b + LINUX_HDR_KERNEL_ALIGNMENT, k->kernel_alignment);
    b[LINUX_HDR_RELOCATABLE] = k->relocatable;
    st_le16(b + LINUX_HDR_XLOADFLAGS, k->xloadflags);
    st_le32(b + LINUX_HDR_CMDLINE_SIZE, k->cmdline_size);
    st_le64(b + LINUX_HDR_PREF_ADDRESS, k->pref_address);
    st_le32(b + LINUX_HDR_INIT_SIZE, k->init_size);
    st_le64(b + LINUX_HDR_SETUP_DATA, 0xDEADBEEF); /* must not reach the zero page */
    st_le32(b + LINUX_HDR_HARDWARE_SUBARCH, 3);
    if (setup > 0x640)
        strcpy((char *)b + 0x600, "6.1.0-test (turtles@test) #1 SMP");
    for (size_t i = 0; i < k->payload; i++)
        b[setup + i] = (uint8_t)(i * 7 + 3);
    return b;
}

static const char *kernel_file(const struct fake_kernel *k)
{
    size_t len;
    uint8_t *b = build_kernel(k, &len);
    const char *p = write_file(b, len);
    free(b);
    return p;
}

static struct linux_boot_config config(const char *kernel, const char *initrd,
                                       const char *cmdline)
{
    return (struct linux_boot_config){.kernel_path = kernel, .initrd_path = initrd,
                                      .cmdline = cmdline, .e820 = map, .e820_count = nmap,
                                      .acpi_rsdp_addr = 0xF0000};
}

START_TEST(test_load_64bit)
{
    struct fake_kernel k = default_kernel();
    char kpath[300];
    strcpy(kpath, kernel_file(&k));
    size_t ilen = 1 * MiB + 123;
    uint8_t *initrd = malloc(ilen);
    for (size_t i = 0; i < ilen; i++)
        initrd[i] = (uint8_t)(i ^ (i >> 8));
    char ipath[300];
    strcpy(ipath, write_file(initrd, ilen));

    struct linux_boot_config cfg = config(kpath, ipath, "console=ttyS0 root=/dev/ram0");
    struct boot_cpu_state cpu;
    struct linux_boot_info info;
    char err[256] = "";
    ck_assert_msg(linux_boot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);

    /* Kernel at pref_address (it fits), bytes intact. */
    ck_assert_uint_eq(info.kernel_addr, 0x1000000);
    ck_assert_uint_eq(info.kernel_size, k.payload);
    uint8_t *kb = malloc(k.payload);
    physmem_read_buf(&pm, info.kernel_addr, kb, k.payload);
    for (size_t i = 0; i < k.payload; i++)
        ck_assert_uint_eq(kb[i], (uint8_t)(i * 7 + 3));
    free(kb);
    ck_assert_str_eq(info.kernel_version, "6.1.0-test (turtles@test) #1 SMP");
    ck_assert_uint_eq(info.protocol_version, 0x020F);

    /* Zero page. */
    uint64_t bp = LINUX_BOOT_PARAMS_ADDR;
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_HEADER, 4), 0x53726448);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_VERSION, 2), 0x020F);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_TYPE_OF_LOADER, 1), 0xFF);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_LOADFLAGS, 1),
                      LINUX_LOADFLAG_LOADED_HIGH | LINUX_LOADFLAG_CAN_USE_HEAP);
    ck_assert_uint_ne(physmem_read(&pm, bp + LINUX_HDR_HEAP_END_PTR, 2), 0);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_CMD_LINE_PTR, 4), LINUX_BOOT_CMDLINE_ADDR);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_BP_SENTINEL, 1), 0);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_BP_ACPI_RSDP_ADDR, 8), 0xF0000);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_INIT_SIZE, 4), k.init_size);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_SETUP_DATA, 8), 0);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_HARDWARE_SUBARCH, 4), 0);
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_HDR_PREF_ADDRESS, 8), 0x1000000);
    char cl[64];
    physmem_read_buf(&pm, LINUX_BOOT_CMDLINE_ADDR, cl, sizeof cl);
    ck_assert_str_eq(cl, "console=ttyS0 root=/dev/ram0");

    /* Initrd: page aligned, as high as possible below the ACPI area. */
    uint64_t ri = physmem_read(&pm, bp + LINUX_HDR_RAMDISK_IMAGE, 4);
    uint64_t rs = physmem_read(&pm, bp + LINUX_HDR_RAMDISK_SIZE, 4);
    ck_assert_uint_eq(rs, ilen);
    ck_assert_uint_eq(ri, info.initrd_addr);
    ck_assert_uint_eq(ri & 0xFFF, 0);
    ck_assert_uint_le(ri + rs, ACPI_BASE);
    ck_assert_uint_gt(ri + rs + 0x1000, ACPI_BASE);
    ck_assert_uint_ge(ri, info.kernel_footprint_end);
    uint8_t *ib = malloc(ilen);
    physmem_read_buf(&pm, ri, ib, ilen);
    ck_assert_int_eq(memcmp(ib, initrd, ilen), 0);
    free(ib);
    free(initrd);

    /* e820 copy. */
    ck_assert_uint_eq(physmem_read(&pm, bp + LINUX_BP_E820_ENTRIES, 1), (unsigned)nmap);
    for (int i = 0; i < nmap; i++) {
        uint64_t e = bp + LINUX_BP_E820_TABLE + (uint64_t)i * 20;
        ck_assert_uint_eq(physmem_read(&pm, e, 8), map[i].addr);
        ck_assert_uint_eq(physmem_read(&pm, e + 8, 8), map[i].size);
        ck_assert_uint_eq(physmem_read(&pm, e + 16, 4), map[i].type);
    }

    /* CPU state for the 64-bit entry. */
    ck_assert(cpu.long_mode);
    ck_assert(info.entry_64bit);
    ck_assert_uint_eq(cpu.rip, 0x1000000 + 0x200);
    ck_assert_uint_eq(cpu.rsi, LINUX_BOOT_PARAMS_ADDR);
    ck_assert_uint_eq(cpu.cr3, LINUX_BOOT_PML4_ADDR);
    ck_assert_uint_eq(cpu.cr0 & 0x80000001u, 0x80000001u);
    ck_assert_uint_eq(cpu.cr4 & 0x20, 0x20);
    ck_assert_uint_eq(cpu.efer, 0x500);
    ck_assert_uint_eq(cpu.rflags & 0x200, 0);
    ck_assert_uint_eq(cpu.cs, 0x10);
    ck_assert_uint_eq(cpu.ds, 0x18);
    ck_assert_uint_eq(cpu.cs_seg.ar, BOOT_SEG_AR_CODE64);
    ck_assert_uint_eq(cpu.data_seg.ar, BOOT_SEG_AR_DATA32);
    ck_assert_uint_eq(cpu.gdt_limit, 31);
    ck_assert_uint_eq(physmem_read(&pm, cpu.gdt_base + 0x10, 8), 0x00AF9B000000FFFFull);
    ck_assert_uint_eq(physmem_read(&pm, cpu.gdt_base + 0x18, 8), 0x00CF93000000FFFFull);

    /* Identity map: walk it for a few addresses. */
    uint64_t probes[] = {0, LINUX_BOOT_PARAMS_ADDR, 0x1000200, ri, 0xFEE00000, 0xFFFFFFFF};
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        uint64_t va = probes[i];
        uint64_t pml4e = physmem_read(&pm, cpu.cr3 + ((va >> 39) & 511) * 8, 8);
        ck_assert_uint_eq(pml4e & 1, 1);
        uint64_t pdpte = physmem_read(&pm, (pml4e & ~0xFFFull) + ((va >> 30) & 511) * 8, 8);
        ck_assert_uint_eq(pdpte & 1, 1);
        uint64_t pde = physmem_read(&pm, (pdpte & ~0xFFFull) + ((va >> 21) & 511) * 8, 8);
        ck_assert_uint_eq(pde & 0x83, 0x83);
        ck_assert_uint_eq((pde & ~0x1FFFFFull) | (va & 0x1FFFFF), va);
    }
}
END_TEST

START_TEST(test_fallback_to_1mib_and_32bit)
{
    struct fake_kernel k = default_kernel();
    /* 120 MiB from 16 MiB does not fit in 128 MiB; from 2 MiB it does. */
    k.init_size = 120 * MiB;
    k.xloadflags = 0;
    struct linux_boot_config cfg = config(kernel_file(&k), NULL, NULL);
    struct boot_cpu_state cpu;
    struct linux_boot_info info;
    char err[256] = "";
    ck_assert_msg(linux_boot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(info.kernel_addr, 0x100000);
    ck_assert_uint_eq(info.kernel_footprint_end, 2 * MiB + 120 * MiB);
    ck_assert(!cpu.long_mode);
    ck_assert_uint_eq(cpu.rip, 0x100000);
    ck_assert_uint_eq(cpu.cr0, 0x11);
    ck_assert_uint_eq(cpu.efer, 0);
    ck_assert_uint_eq(cpu.cs_seg.ar, BOOT_SEG_AR_CODE32);
    ck_assert_uint_eq(physmem_read(&pm, cpu.gdt_base + 0x10, 8), 0x00CF9B000000FFFFull);
    ck_assert_uint_eq(physmem_read(&pm, LINUX_BOOT_PARAMS_ADDR + LINUX_HDR_RAMDISK_IMAGE, 4), 0);
    ck_assert_uint_eq(physmem_read(&pm, LINUX_BOOT_CMDLINE_ADDR, 1), 0);
    ck_assert_uint_eq(physmem_read(&pm, LINUX_BOOT_PARAMS_ADDR + LINUX_HDR_CODE32_START, 4),
                      0x100000);

    /* force_32bit_entry on a 64-bit kernel. */
    k = default_kernel();
    cfg = config(kernel_file(&k), NULL, "x");
    cfg.force_32bit_entry = true;
    cfg.vga_text = true;
    ck_assert_msg(linux_boot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);
    ck_assert(!cpu.long_mode);
    ck_assert_uint_eq(cpu.rip, 0x1000000);
    ck_assert_uint_eq(physmem_read(&pm, LINUX_BOOT_PARAMS_ADDR + 0x07, 1), 80);
    ck_assert_uint_eq(physmem_read(&pm, LINUX_BOOT_PARAMS_ADDR + 0x0E, 1), 25);
}
END_TEST

START_TEST(test_initrd_addr_max)
{
    struct fake_kernel k = default_kernel();
    k.initrd_addr_max = 0x2FFFFFF; /* last byte below 48 MiB */
    uint8_t data[5000];
    memset(data, 0x5A, sizeof data);
    char ipath[300];
    strcpy(ipath, write_file(data, sizeof data));
    struct linux_boot_config cfg = config(kernel_file(&k), ipath, "");
    struct boot_cpu_state cpu;
    struct linux_boot_info info;
    char err[256] = "";
    ck_assert_msg(linux_boot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(info.initrd_addr, 0x3000000 - 0x2000);
    ck_assert_uint_eq(info.initrd_size, sizeof data);

    /* The kernel footprint 16..24 MiB and the limit 17 MiB leave room only
     * below the kernel. */
    k.initrd_addr_max = 0x10FFFFF;
    cfg.kernel_path = kernel_file(&k);
    ck_assert_msg(linux_boot_load(&pm, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(info.initrd_addr, 0x1000000 - 0x2000);

    /* An empty initrd file is an error (README: exit status 1), not a
     * boot without an initrd. */
    cfg.initrd_path = write_file(data, 0);
    ck_assert_int_eq(linux_boot_load(&pm, &cfg, &cpu, &info, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "-initrd") && strstr(err, "empty"), "%s", err);
}
END_TEST

static void expect_error(const struct linux_boot_config *cfg, const char *needle)
{
    struct boot_cpu_state cpu;
    char err[256] = "";
    ck_assert_int_eq(linux_boot_load(&pm, cfg, &cpu, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
}

START_TEST(test_errors)
{
    struct fake_kernel k = default_kernel();
    struct linux_boot_config cfg;

    cfg = config("/nonexistent/vmlinuz", NULL, NULL);
    expect_error(&cfg, "No such file");
    cfg = config(tmpdir, NULL, NULL);
    expect_error(&cfg, "not a regular file");
    cfg = config(NULL, NULL, NULL);
    expect_error(&cfg, "no file name");
    cfg = config(write_file("", 0), NULL, NULL);
    expect_error(&cfg, "the file is empty");

    uint8_t garbage[8192];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)(i * 131 + 17);
    cfg = config(write_file(garbage, sizeof garbage), NULL, NULL);
    expect_error(&cfg, "HdrS");

    size_t len;
    uint8_t *b = build_kernel(&k, &len);
    cfg = config(write_file(b, 0x300), NULL, NULL); /* cut inside the setup code */
    expect_error(&cfg, "truncated");
    cfg = config(write_file(b, 0x210), NULL, NULL); /* cut inside the header */
    expect_error(&cfg, "truncated");
    cfg = config(write_file(b, len - 0x100), NULL, NULL); /* kernel shorter than syssize */
    expect_error(&cfg, "truncated");
    free(b);

    k = default_kernel();
    k.version = 0x0205;
    cfg = config(kernel_file(&k), NULL, NULL);
    expect_error(&cfg, "too old");

    k = default_kernel();
    k.loadflags = 0;
    cfg = config(kernel_file(&k), NULL, NULL);
    expect_error(&cfg, "zImage");

    k = default_kernel();
    k.kernel_alignment = 0x3000;
    cfg = config(kernel_file(&k), NULL, NULL);
    expect_error(&cfg, "kernel_alignment");

    k = default_kernel();
    k.cmdline_size = 8;
    cfg = config(kernel_file(&k), NULL, "console=ttyS0");
    expect_error(&cfg, "too long");

    k = default_kernel();
    k.init_size = 200 * MiB;
    cfg = config(kernel_file(&k), NULL, NULL);
    expect_error(&cfg, "not enough RAM");

    k = default_kernel();
    cfg = config(kernel_file(&k), "/nonexistent/initrd", NULL);
    expect_error(&cfg, "/nonexistent/initrd");

    /* An initrd bigger than RAM, as a sparse file. */
    char big[300];
    snprintf(big, sizeof big, "%s/big", tmpdir);
    FILE *f = fopen(big, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), (off_t)(200 * MiB)), 0);
    fclose(f);
    cfg = config(kernel_file(&k), big, NULL);
    expect_error(&cfg, "does not fit");

    cfg = config(kernel_file(&k), NULL, NULL);
    cfg.e820 = NULL;
    expect_error(&cfg, "memory map");
}
END_TEST

/* Random setup headers with valid magic: the loader must answer 0 or -1
 * with a message, never crash (run under ASan in `make test`). */
START_TEST(test_random_headers)
{
    uint32_t seed = 12345;
    for (int iter = 0; iter < 400; iter++) {
        struct fake_kernel k = default_kernel();
        size_t len;
        uint8_t *b = build_kernel(&k, &len);
        for (int j = 0; j < 24; j++) {
            seed = seed * 1103515245u + 12345u;
            size_t off = 0x1F1 + (seed >> 8) % (0x280 - 0x1F1);
            if (off >= LINUX_HDR_HEADER && off < LINUX_HDR_HEADER + 4)
                continue;
            seed = seed * 1103515245u + 12345u;
            b[off] = (uint8_t)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        size_t cut = (seed >> 4) % (len + 1);
        struct linux_boot_config cfg = config(write_file(b, iter & 1 ? len : cut), NULL, "a b c");
        struct boot_cpu_state cpu;
        char err[256] = "";
        int rc = linux_boot_load(&pm, &cfg, &cpu, NULL, err, sizeof err);
        ck_assert(rc == 0 || (rc == -1 && err[0] != 0));
        unlink(cfg.kernel_path);
        free(b);
    }
}
END_TEST

/* The real Debian kernel, when the image script has fetched it. */
START_TEST(test_cmdline_vid_mode)
{
    /* vga= as boot loaders read it (boot.rst): names, numbers, last wins. */
    uint16_t m = 0x1234;
    ck_assert(!linux_cmdline_vid_mode("console=ttyS0 quiet", &m));
    ck_assert_uint_eq(m, 0x1234);
    ck_assert(linux_cmdline_vid_mode("vga=0x318 console=tty0", &m));
    ck_assert_uint_eq(m, 0x318);
    ck_assert(linux_cmdline_vid_mode("vga=791", &m));
    ck_assert_uint_eq(m, 791);
    ck_assert(linux_cmdline_vid_mode("vga=normal", &m));
    ck_assert_uint_eq(m, 0xffff);
    ck_assert(linux_cmdline_vid_mode("vga=ask", &m));
    ck_assert_uint_eq(m, 0xfffd);
    ck_assert(linux_cmdline_vid_mode("vga=ext vga=0x317", &m));
    ck_assert_uint_eq(m, 0x317);
    /* Not a vga= word, or a value that is no mode: the header keeps its own. */
    m = 0x1234;
    ck_assert(!linux_cmdline_vid_mode("xvga=0x318 vga= vga=0x10000 vga=12q", &m));
    ck_assert_uint_eq(m, 0x1234);
}
END_TEST

START_TEST(test_real_kernel)
{
    char path[512], initrd[512];
    const char *env = getenv("TURTLES_VMLINUZ");
    const char *cache = getenv("TURTLES_CACHE");
    const char *home = getenv("HOME");
    char dir[400];
    if (cache)
        snprintf(dir, sizeof dir, "%s", cache);
    else
        snprintf(dir, sizeof dir, "%s/.cache/turtles", home ? home : "/root");
    if (env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s/vmlinuz", dir);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio.gz", dir);
    if (access(path, R_OK) != 0) {
        printf("test_real_kernel: %s not present, skipped\n", path);
        return;
    }
    bool with_initrd = access(initrd, R_OK) == 0;
    struct physmem big;
    ck_assert_int_eq(physmem_init(&big, 256 * MiB, 0xC0000000ull), 0);
    struct e820_entry m[32];
    struct e820_options o = {.acpi_base = 256 * MiB - 0x10000, .acpi_size = 0x10000};
    int n = e820_build(m, 32, 256 * MiB, 256 * MiB, &o);
    struct linux_boot_config cfg = {.kernel_path = path, .cmdline = "console=ttyS0",
                                    .initrd_path = with_initrd ? initrd : NULL, .e820 = m,
                                    .e820_count = n};
    struct boot_cpu_state cpu;
    struct linux_boot_info info;
    char err[256] = "";
    ck_assert_msg(linux_boot_load(&big, &cfg, &cpu, &info, err, sizeof err) == 0, "%s", err);
    printf("test_real_kernel: %s: protocol %x, \"%s\", loaded at 0x%llx, %llu bytes\n", path,
           info.protocol_version, info.kernel_version, (unsigned long long)info.kernel_addr,
           (unsigned long long)info.kernel_size);
    ck_assert_uint_ge(info.protocol_version, 0x020F);
    ck_assert(info.entry_64bit);
    ck_assert(cpu.long_mode);
    ck_assert_uint_eq(info.kernel_addr, 0x1000000); /* Debian's CONFIG_PHYSICAL_START */
    ck_assert_uint_eq(cpu.rip, 0x1000200);
    ck_assert(strncmp(info.kernel_version, "6.", 2) == 0);
    if (with_initrd) {
        printf("test_real_kernel: initrd %s: %llu bytes at 0x%llx\n", initrd,
               (unsigned long long)info.initrd_size, (unsigned long long)info.initrd_addr);
        ck_assert_uint_gt(info.initrd_size, 0);
        ck_assert_uint_ge(info.initrd_addr, info.kernel_footprint_end);
        ck_assert_uint_le(info.initrd_addr + info.initrd_size, 256 * MiB - 0x10000);
        ck_assert_uint_eq(physmem_read(&big, info.initrd_addr, 2), 0x8B1F); /* gzip magic */
    }
    physmem_destroy(&big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linux_boot");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_load_64bit);
    tcase_add_test(tc, test_fallback_to_1mib_and_32bit);
    tcase_add_test(tc, test_initrd_addr_max);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_random_headers);
    tcase_add_test(tc, test_real_kernel);
    tcase_add_test(tc, test_cmdline_vid_mode);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* fw_cfg as QEMU's pc machine fills it (QEMU's hw/i386/fw_cfg.c, x86.c and
 * hw/nvram/fw_cfg.c document the keys; docs/specs/fw_cfg.rst the device). */
#include "frontend/fw_cfg_setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/acpi_tables.h"
#include "bios/direct_boot.h"
#include "bios/e820.h"
#include "bios/linux_boot.h"
#include "bios/multiboot.h"
#include "bios/loader_file.h"
#include "mmu/physmem.h"

#define E820_MAX 16
/* ACPI table offsets the loader patches (ACPI 6.4 5.2.5.3, 5.2.7, 5.2.8, 5.2.9). */
#define RSDP_LEN 36
#define SDT_HEADER_LEN 36
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FACS_ALIGN 64

static const char ACPI_TABLES_FILE[] = "etc/acpi/tables";
static const char ACPI_RSDP_FILE[] = "etc/acpi/rsdp";

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "fw_cfg: %s", msg);
    return -1;
}

/* ---- the linker/loader script ---- */

struct loader_script {
    uint8_t *buf;
    size_t len, cap;
};

static uint8_t *loader_entry(struct loader_script *s, uint32_t command)
{
    if (s->len + FW_CFG_LOADER_ENTRY_SIZE > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16 * FW_CFG_LOADER_ENTRY_SIZE;
        uint8_t *n = realloc(s->buf, cap);
        if (!n)
            return NULL;
        s->buf = n;
        s->cap = cap;
    }
    uint8_t *e = s->buf + s->len;
    memset(e, 0, FW_CFG_LOADER_ENTRY_SIZE);
    st_le32(e, command);
    s->len += FW_CFG_LOADER_ENTRY_SIZE;
    return e;
}

static void put_name(uint8_t *dst, const char *name)
{
    strncpy((char *)dst, name, FW_CFG_FILE_NAME_LEN - 1);
}

static int loader_allocate(struct loader_script *s, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *e = loader_entry(s, FW_CFG_LOADER_ALLOCATE);
    if (!e)
        return -1;
    put_name(e + 4, file);
    st_le32(e + 4 + FW_CFG_FILE_NAME_LEN, align);
    e[8 + FW_CFG_FILE_NAME_LEN] = zone;
    return 0;
}

/* The `size`-byte value at `offset` in `pointer_file` is an offset into
 * `pointee_file`; the firmware adds the pointee's address to it. */
static int loader_add_pointer(struct loader_script *s, const char *pointer_file,
                              const char *pointee_file, uint32_t offset, uint8_t size)
{
    uint8_t *e = loader_entry(s, FW_CFG_LOADER_ADD_POINTER);
    if (!e)
        return -1;
    put_name(e + 4, pointer_file);
    put_name(e + 4 + FW_CFG_FILE_NAME_LEN, pointee_file);
    st_le32(e + 4 + 2 * FW_CFG_FILE_NAME_LEN, offset);
    e[8 + 2 * FW_CFG_FILE_NAME_LEN] = size;
    return 0;
}

/* The firmware subtracts the byte sum of [start, start+length) from the
 * byte at `offset`, which makes the range sum to zero whatever it held. */
static int loader_add_checksum(struct loader_script *s, const char *file, uint32_t offset,
                               uint32_t start, uint32_t length)
{
    uint8_t *e = loader_entry(s, FW_CFG_LOADER_ADD_CHECKSUM);
    if (!e)
        return -1;
    put_name(e + 4, file);
    st_le32(e + 4 + FW_CFG_FILE_NAME_LEN, offset);
    st_le32(e + 8 + FW_CFG_FILE_NAME_LEN, start);
    st_le32(e + 12 + FW_CFG_FILE_NAME_LEN, length);
    return 0;
}

/* ---- ACPI ---- */

/* Rebase a 4- or 8-byte absolute pointer in `blob` to an offset from
 * `base` and ask the loader to relocate it. */
static int relocate(struct loader_script *s, uint8_t *blob, const char *file, uint32_t at,
                    uint8_t size, uint64_t base)
{
    if (size == 4)
        st_le32(blob + at, (uint32_t)(ld_le32(blob + at) - base));
    else
        st_le64(blob + at, ld_le64(blob + at) - base);
    return loader_add_pointer(s, file, ACPI_TABLES_FILE, at, size);
}

/* bios/acpi_tables.c writes its tables into guest memory; here they are
 * built in a scratch address space at a known base, read back, and their
 * absolute pointers turned into loader relocations. */
static int add_acpi(struct fw_cfg *fw, const struct fw_cfg_pc_config *cfg, char *err,
                    size_t errlen)
{
    const uint64_t scratch_ram = 4ull << 20, base = 1ull << 20, area = 1ull << 20;
    struct physmem pm;
    if (physmem_init(&pm, scratch_ram, scratch_ram) < 0)
        return fail(err, errlen, "out of host memory");
    struct acpi_config ac = {
        .ncpus = cfg->ncpus,
        .tables_base = base,
        .tables_size = area,
        .rsdp_addr = ACPI_RSDP_DEFAULT_ADDR,
        .no_hpet = cfg->no_hpet,
        .low_ram_size = cfg->low_ram_size,
    };
    struct acpi_tables_info info;
    char aerr[160] = "";
    if (acpi_build_tables(&pm, &ac, &info, aerr, sizeof(aerr)) < 0) {
        physmem_destroy(&pm);
        snprintf(err, errlen, "fw_cfg: %s", aerr);
        return -1;
    }
    size_t tlen = (size_t)(info.end - base);
    uint8_t *t = malloc(tlen);
    uint8_t rsdp[RSDP_LEN];
    if (!t) {
        physmem_destroy(&pm);
        return fail(err, errlen, "out of host memory");
    }
    physmem_read_buf(&pm, base, t, tlen);
    physmem_read_buf(&pm, info.rsdp, rsdp, sizeof(rsdp));
    physmem_destroy(&pm);

    struct loader_script s = {0};
    int rc = 0;
    uint32_t fadt = (uint32_t)(info.fadt - base), rsdt = (uint32_t)(info.rsdt - base),
             xsdt = (uint32_t)(info.xsdt - base);
    uint32_t rsdt_len = ld_le32(t + rsdt + 4), xsdt_len = ld_le32(t + xsdt + 4);
    uint32_t fadt_len = ld_le32(t + fadt + 4);
    /* FACS sits first in the blob and needs 64-byte alignment (5.2.10). */
    rc |= loader_allocate(&s, ACPI_TABLES_FILE, FACS_ALIGN, FW_CFG_LOADER_ZONE_HIGH);
    /* The RSDP must be found by the 0xE0000-0xFFFFF scan (5.2.5.1). */
    rc |= loader_allocate(&s, ACPI_RSDP_FILE, 16, FW_CFG_LOADER_ZONE_FSEG);
    rc |= relocate(&s, t, ACPI_TABLES_FILE, fadt + FADT_FIRMWARE_CTRL, 4, base);
    rc |= relocate(&s, t, ACPI_TABLES_FILE, fadt + FADT_DSDT, 4, base);
    rc |= relocate(&s, t, ACPI_TABLES_FILE, fadt + FADT_X_FIRMWARE_CTRL, 8, base);
    rc |= relocate(&s, t, ACPI_TABLES_FILE, fadt + FADT_X_DSDT, 8, base);
    rc |= loader_add_checksum(&s, ACPI_TABLES_FILE, fadt + 9, fadt, fadt_len);
    for (uint32_t at = rsdt + SDT_HEADER_LEN; at + 4 <= rsdt + rsdt_len; at += 4)
        rc |= relocate(&s, t, ACPI_TABLES_FILE, at, 4, base);
    rc |= loader_add_checksum(&s, ACPI_TABLES_FILE, rsdt + 9, rsdt, rsdt_len);
    for (uint32_t at = xsdt + SDT_HEADER_LEN; at + 8 <= xsdt + xsdt_len; at += 8)
        rc |= relocate(&s, t, ACPI_TABLES_FILE, at, 8, base);
    rc |= loader_add_checksum(&s, ACPI_TABLES_FILE, xsdt + 9, xsdt, xsdt_len);
    rc |= relocate(&s, rsdp, ACPI_RSDP_FILE, 16, 4, base);
    rc |= relocate(&s, rsdp, ACPI_RSDP_FILE, 24, 8, base);
    /* 5.2.5.3: the first checksum covers the ACPI 1.0 part, the second all. */
    rc |= loader_add_checksum(&s, ACPI_RSDP_FILE, 8, 0, 20);
    rc |= loader_add_checksum(&s, ACPI_RSDP_FILE, 32, 0, RSDP_LEN);
    if (rc == 0 && (fw_cfg_add_file(fw, ACPI_TABLES_FILE, t, tlen) < 0 ||
                    fw_cfg_add_file(fw, ACPI_RSDP_FILE, rsdp, sizeof(rsdp)) < 0 ||
                    fw_cfg_add_file(fw, "etc/table-loader", s.buf, s.len) < 0))
        rc = -1;
    free(t);
    free(s.buf);
    return rc ? fail(err, errlen, "cannot build the ACPI loader files") : 0;
}

/* ---- legacy keys ---- */

/* QEMU's struct hpet_fw_config: a count and up to 8 packed 15-byte entries
 * (event timer block ID, address, minimum tick, page protection). */
#define HPET_FW_ENTRY_LEN 15
#define HPET_FW_MAX 8
#define HPET_MIN_TICK 100

static int add_legacy_keys(struct fw_cfg *fw, const struct fw_cfg_pc_config *cfg)
{
    int rc = 0;
    rc |= fw_cfg_add_bytes(fw, FW_CFG_UUID, cfg->uuid, sizeof(cfg->uuid));
    rc |= fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, cfg->ram_size);
    rc |= fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, cfg->nographic ? 1 : 0);
    rc |= fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)cfg->ncpus);
    rc |= fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)cfg->ncpus);
    rc |= fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, cfg->boot_menu ? 1 : 0);
    if (cfg->boot_menu && cfg->boot_splash_ms >= 0) {
        uint8_t wait[2];
        st_le16(wait, (uint16_t)cfg->boot_splash_ms);
        if (fw_cfg_add_file(fw, "etc/boot-menu-wait", wait, sizeof(wait)) < 0)
            rc = -1;
    }
    /* NUMA: node count 0, then one node number per APIC ID and none per
     * node, all zero (no NUMA topology). */
    size_t numa_len = (1 + (size_t)cfg->ncpus) * 8;
    uint8_t *numa = calloc(1, numa_len);
    if (!numa)
        return -1;
    rc |= fw_cfg_add_bytes(fw, FW_CFG_NUMA, numa, numa_len);
    free(numa);
    /* The MADT routes ISA IRQ0 to GSI 2 (bios/acpi_tables.c). */
    rc |= fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    uint8_t hpet[1 + HPET_FW_MAX * HPET_FW_ENTRY_LEN] = {0};
    if (!cfg->no_hpet) {
        hpet[0] = 1;
        st_le32(hpet + 1, ACPI_HPET_EVENT_TIMER_BLOCK_ID);
        st_le64(hpet + 5, ACPI_HPET_ADDR);
        st_le16(hpet + 13, HPET_MIN_TICK);
    }
    rc |= fw_cfg_add_bytes(fw, FW_CFG_HPET, hpet, sizeof(hpet));
    return rc ? -1 : 0;
}

static int add_e820(struct fw_cfg *fw, const struct fw_cfg_pc_config *cfg)
{
    /* The same builder as direct boot; the firmware allocates the ACPI
     * tables itself, so no ACPI range here. */
    struct e820_entry map[E820_MAX];
    struct e820_options opt = {.bios_rom = true, .no_hpet = cfg->no_hpet};
    int n = e820_build(map, E820_MAX, cfg->ram_size, cfg->low_ram_size, &opt);
    if (n < 0)
        return -1;
    uint8_t packed[E820_MAX * E820_PACKED_SIZE];
    for (int i = 0; i < n; i++)
        e820_pack(packed + (size_t)i * E820_PACKED_SIZE, &map[i]);
    return fw_cfg_add_file(fw, "etc/e820", packed, (size_t)n * E820_PACKED_SIZE) < 0 ? -1 : 0;
}

/* ---- -kernel through firmware (QEMU's x86_load_linux) ---- */

#define ACPI_DATA_RESERVE 0x28000ull  /* what QEMU keeps free below the top of low RAM */
#define SETUP_HDR_MIN 0x250u
#define FW_CFG_NOT_BZIMAGE (-2) /* add_linux: try the multiboot ROM */

static int read_whole(const char *option, const char *path, uint8_t **data, size_t *len,
                      char *err, size_t errlen)
{
    uint64_t size;
    if (loader_read_whole(option, path, 0, data, &size, err, errlen) < 0)
        return -1;
    *len = (size_t)size;
    return 0;
}

static int add_linux(struct fw_cfg *fw, const struct fw_cfg_pc_config *cfg, char *err,
                     size_t errlen)
{
    uint8_t *k = NULL, *initrd = NULL;
    size_t klen, initrd_len = 0;
    if (!cfg->linuxboot_rom || cfg->linuxboot_rom_len < 512)
        return fail(err, errlen, "no linuxboot option ROM");
    int rc = -1;
    if (read_whole("-kernel", cfg->kernel, &k, &klen, err, errlen) < 0)
        goto out;
    /* Linux boot protocol (Documentation/arch/x86/boot.rst): "HdrS" at
     * 0x202, version at 0x206; roms/linuxboot.S needs 2.02 or later. */
    if (klen < SETUP_HDR_MIN || memcmp(k + 0x202, "HdrS", 4) || ld_le16(k + 0x206) < 0x202) {
        fail(err, errlen, "-kernel with -bios needs a bzImage (boot protocol 2.02+)");
        rc = FW_CFG_NOT_BZIMAGE;
        goto out;
    }
    uint16_t protocol = ld_le16(k + 0x206);
    size_t setup_len = ((size_t)(k[0x1f1] ? k[0x1f1] : 4) + 1) * 512;
    if (setup_len >= klen) {
        fail(err, errlen, "kernel setup size exceeds the file");
        goto out;
    }
    /* The RAM check of direct boot (linux_boot_check_fit), on the map the
     * firmware gets: a kernel and initrd that cannot fit are refused here,
     * not left to hang in the firmware. */
    struct linux_header h;
    char why[200];
    if (linux_parse_header(k, klen < LINUX_SETUP_MAX_BYTES ? klen : LINUX_SETUP_MAX_BYTES, klen,
                           &h, why, sizeof why) != 0) {
        snprintf(err, errlen, "-kernel '%s': %s", cfg->kernel, why);
        goto out;
    }
    if (cfg->initrd) {
        if (read_whole("-initrd", cfg->initrd, &initrd, &initrd_len, err, errlen) < 0)
            goto out;
    }
    struct e820_entry map[E820_MAX];
    struct e820_options eo = {.bios_rom = true, .no_hpet = cfg->no_hpet};
    int nmap = e820_build(map, E820_MAX, cfg->ram_size, cfg->low_ram_size, &eo);
    if (nmap < 0 || linux_boot_check_fit(&h, map, nmap, initrd_len, why, sizeof why) != 0) {
        snprintf(err, errlen, "-kernel '%s': %s", cfg->kernel,
                 nmap < 0 ? "no memory map for this RAM layout" : why);
        goto out;
    }
    const char *cmdline = cfg->append ? cfg->append : "";
    k[0x210] = 0xb0; /* type_of_loader: QEMU's ID */
    /* vga=: the kernel's real-mode setup (run by roms/linuxboot.S) sets
     * that video mode through the VGA BIOS (VESA modes through VBE). */
    uint16_t vid_mode;
    if (linux_cmdline_vid_mode(cmdline, &vid_mode))
        st_le16(k + 0x1fa, vid_mode);
    k[0x211] |= 0x80; /* CAN_USE_HEAP */
    st_le16(k + 0x224, (uint16_t)(FW_CFG_LINUX_CMDLINE_ADDR - FW_CFG_LINUX_SETUP_ADDR - 0x200));
    st_le32(k + 0x228, FW_CFG_LINUX_CMDLINE_ADDR);
    if (cfg->initrd) {
        uint64_t max = protocol >= 0x203 ? ld_le32(k + 0x22c) : 0x37ffffffu;
        if (max >= cfg->low_ram_size - ACPI_DATA_RESERVE)
            max = cfg->low_ram_size - ACPI_DATA_RESERVE - 1;
        if (initrd_len > max) {
            fail(err, errlen, "initrd does not fit below the kernel's initrd_addr_max");
            goto out;
        }
        uint32_t initrd_addr = (uint32_t)((max - initrd_len) & ~0xfffull);
        st_le32(k + 0x218, initrd_addr);
        st_le32(k + 0x21c, (uint32_t)initrd_len);
        fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, initrd_addr);
        fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, (uint32_t)initrd_len);
        fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, initrd, initrd_len);
    }
    size_t cmd_len = strlen(cmdline) + 1;
    if (fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, FW_CFG_LINUX_KERNEL_ADDR) < 0 ||
        fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)(klen - setup_len)) < 0 ||
        fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, k + setup_len, klen - setup_len) < 0 ||
        fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, FW_CFG_LINUX_SETUP_ADDR) < 0 ||
        fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, (uint32_t)setup_len) < 0 ||
        fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, k, setup_len) < 0 ||
        fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, FW_CFG_LINUX_CMDLINE_ADDR) < 0 ||
        fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)cmd_len) < 0 ||
        fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, cmdline, cmd_len) < 0 ||
        fw_cfg_add_file(fw, "genroms/linuxboot.bin", cfg->linuxboot_rom, cfg->linuxboot_rom_len) < 0) {
        fail(err, errlen, "out of memory for the kernel");
        goto out;
    }
    rc = 0;
out:
    free(k);
    free(initrd);
    return rc;
}

/* ---- a multiboot -kernel through firmware (roms/multiboot.S) ---- */

/* The multiboot layout of direct boot (bios/multiboot.c) as a load list
 * for the option ROM. The RAM it may use is the firmware's e820 map minus
 * what SeaBIOS takes at the top of low RAM for its tables and QEMU-style
 * ACPI data (the same reserve as the Linux initrd above). */
static int add_multiboot(struct fw_cfg *fw, const struct fw_cfg_pc_config *cfg, char *err,
                         size_t errlen)
{
    if (!cfg->multiboot_rom || cfg->multiboot_rom_len < 512)
        return fail(err, errlen, "no multiboot option ROM");
    struct e820_entry map[E820_MAX];
    struct e820_options eo = {.bios_rom = true, .no_hpet = cfg->no_hpet};
    int nmap = e820_build(map, E820_MAX, cfg->ram_size, cfg->low_ram_size, &eo);
    if (nmap < 0 || cfg->low_ram_size <= ACPI_DATA_RESERVE)
        return fail(err, errlen, "-kernel: no memory map for this RAM layout");
    uint64_t top = cfg->low_ram_size - ACPI_DATA_RESERVE;
    for (int i = 0; i < nmap; i++)
        if (map[i].type == E820_RAM && map[i].addr < top && map[i].addr + map[i].size > top)
            map[i].size = top - map[i].addr;

    int rc = -1;
    uint8_t *list = NULL;
    size_t list_len = 0;
    struct multiboot_args args;
    if (multiboot_args_build(&args, cfg->kernel, cfg->initrd, cfg->append, err, errlen) != 0)
        goto out;
    struct multiboot_config mc = {.kernel_path = cfg->kernel, .cmdline = args.cmdline,
                                  .modules = args.mods, .nmodules = args.nmods, .e820 = map,
                                  .e820_count = nmap};
    char why[256];
    if (multiboot_load_list(&mc, &list, &list_len, NULL, why, sizeof why) != 0) {
        multiboot_args_error(err, errlen, cfg->kernel, why);
        goto out;
    }
    if (list_len > UINT32_MAX ||
        fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)list_len) < 0 ||
        fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, list, list_len) < 0 ||
        fw_cfg_add_file(fw, "genroms/multiboot.bin", cfg->multiboot_rom,
                        cfg->multiboot_rom_len) < 0) {
        fail(err, errlen, "out of memory for the kernel");
        goto out;
    }
    rc = 0;
out:
    multiboot_args_free(&args);
    free(list);
    return rc;
}

int fw_cfg_setup_pc(struct fw_cfg *fw, const struct fw_cfg_pc_config *cfg, char *err,
                    size_t errlen)
{
    if (cfg->ncpus < 1)
        return fail(err, errlen, "no CPUs");
    if (add_legacy_keys(fw, cfg) < 0 || add_e820(fw, cfg) < 0)
        return fail(err, errlen, "cannot add the machine description");
    if (add_acpi(fw, cfg, err, errlen) < 0)
        return -1;
    /* What the firmware does after "No bootable device": wait that many
     * milliseconds and reboot, or (-1, QEMU's default) idle forever. With
     * -no-reboot the reboot ends the run (README). */
    uint8_t wait[4];
    st_le32(wait, (uint32_t)cfg->boot_reboot_timeout);
    if (fw_cfg_add_file(fw, "etc/boot-fail-wait", wait, sizeof(wait)) < 0)
        return fail(err, errlen, "out of memory");
    if (cfg->smbios) {
        uint8_t *table = NULL, anchor[SMBIOS_ANCHOR_LEN];
        size_t len = 0;
        if (smbios_build(cfg->smbios, &table, &len, anchor) < 0 ||
            fw_cfg_add_file(fw, "etc/smbios/smbios-tables", table, len) < 0 ||
            fw_cfg_add_file(fw, "etc/smbios/smbios-anchor", anchor, sizeof(anchor)) < 0) {
            free(table);
            return fail(err, errlen, "out of memory for the SMBIOS tables");
        }
        free(table);
    }
    /* "bootorder": the kernel's option ROM first (boot index 0, as in
     * QEMU), then the devices with a bootindex; without any there is no
     * list and the firmware goes by the CMOS boot order alone. A kernel
     * that is no bzImage is a multiboot one or refused. */
    const char *rom_line = "";
    if (cfg->kernel) {
        int rc = add_linux(fw, cfg, err, errlen);
        rom_line = "/rom@genroms/linuxboot.bin\n";
        if (rc == FW_CFG_NOT_BZIMAGE) {
            rc = add_multiboot(fw, cfg, err, errlen);
            rom_line = "/rom@genroms/multiboot.bin\n";
        }
        if (rc < 0)
            return rc;
    }
    const char *devices = cfg->boot_devices ? cfg->boot_devices : "";
    if (*rom_line || *devices) {
        size_t n = strlen(rom_line) + strlen(devices) + 1;
        char *order = malloc(n);
        if (!order)
            return fail(err, errlen, "out of memory");
        snprintf(order, n, "%s%s", rom_line, devices);
        /* One path a line, the last one ended by the NUL, as QEMU writes
         * it (a final newline would make an empty last entry). */
        size_t len = strlen(order);
        if (len && order[len - 1] == '\n')
            order[--len] = 0;
        n = len + 1;
        int rc = fw_cfg_add_file(fw, "bootorder", order, n);
        free(order);
        if (rc < 0)
            return fail(err, errlen, "out of memory");
    }
    return 0;
}

/* fw_cfg contents as QEMU's pc machine provides them, so firmware written
 * for QEMU (SeaBIOS) runs unchanged: the legacy keys, "etc/e820",
 * "bootorder" (the kernel's ROM, then the drives with a bootindex),
 * "etc/boot-fail-wait", the ACPI tables of bios/acpi_tables.c handed over
 * through QEMU's linker/loader ("etc/table-loader", "etc/acpi/tables",
 * "etc/acpi/rsdp"), and for -kernel with firmware either the Linux
 * kernel/setup/initrd/cmdline keys with "genroms/linuxboot.bin" or a
 * multiboot load list with "genroms/multiboot.bin" (turtles' own option
 * ROMs, roms/). */
#ifndef TURTLES_FRONTEND_FW_CFG_SETUP_H
#define TURTLES_FRONTEND_FW_CFG_SETUP_H

#include <stdbool.h>

#include "bios/smbios.h"
#include <stddef.h>
#include <stdint.h>

#include "devices/fw_cfg.h"

/* QEMU's linker/loader (hw/acpi/bios-linker-loader.c): 128-byte commands. */
#define FW_CFG_LOADER_ENTRY_SIZE 128
#define FW_CFG_LOADER_ALLOCATE 1
#define FW_CFG_LOADER_ADD_POINTER 2
#define FW_CFG_LOADER_ADD_CHECKSUM 3
#define FW_CFG_LOADER_ZONE_HIGH 1
#define FW_CFG_LOADER_ZONE_FSEG 2

/* Where the linuxboot option ROM (roms/linuxboot.S) puts a kernel: the
 * addresses QEMU's x86 loader uses. */
#define FW_CFG_LINUX_SETUP_ADDR 0x10000u
#define FW_CFG_LINUX_CMDLINE_ADDR 0x20000u
#define FW_CFG_LINUX_KERNEL_ADDR 0x100000u

struct fw_cfg_pc_config {
    uint64_t ram_size, low_ram_size;
    int ncpus;
    bool nographic;
    bool no_hpet;
    bool boot_menu;              /* -boot menu=on: FW_CFG_BOOT_MENU */
    const struct smbios_config *smbios; /* NULL: no SMBIOS files */
    uint8_t uuid[16];            /* FW_CFG_UUID, as written (big-endian fields) */
    int32_t boot_splash_ms;      /* -boot splash-time: etc/boot-menu-wait (-1: none) */
    int32_t boot_reboot_timeout; /* -boot reboot-timeout: etc/boot-fail-wait (-1: forever) */
    /* -kernel through firmware (all NULL: none). */
    const char *kernel, *initrd, *append;
    /* The option ROM that loads it (roms/linuxboot.S, embedded in turtles),
     * offered to the firmware as "genroms/linuxboot.bin" with boot index 0. */
    const uint8_t *linuxboot_rom;
    size_t linuxboot_rom_len;
    /* For a -kernel that is no bzImage but a multiboot kernel: roms/
     * multiboot.S as "genroms/multiboot.bin", loading what
     * multiboot_load_list (bios/multiboot.h) puts under FW_CFG_KERNEL_DATA. */
    const uint8_t *multiboot_rom;
    size_t multiboot_rom_len;
    /* "bootorder" lines for the drives with a bootindex, lowest first
     * (frontend/drives.h); NULL or "": none. */
    const char *boot_devices;
};

/* turtles' option ROMs, built from roms/ and embedded in the binary. */
extern const unsigned char turtles_linuxboot_rom[];
extern const unsigned long turtles_linuxboot_rom_len;
extern const unsigned char turtles_multiboot_rom[];
extern const unsigned long turtles_multiboot_rom_len;

/* Fills an initialized fw_cfg. Returns 0, or -1 with a message in err. */
int fw_cfg_setup_pc(struct fw_cfg *fw, const struct fw_cfg_pc_config *cfg, char *err,
                    size_t errlen);

#endif

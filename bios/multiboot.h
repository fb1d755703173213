/* Multiboot (version 0.6.96, "multiboot 1") kernel loader: ELF32 kernels, or
 * any image whose header carries the a.out kludge addresses (flag bit 16),
 * plus modules, command lines and a memory map.
 *
 * Guest-physical layout, as QEMU's loader makes it (an image may use any
 * RAM, low memory included): the image's segments; page aligned above the
 * image (and never below 1 MiB) a GDT (null, null, CS 0x10 flat 32-bit
 * code, DS 0x18 flat data), the info area (the multiboot info struct, then
 * the command lines, boot loader name, memory map, module list) and a
 * stack; then each module, page aligned. */
#ifndef TURTLES_BIOS_MULTIBOOT_H
#define TURTLES_BIOS_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bios/boot_cpu_state.h"
#include "bios/e820.h"
#include "mmu/physmem.h"

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry */
#define MULTIBOOT_SEARCH_LIMIT 8192            /* header within the first 8 KiB */

/* Header flags the loader honours. */
#define MULTIBOOT_FLAG_PAGE_ALIGN 0x00000001u /* modules page aligned: always done */
#define MULTIBOOT_FLAG_MEMORY_INFO 0x00000002u /* mem_* and mmap: always given */
#define MULTIBOOT_FLAG_VIDEO_MODE 0x00000004u  /* accepted; no video info is given */
#define MULTIBOOT_FLAG_AOUT_KLUDGE 0x00010000u

/* multiboot_info.flags bits. */
#define MULTIBOOT_INFO_MEMORY 0x001u
#define MULTIBOOT_INFO_CMDLINE 0x004u
#define MULTIBOOT_INFO_MODS 0x008u
#define MULTIBOOT_INFO_MEM_MAP 0x040u
#define MULTIBOOT_INFO_LOADER_NAME 0x200u

/* The loader's own data (a GDT, a stack, the info structure with its
 * strings, memory map and module list) goes in RAM right after the image,
 * before the modules, as QEMU's loader does: an image may use any RAM,
 * low memory included. */
#define MULTIBOOT_GDT_SIZE 32
#define MULTIBOOT_STACK_SIZE 0x4000ull
#define MULTIBOOT_MAX_MODULES 256
#define MULTIBOOT_INFO_SIZE 88  /* up to and including the VBE fields */
#define MULTIBOOT_MODULE_SIZE 16
#define MULTIBOOT_MMAP_ENTRY_SIZE 24 /* size(4) + base(8) + length(8) + type(4) */

#define MULTIBOOT_CS 0x10
#define MULTIBOOT_DS 0x18

/* The multiboot header as found in the image. */
struct multiboot_header {
    uint32_t offset; /* file offset of the magic */
    uint32_t flags;
    /* a.out kludge, valid when flags has MULTIBOOT_FLAG_AOUT_KLUDGE */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Finds and validates the header in the first `len` bytes of an image.
 * Returns 0, or -1 with a message (no header, bad checksum, required
 * feature not supported). */
int multiboot_find_header(const uint8_t *buf, size_t len, struct multiboot_header *h, char *err,
                          size_t errlen);

struct multiboot_module_spec {
    const char *path;
    const char *cmdline; /* the module's string; NULL: the path is used */
};

struct multiboot_config {
    const char *kernel_path;
    const char *cmdline;  /* passed verbatim (GRUB would put the kernel path first) */
    const struct multiboot_module_spec *modules;
    int nmodules;
    const struct e820_entry *e820;
    int e820_count;
    struct loader_cache *cache; /* NULL, or files kept from an earlier load */
};

struct multiboot_boot_info {
    uint64_t info_addr;              /* multiboot_info struct (EBX) */
    uint64_t kernel_start, kernel_end; /* lowest and past-highest loaded byte, BSS included */
    uint64_t entry;
    bool aout_kludge;
    int nmodules;
    uint64_t modules_end;            /* past the last module's last byte */
};

/* Loads the kernel and modules, writes the info struct and GDT, fills cpu.
 * Returns 0, or -1 with a message in err. `info` may be NULL. */
int multiboot_load(struct physmem *pm, const struct multiboot_config *cfg,
                   struct boot_cpu_state *cpu, struct multiboot_boot_info *info, char *err,
                   size_t errlen);

/* Booting through the firmware: the same layout as multiboot_load, as a
 * load list that turtles' multiboot option ROM (roms/multiboot.S) reads
 * from fw_cfg FW_CFG_KERNEL_DATA and copies with fw_cfg DMA. All values
 * little-endian:
 *   header: u32 magic "TMB1", u32 entry (EIP), u32 info struct address
 *           (EBX), u32 stack top (ESP), u32 number of chunks
 *   chunks: u32 guest-physical address, u32 length, then length bytes
 * The info area leaves mem_lower, mem_upper, mmap_length at 0 and room for
 * MULTIBOOT_FW_MMAP_MAX map entries at mmap_addr: the ROM fills them from
 * the firmware's INT 12h and INT 15h E820, whose map (with the firmware's
 * own reservations) is the one the kernel must see. Every chunk lies at or
 * above 1 MiB, out of the firmware's way while the ROM runs. Returns 0 with
 * *list (malloc'ed) and *len, or -1 with a message. `info` may be NULL. */
#define MULTIBOOT_LIST_MAGIC 0x31424d54u /* "TMB1" */
#define MULTIBOOT_LIST_HEADER_SIZE 20
#define MULTIBOOT_LIST_CHUNK_SIZE 8
#define MULTIBOOT_FW_MMAP_MAX 32
int multiboot_load_list(const struct multiboot_config *cfg, uint8_t **list, size_t *len,
                        struct multiboot_boot_info *info, char *err, size_t errlen);

#endif

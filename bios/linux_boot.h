/* Direct boot of a Linux bzImage through the x86 boot protocol's 32-bit or
 * 64-bit entry (Linux Documentation/arch/x86/boot.rst, protocol 2.06 to
 * 2.15), without firmware or the kernel's real-mode setup code.
 *
 * Guest-physical layout below 1 MiB (all inside the first usable e820
 * range, none of it in the BDA/IVT page or the EBDA):
 *   0x01000  boot GDT (4 entries: null, null, __BOOT_CS 0x10, __BOOT_DS 0x18)
 *   0x02000  PML4            \  64-bit entry only: identity map of the
 *   0x03000  PDPT             } first 4 GiB with 2 MiB pages (4 page
 *   0x04000  4 page dirs     /   directories, 0x4000-0x7FFF)
 *   0x08000-0x0FFFF  stack (RSP starts at 0x10000)
 *   0x10000  struct boot_params (the "zero page", 4 KiB)
 *   0x20000  kernel command line (up to 64 KiB)
 * The kernel's protected-mode part goes to pref_address when the header
 * gives one and it fits in RAM, else to 1 MiB; the initrd goes as high as
 * possible below min(initrd_addr_max + 1, end of its usable e820 range),
 * page aligned, above the kernel's init_size footprint. */
#ifndef TURTLES_BIOS_LINUX_BOOT_H
#define TURTLES_BIOS_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bios/boot_cpu_state.h"
#include "bios/e820.h"
#include "mmu/physmem.h"

#define LINUX_BOOT_GDT_ADDR 0x1000ull
#define LINUX_BOOT_PML4_ADDR 0x2000ull
#define LINUX_BOOT_PDPT_ADDR 0x3000ull
#define LINUX_BOOT_PD_ADDR 0x4000ull
#define LINUX_BOOT_STACK_TOP 0x10000ull
#define LINUX_BOOT_PARAMS_ADDR 0x10000ull
#define LINUX_BOOT_CMDLINE_ADDR 0x20000ull
#define LINUX_BOOT_CMDLINE_MAX 0x10000ull
#define LINUX_BOOT_LOW_END 0x30000ull /* first byte above the loader's own data */
#define LINUX_BOOT_DEFAULT_LOAD 0x100000ull

#define LINUX_BOOT_CS 0x10 /* __BOOT_CS */
#define LINUX_BOOT_DS 0x18 /* __BOOT_DS */

/* Setup header fields (offsets in the bzImage and in boot_params). */
#define LINUX_HDR_SETUP_SECTS 0x1F1
#define LINUX_HDR_SYSSIZE 0x1F4
#define LINUX_HDR_BOOT_FLAG 0x1FE
#define LINUX_HDR_JUMP 0x200
#define LINUX_HDR_HEADER 0x202
#define LINUX_HDR_VERSION 0x206
#define LINUX_HDR_KERNEL_VERSION 0x20E
#define LINUX_HDR_TYPE_OF_LOADER 0x210
#define LINUX_HDR_LOADFLAGS 0x211
#define LINUX_HDR_CODE32_START 0x214
#define LINUX_HDR_RAMDISK_IMAGE 0x218
#define LINUX_HDR_RAMDISK_SIZE 0x21C
#define LINUX_HDR_HEAP_END_PTR 0x224
#define LINUX_HDR_CMD_LINE_PTR 0x228
#define LINUX_HDR_INITRD_ADDR_MAX 0x22C
#define LINUX_HDR_KERNEL_ALIGNMENT 0x230
#define LINUX_HDR_RELOCATABLE 0x234
#define LINUX_HDR_XLOADFLAGS 0x236
#define LINUX_HDR_CMDLINE_SIZE 0x238
#define LINUX_HDR_HARDWARE_SUBARCH 0x23C
#define LINUX_HDR_SETUP_DATA 0x250
#define LINUX_HDR_PREF_ADDRESS 0x258
#define LINUX_HDR_INIT_SIZE 0x260
#define LINUX_HDR_END_MAX 0x280 /* setup header never extends past this */

/* boot_params fields outside the setup header (arch/x86 zero-page.rst). */
#define LINUX_BP_SCREEN_INFO 0x000
#define LINUX_BP_ACPI_RSDP_ADDR 0x070
#define LINUX_BP_EXT_RAMDISK_IMAGE 0x0C0
#define LINUX_BP_EXT_RAMDISK_SIZE 0x0C4
#define LINUX_BP_EXT_CMD_LINE_PTR 0x0C8
#define LINUX_BP_ALT_MEM_K 0x1E0
#define LINUX_BP_E820_ENTRIES 0x1E8
#define LINUX_BP_SENTINEL 0x1EF
#define LINUX_BP_E820_TABLE 0x2D0
#define LINUX_BP_E820_MAX 128
#define LINUX_BP_SIZE 0x1000

#define LINUX_LOADFLAG_LOADED_HIGH 0x01
#define LINUX_LOADFLAG_CAN_USE_HEAP 0x80
#define LINUX_XLF_KERNEL_64 0x0001
#define LINUX_XLF_CAN_BE_LOADED_ABOVE_4G 0x0002

/* What the bzImage header says, parsed and validated. */
/* The boot sector and the largest setup (setup_sects is one byte). */
#define LINUX_SETUP_MAX_BYTES ((255u + 1u) * 512u)

struct linux_header {
    uint16_t version;         /* boot protocol, e.g. 0x020F */
    unsigned setup_sects;     /* 512-byte sectors of real-mode setup after the boot sector */
    uint64_t setup_size;      /* (setup_sects + 1) * 512: file offset of the kernel proper */
    uint64_t kernel_size;     /* bytes of protected-mode kernel in the file */
    uint8_t loadflags;
    uint16_t xloadflags;
    bool relocatable;
    uint32_t kernel_alignment;
    uint32_t initrd_addr_max;
    uint32_t cmdline_size;    /* max command line length without the NUL */
    uint64_t pref_address;
    uint32_t init_size;       /* memory the kernel needs from its load address */
    unsigned header_end;      /* 0x202 + byte at 0x201: end of the setup header */
    char kernel_version[128]; /* the kernel's own version string, "" if absent */
};

/* Parses and validates the first `len` bytes of a bzImage (at least the
 * boot sector and setup sectors; `file_size` is the whole file's size).
 * Returns 0, or -1 with a message in err. */
int linux_parse_header(const uint8_t *buf, size_t len, uint64_t file_size, struct linux_header *h,
                       char *err, size_t errlen);

struct linux_boot_config {
    const char *kernel_path;
    const char *initrd_path;   /* NULL or "": no initrd */
    const char *cmdline;       /* NULL: empty */
    const struct e820_entry *e820; /* the machine's memory map (e820_build) */
    int e820_count;
    uint64_t acpi_rsdp_addr;   /* boot_params.acpi_rsdp_addr; 0 = let Linux scan */
    bool force_32bit_entry;    /* use the 32-bit entry even for a 64-bit kernel */
    bool vga_text;             /* describe an 80x25 VGA text console in screen_info */
    struct loader_cache *cache; /* NULL, or files kept from an earlier load */
};

/* Where things went, for the log and the monitor. */
struct linux_boot_info {
    char kernel_version[128];
    uint16_t protocol_version;
    bool entry_64bit;
    uint64_t kernel_addr, kernel_size; /* protected-mode part as loaded */
    uint64_t kernel_footprint_end;     /* first byte past what init_size may use */
    uint64_t entry;
    uint64_t boot_params_addr;
    uint64_t cmdline_addr, cmdline_len;
    uint64_t initrd_addr, initrd_size; /* 0, 0 when none */
    uint64_t gdt_addr, page_tables_addr; /* page_tables_addr 0 for the 32-bit entry */
};

/* Loads kernel, command line and initrd into guest RAM, builds the zero
 * page and, for the 64-bit entry, the identity page tables; fills `cpu`
 * with the state to start vCPU 0 in. Every input may be missing, truncated
 * or garbage: returns 0, or -1 with a message in err and no guarantee about
 * what was already written to guest RAM. `info` may be NULL. */
/* Whether the kernel of header h and an initrd of initrd_size bytes (0:
 * none) fit in the usable RAM of the memory map, by the rules
 * linux_boot_load places them with; the firmware path (-bios with -kernel)
 * asks the same question before the firmware runs. Returns 0, or -1 with
 * the message linux_boot_load would give. */
int linux_boot_check_fit(const struct linux_header *h, const struct e820_entry *e820,
                         int e820_count, uint64_t initrd_size, char *err, size_t errlen);

int linux_boot_load(struct physmem *pm, const struct linux_boot_config *cfg,
                    struct boot_cpu_state *cpu, struct linux_boot_info *info, char *err,
                    size_t errlen);

/* The setup header's vid_mode (offset 0x1FA) that a "vga=" word of the
 * kernel command line asks for, as boot loaders read it (boot.rst: "vga="
 * is interpreted by the boot loader): normal 0xFFFF, ext 0xFFFE, ask
 * 0xFFFD, or a number (0x318: VESA 1024x768, 24/32 bpp). Returns false
 * when the command line has no usable vga= (the header keeps its value). */
bool linux_cmdline_vid_mode(const char *cmdline, uint16_t *mode);

#endif

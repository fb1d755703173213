/* The BIOS memory map (INT 15h AX=E820h) of the emulated PC.
 *
 * One table is built from the machine's memory layout and handed, in the
 * format each consumer expects, to the Linux zero page, the multiboot mmap
 * and fw_cfg's "etc/e820". */
#ifndef TURTLES_BIOS_E820_H
#define TURTLES_BIOS_E820_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Range types, ACPI 6.4 section 15 (Table 15.1). */
enum e820_type {
    E820_RAM = 1,
    E820_RESERVED = 2,
    E820_ACPI = 3, /* ACPI reclaimable: the tables themselves */
    E820_NVS = 4,  /* ACPI NVS: must survive sleep states */
    E820_UNUSABLE = 5,
};

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type; /* enum e820_type */
};

/* The fixed PC landmarks that the map reserves. */
#define E820_EBDA_BASE 0x9FC00ull        /* 1 KiB extended BIOS data area */
#define E820_LOW_RAM_END 0xA0000ull      /* end of conventional memory */
#define E820_BIOS_AREA_BASE 0xF0000ull   /* system BIOS segment */
#define E820_HIGH_MEM_BASE 0x100000ull   /* 1 MiB */
#define E820_IOAPIC_BASE 0xFEC00000ull
#define E820_IOAPIC_SIZE 0x1000ull
#define E820_HPET_BASE 0xFED00000ull
#define E820_HPET_SIZE 0x1000ull
#define E820_LAPIC_BASE 0xFEE00000ull
#define E820_LAPIC_SIZE 0x1000ull
#define E820_BIOS_ROM_BASE 0xFFFC0000ull /* 256 KiB flash alias below 4 GiB */
#define E820_BIOS_ROM_SIZE 0x40000ull

/* Size of one entry in the packed 20-byte form used by the Linux zero page
 * and fw_cfg (addr u64, size u64, type u32, little endian). */
#define E820_PACKED_SIZE 20

struct e820_options {
    /* RAM range [acpi_base, acpi_base + acpi_size) inside low RAM above
     * 1 MiB that holds the ACPI tables; size 0 = none. */
    uint64_t acpi_base, acpi_size;
    uint32_t acpi_type;        /* E820_ACPI (default when 0) or E820_NVS */
    bool bios_rom;             /* reserve E820_BIOS_ROM_BASE.. (firmware mapped there) */
    bool no_hpet;              /* leave out the HPET range (no HPET on this machine) */
};

/* Builds the map for `ram_size` bytes of RAM of which `low_ram_size` sit at
 * address 0 and the rest at 4 GiB (mmu/physmem.h layout). `opt` may be NULL.
 * Entries come out sorted by address and never overlap.
 * Returns the number of entries written, or -1 when `max` is too small or
 * the options are inconsistent (ACPI range outside low RAM above 1 MiB). */
int e820_build(struct e820_entry *out, int max, uint64_t ram_size, uint64_t low_ram_size,
               const struct e820_options *opt);

/* Writes entry `e` in the packed 20-byte form into `dst`. */
void e820_pack(uint8_t dst[E820_PACKED_SIZE], const struct e820_entry *e);

/* Bytes of usable RAM starting at `base` without a hole (multiboot mem_upper
 * and the like); 0 when `base` is not in a usable range. */
uint64_t e820_contiguous_ram(const struct e820_entry *map, int n, uint64_t base);

/* True when [addr, addr + size) lies entirely inside one usable (E820_RAM)
 * range. */
bool e820_range_is_ram(const struct e820_entry *map, int n, uint64_t addr, uint64_t size);

const char *e820_type_name(uint32_t type);

#endif

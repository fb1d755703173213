/* The e820 map: see e820.h. */
#include "bios/e820.h"


static bool e820_push(struct e820_entry *out, int max, int *n, uint64_t addr, uint64_t size,
                      uint32_t type)
{
    if (size == 0)
        return true;
    if (*n >= max)
        return false;
    out[*n].addr = addr;
    out[*n].size = size;
    out[*n].type = type;
    (*n)++;
    return true;
}

int e820_build(struct e820_entry *out, int max, uint64_t ram_size, uint64_t low_ram_size,
               const struct e820_options *opt)
{
    static const struct e820_options no_options;
    if (!opt)
        opt = &no_options;
    if (!out || max < 0 || low_ram_size > ram_size)
        return -1;
    /* Low RAM must end below the fixed MMIO ranges, or it would overlap them. */
    if (low_ram_size > E820_IOAPIC_BASE)
        return -1;

    uint64_t acpi_base = opt->acpi_base, acpi_size = opt->acpi_size;
    if (acpi_size) {
        if (acpi_base < E820_HIGH_MEM_BASE || acpi_base + acpi_size < acpi_base ||
            acpi_base + acpi_size > low_ram_size)
            return -1;
    }
    uint32_t acpi_type = opt->acpi_type ? opt->acpi_type : E820_ACPI;

    int n = 0;
    bool ok = true;
    /* Conventional memory up to the EBDA, which the BIOS keeps for itself. */
    uint64_t conv_end = low_ram_size < E820_EBDA_BASE ? low_ram_size : E820_EBDA_BASE;
    ok &= e820_push(out, max, &n, 0, conv_end, E820_RAM);
    if (low_ram_size > E820_EBDA_BASE)
        ok &= e820_push(out, max, &n, E820_EBDA_BASE, E820_LOW_RAM_END - E820_EBDA_BASE,
                        E820_RESERVED);
    /* 0xA0000-0xEFFFF (VGA window, option ROMs) is left out of the map: a
     * hole reads as reserved to every OS. */
    ok &= e820_push(out, max, &n, E820_BIOS_AREA_BASE, E820_HIGH_MEM_BASE - E820_BIOS_AREA_BASE,
                    E820_RESERVED);
    if (low_ram_size > E820_HIGH_MEM_BASE) {
        if (acpi_size) {
            ok &= e820_push(out, max, &n, E820_HIGH_MEM_BASE, acpi_base - E820_HIGH_MEM_BASE,
                            E820_RAM);
            ok &= e820_push(out, max, &n, acpi_base, acpi_size, acpi_type);
            ok &= e820_push(out, max, &n, acpi_base + acpi_size,
                            low_ram_size - (acpi_base + acpi_size), E820_RAM);
        } else {
            ok &= e820_push(out, max, &n, E820_HIGH_MEM_BASE, low_ram_size - E820_HIGH_MEM_BASE,
                            E820_RAM);
        }
    }
    ok &= e820_push(out, max, &n, E820_IOAPIC_BASE, E820_IOAPIC_SIZE, E820_RESERVED);
    if (!opt->no_hpet)
        ok &= e820_push(out, max, &n, E820_HPET_BASE, E820_HPET_SIZE, E820_RESERVED);
    ok &= e820_push(out, max, &n, E820_LAPIC_BASE, E820_LAPIC_SIZE, E820_RESERVED);
    if (opt->bios_rom)
        ok &= e820_push(out, max, &n, E820_BIOS_ROM_BASE, E820_BIOS_ROM_SIZE, E820_RESERVED);
    if (ram_size > low_ram_size)
        ok &= e820_push(out, max, &n, 0x100000000ull, ram_size - low_ram_size, E820_RAM);
    return ok ? n : -1;
}

void e820_pack(uint8_t dst[E820_PACKED_SIZE], const struct e820_entry *e)
{
    for (int i = 0; i < 8; i++) {
        dst[i] = (uint8_t)(e->addr >> (8 * i));
        dst[8 + i] = (uint8_t)(e->size >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        dst[16 + i] = (uint8_t)(e->type >> (8 * i));
}

uint64_t e820_contiguous_ram(const struct e820_entry *map, int n, uint64_t base)
{
    uint64_t end = base;
    bool grew = true;
    /* Adjacent usable entries count as one range; the map is short, so a
     * repeated scan is fine and does not depend on the entries' order. */
    while (grew) {
        grew = false;
        for (int i = 0; i < n; i++) {
            const struct e820_entry *e = &map[i];
            if (e->type == E820_RAM && e->addr <= end && e->addr + e->size > end) {
                end = e->addr + e->size;
                grew = true;
            }
        }
    }
    return end - base;
}

bool e820_range_is_ram(const struct e820_entry *map, int n, uint64_t addr, uint64_t size)
{
    if (addr + size < addr)
        return false;
    for (int i = 0; i < n; i++) {
        const struct e820_entry *e = &map[i];
        if (e->type == E820_RAM && addr >= e->addr && addr + size <= e->addr + e->size)
            return true;
    }
    return false;
}

const char *e820_type_name(uint32_t type)
{
    switch (type) {
    case E820_RAM: return "usable";
    case E820_RESERVED: return "reserved";
    case E820_ACPI: return "ACPI data";
    case E820_NVS: return "ACPI NVS";
    case E820_UNUSABLE: return "unusable";
    default: return "unknown";
    }
}

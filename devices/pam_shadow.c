/* See pam_shadow.h. */
#include "devices/pam_shadow.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Reads of mode 2, and of mode 0 where no ROM reaches: the ROM's bytes or
 * 0xFF (no device decodes the address). */
static uint64_t cb_read(void *opaque, uint64_t off, unsigned size)
{
    const struct pam_segment *s = opaque;
    /* Modes 1 and 3 come here only when there is no RAM under the segment. */
    bool rom = s->rom && (s->mode == 0 || s->mode == 2);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = rom && off + i < s->size ? s->rom[off + i] : 0xff;
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

/* Writes of mode 2 reach the RAM under the segment; those of mode 0 go
 * nowhere. */
static void cb_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    struct pam_segment *s = opaque;
    if (s->mode != 2)
        return;
    for (unsigned i = 0; i < size && off + i < s->size; i++) {
        uint64_t a = s->base + off + i;
        uint64_t ram = a < s->pm->low_ram_size ? a : UINT64_MAX;
        if (ram == UINT64_MAX)
            continue;
        s->pm->ram[ram] = (uint8_t)(value >> (8 * i));
        if (physmem_page_has_code(s->pm, ram))
            physmem_note_write(s->pm, a, 1);
    }
}

int pam_shadow_init(struct pam_shadow *ps, struct physmem *pm, const uint8_t *bios,
                    size_t bios_size)
{
    memset(ps, 0, sizeof *ps);
    size_t low = bios_size < PAM_LOW_BIOS_MAX ? bios_size : PAM_LOW_BIOS_MAX;
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        struct pam_segment *s = &ps->seg[i];
        if (i < 12) {
            s->base = 0xC0000u + (uint32_t)i * 0x4000u;
            s->size = 0x4000u;
            s->reg = 1 + (unsigned)i / 2;
            s->shift = (i & 1) ? 4 : 0;
        } else {
            s->base = 0xF0000u;
            s->size = 0x10000u;
            s->reg = 0;
            s->shift = 4;
        }
        if (bios && s->base >= 0x100000u - low)
            s->rom = bios + bios_size - (0x100000u - s->base);
        snprintf(s->name, sizeof s->name, "shadow-%05x", s->base);
        struct mmio_region r = {.base = s->base, .name = s->name};
        s->region = physmem_add_region(pm, &r);
        if (s->region < 0)
            return -1;
        s->pm = pm; /* from here on pam_shadow_apply maps it */
    }
    static const uint8_t reset_pam[I440FX_NUM_PAM];
    pam_shadow_apply(ps, reset_pam);
    return 0;
}

void pam_shadow_apply(struct pam_shadow *ps, const uint8_t pam[I440FX_NUM_PAM])
{
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        struct pam_segment *s = &ps->seg[i];
        if (!s->pm)
            continue; /* not set up (no pam_shadow_init yet) */
        s->mode = (pam[s->reg] >> s->shift) & 3;
        bool ram_behind = s->base + s->size <= s->pm->low_ram_size;
        struct mmio_region r = {.base = s->base, .size = s->size, .name = s->name};
        if (s->mode == 0 && s->rom) {
            r.rom_data = s->rom;
        } else if (s->mode == 1 && ram_behind) {
            /* A view of RAM as it is now: physmem_clear_ram replaces the
             * buffer, and every boot sets the PAM again after it. */
            r.rom_data = s->pm->ram + s->base;
        } else if (s->mode == 3 && ram_behind) {
            r.size = 0; /* plain RAM, the CPU's fast path */
        } else {
            r.opaque = s;
            r.read = cb_read;
            r.write = cb_write;
        }
        physmem_set_region(s->pm, s->region, &r);
    }
}

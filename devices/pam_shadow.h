/* The i440FX's shadow RAM control: what reads and writes of 0xC0000-0xFFFFF
 * reach, segment by segment, as its PAM registers say (Intel 82441FX PMC
 * datasheet, 3.2.18 "PAM - Programmable Attribute Map Registers"):
 *   PAM0 bits 5:4           0xF0000-0xFFFFF (the BIOS area, 64 KiB)
 *   PAM1..PAM6 bits 1:0/5:4 0xC0000-0xEFFFF in 16 KiB segments, lower/upper
 * Each two-bit field: bit 0 RE (reads go to RAM), bit 1 WE (writes go to
 * RAM); what is not sent to RAM goes to ROM/PCI. turtles has nothing on PCI
 * there, so:
 *   0 off      reads: the BIOS ROM's low copy where it reaches, else 0xFF
 *              (nothing answers); writes are dropped
 *   1 RE only  reads: RAM; writes dropped (how firmware write-protects its
 *              shadowed code: SeaBIOS leaves 0xF0000 and its option ROMs so)
 *   2 WE only  reads: ROM (or 0xFF); writes: RAM (copying a ROM onto its
 *              own shadow in place)
 *   3 RE+WE    plain RAM
 * Each segment is one physmem overlay region whose kind follows the mode:
 * the ROM itself (mode 0 with a ROM), the RAM as a read-only image (mode 1:
 * as fast as ROM, and its code can be cached), callbacks (mode 2, and mode
 * 0 without a ROM), none (mode 3). */
#ifndef TURTLES_DEVICES_PAM_SHADOW_H
#define TURTLES_DEVICES_PAM_SHADOW_H

#include <stddef.h>
#include <stdint.h>

#include "devices/piix.h"
#include "mmu/physmem.h"

#define PAM_SEGMENTS 13 /* 12 x 16 KiB in 0xC0000-0xEFFFF, 64 KiB at 0xF0000 */
#define PAM_LOW_BIOS_MAX 0x20000u /* the BIOS's last 128 KiB appear below 1 MiB */

struct pam_segment {
    struct physmem *pm;
    uint32_t base, size;
    unsigned reg, shift;   /* pam[reg] >> shift & 3 */
    unsigned mode;
    const uint8_t *rom;    /* the BIOS bytes behind it, or NULL */
    int region;            /* its physmem region */
    char name[24];
};

struct pam_shadow {
    struct pam_segment seg[PAM_SEGMENTS];
};

/* Adds the segments' regions to pm, all as mode 0. bios/bios_size: the
 * firmware image, whose last min(size, 128 KiB) bytes end at 1 MiB (NULL:
 * none). Returns 0, or -1 when physmem has no room for the regions. */
int pam_shadow_init(struct pam_shadow *ps, struct physmem *pm, const uint8_t *bios,
                    size_t bios_size);

/* Remaps every segment for the PAM registers pam[0..6]. The caller drops
 * decoded code and TLB entries (the bytes behind an address may change). */
void pam_shadow_apply(struct pam_shadow *ps, const uint8_t pam[I440FX_NUM_PAM]);

#endif

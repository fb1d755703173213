/* Standard VGA on PCI with the Bochs VBE ("DISPI") extensions, as the
 * firmware and guests know it from QEMU's `-vga std` (PCI 1234:1111):
 *
 * - VGA registers at 3B4/3B5/3BA, 3C0-3CF, 3D4/3D5/3DA: sequencer, graphics
 *   controller, CRT controller, attribute controller, DAC, miscellaneous
 *   output, input status (IBM VGA Technical Reference; FreeVGA's register
 *   descriptions);
 * - 256 KiB of planar video memory through the legacy window A0000-BFFFF
 *   (GR6 memory map), with the four write modes, two read modes, latches,
 *   set/reset, data rotate, logical functions, bit mask, map mask, odd/even
 *   (text modes) and chain-4 (mode 13h) addressing;
 * - the Bochs VBE interface: index port 0x1CE, data port 0x1CF (and 0x1D0),
 *   registers ID..VIDEO_MEMORY_64K, a 64 KiB bank window at A0000 and the
 *   linear framebuffer (BAR0, 16 MiB, prefetchable);
 * - BAR2, 4 KiB of MMIO as in QEMU's stdvga ("qemu extended regs"): VGA
 *   ports 3C0-3DF at 0x400, the VBE registers as 16-bit words at 0x500,
 *   the extended-register size and byte order at 0x600 (bochs-drm uses it);
 * - an expansion ROM BAR carrying the VGA BIOS (SeaBIOS's
 *   vgabios-stdvga.bin), which the firmware copies to C0000 and runs.
 *
 * Video memory is interleaved by plane: plane p of planar offset o is
 * vram[o * 4 + p], so chain-4 and the VBE modes see a linear byte array. */
#ifndef TURTLES_DEVICES_VGA_H
#define TURTLES_DEVICES_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/pci.h"

#define VGA_VRAM_SIZE (16u << 20)
#define VGA_DIRTY_PAGE 4096u
#define VGA_LEGACY_BASE 0xa0000u
#define VGA_LEGACY_SIZE 0x20000u
#define VGA_VBE_INDEX_PORT 0x1ce
#define VGA_VBE_DATA_PORT 0x1cf
#define VGA_MMIO_BAR_SIZE 4096u
#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111

/* VBE DISPI registers (Bochs vbe.h numbering). */
enum {
    VBE_ID, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH,
    VBE_VIRT_HEIGHT, VBE_X_OFFSET, VBE_Y_OFFSET, VBE_VIDEO_MEMORY_64K, VBE_NUM_REGS
};
#define VBE_ID0 0xb0c0
#define VBE_ID5 0xb0c5
#define VBE_ENABLED 0x01
#define VBE_GETCAPS 0x02
#define VBE_8BIT_DAC 0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM 0x80
#define VBE_MAX_XRES 2560
#define VBE_MAX_YRES 1600
#define VBE_MAX_BPP 32

struct vga {
    struct pci_device pci;
    struct physmem *mem;
    uint8_t *vram;            /* VGA_VRAM_SIZE bytes */
    const uint8_t *rom;       /* the VGA BIOS (not owned), NULL: none */
    size_t rom_len;

    uint8_t misc;             /* miscellaneous output (3C2 write, 3CC read) */
    uint8_t seq_index, seq[8];
    uint8_t gr_index, gr[16];
    uint8_t crtc_index, crtc[32];
    uint8_t attr_index, attr[32];
    bool attr_data_next;      /* 3C0 flip-flop: the next write is data */
    uint8_t dac_read_index, dac_write_index, dac_component, dac_state;
    uint8_t dac[256 * 3];     /* 6-bit components (8-bit with VBE_8BIT_DAC) */
    uint8_t pel_mask;
    uint8_t feature;
    uint8_t status_toggle;    /* drives the retrace bits of input status 1 */
    uint32_t latch;           /* the four plane latches, plane p in bits 8p..8p+7 */

    uint16_t vbe_index;
    uint16_t vbe[VBE_NUM_REGS];
    uint32_t vbe_line_bytes;  /* bytes per scan line of the virtual screen */
    uint32_t vbe_start;       /* byte offset of the displayed start */

    /* What changed since the display last drew (devices/vga_render.c reads
     * and clears these): one bit per 4 KiB page of vram written, and any
     * register write. An idle screen leaves both clear, so the display
     * does no work for it. Not machine state: a display cache. */
    uint64_t dirty_pages[VGA_VRAM_SIZE / VGA_DIRTY_PAGE / 64];
    bool regs_dirty;
};

/* Registers the VGA at PCI devfn (slot 2 as in QEMU: PCI_DEVFN(2, 0)),
 * its ports and the legacy window. rom/rom_len: the VGA BIOS offered through
 * the expansion ROM BAR (NULL: no ROM BAR). Returns 0, or -1. */
int vga_init(struct vga *v, struct pci_bus *bus, uint8_t devfn, const struct device_env *env,
             const uint8_t *rom, size_t rom_len);
void vga_reset(struct vga *v);
void vga_destroy(struct vga *v);

/* The screen as text when a text mode is displayed: rows of `cols`
 * characters (code page 437 bytes, NUL-free: 0 shows as a space), each row
 * ended by '\n', into buf (NUL-terminated). Returns the number of rows, 0
 * when a graphics mode is displayed (or nothing fits). */
int vga_text_screen(const struct vga *v, char *buf, size_t len, int *cols);

/* Whether any vram byte in [start, start + len) was written since the
 * dirty marks were last cleared (vga_clear_dirty). */
bool vga_range_dirty(const struct vga *v, uint64_t start, uint64_t len);
bool vga_any_dirty(const struct vga *v);
void vga_clear_dirty(struct vga *v);
/* Marks everything dirty (after a reset or a snapshot load). */
void vga_mark_all_dirty(struct vga *v);

/* True when the VBE interface (not the VGA) drives the display. */
bool vga_vbe_active(const struct vga *v);

#endif

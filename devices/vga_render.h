/* The VGA's picture: turns the state of devices/vga.c (registers, DAC,
 * video memory) into an RGB image, as the monitor would show it:
 *
 * - text modes with the font the BIOS loaded into plane 2, the attribute
 *   byte's colours through the attribute controller palette and the DAC,
 *   8- or 9-dot characters (line graphics), blinking and the cursor;
 * - the planar 16-colour graphics modes (0Dh-12h), the 256-colour modes
 *   (chain-4 13h and unchained "mode X"), the CGA 4- and 2-colour modes;
 * - the Bochs VBE modes at 8 (through the DAC), 15, 16, 24 and 32 bits
 *   per pixel, at their resolution, virtual width and display start.
 *
 * A frame remembers what it last drew. An incremental update redraws only
 * the scan lines (graphics) or character cells (text) whose video memory
 * was written since (the VGA's dirty page marks, which it consumes), all
 * of it when a register changed; with nothing written it does nothing.
 * A full update (screendump) ignores and keeps the marks. */
#ifndef TURTLES_DEVICES_VGA_RENDER_H
#define TURTLES_DEVICES_VGA_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/vga.h"

enum vga_render_kind {
    VGA_RENDER_BLANK,    /* screen off or nothing programmed: one black frame */
    VGA_RENDER_TEXT,
    VGA_RENDER_PLANAR16, /* 4 planes, 1 bit each per pixel */
    VGA_RENDER_CGA4,     /* shift register interleave: 2 bits per pixel (mode 6,
                          * 640x200 2-colour, is PLANAR16 with one plane) */
    VGA_RENDER_VGA256,   /* 8 bits per pixel through the 256-colour shift */
    VGA_RENDER_VBE,
};

/* Everything that decides how vram becomes pixels: when any of it changes
 * the whole frame is drawn again. */
struct vga_render_mode {
    enum vga_render_kind kind;
    int width, height;      /* pixels of the image */
    uint32_t start;         /* first displayed byte (VBE) or planar offset (VGA) */
    uint32_t stride;        /* bytes (VBE) or planar offsets (VGA) per line or text row */
    unsigned bpp;           /* VBE bits per pixel */
    unsigned cols, rows;    /* text */
    unsigned char_width, char_height, dot_double; /* text: 8/9, scan lines, 2 = 40-col */
    unsigned line_repeat;   /* graphics: scan lines per distinct line (scan doubling) */
    unsigned max_scan;      /* graphics: CR9 maximum scan line + 1 (CGA banks) */
    uint8_t cga_banks;      /* graphics: CR17 bits 0-1 (0 bit: odd scan lines use a bank) */
    uint8_t addr_shift;     /* graphics: 0 byte, 1 word, 2 doubleword CRTC addressing */
    uint8_t text_flags;     /* AR10: bit 2 line graphics, bit 3 blink */
    uint8_t char_map;       /* SR3 */
    uint8_t plane_enable;   /* AR12 */
    uint8_t cursor_start, cursor_end;
    uint32_t cursor_addr;   /* planar offset of the cursor cell */
};

struct vga_frame {
    uint32_t *pixels;       /* width * height, 0x00RRGGBB, row after row */
    int width, height;
    size_t capacity;        /* pixels allocated */
    bool valid;             /* pixels hold the picture of `mode` */
    struct vga_render_mode mode;
    uint32_t palette[256];  /* the colours the pixels were drawn with */
    /* text: what each cell showed (char | attr << 8), the font it used,
     * and the blink phases */
    uint16_t *cells;
    size_t cells_cap;
    uint8_t font[2][256 * 32];
    bool blink_on, cursor_on;
};

void vga_frame_init(struct vga_frame *f);
void vga_frame_free(struct vga_frame *f);

/* Brings f up to date with v. incremental: draw only what the dirty marks
 * say changed, and clear the marks; otherwise draw everything and leave
 * the marks alone. now_ms (host milliseconds) picks the blink phases
 * (cursor every 133 ms, blinking text every 267 ms, as the VGA's 16 and
 * 32 frames at 60 Hz); a full update with now_ms 0 draws both shown.
 * Returns the number of changed scan lines (0: nothing changed), their
 * span in [*y0, *y1), or -1 when the frame could not be allocated. */
int vga_render(struct vga *v, struct vga_frame *f, bool incremental, uint64_t now_ms, int *y0,
               int *y1);

/* The mode the VGA displays now (also what vga_render draws). */
void vga_render_mode_of(const struct vga *v, struct vga_render_mode *m);

#endif

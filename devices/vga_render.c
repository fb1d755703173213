/* The VGA's picture (devices/vga_render.h). Register meanings as in the
 * IBM VGA Technical Reference (FreeVGA's descriptions).
 *
 * Addresses: devices/vga.c keeps plane p of planar offset o at
 * vram[o * 4 + p] and packs the CPU's odd/even and chain-4 addresses into
 * consecutive planar offsets. In that layout the CRTC's character address
 * counter (MA) is the planar offset in every addressing mode (byte, word,
 * doubleword), each line or text row advances by CR13 * 2, and the CGA
 * bank bits that CR17 substitutes for the scan line sit at bit 13 - shift
 * (shift = 0 byte, 1 word, 2 doubleword mode). */
#include "devices/vga_render.h"

#include <stdlib.h>
#include <string.h>

#define PLANE_SIZE 0x10000u     /* planar offsets per plane */
#define MAX_IMAGE_DIM 4096
#define BLANK_WIDTH 640
#define BLANK_HEIGHT 480

static unsigned vertical_display_end(const struct vga *v)
{
    return v->crtc[0x12] | ((v->crtc[7] & 0x02u) << 7) | ((v->crtc[7] & 0x40u) << 3);
}

/* The DAC entry as 8-bit RGB: 6-bit components unless the VBE 8-bit DAC
 * is switched on. */
static uint32_t dac_rgb(const struct vga *v, unsigned i)
{
    const uint8_t *c = &v->dac[(i & 0xff) * 3];
    if (v->vbe[VBE_ENABLE] & VBE_8BIT_DAC)
        return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
    uint32_t r = (c[0] & 0x3fu) << 2 | (c[0] & 0x3fu) >> 4;
    uint32_t g = (c[1] & 0x3fu) << 2 | (c[1] & 0x3fu) >> 4;
    uint32_t b = (c[2] & 0x3fu) << 2 | (c[2] & 0x3fu) >> 4;
    return r << 16 | g << 8 | b;
}

/* The colours a mode's pixel values show: a 4-bit value goes through the
 * attribute controller's palette (AR0-ARF), colour select (AR14, with
 * AR10 bit 7 choosing where bits 5:4 come from) and the PEL mask to the
 * DAC; an 8-bit value (256-colour, VBE 8 bpp) goes to the DAC directly. */
static void build_palette(const struct vga *v, const struct vga_render_mode *m, uint32_t pal[256])
{
    if (m->kind == VGA_RENDER_VGA256 || m->kind == VGA_RENDER_VBE) {
        for (unsigned i = 0; i < 256; i++)
            pal[i] = dac_rgb(v, i & v->pel_mask);
        return;
    }
    memset(pal, 0, 256 * sizeof(pal[0]));
    uint8_t ar10 = v->attr[0x10], ar14 = v->attr[0x14];
    for (unsigned i = 0; i < 16; i++) {
        uint8_t p = v->attr[i] & 0x3f;
        unsigned idx = (ar10 & 0x80) ? (p & 0x0fu) | (ar14 & 0x03u) << 4 : p;
        idx |= (ar14 & 0x0cu) << 4;
        pal[i] = dac_rgb(v, idx & v->pel_mask);
    }
}

static void blank_mode(struct vga_render_mode *m, int width, int height)
{
    memset(m, 0, sizeof(*m));
    m->kind = VGA_RENDER_BLANK;
    m->width = width;
    m->height = height;
}

void vga_render_mode_of(const struct vga *v, struct vga_render_mode *m)
{
    memset(m, 0, sizeof(*m));
    if (v->vbe[VBE_ENABLE] & VBE_ENABLED) {
        unsigned bpp = v->vbe[VBE_BPP];
        if (bpp < 8 || !v->vbe[VBE_XRES] || !v->vbe[VBE_YRES]) {
            /* 4 bpp VBE modes (planar through the VGA) are not drawn. */
            blank_mode(m, v->vbe[VBE_XRES] ? v->vbe[VBE_XRES] : BLANK_WIDTH,
                       v->vbe[VBE_YRES] ? v->vbe[VBE_YRES] : BLANK_HEIGHT);
            return;
        }
        m->kind = VGA_RENDER_VBE;
        m->width = v->vbe[VBE_XRES];
        m->height = v->vbe[VBE_YRES];
        m->bpp = bpp;
        m->stride = v->vbe_line_bytes;
        m->start = v->vbe_start;
        return;
    }
    unsigned lines = vertical_display_end(v) + 1;
    unsigned ds = (v->crtc[9] & 0x80) ? 2 : 1;   /* CR9 bit 7: scan doubling */
    unsigned msl = (v->crtc[9] & 0x1fu) + 1;     /* scan lines per character row */
    unsigned cols = v->crtc[1] + 1u;             /* character clocks per line */
    m->start = (uint32_t)v->crtc[0xc] << 8 | v->crtc[0xd];
    m->stride = v->crtc[0x13] * 2u;
    /* SR1 bit 5 turns the screen off; the attribute controller shows the
     * border only while its palette is being written (AR index bit 5). */
    bool off = (v->seq[1] & 0x20) || !(v->attr_index & 0x20);
    if (!(v->gr[6] & 1)) {
        m->kind = VGA_RENDER_TEXT;
        m->char_width = (v->seq[1] & 1) ? 8 : 9;
        m->dot_double = (v->seq[1] & 0x08) ? 2 : 1;
        m->char_height = msl;
        m->line_repeat = ds;
        m->cols = cols;
        m->rows = lines / (msl * ds);
        m->width = (int)(cols * m->char_width * m->dot_double);
        m->height = (int)(m->rows * msl);
        m->text_flags = v->attr[0x10] & 0x0c;
        m->char_map = v->seq[3];
        m->cursor_start = v->crtc[0xa];
        m->cursor_end = v->crtc[0xb];
        m->cursor_addr = (uint32_t)v->crtc[0xe] << 8 | v->crtc[0xf];
        if (m->rows == 0 || cols < 2 || m->stride == 0)
            off = true;
    } else {
        uint8_t gr5 = v->gr[5];
        m->kind = (gr5 & 0x40) ? VGA_RENDER_VGA256
                  : (gr5 & 0x20) ? VGA_RENDER_CGA4 : VGA_RENDER_PLANAR16;
        m->width = (int)(cols * 8 / (m->kind == VGA_RENDER_VGA256 ? 2 : 1));
        m->addr_shift = (v->crtc[0x14] & 0x40) ? 2 : (v->crtc[0x17] & 0x40) ? 0 : 1;
        m->cga_banks = v->crtc[0x17] & 3;
        m->max_scan = msl;
        m->plane_enable = v->attr[0x12] & 0xf;
        unsigned logical = lines / ds;
        if (m->cga_banks == 3) {
            /* No bank substitution: the scan lines of a row repeat. */
            m->line_repeat = ds * msl;
            m->height = (int)(logical / msl);
        } else {
            m->line_repeat = ds;
            m->height = (int)logical;
        }
        if (m->stride == 0)
            off = true;
    }
    if (m->width < 8 || m->height < 8 || m->width > MAX_IMAGE_DIM || m->height > MAX_IMAGE_DIM) {
        blank_mode(m, BLANK_WIDTH, BLANK_HEIGHT);
        return;
    }
    if (off) {
        int w = m->width, h = m->height;
        blank_mode(m, w, h);
    }
}

/* ---- graphics ---- */

/* The planar offset where image line y starts, with CR17's bank bits. */
static uint32_t line_address(const struct vga_render_mode *m, unsigned y)
{
    unsigned row = m->cga_banks == 3 ? y : y / m->max_scan;
    unsigned scan = m->cga_banks == 3 ? 0 : y % m->max_scan;
    uint32_t addr = m->start + row * m->stride;
    unsigned b13 = 13 - m->addr_shift;
    if (!(m->cga_banks & 1))
        addr = (addr & ~(1u << b13)) | (scan & 1u) << b13;
    if (!(m->cga_banks & 2))
        addr = (addr & ~(1u << (b13 + 1))) | ((scan >> 1) & 1u) << (b13 + 1);
    return addr;
}

/* The vram bytes that image line y reads: [*lo, *lo + *len). */
static void line_span(const struct vga_render_mode *m, unsigned y, uint64_t *lo, uint64_t *len)
{
    if (m->kind == VGA_RENDER_VBE) {
        *lo = (uint64_t)m->start + (uint64_t)y * m->stride;
        *len = (uint64_t)m->width * ((m->bpp + 7) / 8);
        return;
    }
    uint32_t a = line_address(m, y) & (PLANE_SIZE - 1);
    unsigned per = m->kind == VGA_RENDER_VGA256 ? 4 : 8;  /* pixels per planar offset */
    uint32_t n = ((uint32_t)m->width + per - 1) / per;
    if (a + n > PLANE_SIZE) { /* wraps around the planes: any write matters */
        *lo = 0;
        *len = PLANE_SIZE * 4;
        return;
    }
    *lo = (uint64_t)a * 4;
    *len = (uint64_t)n * 4;
}

static uint8_t plane_at(const struct vga *v, uint32_t planar, unsigned p)
{
    return v->vram[(planar & (PLANE_SIZE - 1)) * 4 + p];
}

static void draw_graphics_line(const struct vga *v, const struct vga_render_mode *m,
                               const uint32_t pal[256], unsigned y, uint32_t *out)
{
    unsigned w = (unsigned)m->width;
    if (m->kind == VGA_RENDER_VBE) {
        unsigned bytes = (m->bpp + 7) / 8;
        uint64_t base = (uint64_t)m->start + (uint64_t)y * m->stride;
        for (unsigned x = 0; x < w; x++) {
            uint64_t o = base + (uint64_t)x * bytes;
            if (o + bytes > VGA_VRAM_SIZE) { /* beyond video memory: black */
                out[x] = 0;
                continue;
            }
            const uint8_t *p = &v->vram[o];
            uint32_t c;
            switch (m->bpp) {
            case 8: c = pal[p[0]]; break;
            case 15: {
                unsigned px = p[0] | p[1] << 8;
                unsigned r = (px >> 10) & 0x1f, g = (px >> 5) & 0x1f, b = px & 0x1f;
                c = (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
                break;
            }
            case 16: {
                unsigned px = p[0] | p[1] << 8;
                unsigned r = (px >> 11) & 0x1f, g = (px >> 5) & 0x3f, b = px & 0x1f;
                c = (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
                break;
            }
            default: /* 24 and 32: blue, green, red in memory order */
                c = (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
                break;
            }
            out[x] = c;
        }
        return;
    }
    uint32_t a = line_address(m, y);
    switch (m->kind) {
    case VGA_RENDER_VGA256:
        for (unsigned x = 0; x < w; x++)
            out[x] = pal[plane_at(v, a + x / 4, x % 4)];
        break;
    case VGA_RENDER_CGA4:
        for (unsigned x = 0; x < w; x++) {
            /* Four pixels from plane 0's byte, then four from plane 1's. */
            uint8_t b = plane_at(v, a + x / 8, (x / 4) & 1);
            unsigned px = (b >> (6 - 2 * (x % 4))) & 3;
            out[x] = pal[px & m->plane_enable];
        }
        break;
    default: /* PLANAR16 */
        for (unsigned x = 0; x < w; x += 8) {
            uint32_t o = a + x / 8;
            uint8_t p0 = plane_at(v, o, 0), p1 = plane_at(v, o, 1);
            uint8_t p2 = plane_at(v, o, 2), p3 = plane_at(v, o, 3);
            for (unsigned i = 0; i < 8 && x + i < w; i++) {
                unsigned s = 7 - i;
                unsigned px = ((p0 >> s) & 1) | ((p1 >> s) & 1) << 1 | ((p2 >> s) & 1) << 2 |
                              ((p3 >> s) & 1) << 3;
                out[x + i] = pal[px & m->plane_enable];
            }
        }
        break;
    }
}

/* ---- text ---- */

/* Where character map n (0-7, SR3's encoding) starts in plane 2. */
static uint32_t font_map_offset(unsigned n)
{
    return (((n & 3) * 2) + (n >> 2)) * 0x2000u;
}

/* SR3: map A (attribute bit 3 set) from bits 5,3,2; map B from 4,1,0. */
static unsigned char_map_a(uint8_t sr3) { return ((sr3 >> 3) & 4) | ((sr3 >> 2) & 3); }
static unsigned char_map_b(uint8_t sr3) { return ((sr3 >> 2) & 4) | (sr3 & 3); }

static void copy_fonts(const struct vga *v, const struct vga_render_mode *m,
                       uint8_t font[2][256 * 32])
{
    uint32_t base[2] = {font_map_offset(char_map_a(m->char_map)),
                        font_map_offset(char_map_b(m->char_map))};
    for (unsigned f = 0; f < 2; f++)
        for (unsigned i = 0; i < 256 * 32; i++)
            font[f][i] = plane_at(v, base[f] + i, 2);
}

static uint16_t text_cell(const struct vga *v, const struct vga_render_mode *m, unsigned r,
                          unsigned c, uint32_t *addr)
{
    uint32_t a = (m->start + r * m->stride + c) & (PLANE_SIZE - 1);
    *addr = a;
    return (uint16_t)(plane_at(v, a, 0) | plane_at(v, a, 1) << 8);
}

static bool cursor_visible(const struct vga_render_mode *m)
{
    return !(m->cursor_start & 0x20) && (m->cursor_start & 0x1f) <= (m->cursor_end & 0x1f);
}

static void draw_cell(const struct vga_frame *f, const struct vga_render_mode *m,
                      const uint32_t pal[16], unsigned r, unsigned c, uint16_t cell,
                      bool cursor_here)
{
    uint8_t ch = (uint8_t)cell, at = (uint8_t)(cell >> 8);
    unsigned fg = at & 0xf, bg = at >> 4;
    if (m->text_flags & 0x08) { /* AR10 bit 3: attribute bit 7 blinks */
        bg &= 7;
        if ((at & 0x80) && !f->blink_on)
            fg = bg;
    }
    const uint8_t *glyph = &f->font[(at & 0x08) ? 0 : 1][ch * 32u];
    unsigned cw = m->char_width, dd = m->dot_double;
    bool ninth_dup = (m->text_flags & 0x04) && ch >= 0xc0 && ch <= 0xdf;
    unsigned cs = m->cursor_start & 0x1f, ce = m->cursor_end & 0x1f;
    for (unsigned l = 0; l < m->char_height; l++) {
        uint8_t bits = l < 32 ? glyph[l] : 0;
        if (cursor_here && f->cursor_on && l >= cs && l <= ce)
            bits = 0xff;
        uint32_t *row = f->pixels + (size_t)(r * m->char_height + l) * (size_t)f->width +
                        (size_t)c * cw * dd;
        for (unsigned x = 0; x < cw; x++) {
            bool on = x < 8 ? (bits >> (7 - x)) & 1 : (ninth_dup && (bits & 1));
            uint32_t color = pal[on ? fg : bg];
            for (unsigned d = 0; d < dd; d++)
                row[x * dd + d] = color;
        }
    }
}

/* ---- the frame ---- */

void vga_frame_init(struct vga_frame *f)
{
    memset(f, 0, sizeof(*f));
}

void vga_frame_free(struct vga_frame *f)
{
    free(f->pixels);
    free(f->cells);
    vga_frame_init(f);
}

static int frame_resize(struct vga_frame *f, const struct vga_render_mode *m)
{
    size_t n = (size_t)m->width * (size_t)m->height;
    if (n > f->capacity) {
        uint32_t *p = realloc(f->pixels, n * sizeof(*p));
        if (!p)
            return -1;
        f->pixels = p;
        f->capacity = n;
    }
    size_t cells = (size_t)m->rows * m->cols;
    if (m->kind == VGA_RENDER_TEXT && cells > f->cells_cap) {
        uint16_t *c = realloc(f->cells, cells * sizeof(*c));
        if (!c)
            return -1;
        f->cells = c;
        f->cells_cap = cells;
    }
    f->width = m->width;
    f->height = m->height;
    return 0;
}

static void span_add(int *y0, int *y1, int a, int b)
{
    if (*y0 > a)
        *y0 = a;
    if (*y1 < b)
        *y1 = b;
}

static int render_text(struct vga *v, struct vga_frame *f, const struct vga_render_mode *m,
                       const uint32_t pal[256], bool full, bool cursor_on, bool blink_on,
                       int *y0, int *y1)
{
    uint8_t font[2][256 * 32];
    copy_fonts(v, m, font);
    if (memcmp(font, f->font, sizeof(font))) {
        memcpy(f->font, font, sizeof(font));
        full = true;
    }
    bool cursor_changed = cursor_on != f->cursor_on;
    bool blink_changed = blink_on != f->blink_on;
    f->cursor_on = cursor_on;
    f->blink_on = blink_on;
    bool show_cursor = cursor_visible(m);
    int changed = 0;
    for (unsigned r = 0; r < m->rows; r++) {
        bool row_changed = false;
        for (unsigned c = 0; c < m->cols; c++) {
            uint32_t addr;
            uint16_t cell = text_cell(v, m, r, c, &addr);
            uint16_t *old = &f->cells[r * m->cols + c];
            bool here = show_cursor && addr == (m->cursor_addr & (PLANE_SIZE - 1));
            bool redraw = full || *old != cell || (here && cursor_changed) ||
                          (blink_changed && (cell & 0x8000) && (m->text_flags & 0x08));
            if (!redraw)
                continue;
            *old = cell;
            draw_cell(f, m, pal, r, c, cell, here);
            row_changed = true;
        }
        if (row_changed) {
            span_add(y0, y1, (int)(r * m->char_height), (int)((r + 1) * m->char_height));
            changed += (int)m->char_height;
        }
    }
    return changed;
}

int vga_render(struct vga *v, struct vga_frame *f, bool incremental, uint64_t now_ms, int *y0,
               int *y1)
{
    struct vga_render_mode m;
    vga_render_mode_of(v, &m);
    int lo = m.height, hi = 0;
    bool cursor_on = (now_ms / 133) % 2 == 0, blink_on = (now_ms / 267) % 2 == 0;
    bool phases_changed = m.kind == VGA_RENDER_TEXT &&
                          (cursor_on != f->cursor_on || blink_on != f->blink_on);
    if (incremental && f->valid && !phases_changed && !vga_any_dirty(v)) {
        *y0 = *y1 = 0;
        return 0;
    }
    uint32_t pal[256];
    build_palette(v, &m, pal);
    bool full = !incremental || !f->valid || memcmp(&m, &f->mode, sizeof(m)) ||
                memcmp(pal, f->palette, sizeof(pal));
    if (full && frame_resize(f, &m) < 0) {
        f->valid = false;
        return -1;
    }
    f->mode = m;
    memcpy(f->palette, pal, sizeof(pal));
    f->valid = true;
    int changed = 0;
    switch (m.kind) {
    case VGA_RENDER_BLANK:
        if (full) {
            memset(f->pixels, 0, (size_t)m.width * (size_t)m.height * sizeof(uint32_t));
            lo = 0;
            hi = m.height;
            changed = m.height;
        }
        break;
    case VGA_RENDER_TEXT:
        changed = render_text(v, f, &m, pal, full, cursor_on, blink_on, &lo, &hi);
        break;
    default:
        for (unsigned y = 0; y < (unsigned)m.height; y++) {
            if (!full) {
                uint64_t start, len;
                line_span(&m, y, &start, &len);
                if (!vga_range_dirty(v, start, len))
                    continue;
            }
            draw_graphics_line(v, &m, pal, y, f->pixels + (size_t)y * (size_t)m.width);
            span_add(&lo, &hi, (int)y, (int)y + 1);
            changed++;
        }
        break;
    }
    if (incremental)
        vga_clear_dirty(v);
    *y0 = changed ? lo : 0;
    *y1 = changed ? hi : 0;
    return changed;
}

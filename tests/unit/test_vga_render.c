/* Tests for devices/vga_render.c: the guest programs the VGA through its
 * ports and memory windows as a BIOS or driver would, and the rendered
 * pixels must follow the VGA's rules: a text cell drawn from the font in
 * plane 2 with the attribute's colours through the palette and DAC, the
 * 9th column, the cursor; 256-colour pixels in chain-4 and unchained
 * (mode X) layouts; the VBE linear framebuffer at 32 and 16 bpp; and the
 * dirty tracking (nothing written: nothing drawn; one row written: only
 * its lines drawn). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "devices/vga_render.h"
#include "device_test_env.h"

#define RAM (32u << 20)
#define LFB 0x01000000u

static struct test_env *t;
static struct pci_bus bus;
static struct vga v;
static struct vga_frame f;

static void on_reset(void *o) { (void)o; }

static void setup(void)
{
    t = test_env_new(RAM);
    ck_assert(t->have_mem);
    pci_bus_init(&bus, &t->env, on_reset, NULL);
    ck_assert_int_eq(vga_init(&v, &bus, PCI_DEVFN(2, 0), &t->env, NULL, 0), 0);
    vga_frame_init(&f);
}

static void teardown(void)
{
    vga_frame_free(&f);
    vga_destroy(&v);
    physmem_destroy(&t->mem);
    free(t);
}

static void out8(uint16_t port, uint8_t val) { iobus_write(&t->io, port, val, 1); }
static void seq(uint8_t i, uint8_t val) { out8(0x3c4, i); out8(0x3c5, val); }
static void gr(uint8_t i, uint8_t val) { out8(0x3ce, i); out8(0x3cf, val); }
static void crtc(uint8_t i, uint8_t val) { out8(0x3d4, i); out8(0x3d5, val); }
static void wr8(uint32_t addr, uint8_t val) { physmem_write(&t->mem, addr, val, 1); }

static void attr(uint8_t i, uint8_t val)
{
    (void)iobus_read(&t->io, 0x3da, 1); /* flip-flop to index */
    out8(0x3c0, i);
    out8(0x3c0, val);
    out8(0x3c0, 0x20); /* palette address source: display on */
}

static void dac(uint8_t i, uint8_t r, uint8_t g, uint8_t b)
{
    out8(0x3c8, i);
    out8(0x3c9, r);
    out8(0x3c9, g);
    out8(0x3c9, b);
}

static uint32_t px(int x, int y)
{
    ck_assert_int_lt(x, f.width);
    ck_assert_int_lt(y, f.height);
    return f.pixels[(size_t)y * (size_t)f.width + (size_t)x];
}

/* BIOS mode 3's registers that matter: 80x25, 9-dot, 16 lines. */
static void mode3(void)
{
    out8(0x3c2, 0x67);
    seq(1, 0x00);
    seq(2, 0x03);
    seq(3, 0x00);
    seq(4, 0x02);
    gr(5, 0x10);
    gr(6, 0x0e);
    crtc(0x11, 0x00);
    crtc(0x01, 79);
    crtc(0x07, 0x1f);
    crtc(0x09, 0x4f);
    crtc(0x0a, 0x0e); /* cursor on lines 14-15 */
    crtc(0x0b, 0x0f);
    crtc(0x12, 0x8f);
    crtc(0x13, 40);
    for (uint8_t i = 0; i < 16; i++)
        attr(i, i);
    attr(0x10, 0x0c); /* line graphics, blink */
    attr(0x12, 0x0f);
    attr(0x14, 0x00);
    dac(0x00, 0, 0, 0);
    dac(0x01, 0, 0, 0x2a);
    dac(0x0e, 0x3f, 0x3f, 0x15);
}

/* Writes glyph rows into plane 2 (font map 0) the way a BIOS loads a font:
 * sequential addressing, map mask plane 2, memory at A0000. */
static void load_glyph(uint8_t ch, const uint8_t *rows, unsigned n)
{
    seq(2, 0x04);
    seq(4, 0x06);
    gr(5, 0x00);
    gr(6, 0x04);
    for (unsigned i = 0; i < n; i++)
        wr8(0xa0000 + ch * 32u + i, rows[i]);
}

START_TEST(test_text_cell_font_palette_cursor)
{
    static const uint8_t glyph[16] = {0x81, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff};
    load_glyph('A', glyph, 16);
    load_glyph(0xc4, glyph, 16); /* a line-graphics character */
    mode3();
    wr8(0xb8000, 'A');
    wr8(0xb8001, 0x1e); /* yellow on blue */
    wr8(0xb8002, 0xc4);
    wr8(0xb8003, 0x1e);
    wr8(0xb8004, 'A');
    wr8(0xb8005, 0x1e);
    crtc(0x0e, 0);
    crtc(0x0f, 2); /* cursor on cell 2 */
    int y0, y1;
    ck_assert_int_gt(vga_render(&v, &f, false, 0, &y0, &y1), 0);
    ck_assert_int_eq(f.width, 720);
    ck_assert_int_eq(f.height, 400);
    const uint32_t yellow = 0xffff55, blue = 0x0000aa;
    ck_assert_uint_eq(px(0, 0), yellow); /* 0x81: first and last dot */
    ck_assert_uint_eq(px(1, 0), blue);
    ck_assert_uint_eq(px(7, 0), yellow);
    ck_assert_uint_eq(px(8, 0), blue);   /* the 9th column is background... */
    ck_assert_uint_eq(px(9 + 7, 0), yellow);
    ck_assert_uint_eq(px(9 + 8, 0), yellow); /* ...but repeats dot 8 for C0-DF */
    ck_assert_uint_eq(px(1, 1), yellow); /* 0x42 */
    ck_assert_uint_eq(px(0, 1), blue);
    ck_assert_uint_eq(px(18 + 3, 13), blue);   /* cell 2, above the cursor */
    ck_assert_uint_eq(px(18 + 3, 14), yellow); /* the cursor's lines */
    ck_assert_uint_eq(px(0, 16), 0);     /* row 1: attribute 0, black */
    /* Blinking (AR10 bit 3, attribute bit 7): shown in the first phase,
     * background in the second. */
    wr8(0xb8001, 0x9e);
    vga_render(&v, &f, false, 0, &y0, &y1);
    ck_assert_uint_eq(px(0, 0), yellow);
    vga_render(&v, &f, false, 300, &y0, &y1);
    ck_assert_uint_eq(px(0, 0), blue);
}
END_TEST

START_TEST(test_text_dirty_tracking)
{
    mode3();
    int y0, y1;
    ck_assert_int_gt(vga_render(&v, &f, true, 0, &y0, &y1), 0);
    /* Nothing written, same blink phase: nothing drawn. */
    ck_assert_int_eq(vga_render(&v, &f, true, 10, &y0, &y1), 0);
    /* A character on row 3 redraws that row's 16 lines only. */
    wr8(0xb8000 + 2 * (3 * 80 + 5), 'x');
    ck_assert_int_eq(vga_render(&v, &f, true, 20, &y0, &y1), 16);
    ck_assert_int_eq(y0, 48);
    ck_assert_int_eq(y1, 64);
    ck_assert_int_eq(vga_render(&v, &f, true, 30, &y0, &y1), 0);
    /* A full render (screendump) leaves the marks for the display. */
    wr8(0xb8000, 'y');
    struct vga_frame dump;
    vga_frame_init(&dump);
    ck_assert_int_gt(vga_render(&v, &dump, false, 0, &y0, &y1), 0);
    vga_frame_free(&dump);
    ck_assert(vga_any_dirty(&v));
}
END_TEST

/* BIOS mode 13h: 320x200, 256 colours, chain-4. */
static void mode13(void)
{
    out8(0x3c2, 0x63);
    seq(1, 0x01);
    seq(2, 0x0f);
    seq(4, 0x0e);
    gr(5, 0x40);
    gr(6, 0x05);
    crtc(0x11, 0x00);
    crtc(0x01, 0x4f);
    crtc(0x07, 0x1f);
    crtc(0x09, 0x41);
    crtc(0x12, 0x8f);
    crtc(0x13, 0x28);
    crtc(0x14, 0x40);
    crtc(0x17, 0xa3);
    attr(0x10, 0x41);
    dac(5, 0x3f, 0, 0);
    dac(6, 0, 0x3f, 0);
}

START_TEST(test_256_colour_chain4_and_mode_x)
{
    mode13();
    wr8(0xa0000 + 3 * 320 + 10, 5);
    int y0, y1;
    vga_render(&v, &f, true, 0, &y0, &y1);
    ck_assert_int_eq(f.width, 320);
    ck_assert_int_eq(f.height, 200);
    ck_assert_uint_eq(px(10, 3), 0xff0000);
    ck_assert_uint_eq(px(11, 3), 0);
    /* Only the written line is drawn again. */
    wr8(0xa0000 + 150 * 320 + 7, 6);
    ck_assert_int_ge(vga_render(&v, &f, true, 0, &y0, &y1), 1);
    ck_assert_int_le(y0, 150);
    ck_assert_int_gt(y1, 150);
    ck_assert_int_lt(y1 - y0, 20); /* lines sharing that 4 KiB page at most */
    ck_assert_uint_eq(px(7, 150), 0x00ff00);
    /* Mode X: unchained, pixel x of line y in plane x % 4 at y * 80 + x / 4. */
    seq(4, 0x06);
    crtc(0x14, 0x00);
    crtc(0x17, 0xe3);
    seq(2, 1u << (33 % 4));
    wr8(0xa0000 + 20 * 80 + 33 / 4, 6);
    vga_render(&v, &f, true, 0, &y0, &y1);
    ck_assert_int_eq(f.width, 320);
    ck_assert_uint_eq(px(33, 20), 0x00ff00);
}
END_TEST

static void vbe_w(uint16_t i, uint16_t val)
{
    iobus_write(&t->io, VGA_VBE_INDEX_PORT, i, 2);
    iobus_write(&t->io, VGA_VBE_DATA_PORT, val, 2);
}

START_TEST(test_vbe_lfb_32_and_16_bpp)
{
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_BAR0, LFB, 4);
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    vbe_w(VBE_XRES, 800);
    vbe_w(VBE_YRES, 600);
    vbe_w(VBE_BPP, 32);
    vbe_w(VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    physmem_write(&t->mem, LFB + (599 * 800 + 799) * 4, 0x00123456, 4);
    int y0, y1;
    vga_render(&v, &f, true, 0, &y0, &y1);
    ck_assert_int_eq(f.width, 800);
    ck_assert_int_eq(f.height, 600);
    ck_assert_uint_eq(px(799, 599), 0x123456);
    ck_assert_uint_eq(px(798, 599), 0);
    /* An idle framebuffer costs no drawing; one written pixel redraws
     * only the lines of its page. */
    ck_assert_int_eq(vga_render(&v, &f, true, 0, &y0, &y1), 0);
    physmem_write(&t->mem, LFB + (300 * 800 + 1) * 4, 0x00abcdef, 4);
    int n = vga_render(&v, &f, true, 0, &y0, &y1);
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, 3);
    ck_assert_uint_eq(px(1, 300), 0xabcdef);
    /* The display start (Y offset) scrolls the picture. */
    vbe_w(VBE_Y_OFFSET, 300);
    vga_render(&v, &f, true, 0, &y0, &y1);
    ck_assert_uint_eq(px(1, 0), 0xabcdef);
    /* 16 bpp (5:6:5). */
    vbe_w(VBE_ENABLE, 0);
    vbe_w(VBE_BPP, 16);
    vbe_w(VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    physmem_write(&t->mem, LFB + (10 * 800 + 20) * 2, 0xf800, 2); /* red */
    physmem_write(&t->mem, LFB + (10 * 800 + 21) * 2, 0x07e0, 2); /* green */
    vga_render(&v, &f, true, 0, &y0, &y1);
    ck_assert_uint_eq(px(20, 10), 0xff0000);
    ck_assert_uint_eq(px(21, 10), 0x00ff00);
}
END_TEST

START_TEST(test_blank_and_hostile_registers)
{
    int y0, y1;
    /* Reset state: nothing programmed, a black frame of a sane size. */
    ck_assert_int_gt(vga_render(&v, &f, false, 0, &y0, &y1), 0);
    ck_assert_int_eq(f.mode.kind, VGA_RENDER_BLANK);
    ck_assert_int_eq(f.width, 640);
    /* Every CRTC register at its maximum: bounded, no out-of-range reads. */
    mode3();
    for (uint8_t i = 0; i < 0x19; i++)
        crtc(i, 0xff);
    crtc(0x11, 0x00);
    for (uint8_t i = 0; i < 0x19; i++)
        crtc(i, 0xff);
    ck_assert_int_ge(vga_render(&v, &f, false, 0, &y0, &y1), 0);
    ck_assert_int_le(f.width, 4096);
    gr(6, 0x05);
    gr(5, 0x40);
    ck_assert_int_ge(vga_render(&v, &f, false, 0, &y0, &y1), 0);
    /* A VBE display start near the end of video memory. */
    vbe_w(VBE_XRES, 2560);
    vbe_w(VBE_YRES, 1600);
    vbe_w(VBE_BPP, 32);
    vbe_w(VBE_ENABLE, VBE_ENABLED | VBE_NOCLEARMEM);
    vbe_w(VBE_Y_OFFSET, 1630);
    ck_assert_int_gt(vga_render(&v, &f, false, 0, &y0, &y1), 0);
    ck_assert_int_eq(f.width, 2560);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vga_render");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_text_cell_font_palette_cursor);
    tcase_add_test(tc, test_text_dirty_tracking);
    tcase_add_test(tc, test_256_colour_chain4_and_mode_x);
    tcase_add_test(tc, test_vbe_lfb_32_and_16_bpp);
    tcase_add_test(tc, test_blank_and_hostile_registers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

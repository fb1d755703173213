/* Tests for devices/vga.c: the text-mode path the VGA BIOS and vgacon use
 * (odd/even at B8000, the screen as text), the planar write modes, read
 * mode 1 and the latches against the rules of the VGA reference, chain-4,
 * the DAC, the attribute flip-flop, CRTC write protection, the Bochs VBE
 * interface (IDs, capabilities, banks, the linear framebuffer BAR) and the
 * expansion ROM BAR. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "device_test_env.h"

#define RAM (16u << 20)

static struct test_env *t;
static struct pci_bus bus;
static struct vga v;
static uint8_t rom[1024];

static void on_reset(void *o) { (void)o; }

static void setup(void)
{
    t = test_env_new(RAM);
    ck_assert(t->have_mem);
    pci_bus_init(&bus, &t->env, on_reset, NULL);
    rom[0] = 0x55;
    rom[1] = 0xaa;
    rom[2] = 2;
    rom[100] = 0x42;
    ck_assert_int_eq(vga_init(&v, &bus, PCI_DEVFN(2, 0), &t->env, rom, sizeof(rom)), 0);
}

static void teardown(void)
{
    vga_destroy(&v);
    physmem_destroy(&t->mem);
    free(t);
}

static void out8(uint16_t port, uint8_t val) { iobus_write(&t->io, port, val, 1); }
static uint8_t in8(uint16_t port) { return (uint8_t)iobus_read(&t->io, port, 1); }
static void seq(uint8_t i, uint8_t val) { out8(0x3c4, i); out8(0x3c5, val); }
static void gr(uint8_t i, uint8_t val) { out8(0x3ce, i); out8(0x3cf, val); }
static void crtc(uint8_t i, uint8_t val) { out8(0x3d4, i); out8(0x3d5, val); }
static void wr8(uint32_t addr, uint8_t val) { physmem_write(&t->mem, addr, val, 1); }
static uint8_t rd8(uint32_t addr) { return (uint8_t)physmem_read(&t->mem, addr, 1); }

/* The register values of BIOS mode 3 that matter here: 80x25 text, color
 * addresses, odd/even, memory map B8000, 16-line characters, 400 lines. */
static void mode3(void)
{
    out8(0x3c2, 0x67);
    seq(2, 0x03);
    seq(4, 0x02); /* extended memory, odd/even on (bit 2 clear) */
    gr(5, 0x10);
    gr(6, 0x0e);  /* map B8000, chain odd/even, text */
    crtc(0x11, 0x00);
    crtc(0x01, 79);
    crtc(0x07, 0x1f); /* bit 1: VDE bit 8 */
    crtc(0x09, 0x4f); /* 16 scan lines per character */
    crtc(0x12, 0x8f); /* VDE = 0x18f: 400 lines */
    crtc(0x13, 40);
    crtc(0x0c, 0);
    crtc(0x0d, 0);
}

START_TEST(test_text_mode_screen)
{
    mode3();
    const char *msg = "SeaBIOS";
    for (unsigned i = 0; msg[i]; i++) {
        wr8(0xb8000 + 2 * i, (uint8_t)msg[i]);
        wr8(0xb8000 + 2 * i + 1, 0x07);
    }
    /* Row 1, column 3 */
    wr8(0xb8000 + 2 * (80 + 3), 'X');
    ck_assert_uint_eq(rd8(0xb8000), 'S');
    ck_assert_uint_eq(rd8(0xb8001), 0x07);
    static char text[80 * 26 + 64];
    int cols = 0;
    int rows = vga_text_screen(&v, text, sizeof(text), &cols);
    ck_assert_int_eq(rows, 25);
    ck_assert_int_eq(cols, 80);
    ck_assert(strncmp(text, "SeaBIOS ", 8) == 0);
    ck_assert_uint_eq(text[81 + 3], 'X');
    /* Outside the selected map (B8000-BFFFF), A0000 does not decode. */
    wr8(0xa0000, 0x55);
    ck_assert_uint_eq(rd8(0xa0000), 0xff);
    /* A graphics mode shows no text. */
    gr(6, 0x05);
    ck_assert_int_eq(vga_text_screen(&v, text, sizeof(text), &cols), 0);
}
END_TEST

static void planar(void)
{
    seq(2, 0x0f);
    seq(4, 0x06); /* sequential addressing */
    gr(6, 0x05);  /* A0000 64K, graphics */
    gr(8, 0xff);
    gr(3, 0x00);
    gr(1, 0x00);
    gr(5, 0x00);
}

START_TEST(test_planar_write_modes)
{
    planar();
    /* Write mode 0 with set/reset on planes 0 and 2 (value 0b0101 -> 0xff
     * in plane 0 and 2, 0 elsewhere for the enabled planes). */
    gr(0, 0x05);
    gr(1, 0x05);
    wr8(0xa0010, 0x3c);
    for (unsigned p = 0; p < 4; p++) {
        gr(4, (uint8_t)p);
        uint8_t want = p == 0 || p == 2 ? 0xff : 0x3c;
        ck_assert_uint_eq(rd8(0xa0010), want);
    }
    /* Bit mask keeps the latched bits: load latches by a read, then write
     * 0x00 with bit mask 0x0f, no set/reset: high nibble stays. */
    gr(1, 0x00);
    (void)rd8(0xa0010);
    gr(8, 0x0f);
    wr8(0xa0010, 0x00);
    gr(4, 0);
    ck_assert_uint_eq(rd8(0xa0010), 0xf0);
    gr(4, 1);
    ck_assert_uint_eq(rd8(0xa0010), 0x30);
    /* Write mode 1 copies the latches: read 0xa0010, write 0xa0020. */
    gr(8, 0xff);
    gr(5, 0x01);
    (void)rd8(0xa0010);
    wr8(0xa0020, 0x99);
    gr(5, 0x00);
    for (unsigned p = 0; p < 4; p++) {
        gr(4, (uint8_t)p);
        uint8_t a = rd8(0xa0010);
        ck_assert_uint_eq(rd8(0xa0020), a);
    }
    /* Write mode 2: the low nibble of the data is the color of every
     * selected pixel; function XOR with the latches. */
    gr(5, 0x02);
    gr(3, 0x18); /* XOR */
    (void)rd8(0xa0030); /* latches = 0 there */
    wr8(0xa0030, 0x09);
    gr(5, 0x00);
    gr(3, 0x00);
    uint8_t want2[4] = {0xff, 0x00, 0x00, 0xff};
    for (unsigned p = 0; p < 4; p++) {
        gr(4, (uint8_t)p);
        ck_assert_uint_eq(rd8(0xa0030), want2[p]);
    }
    /* Write mode 3: rotated data AND bit mask selects bits, set/reset gives
     * the color. Rotate right by 4: 0xf0 -> 0x0f. */
    gr(5, 0x03);
    gr(3, 0x04);
    gr(0, 0x02);
    gr(8, 0xff);
    (void)rd8(0xa0040);
    wr8(0xa0040, 0xf0);
    gr(5, 0x00);
    gr(3, 0x00);
    uint8_t want3[4] = {0x00, 0x0f, 0x00, 0x00};
    for (unsigned p = 0; p < 4; p++) {
        gr(4, (uint8_t)p);
        ck_assert_uint_eq(rd8(0xa0040), want3[p]);
    }
    /* Map mask: only plane 3 written. */
    seq(2, 0x08);
    wr8(0xa0050, 0xaa);
    seq(2, 0x0f);
    for (unsigned p = 0; p < 4; p++) {
        gr(4, (uint8_t)p);
        ck_assert_uint_eq(rd8(0xa0050), p == 3 ? 0xaa : 0x00);
    }
}
END_TEST

START_TEST(test_read_mode_1)
{
    planar();
    /* Planes: 0 = 0xf0, 1 = 0xcc, 2 = 0xaa, 3 = 0x00 at one address. */
    const uint8_t val[4] = {0xf0, 0xcc, 0xaa, 0x00};
    for (unsigned p = 0; p < 4; p++) {
        seq(2, (uint8_t)(1u << p));
        wr8(0xa0100, val[p]);
    }
    seq(2, 0x0f);
    gr(5, 0x08);     /* read mode 1 */
    gr(2, 0x07);     /* color 7: planes 0, 1, 2 set, plane 3 clear */
    gr(7, 0x0f);
    /* A pixel matches where all of f0, cc, aa have the bit and 00 lacks it:
     * 0xf0 & 0xcc & 0xaa = 0x80. */
    ck_assert_uint_eq(rd8(0xa0100), 0x80);
    gr(7, 0x01);     /* only plane 0 counts */
    ck_assert_uint_eq(rd8(0xa0100), 0xf0);
    gr(7, 0x00);     /* nothing counts: all bits match */
    ck_assert_uint_eq(rd8(0xa0100), 0xff);
}
END_TEST

START_TEST(test_chain4)
{
    seq(2, 0x0f);
    seq(4, 0x0e); /* chain-4 */
    gr(6, 0x05);
    for (unsigned i = 0; i < 8; i++)
        wr8(0xa0000 + i, (uint8_t)(0x10 + i));
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(rd8(0xa0000 + i), 0x10 + i);
    /* The same bytes seen planar: offset 1, plane 2 = linear byte 6. */
    seq(4, 0x06);
    gr(4, 2);
    ck_assert_uint_eq(rd8(0xa0001), 0x16);
}
END_TEST

START_TEST(test_dac_attr_crtc)
{
    out8(0x3c2, 0x01); /* color addresses */
    out8(0x3c8, 5);
    out8(0x3c9, 0x3f);
    out8(0x3c9, 0x7f); /* 6-bit DAC: bit 6 dropped */
    out8(0x3c9, 0x01);
    out8(0x3c7, 5);
    ck_assert_uint_eq(in8(0x3c9), 0x3f);
    ck_assert_uint_eq(in8(0x3c9), 0x3f);
    ck_assert_uint_eq(in8(0x3c9), 0x01);
    ck_assert_uint_eq(in8(0x3c7), 3);
    /* Attribute controller: index then data; reading 3DA resets. */
    (void)in8(0x3da);
    out8(0x3c0, 0x10);
    out8(0x3c0, 0x0c);
    out8(0x3c0, 0x11); /* index again */
    (void)in8(0x3da);
    out8(0x3c0, 0x12);
    out8(0x3c0, 0x0f);
    out8(0x3c0, 0x10);
    ck_assert_uint_eq(in8(0x3c1), 0x0c);
    (void)in8(0x3da);
    out8(0x3c0, 0x12);
    ck_assert_uint_eq(in8(0x3c1), 0x0f);
    /* Status 1 toggles its retrace bit between reads. */
    uint8_t a = in8(0x3da), b = in8(0x3da);
    ck_assert_uint_ne(a & 0x08, b & 0x08);
    /* CRTC protect: with CR11 bit 7, CR0-CR6 ignore writes. */
    crtc(0x01, 79);
    crtc(0x11, 0x80);
    crtc(0x01, 39);
    out8(0x3d4, 0x01);
    ck_assert_uint_eq(in8(0x3d5), 79);
    /* Monochrome addresses are not decoded in color mode. */
    ck_assert_uint_eq(in8(0x3b5), 0xff);
}
END_TEST

static void vbe_w(uint16_t i, uint16_t val)
{
    iobus_write(&t->io, VGA_VBE_INDEX_PORT, i, 2);
    iobus_write(&t->io, VGA_VBE_DATA_PORT, val, 2);
}

static uint16_t vbe_r(uint16_t i)
{
    iobus_write(&t->io, VGA_VBE_INDEX_PORT, i, 2);
    return (uint16_t)iobus_read(&t->io, VGA_VBE_DATA_PORT, 2);
}

START_TEST(test_vbe)
{
    ck_assert_uint_eq(vbe_r(VBE_ID), VBE_ID5);
    vbe_w(VBE_ID, VBE_ID0 + 2);
    ck_assert_uint_eq(vbe_r(VBE_ID), VBE_ID0 + 2);
    vbe_w(VBE_ID, 0x1234); /* not an ID: ignored */
    ck_assert_uint_eq(vbe_r(VBE_ID), VBE_ID0 + 2);
    vbe_w(VBE_ENABLE, VBE_GETCAPS);
    ck_assert_uint_eq(vbe_r(VBE_XRES), VBE_MAX_XRES);
    ck_assert_uint_eq(vbe_r(VBE_BPP), VBE_MAX_BPP);
    vbe_w(VBE_ENABLE, 0);
    ck_assert_uint_eq(vbe_r(VBE_VIDEO_MEMORY_64K), VGA_VRAM_SIZE / 0x10000);
    vbe_w(VBE_XRES, 800);
    vbe_w(VBE_YRES, 600);
    vbe_w(VBE_BPP, 32);
    vbe_w(VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    ck_assert(vga_vbe_active(&v));
    ck_assert_uint_eq(vbe_r(VBE_VIRT_WIDTH), 800);
    ck_assert_uint_eq(vbe_r(VBE_VIRT_HEIGHT), VGA_VRAM_SIZE / (800 * 4));
    /* Bank 3 of the A0000 window is linear byte 3 * 64K. */
    vbe_w(VBE_BANK, 3);
    physmem_write(&t->mem, 0xa0004, 0x11223344, 4);
    ck_assert_uint_eq(v.vram[3 * 0x10000 + 4], 0x44);
    /* The LFB BAR: map it at 0x800000 (inside this test's 16 MiB) and read
     * the same bytes. */
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_BAR0, 0xff000000u, 4);
    ck_assert_uint_eq(pci_config_read(&bus, 0, PCI_DEVFN(2, 0), PCI_BAR0, 4), 0xff000008u);
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_BAR0, 0x01000000u, 4);
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    ck_assert_uint_eq(physmem_read(&t->mem, 0x01000000u + 3 * 0x10000 + 4, 4), 0x11223344);
    /* Disable: the window is VGA again. */
    vbe_w(VBE_ENABLE, 0);
    ck_assert(!vga_vbe_active(&v));
    ck_assert_uint_eq(vbe_r(VBE_BANK), 0);
}
END_TEST

START_TEST(test_pci_identity_and_rom)
{
    ck_assert_uint_eq(pci_config_read(&bus, 0, PCI_DEVFN(2, 0), PCI_VENDOR_ID, 2), 0x1234);
    ck_assert_uint_eq(pci_config_read(&bus, 0, PCI_DEVFN(2, 0), PCI_DEVICE_ID, 2), 0x1111);
    ck_assert_uint_eq(pci_config_read(&bus, 0, PCI_DEVFN(2, 0), PCI_REVISION_ID, 4) >> 8,
                      0x030000);
    /* The ROM BAR decodes the VGA BIOS once enabled. */
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_ROM_ADDRESS, 0x00c00001u, 4);
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    ck_assert_uint_eq(physmem_read(&t->mem, 0x00c00000u, 2), 0xaa55);
    ck_assert_uint_eq(physmem_read(&t->mem, 0x00c00000u + 100, 1), 0x42);
    /* BAR2: the VGA ports at 0x400 and the VBE registers at 0x500. */
    pci_config_write(&bus, 0, PCI_DEVFN(2, 0), PCI_BAR0 + 8, 0x00d00000u, 4);
    ck_assert_uint_eq(physmem_read(&t->mem, 0x00d00000u + 0x500, 2), VBE_ID5);
    physmem_write(&t->mem, 0x00d00000u + 0x400 + 2, 0x01, 1); /* misc output */
    ck_assert_uint_eq(in8(0x3cc), 0x01);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vga");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_text_mode_screen);
    tcase_add_test(tc, test_planar_write_modes);
    tcase_add_test(tc, test_read_mode_1);
    tcase_add_test(tc, test_chain4);
    tcase_add_test(tc, test_dac_attr_crtc);
    tcase_add_test(tc, test_vbe);
    tcase_add_test(tc, test_pci_identity_and_rom);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

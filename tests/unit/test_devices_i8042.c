/* Tests for devices/i8042.c: controller commands, keyboard commands,
 * IRQ1, A20 and reset lines, the absent mouse. */
#include <check.h>
#include <stdlib.h>

#include "devices/i8042.h"
#include "device_test_env.h"

static struct test_env *t;
static struct i8042 kbc;
static int resets, a20_calls;
static bool a20;

static void on_a20(void *o, bool en) { (void)o; a20 = en; a20_calls++; }
static void on_reset(void *o) { (void)o; resets++; }

static void setup(void)
{
    t = test_env_new(0);
    resets = a20_calls = 0;
    a20 = true;
    struct i8042_callbacks cb = {.set_a20 = on_a20, .reset = on_reset, .opaque = NULL};
    i8042_init(&kbc, &t->env, &cb);
}

static void teardown(void)
{
    test_env_free(t);
}

static uint8_t read_data(void)
{
    ck_assert_uint_eq(inb(t, 0x64) & 1, 1);
    return inb(t, 0x60);
}

START_TEST(test_self_tests)
{
    ck_assert_uint_eq(inb(t, 0x64) & 1, 0);
    outb(t, 0x64, 0xaa);
    ck_assert_uint_eq(read_data(), 0x55);
    ck_assert_uint_eq(inb(t, 0x64) & 0x04, 0x04);   /* SYS flag */
    outb(t, 0x64, 0xab);
    ck_assert_uint_eq(read_data(), 0x00);
    ck_assert_uint_eq(inb(t, 0x64) & 1, 0);
}
END_TEST

START_TEST(test_command_byte)
{
    outb(t, 0x64, 0x20);
    uint8_t cb = read_data();
    ck_assert_uint_eq(cb & 0x41, 0x41);
    outb(t, 0x64, 0x60);
    outb(t, 0x60, 0x00);   /* interrupts off, no translation */
    outb(t, 0x64, 0x20);
    ck_assert_uint_eq(read_data(), 0x00);
    ck_assert(!i8042_translation_enabled(&kbc));
    outb(t, 0x64, 0xad);
    outb(t, 0x64, 0x20);
    ck_assert_uint_eq(read_data() & 0x10, 0x10);
    outb(t, 0x64, 0xae);
    outb(t, 0x64, 0xa7);
    outb(t, 0x64, 0x20);
    ck_assert_uint_eq(read_data() & 0x30, 0x20);
}
END_TEST

START_TEST(test_keyboard_reset_and_irq)
{
    ck_assert(!t->level[1]);
    outb(t, 0x60, 0xff);
    ck_assert(t->level[1]);
    ck_assert_uint_eq(read_data(), 0xfa);
    ck_assert(t->level[1]);   /* next byte waiting */
    ck_assert_uint_eq(read_data(), 0xaa);
    ck_assert(!t->level[1]);
    ck_assert_uint_eq(t->rises[1], 2);   /* one interrupt per byte */
    /* identify with translation */
    outb(t, 0x60, 0xf2);
    ck_assert_uint_eq(read_data(), 0xfa);
    ck_assert_uint_eq(read_data(), 0xab);
    ck_assert_uint_eq(read_data(), 0x41);
}
END_TEST

START_TEST(test_scancode_set)
{
    outb(t, 0x60, 0xf0);
    ck_assert_uint_eq(read_data(), 0xfa);
    outb(t, 0x60, 0x00);
    ck_assert_uint_eq(read_data(), 0xfa);
    ck_assert_uint_eq(read_data(), 0x41);   /* set 2, translated */
    outb(t, 0x64, 0x60);
    outb(t, 0x60, 0x01);                    /* translation off */
    outb(t, 0x60, 0xf0);
    ck_assert_uint_eq(read_data(), 0xfa);
    outb(t, 0x60, 0x03);
    ck_assert_uint_eq(read_data(), 0xfa);
    ck_assert_uint_eq(i8042_scancode_set(&kbc), 3);
    outb(t, 0x60, 0xf0);
    (void)read_data();
    outb(t, 0x60, 0x00);
    ck_assert_uint_eq(read_data(), 0xfa);
    ck_assert_uint_eq(read_data(), 0x03);
    /* LEDs take a parameter */
    outb(t, 0x60, 0xed);
    ck_assert_uint_eq(read_data(), 0xfa);
    outb(t, 0x60, 0x07);
    ck_assert_uint_eq(read_data(), 0xfa);
    outb(t, 0x60, 0xee);
    ck_assert_uint_eq(read_data(), 0xee);
}
END_TEST

START_TEST(test_key_input)
{
    uint8_t make[] = {0x1e, 0x9e};
    i8042_kbd_put(&kbc, make, 2);
    ck_assert(t->level[1]);
    ck_assert_uint_eq(read_data(), 0x1e);
    ck_assert_uint_eq(read_data(), 0x9e);
    outb(t, 0x60, 0xf5);   /* disable scanning */
    (void)read_data();
    i8042_kbd_put(&kbc, make, 2);
    ck_assert_uint_eq(inb(t, 0x64) & 1, 0);
}
END_TEST

START_TEST(test_a20_and_reset)
{
    ck_assert(i8042_a20_enabled(&kbc));
    outb(t, 0x64, 0xd1);
    outb(t, 0x60, 0xdd);   /* A20 off, reset line high */
    ck_assert(!a20);
    ck_assert(!i8042_a20_enabled(&kbc));
    outb(t, 0x64, 0xd0);
    ck_assert_uint_eq(read_data() & 0x03, 0x01);
    outb(t, 0x64, 0xd1);
    outb(t, 0x60, 0xdf);
    ck_assert(a20);
    ck_assert_int_eq(resets, 0);
    /* port 0x92 */
    outb(t, 0x64, 0xdd);
    ck_assert(!a20);
    outb(t, 0x92, 0x02);
    ck_assert(a20);
    ck_assert_uint_eq(inb(t, 0x92), 0x02);
    outb(t, 0x92, 0x00);
    ck_assert(!a20);
    outb(t, 0x92, 0x01);   /* fast reset */
    ck_assert_int_eq(resets, 1);
    outb(t, 0x64, 0xfe);   /* pulse reset line */
    ck_assert_int_eq(resets, 2);
    outb(t, 0x64, 0xff);   /* pulse nothing */
    ck_assert_int_eq(resets, 2);
    outb(t, 0x64, 0xd1);
    outb(t, 0x60, 0x00);   /* output port reset bit low */
    ck_assert_int_eq(resets, 3);
}
END_TEST

static void mouse_cmd(uint8_t b)
{
    outb(t, 0x64, 0xd4);
    outb(t, 0x60, b);
}

/* The next byte must be mouse data (status bit 5) with this value. */
static void expect_aux(uint8_t want)
{
    ck_assert_uint_eq(inb(t, 0x64) & 0x21, 0x21);
    ck_assert_uint_eq(inb(t, 0x60), want);
}

START_TEST(test_mouse)
{
    outb(t, 0x64, 0x60);
    outb(t, 0x60, 0x03);   /* kbd + aux interrupts */
    outb(t, 0x64, 0xa9);
    ck_assert_uint_eq(read_data(), 0x00);
    outb(t, 0x64, 0xd3);   /* aux loopback */
    outb(t, 0x60, 0x5a);
    ck_assert_uint_eq(inb(t, 0x64) & 0x21, 0x21);
    ck_assert(t->level[12]);
    ck_assert_uint_eq(inb(t, 0x60), 0x5a);
    ck_assert(!t->level[12]);
    /* Reset: ACK, self-test passed, ID 0. */
    mouse_cmd(0xff);
    ck_assert(t->level[12]);
    expect_aux(0xfa);
    expect_aux(0xaa);
    expect_aux(0x00);
    /* Motion before reporting is enabled is not sent. */
    i8042_mouse_event(&kbc, 5, 5, 0, 0);
    ck_assert_uint_eq(inb(t, 0x64) & 0x01, 0);
    /* The IntelliMouse knock: rates 200, 100, 80 make it ID 3. */
    const uint8_t rates[] = {200, 100, 80};
    for (unsigned i = 0; i < 3; i++) {
        mouse_cmd(0xf3);
        expect_aux(0xfa);
        mouse_cmd(rates[i]);
        expect_aux(0xfa);
    }
    mouse_cmd(0xf2);
    expect_aux(0xfa);
    expect_aux(0x03);
    mouse_cmd(0xe9);       /* status: stream, disabled, rate 80 */
    expect_aux(0xfa);
    expect_aux(0x00);
    expect_aux(0x02);
    expect_aux(80);
    mouse_cmd(0xf4);
    expect_aux(0xfa);
    /* Left button, 3 right, 2 down, one wheel step: a 4-byte packet with
     * the sign bits in byte 0. */
    i8042_mouse_event(&kbc, 3, -2, 1, 1);
    expect_aux(0x08 | 0x01 | 0x20);
    expect_aux(3);
    expect_aux(0xfe);
    expect_aux(0x01);
    ck_assert_uint_eq(inb(t, 0x64) & 0x01, 0);
    /* A large move goes out in packets of at most 255 counts. */
    i8042_mouse_event(&kbc, 600, 0, 0, 0);
    int total = 0, packets = 0;
    while (inb(t, 0x64) & 0x01) {
        uint8_t b0 = inb(t, 0x60);
        ck_assert_uint_eq(b0 & 0x08, 0x08);
        ck_assert_uint_eq(b0 & 0x10, 0);
        total += inb(t, 0x60);
        (void)inb(t, 0x60);
        (void)inb(t, 0x60);
        packets++;
    }
    ck_assert_int_eq(total, 600);
    ck_assert_int_eq(packets, 3);
    /* Not a command: resend request. */
    mouse_cmd(0x12);
    expect_aux(0xfe);
}
END_TEST

START_TEST(test_key_scan_codes)
{
    /* After reset the command byte has translation on: set 2 codes from
     * the keyboard reach the guest as set 1. */
    ck_assert(i8042_translation_enabled(&kbc));
    ck_assert(i8042_kbd_key(&kbc, HID_A, true));
    ck_assert(i8042_kbd_key(&kbc, HID_A, false));
    ck_assert_uint_eq(read_data(), 0x1e);
    ck_assert_uint_eq(read_data(), 0x9e);
    /* An E0 key: right Ctrl. */
    i8042_kbd_key(&kbc, HID_RCTRL, true);
    i8042_kbd_key(&kbc, HID_RCTRL, false);
    ck_assert_uint_eq(read_data(), 0xe0);
    ck_assert_uint_eq(read_data(), 0x1d);
    ck_assert_uint_eq(read_data(), 0xe0);
    ck_assert_uint_eq(read_data(), 0x9d);
    /* Pause: the whole E1 sequence on press, nothing on release. */
    i8042_kbd_key(&kbc, HID_PAUSE, true);
    i8042_kbd_key(&kbc, HID_PAUSE, false);
    const uint8_t pause1[] = {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5};
    for (unsigned i = 0; i < sizeof(pause1); i++)
        ck_assert_uint_eq(read_data(), pause1[i]);
    ck_assert_uint_eq(inb(t, 0x64) & 0x01, 0);
    /* Translation off: the keyboard's own set 2, F0 break prefix. */
    outb(t, 0x64, 0x60);
    outb(t, 0x60, 0x01);
    i8042_kbd_key(&kbc, HID_A, true);
    i8042_kbd_key(&kbc, HID_A, false);
    ck_assert_uint_eq(read_data(), 0x1c);
    ck_assert_uint_eq(read_data(), 0xf0);
    ck_assert_uint_eq(read_data(), 0x1c);
    i8042_kbd_key(&kbc, HID_PRINTSCREEN, false);
    const uint8_t prtsc_break2[] = {0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12};
    for (unsigned i = 0; i < sizeof(prtsc_break2); i++)
        ck_assert_uint_eq(read_data(), prtsc_break2[i]);
    /* F7 is the one set 2 code above 0x7f. */
    i8042_kbd_key(&kbc, 0x40, true);
    ck_assert_uint_eq(read_data(), 0x83);
    /* A key no PC keyboard has. */
    ck_assert(!i8042_kbd_key(&kbc, 0xa5, true));
}
END_TEST

START_TEST(test_one_edge_per_byte)
{
    /* Identify answers three bytes; each must raise IRQ1 anew, or an
     * edge-triggered interrupt controller (Linux's atkbd on the I/O APIC)
     * sees only the ACK. */
    outb(t, 0x64, 0x60);
    outb(t, 0x60, 0x01);   /* keyboard interrupt, no translation */
    unsigned before = t->rises[1];
    outb(t, 0x60, 0xf2);
    ck_assert_uint_eq(inb(t, 0x60), 0xfa);
    ck_assert_uint_eq(inb(t, 0x60), 0xab);
    ck_assert_uint_eq(inb(t, 0x60), 0x83);
    ck_assert_uint_eq(t->rises[1] - before, 3);
    ck_assert(!t->level[1]);
    /* The same for the mouse's answers on IRQ12. */
    outb(t, 0x64, 0x60);
    outb(t, 0x60, 0x03);
    before = t->rises[12];
    mouse_cmd(0xff);
    for (unsigned i = 0; i < 3; i++)
        (void)inb(t, 0x60);
    ck_assert_uint_eq(t->rises[12] - before, 3);
}
END_TEST

START_TEST(test_translation_table)
{
    /* Every key's set 2 sequence translates to its set 1 sequence, as the
     * 8042 does it byte by byte. */
    for (unsigned hid = 0; hid < 256; hid++) {
        for (int down = 0; down < 2; down++) {
            uint8_t s1[PS2_MAX_SEQUENCE], s2[PS2_MAX_SEQUENCE], x[PS2_MAX_SEQUENCE];
            unsigned n1 = ps2_key_sequence(hid, down, 1, s1);
            unsigned n2 = ps2_key_sequence(hid, down, 2, s2);
            ck_assert_int_eq(n1 == 0, n2 == 0);
            struct ps2_translation tr = {0};
            unsigned m = 0;
            for (unsigned i = 0; i < n2; i++)
                if (ps2_translate_set2(&tr, s2[i], &x[m]))
                    m++;
            ck_assert_uint_eq(m, n1);
            ck_assert_mem_eq(x, s1, n1);
        }
    }
}
END_TEST

START_TEST(test_garbage)
{
    for (unsigned c = 0; c < 256; c++) {
        if (c == 0xd1 || (c >= 0xf0 && !(c & 1)))
            continue;   /* reset-causing commands are covered above */
        outb(t, 0x64, (uint8_t)c);
        outb(t, 0x60, (uint8_t)(c ^ 0x5a));
        for (int i = 0; i < 4; i++)
            (void)inb(t, 0x60);
    }
    for (int i = 0; i < 100; i++)
        outb(t, 0x60, 0xff);   /* overrun the queue */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_self_tests);
    tcase_add_test(tc, test_command_byte);
    tcase_add_test(tc, test_keyboard_reset_and_irq);
    tcase_add_test(tc, test_scancode_set);
    tcase_add_test(tc, test_key_input);
    tcase_add_test(tc, test_a20_and_reset);
    tcase_add_test(tc, test_mouse);
    tcase_add_test(tc, test_key_scan_codes);
    tcase_add_test(tc, test_translation_table);
    tcase_add_test(tc, test_one_edge_per_byte);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

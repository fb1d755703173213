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
    ck_assert_uint_eq(t->rises[1], 1);
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

START_TEST(test_absent_mouse)
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
    outb(t, 0x64, 0xd4);   /* to the mouse: reset */
    outb(t, 0x60, 0xff);
    uint8_t st = inb(t, 0x64);
    ck_assert_uint_eq(st & 0x61, 0x61);   /* aux data with timeout */
    ck_assert_uint_eq(inb(t, 0x60), 0xfe);
    ck_assert_uint_eq(inb(t, 0x64) & 0x41, 0);
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
    tcase_add_test(tc, test_absent_mouse);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

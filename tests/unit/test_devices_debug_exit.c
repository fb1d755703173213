/* Tests for devices/debug_exit.c and devices/iobus.c basics. */
#include <check.h>
#include <stdlib.h>

#include "devices/debug_exit.h"
#include "device_test_env.h"

static int exits, last_status;

static void on_exit_cb(void *o, int status)
{
    (void)o;
    exits++;
    last_status = status;
}

START_TEST(test_exit_status)
{
    struct test_env *t = test_env_new(0);
    struct debug_exit d;
    exits = 0;
    debug_exit_init(&d, &t->env, 0xf4, 4, on_exit_cb, NULL);
    outb(t, 0xf4, 0);
    ck_assert_int_eq(exits, 1);
    ck_assert_int_eq(last_status, 1);
    outl(t, 0xf4, 0x10);
    ck_assert_int_eq(last_status, 0x21);
    outb(t, 0xf7, 0x01);
    ck_assert_int_eq(last_status, 3);
    ck_assert(d.exit_requested);
    ck_assert_uint_eq(inb(t, 0xf4), 0);
    outb(t, 0x80, 0x42);
    ck_assert_uint_eq(d.post_code, 0x42);
    ck_assert_uint_eq(inb(t, 0x80), 0x42);
    ck_assert_int_eq(exits, 3);
    test_env_free(t);
}
END_TEST

START_TEST(test_iobus)
{
    struct test_env *t = test_env_new(0);
    ck_assert_uint_eq(inb(t, 0x1234), 0xff);
    ck_assert_uint_eq(inw(t, 0x1234), 0xffff);
    ck_assert_uint_eq(inl(t, 0x1234), 0xffffffffu);
    outl(t, 0x1234, 5);
    ck_assert_int_eq(iobus_register(&t->io, 0xfff0, 0x20, NULL, NULL, NULL, "x"), -1);
    ck_assert_int_eq(iobus_register(&t->io, 0xfff0, 0x10, NULL, NULL, NULL, "x"), 0);
    ck_assert_uint_eq(inb(t, 0xffff), 0xff);   /* NULL read: all ones */
    struct debug_exit d;
    debug_exit_init(&d, &t->env, DEBUG_EXIT_DEFAULT_IOBASE, DEBUG_EXIT_DEFAULT_IOSIZE, NULL, NULL);
    outw(t, 0x501, 0x7);
    ck_assert(d.exit_requested);
    ck_assert_int_eq(d.exit_status, 15);
    iobus_write(&t->io, 0x80, 0x99, 3);   /* odd size: treated as 4 */
    ck_assert_uint_eq(d.post_code, 0x99);
    /* moving a handler (PCI I/O BARs) */
    struct debug_exit d2;
    debug_exit_init(&d2, NULL, 0xc000, 4, NULL, NULL);
    int h = iobus_register(&t->io, 0xc000, 4, &d2, debug_exit_io_read, debug_exit_io_write, "bar");
    ck_assert_int_ge(h, 0);
    ck_assert_int_eq(iobus_set_range(&t->io, h, 0xd000, 4), 0);
    outb(t, 0xc000, 1);
    ck_assert(!d2.exit_requested);
    d2.iobase = 0xd000;
    outb(t, 0xd002, 1);
    ck_assert(d2.exit_requested);
    ck_assert_int_eq(iobus_set_range(&t->io, h, 0, 0), 0);
    ck_assert_uint_eq(inb(t, 0xd000), 0xff);
    ck_assert_int_eq(iobus_set_range(&t->io, 99, 0, 0), -1);
    test_env_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debug_exit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_exit_status);
    tcase_add_test(tc, test_iobus);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

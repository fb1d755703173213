/* devices/iobus.c: a PCI I/O BAR registered unmapped takes no ports; mapped
 * over fixed devices it answers there, and moved away it gives those ports
 * back (before, registering a BAR handler at port 0 took over 0x00-0x7F for
 * good: the PIC, PIT, keyboard controller and RTC went dead as soon as a
 * virtio-blk disk existed). */
#include <check.h>
#include <stdlib.h>

#include "devices/bus.h"

static struct iobus bus;
static int tag_a = 0xa, tag_b = 0xb;

static uint32_t rd(void *opaque, uint16_t port, unsigned size)
{
    (void)port;
    (void)size;
    return (uint32_t)*(int *)opaque;
}

START_TEST(test_bar_overlay_gives_ports_back)
{
    iobus_init(&bus);
    ck_assert_int_ge(iobus_register(&bus, 0x60, 1, &tag_a, rd, NULL, "kbd"), 0);
    ck_assert_int_ge(iobus_register(&bus, 0x70, 2, &tag_a, rd, NULL, "rtc"), 0);
    int bar = iobus_register(&bus, 0, 0, &tag_b, rd, NULL, "bar");
    ck_assert_int_ge(bar, 0);
    /* Unmapped: nothing changed, port 0 is still nobody's. */
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 1), 0xa);
    ck_assert_uint_eq(iobus_read(&bus, 0x71, 1), 0xa);
    ck_assert_uint_eq(iobus_read(&bus, 0x00, 1), 0xff);
    /* Mapped over them: the later registration answers. */
    ck_assert_int_eq(iobus_set_range(&bus, bar, 0x40, 0x80), 0);
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 1), 0xb);
    ck_assert_uint_eq(iobus_read(&bus, 0x70, 2), 0xb);
    /* Moved away and unmapped: the fixed devices are back. */
    ck_assert_int_eq(iobus_set_range(&bus, bar, 0xc000, 0x80), 0);
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 1), 0xa);
    ck_assert_uint_eq(iobus_read(&bus, 0x70, 1), 0xa);
    ck_assert_uint_eq(iobus_read(&bus, 0xc07f, 1), 0xb);
    ck_assert_uint_eq(iobus_read(&bus, 0xc080, 2), 0xffff);
    ck_assert_int_eq(iobus_set_range(&bus, bar, 0, 0), 0);
    ck_assert_uint_eq(iobus_read(&bus, 0xc000, 1), 0xff);
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 1), 0xa);
    /* Past the port space: refused. */
    ck_assert_int_eq(iobus_set_range(&bus, bar, 0xffc0, 0x80), -1);
    ck_assert_int_eq(iobus_register(&bus, 0xfff0, 0x20, &tag_b, rd, NULL, "x"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("iobus");
    TCase *tc = tcase_create("iobus");
    tcase_add_test(tc, test_bar_overlay_gives_ports_back);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Tests for devices/testdev.c (QEMU's pc-testdev, as kvm-unit-tests uses
 * it): the scratch register in pieces, the IRQ-line ports, the MMIO
 * window. */
#include <check.h>
#include <stdlib.h>

#include "devices/testdev.h"
#include "device_test_env.h"

static struct testdev dev;

START_TEST(test_scratch_register_pieces)
{
    struct test_env *t = test_env_new(0);
    ck_assert_int_eq(testdev_init(&dev, &t->env), 0);
    outl(t, TESTDEV_IOPORT, 0x11223344);
    ck_assert_uint_eq(inl(t, TESTDEV_IOPORT), 0x11223344);
    ck_assert_uint_eq(inb(t, TESTDEV_IOPORT + 1), 0x33);
    ck_assert_uint_eq(inw(t, TESTDEV_IOPORT + 2), 0x1122);
    outb(t, TESTDEV_IOPORT + 3, 0xaa);
    ck_assert_uint_eq(inl(t, TESTDEV_IOPORT), 0xaa223344);
    /* The byte-wise window at 0xE8 is the same register. */
    ck_assert_uint_eq(inl(t, TESTDEV_IOPORT_BYTE), 0xaa223344);
    outw(t, TESTDEV_IOPORT_BYTE + 1, 0xbeef);
    ck_assert_uint_eq(inl(t, TESTDEV_IOPORT), 0xaabeef44);
    /* A dword at offset 2 covers only the register's last two bytes. */
    ck_assert_uint_eq(inl(t, TESTDEV_IOPORT + 2), 0xaabe);
    test_env_free(t);
}
END_TEST

START_TEST(test_irq_lines)
{
    struct test_env *t = test_env_new(0);
    ck_assert_int_eq(testdev_init(&dev, &t->env), 0);
    outb(t, TESTDEV_IRQ_PORT + 11, 1);
    ck_assert(t->level[11]);
    outb(t, TESTDEV_IRQ_PORT + 11, 0);
    ck_assert(!t->level[11]);
    ck_assert_uint_eq(t->rises[11], 1);
    outb(t, TESTDEV_IRQ_PORT + 23, 5); /* any non-zero value asserts */
    ck_assert(t->level[23]);
    outl(t, TESTDEV_FLUSH_PORT, 0x1000); /* accepted, no visible effect */
    ck_assert_uint_eq(inb(t, TESTDEV_IRQ_PORT), 0);
    test_env_free(t);
}
END_TEST

START_TEST(test_iomem_window)
{
    struct test_env *t = test_env_new(16 << 20);
    ck_assert(t->have_mem);
    ck_assert_int_eq(testdev_init(&dev, &t->env), 0);
    physmem_write(&t->mem, TESTDEV_IOMEM_BASE + 0x10, 0x0123456789abcdefull, 8);
    ck_assert_uint_eq(physmem_read(&t->mem, TESTDEV_IOMEM_BASE + 0x10, 8), 0x0123456789abcdefull);
    ck_assert_uint_eq(physmem_read(&t->mem, TESTDEV_IOMEM_BASE + 0x11, 2), 0xabcd);
    /* The last bytes of the window; nothing beyond it is reached. */
    physmem_write(&t->mem, TESTDEV_IOMEM_BASE + TESTDEV_IOMEM_SIZE - 2, 0xffff, 2);
    ck_assert_uint_eq(physmem_read(&t->mem, TESTDEV_IOMEM_BASE + TESTDEV_IOMEM_SIZE - 2, 2),
                      0xffff);
    ck_assert_uint_eq(testdev_mmio_read(&dev, TESTDEV_IOMEM_SIZE - 1, 8), 0xff);
    testdev_mmio_write(&dev, TESTDEV_IOMEM_SIZE, 1, 1); /* out of range: ignored */
    test_env_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("devices_testdev");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_scratch_register_pieces);
    tcase_add_test(tc, test_irq_lines);
    tcase_add_test(tc, test_iomem_window);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

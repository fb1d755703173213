/* Tests for devices/pic.c: initialization, priorities, EOI, ELCR, AEOI,
 * special mask, poll, rotation, spurious IRQ7/15. */
#include <check.h>
#include <stdlib.h>

#include "devices/pic.h"
#include "device_test_env.h"

static struct test_env *t;
static struct pic pic;
static int output_changes;

static void on_output(void *opaque, bool level)
{
    (void)opaque;
    (void)level;
    output_changes++;
}

/* The standard PC programming (as Linux and SeaBIOS do): vectors 0x20 and
 * 0x28, cascade on IR2, 8086 mode. */
static void init_pair(uint8_t icw4)
{
    outb(t, 0x20, 0x11);
    outb(t, 0x21, 0x20);
    outb(t, 0x21, 0x04);
    outb(t, 0x21, icw4);
    outb(t, 0xa0, 0x11);
    outb(t, 0xa1, 0x28);
    outb(t, 0xa1, 0x02);
    outb(t, 0xa1, icw4);
    outb(t, 0x21, 0x00);
    outb(t, 0xa1, 0x00);
}

static void setup(void)
{
    t = test_env_new(0);
    output_changes = 0;
    pic_init(&pic, &t->env, on_output, NULL);
    init_pair(0x01);
}

static void teardown(void)
{
    test_env_free(t);
}

static void pulse(unsigned irq)
{
    pic_set_irq(&pic, irq, true);
    pic_set_irq(&pic, irq, false);
}

START_TEST(test_basic_ack_and_eoi)
{
    ck_assert(!pic_has_interrupt(&pic));
    pulse(1);
    ck_assert(pic_has_interrupt(&pic));
    ck_assert_int_eq(output_changes, 1);
    ck_assert_uint_eq(inb(t, 0x20), 0x02);   /* IRR */
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x21);
    ck_assert(!pic_has_interrupt(&pic));
    outb(t, 0x20, 0x0b);                     /* OCW3: read ISR */
    ck_assert_uint_eq(inb(t, 0x20), 0x02);
    outb(t, 0x20, 0x20);                     /* non-specific EOI */
    ck_assert_uint_eq(inb(t, 0x20), 0x00);
    ck_assert_uint_eq(inb(t, 0x21), 0x00);   /* IMR */
}
END_TEST

START_TEST(test_priority_and_nesting)
{
    pulse(4);
    pulse(1);
    pulse(6);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x21);
    /* IR1 in service: IR4 and IR6 are blocked? No: only lower priority
     * than IR1 are blocked, which is all of them. */
    ck_assert(!pic_has_interrupt(&pic));
    pulse(0);   /* higher priority nests */
    ck_assert(pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x20);
    outb(t, 0x20, 0x20);   /* EOI IR0 */
    outb(t, 0x20, 0x20);   /* EOI IR1 */
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x24);
    outb(t, 0x20, 0x20);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x26);
    outb(t, 0x20, 0x20);
    ck_assert(!pic_has_interrupt(&pic));
}
END_TEST

START_TEST(test_mask)
{
    outb(t, 0x21, 0x02);
    pulse(1);
    ck_assert(!pic_has_interrupt(&pic));
    outb(t, 0x21, 0x00);
    ck_assert(pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x21);
}
END_TEST

START_TEST(test_slave_cascade)
{
    pulse(12);
    ck_assert(pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x2c);
    outb(t, 0x20, 0x0b);
    ck_assert_uint_eq(inb(t, 0x20), 0x04);   /* master ISR: IR2 */
    outb(t, 0xa0, 0x0b);
    ck_assert_uint_eq(inb(t, 0xa0), 0x10);   /* slave ISR: IR4 */
    /* Another slave request is blocked by the master's IR2 in service
     * (no special fully nested mode). */
    pulse(8);
    ck_assert(!pic_has_interrupt(&pic));
    outb(t, 0xa0, 0x20);
    outb(t, 0x20, 0x20);
    ck_assert(pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x28);
    /* Masking the slave line on the master hides slave requests. */
    outb(t, 0xa0, 0x20);
    outb(t, 0x20, 0x20);
    outb(t, 0x21, 0x04);
    pulse(9);
    ck_assert(!pic_has_interrupt(&pic));
}
END_TEST

START_TEST(test_spurious)
{
    /* Level request that goes away before INTA: IRQ7 vector, no ISR bit. */
    outb(t, 0x4d0, 0x20);   /* IRQ5 level */
    pic_set_irq(&pic, 5, true);
    ck_assert(pic_has_interrupt(&pic));
    pic_set_irq(&pic, 5, false);
    ck_assert(!pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x27);
    outb(t, 0x20, 0x0b);
    ck_assert_uint_eq(inb(t, 0x20), 0x00);
    /* Same through the slave: IRQ15 vector, master IR2 in service. */
    outb(t, 0x4d1, 0x02);   /* IRQ9 level */
    pic_set_irq(&pic, 9, true);
    ck_assert(pic_has_interrupt(&pic));
    outb(t, 0xa1, 0x02);    /* masked on the slave after the fact */
    ck_assert(!pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x27);
}
END_TEST

START_TEST(test_elcr_level)
{
    outb(t, 0x4d0, 0xff);
    ck_assert_uint_eq(inb(t, 0x4d0), 0xf8);   /* IRQ0-2 are always edge */
    outb(t, 0x4d1, 0xff);
    ck_assert_uint_eq(inb(t, 0x4d1), 0xde);
    outb(t, 0x4d0, 0x08);   /* IRQ3 level */
    pic_set_irq(&pic, 3, true);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x23);
    outb(t, 0x20, 0x20);
    /* still asserted: requested again */
    ck_assert(pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x23);
    pic_set_irq(&pic, 3, false);
    outb(t, 0x20, 0x20);
    ck_assert(!pic_has_interrupt(&pic));
    /* Edge input: a held level gives one request only. */
    pic_set_irq(&pic, 4, true);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x24);
    outb(t, 0x20, 0x20);
    ck_assert(!pic_has_interrupt(&pic));
    pic_set_irq(&pic, 4, false);
}
END_TEST

START_TEST(test_auto_eoi)
{
    init_pair(0x03);   /* ICW4: AEOI */
    pulse(3);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x23);
    outb(t, 0x20, 0x0b);
    ck_assert_uint_eq(inb(t, 0x20), 0x00);   /* nothing in service */
    pulse(5);
    ck_assert(pic_has_interrupt(&pic));
}
END_TEST

START_TEST(test_specific_eoi_and_rotation)
{
    pulse(3);
    pulse(5);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x23);
    outb(t, 0x20, 0x63);   /* specific EOI IR3 */
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x25);
    outb(t, 0x20, 0xa0);   /* rotate on non-specific EOI: IR5 becomes lowest */
    pulse(4);
    pulse(6);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x26);   /* IR6 now highest */
    outb(t, 0x20, 0x20);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x24);
    outb(t, 0x20, 0x20);
    /* set priority: IR7 lowest -> IR0 highest again */
    outb(t, 0x20, 0xc7);
    pulse(0);
    pulse(7);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x20);
    outb(t, 0x20, 0xe0);   /* rotate on specific EOI IR0: IR1 highest */
    pulse(0);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x27);
}
END_TEST

START_TEST(test_special_mask)
{
    pulse(1);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x21);
    pulse(5);
    ck_assert(!pic_has_interrupt(&pic));   /* blocked by IR1 in service */
    outb(t, 0x21, 0x02);                   /* mask IR1 */
    outb(t, 0x20, 0x68);                   /* OCW3: set special mask */
    ck_assert(pic_has_interrupt(&pic));
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x25);
    outb(t, 0x20, 0x48);                   /* reset special mask */
}
END_TEST

START_TEST(test_poll)
{
    pulse(6);
    outb(t, 0x20, 0x0c);   /* OCW3 poll */
    ck_assert_uint_eq(inb(t, 0x20), 0x86);
    outb(t, 0x20, 0x0b);
    ck_assert_uint_eq(inb(t, 0x20), 0x40);   /* poll acted as INTA */
    outb(t, 0x20, 0x20);
    outb(t, 0x20, 0x0c);
    ck_assert_uint_eq(inb(t, 0x20), 0x00);   /* nothing pending */
}
END_TEST

START_TEST(test_icw1_resets)
{
    outb(t, 0x21, 0xff);
    pulse(1);
    outb(t, 0x20, 0x11);   /* ICW1 again: IMR cleared, edge latch reset */
    ck_assert_uint_eq(inb(t, 0x21), 0x00);
    outb(t, 0x21, 0x30);
    outb(t, 0x21, 0x04);
    outb(t, 0x21, 0x01);
    pulse(2);              /* the cascade line is not an external input */
    ck_assert(!pic_has_interrupt(&pic));
    pulse(0);
    ck_assert_uint_eq(pic_acknowledge(&pic), 0x30);
    /* garbage: any port, any value is safe */
    for (unsigned v = 0; v < 256; v++) {
        outb(t, 0x20, (uint8_t)v);
        outb(t, 0x21, (uint8_t)v);
        outb(t, 0xa0, (uint8_t)v);
        outb(t, 0xa1, (uint8_t)v);
        (void)inb(t, 0x20);
        (void)inb(t, 0xa1);
        (void)pic_acknowledge(&pic);
    }
    pic_set_irq(&pic, 99, true);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pic");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_basic_ack_and_eoi);
    tcase_add_test(tc, test_priority_and_nesting);
    tcase_add_test(tc, test_mask);
    tcase_add_test(tc, test_slave_cascade);
    tcase_add_test(tc, test_spurious);
    tcase_add_test(tc, test_elcr_level);
    tcase_add_test(tc, test_auto_eoi);
    tcase_add_test(tc, test_specific_eoi_and_rotation);
    tcase_add_test(tc, test_special_mask);
    tcase_add_test(tc, test_poll);
    tcase_add_test(tc, test_icw1_resets);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

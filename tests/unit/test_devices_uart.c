/* Tests for devices/uart.c: output backend, DLAB, FIFO, IIR priorities,
 * THRE semantics as Linux's 8250 driver probes them, loopback, OUT2 gate. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/uart.h"
#include "device_test_env.h"

#define COM1 0x3f8

static struct test_env *t;
static struct uart u;
static uint8_t outbuf[256];
static size_t outlen;

static void out_write(void *opaque, const uint8_t *buf, size_t n)
{
    (void)opaque;
    for (size_t i = 0; i < n && outlen < sizeof(outbuf); i++)
        outbuf[outlen++] = buf[i];
}

static void setup(void)
{
    t = test_env_new(0);
    outlen = 0;
    struct chardev cd = {.opaque = NULL, .write = out_write};
    uart_init(&u, &t->env, COM1, 4, &cd);
}

static void teardown(void)
{
    test_env_free(t);
}

START_TEST(test_reset_state_and_tx)
{
    ck_assert_uint_eq(inb(t, COM1 + 5), 0x60);   /* THRE | TEMT */
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x01);   /* no interrupt */
    ck_assert_uint_eq(inb(t, COM1 + 6) & 0xf0, 0xb0);
    outb(t, COM1, 'h');
    outb(t, COM1, 'i');
    ck_assert_uint_eq(outlen, 2);
    ck_assert(memcmp(outbuf, "hi", 2) == 0);
    ck_assert_uint_eq(inb(t, COM1 + 5) & 0x60, 0x60);
}
END_TEST

START_TEST(test_dlab_and_scratch)
{
    outb(t, COM1 + 3, 0x80);
    outb(t, COM1, 0x01);
    outb(t, COM1 + 1, 0x00);
    ck_assert_uint_eq(inb(t, COM1), 0x01);
    ck_assert_uint_eq(inb(t, COM1 + 1), 0x00);
    ck_assert_uint_eq(u.divisor, 1);
    outb(t, COM1 + 3, 0x03);
    ck_assert_uint_eq(inb(t, COM1 + 3), 0x03);
    ck_assert_uint_eq(outlen, 0);   /* DLL write did not transmit */
    outb(t, COM1 + 7, 0x5a);
    ck_assert_uint_eq(inb(t, COM1 + 7), 0x5a);
}
END_TEST

START_TEST(test_fifo_detect_and_receive)
{
    outb(t, COM1 + 2, 0xc7);   /* enable FIFO, clear, trigger 14 */
    ck_assert_uint_eq(inb(t, COM1 + 2) & 0xc0, 0xc0);   /* 16550A */
    outb(t, COM1 + 4, 0x0b);   /* DTR RTS OUT2 */
    outb(t, COM1 + 1, 0x01);   /* RDI */
    uart_receive(&u, (const uint8_t *)"abc", 3);
    ck_assert(t->level[4]);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0xcc);   /* char timeout: below trigger */
    ck_assert_uint_eq(inb(t, COM1 + 5) & 1, 1);
    ck_assert_uint_eq(inb(t, COM1), 'a');
    ck_assert_uint_eq(inb(t, COM1), 'b');
    ck_assert_uint_eq(inb(t, COM1), 'c');
    ck_assert_uint_eq(inb(t, COM1 + 5) & 1, 0);
    ck_assert(!t->level[4]);
    /* 14 bytes reach the trigger level: RDA */
    uint8_t buf[20];
    for (int i = 0; i < 20; i++)
        buf[i] = (uint8_t)i;
    ck_assert_uint_eq(uart_can_receive(&u), 16);
    uart_receive(&u, buf, 14);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0xc4);
    /* overflow: 16 fit, the rest sets OE */
    uart_receive(&u, buf, 6);
    ck_assert_uint_eq(uart_can_receive(&u), 0);
    outb(t, COM1 + 1, 0x05);   /* + RLSI */
    ck_assert_uint_eq(inb(t, COM1 + 2), 0xc6);   /* line status has priority */
    ck_assert_uint_eq(inb(t, COM1 + 5) & 0x02, 0x02);
    ck_assert_uint_eq(inb(t, COM1 + 5) & 0x02, 0x00);   /* cleared by the read */
    for (int i = 0; i < 14; i++)
        ck_assert_uint_eq(inb(t, COM1), (uint8_t)i);
    ck_assert_uint_eq(inb(t, COM1), 0);
    ck_assert_uint_eq(inb(t, COM1), 1);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0xc1);
}
END_TEST

START_TEST(test_no_fifo_one_byte)
{
    uart_receive(&u, (const uint8_t *)"xy", 2);
    ck_assert_uint_eq(inb(t, COM1 + 5) & 0x03, 0x03);   /* DR + OE */
    ck_assert_uint_eq(inb(t, COM1), 'x');
}
END_TEST

START_TEST(test_thre_semantics)
{
    outb(t, COM1 + 4, 0x08);   /* OUT2 */
    /* Linux's UART_BUG_THRE probe: enabling THRI with THR empty raises THRE
     * each time, and reading IIR acknowledges it. */
    outb(t, COM1 + 1, 0x02);
    ck_assert(t->level[4]);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x02);
    ck_assert(!t->level[4]);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x01);
    outb(t, COM1 + 1, 0x00);
    outb(t, COM1 + 1, 0x02);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x02);
    /* a transmitted byte empties THR again: THRE again */
    outb(t, COM1, 'z');
    ck_assert(t->level[4]);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x02);
    /* RX data beats THRE in priority */
    outb(t, COM1 + 1, 0x03);
    outb(t, COM1, 'q');
    uart_receive(&u, (const uint8_t *)"r", 1);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x04);
    (void)inb(t, COM1);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x02);
}
END_TEST

START_TEST(test_out2_gates_irq)
{
    outb(t, COM1 + 1, 0x02);
    ck_assert(!t->level[4]);
    ck_assert_uint_eq(inb(t, COM1 + 2), 0x02);   /* pending internally */
    outb(t, COM1 + 1, 0x00);
    outb(t, COM1 + 1, 0x02);
    outb(t, COM1 + 4, 0x08);
    ck_assert(t->level[4]);
}
END_TEST

START_TEST(test_loopback)
{
    /* Linux autoconfig: MCR = LOOP | 0x0A -> MSR status 0x90 */
    outb(t, COM1 + 4, 0x1a);
    ck_assert_uint_eq(inb(t, COM1 + 6) & 0xf0, 0x90);
    outb(t, COM1 + 2, 0x07);
    outb(t, COM1, 0x55);
    outb(t, COM1, 0xaa);
    ck_assert_uint_eq(outlen, 0);   /* nothing leaves the chip */
    ck_assert_uint_eq(inb(t, COM1 + 5) & 1, 1);
    ck_assert_uint_eq(inb(t, COM1), 0x55);
    ck_assert_uint_eq(inb(t, COM1), 0xaa);
    /* modem status deltas */
    outb(t, COM1 + 4, 0x1f);
    uint8_t msr = inb(t, COM1 + 6);
    ck_assert_uint_eq(msr & 0xf0, 0xf0);
    ck_assert_uint_eq(msr & 0x0f, 0x02);   /* DDSR only: CTS unchanged, RI rose (TERI counts falls) */
    ck_assert_uint_eq(inb(t, COM1 + 6) & 0x0f, 0);
    outb(t, COM1 + 4, 0x00);
    ck_assert_uint_eq(inb(t, COM1 + 6) & 0xf0, 0xb0);
}
END_TEST

START_TEST(test_garbage)
{
    for (unsigned port = 0; port < 8; port++)
        for (unsigned v = 0; v < 256; v++) {
            outb(t, (uint16_t)(COM1 + port), (uint8_t)v);
            (void)inb(t, (uint16_t)(COM1 + port));
        }
    uint8_t big[1000];
    memset(big, 'x', sizeof(big));
    uart_receive(&u, big, sizeof(big));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uart");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_state_and_tx);
    tcase_add_test(tc, test_dlab_and_scratch);
    tcase_add_test(tc, test_fifo_detect_and_receive);
    tcase_add_test(tc, test_no_fifo_one_byte);
    tcase_add_test(tc, test_thre_semantics);
    tcase_add_test(tc, test_out2_gates_irq);
    tcase_add_test(tc, test_loopback);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

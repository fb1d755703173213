/* Tests for devices/ioapic.c through the physical address space:
 * registers, redirection, edge and level delivery, remote IRR and EOI. */
#include <check.h>
#include <stdlib.h>

#include "devices/ioapic.h"
#include "device_test_env.h"

static struct test_env *t;
static struct ioapic io;

static void setup(void)
{
    t = test_env_new(1 << 20);
    ioapic_init(&io, &t->env, IOAPIC_BASE);
}

static void teardown(void)
{
    test_env_free(t);
}

static uint32_t rd(uint8_t reg)
{
    physmem_write(&t->mem, IOAPIC_BASE, reg, 4);
    return (uint32_t)physmem_read(&t->mem, IOAPIC_BASE + 0x10, 4);
}

static void wr(uint8_t reg, uint32_t v)
{
    physmem_write(&t->mem, IOAPIC_BASE, reg, 4);
    physmem_write(&t->mem, IOAPIC_BASE + 0x10, v, 4);
}

static void set_rte(unsigned pin, uint64_t v)
{
    wr((uint8_t)(0x10 + 2 * pin + 1), (uint32_t)(v >> 32));
    wr((uint8_t)(0x10 + 2 * pin), (uint32_t)v);
}

START_TEST(test_registers)
{
    ck_assert_uint_eq(rd(0x01), 0x00170020);
    wr(0x00, 0xff000000);
    ck_assert_uint_eq(rd(0x00), 0x0f000000);
    wr(0x01, 0);
    ck_assert_uint_eq(rd(0x01), 0x00170020);
    for (unsigned p = 0; p < 24; p++)
        ck_assert_uint_eq(rd((uint8_t)(0x10 + 2 * p)), 0x00010000);   /* masked */
    set_rte(5, 0xff000000000fffffull);
    /* reserved bits 17-55 and the read-only bits 12, 14 do not stick */
    ck_assert_uint_eq(rd(0x1a), 0x0001afff);
    ck_assert_uint_eq(rd(0x1b), 0xff000000);
    ck_assert_uint_eq(physmem_read(&t->mem, IOAPIC_BASE, 4), 0x1b);
    ck_assert_uint_eq(rd(0x80), 0xffffffff);   /* beyond the table */
}
END_TEST

START_TEST(test_edge_delivery)
{
    set_rte(4, 0x0300000000000031ull);   /* vector 0x31, fixed, physical, dest 3 */
    ioapic_set_irq(&io, 4, true);
    ck_assert_uint_eq(t->nmsgs, 1);
    ck_assert_uint_eq(t->msgs[0].vector, 0x31);
    ck_assert_uint_eq(t->msgs[0].dest, 3);
    ck_assert(!t->msgs[0].level_triggered);
    ck_assert(!t->msgs[0].dest_logical);
    ioapic_set_irq(&io, 4, true);   /* no new edge */
    ck_assert_uint_eq(t->nmsgs, 1);
    ioapic_set_irq(&io, 4, false);
    ioapic_set_irq(&io, 4, true);
    ck_assert_uint_eq(t->nmsgs, 2);
    /* masked: edges are lost */
    set_rte(4, 0x0300000000010031ull);
    ioapic_set_irq(&io, 4, false);
    ioapic_set_irq(&io, 4, true);
    set_rte(4, 0x0300000000000031ull);
    ck_assert_uint_eq(t->nmsgs, 2);
    /* logical, lowest priority */
    set_rte(6, 0x0f00000000000940ull);
    ioapic_set_irq(&io, 6, true);
    ck_assert_uint_eq(t->msgs[2].delivery_mode, APIC_DM_LOWEST);
    ck_assert(t->msgs[2].dest_logical);
    ck_assert_uint_eq(t->msgs[2].dest, 0x0f);
}
END_TEST

START_TEST(test_level_remote_irr)
{
    set_rte(10, 0x000000000000a050ull);   /* level, active low, vector 0x50 */
    ioapic_set_irq(&io, 10, true);
    ck_assert_uint_eq(t->nmsgs, 1);
    ck_assert(t->msgs[0].level_triggered);
    ck_assert_uint_eq(rd(0x10 + 20) & (1u << 14), 1u << 14);   /* remote IRR */
    ioapic_set_irq(&io, 10, true);
    ck_assert_uint_eq(t->nmsgs, 1);
    /* EOI with the line still asserted: redelivered */
    ioapic_eoi(&io, 0x50);
    ck_assert_uint_eq(t->nmsgs, 2);
    ioapic_set_irq(&io, 10, false);
    ioapic_eoi(&io, 0x51);   /* other vector: nothing */
    ck_assert_uint_eq(rd(0x10 + 20) & (1u << 14), 1u << 14);
    /* EOI through the I/O APIC's EOI register */
    physmem_write(&t->mem, IOAPIC_BASE + 0x40, 0x50, 4);
    ck_assert_uint_eq(rd(0x10 + 20) & (1u << 14), 0);
    ck_assert_uint_eq(t->nmsgs, 2);
    /* masked while asserted, delivered at unmask */
    set_rte(10, 0x000000000001a050ull);
    ioapic_set_irq(&io, 10, true);
    ck_assert_uint_eq(t->nmsgs, 2);
    set_rte(10, 0x000000000000a050ull);
    ck_assert_uint_eq(t->nmsgs, 3);
}
END_TEST

START_TEST(test_garbage)
{
    for (unsigned r = 0; r < 256; r++) {
        wr((uint8_t)r, 0xffffffffu);
        (void)rd((uint8_t)r);
    }
    for (uint64_t off = 0; off < 0x1000; off += 1) {
        (void)physmem_read(&t->mem, IOAPIC_BASE + off, 1);
        physmem_write(&t->mem, IOAPIC_BASE + off, 0x12, 1);
    }
    ioapic_set_irq(&io, 24, true);
    ioapic_set_irq(&io, 1000, true);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_registers);
    tcase_add_test(tc, test_edge_delivery);
    tcase_add_test(tc, test_level_remote_irr);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

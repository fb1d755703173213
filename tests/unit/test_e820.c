/* Unit tests for bios/e820.c: the PC memory map. */
#include <check.h>
#include <stdlib.h>

#include "bios/e820.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static void check_sorted_disjoint(const struct e820_entry *m, int n)
{
    for (int i = 1; i < n; i++)
        ck_assert_uint_le(m[i - 1].addr + m[i - 1].size, m[i].addr);
    for (int i = 0; i < n; i++)
        ck_assert_uint_gt(m[i].size, 0);
}

START_TEST(test_small_machine)
{
    struct e820_entry m[16];
    int n = e820_build(m, 16, 128 * MiB, 128 * MiB, NULL);
    ck_assert_int_eq(n, 7);
    check_sorted_disjoint(m, n);
    ck_assert_uint_eq(m[0].addr, 0);
    ck_assert_uint_eq(m[0].size, 0x9FC00);
    ck_assert_uint_eq(m[0].type, E820_RAM);
    ck_assert_uint_eq(m[1].addr, 0x9FC00);
    ck_assert_uint_eq(m[1].size, 0x400);
    ck_assert_uint_eq(m[1].type, E820_RESERVED);
    ck_assert_uint_eq(m[2].addr, 0xF0000);
    ck_assert_uint_eq(m[2].size, 0x10000);
    ck_assert_uint_eq(m[2].type, E820_RESERVED);
    ck_assert_uint_eq(m[3].addr, 1 * MiB);
    ck_assert_uint_eq(m[3].size, 127 * MiB);
    ck_assert_uint_eq(m[3].type, E820_RAM);
    ck_assert_uint_eq(m[4].addr, 0xFEC00000);
    ck_assert_uint_eq(m[5].addr, 0xFED00000);
    ck_assert_uint_eq(m[6].addr, 0xFEE00000);
    for (int i = 4; i < 7; i++)
        ck_assert_uint_eq(m[i].type, E820_RESERVED);
}
END_TEST

START_TEST(test_acpi_and_high_ram)
{
    struct e820_entry m[16];
    struct e820_options o = {.acpi_base = 3 * GiB - 0x10000, .acpi_size = 0x10000,
                             .bios_rom = true};
    int n = e820_build(m, 16, 4 * GiB, 3 * GiB, &o);
    ck_assert_int_eq(n, 10);
    check_sorted_disjoint(m, n);
    ck_assert_uint_eq(m[3].addr, 1 * MiB);
    ck_assert_uint_eq(m[3].size, 3 * GiB - 0x10000 - 1 * MiB);
    ck_assert_uint_eq(m[4].addr, 3 * GiB - 0x10000);
    ck_assert_uint_eq(m[4].type, E820_ACPI);
    ck_assert_uint_eq(m[8].addr, 0xFFFC0000);
    ck_assert_uint_eq(m[8].size, 0x40000);
    ck_assert_uint_eq(m[9].addr, 4 * GiB);
    ck_assert_uint_eq(m[9].size, 1 * GiB);
    ck_assert_uint_eq(m[9].type, E820_RAM);
    /* ACPI area in the middle of low RAM: RAM on both sides. */
    o.acpi_base = 64 * MiB;
    o.acpi_type = E820_NVS;
    o.bios_rom = false;
    o.no_hpet = true;
    n = e820_build(m, 16, 128 * MiB, 128 * MiB, &o);
    ck_assert_int_eq(n, 8);
    check_sorted_disjoint(m, n);
    ck_assert_uint_eq(m[4].type, E820_NVS);
    ck_assert_uint_eq(m[5].addr, 64 * MiB + 0x10000);
    ck_assert_uint_eq(m[5].type, E820_RAM);
    ck_assert_uint_eq(m[6].addr, 0xFEC00000);
    ck_assert_uint_eq(m[7].addr, 0xFEE00000);
}
END_TEST

START_TEST(test_errors)
{
    struct e820_entry m[16];
    ck_assert_int_eq(e820_build(m, 3, 128 * MiB, 128 * MiB, NULL), -1);
    ck_assert_int_eq(e820_build(m, 16, 64 * MiB, 128 * MiB, NULL), -1);
    ck_assert_int_eq(e820_build(m, 16, 5 * GiB, 0xFF000000ull, NULL), -1);
    struct e820_options o = {.acpi_base = 0x80000, .acpi_size = 0x1000};
    ck_assert_int_eq(e820_build(m, 16, 128 * MiB, 128 * MiB, &o), -1);
    o.acpi_base = 128 * MiB - 0x800;
    ck_assert_int_eq(e820_build(m, 16, 128 * MiB, 128 * MiB, &o), -1);
    o.acpi_base = UINT64_MAX - 0x10;
    o.acpi_size = 0x100;
    ck_assert_int_eq(e820_build(m, 16, 128 * MiB, 128 * MiB, &o), -1);
}
END_TEST

START_TEST(test_tiny_ram)
{
    struct e820_entry m[16];
    int n = e820_build(m, 16, 0x80000, 0x80000, NULL);
    ck_assert_int_gt(n, 0);
    check_sorted_disjoint(m, n);
    ck_assert_uint_eq(m[0].size, 0x80000);
    ck_assert_uint_eq(m[1].addr, 0xF0000);
    ck_assert_uint_eq(e820_contiguous_ram(m, n, 0x100000), 0);
}
END_TEST

START_TEST(test_helpers)
{
    struct e820_entry m[16];
    int n = e820_build(m, 16, 4 * GiB, 3 * GiB, NULL);
    ck_assert_uint_eq(e820_contiguous_ram(m, n, 0), 0x9FC00);
    ck_assert_uint_eq(e820_contiguous_ram(m, n, 1 * MiB), 3 * GiB - 1 * MiB);
    ck_assert_uint_eq(e820_contiguous_ram(m, n, 0xA0000), 0);
    ck_assert(e820_range_is_ram(m, n, 0x1000, 0x1000));
    ck_assert(!e820_range_is_ram(m, n, 0x9F000, 0x1000));
    ck_assert(e820_range_is_ram(m, n, 4 * GiB, 1 * GiB));
    ck_assert(!e820_range_is_ram(m, n, 4 * GiB, 1 * GiB + 1));
    ck_assert(!e820_range_is_ram(m, n, UINT64_MAX - 1, 4));
    /* Two adjacent usable entries count as one range. */
    struct e820_entry two[2] = {{0x100000, 0x100000, E820_RAM}, {0x200000, 0x100000, E820_RAM}};
    ck_assert_uint_eq(e820_contiguous_ram(two, 2, 0x100000), 0x200000);

    uint8_t b[E820_PACKED_SIZE];
    struct e820_entry e = {0x1122334455667788ull, 0x99AABBCCDDEEFF00ull, 3};
    e820_pack(b, &e);
    ck_assert_uint_eq(b[0], 0x88);
    ck_assert_uint_eq(b[7], 0x11);
    ck_assert_uint_eq(b[8], 0x00);
    ck_assert_uint_eq(b[15], 0x99);
    ck_assert_uint_eq(b[16], 3);
    ck_assert_uint_eq(b[19], 0);
    ck_assert_str_eq(e820_type_name(E820_ACPI), "ACPI data");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e820");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_small_machine);
    tcase_add_test(tc, test_acpi_and_high_ram);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_tiny_ram);
    tcase_add_test(tc, test_helpers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

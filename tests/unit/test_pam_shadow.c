/* devices/pam_shadow.c: every PAM mode of every segment of 0xC0000-0xFFFFF,
 * through physmem as the CPU and DMA see it: off (ROM or nothing; writes
 * dropped), RE (RAM, writes dropped), WE (ROM or nothing, writes to RAM),
 * RE+WE (plain RAM). The BIOS image is 128 KiB, so 0xE0000-0xFFFFF has a
 * ROM behind it and 0xC0000-0xDFFFF has none. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pam_shadow.h"
#include "mmu/physmem.h"

#define RAM (4u << 20)
#define BIOS_SIZE (128u << 10)

static struct physmem pm;
static struct pam_shadow ps;
static uint8_t bios[BIOS_SIZE];

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, RAM, RAM), 0);
    for (unsigned i = 0; i < BIOS_SIZE; i++)
        bios[i] = (uint8_t)(0x80 | (i * 7 >> 3)); /* never 0xFF, never a RAM pattern */
    ck_assert_int_eq(pam_shadow_init(&ps, &pm, bios, BIOS_SIZE), 0);
}

static void teardown(void)
{
    physmem_destroy(&pm);
}

/* Every segment in `mode`: PAM0 has only its high field. */
static void set_all(unsigned mode)
{
    uint8_t pam[I440FX_NUM_PAM];
    pam[0] = (uint8_t)(mode << 4);
    for (int i = 1; i < I440FX_NUM_PAM; i++)
        pam[i] = (uint8_t)(mode << 4 | mode);
    pam_shadow_apply(&ps, pam);
}

static uint8_t rom_byte(uint32_t a)
{
    return bios[BIOS_SIZE - (0x100000u - a)];
}

/* What a read of address a gives without RAM: the ROM or nothing. */
static uint8_t not_ram(uint32_t a)
{
    return a >= 0x100000u - BIOS_SIZE ? rom_byte(a) : 0xff;
}

/* One address in each segment, not at its start. */
static uint32_t probe(int seg)
{
    return seg < 12 ? 0xC0000u + (uint32_t)seg * 0x4000u + 0x123 : 0xF0000u + 0x8123;
}

START_TEST(test_every_mode_of_every_segment)
{
    for (int seg = 0; seg < PAM_SEGMENTS; seg++) {
        uint32_t a = probe(seg);
        /* RE+WE: plain RAM, the CPU's fast path included. */
        set_all(3);
        physmem_write(&pm, a, 0x11, 1);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), 0x11);
        ck_assert_ptr_nonnull(physmem_ram_page(&pm, a));

        /* off: reads the ROM or nothing; a write changes no RAM. */
        set_all(0);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), not_ram(a));
        physmem_write(&pm, a, 0x22, 1);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), not_ram(a));
        set_all(3);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), 0x11);

        /* RE only: reads RAM, writes dropped (CPU and DMA alike). */
        set_all(1);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), 0x11);
        physmem_write(&pm, a, 0x33, 1);
        uint8_t dma = 0x34;
        physmem_write_buf(&pm, a, &dma, 1);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), 0x11);
        ck_assert_uint_eq(physmem_read(&pm, a - 1, 4) >> 8 & 0xff, 0x11);
        set_all(3);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), 0x11);

        /* WE only: reads the ROM or nothing, writes reach RAM. */
        set_all(2);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), not_ram(a));
        physmem_write(&pm, a, 0x44, 1);
        ck_assert_uint_eq(physmem_read(&pm, a, 1), not_ram(a));
        physmem_write(&pm, a + 1, 0x5655, 2);
        set_all(3);
        ck_assert_uint_eq(physmem_read(&pm, a, 4) & 0xffffff, 0x565544);
    }
}
END_TEST

/* The classic shadowing sequence: with WE only, copy the ROM onto itself
 * (reads come from ROM, writes land in RAM), then RE only runs the copy,
 * write-protected. */
START_TEST(test_shadow_copy_in_place)
{
    set_all(2);
    uint8_t buf[256];
    for (uint32_t a = 0xE0000; a < 0x100000; a += sizeof buf) {
        physmem_read_buf(&pm, a, buf, sizeof buf);
        physmem_write_buf(&pm, a, buf, sizeof buf);
    }
    set_all(1);
    for (uint32_t a = 0xE0000; a < 0x100000; a += 0x1001)
        ck_assert_uint_eq(physmem_read(&pm, a, 1), rom_byte(a));
    physmem_write(&pm, 0xFFFF0, 0, 1);
    ck_assert_uint_eq(physmem_read(&pm, 0xFFFF0, 1), rom_byte(0xFFFF0));
    /* 0xC0000-0xDFFFF was not copied: RE shows its RAM (zero). */
    ck_assert_uint_eq(physmem_read(&pm, 0xC0000, 1), 0);
}
END_TEST

/* Each field moves only its own segment: PAM1's low field is 0xC0000-
 * 0xC3FFF, its high field 0xC4000-0xC7FFF; PAM0's low field is reserved. */
START_TEST(test_fields_map_their_segments)
{
    set_all(3);
    for (int seg = 0; seg < PAM_SEGMENTS; seg++)
        physmem_write(&pm, probe(seg), 0x5a, 1);
    for (int seg = 0; seg < PAM_SEGMENTS; seg++) {
        uint8_t pam[I440FX_NUM_PAM];
        memset(pam, 0x33, sizeof pam);
        pam[0] = 0x30;
        if (seg == 12)
            pam[0] = 0x03; /* only the reserved field set: the segment is off */
        else
            pam[1 + seg / 2] = seg & 1 ? 0x03 : 0x30;
        pam_shadow_apply(&ps, pam);
        for (int other = 0; other < PAM_SEGMENTS; other++) {
            uint32_t a = probe(other);
            uint8_t want = other == seg ? not_ram(a) : 0x5a;
            ck_assert_msg(physmem_read(&pm, a, 1) == want, "segment %d with %d off: 0x%x", other,
                          seg, (unsigned)physmem_read(&pm, a, 1));
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pam_shadow");
    TCase *tc = tcase_create("pam_shadow");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_every_mode_of_every_segment);
    tcase_add_test(tc, test_shadow_copy_in_place);
    tcase_add_test(tc, test_fields_map_their_segments);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

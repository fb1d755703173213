/* Unit tests for mmu/physmem.c: guest RAM is reserved, not committed (a
 * 64 GiB machine costs nothing up front), reads back zero, is cleared on
 * reset, and accesses that hit neither RAM nor a device reach the
 * -d guest_errors hook once per access. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/physmem.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

struct unassigned_log {
    int calls;
    uint64_t last_paddr;
    bool last_write;
    unsigned last_size;
};

static void note_unassigned(void *opaque, uint64_t paddr, bool write, unsigned size)
{
    struct unassigned_log *l = opaque;
    l->calls++;
    l->last_paddr = paddr;
    l->last_write = write;
    l->last_size = size;
}

START_TEST(test_huge_ram_is_reserved)
{
    static struct physmem pm;
    /* 64 GiB, the largest -m: must succeed whatever the host's RAM + swap. */
    ck_assert_int_eq(physmem_init(&pm, 64 * GiB, 0xC0000000ull), 0);
    ck_assert_uint_eq(physmem_read(&pm, 0, 8), 0);
    ck_assert_uint_eq(physmem_read(&pm, PHYS_4G + 60 * GiB, 8), 0);
    physmem_write(&pm, PHYS_4G + 60 * GiB, 0x1122334455667788ull, 8);
    ck_assert_uint_eq(physmem_read(&pm, PHYS_4G + 60 * GiB, 8), 0x1122334455667788ull);
    /* A reset clears RAM. */
    ck_assert_int_eq(physmem_clear_ram(&pm), 0);
    ck_assert_uint_eq(physmem_read(&pm, PHYS_4G + 60 * GiB, 8), 0);
    physmem_destroy(&pm);
}
END_TEST

START_TEST(test_unassigned_hook)
{
    static struct physmem pm;
    struct unassigned_log log = {0};
    ck_assert_int_eq(physmem_init(&pm, 64 * MiB, 0xC0000000ull), 0);
    pm.on_unassigned = note_unassigned;
    pm.unassigned_opaque = &log;
    physmem_write(&pm, 0x1000, 5, 4); /* RAM: not reported */
    ck_assert_uint_eq(physmem_read(&pm, 0x1000, 4), 5);
    ck_assert_int_eq(log.calls, 0);
    ck_assert_uint_eq(physmem_read(&pm, 0x10000000, 4), 0xffffffffu); /* past 64 MiB */
    ck_assert_int_eq(log.calls, 1);
    ck_assert_uint_eq(log.last_paddr, 0x10000000);
    ck_assert(!log.last_write);
    ck_assert_uint_eq(log.last_size, 4);
    physmem_write(&pm, 0x20000000, 0xab, 2);
    ck_assert_int_eq(log.calls, 2);
    ck_assert(log.last_write);
    ck_assert_uint_eq(log.last_size, 2);
    physmem_destroy(&pm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("physmem");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_huge_ram_is_reserved);
    tcase_add_test(tc, test_unassigned_hook);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

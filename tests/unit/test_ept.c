/* Unit tests of the EPT walk (mmu/ept.c): EPT tables built by hand in a
 * physmem, walked directly and as the second dimension of paging_walk. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/ept.h"
#include "mmu/paging.h"
#include "mmu/physmem.h"

#define RWX (EPTE_R | EPTE_W | EPTE_X)
#define WB_MT (6ull << EPTE_MEMTYPE_SHIFT)

/* EPT tables (host-physical). */
#define PML4 0x100000
#define PDPT 0x101000
#define PD 0x102000
#define PT 0x103000
/* gpa 0x40201000 + off: PML4E 0, PDPTE 1, PDE 1, PTE 1. */
#define GPA 0x40201000ull
#define HPA_PAGE 0x500000ull

static struct physmem pm;
/* The physical-address width these walks run with (ept_ctx.phys_bits). */
#define PHYS_BITS 39

static struct ept_ctx ctx;
static struct ept_result res;

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, 32u << 20, 32u << 20), 0);
    memset(&ctx, 0, sizeof(ctx));
    memset(&res, 0, sizeof(res));
    ctx.eptp = PML4 | (3u << EPTP_WALK_LENGTH_SHIFT) | EPT_MT_WB;
    ctx.phys_bits = PHYS_BITS;
    ctx.exec_only = true;
    ctx.pages_1g = true;
}

static void teardown(void)
{
    physmem_destroy(&pm);
}

static void put64(uint64_t a, uint64_t v)
{
    physmem_write(&pm, a, v, 8);
}
static uint64_t get64(uint64_t a)
{
    return physmem_read(&pm, a, 8);
}

static void build(uint64_t f4, uint64_t f3, uint64_t f2, uint64_t f1)
{
    put64(PML4, PDPT | f4);
    put64(PDPT + 8, PD | f3);
    put64(PD + 8, PT | f2);
    put64(PT + 8, HPA_PAGE | f1);
}

static enum ept_status walk(uint64_t gpa, unsigned kind, bool guest_paging, bool lin_valid)
{
    struct ept_access acc = { .kind = kind, .guest_paging = guest_paging,
                              .lin_valid = lin_valid };
    return ept_walk(&pm, &ctx, gpa, &acc, &res);
}

START_TEST(test_ept_4k)
{
    build(RWX, RWX, RWX, RWX | WB_MT | EPTE_IGNORE_PAT);
    ck_assert_int_eq(walk(GPA + 0x123, PG_WRITE, false, true), EPT_OK);
    ck_assert_uint_eq(res.hpa, HPA_PAGE + 0x123);
    ck_assert_uint_eq(res.page_size, 4096);
    ck_assert_uint_eq(res.perms, RWX);
    ck_assert_uint_eq(res.memtype, 6);
    ck_assert(res.ignore_pat);
    /* A/D flags disabled in the EPTP: entries untouched. */
    ck_assert_uint_eq(get64(PT + 8), HPA_PAGE | RWX | WB_MT | EPTE_IGNORE_PAT);
    /* Permissions are ANDed over the levels. */
    build(RWX, EPTE_R | EPTE_X, RWX, RWX);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_OK);
    ck_assert_uint_eq(res.perms, EPTE_R | EPTE_X);
}
END_TEST

START_TEST(test_ept_large)
{
    build(RWX, RWX, RWX, RWX);
    put64(PD + 8, 0x600000 | EPTE_LARGE | RWX | WB_MT);
    ck_assert_int_eq(walk(GPA + 0x1234, PG_READ, false, true), EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x600000 + 0x1000 + 0x1234);
    ck_assert_uint_eq(res.page_size, 2u << 20);
    put64(PD + 8, 0x600000 | (1u << 12) | EPTE_LARGE | RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
    put64(PDPT + 8, 0x40000000 | EPTE_LARGE | RWX | WB_MT);
    ck_assert_int_eq(walk(GPA + 5, PG_EXEC, false, true), EPT_OK);
    ck_assert_uint_eq(res.hpa, 0x40000000 + 0x201005);
    ck_assert_uint_eq(res.page_size, 1u << 30);
    put64(PDPT + 8, 0x40000000 | (1u << 29) | EPTE_LARGE | RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
    /* Without 1 GiB support bit 7 of a PDPTE is reserved. */
    put64(PDPT + 8, 0x40000000 | EPTE_LARGE | RWX | WB_MT);
    ctx.pages_1g = false;
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
}
END_TEST

START_TEST(test_ept_violations)
{
    /* Write to a read/execute page. */
    build(RWX, RWX, RWX, EPTE_R | EPTE_X | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_WRITE, false, true), EPT_VIOLATION);
    ck_assert_uint_eq(res.exit_qualification,
                      EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_EXECUTABLE |
                          EPT_QUAL_LIN_VALID | EPT_QUAL_LIN_TRANSLATION);
    /* Fetch from a non-executable upper level. */
    build(RWX, EPTE_R | EPTE_W, RWX, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_EXEC, false, true), EPT_VIOLATION);
    ck_assert_uint_eq(res.exit_qualification,
                      EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_WRITABLE |
                          EPT_QUAL_LIN_VALID | EPT_QUAL_LIN_TRANSLATION);
    /* Not present at the PDE: no permission bits; a guest paging-structure
     * read has linear-address-valid but not translation. */
    build(RWX, RWX, 0, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, true, true), EPT_VIOLATION);
    ck_assert_uint_eq(res.exit_qualification, EPT_QUAL_READ | EPT_QUAL_LIN_VALID);
    /* Not part of a linear translation (PDPTE load, VMCS pointer, ...). */
    ck_assert_int_eq(walk(GPA, PG_READ, true, false), EPT_VIOLATION);
    ck_assert_uint_eq(res.exit_qualification, EPT_QUAL_READ);
    /* Execute-only page, when supported: fetch fine, read violates. */
    build(RWX, RWX, RWX, EPTE_X | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_EXEC, false, true), EPT_OK);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_VIOLATION);
    ck_assert_uint_eq(res.exit_qualification, EPT_QUAL_READ | EPT_QUAL_EXECUTABLE |
                                                  EPT_QUAL_LIN_VALID |
                                                  EPT_QUAL_LIN_TRANSLATION);
}
END_TEST

START_TEST(test_ept_misconfig)
{
    /* Write-only and write/execute, at any level. */
    build(RWX, EPTE_W, RWX, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
    build(RWX, RWX, RWX, EPTE_W | EPTE_X | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_EXEC, false, true), EPT_MISCONFIG);
    /* Execute-only without support. */
    build(RWX, RWX, RWX, EPTE_X | WB_MT);
    ctx.exec_only = false;
    ck_assert_int_eq(walk(GPA, PG_EXEC, false, true), EPT_MISCONFIG);
    ctx.exec_only = true;
    /* Reserved bits: above MAXPHYADDR, 7:3 of table entries, bit 7 of a PML4E. */
    build(RWX | (1ull << 51), RWX, RWX, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
    build(RWX, RWX, RWX, RWX | WB_MT | (1ull << PHYS_BITS));
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
    build(RWX, RWX | (1u << 4), RWX, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
    build(RWX | EPTE_LARGE, RWX, RWX, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_MISCONFIG);
    /* Ignored bits: 11, 10 (no mode-based execute), 63:52; 8-9 with A/D off. */
    build(RWX | (1u << 11) | (1u << 10) | (0xfffull << 52) | EPTE_A, RWX, RWX,
          RWX | WB_MT | EPTE_D);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_OK);
    /* Leaf memory types 2, 3, 7 are invalid; the others are fine. */
    for (unsigned mt = 0; mt < 8; mt++) {
        build(RWX, RWX, RWX, RWX | ((uint64_t)mt << EPTE_MEMTYPE_SHIFT));
        enum ept_status want = (mt == 2 || mt == 3 || mt == 7) ? EPT_MISCONFIG : EPT_OK;
        ck_assert_int_eq(walk(GPA, PG_READ, false, true), want);
    }
    /* A not-present entry is never misconfigured, whatever its other bits. */
    build(RWX, RWX, 0xf8 | (1ull << 51), RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_VIOLATION);
}
END_TEST

START_TEST(test_ept_accessed_dirty)
{
    ctx.eptp |= EPTP_AD;
    build(RWX, RWX, RWX, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, false, true), EPT_OK);
    ck_assert_uint_eq(get64(PML4) & (EPTE_A | EPTE_D), EPTE_A);
    ck_assert_uint_eq(get64(PDPT + 8) & (EPTE_A | EPTE_D), EPTE_A);
    ck_assert_uint_eq(get64(PD + 8) & (EPTE_A | EPTE_D), EPTE_A);
    ck_assert_uint_eq(get64(PT + 8) & (EPTE_A | EPTE_D), EPTE_A);
    ck_assert_int_eq(walk(GPA, PG_WRITE, false, true), EPT_OK);
    ck_assert_uint_eq(get64(PT + 8) & (EPTE_A | EPTE_D), EPTE_A | EPTE_D);
    ck_assert_uint_eq(get64(PD + 8) & EPTE_D, 0);
    /* Guest paging-structure reads count as writes: D set ... */
    build(RWX, RWX, RWX, RWX | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, true, true), EPT_OK);
    ck_assert_uint_eq(get64(PT + 8) & (EPTE_A | EPTE_D), EPTE_A | EPTE_D);
    /* ... and fault on a read-only page, reported as read and write. */
    build(RWX, RWX, RWX, EPTE_R | WB_MT);
    ck_assert_int_eq(walk(GPA, PG_READ, true, true), EPT_VIOLATION);
    ck_assert_uint_eq(res.exit_qualification, EPT_QUAL_READ | EPT_QUAL_WRITE |
                                                  EPT_QUAL_READABLE | EPT_QUAL_LIN_VALID);
    /* Nothing set by a faulting walk. */
    ck_assert_uint_eq(get64(PML4) & EPTE_A, 0);
    /* Without A/D in the EPTP such a read is a plain read. */
    ctx.eptp &= ~EPTP_AD;
    ck_assert_int_eq(walk(GPA, PG_READ, true, true), EPT_OK);
}
END_TEST

START_TEST(test_ept_eptp)
{
    uint64_t base = PML4 | (3u << EPTP_WALK_LENGTH_SHIFT);
    ck_assert(ept_eptp_valid(base | EPT_MT_WB, false, PHYS_BITS));
    ck_assert(ept_eptp_valid(base | EPT_MT_UC, false, PHYS_BITS));
    ck_assert(!ept_eptp_valid(base | EPT_MT_WT, false, PHYS_BITS));
    ck_assert(!ept_eptp_valid(PML4 | (4u << EPTP_WALK_LENGTH_SHIFT) | EPT_MT_WB, false, PHYS_BITS));
    ck_assert(!ept_eptp_valid(base | EPT_MT_WB | EPTP_AD, false, PHYS_BITS));
    ck_assert(ept_eptp_valid(base | EPT_MT_WB | EPTP_AD, true, PHYS_BITS));
    ck_assert(!ept_eptp_valid(base | EPT_MT_WB | (1u << 7), true, PHYS_BITS));
    ck_assert(!ept_eptp_valid(base | EPT_MT_WB | (1ull << PHYS_BITS), true, PHYS_BITS));
}
END_TEST

/* The EPT hook under a guest 32-bit page walk: guest tables at gpa
 * 0x10000 (PD) and 0x11000 (PT); EPT maps gpa 0-2 MiB to hpa 0x1000000 +
 * gpa with 4 KiB pages, except gpa 0x11000 (the guest PT), which it maps
 * read-only to hpa 0x1400000. */
#define G_PD 0x10000
#define G_PT 0x11000
#define H_BASE 0x1000000ull
#define H_PT 0x1400000ull

static void build_nested(struct ept_hook *h, struct paging_ctx *pc)
{
    memset(h, 0, sizeof(*h));
    h->pm = &pm;
    h->ctx = ctx;
    put64(PML4, PDPT | RWX);
    put64(PDPT, PD | RWX);
    put64(PD, PT | RWX);
    for (unsigned i = 0; i < 512; i++)
        put64(PT + i * 8, (H_BASE + i * 0x1000) | RWX | WB_MT);
    put64(PT + 0x11 * 8, H_PT | EPTE_R | WB_MT);
    memset(pc, 0, sizeof(*pc));
    pc->cr0 = 1 | (1ull << 31);
    pc->cr3 = G_PD;
    pc->phys_bits = PHYS_BITS;
    pc->gpa_translate = ept_gpa_translate;
    pc->gpa_opaque = h;
    /* lin 0x00405123 -> gpa 0x000ab123; PDE and PTE flags A (and D) preset so the
     * walk needs no write to the read-only PT page. */
    physmem_write(&pm, H_BASE + G_PD + 4, G_PT | 0x27, 4);
    physmem_write(&pm, H_PT + 5 * 4, 0xab000 | 0x67, 4);
}

START_TEST(test_ept_hook_with_paging)
{
    struct ept_hook h;
    struct paging_ctx pc;
    struct paging_result r;
    build_nested(&h, &pc);
    ck_assert_int_eq(paging_walk(&pm, &pc, 0x00405123, PG_WRITE, &r), PAGING_OK);
    ck_assert_uint_eq(r.paddr, H_BASE + 0xab123);
    /* The guest PTE needs its A flag: the write to the read-only PT page
     * is an EPT violation on a guest paging-structure access. */
    physmem_write(&pm, H_PT + 5 * 4, 0xab000 | 0x07, 4);
    ck_assert_int_eq(paging_walk(&pm, &pc, 0x00405123, PG_READ, &r), PAGING_NESTED_FAULT);
    ck_assert(r.nested_fault_in_walk);
    ck_assert_uint_eq(r.nested_fault_gpa, G_PT + 5 * 4);
    ck_assert_int_eq(h.status, EPT_VIOLATION);
    ck_assert_uint_eq(h.fault_gpa, G_PT + 5 * 4);
    ck_assert_uint_eq(h.fault_lin, 0x00405123);
    ck_assert_uint_eq(h.fault.exit_qualification,
                      EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_LIN_VALID);
    /* The final access: a write to the read-only page at gpa 0x11000. */
    physmem_write(&pm, H_PT + 5 * 4, 0x11000 | 0x67, 4);
    ck_assert_int_eq(paging_walk(&pm, &pc, 0x00405123, PG_WRITE, &r), PAGING_NESTED_FAULT);
    ck_assert(!r.nested_fault_in_walk);
    ck_assert_uint_eq(h.fault_gpa, 0x11123);
    ck_assert_uint_eq(h.fault.exit_qualification,
                      EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_LIN_VALID |
                          EPT_QUAL_LIN_TRANSLATION);
    /* PDPTE loads are not linear-address accesses. */
    pc.cr4 = 1u << 5;
    pc.cr3 = 0x200000; /* beyond the 2 MiB the EPT maps */
    uint64_t pdpte[4];
    ck_assert_int_eq(paging_pdptes_load(&pm, &pc, pdpte, &r), PAGING_NESTED_FAULT);
    ck_assert_uint_eq(h.fault.exit_qualification, EPT_QUAL_READ);
    ck_assert_uint_eq(h.fault_gpa, 0x200000);
}
END_TEST

static Suite *ept_suite(void)
{
    Suite *s = suite_create("ept");
    TCase *tc = tcase_create("walk");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ept_4k);
    tcase_add_test(tc, test_ept_large);
    tcase_add_test(tc, test_ept_violations);
    tcase_add_test(tc, test_ept_misconfig);
    tcase_add_test(tc, test_ept_accessed_dirty);
    tcase_add_test(tc, test_ept_eptp);
    tcase_add_test(tc, test_ept_hook_with_paging);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ept_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

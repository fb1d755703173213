/* The monitor's walk explainers (frontend/walk_explain.c) over tables built
 * by hand: each entry is told with its flags, the result is the walker's,
 * and looking changes nothing (no accessed/dirty flag written). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/walk_explain.h"

static struct physmem pm;
static char text[8192];

static void collect(void *opaque, const char *line)
{
    (void)opaque;
    strncat(text, line, sizeof(text) - strlen(text) - 2);
    strcat(text, "\n");
}

static void put(uint64_t a, uint64_t v, unsigned size)
{
    physmem_write(&pm, a, v, size);
}

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, 16u << 20, 16u << 20), 0);
    text[0] = 0;
}

static void teardown(void)
{
    physmem_destroy(&pm);
}

/* 4-level: lin 0x7f0000201123 -> PML4E 254, PDPTE 0, PDE 1, PTE 1 -> 0x345000. */
#define LIN4 0x7f0000201123ull
static void build_4level(void)
{
    put(0x1000 + 254 * 8, 0x2000 | PTE_P | PTE_RW | PTE_US, 8);
    put(0x2000, 0x3000 | PTE_P | PTE_RW | PTE_US, 8);
    put(0x3000 + 8, 0x4000 | PTE_P | PTE_RW, 8);
    put(0x4000 + 8, 0x345000 | PTE_P | PTE_G | PTE_XD, 8);
}

static struct paging_ctx ctx_4level(void)
{
    struct paging_ctx c = {0};
    c.cr0 = CR0_PE | CR0_PG;
    c.cr3 = 0x1000;
    c.cr4 = CR4_PAE | CR4_PGE;
    c.efer = EFER_LME | EFER_LMA | EFER_NXE;
    c.phys_bits = 39;
    return c;
}

START_TEST(test_explain_4level)
{
    build_4level();
    struct paging_ctx c = ctx_4level();
    struct paging_result r;
    ck_assert_int_eq(explain_paging_walk(&pm, &c, LIN4, collect, NULL, &r), PAGING_OK);
    ck_assert_uint_eq(r.paddr, 0x345123);
    ck_assert_ptr_nonnull(strstr(text, "4-level paging, CR3 0x1000"));
    ck_assert_ptr_nonnull(strstr(text, "PML4E[254] at 0x17f0: 0x2007 P RW US\n"));
    ck_assert_ptr_nonnull(strstr(text, "PDPTE[0] at 0x2000: 0x3007 P RW US\n"));
    ck_assert_ptr_nonnull(strstr(text, "PDE[1] at 0x3008: 0x4003 P RW S\n"));
    ck_assert_ptr_nonnull(strstr(text, "PTE[1] at 0x4008: 0x8000000000345101 P RO S G XD\n"));
    ck_assert_ptr_nonnull(strstr(text, "-> physical 0x345123 (4 KiB page, read-only, "
                                       "supervisor, no-execute)"));
    /* Probe: no accessed flag was set anywhere. */
    ck_assert_uint_eq(physmem_read(&pm, 0x1000 + 254 * 8, 8) & PTE_A, 0);
    ck_assert_uint_eq(physmem_read(&pm, 0x4008, 8) & PTE_A, 0);
}
END_TEST

START_TEST(test_explain_not_present)
{
    build_4level();
    struct paging_ctx c = ctx_4level();
    ck_assert_int_eq(explain_paging_walk(&pm, &c, 0x1000, collect, NULL, NULL),
                     PAGING_PAGE_FAULT);
    ck_assert_ptr_nonnull(strstr(text, "PML4E[0] at 0x1000: 0 not-present"));
    ck_assert_ptr_nonnull(strstr(text, "linear 0x1000: not mapped (a page fault, error code 0)"));
}
END_TEST

START_TEST(test_explain_large_and_32bit)
{
    /* 32-bit paging with a 4 MiB page: PDE 1 maps 0x400000-0x7fffff. */
    put(0x5000 + 4, 0x800000 | PTE_P | PTE_RW | PTE_PS | PTE_D | PTE_A, 4);
    struct paging_ctx c = {0};
    c.cr0 = CR0_PE | CR0_PG;
    c.cr3 = 0x5000;
    c.cr4 = CR4_PSE;
    c.phys_bits = 36;
    struct paging_result r;
    ck_assert_int_eq(explain_paging_walk(&pm, &c, 0x412345, collect, NULL, &r), PAGING_OK);
    ck_assert_uint_eq(r.paddr, 0x812345);
    ck_assert_ptr_nonnull(strstr(text, "32-bit paging"));
    ck_assert_ptr_nonnull(strstr(text, "PDE[1] at 0x5004: 0x8000e3 P RW S A D PS\n"));
    ck_assert_ptr_nonnull(strstr(text, "(4096 KiB page"));
}
END_TEST

START_TEST(test_explain_pae_registers)
{
    /* PAE with the PDPTE registers: the PDPTE is told as a register. */
    uint64_t pdptes[4] = {0x6000 | PTE_P, 0, 0, 0};
    put(0x6000, 0x7000 | PTE_P | PTE_RW, 8);
    put(0x7000 + 2 * 8, 0x99000 | PTE_P | PTE_RW, 8);
    struct paging_ctx c = {0};
    c.cr0 = CR0_PE | CR0_PG;
    c.cr3 = 0x8000;
    c.cr4 = CR4_PAE;
    c.phys_bits = 36;
    c.pdptes = pdptes;
    struct paging_result r;
    ck_assert_int_eq(explain_paging_walk(&pm, &c, 0x2abc, collect, NULL, &r), PAGING_OK);
    ck_assert_uint_eq(r.paddr, 0x99abc);
    ck_assert_ptr_nonnull(strstr(text, "PAE paging"));
    ck_assert_ptr_nonnull(strstr(text, "PDPTE[0] (PDPTE register): 0x6001 P\n"));
    ck_assert_ptr_nonnull(strstr(text, "PTE[2] at 0x7010: 0x99003 P RW S\n"));
}
END_TEST

/* EPT: gpa 0x40201000 -> PML4E 0, PDPTE 1, PDE 1, PTE 1 -> host 0x500000. */
#define EPT_PML4 0x100000
#define RWX (EPTE_R | EPTE_W | EPTE_X)
#define WB (6ull << EPTE_MEMTYPE_SHIFT)
static struct ept_ctx build_ept(bool ad)
{
    put(EPT_PML4, 0x101000 | RWX, 8);
    put(0x101000 + 8, 0x102000 | RWX, 8);
    put(0x102000 + 8, 0x103000 | RWX, 8);
    put(0x103000 + 8, 0x500000 | EPTE_R | EPTE_X | WB, 8);
    struct ept_ctx e = {0};
    e.eptp = EPT_PML4 | (3u << EPTP_WALK_LENGTH_SHIFT) | EPT_MT_WB | (ad ? EPTP_AD : 0);
    e.phys_bits = 39;
    e.pages_1g = true;
    return e;
}

START_TEST(test_explain_ept)
{
    struct ept_ctx e = build_ept(true);
    struct ept_result r;
    ck_assert_int_eq(explain_ept_walk(&pm, &e, 0x40201abc, collect, NULL, &r), EPT_OK);
    ck_assert_uint_eq(r.hpa, 0x500abc);
    ck_assert_ptr_nonnull(strstr(text, "EPTP 0x10005e (WB, 4-level walk, accessed/dirty"));
    ck_assert_ptr_nonnull(strstr(text, "EPT PML4E[0] at host 0x100000: 0x101007 R W X\n"));
    ck_assert_ptr_nonnull(strstr(text, "EPT PTE[1] at host 0x103008: 0x500035 R - X WB\n"));
    ck_assert_ptr_nonnull(strstr(text, "guest-physical 0x40201abc -> host-physical 0x500abc "
                                       "(4 KiB page, r-x, WB)"));
    /* Probe: EPT accessed flags stay clear although the EPTP enables them. */
    ck_assert_uint_eq(physmem_read(&pm, EPT_PML4, 8) & EPTE_A, 0);
    ck_assert_uint_eq(physmem_read(&pm, 0x103008, 8) & EPTE_A, 0);
}
END_TEST

START_TEST(test_explain_ept_violation)
{
    struct ept_ctx e = build_ept(false);
    ck_assert_int_eq(explain_ept_walk(&pm, &e, 0x80000000, collect, NULL, NULL),
                     EPT_VIOLATION);
    ck_assert_ptr_nonnull(strstr(text, "EPT PDPTE[2] at host 0x101010: 0 not-present"));
    ck_assert_ptr_nonnull(strstr(text, "guest-physical 0x80000000: EPT violation"));
}
END_TEST

START_TEST(test_explain_nested)
{
    /* Guest 4-level tables at guest-physical 0x40201000.. map through EPT:
     * identity-map guest-physical 0x40200000-0x403fffff with a 2 MiB EPT
     * page at host 0x600000, then the guest tables live at host 0x600000+. */
    struct ept_ctx e = build_ept(false);
    put(0x102000 + 8, 0x600000 | RWX | WB | EPTE_LARGE, 8);
    /* Guest CR3 = 0x40201000 (host 0x601000): PML4E 0 -> 0x40202000 (host
     * 0x602000) -> PDPTE 0 -> PD 0x40203000 (host 0x603000) -> PDE 0: 2 MiB
     * guest page at guest-physical 0x40200000. */
    put(0x601000, 0x40202000 | PTE_P | PTE_RW, 8);
    put(0x602000, 0x40203000 | PTE_P | PTE_RW, 8);
    put(0x603000, 0x40200000 | PTE_P | PTE_RW | PTE_PS, 8);
    struct paging_ctx c = ctx_4level();
    c.cr3 = 0x40201000;
    struct paging_result r;
    ck_assert_int_eq(explain_nested_walk(&pm, &c, &e, 0x1234, collect, NULL, &r), PAGING_OK);
    ck_assert_uint_eq(r.paddr, 0x601234);
    ck_assert_ptr_nonnull(strstr(text, "  EPT walk of guest-physical 0x40201000 "
                                       "(paging-structure entry):\n"
                                       "    EPT PML4E[0] at host 0x100000"));
    ck_assert_ptr_nonnull(strstr(text, "    EPT PDE[1] at host 0x102008: 0x6000b7 R W X WB "
                                       "(large page)\n"
                                       "    -> host-physical 0x601000\n"
                                       "PML4E[0] at gpa 0x40201000 (host 0x601000)"));
    ck_assert_ptr_nonnull(strstr(text, "EPT walk of guest-physical 0x40201234 (the page)"));
    ck_assert_ptr_nonnull(strstr(text, "linear 0x1234 -> host-physical 0x601234 (2048 KiB"));
    /* Looking set no accessed flag in the guest's tables. */
    ck_assert_uint_eq(physmem_read(&pm, 0x601000, 8) & PTE_A, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("walk_explain");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_explain_4level);
    tcase_add_test(tc, test_explain_not_present);
    tcase_add_test(tc, test_explain_large_and_32bit);
    tcase_add_test(tc, test_explain_pae_registers);
    tcase_add_test(tc, test_explain_ept);
    tcase_add_test(tc, test_explain_ept_violation);
    tcase_add_test(tc, test_explain_nested);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

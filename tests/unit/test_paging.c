/* Unit tests of the page walker (mmu/paging.c) and the TLB invalidation
 * policy (mmu/tlb.c): page tables are built by hand in a physmem and walked
 * directly, without a CPU. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/mem.h"
#include "mmu/paging.h"
#include "mmu/physmem.h"
#include "mmu/tlb.h"
#include "tests/unit/harness.h"

#define P PTE_P
#define RW PTE_RW
#define US PTE_US
#define PS PTE_PS

static struct physmem pm;
/* The physical-address width these walks run with (paging_ctx.phys_bits;
 * the CPU model supplies it in turtles). */
#define PHYS_BITS 39

static struct paging_ctx ctx;
static struct paging_result res;

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, 32u << 20, 32u << 20), 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.phys_bits = PHYS_BITS;
    memset(&res, 0, sizeof(res));
}

static void teardown(void)
{
    physmem_destroy(&pm);
}

static void put32(uint64_t a, uint64_t v)
{
    physmem_write(&pm, a, v, 4);
}
static void put64(uint64_t a, uint64_t v)
{
    physmem_write(&pm, a, v, 8);
}
static uint64_t get32(uint64_t a)
{
    return physmem_read(&pm, a, 4);
}
static uint64_t get64(uint64_t a)
{
    return physmem_read(&pm, a, 8);
}

static enum paging_status walk(uint64_t lin, unsigned access)
{
    return paging_walk(&pm, &ctx, lin, access, &res);
}

/* Expect a page fault with exactly this error code. */
static void expect_pf(uint64_t lin, unsigned access, uint32_t pfec)
{
    ck_assert_int_eq(walk(lin, access), PAGING_PAGE_FAULT);
    ck_assert_uint_eq(res.pf_error, pfec);
}

static void expect_ok(uint64_t lin, unsigned access, uint64_t paddr)
{
    ck_assert_int_eq(walk(lin, access), PAGING_OK);
    ck_assert_uint_eq(res.paddr, paddr);
}

/* ---- paging off ---- */

START_TEST(test_off_passthrough)
{
    ctx.cr0 = CR0_PE;
    expect_ok(0x12345678, PG_WRITE, 0x12345678);
    ck_assert(res.writable && res.user && res.dirty && !res.nx);
    /* Outside long mode linear addresses are 32 bits. */
    expect_ok(0x100001000ull, PG_READ, 0x1000);
    ctx.a20_masked = true;
    expect_ok(0x00123456, PG_EXEC, 0x00023456);
}
END_TEST

/* ---- 32-bit paging ---- */

#define PD32 0x10000
#define PT32 0x11000

/* lin 0x00405123: PDE 1, PTE 5 -> 0x200123. */
static void build_32bit(uint64_t pde_flags, uint64_t pte_flags)
{
    ctx.cr0 = CR0_PE | CR0_PG;
    ctx.cr3 = PD32;
    put32(PD32 + 1 * 4, PT32 | pde_flags);
    put32(PT32 + 5 * 4, 0x200000 | pte_flags);
}

START_TEST(test_32_4k_and_ad)
{
    build_32bit(P | RW | US, P | RW | US);
    expect_ok(0x00405123, PG_READ, 0x200123);
    ck_assert_uint_eq(res.page_size, 4096);
    ck_assert(res.writable && res.user && !res.nx && !res.dirty);
    ck_assert_uint_eq(get32(PD32 + 4) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get32(PT32 + 20) & (PTE_A | PTE_D), PTE_A);
    expect_ok(0x00405fff, PG_WRITE, 0x200fff);
    ck_assert(res.dirty);
    /* D only in the final entry. */
    ck_assert_uint_eq(get32(PD32 + 4) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get32(PT32 + 20) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* High 32 bits of the linear address are ignored. */
    expect_ok(0xffffffff00405001ull, PG_READ, 0x200001);
}
END_TEST

START_TEST(test_32_not_present)
{
    build_32bit(P | RW | US, RW | US);
    expect_pf(0x00405000, PG_READ, 0);
    expect_pf(0x00405000, PG_WRITE, PFEC_W);
    ctx.user = true;
    expect_pf(0x00405000, PG_WRITE, PFEC_W | PFEC_U);
    /* No I/D in 32-bit paging without SMEP. */
    expect_pf(0x00405000, PG_EXEC, PFEC_U);
    ctx.cr4 = CR4_SMEP;
    expect_pf(0x00405000, PG_EXEC, PFEC_U | PFEC_I);
    /* Missing PDE. */
    ctx.cr4 = 0;
    ctx.user = false;
    expect_pf(0x00805000, PG_READ, 0);
    /* A faulting walk sets no accessed flag, even in the present PDE. */
    ck_assert_uint_eq(get32(PD32 + 4) & PTE_A, 0);
}
END_TEST

START_TEST(test_32_permissions)
{
    /* Supervisor-only page. */
    build_32bit(P | RW | US, P | RW);
    ctx.user = true;
    expect_pf(0x00405000, PG_READ, PFEC_P | PFEC_U);
    ck_assert_uint_eq(get32(PT32 + 20) & PTE_A, 0);
    ctx.user = false;
    expect_ok(0x00405000, PG_READ, 0x200000);
    ck_assert(!res.user);
    /* Read-only at the PDE level only. */
    build_32bit(P | US, P | RW | US);
    ctx.user = true;
    expect_ok(0x00405000, PG_READ, 0x200000);
    ck_assert(!res.writable && res.user);
    expect_pf(0x00405000, PG_WRITE, PFEC_P | PFEC_W | PFEC_U);
    /* Supervisor writes to read-only pages: allowed with WP=0, not with WP=1. */
    ctx.user = false;
    expect_ok(0x00405000, PG_WRITE, 0x200000);
    ck_assert(res.dirty);
    ctx.cr0 |= CR0_WP;
    expect_pf(0x00405000, PG_WRITE, PFEC_P | PFEC_W);
    /* User writes ignore WP: forbidden either way. */
    ctx.cr0 &= ~CR0_WP;
    ctx.user = true;
    expect_pf(0x00405000, PG_WRITE, PFEC_P | PFEC_W | PFEC_U);
}
END_TEST

START_TEST(test_32_smep_smap)
{
    build_32bit(P | RW | US, P | RW | US);
    /* Supervisor fetch from a user page. */
    expect_ok(0x00405000, PG_EXEC, 0x200000);
    ctx.cr4 = CR4_SMEP;
    expect_pf(0x00405000, PG_EXEC, PFEC_P | PFEC_I);
    ctx.user = true;
    expect_ok(0x00405000, PG_EXEC, 0x200000);
    /* SMAP: supervisor data accesses to user pages. */
    ctx.user = false;
    ctx.cr4 = CR4_SMAP;
    expect_pf(0x00405000, PG_READ, PFEC_P);
    expect_pf(0x00405000, PG_WRITE, PFEC_P | PFEC_W);
    ctx.ac = true;
    expect_ok(0x00405000, PG_READ, 0x200000);
    expect_ok(0x00405000, PG_WRITE, 0x200000);
    /* Implicit supervisor accesses ignore AC. */
    ctx.implicit_super = true;
    expect_pf(0x00405000, PG_READ, PFEC_P);
    /* SMAP does not restrict fetches. */
    expect_ok(0x00405000, PG_EXEC, 0x200000);
    /* ... nor user-mode accesses. */
    ctx.implicit_super = false;
    ctx.ac = false;
    ctx.user = true;
    expect_ok(0x00405000, PG_WRITE, 0x200000);
    /* SMAP+AC still obeys WP on read-only user pages. */
    build_32bit(P | RW | US, P | US);
    ctx.cr0 |= CR0_WP;
    ctx.cr4 = CR4_SMAP;
    ctx.user = false;
    ctx.ac = true;
    expect_pf(0x00405000, PG_WRITE, PFEC_P | PFEC_W);
}
END_TEST

START_TEST(test_32_4m_pages)
{
    ctx.cr0 = CR0_PE | CR0_PG;
    ctx.cr3 = PD32;
    ctx.cr4 = CR4_PSE;
    put32(PD32 + 3 * 4, 0x00800000 | PS | P | RW | PTE_G);
    expect_ok(0x00c12345, PG_WRITE, 0x00812345);
    ck_assert_uint_eq(res.page_size, 4u << 20);
    ck_assert_uint_eq(get32(PD32 + 12) & (PTE_A | PTE_D), PTE_A | PTE_D);
    ck_assert(!res.global); /* G counts only with CR4.PGE */
    ctx.cr4 |= CR4_PGE;
    expect_ok(0x00c12345, PG_READ, 0x00812345);
    ck_assert(res.global);
    /* PSE-36: PDE bits 19:13 are physical bits 38:32. */
    put32(PD32 + 3 * 4, 0x00800000 | (0x41u << 13) | PS | P | RW);
    expect_ok(0x00c12345, PG_READ, 0x4100812345ull);
    /* Bit 21 and bits for physical bits at or above MAXPHYADDR are reserved. */
    put32(PD32 + 3 * 4, 0x00800000 | (1u << 21) | PS | P | RW);
    expect_pf(0x00c12345, PG_READ, PFEC_P | PFEC_RSVD);
    put32(PD32 + 3 * 4, 0x00800000 | (1u << 20) | PS | P | RW);
    ctx.user = true;
    expect_pf(0x00c12345, PG_WRITE, PFEC_P | PFEC_RSVD | PFEC_W | PFEC_U);
    ck_assert_uint_eq(get32(PD32 + 12) & PTE_A, 0);
    /* Without CR4.PSE the PS bit is ignored: the PDE points to a table. */
    ctx.user = false;
    ctx.cr4 = 0;
    put32(PD32 + 3 * 4, PT32 | PS | P | RW);
    put32(PT32 + 0x12 * 4, 0x5000 | P);
    expect_ok(0x00c12345, PG_READ, 0x5345);
    ck_assert_uint_eq(res.page_size, 4096);
}
END_TEST

/* ---- PAE paging ---- */

#define PDPT_PAE 0x20040 /* 32-byte aligned, not page aligned */
#define PD_PAE 0x21000
#define PT_PAE 0x22000
/* PDPTE 1, PDE 2, PTE 3. */
#define LIN_PAE ((1ull << 30) | (2ull << 21) | (3ull << 12) | 0x456)

static void build_pae(uint64_t pde_flags, uint64_t pte_flags)
{
    ctx.cr0 = CR0_PE | CR0_PG;
    ctx.cr4 = CR4_PAE;
    ctx.cr3 = PDPT_PAE;
    put64(PDPT_PAE + 8, PD_PAE | P);
    put64(PD_PAE + 2 * 8, PT_PAE | pde_flags);
    put64(PT_PAE + 3 * 8, 0x300000 | pte_flags);
}

START_TEST(test_pae_4k)
{
    build_pae(P | RW | US, P | RW | US);
    expect_ok(LIN_PAE, PG_WRITE, 0x300456);
    ck_assert_uint_eq(get64(PD_PAE + 16) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get64(PT_PAE + 24) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* PDPTEs have no accessed flag: untouched. */
    ck_assert_uint_eq(get64(PDPT_PAE + 8), PD_PAE | P);
    /* Not-present PDPTE. */
    expect_pf(LIN_PAE & ~(1ull << 30), PG_READ, 0);
    /* Physical addresses above 4 GiB, below MAXPHYADDR. */
    put64(PT_PAE + 3 * 8, 0x7f00300000ull | P);
    expect_ok(LIN_PAE, PG_READ, 0x7f00300456ull);
}
END_TEST

START_TEST(test_pae_nx)
{
    build_pae(P | RW | US, P | RW | US | PTE_XD);
    /* XD with NXE=0 is a reserved bit; no I/D without NXE or SMEP. */
    expect_pf(LIN_PAE, PG_EXEC, PFEC_P | PFEC_RSVD);
    expect_pf(LIN_PAE, PG_READ, PFEC_P | PFEC_RSVD);
    ctx.efer = EFER_NXE;
    expect_ok(LIN_PAE, PG_READ, 0x300456);
    ck_assert(res.nx);
    expect_pf(LIN_PAE, PG_EXEC, PFEC_P | PFEC_I);
    ctx.user = true;
    expect_pf(LIN_PAE, PG_EXEC, PFEC_P | PFEC_I | PFEC_U);
    /* XD at the PDE level covers the page too. */
    build_pae(P | RW | US | PTE_XD, P | RW | US);
    expect_pf(LIN_PAE, PG_EXEC, PFEC_P | PFEC_I | PFEC_U);
    build_pae(P | RW | US, P | RW | US);
    expect_ok(LIN_PAE, PG_EXEC, 0x300456);
    ck_assert(!res.nx);
    /* Not-present fetch with NXE reports I/D. */
    put64(PT_PAE + 3 * 8, 0);
    expect_pf(LIN_PAE, PG_EXEC, PFEC_I | PFEC_U);
}
END_TEST

START_TEST(test_pae_reserved)
{
    /* Bits 62:MAXPHYADDR in a PTE. */
    build_pae(P | RW, P | RW | (1ull << PHYS_BITS));
    expect_pf(LIN_PAE, PG_READ, PFEC_P | PFEC_RSVD);
    build_pae(P | RW, P | RW | (1ull << 62));
    expect_pf(LIN_PAE, PG_READ, PFEC_P | PFEC_RSVD);
    ck_assert_uint_eq(get64(PD_PAE + 16) & PTE_A, 0);
    /* A not-present entry's other bits are ignored. */
    build_pae(P | RW, (1ull << 62) | RW);
    expect_pf(LIN_PAE, PG_READ, 0);
    /* PDE bit 52 reserved in PAE. */
    build_pae(P | RW | (1ull << 52), P | RW);
    expect_pf(LIN_PAE, PG_READ, PFEC_P | PFEC_RSVD);
    /* PDPTE reserved bits (1, 2, 5-8, XD). */
    build_pae(P | RW, P | RW);
    put64(PDPT_PAE + 8, PD_PAE | P | RW);
    expect_pf(LIN_PAE, PG_READ, PFEC_P | PFEC_RSVD);
    ck_assert(!paging_pdpte_valid(PD_PAE | P | RW, PHYS_BITS));
    ck_assert(!paging_pdpte_valid(PD_PAE | P | PTE_A, PHYS_BITS));
    ck_assert(!paging_pdpte_valid(PD_PAE | P | PTE_XD, PHYS_BITS));
    ck_assert(!paging_pdpte_valid(PD_PAE | P | (1ull << PHYS_BITS), PHYS_BITS));
    ck_assert(paging_pdpte_valid(PD_PAE | P | PTE_PWT | PTE_PCD | (7u << 9), PHYS_BITS));
    ck_assert(paging_pdpte_valid(PTE_XD | RW, PHYS_BITS)); /* not present */
    /* The width is a parameter: bit 39 is an address bit at 46 bits. */
    ck_assert(paging_pdpte_valid(PD_PAE | P | (1ull << 39), 46));
    ck_assert(!paging_pdpte_valid(PD_PAE | P | (1ull << 46), 46));
}
END_TEST

START_TEST(test_pae_2m_and_pdpte_regs)
{
    build_pae(P | RW, P | RW);
    put64(PD_PAE + 2 * 8, 0x1e00000 | PS | P | RW | US);
    expect_ok(LIN_PAE, PG_READ, 0x1e00000 | (LIN_PAE & 0x1fffff));
    ck_assert_uint_eq(res.page_size, 2u << 20);
    ck_assert(res.user && res.writable);
    /* Bits 20:13 of a 2 MiB PDE are reserved; bit 12 (PAT) is not. */
    put64(PD_PAE + 2 * 8, 0x1e00000 | (1u << 13) | PS | P | RW);
    expect_pf(LIN_PAE, PG_READ, PFEC_P | PFEC_RSVD);
    put64(PD_PAE + 2 * 8, 0x1e00000 | (1u << 12) | PS | P | RW);
    expect_ok(LIN_PAE, PG_READ, 0x1e00000 | (LIN_PAE & 0x1fffff));
    /* Loaded PDPTE registers win over memory. */
    uint64_t regs[4];
    ck_assert_int_eq(paging_pdptes_load(&pm, &ctx, regs, &res), PAGING_OK);
    ck_assert_uint_eq(regs[1], PD_PAE | P);
    ck_assert_uint_eq(regs[0], 0);
    ctx.pdptes = regs;
    put64(PDPT_PAE + 8, 0);
    expect_ok(LIN_PAE, PG_READ, 0x1e00000 | (LIN_PAE & 0x1fffff));
    put64(PDPT_PAE + 8, PD_PAE | P | (1ull << 5));
    ck_assert_int_eq(paging_pdptes_load(&pm, &ctx, regs, &res), PAGING_PAGE_FAULT);
}
END_TEST

/* ---- 4-level paging ---- */

#define PML4 0x30000
#define PDPT4 0x31000
#define PD4 0x32000
#define PT4 0x33000
/* PML4E 256, PDPTE 2, PDE 3, PTE 4. */
#define LIN4 (0xffff000000000000ull | (256ull << 39) | (2ull << 30) | (3ull << 21) | \
              (4ull << 12) | 0x789)

static void build_4level(uint64_t f4, uint64_t f3, uint64_t f2, uint64_t f1)
{
    ctx.cr0 = CR0_PE | CR0_PG | CR0_WP;
    ctx.cr4 = CR4_PAE;
    ctx.efer = EFER_LME | EFER_LMA | EFER_NXE;
    ctx.cr3 = PML4;
    put64(PML4 + 256 * 8, PDPT4 | f4);
    put64(PDPT4 + 2 * 8, PD4 | f3);
    put64(PD4 + 3 * 8, PT4 | f2);
    put64(PT4 + 4 * 8, 0x400000 | f1);
}

START_TEST(test_4l_4k)
{
    build_4level(P | RW | US, P | RW | US, P | RW | US, P | RW | US | PTE_G);
    expect_ok(LIN4, PG_READ, 0x400789);
    ck_assert_uint_eq(res.page_size, 4096);
    ck_assert(!res.global && !res.dirty);
    ck_assert_uint_eq(get64(PML4 + 256 * 8) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get64(PDPT4 + 16) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get64(PD4 + 24) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get64(PT4 + 32) & (PTE_A | PTE_D), PTE_A);
    ctx.cr4 |= CR4_PGE;
    expect_ok(LIN4, PG_WRITE, 0x400789);
    ck_assert(res.global && res.dirty);
    ck_assert_uint_eq(get64(PT4 + 32) & PTE_D, PTE_D);
    ck_assert_uint_eq(get64(PD4 + 24) & PTE_D, 0);
    /* PCID bits in CR3 are not part of the table address. */
    ctx.cr3 = PML4 | 0x123;
    expect_ok(LIN4, PG_READ, 0x400789);
    /* Linear bits 63:48 are ignored by the walk (canonicality is the caller's). */
    expect_ok(LIN4 & 0x0000ffffffffffffull, PG_READ, 0x400789);
}
END_TEST

START_TEST(test_4l_rights_each_level)
{
    /* R/W and U/S must be set at every level; XD at any level counts. */
    uint64_t all = P | RW | US;
    for (int lvl = 0; lvl < 4; lvl++) {
        uint64_t f[4] = { all, all, all, all };
        f[lvl] &= ~RW;
        build_4level(f[0], f[1], f[2], f[3]);
        ctx.user = true;
        expect_pf(LIN4, PG_WRITE, PFEC_P | PFEC_W | PFEC_U);
        ctx.user = false;
        expect_pf(LIN4, PG_WRITE, PFEC_P | PFEC_W); /* WP=1 */
        f[lvl] = all & ~US;
        build_4level(f[0], f[1], f[2], f[3]);
        ctx.user = true;
        expect_pf(LIN4, PG_READ, PFEC_P | PFEC_U);
        ctx.user = false;
        ctx.cr4 |= CR4_SMEP | CR4_SMAP;
        expect_ok(LIN4, PG_EXEC, 0x400789); /* supervisor page: SMEP/SMAP do not apply */
        expect_ok(LIN4, PG_READ, 0x400789);
        f[lvl] = all | PTE_XD;
        build_4level(f[0], f[1], f[2], f[3]);
        ctx.user = true;
        expect_pf(LIN4, PG_EXEC, PFEC_P | PFEC_I | PFEC_U);
        f[lvl] = all & ~P;
        build_4level(f[0], f[1], f[2], f[3]);
        ctx.user = true;
        expect_pf(LIN4, PG_EXEC, PFEC_I | PFEC_U);
    }
}
END_TEST

START_TEST(test_4l_reserved)
{
    uint64_t all = P | RW | US;
    /* Bits 51:MAXPHYADDR reserved at every level, 62:52 ignored. */
    for (int lvl = 0; lvl < 4; lvl++) {
        uint64_t f[4] = { all, all, all, all };
        f[lvl] |= 1ull << 51;
        build_4level(f[0], f[1], f[2], f[3]);
        expect_pf(LIN4, PG_READ, PFEC_P | PFEC_RSVD);
        f[lvl] = all | (1ull << PHYS_BITS);
        build_4level(f[0], f[1], f[2], f[3]);
        expect_pf(LIN4, PG_WRITE, PFEC_P | PFEC_RSVD | PFEC_W);
        f[lvl] = all | (0x7ffull << 52);
        build_4level(f[0], f[1], f[2], f[3]);
        expect_ok(LIN4, PG_READ, 0x400789);
        /* XD is reserved when NXE=0. */
        f[lvl] = all | PTE_XD;
        build_4level(f[0], f[1], f[2], f[3]);
        ctx.efer &= ~EFER_NXE;
        expect_pf(LIN4, PG_EXEC, PFEC_P | PFEC_RSVD);
        ctx.cr4 |= CR4_SMEP; /* SMEP makes I/D reported even without NXE */
        expect_pf(LIN4, PG_EXEC, PFEC_P | PFEC_RSVD | PFEC_I);
    }
    /* PS in a PML4E is reserved. */
    build_4level(all | PS, all, all, all);
    expect_pf(LIN4, PG_READ, PFEC_P | PFEC_RSVD);
    /* No accessed flag anywhere after a reserved-bit fault in the PTE. */
    build_4level(all, all, all, all | (1ull << 45));
    expect_pf(LIN4, PG_READ, PFEC_P | PFEC_RSVD);
    ck_assert_uint_eq(get64(PML4 + 256 * 8) & PTE_A, 0);
    ck_assert_uint_eq(get64(PD4 + 24) & PTE_A, 0);
}
END_TEST

START_TEST(test_4l_large_pages)
{
    uint64_t all = P | RW | US;
    build_4level(all, all, all, all);
    /* 2 MiB. */
    put64(PD4 + 3 * 8, 0x7fffe00000ull | PS | all | PTE_G);
    ctx.cr4 |= CR4_PGE;
    expect_ok(LIN4, PG_WRITE, 0x7fffe00000ull | (LIN4 & 0x1fffff));
    ck_assert_uint_eq(res.page_size, 2u << 20);
    ck_assert(res.global && res.dirty);
    ck_assert_uint_eq(get64(PD4 + 24) & (PTE_A | PTE_D), PTE_A | PTE_D);
    ck_assert_uint_eq(get64(PDPT4 + 16) & (PTE_A | PTE_D), PTE_A);
    put64(PD4 + 3 * 8, 0x7fffe00000ull | (1u << 20) | PS | all);
    expect_pf(LIN4, PG_READ, PFEC_P | PFEC_RSVD);
    /* 1 GiB. */
    put64(PDPT4 + 2 * 8, 0x4c0000000ull | PS | all);
    expect_ok(LIN4, PG_READ, 0x4c0000000ull | (LIN4 & 0x3fffffff));
    ck_assert_uint_eq(res.page_size, 1u << 30);
    ck_assert(!res.global);
    put64(PDPT4 + 2 * 8, 0x4c0000000ull | (1u << 29) | PS | all);
    expect_pf(LIN4, PG_READ, PFEC_P | PFEC_RSVD);
    put64(PDPT4 + 2 * 8, 0x4c0000000ull | (1u << 13) | PS | all);
    expect_pf(LIN4, PG_READ, PFEC_P | PFEC_RSVD);
    put64(PDPT4 + 2 * 8, 0x4c0000000ull | (1u << 12) | PS | all); /* PAT */
    expect_ok(LIN4, PG_READ, 0x4c0000000ull | (LIN4 & 0x3fffffff));
}
END_TEST

/* ---- the second dimension ---- */

#define NESTED_OFFSET 0x800000ull
struct hook_log {
    unsigned n;
    uint64_t gpa[16];
    unsigned access[16];
    bool is_walk[16];
    uint64_t fail_gpa;
    unsigned fail_access;
};

static int offset_hook(void *opaque, uint64_t gpa, unsigned access, bool is_walk, uint64_t lin,
                       uint64_t *hpa)
{
    struct hook_log *log = opaque;
    (void)lin;
    if (log->n < 16) {
        log->gpa[log->n] = gpa;
        log->access[log->n] = access;
        log->is_walk[log->n] = is_walk;
        log->n++;
    }
    if (gpa == log->fail_gpa && access == log->fail_access)
        return 1;
    *hpa = gpa + NESTED_OFFSET;
    return 0;
}

/* 32-bit paging tables placed at guest-physical PD32/PT32, i.e. at host
 * PD32+offset, mapping lin 0x00405123 to guest-physical 0x200123. */
static void build_nested(struct hook_log *log)
{
    memset(log, 0, sizeof(*log));
    log->fail_gpa = UINT64_MAX;
    ctx.cr0 = CR0_PE | CR0_PG;
    ctx.cr3 = PD32;
    ctx.gpa_translate = offset_hook;
    ctx.gpa_opaque = log;
    put32(NESTED_OFFSET + PD32 + 4, PT32 | P | RW);
    put32(NESTED_OFFSET + PT32 + 20, 0x200000 | P | RW);
}

START_TEST(test_nested_hook)
{
    struct hook_log log;
    build_nested(&log);
    expect_ok(0x00405123, PG_WRITE, NESTED_OFFSET + 0x200123);
    /* Reads of both entries, then A on both and D on the PTE, then the data. */
    ck_assert_uint_eq(log.n, 5);
    uint64_t gpas[5] = { PD32 + 4, PT32 + 20, PD32 + 4, PT32 + 20, 0x200123 };
    unsigned acc[5] = { PG_READ, PG_READ, PG_WRITE, PG_WRITE, PG_WRITE };
    for (unsigned i = 0; i < 5; i++) {
        ck_assert_uint_eq(log.gpa[i], gpas[i]);
        ck_assert_uint_eq(log.access[i], acc[i]);
        ck_assert(log.is_walk[i] == (i < 4));
    }
    ck_assert_uint_eq(get32(NESTED_OFFSET + PT32 + 20) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* Flags already set: no write accesses to the tables. */
    log.n = 0;
    expect_ok(0x00405123, PG_WRITE, NESTED_OFFSET + 0x200123);
    ck_assert_uint_eq(log.n, 3);
    /* Paging off goes through the hook too. */
    ctx.cr0 = CR0_PE;
    log.n = 0;
    expect_ok(0x1234, PG_EXEC, NESTED_OFFSET + 0x1234);
    ck_assert(!log.is_walk[0] && log.access[0] == PG_EXEC);
}
END_TEST

START_TEST(test_nested_faults)
{
    struct hook_log log;
    /* Refused entry read. */
    build_nested(&log);
    log.fail_gpa = PT32 + 20;
    log.fail_access = PG_READ;
    ck_assert_int_eq(walk(0x00405123, PG_READ), PAGING_NESTED_FAULT);
    ck_assert_uint_eq(res.nested_fault_gpa, PT32 + 20);
    ck_assert(res.nested_fault_in_walk);
    ck_assert_uint_eq(get32(NESTED_OFFSET + PD32 + 4) & PTE_A, 0);
    /* Refused A/D update (a write-protected paging structure). */
    log.fail_access = PG_WRITE;
    ck_assert_int_eq(walk(0x00405123, PG_READ), PAGING_NESTED_FAULT);
    ck_assert_uint_eq(res.nested_fault_gpa, PT32 + 20);
    ck_assert(res.nested_fault_in_walk);
    /* Refused final access. */
    build_nested(&log);
    log.fail_gpa = 0x200123;
    log.fail_access = PG_WRITE;
    ck_assert_int_eq(walk(0x00405123, PG_WRITE), PAGING_NESTED_FAULT);
    ck_assert_uint_eq(res.nested_fault_gpa, 0x200123);
    ck_assert(!res.nested_fault_in_walk);
    /* A guest page fault takes precedence: the hook never sees the data access. */
    build_nested(&log);
    ctx.user = true;
    ck_assert_int_eq(walk(0x00405123, PG_READ), PAGING_PAGE_FAULT);
    ck_assert_uint_eq(res.pf_error, PFEC_P | PFEC_U);
    ck_assert_uint_eq(log.n, 2);
}
END_TEST

/* ---- TLB policy ---- */

static struct tlb tlb;

static void fill(int user, uint64_t lin, uint64_t page_size, bool global)
{
    struct tlb_entry *e = &tlb.e[user][tlb_index(lin)];
    uint64_t page = lin & ~0xfffull;
    e->tag_read = e->tag_write = e->tag_exec = page;
    e->paddr_page = page;
    tlb_note_filled(&tlb, (unsigned)user, tlb_index(lin));
    e->global = global;
    tlb_note_large_page(&tlb, e, lin, page_size);
}

static bool cached(int user, uint64_t lin)
{
    return tlb.e[user][tlb_index(lin)].tag_read == (lin & ~0xfffull);
}

START_TEST(test_tlb_invlpg)
{
    tlb_flush_all(&tlb);
    fill(0, 0x1000, 4096, false);
    fill(1, 0x1000, 4096, false);
    fill(0, 0x2000, 4096, true);
    tlb_flush_page(&tlb, 0x1abc);
    ck_assert(!cached(0, 0x1000) && !cached(1, 0x1000));
    ck_assert(cached(0, 0x2000));
    tlb_flush_page(&tlb, 0x2000); /* INVLPG drops global entries too */
    ck_assert(!cached(0, 0x2000));
    /* Three slots of one 2 MiB page; INVLPG of another address inside it. */
    fill(0, 0x40000000, 2u << 20, true);
    fill(0, 0x40005000, 2u << 20, true);
    fill(1, 0x401ff000, 2u << 20, false);
    fill(0, 0x80001000, 4096, false);
    tlb_flush_page(&tlb, 0x40100000);
    ck_assert(!cached(0, 0x40000000) && !cached(0, 0x40005000) && !cached(1, 0x401ff000));
    ck_assert(cached(0, 0x80001000));
    /* An address outside every large page leaves them alone. */
    fill(0, 0x40005000, 2u << 20, false);
    tlb_flush_page(&tlb, 0x80001000);
    ck_assert(cached(0, 0x40005000));
}
END_TEST

START_TEST(test_tlb_global_and_pcid)
{
    tlb_flush_all(&tlb);
    fill(0, 0x1000, 4096, false);
    fill(0, 0x2000, 4096, true);
    tlb_mov_cr3(&tlb, 0x10000, 0x20000, false);
    ck_assert(!cached(0, 0x1000) && cached(0, 0x2000));
    /* Bit 63 is only a hint with CR4.PCIDE=1 and the same PCID. */
    fill(0, 0x1000, 4096, false);
    tlb_mov_cr3(&tlb, 0x10000, (1ull << 63) | 0x20000, false);
    ck_assert(!cached(0, 0x1000));
    fill(0, 0x1000, 4096, false);
    tlb_mov_cr3(&tlb, 0x10005, (1ull << 63) | 0x20005, true);
    ck_assert(cached(0, 0x1000));
    tlb_mov_cr3(&tlb, 0x20005, (1ull << 63) | 0x20006, true);
    ck_assert(!cached(0, 0x1000) && cached(0, 0x2000));
    fill(0, 0x1000, 4096, false);
    tlb_mov_cr3(&tlb, 0x20006, 0x20006, true);
    ck_assert(!cached(0, 0x1000));
    /* INVPCID. */
    fill(0, 0x1000, 4096, false);
    tlb_invpcid(&tlb, INVPCID_SINGLE, 7, 0, 6);
    ck_assert(cached(0, 0x1000));
    tlb_invpcid(&tlb, INVPCID_SINGLE, 6, 0, 6);
    ck_assert(!cached(0, 0x1000) && cached(0, 0x2000));
    fill(0, 0x1000, 4096, false);
    tlb_invpcid(&tlb, INVPCID_ADDRESS, 6, 0x1000, 6);
    ck_assert(!cached(0, 0x1000) && cached(0, 0x2000));
    fill(0, 0x1000, 4096, false);
    tlb_invpcid(&tlb, INVPCID_ALL, 0, 0, 6);
    ck_assert(!cached(0, 0x1000) && cached(0, 0x2000));
    tlb_invpcid(&tlb, INVPCID_ALL_GLOBAL, 0, 0, 6);
    ck_assert(!cached(0, 0x2000));
    /* Register changes that invalidate cached rights flush everything. */
    fill(0, 0x2000, 4096, true);
    tlb_paging_regs_changed(&tlb, CR0_PG, CR0_PG, 0, 0, 0, EFER_LME);
    ck_assert(cached(0, 0x2000));
    tlb_paging_regs_changed(&tlb, CR0_PG, CR0_PG | CR0_WP, 0, 0, 0, 0);
    ck_assert(!cached(0, 0x2000));
    fill(0, 0x2000, 4096, true);
    tlb_paging_regs_changed(&tlb, 0, 0, CR4_PGE, 0, 0, 0);
    ck_assert(!cached(0, 0x2000));
    fill(0, 0x2000, 4096, true);
    tlb_paging_regs_changed(&tlb, 0, 0, 0, CR4_SMAP, 0, 0);
    ck_assert(!cached(0, 0x2000));
    fill(0, 0x2000, 4096, true);
    tlb_paging_regs_changed(&tlb, 0, 0, 0, 0, 0, EFER_NXE);
    ck_assert(!cached(0, 0x2000));
}
END_TEST

/* ---- the CPU's use of the walker (cpu/mem.c tlb_fill) ---- */

START_TEST(test_cpu_tlb_large_page)
{
    /* The harness maps 0-1 GiB with 2 MiB pages (PD at 0x3000). */
    static struct harness h;
    harness_init(&h, 64);
    struct cpu *c = &h.cpu;
    uint64_t pa;
    ck_assert(cpu_translate_noexc(c, 0x200123, ACC_WRITE, &pa));
    ck_assert_uint_eq(pa, 0x200123);
    ck_assert(cpu_translate_noexc(c, 0x3ff456, ACC_READ, &pa));
    ck_assert_uint_eq(pa, 0x3ff456);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x3008, 8) & (PTE_A | PTE_D), PTE_A | PTE_D);
    const struct tlb_entry *e1 = &c->tlb.e[0][tlb_index(0x200000)];
    const struct tlb_entry *e2 = &c->tlb.e[0][tlb_index(0x3ff000)];
    ck_assert_uint_eq(e1->tag_read, 0x200000);
    ck_assert_uint_eq(e1->tag_write, 0x200000);
    ck_assert(e1->large && e2->large);
    /* The guest unmaps the 2 MiB page and INVLPGs a third address in it. */
    physmem_write(&h.mem, 0x3008, 0, 8);
    tlb_flush_page(&c->tlb, 0x300000);
    ck_assert_uint_eq(e1->tag_read, TLB_TAG_INVALID);
    ck_assert_uint_eq(e2->tag_read, TLB_TAG_INVALID);
    ck_assert(!cpu_translate_noexc(c, 0x200123, ACC_READ, &pa));
    harness_free(&h);
}
END_TEST

static Suite *paging_suite(void)
{
    Suite *s = suite_create("paging");
    TCase *tc = tcase_create("walk");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_off_passthrough);
    tcase_add_test(tc, test_32_4k_and_ad);
    tcase_add_test(tc, test_32_not_present);
    tcase_add_test(tc, test_32_permissions);
    tcase_add_test(tc, test_32_smep_smap);
    tcase_add_test(tc, test_32_4m_pages);
    tcase_add_test(tc, test_pae_4k);
    tcase_add_test(tc, test_pae_nx);
    tcase_add_test(tc, test_pae_reserved);
    tcase_add_test(tc, test_pae_2m_and_pdpte_regs);
    tcase_add_test(tc, test_4l_4k);
    tcase_add_test(tc, test_4l_rights_each_level);
    tcase_add_test(tc, test_4l_reserved);
    tcase_add_test(tc, test_4l_large_pages);
    tcase_add_test(tc, test_nested_hook);
    tcase_add_test(tc, test_nested_faults);
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("tlb");
    tcase_add_test(tt, test_tlb_invlpg);
    tcase_add_test(tt, test_tlb_global_and_pcid);
    tcase_add_test(tt, test_cpu_tlb_large_page);
    suite_add_tcase(s, tt);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(paging_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* PAE PDPTE registers (SDM Vol.3A 4.4.1): loaded by MOV to CR0/CR3/CR4
 * and not re-read by the page walk; a present PDPTE with a reserved bit
 * makes the MOV #GP(0). VM entry with "enable EPT" loads them from the VMCS
 * (SDM Vol.3C 26.3.2.4), without EPT from guest CR3; VM exit with EPT and
 * PAE paging stores them (27.3.4); under EPT the load from CR3 is a
 * guest-physical access that can cause an EPT violation. */
#include <check.h>
#include <stdlib.h>

#include "cpu/ctrlreg.h"
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "mmu/paging.h"
#include "tests/unit/vmx_test_util.h"
#include "vmx_emul/vmcs.h"

static struct harness h;

/* ---- MOV to CR0/CR3/CR4 in a 32-bit harness ---- */

#define PDPT 0x48000u
#define PD_A 0x49000u /* 2 MiB page at 0 */
#define PD_B 0x4a000u /* 2 MiB page at 0x200000 */
#define P 1ull

static void setup32(void)
{
    harness_init(&h, 32);
    put64(&h, PD_A, 0x000000 | PTE_PS | PTE_RW | P);
    put64(&h, PD_B, 0x200000 | PTE_PS | PTE_RW | P);
    put64(&h, PDPT, PD_A | P);
    for (int i = 1; i < 4; i++)
        put64(&h, PDPT + 8 * i, 0);
}

static void teardown32(void)
{
    harness_free(&h);
}

static void enable_pae_paging(void)
{
    struct cpu *c = &h.cpu;
    ck_assert(cpu_set_cr4(c, c->cr4 | CR4_PAE));
    ck_assert(cpu_set_cr3(c, PDPT));
    ck_assert(!c->pdpte_valid); /* paging still off: nothing loaded yet */
    ck_assert(cpu_set_cr0(c, c->cr0 | CR0_PG));
}

static uint64_t phys_of(uint64_t lin)
{
    uint64_t pa = ~0ull;
    ck_assert(cpu_translate_noexc(&h.cpu, lin, ACC_READ, &pa));
    return pa;
}

static bool exec_fetch(void *opaque, uint64_t off, uint8_t *b)
{
    (void)opaque;
    *b = (uint8_t)physmem_read(&h.mem, off, 1);
    return true;
}

/* Decode and run one instruction at 0x10000; the raised vector or -1. */
static int exec_one(const uint8_t *code, size_t len)
{
    struct cpu *c = &h.cpu;
    harness_load(&h, 0x10000, code, len);
    static struct insn in;
    decode_insn(&in, c->code_size, c->model->isa_mask, exec_fetch, NULL, 0x10000);
    c->rip = 0x10000;
    c->next_rip = 0x10000 + in.len;
    int v;
    TRY_RAISE(c, v, in.fn(c, &in));
    return v;
}

START_TEST(enabling_pae_paging_loads_the_registers)
{
    enable_pae_paging();
    ck_assert(h.cpu.pdpte_valid);
    ck_assert_uint_eq(h.cpu.pdpte[0], PD_A | P);
    ck_assert_uint_eq(h.cpu.pdpte[1], 0);
    ck_assert_uint_eq(phys_of(0x1234), 0x1234);
}
END_TEST

START_TEST(stale_pdpte_in_memory_until_next_mov_cr3)
{
    enable_pae_paging();
    /* Software edits the PDPT without reloading CR3: the walk (even after
     * the TLB is emptied) still uses the registers. */
    put64(&h, PDPT, PD_B | P);
    tlb_flush_all(&h.cpu.tlb);
    ck_assert_uint_eq(phys_of(0x1234), 0x1234);
    ck_assert_uint_eq(h.cpu.pdpte[0], PD_A | P);
    /* A PDPTE cleared in memory does not unmap either. */
    put64(&h, PDPT, 0);
    tlb_flush_all(&h.cpu.tlb);
    ck_assert_uint_eq(phys_of(0x1234), 0x1234);
    /* MOV to CR3 (same value) reloads. */
    put64(&h, PDPT, PD_B | P);
    ck_assert(cpu_set_cr3(&h.cpu, PDPT));
    ck_assert_uint_eq(h.cpu.pdpte[0], PD_B | P);
    ck_assert_uint_eq(phys_of(0x1234), 0x201234);
}
END_TEST

START_TEST(reserved_bit_refuses_mov_cr3_and_keeps_registers)
{
    enable_pae_paging();
    const uint64_t rsvd[] = {1ull << 1, 1ull << 2, 1ull << 5, 1ull << 6, 1ull << 7, 1ull << 8,
                             PTE_XD, 1ull << h.cpu.model->phys_bits};
    for (unsigned i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
        put64(&h, PDPT + 8 * 2, PD_B | P | rsvd[i]);
        ck_assert(!cpu_set_cr3(&h.cpu, PDPT));
        ck_assert_uint_eq(h.cpu.cr3, PDPT);
        ck_assert_uint_eq(h.cpu.pdpte[2], 0);
    }
    /* Reserved bits of a not-present PDPTE are ignored. */
    put64(&h, PDPT + 8 * 2, (PD_B | 0x1e6) & ~P);
    ck_assert(cpu_set_cr3(&h.cpu, PDPT));
    ck_assert_uint_eq(h.cpu.pdpte[2], (PD_B | 0x1e6) & ~P);
    /* MOV CR3, EAX raises #GP(0) and changes nothing. */
    put64(&h, PDPT + 8 * 3, PD_B | P | (1ull << 5));
    h.cpu.gpr[R_AX] = PDPT;
    static const uint8_t mov_cr3_eax[] = {0x0f, 0x22, 0xd8};
    ck_assert_int_eq(exec_one(mov_cr3_eax, sizeof(mov_cr3_eax)), EXC_GP);
    ck_assert_uint_eq(h.cpu.exc_error, 0);
    ck_assert_uint_eq(h.cpu.pdpte[3], 0);
}
END_TEST

START_TEST(reserved_bit_refuses_enabling_paging)
{
    struct cpu *c = &h.cpu;
    put64(&h, PDPT + 8, PD_B | P | PTE_RW);
    ck_assert(cpu_set_cr4(c, c->cr4 | CR4_PAE));
    ck_assert(cpu_set_cr3(c, PDPT));
    ck_assert(!cpu_set_cr0(c, c->cr0 | CR0_PG));
    ck_assert(!(c->cr0 & CR0_PG));
    ck_assert(!c->pdpte_valid);
    /* And through CR4: paging on without PAE, then PAE with a bad PDPT. */
    ck_assert(cpu_set_cr4(c, c->cr4 & ~CR4_PAE));
    /* Read as a PDPT the 32-bit PD must be valid but for the entry tested:
     * its PDE 0 points to a page table (no PS, no R/W). */
    put64(&h, 0x4b000, PD_A | P);
    ck_assert(cpu_set_cr3(c, 0x4b000));
    ck_assert(cpu_set_cr0(c, c->cr0 | CR0_PG));
    put64(&h, 0x4b000 + 8, PD_B | P | (1ull << 7));
    ck_assert(!cpu_set_cr4(c, c->cr4 | CR4_PAE));
    ck_assert(!(c->cr4 & CR4_PAE));
    put64(&h, 0x4b000 + 8, PD_B | P);
    ck_assert(cpu_set_cr4(c, c->cr4 | CR4_PAE));
    ck_assert_uint_eq(c->pdpte[1], PD_B | P);
}
END_TEST

START_TEST(cd_toggle_reloads_the_registers)
{
    enable_pae_paging();
    put64(&h, PDPT, PD_B | P);
    /* SDM 4.4.1: MOV to CR0 that changes CD, NW or PG reloads them; a
     * change of another bit (here MP) does not. */
    ck_assert(cpu_set_cr0(&h.cpu, h.cpu.cr0 | CR0_MP));
    ck_assert_uint_eq(h.cpu.pdpte[0], PD_A | P);
    ck_assert(cpu_set_cr0(&h.cpu, h.cpu.cr0 | CR0_CD));
    ck_assert_uint_eq(h.cpu.pdpte[0], PD_B | P);
}
END_TEST

START_TEST(reset_invalidates_the_registers)
{
    enable_pae_paging();
    cpu_reset(&h.cpu, true);
    ck_assert(!h.cpu.pdpte_valid);
    ck_assert_uint_eq(h.cpu.pdpte[0], 0);
}
END_TEST

/* ---- VM entry and VM exit ---- */

#define HOST_RIP 0x20000u
#define HOST_RSP 0x70000u
#define GUEST_RIP 0x30000u
#define GUEST_RSP 0x60000u
#define EPTP (0x300000u | (3u << 3) | 6u)
#define GUEST_PDPT 0x7800u

static void setup_vmx(void)
{
    vmx_harness_init(&h);
}

static void teardown_vmx(void)
{
    vmx_harness_free(&h);
}

/* EPT identity map of the first GiB: PML4 0x300000, PDPT 0x301000, PD
 * 0x302000 with 2 MiB RWX write-back pages. */
static void identity_ept(void)
{
    put64(&h, 0x300000, 0x301000 | 7);
    put64(&h, 0x301000, 0x302000 | 7);
    for (uint64_t i = 0; i < 512; i++)
        put64(&h, 0x302000 + 8 * i, (i << 21) | 0x80 | (6 << 3) | 7);
}

static uint64_t mem_pdpte(int i)
{
    return (0x40000ull + 0x1000 * (uint64_t)i) | P;
}

static uint64_t vmcs_pdpte(int i)
{
    return (0x50000ull + 0x1000 * (uint64_t)i) | P;
}

/* A 32-bit PAE guest whose PDPT at GUEST_PDPT holds mem_pdpte(i) and whose
 * VMCS PDPTE fields hold vmcs_pdpte(i); EPT (identity) if asked. */
static struct vmcs *pae_guest(bool ept)
{
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    struct vmcs *v = vmx_current_vmcs(&h.cpu);
    vmx_fill_flat64_vmcs(v, &h.cpu, HOST_RIP, HOST_RSP, GUEST_RIP, GUEST_RSP);
    v->host_ia32_pat = v->guest_ia32_pat = 0x0007040600070406ull;
    v->vm_entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
    v->guest_cs_ar_bytes = 0xb | SEG_S | SEG_P | SEG_DB | SEG_G;
    v->guest_cr3 = GUEST_PDPT;
    v->guest_cr4 = CR4_PAE | CR4_VMXE;
    for (int i = 0; i < 4; i++)
        put64(&h, GUEST_PDPT + 8 * i, mem_pdpte(i));
    v->guest_pdptr0 = vmcs_pdpte(0);
    v->guest_pdptr1 = vmcs_pdpte(1);
    v->guest_pdptr2 = vmcs_pdpte(2);
    v->guest_pdptr3 = vmcs_pdpte(3);
    if (ept) {
        struct vmx_caps *c = &h.cpu.vmx->caps;
        c->procbased |= (uint64_t)CPU_SECONDARY_CONTROLS << 32;
        c->true_procbased |= (uint64_t)CPU_SECONDARY_CONTROLS << 32;
        c->procbased2 |= (uint64_t)CPU2_ENABLE_EPT << 32;
        c->ept_vpid_cap |= (1ull << 6) | (1ull << 14);
        identity_ept();
        v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
        v->secondary_vm_exec_control = CPU2_ENABLE_EPT;
        v->ept_pointer = EPTP;
    }
    return v;
}

static void exit_hlt(void)
{
    struct vmx_exit_info info = {.valid = EXITINFO_INSN_LEN, .insn_len = 1};
    vmx_vmexit(&h.cpu, EXIT_REASON_HLT, 0, &info);
    ck_assert(!h.cpu.vmx_nonroot);
}

START_TEST(entry_with_ept_loads_vmcs_pdptes_and_exit_stores_them)
{
    struct vmcs *v = pae_guest(true);
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    ck_assert(h.cpu.pdpte_valid);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(h.cpu.pdpte[i], vmcs_pdpte(i));
    /* The guest's MOV to CR3 loads from its PDPT through EPT. */
    ck_assert(cpu_set_cr3(&h.cpu, GUEST_PDPT));
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(h.cpu.pdpte[i], mem_pdpte(i));
    /* Memory changes after that are not seen; VM exit stores the registers. */
    put64(&h, GUEST_PDPT, 0);
    exit_hlt();
    ck_assert_uint_eq(v->guest_pdptr0, mem_pdpte(0));
    ck_assert_uint_eq(v->guest_pdptr1, mem_pdpte(1));
    ck_assert_uint_eq(v->guest_pdptr2, mem_pdpte(2));
    ck_assert_uint_eq(v->guest_pdptr3, mem_pdpte(3));
    /* The 64-bit host does not use them. */
    ck_assert_uint_eq(h.cpu.mode, MODE_LONG);
}
END_TEST

START_TEST(entry_without_ept_loads_from_guest_cr3)
{
    struct vmcs *v = pae_guest(false);
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(h.cpu.pdpte[i], mem_pdpte(i));
    /* Without EPT the VM exit leaves the VMCS fields alone. */
    h.cpu.pdpte[0] = 0;
    exit_hlt();
    ck_assert_uint_eq(v->guest_pdptr0, vmcs_pdpte(0));
    ck_assert_uint_eq(v->guest_pdptr3, vmcs_pdpte(3));
}
END_TEST

START_TEST(exit_from_non_pae_guest_keeps_vmcs_pdptes)
{
    /* A 64-bit guest with EPT: no PAE paging, nothing stored (27.3.4). */
    struct vmcs *v = pae_guest(true);
    v->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST;
    v->guest_cs_ar_bytes = 0xb | SEG_S | SEG_P | SEG_L | SEG_G;
    v->guest_cr3 = h.cpu.cr3;
    v->guest_cr4 = h.cpu.cr4;
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    h.cpu.pdpte[1] = 0x1234000 | P;
    exit_hlt();
    ck_assert_uint_eq(v->guest_pdptr1, vmcs_pdpte(1));
}
END_TEST

START_TEST(pdpte_load_under_ept_can_cause_an_ept_violation)
{
    struct vmcs *v = pae_guest(true);
    ck_assert_int_eq(do_vmlaunch(&h), -1);
    ck_assert(h.cpu.vmx_nonroot);
    /* Unmap guest-physical 0x400000-0x5fffff and load CR3 from there. */
    put64(&h, 0x302000 + 8 * 2, 0);
    int vec;
    TRY_RAISE(&h.cpu, vec, cpu_set_cr3(&h.cpu, 0x400020));
    (void)vec;
    ck_assert(!h.cpu.vmx_nonroot);
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
    ck_assert_uint_eq(v->guest_physical_address, 0x400020);
    /* A read (bit 0), not for a linear address (bit 7 clear). */
    ck_assert_uint_eq(v->exit_qualification & 1, 1);
    ck_assert_uint_eq(v->exit_qualification & (1u << 7), 0);
    ck_assert_uint_eq(v->guest_cr3, GUEST_PDPT); /* the MOV did not complete */
}
END_TEST

static Suite *pdpte_suite(void)
{
    Suite *s = suite_create("pdpte");
    TCase *tc = tcase_create("mov_cr");
    tcase_add_checked_fixture(tc, setup32, teardown32);
    tcase_add_test(tc, enabling_pae_paging_loads_the_registers);
    tcase_add_test(tc, stale_pdpte_in_memory_until_next_mov_cr3);
    tcase_add_test(tc, reserved_bit_refuses_mov_cr3_and_keeps_registers);
    tcase_add_test(tc, reserved_bit_refuses_enabling_paging);
    tcase_add_test(tc, cd_toggle_reloads_the_registers);
    tcase_add_test(tc, reset_invalidates_the_registers);
    suite_add_tcase(s, tc);
    TCase *tv = tcase_create("vmx");
    tcase_add_checked_fixture(tv, setup_vmx, teardown_vmx);
    tcase_add_test(tv, entry_with_ept_loads_vmcs_pdptes_and_exit_stores_them);
    tcase_add_test(tv, entry_without_ept_loads_from_guest_cr3);
    tcase_add_test(tv, exit_from_non_pae_guest_keeps_vmcs_pdptes);
    tcase_add_test(tv, pdpte_load_under_ept_can_cause_an_ept_violation);
    suite_add_tcase(s, tv);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pdpte_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* FS/GS bases across privilege-lowering returns, in the state a nested
 * hypervisor leaves behind. L1 KVM emulates a VM exit from L3 to L2 by
 * writing L2's guest FS as a usable DPL-0 data segment with selector 0 and
 * the base of L2's current process (load_vmcs12_host_state); L2's kernel
 * then returns to CPL 3 by IRETQ. IRET and far RET make DS/ES/FS/GS null
 * when their DPL is below the new CPL, but only the selector: the hidden
 * base stays (SDM Vol.2 IRET, RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL"), and
 * 64-bit code keeps using it. Turtles used to clear the base as for a MOV
 * of a null selector, so L2's stack-protector read `mov %fs:0x28` faulted
 * at address 0x28 right after its first KVM_RUN. */
#include <check.h>
#include <stdlib.h>

#include "cpu/exception.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

enum { CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x1b, DATA3 = 0x23, TSS_SEL = 0x28 };
#define KERNEL_AT 0x10000u
#define USER_AT 0x11000u
#define GP_HANDLER 0x12000u
#define TLS_BASE 0x200000u
#define CANARY 0x5ca1ab1e0ddba11ull

static struct harness h;

/* What L1's emulated VM exit leaves in a segment register of L2: usable,
 * present, DPL 0, read/write data, selector 0 (SDM 27.5.2 shape). */
static const uint32_t dpl0_data = 3 | SEG_S | SEG_P | SEG_DB | SEG_G;

/* mov rax, fs:[0x28] ; mov rbx, gs:[0x30] ; jmp $ */
static const uint8_t user_reads_tls[] = {0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00,
                                         0x65, 0x48, 0x8b, 0x1c, 0x25, 0x30, 0x00, 0x00, 0x00,
                                         0xeb, 0xfe};

static void setup64(void)
{
    harness_init(&h, 64);
    sys_gdt_flat(&h, 0xa);
    put64(&h, GDT_BASE + TSS_SEL, make_sys_desc(TSS_BASE, 0x67, 0xb, 0));
    put64(&h, GDT_BASE + TSS_SEL + 8, 0);
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x37};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 16 - 1};
    h.cpu.tr = (struct segment){.sel = TSS_SEL, .base = TSS_BASE, .limit = 0x67,
                                .attr = SEG_P | 0xb};
    put64(&h, TSS_BASE + 4, 0x90000); /* RSP0 */
    h.cpu.seg[S_CS].sel = CODE0;
    /* User-accessible identity map. */
    put64(&h, 0x1000, 0x2000 | 7);
    put64(&h, 0x2000, 0x3000 | 7);
    for (uint64_t i = 0; i < 512; i++)
        put64(&h, 0x3000 + i * 8, (i << 21) | 0x87);
    tlb_flush_all(&h.cpu.tlb);
    /* #GP from ring 3 lands on a HLT at ring 0. */
    uint64_t gate = make_gate(CODE0, GP_HANDLER, 0xe, 0, true, 0);
    put64(&h, IDT_BASE + EXC_GP * 16, gate);
    put64(&h, IDT_BASE + EXC_GP * 16 + 8, 0);
    static const uint8_t hlt = 0xf4;
    harness_load(&h, GP_HANDLER, &hlt, 1);
    harness_load(&h, USER_AT, user_reads_tls, sizeof(user_reads_tls));
    put64(&h, TLS_BASE + 0x28, CANARY);
    put64(&h, TLS_BASE + 0x1000 + 0x30, ~CANARY);
    h.cpu.seg[S_FS] = (struct segment){.sel = 0, .base = TLS_BASE, .limit = 0xffffffffu,
                                       .attr = dpl0_data};
    h.cpu.seg[S_GS] = (struct segment){.sel = 0, .base = TLS_BASE + 0x1000,
                                       .limit = 0xffffffffu, .attr = dpl0_data};
}

static void teardown(void)
{
    harness_free(&h);
}

static void check_user_read_tls(void)
{
    ck_assert_uint_eq(h.cpu.cpl, 3);
    ck_assert_uint_eq(h.cpu.rip, USER_AT + 18); /* spinning on jmp $, no #GP/#PF */
    ck_assert_uint_eq(h.cpu.gpr[R_AX], CANARY);
    ck_assert_uint_eq(h.cpu.gpr[R_BX], ~CANARY);
    /* Selectors nulled and registers unusable, bases kept. */
    ck_assert_uint_eq(h.cpu.seg[S_FS].sel, 0);
    ck_assert(h.cpu.seg[S_FS].attr & SEG_UNUSABLE);
    ck_assert_uint_eq(h.cpu.seg[S_FS].base, TLS_BASE);
    ck_assert_uint_eq(h.cpu.seg[S_GS].base, TLS_BASE + 0x1000);
}

START_TEST(iretq_to_ring3_keeps_dpl0_fs_gs_bases)
{
    static const uint8_t iretq[] = {0x48, 0xcf};
    harness_load(&h, KERNEL_AT, iretq, sizeof(iretq));
    uint64_t sp = 0x80000 - 40;
    put64(&h, sp + 0, USER_AT);
    put64(&h, sp + 8, CODE3);
    put64(&h, sp + 16, 0x202);
    put64(&h, sp + 24, 0x70000);
    put64(&h, sp + 32, DATA3);
    h.cpu.gpr[R_SP] = sp;
    ck_assert_int_eq(harness_run(&h, KERNEL_AT, 8), -2);
    check_user_read_tls();
}
END_TEST

START_TEST(far_ret_to_ring3_keeps_dpl0_fs_gs_bases)
{
    static const uint8_t retfq[] = {0x48, 0xcb};
    harness_load(&h, KERNEL_AT, retfq, sizeof(retfq));
    uint64_t sp = 0x80000 - 32;
    put64(&h, sp + 0, USER_AT);
    put64(&h, sp + 8, CODE3);
    put64(&h, sp + 16, 0x70000);
    put64(&h, sp + 24, DATA3);
    h.cpu.gpr[R_SP] = sp;
    ck_assert_int_eq(harness_run(&h, KERNEL_AT, 8), -2);
    check_user_read_tls();
}
END_TEST

START_TEST(iretq_leaves_dpl3_segments_alone)
{
    static const uint8_t iretq[] = {0x48, 0xcf};
    harness_load(&h, KERNEL_AT, iretq, sizeof(iretq));
    h.cpu.seg[S_FS].sel = DATA3;
    h.cpu.seg[S_FS].attr = dpl0_data | (3u << 5);
    uint64_t sp = 0x80000 - 40;
    put64(&h, sp + 0, USER_AT);
    put64(&h, sp + 8, CODE3);
    put64(&h, sp + 16, 0x202);
    put64(&h, sp + 24, 0x70000);
    put64(&h, sp + 32, DATA3);
    h.cpu.gpr[R_SP] = sp;
    ck_assert_int_eq(harness_run(&h, KERNEL_AT, 8), -2);
    ck_assert_uint_eq(h.cpu.seg[S_FS].sel, DATA3);
    ck_assert(!(h.cpu.seg[S_FS].attr & SEG_UNUSABLE));
    ck_assert_uint_eq(h.cpu.gpr[R_AX], CANARY);
}
END_TEST

/* Outside 64-bit mode the invalidated register is unusable: ring-3 code
 * using it faults even though the base was kept. */
START_TEST(protected_mode_invalidated_ds_faults)
{
    harness_free(&h);
    harness_init(&h, 32);
    sys_gdt_flat(&h, 0xc);
    put64(&h, GDT_BASE + TSS_SEL, make_sys_desc(TSS_BASE, 0x67, 0xb, 0));
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x2f};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 8 - 1};
    h.cpu.tr = (struct segment){.sel = TSS_SEL, .base = TSS_BASE, .limit = 0x67,
                                .attr = SEG_P | 0xb};
    physmem_write(&h.mem, TSS_BASE + 4, 0x90000, 4);
    physmem_write(&h.mem, TSS_BASE + 8, DATA0, 2);
    sys_set_selectors(&h.cpu, CODE0, DATA0);
    put64(&h, IDT_BASE + EXC_GP * 8, make_gate(CODE0, GP_HANDLER, 0xe, 0, true, 0));
    static const uint8_t hlt = 0xf4;
    harness_load(&h, GP_HANDLER, &hlt, 1);
    static const uint8_t iretd = 0xcf;
    harness_load(&h, KERNEL_AT, &iretd, 1);
    static const uint8_t user[] = {0x8b, 0x05, 0x00, 0x00, 0x20, 0x00, 0xeb, 0xfe}; /* mov eax,[0x200000] */
    harness_load(&h, USER_AT, user, sizeof(user));
    uint32_t sp = 0x80000 - 20;
    physmem_write(&h.mem, sp + 0, USER_AT, 4);
    physmem_write(&h.mem, sp + 4, CODE3, 4);
    physmem_write(&h.mem, sp + 8, 0x202, 4);
    physmem_write(&h.mem, sp + 12, 0x70000, 4);
    physmem_write(&h.mem, sp + 16, DATA3, 4);
    h.cpu.gpr[R_SP] = sp;
    ck_assert_int_eq(harness_run(&h, KERNEL_AT, 8), 0);
    ck_assert_uint_eq(h.cpu.rip, GP_HANDLER + 1);
    ck_assert_uint_eq(h.cpu.seg[S_DS].sel, 0);
    ck_assert(h.cpu.seg[S_DS].attr & SEG_UNUSABLE);
}
END_TEST

static Suite *fsbase_suite(void)
{
    Suite *s = suite_create("vmx_fsbase");
    TCase *tc = tcase_create("outer_privilege_return");
    tcase_add_checked_fixture(tc, setup64, teardown);
    tcase_add_test(tc, iretq_to_ring3_keeps_dpl0_fs_gs_bases);
    tcase_add_test(tc, far_ret_to_ring3_keeps_dpl0_fs_gs_bases);
    tcase_add_test(tc, iretq_leaves_dpl3_segments_alone);
    tcase_add_test(tc, protected_mode_invalidated_ds_faults);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fsbase_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

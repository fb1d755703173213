/* System instructions: control-register rules and IA-32e activation, far
 * calls through call gates with parameter copy and far RET to an outer
 * level, SYSCALL/SYSRET, SYSENTER/SYSEXIT, PUSHF/POPF privilege rules,
 * the I/O permission bitmap, RDTSC/CR4.TSD, SWAPGS (SDM Vol.2, Vol.3A). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/ctrlreg.h"
#include "cpu/exception.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"
#include "cpu/segment.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

enum { CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x1b, DATA3 = 0x23, TSS_SEL = 0x28,
       GATE_SEL = 0x30, CODE64 = 0x38 };
#define CODE_AT 0x10000u
#define HANDLERS 0x20000u

static struct harness h;

static void setup32(void)
{
    harness_init(&h, 32);
    sys_gdt_flat(&h, 0xc);
    put64(&h, GDT_BASE + TSS_SEL, make_sys_desc(TSS_BASE, 0x68 + 0x2000 / 8, 0xb, 0));
    put64(&h, GDT_BASE + GATE_SEL, make_gate(CODE0, HANDLERS, 0xc, 3, true, 1));
    put64(&h, GDT_BASE + CODE64, make_seg_desc(0, 0xfffff, 0xb, 0, true, 0xa));
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x3f};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 8 - 1};
    h.cpu.tr = (struct segment){.sel = TSS_SEL, .base = TSS_BASE, .limit = 0x68 + 0x2000 / 8,
                                .attr = SEG_P | 0xb};
    physmem_write(&h.mem, TSS_BASE + 4, 0x90000, 4);
    physmem_write(&h.mem, TSS_BASE + 8, DATA0, 2);
    sys_set_selectors(&h.cpu, CODE0, DATA0);
}

static void teardown(void)
{
    harness_free(&h);
}

static void to_ring3(void)
{
    sys_to_ring3(&h.cpu, CODE3, DATA3);
}

static void gp_handler_hlt(void)
{
    put64(&h, IDT_BASE + EXC_GP * 8, make_gate(CODE0, HANDLERS + 0xf00, 0xe, 0, true, 0));
    static const uint8_t hlt = 0xf4;
    harness_load(&h, HANDLERS + 0xf00, &hlt, 1);
}

static void run_slice(uint64_t n)
{
    h.cpu.quantum_end = h.cpu.icount + n;
    cpu_run(&h.cpu);
}

START_TEST(control_register_checks)
{
    struct cpu *c = &h.cpu;
    ck_assert(!cpu_set_cr0(c, CR0_PG));                     /* PG without PE */
    ck_assert(!cpu_set_cr0(c, CR0_PE | CR0_NW));            /* NW without CD */
    ck_assert(!cpu_set_cr0(c, CR0_PE | (1ull << 32)));
    ck_assert(!cpu_set_cr4(c, CR4_VME));                    /* VME not emulated */
    ck_assert(!cpu_set_cr4(c, CR4_PCIDE));                  /* needs IA-32e mode */
    c->vmx_off = true;
    ck_assert(!cpu_set_cr4(c, CR4_VMXE));                   /* VMX hidden (vmx=off) */
    c->vmx_off = false;
    ck_assert(cpu_set_cr4(c, CR4_PAE | CR4_PGE | CR4_OSFXSR));
    c->efer |= EFER_LME;
    c->cr4 = 0;
    ck_assert(!cpu_set_cr0(c, c->cr0 | CR0_PG));            /* LME+PG needs PAE */
    ck_assert(cpu_set_xcr0(c, 3));
    ck_assert(!cpu_set_xcr0(c, 2));
    ck_assert(!cpu_set_xcr0(c, 7));
}
END_TEST

START_TEST(pae_pdpte_reserved_bits_fault_on_cr3_load)
{
    struct cpu *c = &h.cpu;
    put64(&h, 0x9000, 0x1000 | 1 | (1ull << 5)); /* PDPTE with reserved bit 5 */
    ck_assert(cpu_set_cr4(c, CR4_PAE));
    ck_assert(cpu_set_cr3(c, 0x9000)); /* paging off: not loaded yet */
    ck_assert(!cpu_set_cr0(c, c->cr0 | CR0_PG));
    put64(&h, 0x9000, 0x1000 | 1);
    ck_assert(cpu_set_cr0(c, c->cr0 | CR0_PG));
    put64(&h, 0x9008, 1ull << 40 | 1);
    ck_assert(!cpu_set_cr3(c, 0x9000));
}
END_TEST

START_TEST(enter_long_mode_by_instructions)
{
    /* Identity map the first GiB with 2 MiB pages at 0x1000-0x3fff. */
    put64(&h, 0x1000, 0x2000 | 3);
    put64(&h, 0x2000, 0x3000 | 3);
    for (uint64_t i = 0; i < 512; i++)
        put64(&h, 0x3000 + i * 8, (i << 21) | 0x83);
    static const uint8_t code[] = {
        0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0,       /* cr4 |= PAE */
        0xb8, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x22, 0xd8,             /* cr3 = 0x1000 */
        0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32,                   /* rdmsr EFER */
        0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30,                   /* LME, wrmsr */
        0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, /* cr0 |= PG */
        0xea, 0x00, 0x10, 0x01, 0x00, CODE64, 0x00,                 /* ljmp CODE64:0x11000 */
    };
    static const uint8_t code64[] = {0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                                     0xf4};
    harness_load(&h, CODE_AT, code, sizeof(code));
    harness_load(&h, 0x11000, code64, sizeof(code64));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert(h.cpu.efer & EFER_LMA);
    ck_assert_int_eq(h.cpu.mode, MODE_LONG);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x1122334455667788ull);
    /* Leaving IA-32e mode from 64-bit mode is refused... */
    ck_assert(!cpu_set_cr0(&h.cpu, h.cpu.cr0 & ~CR0_PG));
    /* ...but allowed from compatibility mode. */
    h.cpu.seg[S_CS].attr &= ~SEG_L;
    h.cpu.seg[S_CS].attr |= SEG_DB;
    cpu_update_mode(&h.cpu);
    ck_assert_int_eq(h.cpu.mode, MODE_COMPAT);
    ck_assert(cpu_set_cr0(&h.cpu, h.cpu.cr0 & ~CR0_PG));
    ck_assert(!(h.cpu.efer & EFER_LMA));
    ck_assert_int_eq(h.cpu.mode, MODE_PROT);
}
END_TEST

START_TEST(call_gate_with_parameter_and_far_return)
{
    static const uint8_t user[] = {0x6a, 0x2a,                               /* push 42 */
                                   0x9a, 0, 0, 0, 0, GATE_SEL | 3, 0x00,     /* lcall gate */
                                   0xeb, 0xfe};
    static const uint8_t handler[] = {0x8b, 0x44, 0x24, 0x08, /* mov eax, [esp+8] */
                                      0xca, 0x04, 0x00};      /* lret 4 */
    harness_load(&h, CODE_AT, user, sizeof(user));
    harness_load(&h, HANDLERS, handler, sizeof(handler));
    to_ring3();
    h.cpu.gpr[R_SP] = 0x70000;
    h.cpu.rip = CODE_AT;
    run_slice(2);
    ck_assert_uint_eq(h.cpu.cpl, 0);
    ck_assert_uint_eq(h.cpu.seg[S_SS].sel, DATA0);
    /* New stack: old SS, old ESP, the copied parameter, CS, EIP. */
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x90000 - 20);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x90000 - 12, 4), 42);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x90000 - 8, 4), 0x70000 - 4);
    run_slice(10);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 42);
    ck_assert_uint_eq(h.cpu.cpl, 3);
    ck_assert_uint_eq(h.cpu.seg[S_SS].sel, DATA3);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x70000); /* lret 4 dropped the parameter */
    ck_assert_uint_eq(h.cpu.rip, CODE_AT + 9);
}
END_TEST

START_TEST(far_return_to_outer_level_nulls_inner_data_segments)
{
    /* Ring 0 builds a far-return frame to ring 3 (EIP, CS, ESP, SS). */
    static const uint8_t code[] = {0x6a, DATA3, 0x68, 0x00, 0x00, 0x07, 0x00, /* push ss, esp */
                                   0x6a, CODE3, 0x68, 0x10, 0x00, 0x01, 0x00, /* push cs, eip */
                                   0xcb};                                     /* lret */
    static const uint8_t spin[] = {0xeb, 0xfe};
    harness_load(&h, CODE_AT, code, sizeof(code));
    harness_load(&h, CODE_AT + 0x10, spin, 2);
    h.cpu.rip = CODE_AT;
    run_slice(20);
    ck_assert_uint_eq(h.cpu.cpl, 3);
    ck_assert_uint_eq(h.cpu.seg[S_SS].sel, DATA3);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], 0x70000);
    ck_assert(h.cpu.seg[S_DS].attr & SEG_UNUSABLE); /* DPL 0 data: nulled */
    ck_assert(h.cpu.seg[S_ES].attr & SEG_UNUSABLE);
}
END_TEST

START_TEST(sysenter_sysexit)
{
    struct cpu *c = &h.cpu;
    ck_assert(msr_write(c, MSR_SYSENTER_CS, CODE0));
    ck_assert(msr_write(c, MSR_SYSENTER_ESP, 0x60000));
    ck_assert(msr_write(c, MSR_SYSENTER_EIP, HANDLERS));
    static const uint8_t code[] = {0x0f, 0x34, 0xeb, 0xfe};
    static const uint8_t handler[] = {0x0f, 0x35};
    harness_load(&h, CODE_AT, code, sizeof(code));
    harness_load(&h, HANDLERS, handler, sizeof(handler));
    to_ring3();
    c->rflags |= F_IF;
    c->gpr[R_DX] = CODE_AT + 2;
    c->gpr[R_CX] = 0x71000;
    c->rip = CODE_AT;
    run_slice(1);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->gpr[R_SP], 0x60000);
    ck_assert_uint_eq(c->seg[S_SS].sel, DATA0);
    ck_assert(!(c->rflags & F_IF));
    run_slice(5);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->seg[S_CS].sel, CODE0 + 16 + 3);
    ck_assert_uint_eq(c->seg[S_SS].sel, CODE0 + 24 + 3);
    ck_assert_uint_eq(c->gpr[R_SP], 0x71000);
    ck_assert_uint_eq(c->rip, CODE_AT + 2);
}
END_TEST

START_TEST(popf_respects_iopl_and_cpl)
{
    static const uint8_t code[] = {0x6a, 0x00, 0x9d, 0xeb, 0xfe}; /* push 0 ; popf */
    harness_load(&h, CODE_AT, code, sizeof(code));
    to_ring3();
    h.cpu.rflags = 2 | F_IF;
    h.cpu.gpr[R_SP] = 0x70000;
    h.cpu.rip = CODE_AT;
    run_slice(3);
    ck_assert(h.cpu.rflags & F_IF); /* CPL 3 > IOPL 0: IF unchanged */
    /* At CPL 0, POPF may set IOPL. */
    harness_free(&h);
    setup32();
    static const uint8_t code0[] = {0x68, 0x02, 0x30, 0x00, 0x00, 0x9d, 0xf4};
    harness_load(&h, CODE_AT, code0, sizeof(code0));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 10), 0);
    ck_assert_uint_eq((h.cpu.rflags & F_IOPL) >> 12, 3);
}
END_TEST

START_TEST(io_permission_bitmap)
{
    /* I/O map base right after the 0x68-byte TSS; all ports denied but 0x3f8. */
    physmem_write(&h.mem, TSS_BASE + 0x66, 0x68, 2);
    for (unsigned i = 0; i < 0x2000 / 8; i += 8)
        put64(&h, TSS_BASE + 0x68 + i, ~0ull);
    physmem_write(&h.mem, TSS_BASE + 0x68 + 0x3f8 / 8, 0xfe, 1);
    static const uint8_t code[] = {0x66, 0xba, 0xf8, 0x03, 0xb0, 0x41, 0xee, /* out 0x3f8 */
                                   0x66, 0xba, 0xf9, 0x03, 0xee};            /* out 0x3f9 */
    harness_load(&h, CODE_AT, code, sizeof(code));
    gp_handler_hlt();
    to_ring3();
    h.cpu.gpr[R_SP] = 0x70000;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 20), 0);
    ck_assert_uint_eq(h.last_out_port, 0x3f8);
    ck_assert_uint_eq(h.last_out_value, 0x41);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0xf01);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x90000 - 20, 4), CODE_AT + 11);
}
END_TEST

START_TEST(rep_outs_and_ins)
{
    static const uint8_t code[] = {0xbe, 0x00, 0x40, 0x00, 0x00, /* mov esi, 0x4000 */
                                   0xb9, 0x03, 0x00, 0x00, 0x00, /* mov ecx, 3 */
                                   0x66, 0xba, 0x80, 0x00,       /* mov dx, 0x80 */
                                   0xf3, 0x6e,                   /* rep outsb */
                                   0xbf, 0x00, 0x50, 0x00, 0x00, /* mov edi, 0x5000 */
                                   0xb9, 0x02, 0x00, 0x00, 0x00, /* mov ecx, 2 */
                                   0xf3, 0x6d,                   /* rep insd */
                                   0xf4};
    harness_load(&h, CODE_AT, code, sizeof(code));
    physmem_write(&h.mem, 0x4000, 0x332211, 4);
    h.in_value = 0xcafef00d;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 100), 0);
    ck_assert_uint_eq(h.last_out_port, 0x80);
    ck_assert_uint_eq(h.last_out_value, 0x33);
    ck_assert_uint_eq(h.cpu.gpr[R_SI], 0x4003);
    ck_assert_uint_eq(h.cpu.gpr[R_CX], 0);
    ck_assert_uint_eq(h.cpu.gpr[R_DI], 0x5008);
    ck_assert_uint_eq(physmem_read(&h.mem, 0x5004, 4), 0xcafef00d);
}
END_TEST

START_TEST(rdtsc_and_tsd)
{
    static const uint8_t code[] = {0x0f, 0x31, 0xeb, 0xfe};
    harness_load(&h, CODE_AT, code, sizeof(code));
    gp_handler_hlt();
    msr_write(&h.cpu, MSR_TSC, 0x123456789ull);
    to_ring3();
    h.cpu.gpr[R_SP] = 0x70000;
    h.cpu.rip = CODE_AT;
    run_slice(1);
    ck_assert_uint_eq(h.cpu.gpr[R_DX], 1);
    ck_assert_uint_ge(h.cpu.gpr[R_AX], 0x23456789);
    h.cpu.cr4 |= CR4_TSD;
    ck_assert_int_eq(harness_run(&h, CODE_AT, 10), 0);
    ck_assert_uint_eq(h.cpu.rip, HANDLERS + 0xf01);
}
END_TEST

START_TEST(lmsw_smsw_clts)
{
    /* smsw eax ; lmsw ax (with TS) ; clts ; hlt */
    static const uint8_t code[] = {0x0f, 0x01, 0xe0, 0x83, 0xc8, 0x08, 0x0f, 0x01, 0xf0,
                                   0x0f, 0x20, 0xc3, 0x0f, 0x06, 0xf4};
    harness_load(&h, CODE_AT, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 20), 0);
    ck_assert(h.cpu.gpr[R_BX] & CR0_TS); /* mov ebx, cr0 after LMSW */
    ck_assert(!(h.cpu.cr0 & CR0_TS));
    ck_assert(h.cpu.cr0 & CR0_PE);
}
END_TEST

/* --- 64-bit --- */

static void setup64(void)
{
    harness_init(&h, 64);
    put64(&h, 0x1000, 0x2000 | 7);
    put64(&h, 0x2000, 0x3000 | 7);
    for (uint64_t i = 0; i < 512; i++)
        put64(&h, 0x3000 + i * 8, (i << 21) | 0x87);
    tlb_flush_all(&h.cpu.tlb);
}

START_TEST(syscall_sysret)
{
    struct cpu *c = &h.cpu;
    ck_assert(msr_write(c, MSR_STAR, (0x13ull << 48) | (0x08ull << 32)));
    ck_assert(msr_write(c, MSR_LSTAR, HANDLERS));
    ck_assert(msr_write(c, MSR_SFMASK, F_IF));
    static const uint8_t code[] = {0x0f, 0x05, 0xeb, 0xfe};
    static const uint8_t handler[] = {0x48, 0x0f, 0x07};
    harness_load(&h, CODE_AT, code, sizeof(code));
    harness_load(&h, HANDLERS, handler, sizeof(handler));
    c->rflags |= F_IF;
    c->rip = CODE_AT;
    run_slice(1);
    ck_assert_uint_eq(c->rip, HANDLERS);
    ck_assert_uint_eq(c->gpr[R_CX], CODE_AT + 2);
    ck_assert(c->gpr[R_R11] & F_IF);
    ck_assert(!(c->rflags & F_IF));
    ck_assert_uint_eq(c->seg[S_CS].sel, 0x08);
    ck_assert_uint_eq(c->seg[S_SS].sel, 0x10);
    run_slice(5);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->seg[S_CS].sel, 0x23);
    ck_assert_uint_eq(c->seg[S_SS].sel, 0x1b);
    ck_assert(c->rflags & F_IF);
    ck_assert_int_eq(c->mode, MODE_LONG);
    ck_assert_uint_eq(c->rip, CODE_AT + 2);
}
END_TEST

START_TEST(sysexit_64bit_form)
{
    struct cpu *c = &h.cpu;
    ck_assert(msr_write(c, MSR_SYSENTER_CS, 0x08));
    static const uint8_t code[] = {0x48, 0x0f, 0x35};
    static const uint8_t spin[] = {0xeb, 0xfe};
    harness_load(&h, CODE_AT, code, sizeof(code));
    harness_load(&h, CODE_AT + 0x100, spin, sizeof(spin));
    c->gpr[R_DX] = CODE_AT + 0x100;
    c->gpr[R_CX] = 0x70000;
    c->rip = CODE_AT;
    run_slice(3);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->seg[S_CS].sel, 0x08 + 32 + 3);
    ck_assert_uint_eq(c->seg[S_SS].sel, 0x08 + 40 + 3);
    ck_assert_int_eq(c->mode, MODE_LONG);
    ck_assert_uint_eq(c->gpr[R_SP], 0x70000);
    ck_assert_uint_eq(c->rip, CODE_AT + 0x100);
}
END_TEST

START_TEST(sysret_to_noncanonical_faults_in_ring0)
{
    struct cpu *c = &h.cpu;
    c->gpr[R_CX] = 0x0000800000000000ull;
    struct insn in = {.opsize = 8};
    int v;
    TRY_RAISE(c, v, op_sysret(c, &in));
    ck_assert_int_eq(v, EXC_GP);
    ck_assert_uint_eq(c->cpl, 0);
}
END_TEST

START_TEST(swapgs_and_fsgsbase)
{
    struct cpu *c = &h.cpu;
    c->kernel_gs_base = 0x1234;
    c->seg[S_GS].base = 0x5678;
    static const uint8_t code[] = {0x0f, 0x01, 0xf8, 0xf4};
    harness_load(&h, CODE_AT, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, CODE_AT, 10), 0);
    ck_assert_uint_eq(c->seg[S_GS].base, 0x1234);
    ck_assert_uint_eq(c->kernel_gs_base, 0x5678);
    /* rdfsbase rax without CR4.FSGSBASE is #UD; with it, reads the base. */
    c->seg[S_FS].base = 0xabcdef;
    struct insn in = {.opsize = 8, .modrm = 0xc0, .mod = 3, .rm = R_AX};
    int v;
    TRY_RAISE(c, v, op_rdfsgsbase(c, &in));
    ck_assert_int_eq(v, EXC_UD);
    ck_assert(cpu_set_cr4(c, c->cr4 | CR4_FSGSBASE));
    TRY_RAISE(c, v, op_rdfsgsbase(c, &in));
    ck_assert_int_eq(v, -1);
    ck_assert_uint_eq(c->gpr[R_AX], 0xabcdef);
}
END_TEST

static Suite *sysinsn_suite(void)
{
    Suite *s = suite_create("sysinsn");
    TCase *tc = tcase_create("protected");
    tcase_add_checked_fixture(tc, setup32, teardown);
    tcase_add_test(tc, control_register_checks);
    tcase_add_test(tc, pae_pdpte_reserved_bits_fault_on_cr3_load);
    tcase_add_test(tc, enter_long_mode_by_instructions);
    tcase_add_test(tc, call_gate_with_parameter_and_far_return);
    tcase_add_test(tc, sysenter_sysexit);
    tcase_add_test(tc, far_return_to_outer_level_nulls_inner_data_segments);
    tcase_add_test(tc, popf_respects_iopl_and_cpl);
    tcase_add_test(tc, io_permission_bitmap);
    tcase_add_test(tc, rep_outs_and_ins);
    tcase_add_test(tc, rdtsc_and_tsd);
    tcase_add_test(tc, lmsw_smsw_clts);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("long");
    tcase_add_checked_fixture(tl, setup64, teardown);
    tcase_add_test(tl, syscall_sysret);
    tcase_add_test(tl, sysret_to_noncanonical_faults_in_ring0);
    tcase_add_test(tl, sysexit_64bit_form);
    tcase_add_test(tl, swapgs_and_fsgsbase);
    suite_add_tcase(s, tl);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sysinsn_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

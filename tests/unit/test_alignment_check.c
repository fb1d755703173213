/* Alignment check (SDM Vol.3A 6.15, "Interrupt 17—Alignment Check
 * Exception"): #AC(0) for a misaligned data access when CR0.AM=1,
 * EFLAGS.AC=1 and CPL=3, never when one of the three is off, never for
 * implicit supervisor accesses, and also when the TLB fast path was warm
 * before the check was switched on (the fast paths do not check). */
#include <check.h>
#include <stdlib.h>

#include "cpu/ctrlreg.h"
#include "cpu/decode.h"
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

enum { CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x1b, DATA3 = 0x23, TSS_SEL = 0x28 };
#define CODE_AT 0x10000u
#define HANDLERS 0x20000u
#define AC_HANDLER (HANDLERS + 0x100)
#define GP_HANDLER (HANDLERS + 0x200)
#define DATA 0x9000u
#define STACK0 0x90000u

static struct harness h;

static void setup(void)
{
    harness_init(&h, 32);
    sys_gdt_flat(&h, 0xc);
    put64(&h, GDT_BASE + TSS_SEL, make_sys_desc(TSS_BASE, 0x67, 0xb, 0));
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x2f};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 8 - 1};
    h.cpu.tr = (struct segment){.sel = TSS_SEL, .base = TSS_BASE, .limit = 0x67,
                                .attr = SEG_P | 0xb};
    physmem_write(&h.mem, TSS_BASE + 4, STACK0, 4);
    physmem_write(&h.mem, TSS_BASE + 8, DATA0, 2);
    put64(&h, IDT_BASE + EXC_AC * 8, make_gate(CODE0, AC_HANDLER, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + EXC_GP * 8, make_gate(CODE0, GP_HANDLER, 0xe, 0, true, 0));
    static const uint8_t hlt = 0xf4;
    harness_load(&h, AC_HANDLER, &hlt, 1);
    harness_load(&h, GP_HANDLER, &hlt, 1);
    sys_set_selectors(&h.cpu, CODE0, DATA0);
}

static void teardown(void)
{
    harness_free(&h);
}

/* The three conditions, each on or off. */
static void conditions(bool am, bool ac, bool ring3)
{
    struct cpu *c = &h.cpu;
    ck_assert(cpu_set_cr0(c, am ? c->cr0 | CR0_AM : c->cr0 & ~CR0_AM));
    c->rflags = ac ? c->rflags | F_AC : c->rflags & ~(uint64_t)F_AC;
    if (ring3)
        sys_to_ring3(c, CODE3, DATA3);
    cpu_update_mode(c);
}

static int try_read(uint64_t off, unsigned size)
{
    int v;
    TRY_RAISE(&h.cpu, v, mem_read(&h.cpu, S_DS, off, size));
    return v;
}

static int try_write(uint64_t off, unsigned size)
{
    int v;
    TRY_RAISE(&h.cpu, v, mem_write(&h.cpu, S_DS, off, 0, size));
    return v;
}

START_TEST(misaligned_access_raises_ac_with_error_code_0)
{
    conditions(true, true, true);
    ck_assert(h.cpu.ac_check);
    ck_assert_int_eq(try_read(DATA + 1, 4), EXC_AC);
    ck_assert_uint_eq(h.cpu.exc_error, 0);
    ck_assert_int_eq(try_read(DATA + 2, 4), EXC_AC);
    ck_assert_int_eq(try_read(DATA + 1, 2), EXC_AC);
    ck_assert_int_eq(try_read(DATA + 4, 8), EXC_AC);
    ck_assert_int_eq(try_write(DATA + 3, 4), EXC_AC);
    ck_assert_int_eq(try_write(DATA + 0xffd, 8), EXC_AC); /* page-crossing too */
    int v;
    TRY_RAISE(&h.cpu, v, mem_probe_write(&h.cpu, S_DS, DATA + 6, 4));
    ck_assert_int_eq(v, EXC_AC);
    /* Nothing was written by the faulting stores. */
    ck_assert_uint_eq(physmem_read(&h.mem, DATA, 8), 0);
}
END_TEST

START_TEST(aligned_and_byte_accesses_pass)
{
    physmem_write(&h.mem, DATA + 8, 0x1122334455667788ull, 8);
    conditions(true, true, true);
    ck_assert_int_eq(try_read(DATA + 8, 8), -1);
    ck_assert_int_eq(try_read(DATA + 4, 4), -1);
    ck_assert_int_eq(try_read(DATA + 2, 2), -1);
    ck_assert_int_eq(try_read(DATA + 1, 1), -1);
    ck_assert_int_eq(try_write(DATA + 3, 1), -1);
    ck_assert_int_eq(try_write(DATA + 16, 4), -1);
    ck_assert_uint_eq(mem_read(&h.cpu, S_DS, DATA + 12, 4), 0x11223344);
}
END_TEST

START_TEST(no_ac_unless_all_three_conditions)
{
    for (unsigned m = 0; m < 7; m++) {
        teardown(); /* a fresh CPU per combination; the fixture frees the last */
        setup();
        conditions(m & 1, m & 2, m & 4);
        ck_assert(!h.cpu.ac_check);
        ck_assert_int_eq(try_read(DATA + 1, 4), -1);
        ck_assert_int_eq(try_write(DATA + 3, 8), -1);
    }
}
END_TEST

START_TEST(implicit_supervisor_accesses_are_not_checked)
{
    conditions(true, true, true);
    int v;
    TRY_RAISE(&h.cpu, v, sys_read(&h.cpu, DATA + 1, 4));
    ck_assert_int_eq(v, -1);
    TRY_RAISE(&h.cpu, v, sys_write(&h.cpu, DATA + 3, 0, 2));
    ck_assert_int_eq(v, -1);
}
END_TEST

START_TEST(warm_tlb_does_not_hide_ac)
{
    conditions(true, false, true);
    /* Fill the user TLB entries for the page (read and write). */
    ck_assert_int_eq(try_write(DATA + 1, 4), -1);
    ck_assert_int_eq(try_read(DATA + 1, 4), -1);
    h.cpu.rflags |= F_AC;
    cpu_update_ac_check(&h.cpu);
    ck_assert_int_eq(try_read(DATA + 1, 4), EXC_AC);
    ck_assert_int_eq(try_write(DATA + 1, 4), EXC_AC);
    /* Switched off again, the accesses pass (and refill the fast path). */
    h.cpu.rflags &= ~(uint64_t)F_AC;
    cpu_update_ac_check(&h.cpu);
    ck_assert_int_eq(try_read(DATA + 1, 4), -1);
    ck_assert_int_eq(try_read(DATA + 1, 4), -1);
}
END_TEST

/* User code: PUSHFD; OR dword [esp], AC; POPFD; then `tail`; then HLT
 * (#GP at CPL 3). */
static int run_user(const uint8_t *tail, size_t n)
{
    uint8_t code[64] = {0x9c, 0x81, 0x0c, 0x24, 0x00, 0x00, 0x04, 0x00, 0x9d};
    size_t len = 9;
    memcpy(code + len, tail, n);
    len += n;
    code[len++] = 0xf4;
    harness_load(&h, CODE_AT, code, len);
    h.cpu.gpr[R_BX] = DATA + 1;
    return harness_run(&h, CODE_AT, 100);
}

/* RIP of the handler's HLT + 1 says which exception came; the error code
 * and the faulting EIP are on the ring-0 stack. */
static void expect_exception(uint64_t handler, uint64_t fault_eip)
{
    ck_assert_uint_eq(h.cpu.rip, handler + 1);
    ck_assert_uint_eq(physmem_read(&h.mem, STACK0 - 24, 4), 0);
    ck_assert_uint_eq(physmem_read(&h.mem, STACK0 - 20, 4), fault_eip);
}

START_TEST(popf_at_cpl3_turns_checking_on_in_running_code)
{
    ck_assert(cpu_set_cr0(&h.cpu, h.cpu.cr0 | CR0_AM));
    sys_to_ring3(&h.cpu, CODE3, DATA3);
    /* Warm the TLB through the fast path with AC still clear. */
    ck_assert_int_eq(try_read(DATA + 1, 4), -1);
    static const uint8_t load[] = {0x8b, 0x03}; /* mov eax, [ebx] */
    ck_assert_int_eq(run_user(load, sizeof(load)), 0);
    expect_exception(AC_HANDLER, CODE_AT + 9);
    ck_assert(h.cpu.cpl == 0 && !h.cpu.ac_check);
}
END_TEST

START_TEST(read_modify_write_fast_path_checks_too)
{
    ck_assert(cpu_set_cr0(&h.cpu, h.cpu.cr0 | CR0_AM));
    sys_to_ring3(&h.cpu, CODE3, DATA3);
    ck_assert_int_eq(try_write(DATA + 1, 4), -1);
    static const uint8_t add[] = {0x01, 0x03}; /* add [ebx], eax */
    h.cpu.gpr[R_AX] = 5;
    ck_assert_int_eq(run_user(add, sizeof(add)), 0);
    expect_exception(AC_HANDLER, CODE_AT + 9);
    ck_assert_uint_eq(physmem_read(&h.mem, DATA + 1, 4), 0);
}
END_TEST

START_TEST(without_am_the_user_code_runs_on)
{
    sys_to_ring3(&h.cpu, CODE3, DATA3);
    static const uint8_t load[] = {0x8b, 0x03};
    physmem_write(&h.mem, DATA + 1, 0xabcd1234, 4);
    ck_assert_int_eq(run_user(load, sizeof(load)), 0);
    expect_exception(GP_HANDLER, CODE_AT + 11); /* the HLT */
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0xabcd1234);
}
END_TEST

static Suite *alignment_check_suite(void)
{
    Suite *s = suite_create("alignment_check");
    TCase *tc = tcase_create("ac");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, misaligned_access_raises_ac_with_error_code_0);
    tcase_add_test(tc, aligned_and_byte_accesses_pass);
    tcase_add_test(tc, no_ac_unless_all_three_conditions);
    tcase_add_test(tc, implicit_supervisor_accesses_are_not_checked);
    tcase_add_test(tc, warm_tlb_does_not_hide_ac);
    tcase_add_test(tc, popf_at_cpl3_turns_checking_on_in_running_code);
    tcase_add_test(tc, read_modify_write_fast_path_checks_too);
    tcase_add_test(tc, without_am_the_user_code_runs_on);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alignment_check_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Segment-register loads, descriptor checks, LAR/LSL/VERR/VERW and the
 * real -> protected mode switch by far jump (SDM Vol.3A 3.4-3.5, 5.5-5.10). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/segment.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

enum {
    SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_DATA3 = 0x1b, SEL_NOTPRESENT = 0x20,
    SEL_XONLY = 0x28, SEL_SMALL = 0x30, SEL_CODE3 = 0x3b, SEL_RCODE = 0x40, SEL_RODATA = 0x48,
    SEL_TSS = 0x50, GDT_ENTRIES = 11
};

static struct harness h;

static void setup_gdt(struct harness *hh)
{
    put64(hh, GDT_BASE + 0x00, 0);
    put64(hh, GDT_BASE + SEL_CODE0, make_seg_desc(0, 0xfffff, 0xa, 0, true, 0xc));
    put64(hh, GDT_BASE + SEL_DATA0, make_seg_desc(0, 0xfffff, 0x2, 0, true, 0xc));
    put64(hh, GDT_BASE + 0x18, make_seg_desc(0, 0xfffff, 0x2, 3, true, 0xc));
    put64(hh, GDT_BASE + SEL_NOTPRESENT, make_seg_desc(0, 0xfffff, 0x2, 0, false, 0xc));
    put64(hh, GDT_BASE + SEL_XONLY, make_seg_desc(0, 0xfffff, 0x8, 0, true, 0xc));
    put64(hh, GDT_BASE + SEL_SMALL, make_seg_desc(0x12345, 0xfff, 0x2, 0, true, 0x4));
    put64(hh, GDT_BASE + 0x38, make_seg_desc(0, 0xfffff, 0xa, 3, true, 0xc));
    put64(hh, GDT_BASE + SEL_RCODE, make_seg_desc(0x1000, 0xffff, 0xa, 0, true, 0x0));
    put64(hh, GDT_BASE + SEL_RODATA, make_seg_desc(0, 0xffff, 0x0, 0, true, 0x0));
    put64(hh, GDT_BASE + SEL_TSS, make_sys_desc(TSS_BASE, 0x67, 9, 0));
    hh->cpu.gdtr.base = GDT_BASE;
    hh->cpu.gdtr.limit = GDT_ENTRIES * 8 - 1;
}

static void setup32(void)
{
    harness_init(&h, 32);
    setup_gdt(&h);
}

static void teardown(void)
{
    harness_free(&h);
}

START_TEST(load_data_segment_sets_hidden_part_and_accessed)
{
    int v;
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_DS, SEL_SMALL));
    ck_assert_int_eq(v, -1);
    ck_assert_uint_eq(h.cpu.seg[S_DS].base, 0x12345);
    ck_assert_uint_eq(h.cpu.seg[S_DS].limit, 0xfff);
    ck_assert_uint_eq(h.cpu.seg[S_DS].sel, SEL_SMALL);
    /* The accessed bit (type bit 0) is now set in memory and in the cache. */
    ck_assert_uint_eq((get64(&h, GDT_BASE + SEL_SMALL) >> 40) & 1, 1);
    ck_assert_uint_eq(h.cpu.seg[S_DS].attr & 1, 1);
}
END_TEST

START_TEST(load_faults_carry_selector_error_codes)
{
    int v;
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_DS, SEL_NOTPRESENT));
    ck_assert_int_eq(v, EXC_NP);
    ck_assert_uint_eq(h.cpu.exc_error, SEL_NOTPRESENT);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_DS, 0x200)); /* beyond the GDT limit */
    ck_assert_int_eq(v, EXC_GP);
    ck_assert_uint_eq(h.cpu.exc_error, 0x200);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_ES, SEL_XONLY)); /* execute-only code */
    ck_assert_int_eq(v, EXC_GP);
    ck_assert_uint_eq(h.cpu.exc_error, SEL_XONLY);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_FS, SEL_RCODE)); /* readable code is fine */
    ck_assert_int_eq(v, -1);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_DS, 0x0c)); /* TI=1 with no LDT */
    ck_assert_int_eq(v, EXC_GP);
    ck_assert_uint_eq(h.cpu.exc_error, 0x0c);
}
END_TEST

START_TEST(stack_segment_rules)
{
    int v;
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_SS, 0));
    ck_assert_int_eq(v, EXC_GP);
    ck_assert_uint_eq(h.cpu.exc_error, 0);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_SS, SEL_DATA3)); /* RPL/DPL 3 at CPL 0 */
    ck_assert_int_eq(v, EXC_GP);
    ck_assert_uint_eq(h.cpu.exc_error, SEL_DATA3 & ~3);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_SS, SEL_RODATA)); /* not writable */
    ck_assert_int_eq(v, EXC_GP);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_SS, SEL_NOTPRESENT));
    ck_assert_int_eq(v, EXC_SS);
    ck_assert_uint_eq(h.cpu.exc_error, SEL_NOTPRESENT);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_SS, SEL_SMALL));
    ck_assert_int_eq(v, -1);
    ck_assert_uint_eq(h.cpu.stack_size, 4); /* B=1 */
}
END_TEST

START_TEST(null_selectors)
{
    int v;
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_GS, 3));
    ck_assert_int_eq(v, -1);
    ck_assert(h.cpu.seg[S_GS].attr & SEG_UNUSABLE);
    ck_assert_uint_eq(h.cpu.seg[S_GS].sel, 3);
}
END_TEST

START_TEST(null_ss_allowed_in_64bit_mode_below_cpl3)
{
    harness_free(&h);
    harness_init(&h, 64);
    setup_gdt(&h);
    int v;
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_SS, 0));
    ck_assert_int_eq(v, -1);
    ck_assert_uint_eq(h.cpu.cpl, 0);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_SS, 1)); /* RPL != CPL */
    ck_assert_int_eq(v, EXC_GP);
}
END_TEST

START_TEST(privilege_checks_for_data_segments)
{
    /* Pretend to run at CPL 3. */
    h.cpu.seg[S_CS].attr |= 3u << 5;
    h.cpu.seg[S_CS].sel = SEL_CODE3;
    h.cpu.seg[S_SS].attr |= 3u << 5;
    cpu_update_mode(&h.cpu);
    ck_assert_uint_eq(h.cpu.cpl, 3);
    int v;
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_DS, SEL_DATA0 | 3));
    ck_assert_int_eq(v, EXC_GP);
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_DS, SEL_DATA3));
    ck_assert_int_eq(v, -1);
}
END_TEST

START_TEST(mov_sreg_instruction_and_ss_shadow)
{
    /* mov ax, 0x10 ; mov ss, ax ; mov ds, ax ; hlt */
    static const uint8_t code[] = {0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd0, 0x8e, 0xd8, 0xf4};
    harness_load(&h, 0x10000, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, 0x10000, 100), 0);
    ck_assert_uint_eq(h.cpu.seg[S_DS].sel, 0x10);
    ck_assert_uint_eq(h.cpu.seg[S_SS].sel, 0x10);
    /* The shadow covered the instruction after MOV SS (and ended since). */
    ck_assert_uint_eq(h.cpu.irq_shadow_rip, 0x10006);
}
END_TEST

START_TEST(push_pop_segment_registers)
{
    /* push ds ; pop es ; push fs(0f a0) ; pop gs (0f a9) ; hlt */
    static const uint8_t code[] = {0x1e, 0x07, 0x0f, 0xa0, 0x0f, 0xa9, 0xf4};
    h.cpu.seg[S_DS].sel = 0;
    int v;
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_DS, SEL_SMALL));
    TRY_RAISE(&h.cpu, v, seg_load(&h.cpu, S_FS, SEL_DATA0));
    ck_assert_int_eq(v, -1);
    uint64_t sp = h.cpu.gpr[R_SP];
    harness_load(&h, 0x10000, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, 0x10000, 100), 0);
    ck_assert_uint_eq(h.cpu.seg[S_ES].sel, SEL_SMALL);
    ck_assert_uint_eq(h.cpu.seg[S_ES].base, 0x12345);
    ck_assert_uint_eq(h.cpu.seg[S_GS].sel, SEL_DATA0);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], sp);
}
END_TEST

START_TEST(lar_lsl_verr_verw)
{
    /* mov ebx, SEL_SMALL ; lar eax, ebx ; lsl ecx, ebx ; hlt */
    static const uint8_t code[] = {0xbb, SEL_SMALL, 0, 0, 0, 0x0f, 0x02, 0xc3,
                                   0x0f, 0x03, 0xcb, 0xf4};
    harness_load(&h, 0x10000, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, 0x10000, 100), 0);
    ck_assert(h.cpu.rflags & F_ZF);
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x00409200u); /* LAR does not set accessed */
    ck_assert_uint_eq(h.cpu.gpr[R_CX], 0xfff);
    /* verw on a read-only data segment clears ZF; verr sets it. */
    static const uint8_t code2[] = {0xbb, SEL_RODATA, 0, 0, 0, 0x0f, 0x00, 0xeb, 0xf4};
    harness_load(&h, 0x10100, code2, sizeof(code2));
    ck_assert_int_eq(harness_run(&h, 0x10100, 100), 0);
    ck_assert(!(h.cpu.rflags & F_ZF));
    static const uint8_t code3[] = {0x0f, 0x00, 0xe3, 0xf4}; /* verr bx */
    harness_load(&h, 0x10200, code3, sizeof(code3));
    ck_assert_int_eq(harness_run(&h, 0x10200, 100), 0);
    ck_assert(h.cpu.rflags & F_ZF);
    /* LAR of the null selector fails. */
    h.cpu.gpr[R_BX] = 0;
    harness_load(&h, 0x10300, code + 5, sizeof(code) - 5);
    h.cpu.gpr[R_AX] = 0x1234;
    ck_assert_int_eq(harness_run(&h, 0x10300, 100), 0);
    ck_assert(!(h.cpu.rflags & F_ZF));
    ck_assert_uint_eq(h.cpu.gpr[R_AX], 0x1234);
}
END_TEST

START_TEST(ltr_marks_tss_busy)
{
    static const uint8_t code[] = {0x66, 0xb8, SEL_TSS, 0x00, 0x0f, 0x00, 0xd8, 0xf4};
    harness_load(&h, 0x10000, code, sizeof(code));
    ck_assert_int_eq(harness_run(&h, 0x10000, 100), 0);
    ck_assert_uint_eq(h.cpu.tr.sel, SEL_TSS);
    ck_assert_uint_eq(h.cpu.tr.base, TSS_BASE);
    ck_assert_uint_eq((get64(&h, GDT_BASE + SEL_TSS) >> 40) & 0xf, 0xb);
}
END_TEST

START_TEST(real_mode_loads_and_switch_to_protected_mode)
{
    harness_free(&h);
    harness_init(&h, 16);
    setup_gdt(&h);
    /* GDT pseudo-descriptor at 0x2000. */
    physmem_write(&h.mem, 0x2000, GDT_ENTRIES * 8 - 1, 2);
    physmem_write(&h.mem, 0x2002, GDT_BASE, 4);
    static const uint8_t code[] = {
        0xb8, 0x00, 0x12,                   /* mov ax, 0x1200 */
        0x8e, 0xd8,                         /* mov ds, ax */
        0x0f, 0x01, 0x16, 0x00, 0x20,       /* lgdt [0x2000] (ds-relative: 0x14000) */
    };
    /* ds base 0x12000 + 0x2000 = 0x14000: put the pseudo-descriptor there too. */
    physmem_write(&h.mem, 0x14000, GDT_ENTRIES * 8 - 1, 2);
    physmem_write(&h.mem, 0x14002, GDT_BASE, 4);
    static const uint8_t code2[] = {
        0x0f, 0x20, 0xc0,                   /* mov eax, cr0 */
        0x66, 0x83, 0xc8, 0x01,             /* or eax, 1 */
        0x0f, 0x22, 0xc0,                   /* mov cr0, eax */
        0x66, 0xea, 0x00, 0x30, 0x00, 0x00, SEL_CODE0, 0x00, /* ljmp 0x08:0x3000 */
    };
    uint8_t buf[64];
    memcpy(buf, code, sizeof(code));
    memcpy(buf + sizeof(code), code2, sizeof(code2));
    harness_load(&h, 0x1000, buf, sizeof(code) + sizeof(code2));
    static const uint8_t target[] = {0xf4};
    harness_load(&h, 0x3000, target, 1);
    ck_assert_int_eq(harness_run(&h, 0x1000, 100), 0);
    ck_assert_uint_eq(h.cpu.seg[S_DS].base, 0x12000);
    ck_assert_uint_eq(h.cpu.gdtr.base, GDT_BASE);
    ck_assert_int_eq(h.cpu.mode, MODE_PROT);
    ck_assert_uint_eq(h.cpu.code_size, 4);
    ck_assert_uint_eq(h.cpu.seg[S_CS].sel, SEL_CODE0);
    ck_assert_uint_eq(h.cpu.rip, 0x3001);
}
END_TEST

static Suite *segment_suite(void)
{
    Suite *s = suite_create("segment");
    TCase *tc = tcase_create("loads");
    tcase_add_checked_fixture(tc, setup32, teardown);
    tcase_add_test(tc, load_data_segment_sets_hidden_part_and_accessed);
    tcase_add_test(tc, load_faults_carry_selector_error_codes);
    tcase_add_test(tc, stack_segment_rules);
    tcase_add_test(tc, null_selectors);
    tcase_add_test(tc, null_ss_allowed_in_64bit_mode_below_cpl3);
    tcase_add_test(tc, privilege_checks_for_data_segments);
    tcase_add_test(tc, mov_sreg_instruction_and_ss_shadow);
    tcase_add_test(tc, push_pop_segment_registers);
    tcase_add_test(tc, lar_lsl_verr_verw);
    tcase_add_test(tc, ltr_marks_tss_busy);
    tcase_add_test(tc, real_mode_loads_and_switch_to_protected_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(segment_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

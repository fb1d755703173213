/* The EF column of the VMX rows (cpu/ops_vmx.def) against their handlers,
 * which test_flags_table's bare harness cannot reach (VMX off: #UD). SDM
 * Vol.3C 31.2 "Conventions": VMsucceed clears CF, PF, AF, ZF, SF, OF;
 * VMfailInvalid sets CF and clears the others; VMfailValid sets ZF and
 * clears the others. So every VMX instruction that completes in VMX root
 * operation (without entering a guest) leaves the six flags in one of
 * three states whatever they were before, and changes nothing outside the
 * row's out | undef. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/flags_table.h"
#include "tests/unit/vmx_test_util.h"

static struct harness h;

struct vmx_case {
    const char *name;
    uint8_t code[6];
    unsigned len;
};

/* Memory operands are [rax] (ModRM mod 00, rm 000), pointing at
 * DATA_ADDR; register operands RCX/RBX. */
static const struct vmx_case cases[] = {
    {"vmptrld", {0x0f, 0xc7, 0x30}, 3},
    {"vmptrst", {0x0f, 0xc7, 0x38}, 3},
    {"vmread", {0x0f, 0x78, 0xcb}, 3},
    {"vmwrite", {0x0f, 0x79, 0xcb}, 3},
    {"vmcall", {0x0f, 0x01, 0xc1}, 3},
    {"vmlaunch", {0x0f, 0x01, 0xc2}, 3},
    {"vmresume", {0x0f, 0x01, 0xc3}, 3},
    {"invept", {0x66, 0x0f, 0x38, 0x80, 0x08}, 5},
    {"invvpid", {0x66, 0x0f, 0x38, 0x81, 0x08}, 5},
    {"vmclear", {0x66, 0x0f, 0xc7, 0x30}, 4},
    {"vmxon", {0xf3, 0x0f, 0xc7, 0x30}, 4},
    {"vmxoff", {0x0f, 0x01, 0xc4}, 3},
};

START_TEST(test_vmx_rows)
{
    uint64_t rng = 0x766d78ull;
    unsigned checked = 0;
    vmx_harness_init(&h);
    for (unsigned round = 0; round < 64; round++) {
        /* Root operation with, in half the rounds, a current VMCS. */
        vmx_enter_root(&h);
        if (round & 1)
            vmx_load_fresh_vmcs(&h, VMCS_ADDR);
        for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t operand = (rng >> 20) % 3 == 0 ? VMCS_ADDR : (rng >> 8) & 0xfffff000u;
            physmem_write(&h.mem, DATA_ADDR, operand, 8);
            physmem_write(&h.mem, DATA_ADDR + 8, rng >> 40, 8);
            h.cpu.gpr[R_AX] = DATA_ADDR;
            h.cpu.gpr[R_CX] = (rng >> 33) & 3;
            h.cpu.gpr[R_BX] = rng >> 17;
            uint64_t before = 0x2 | ((rng >> 3) & F_ARITH);
            h.cpu.rflags = before;
            struct insn in;
            harness_load(&h, CODE_ADDR, cases[k].code, cases[k].len);
            ck_assert_int_eq(decode_insn(&in, 8, h.cpu.model->isa_mask, vmx_test_fetch, &h,
                                         CODE_ADDR),
                             DECODE_OK);
            const struct opcode_row *row = insn_row(&in);
            ck_assert_str_eq(row->name, cases[k].name);
            bool nonroot = h.cpu.vmx_nonroot;
            if (vmx_exec(&h, cases[k].code, cases[k].len) >= 0 || h.cpu.vmx_nonroot != nonroot)
                continue; /* an exception, or a VM entry: RFLAGS is the guest's */
            uint64_t changed = (h.cpu.rflags ^ before) & 0xffff;
            ck_assert_msg(!(changed & ~(uint64_t)(row->ef.out | row->ef.undef)),
                          "%s changed flags %#llx outside the table's", cases[k].name,
                          (unsigned long long)changed);
            uint64_t f = h.cpu.rflags & F_ARITH;
            ck_assert_msg(f == 0 || f == F_CF || f == F_ZF,
                          "%s left the flags %#llx: not VMsucceed/VMfail", cases[k].name,
                          (unsigned long long)f);
            ck_assert_uint_eq(row->ef.out & F_ARITH, F_ARITH);
            checked++;
        }
        if (h.cpu.vmx_nonroot)
            break;
        do_vmxoff(&h);
    }
    printf("flags_table_vmx: %u VMX instruction outcomes checked\n", checked);
    ck_assert_uint_gt(checked, 200);
    vmx_harness_free(&h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flags_table_vmx");
    TCase *tc = tcase_create("vmx");
    tcase_add_test(tc, test_vmx_rows);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

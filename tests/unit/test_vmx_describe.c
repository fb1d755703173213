/* VMX state in words (vmx_emul/vmx_describe.c): exit reasons both ways,
 * qualifications per reason as the SDM's tables lay them out, control
 * bits by name, VMCS field groups and lookup. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_describe.h"

static char buf[256];

START_TEST(test_reason_parse)
{
    unsigned r = 99;
    ck_assert(vmx_exit_reason_parse("cpuid", &r));
    ck_assert_uint_eq(r, EXIT_REASON_CPUID);
    ck_assert(vmx_exit_reason_parse("EPT_VIOLATION", &r));
    ck_assert_uint_eq(r, 48);
    ck_assert(vmx_exit_reason_parse("io", &r));
    ck_assert_uint_eq(r, EXIT_REASON_IO_INSTRUCTION);
    ck_assert(vmx_exit_reason_parse("30", &r));
    ck_assert_uint_eq(r, 30);
    ck_assert(vmx_exit_reason_parse("0x1c", &r));
    ck_assert_uint_eq(r, EXIT_REASON_CR_ACCESS);
    ck_assert(!vmx_exit_reason_parse("cpuidx", &r));
    ck_assert(!vmx_exit_reason_parse("", &r));
    ck_assert(!vmx_exit_reason_parse("80", &r));
    ck_assert(!vmx_exit_reason_parse("12abc", &r));
    ck_assert(!vmx_exit_reason_parse("?", &r));
    ck_assert_str_eq(vmx_exit_reason_describe(10, buf, sizeof(buf)), "CPUID (10)");
    ck_assert_str_eq(vmx_exit_reason_describe(0x80000021u, buf, sizeof(buf)),
                     "INVALID_GUEST_STATE (33) entry failure");
}
END_TEST

START_TEST(test_qualifications)
{
    /* Table 27-3: mov to cr3 from rbx (CR 3, type 0, GPR 3). */
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_CR_ACCESS, 0x303, buf,
                                                     sizeof(buf)),
                     "CR access: mov to cr3 from rbx");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_CR_ACCESS, 0x0b14, buf,
                                                     sizeof(buf)),
                     "CR access: mov from cr4 to r11");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_CR_ACCESS, 0x20, buf,
                                                     sizeof(buf)),
                     "CR access: clts");
    /* Table 27-5: out dx, al to port 0x3f8; rep insw with immediate? */
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_IO_INSTRUCTION, 0x3f80000,
                                                     buf, sizeof(buf)),
                     "I/O: out port 0x3f8 size 1, port in dx");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_IO_INSTRUCTION,
                                                     0x00710000 | 0x8 | 0x10 | 0x20 | 0x1,
                                                     buf, sizeof(buf)),
                     "I/O: ins port 0x71 size 2 rep, port in dx");
    /* Table 27-4: mov dr7 to rcx... direction 1 = from DR. */
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_DR_ACCESS, 0x117, buf,
                                                     sizeof(buf)),
                     "DR access: mov from dr7 to rcx");
    /* Table 27-7: a write to a read/execute page, linear address valid. */
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_EPT_VIOLATION, 0x1aa, buf,
                                                     sizeof(buf)),
                     "EPT violation: write, entry r-x, linear address valid, access to "
                     "the translated address");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_EPT_VIOLATION, 0x81, buf,
                                                     sizeof(buf)),
                     "EPT violation: read, entry ---, linear address valid, access to a "
                     "guest paging-structure entry");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_CPUID, 0, buf, sizeof(buf)),
                     "none");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_TASK_SWITCH, 0x40000028,
                                                     buf, sizeof(buf)),
                     "task switch: selector 0x28 by IRET");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_APIC_ACCESS, 0x10b0, buf,
                                                     sizeof(buf)),
                     "APIC access: offset 0xb0, linear write");
    ck_assert_str_eq(vmx_exit_qualification_describe(EXIT_REASON_EXCEPTION_NMI, 0x4001, buf,
                                                     sizeof(buf)),
                     "#PF linear address 0x4001, or #DB: B0 BS");
    /* With the interruption information the exception is known. */
    ck_assert_str_eq(vmx_exception_qualification_describe(0x80000b0e, 0x7fff1000, buf,
                                                          sizeof(buf)),
                     "#PF linear address 0x7fff1000");
    ck_assert_str_eq(vmx_exception_qualification_describe(0x80000301, 0x4002, buf, sizeof(buf)),
                     "#DB: B1 BS");
    ck_assert_str_eq(vmx_exception_qualification_describe(0x80000306, 0, buf, sizeof(buf)),
                     "none");
    /* A tiny buffer is never overrun. */
    char small[8];
    vmx_exit_qualification_describe(EXIT_REASON_EPT_VIOLATION, 0x1aa, small, sizeof(small));
    ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

START_TEST(test_control_bits)
{
    ck_assert_str_eq(vmx_control_bits(VMCS_CPU_BASED_VM_EXEC_CONTROL,
                                      CPU_TRUE_DEFAULT1 | CPU_HLT_EXITING |
                                          CPU_USE_MSR_BITMAPS | CPU_SECONDARY_CONTROLS,
                                      buf, sizeof(buf)),
                     "HLT_EXITING|USE_MSR_BITMAPS|SECONDARY_CONTROLS");
    ck_assert_str_eq(vmx_control_bits(VMCS_SECONDARY_VM_EXEC_CONTROL,
                                      CPU2_ENABLE_EPT | CPU2_ENABLE_VPID | (1u << 31), buf,
                                      sizeof(buf)),
                     "ENABLE_EPT|ENABLE_VPID|bit31");
    ck_assert_str_eq(vmx_control_bits(VMCS_GUEST_RIP, 5, buf, sizeof(buf)), "");
    ck_assert_str_eq(vmx_intr_info_describe(0x80000b0e, buf, sizeof(buf)),
                     "valid, vector 14, hardware exception, error code");
    ck_assert_str_eq(vmx_intr_info_describe(0x0e, buf, sizeof(buf)), "invalid");
}
END_TEST

START_TEST(test_fields)
{
    const struct vmcs_field *f = vmcs_field_find("guest_rip");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->encoding, 0x681e);
    ck_assert_int_eq(vmcs_field_group(f), VMCS_GROUP_GUEST);
    ck_assert_ptr_eq(vmcs_field_find("0x681e"), f);
    ck_assert_ptr_eq(vmcs_field_find("VMCS_GUEST_RIP"), f);
    ck_assert_ptr_null(vmcs_field_find("0x681f"));
    ck_assert_ptr_null(vmcs_field_find("guest_ripx"));
    ck_assert_ptr_null(vmcs_field_find("HLAT_PREFIX_SIZE")); /* not offered */
    ck_assert_int_eq(vmcs_field_group(vmcs_field_find("VM_EXIT_MSR_LOAD_ADDR")),
                     VMCS_GROUP_EXIT_CTL);
    ck_assert_int_eq(vmcs_field_group(vmcs_field_find("VM_ENTRY_INTR_INFO_FIELD")),
                     VMCS_GROUP_ENTRY_CTL);
    ck_assert_int_eq(vmcs_field_group(vmcs_field_find("EPT_POINTER")), VMCS_GROUP_EXEC);
    ck_assert_int_eq(vmcs_field_group(vmcs_field_find("EXIT_QUALIFICATION")),
                     VMCS_GROUP_EXIT_INFO);
    ck_assert_int_eq(vmcs_field_group(vmcs_field_find("HOST_CR3")), VMCS_GROUP_HOST);
    /* Every offered field falls in one group. */
    for (unsigned i = 0; i < vmcs_field_count; i++)
        ck_assert_int_lt(vmcs_field_group(&vmcs_fields[i]), VMCS_GROUP_COUNT);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vmx_describe");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_reason_parse);
    tcase_add_test(tc, test_qualifications);
    tcase_add_test(tc, test_control_bits);
    tcase_add_test(tc, test_fields);
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

/* "Does L1 want this exit?" predicates (vmx_emul/vmx_intercept.c), each
 * against hand-built VMCS controls and bitmaps in a small physical memory:
 * SDM Vol.3C 25.1-25.2 rules, one test per predicate. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "mmu/physmem.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_intercept.h"

static struct physmem pm;
static struct vmcs v;

#define BITMAP_A 0x10000u
#define BITMAP_B 0x11000u
#define MSR_BITMAP 0x12000u

static void setup(void)
{
    ck_assert_int_eq(physmem_init(&pm, 1u << 20, 0xc0000000ull), 0);
    memset(&v, 0, sizeof(v));
}

static void teardown(void)
{
    physmem_destroy(&pm);
}

static void set_bit(uint64_t base, uint32_t bit)
{
    uint8_t b = (uint8_t)physmem_read(&pm, base + bit / 8, 1);
    physmem_write(&pm, base + bit / 8, b | (1u << (bit & 7)), 1);
}

START_TEST(unconditional_exits)
{
    /* SDM 25.1.2: with every control clear these still exit. */
    unsigned always[] = {EXIT_REASON_CPUID, EXIT_REASON_GETSEC, EXIT_REASON_INVD,
                         EXIT_REASON_XSETBV, EXIT_REASON_VMCALL, EXIT_REASON_VMXON,
                         EXIT_REASON_VMLAUNCH, EXIT_REASON_INVEPT, EXIT_REASON_INVVPID};
    for (unsigned i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        ck_assert_msg(vmx_l1_wants_exit(&v, always[i]), "reason %u", always[i]);
    unsigned never[] = {EXIT_REASON_HLT, EXIT_REASON_INVLPG, EXIT_REASON_RDPMC,
                        EXIT_REASON_RDTSC, EXIT_REASON_RDTSCP, EXIT_REASON_MWAIT,
                        EXIT_REASON_MONITOR, EXIT_REASON_PAUSE, EXIT_REASON_RDRAND,
                        EXIT_REASON_RDSEED, EXIT_REASON_WBINVD, EXIT_REASON_INVPCID,
                        EXIT_REASON_GDTR_IDTR, EXIT_REASON_LDTR_TR, EXIT_REASON_DR_ACCESS};
    for (unsigned i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        ck_assert_msg(!vmx_l1_wants_exit(&v, never[i]), "reason %u", never[i]);
}
END_TEST

START_TEST(control_bit_exits)
{
    struct { uint32_t cpu1, cpu2; unsigned reason; } rows[] = {
        {CPU_HLT_EXITING, 0, EXIT_REASON_HLT},
        {CPU_INVLPG_EXITING, 0, EXIT_REASON_INVLPG},
        {CPU_RDPMC_EXITING, 0, EXIT_REASON_RDPMC},
        {CPU_RDTSC_EXITING, 0, EXIT_REASON_RDTSC},
        {CPU_MWAIT_EXITING, 0, EXIT_REASON_MWAIT},
        {CPU_MONITOR_EXITING, 0, EXIT_REASON_MONITOR},
        {CPU_PAUSE_EXITING, 0, EXIT_REASON_PAUSE},
        {CPU_MOV_DR_EXITING, 0, EXIT_REASON_DR_ACCESS},
        {0, CPU2_RDRAND_EXITING, EXIT_REASON_RDRAND},
        {0, CPU2_RDSEED_EXITING, EXIT_REASON_RDSEED},
        {0, CPU2_WBINVD_EXITING, EXIT_REASON_WBINVD},
        {0, CPU2_DESC_TABLE_EXITING, EXIT_REASON_GDTR_IDTR},
        {0, CPU2_DESC_TABLE_EXITING, EXIT_REASON_LDTR_TR},
        {CPU_RDTSC_EXITING, CPU2_ENABLE_RDTSCP, EXIT_REASON_RDTSCP},
        {CPU_INVLPG_EXITING, CPU2_ENABLE_INVPCID, EXIT_REASON_INVPCID},
    };
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        memset(&v, 0, sizeof(v));
        v.cpu_based_vm_exec_control = rows[i].cpu1 | (rows[i].cpu2 ? CPU_SECONDARY_CONTROLS : 0);
        v.secondary_vm_exec_control = rows[i].cpu2;
        ck_assert_msg(vmx_l1_wants_exit(&v, rows[i].reason), "row %u", i);
        /* Secondary controls count only with "activate secondary controls". */
        if (rows[i].cpu2) {
            v.cpu_based_vm_exec_control &= ~CPU_SECONDARY_CONTROLS;
            ck_assert_msg(!vmx_l1_wants_exit(&v, rows[i].reason), "row %u gated", i);
        }
    }
    /* RDTSCP needs both RDTSC exiting and enable RDTSCP. */
    memset(&v, 0, sizeof(v));
    v.cpu_based_vm_exec_control = CPU_SECONDARY_CONTROLS;
    v.secondary_vm_exec_control = CPU2_ENABLE_RDTSCP;
    ck_assert(!vmx_l1_wants_exit(&v, EXIT_REASON_RDTSCP));
}
END_TEST

START_TEST(exception_bitmap_and_pf_match)
{
    v.exception_bitmap = (1u << EXC_UD) | (1u << EXC_GP);
    ck_assert(vmx_l1_wants_exception(&v, EXC_UD, 0));
    ck_assert(vmx_l1_wants_exception(&v, EXC_GP, 0x10));
    ck_assert(!vmx_l1_wants_exception(&v, EXC_DE, 0));
    /* #PF with bit 14 clear and mask = match = 0: (PFEC & 0) == 0 always
     * matches, so no exit; bit 14 set: always exits. */
    ck_assert(!vmx_l1_wants_exception(&v, EXC_PF, 0x2));
    v.exception_bitmap |= 1u << EXC_PF;
    ck_assert(vmx_l1_wants_exception(&v, EXC_PF, 0x2));
    /* Only user-mode write faults: mask U|W, match U|W. */
    v.page_fault_error_code_mask = 6;
    v.page_fault_error_code_match = 6;
    ck_assert(vmx_l1_wants_exception(&v, EXC_PF, 7));
    ck_assert(!vmx_l1_wants_exception(&v, EXC_PF, 3));
    /* Bit 14 clear inverts: everything but user-mode writes. */
    v.exception_bitmap &= ~(1u << EXC_PF);
    ck_assert(!vmx_l1_wants_exception(&v, EXC_PF, 7));
    ck_assert(vmx_l1_wants_exception(&v, EXC_PF, 3));
    ck_assert(!vmx_l1_wants_exception(&v, 40, 0));
}
END_TEST

START_TEST(io_unconditional_and_bitmaps)
{
    ck_assert(!vmx_l1_wants_io(&v, &pm, 0x3f8, 1));
    v.cpu_based_vm_exec_control = CPU_UNCOND_IO_EXITING;
    ck_assert(vmx_l1_wants_io(&v, &pm, 0x3f8, 1));
    /* The bitmaps, when used, override unconditional I/O exiting. */
    v.cpu_based_vm_exec_control |= CPU_USE_IO_BITMAPS;
    v.io_bitmap_a = BITMAP_A;
    v.io_bitmap_b = BITMAP_B;
    ck_assert(!vmx_l1_wants_io(&v, &pm, 0x3f8, 1));
    set_bit(BITMAP_A, 0x3f9);
    ck_assert(!vmx_l1_wants_io(&v, &pm, 0x3f8, 1));
    ck_assert(vmx_l1_wants_io(&v, &pm, 0x3f8, 2)); /* the word covers 0x3f9 */
    ck_assert(vmx_l1_wants_io(&v, &pm, 0x3f9, 1));
    /* Bitmap B holds 0x8000-0xffff; an access straddling A and B reads both. */
    set_bit(BITMAP_B, 0x0001);
    ck_assert(vmx_l1_wants_io(&v, &pm, 0x8001, 1));
    ck_assert(!vmx_l1_wants_io(&v, &pm, 0x7ffe, 2));
    ck_assert(vmx_l1_wants_io(&v, &pm, 0x7fff, 4)); /* 0x7fff..0x8002 */
    /* Wrapping past 0xffff always exits. */
    ck_assert(vmx_l1_wants_io(&v, &pm, 0xfffe, 4));
    ck_assert(!vmx_l1_wants_io(&v, &pm, 0xfffc, 4));
}
END_TEST

START_TEST(msr_bitmaps)
{
    ck_assert(vmx_l1_wants_msr(&v, &pm, 0x10, false)); /* no bitmaps: all exit */
    v.cpu_based_vm_exec_control = CPU_USE_MSR_BITMAPS;
    v.msr_bitmap = MSR_BITMAP;
    ck_assert(!vmx_l1_wants_msr(&v, &pm, 0x10, false));
    ck_assert(!vmx_l1_wants_msr(&v, &pm, 0xc0000080, true));
    ck_assert(vmx_l1_wants_msr(&v, &pm, 0x2000, false)); /* outside both ranges */
    ck_assert(vmx_l1_wants_msr(&v, &pm, 0x40000000, true));
    set_bit(MSR_BITMAP, 0x10);                /* read low */
    set_bit(MSR_BITMAP + 1024, 0x80);         /* read high: 0xc0000080 */
    set_bit(MSR_BITMAP + 2048, 0x1b);         /* write low: APIC base */
    set_bit(MSR_BITMAP + 3072, 0x102);        /* write high: 0xc0000102 */
    ck_assert(vmx_l1_wants_msr(&v, &pm, 0x10, false));
    ck_assert(!vmx_l1_wants_msr(&v, &pm, 0x10, true));
    ck_assert(vmx_l1_wants_msr(&v, &pm, 0xc0000080, false));
    ck_assert(!vmx_l1_wants_msr(&v, &pm, 0xc0000080, true));
    ck_assert(vmx_l1_wants_msr(&v, &pm, 0x1b, true));
    ck_assert(!vmx_l1_wants_msr(&v, &pm, 0x1b, false));
    ck_assert(vmx_l1_wants_msr(&v, &pm, 0xc0000102, true));
    ck_assert(!vmx_l1_wants_msr(&v, &pm, 0xc0000102, false));
}
END_TEST

START_TEST(cr0_cr4_masks_and_shadows)
{
    v.cr0_guest_host_mask = CR0_PG | CR0_TS;
    v.cr0_read_shadow = CR0_PG;
    ck_assert(!vmx_l1_wants_cr_write(&v, 0, CR0_PG | CR0_PE | CR0_MP));
    ck_assert(vmx_l1_wants_cr_write(&v, 0, CR0_PE));          /* PG would change */
    ck_assert(vmx_l1_wants_cr_write(&v, 0, CR0_PG | CR0_TS)); /* TS would change */
    v.cr4_guest_host_mask = CR4_VMXE;
    v.cr4_read_shadow = 0;
    ck_assert(!vmx_l1_wants_cr_write(&v, 4, CR4_PAE));
    ck_assert(vmx_l1_wants_cr_write(&v, 4, CR4_PAE | CR4_VMXE));
    /* Reads see the shadow in owned bits; writes keep owned bits. */
    ck_assert_uint_eq(vmx_cr_guest_view(CR0_PG | CR0_PE | CR0_TS, v.cr0_guest_host_mask,
                                        v.cr0_read_shadow),
                      CR0_PG | CR0_PE);
    ck_assert_uint_eq(vmx_cr_guest_write(CR0_PG | CR0_TS | CR0_PE, v.cr0_guest_host_mask,
                                         CR0_PG | CR0_MP),
                      CR0_PG | CR0_TS | CR0_MP);
    ck_assert(!vmx_l1_wants_cr_read(&v, 0));
}
END_TEST

START_TEST(cr3_targets_and_cr8)
{
    ck_assert(!vmx_l1_wants_cr_write(&v, 3, 0x5000));
    ck_assert(!vmx_l1_wants_cr_read(&v, 3));
    v.cpu_based_vm_exec_control = CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING;
    ck_assert(vmx_l1_wants_cr_write(&v, 3, 0x5000)); /* count 0: every load exits */
    ck_assert(vmx_l1_wants_cr_read(&v, 3));
    v.cr3_target_count = 2;
    v.cr3_target_value0 = 0x4000;
    v.cr3_target_value1 = 0x5000;
    v.cr3_target_value2 = 0x6000; /* beyond the count: ignored */
    ck_assert(!vmx_l1_wants_cr_write(&v, 3, 0x5000));
    ck_assert(!vmx_l1_wants_cr_write(&v, 3, 0x4000));
    ck_assert(vmx_l1_wants_cr_write(&v, 3, 0x6000));
    ck_assert(!vmx_l1_wants_cr_write(&v, 8, 1));
    ck_assert(!vmx_l1_wants_cr_read(&v, 8));
    v.cpu_based_vm_exec_control = CPU_CR8_LOAD_EXITING;
    ck_assert(vmx_l1_wants_cr_write(&v, 8, 1));
    ck_assert(!vmx_l1_wants_cr_read(&v, 8));
    v.cpu_based_vm_exec_control = CPU_CR8_STORE_EXITING;
    ck_assert(vmx_l1_wants_cr_read(&v, 8));
}
END_TEST

START_TEST(clts_and_lmsw)
{
    ck_assert(!vmx_l1_wants_clts(&v));
    v.cr0_guest_host_mask = CR0_TS;
    ck_assert(!vmx_l1_wants_clts(&v)); /* owned, shadow TS clear */
    v.cr0_read_shadow = CR0_TS;
    ck_assert(vmx_l1_wants_clts(&v));
    /* LMSW: owned TS differing from the shadow exits. */
    ck_assert(vmx_l1_wants_lmsw(&v, 0));
    ck_assert(!vmx_l1_wants_lmsw(&v, CR0_TS));
    /* PE: exits only when setting an owned PE whose shadow is clear. */
    v.cr0_guest_host_mask = CR0_PE;
    v.cr0_read_shadow = 0;
    ck_assert(vmx_l1_wants_lmsw(&v, CR0_PE));
    ck_assert(!vmx_l1_wants_lmsw(&v, 0));
    v.cr0_read_shadow = CR0_PE;
    ck_assert(!vmx_l1_wants_lmsw(&v, 0)); /* LMSW cannot clear PE */
}
END_TEST

START_TEST(pause_loop_window)
{
    struct vmx_ple_state s = {0};
    ck_assert(!vmx_l1_wants_pause_loop(&v, &s, 100)); /* control off */
    v.cpu_based_vm_exec_control = CPU_SECONDARY_CONTROLS;
    v.secondary_vm_exec_control = CPU2_PAUSE_LOOP_EXITING;
    v.ple_gap = 10;
    v.ple_window = 100;
    uint64_t t = 1000;
    ck_assert(!vmx_l1_wants_pause_loop(&v, &s, t)); /* first PAUSE: new loop */
    bool exited = false;
    for (int i = 0; i < 20 && !exited; i++) {
        t += 8; /* within the gap: same loop */
        exited = vmx_l1_wants_pause_loop(&v, &s, t);
    }
    ck_assert(exited);
    ck_assert_uint_gt(t - 1000, 100);
    /* A pause after a gap longer than PLE_Gap starts over. */
    ck_assert(!vmx_l1_wants_pause_loop(&v, &s, t + 50));
    ck_assert(!vmx_l1_wants_pause_loop(&v, &s, t + 55));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmx_intercept");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unconditional_exits);
    tcase_add_test(tc, control_bit_exits);
    tcase_add_test(tc, exception_bitmap_and_pf_match);
    tcase_add_test(tc, io_unconditional_and_bitmaps);
    tcase_add_test(tc, msr_bitmaps);
    tcase_add_test(tc, cr0_cr4_masks_and_shadows);
    tcase_add_test(tc, cr3_targets_and_cr8);
    tcase_add_test(tc, clts_and_lmsw);
    tcase_add_test(tc, pause_loop_window);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

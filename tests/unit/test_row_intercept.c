/* The opcode table's exit column (cpu/opcodes.h enum row_exit) against the
 * SDM's lists of instructions that exit unconditionally or by one control
 * bit with no operand (SDM Vol.3C 25.1.2, 25.1.3), and the generic step
 * that applies it (cpu/row_intercept.c): in a non-root run each RX_ value
 * exits with its reason when its control is set and does not when it is
 * clear, after the faults that have priority over the exit (SDM 25.1.1). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/opcodes.h"
#include "cpu/specialize.h"
#include "tests/unit/vmx_l2_util.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_intercept.h"

#define ANY_PFX 0xff
#define ANY_MODRM 0xff

/* The rows SDM 25.1.2/25.1.3 name, by encoding: map, opcode, mandatory
 * prefix (ANY_PFX: any) and ModRM (ANY_MODRM: none). */
static const struct {
    unsigned map, opcode, prefix, modrm;
    enum row_exit rx;
    const char *name;
} sdm_rows[] = {
    {OPMAP_0F, 0xa2, ANY_PFX, ANY_MODRM, RX_CPUID, "cpuid"},
    {OPMAP_0F, 0x08, ANY_PFX, ANY_MODRM, RX_INVD, "invd"},
    {OPMAP_0F, 0x01, ANY_PFX, 0xd1, RX_XSETBV, "xsetbv"},
    {OPMAP_1, 0xf4, ANY_PFX, ANY_MODRM, RX_HLT, "hlt"},
    {OPMAP_0F, 0x31, ANY_PFX, ANY_MODRM, RX_RDTSC, "rdtsc"},
    {OPMAP_0F, 0x01, ANY_PFX, 0xf9, RX_RDTSCP, "rdtscp"},
    {OPMAP_0F, 0x33, ANY_PFX, ANY_MODRM, RX_RDPMC, "rdpmc"},
    {OPMAP_0F, 0x09, ANY_PFX, ANY_MODRM, RX_WBINVD, "wbinvd"},
    {OPMAP_1, 0x90, PFX_F3, ANY_MODRM, RX_PAUSE, "pause"},
};
#define N_SDM_ROWS (sizeof(sdm_rows) / sizeof(sdm_rows[0]))

/* Whether the row decodes the encoding (the register form for 0F 01). */
static bool row_is(const struct opcode_row *r, unsigned i)
{
    if (r->map != sdm_rows[i].map || r->opcode != sdm_rows[i].opcode)
        return false;
    if (sdm_rows[i].prefix != ANY_PFX && r->prefix != sdm_rows[i].prefix)
        return false;
    if (sdm_rows[i].modrm == ANY_MODRM)
        return true;
    int reg = (int)(sdm_rows[i].modrm >> 3) & 7, rm = (int)sdm_rows[i].modrm & 7;
    return r->mod == MOD_REG && r->reg == reg && r->rm == rm;
}

START_TEST(table_matches_sdm_lists)
{
    unsigned seen[N_SDM_ROWS] = {0};
    for (unsigned n = 0; n < opcode_row_count; n++) {
        const struct opcode_row *r = &opcode_rows[n];
        enum row_exit want = RX_NONE;
        for (unsigned i = 0; i < N_SDM_ROWS; i++)
            if (row_is(r, i)) {
                want = sdm_rows[i].rx;
                seen[i]++;
                ck_assert_str_eq(r->name, sdm_rows[i].name);
            }
        ck_assert_msg(r->exit == want, "row %u (%s, map %u opcode %02x): exit %u, SDM list says %u",
                      n, r->name, r->map, r->opcode, r->exit, want);
    }
    for (unsigned i = 0; i < N_SDM_ROWS; i++)
        ck_assert_msg(seen[i] > 0, "no row for %s", sdm_rows[i].name);
    ck_assert_str_eq(handler_name(op_row_intercept), "op_row_intercept");
    /* Every RX_ value has a reason vmx_l1_wants_exit decides, and only
     * SDM 25.1.2's unconditional ones exit with every control clear. */
    struct vmcs none;
    memset(&none, 0, sizeof(none));
    for (unsigned rx = RX_NONE + 1; rx < RX_COUNT; rx++) {
        unsigned reason = row_exit_reason[rx];
        ck_assert_msg(reason != 0 && vmx_l1_exit_reason_known(reason), "RX %u", rx);
        bool uncond = rx == RX_CPUID || rx == RX_INVD || rx == RX_XSETBV;
        ck_assert_msg(vmx_l1_wants_exit(&none, reason) == uncond, "RX %u", rx);
    }
}
END_TEST

/* A reason the controls do not decide is reported and exits, never a
 * silent "no". */
START_TEST(unknown_reason_exits)
{
    struct vmcs none;
    memset(&none, 0, sizeof(none));
    ck_assert(!vmx_l1_exit_reason_known(EXIT_REASON_IO_INSTRUCTION));
    ck_assert(!vmx_l1_exit_reason_known(EXIT_REASON_COUNT + 5));
    ck_assert(vmx_l1_wants_exit(&none, EXIT_REASON_IO_INSTRUCTION));
    ck_assert(vmx_l1_wants_exit(&none, EXIT_REASON_COUNT + 5));
}
END_TEST

/* One non-root run per RX_ value: SETUP bytes, the instruction, then VMCALL
 * (which always exits). */
static const struct {
    enum row_exit rx;
    uint8_t setup[12], setup_len;
    uint8_t insn[4], insn_len;
    uint32_t cpu1, cpu2;        /* the exiting control (none: unconditional) */
    uint32_t cpu2_always;       /* what the instruction needs to run at all */
} runs[] = {
    {RX_CPUID, {0}, 0, {0x0f, 0xa2}, 2, 0, 0, 0},
    {RX_INVD, {0}, 0, {0x0f, 0x08}, 2, 0, 0, 0},
    /* xor ecx,ecx; xor edx,edx; mov eax,1 */
    {RX_XSETBV, {0x31, 0xc9, 0x31, 0xd2, 0xb8, 1, 0, 0, 0}, 9, {0x0f, 0x01, 0xd1}, 3, 0, 0, 0},
    {RX_HLT, {0}, 0, {0xf4}, 1, CPU_HLT_EXITING, 0, 0},
    {RX_RDTSC, {0}, 0, {0x0f, 0x31}, 2, CPU_RDTSC_EXITING, 0, 0},
    {RX_RDTSCP, {0}, 0, {0x0f, 0x01, 0xf9}, 3, CPU_RDTSC_EXITING, 0, CPU2_ENABLE_RDTSCP},
    {RX_RDPMC, {0x31, 0xc9}, 2, {0x0f, 0x33}, 2, CPU_RDPMC_EXITING, 0, 0},
    {RX_WBINVD, {0}, 0, {0x0f, 0x09}, 2, 0, CPU2_WBINVD_EXITING, 0},
    {RX_PAUSE, {0}, 0, {0xf3, 0x90}, 2, CPU_PAUSE_EXITING, 0, 0},
};
#define N_RUNS (sizeof(runs) / sizeof(runs[0]))

static struct vmcs *vmcs_for(unsigned i, bool control)
{
    h.cpu.halted = false; /* the HLT case's clear run leaves L2 halted */
    struct vmcs *v = guest_vmcs();
    v->guest_cr4 |= CR4_OSXSAVE;
    v->secondary_vm_exec_control |= runs[i].cpu2_always;
    if (control) {
        v->cpu_based_vm_exec_control |= runs[i].cpu1;
        v->secondary_vm_exec_control |= runs[i].cpu2;
    }
    return v;
}

static bool run_case(unsigned i)
{
    uint8_t code[24];
    size_t n = 0;
    memcpy(code, runs[i].setup, runs[i].setup_len);
    n += runs[i].setup_len;
    memcpy(code + n, runs[i].insn, runs[i].insn_len);
    n += runs[i].insn_len;
    const uint8_t vmcall[] = {0x0f, 0x01, 0xc1};
    memcpy(code + n, vmcall, sizeof(vmcall));
    n += sizeof(vmcall);
    return run_l2(code, n);
}

START_TEST(nonroot_exits_by_row)
{
    ck_assert_uint_eq(N_RUNS, RX_COUNT - 1);
    for (unsigned i = 0; i < N_RUNS; i++) {
        unsigned reason = row_exit_reason[runs[i].rx];
        uint64_t at = GUEST_RIP + runs[i].setup_len;
        /* Control set (or unconditional): the exit, at the instruction. */
        struct vmcs *v = vmcs_for(i, true);
        ck_assert_msg(run_case(i), "RX %u: no exit (nonroot %d rip %llx reason %u)", runs[i].rx,
                      h.cpu.vmx_nonroot, (unsigned long long)h.cpu.rip, v->vm_exit_reason);
        ck_assert_msg(v->vm_exit_reason == reason, "RX %u: reason %u, want %u", runs[i].rx,
                      v->vm_exit_reason, reason);
        ck_assert_uint_eq(v->guest_rip, at);
        ck_assert_uint_eq(v->vm_exit_instruction_len, runs[i].insn_len);
        if (!runs[i].cpu1 && !runs[i].cpu2)
            continue; /* unconditional: no clear case */
        /* Control clear: the instruction runs in L2. */
        v = vmcs_for(i, false);
        if (runs[i].rx == RX_HLT) {
            ck_assert(!run_case(i));
            ck_assert(h.cpu.vmx_nonroot && h.cpu.halted);
            ck_assert_uint_eq(h.cpu.rip, at + 1);
            continue;
        }
        if (runs[i].rx == RX_PAUSE) {
            /* PAUSE ends the vCPU's turn (cpu/ops_misc.c): L2 stops right
             * after it, still in non-root operation. */
            ck_assert(!run_case(i));
            ck_assert(h.cpu.vmx_nonroot);
            ck_assert_uint_eq(h.cpu.rip, at + runs[i].insn_len);
            continue;
        }
        ck_assert_msg(run_case(i), "RX %u: no VMCALL exit", runs[i].rx);
        ck_assert_msg(v->vm_exit_reason == EXIT_REASON_VMCALL, "RX %u: reason %u with the control clear",
                      runs[i].rx, v->vm_exit_reason);
        ck_assert_uint_eq(v->guest_rip, at + runs[i].insn_len);
    }
}
END_TEST

/* SDM 25.1.1: faults of the instruction come before its exit. XSETBV with
 * CR4.OSXSAVE clear is #UD, not an XSETBV exit; RDTSCP without "enable
 * RDTSCP" is #UD even with RDTSC exiting. */
START_TEST(faults_before_exits)
{
    struct vmcs *v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_UD;
    v->guest_cr4 &= ~CR4_OSXSAVE;
    ck_assert(RUN_L2(0x31, 0xc9, 0x0f, 0x01, 0xd1));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | (EV_HWEXC << 8) | EXC_UD);
    ck_assert_uint_eq(v->guest_rip, GUEST_RIP + 2);
    v = guest_vmcs();
    v->exception_bitmap = 1u << EXC_UD;
    v->cpu_based_vm_exec_control |= CPU_RDTSC_EXITING;
    ck_assert(RUN_L2(0x0f, 0x01, 0xf9));
    ck_assert_uint_eq(v->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
    ck_assert_uint_eq(v->vm_exit_intr_info, INTR_INFO_VALID | (EV_HWEXC << 8) | EXC_UD);
}
END_TEST

static Suite *row_intercept_suite(void)
{
    Suite *s = suite_create("row_intercept");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, table_matches_sdm_lists);
    tcase_add_test(tc, unknown_reason_exits);
    tcase_add_test(tc, nonroot_exits_by_row);
    tcase_add_test(tc, faults_before_exits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(row_intercept_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

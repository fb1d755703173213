/* The dispatch loop's exit request (cpu/cpu.h): the conditions it stands
 * for raise it when set by name, cpu_request_stop() (the monitor's and the
 * gdb stub's stop) ends the run right after the current instruction, and
 * the instruction budget stays exact on the fast path between blocks. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "tests/unit/harness.h"

static struct harness h;

/* An I/O port write that asks the vCPU to stop, as the monitor does. */
static void stopping_out(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct harness *hh = opaque;
    (void)port;
    (void)value;
    (void)size;
    cpu_request_stop(&hh->cpu);
}

START_TEST(conditions_set_by_name_raise_the_request)
{
    harness_init(&h, 64);
    ck_assert_uint_eq(h.cpu.exit_request, 0);
    h.cpu.nmi_pending = true;
    ck_assert_uint_ne(h.cpu.exit_request, 0);
    h.cpu.nmi_pending = false;
    h.cpu.vmx_nonroot = true;
    ck_assert_uint_ne(h.cpu.exit_request, 0);
    h.cpu.vmx_nonroot = false;
    cpu_request_stop(&h.cpu);
    ck_assert_uint_ne(h.cpu.exit_request, 0);
    ck_assert(h.cpu.stop_block);
    h.cpu.stop_request = false;
    ck_assert_uint_eq(h.cpu.exit_request, 0);
    uint64_t quiet = h.cpu.exit_request2;
    h.cpu.dbg_flags = 1;
    ck_assert_uint_ne(h.cpu.exit_request2, quiet);
    harness_free(&h);
}
END_TEST

/* loop: out 0x80, al ; inc eax ; inc eax ; jmp loop. Each run stops right
 * after the OUT, in the middle of the block, and the next run goes on from
 * there. */
START_TEST(stop_request_ends_the_run_after_the_instruction)
{
    harness_init(&h, 64);
    h.cpu.intr_idle = true; /* the fast path between blocks */
    h.cpu.bus.io_out = stopping_out;
    const uint8_t code[] = {0xe6, 0x80, 0xff, 0xc0, 0xff, 0xc0, 0xeb, 0xf8};
    harness_load(&h, 0x100000, code, sizeof(code));
    h.cpu.gpr[R_AX] = 0;
    ck_assert_int_eq(harness_run(&h, 0x100000, 1000), -2);
    ck_assert_uint_eq(h.cpu.icount, 1);
    ck_assert_uint_eq(h.cpu.rip, 0x100002);
    ck_assert(!h.cpu.stop_request);
    for (int i = 1; i <= 3; i++) {
        h.cpu.quantum_end = h.cpu.icount + 1000;
        cpu_run(&h.cpu);
        ck_assert_uint_eq(h.cpu.icount, 1 + 4 * (uint64_t)i);
        ck_assert_uint_eq(h.cpu.rip, 0x100002);
        ck_assert_uint_eq(h.cpu.gpr[R_AX], 2 * (uint64_t)i);
    }
    /* A request made between runs: the next run returns before running
     * anything. */
    cpu_request_stop(&h.cpu);
    uint64_t before = h.cpu.icount;
    h.cpu.quantum_end = h.cpu.icount + 1000;
    ck_assert_uint_eq(cpu_run(&h.cpu), 0);
    ck_assert_uint_eq(h.cpu.icount, before);
    harness_free(&h);
}
END_TEST

/* The budget cuts a block exactly on the fast path too. */
START_TEST(budget_is_exact_on_the_fast_path)
{
    harness_init(&h, 64);
    h.cpu.intr_idle = true;
    /* loop: 5 x inc eax ; jmp loop (6 instructions a block) */
    const uint8_t code[] = {0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xeb, 0xf4};
    harness_load(&h, 0x100000, code, sizeof(code));
    h.cpu.gpr[R_AX] = 0;
    for (uint64_t budget = 1; budget < 20; budget++) {
        uint64_t before = h.cpu.icount;
        h.cpu.rip = 0x100000;
        h.cpu.gpr[R_AX] = 0;
        h.cpu.quantum_end = before + budget;
        ck_assert_uint_eq(cpu_run(&h.cpu), budget);
        ck_assert_uint_eq(h.cpu.icount - before, budget);
        ck_assert_uint_eq(h.cpu.gpr[R_AX], budget - budget / 6);
    }
    harness_free(&h);
}
END_TEST

int main(void)
{
    decode_init();
    Suite *s = suite_create("exit_request");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, conditions_set_by_name_raise_the_request);
    tcase_add_test(tc, stop_request_ends_the_run_after_the_instruction);
    tcase_add_test(tc, budget_is_exact_on_the_fast_path);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

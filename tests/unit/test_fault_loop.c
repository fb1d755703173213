/* A guest whose exception handler faults again forever (its #UD handler is
 * itself UD2) retires no instruction; the turn must still end, so that
 * the machine clock, the devices, the other vCPUs and -turtles-max-insns
 * keep going (architecturally the guest just loops; the emulator must not
 * hang: cpu/exec.c counts such events in cpu->turn_events). */
#include <check.h>
#include <stdlib.h>

#include "cpu/exception.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

#define CODE_AT 0x10000u
#define HANDLER 0x20000u

static struct harness h;

static void setup(void)
{
    harness_init(&h, 64);
    sys_gdt_flat(&h, 0xa);
    h.cpu.gdtr = (struct dtable){GDT_BASE, 0x27};
    h.cpu.idtr = (struct dtable){IDT_BASE, 256 * 16 - 1};
}

static void teardown(void)
{
    harness_free(&h);
}

START_TEST(ud_handler_that_faults_ends_the_turn)
{
    put64(&h, IDT_BASE + EXC_UD * 16, make_gate(0x08, HANDLER, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + EXC_UD * 16 + 8, 0);
    harness_load(&h, HANDLER, (const uint8_t[]){0x0f, 0x0b}, 2); /* ud2 */
    harness_load(&h, CODE_AT, (const uint8_t[]){0x0f, 0x0b}, 2);
    h.cpu.rip = CODE_AT;
    h.cpu.gpr[R_SP] = 0x80000;
    h.cpu.quantum_end = h.cpu.icount + 1000;
    uint64_t icount = h.cpu.icount;
    /* Returns (instead of looping inside cpu_run) with every delivery
     * counted as a unit of the turn. */
    uint64_t n = cpu_run(&h.cpu);
    ck_assert_uint_eq(h.cpu.icount, icount);
    ck_assert_uint_ge(n, 1000);
    ck_assert_uint_eq(h.cpu.turn_events, 0); /* reset for the next turn */
    ck_assert_uint_ge(h.cpu.events_total, 1000);
    ck_assert_uint_eq(h.cpu.rip, HANDLER);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fault_loop");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ud_handler_that_faults_ends_the_turn);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

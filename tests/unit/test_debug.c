/* The debug architecture in 64-bit mode (cpu/debug.c; SDM Vol.3B 18.2,
 * 18.3): an 8-byte data breakpoint on a PUSH, an instruction breakpoint
 * resumed with RF, what DR7 arms (dbg_flags, the cost model: data
 * breakpoints alone keep cached multi-instruction blocks), the TLB
 * refusing its fast path for a watched page only, and traps held by MOV SS
 * (delivered after INT3's delivery, discarded by ICEBP and by general
 * detect), and the debugger's watchpoints that share the data-breakpoint
 * path without the guest seeing them. The 32-bit cases, and the comparison with QEMU, are in
 * tests/guests/sysdebug.S. */
#include <check.h>
#include <stdlib.h>

#include "cpu/debug.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"

#define CODE 0x10000u
#define DB_HANDLER 0x31000u
#define STACK 0x80000u /* the harness' RSP */
#define WATCHED 0x9000u
#define OTHER 0xa000u

static struct harness h;

static void setup(void)
{
    harness_init(&h, 64);
    sys_gdt_flat(&h, 0xa);
    put64(&h, IDT_BASE + 16 * EXC_DB, make_gate(0x08, DB_HANDLER, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + 16 * EXC_DB + 8, 0);
    harness_load(&h, DB_HANDLER, (const uint8_t[]){0xf4}, 1);
    h.cpu.idtr.base = IDT_BASE;
    h.cpu.idtr.limit = 0xfff;
    h.cpu.gdtr.base = GDT_BASE;
    h.cpu.gdtr.limit = 0x27;
}

static void teardown(void)
{
    harness_free(&h);
}

static uint64_t dr7_bp(unsigned n, unsigned rw, unsigned len)
{
    return 0x400 | (1ull << (2 * n)) | (uint64_t)rw << (16 + 4 * n) |
           (uint64_t)len << (18 + 4 * n);
}

static void set_dr7(uint64_t v)
{
    h.cpu.dr[7] = v;
    debug_update(&h.cpu);
}

#define RUN(...)                                                                        \
    do {                                                                                \
        const uint8_t code_[] = {__VA_ARGS__};                                          \
        harness_load(&h, CODE, code_, sizeof(code_));                                   \
        ck_assert_int_eq(harness_run(&h, CODE, 100), 0);                                \
    } while (0)

START_TEST(data_breakpoint_8_bytes_on_push)
{
    h.cpu.dr[0] = STACK - 8 + 5; /* aligned down to STACK - 8 */
    set_dr7(dr7_bp(0, 1, 2));    /* write, 8 bytes */
    h.cpu.dr[6] = 0xffff0ff0;
    RUN(0x90, 0x50, 0x90, 0xf4); /* nop; push rax; nop; hlt */
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER + 1);
    ck_assert_uint_eq(h.cpu.dr[6], 0xffff0ff0 | 1);
    /* The frame (16-byte aligned below the pushed qword): RIP after the
     * PUSH (a trap), RF 0. */
    ck_assert_uint_eq(get64(&h, STACK - 16 - 40), CODE + 2);
    ck_assert_uint_eq(get64(&h, STACK - 16 - 24) & F_RF, 0);
}
END_TEST

START_TEST(instruction_breakpoint_then_rf)
{
    h.cpu.dr[2] = CODE + 1;
    set_dr7(dr7_bp(2, 0, 0));
    RUN(0x90, 0x90, 0xf4);
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER + 1);
    ck_assert_uint_eq(h.cpu.dr[6] & 0xf, 4);
    ck_assert_uint_eq(get64(&h, STACK - 40), CODE + 1); /* a fault: RIP of the instruction */
    ck_assert_uint_eq(get64(&h, STACK - 24) & F_RF, 0);
    /* From there with RF set the instruction runs (and RF is cleared). */
    h.cpu.rip = CODE + 1;
    h.cpu.rflags |= F_RF;
    h.cpu.halted = false;
    h.cpu.quantum_end = h.cpu.icount + 10;
    cpu_run(&h.cpu);
    ck_assert(h.cpu.halted);
    ck_assert_uint_eq(h.cpu.rip, CODE + 3);
    ck_assert_uint_eq(h.cpu.rflags & F_RF, 0);
}
END_TEST

START_TEST(armed_kinds_and_step_mode)
{
    set_dr7(0x400);
    ck_assert_uint_eq(h.cpu.dbg_flags, 0);
    ck_assert(!debug_step_mode(&h.cpu));
    set_dr7(dr7_bp(1, 3, 3) & ~0xcull); /* L1 = G1 = 0: nothing armed */
    ck_assert_uint_eq(h.cpu.dbg_flags, 0);
    set_dr7(dr7_bp(1, 3, 3));
    ck_assert_uint_eq(h.cpu.dbg_flags, DBG_ARM_DATA);
    ck_assert(!debug_step_mode(&h.cpu)); /* data breakpoints keep whole blocks */
    set_dr7(dr7_bp(1, 2, 0));            /* I/O needs CR4.DE */
    ck_assert_uint_eq(h.cpu.dbg_flags, 0);
    h.cpu.cr4 |= CR4_DE;
    debug_update(&h.cpu);
    ck_assert_uint_eq(h.cpu.dbg_flags, DBG_ARM_IO);
    set_dr7(dr7_bp(3, 0, 0));
    ck_assert_uint_eq(h.cpu.dbg_flags, DBG_ARM_EXEC);
    ck_assert(debug_step_mode(&h.cpu));
}
END_TEST

START_TEST(tlb_refuses_only_watched_pages)
{
    h.cpu.dr[1] = WATCHED + 0x10;
    set_dr7(dr7_bp(1, 1, 0)); /* write, 1 byte: reads do not trap */
    h.cpu.gpr[R_BX] = WATCHED;
    h.cpu.gpr[R_CX] = OTHER;
    RUN(0x8b, 0x03, 0x8b, 0x11, 0xf4); /* mov eax, [rbx]; mov edx, [rcx]; hlt */
    ck_assert_uint_eq(h.cpu.rip, CODE + 5);
    const struct tlb_entry *w = &h.cpu.tlb.e[0][tlb_index(WATCHED)];
    const struct tlb_entry *o = &h.cpu.tlb.e[0][tlb_index(OTHER)];
    ck_assert(w->tag_read != WATCHED && w->tag_write != WATCHED);
    ck_assert_uint_eq(o->tag_read, OTHER);
    /* A write to another byte of the page goes the slow way, no trap. */
    RUN(0x88, 0x43, 0x11, 0xf4); /* mov [rbx+0x11], al */
    ck_assert_uint_eq(h.cpu.rip, CODE + 4);
    RUN(0x88, 0x43, 0x10, 0xf4); /* mov [rbx+0x10], al */
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER + 1);
    ck_assert_uint_eq(h.cpu.dr[6] & 0xf, 2);
}
END_TEST

/* POP SS / MOV SS then INT3 with TF set (the CVE-2018-8897 sequence): the
 * held single-step #DB comes right after the #BP delivery, before the
 * first instruction of the #BP handler (SDM Vol.3A 6.8.3). */
START_TEST(held_trap_after_int3_delivery)
{
    put64(&h, IDT_BASE + 16 * EXC_BP, make_gate(0x08, 0x32000, 0xe, 0, true, 0));
    put64(&h, IDT_BASE + 16 * EXC_BP + 8, 0);
    harness_load(&h, 0x32000, (const uint8_t[]){0x90, 0xf4}, 2);
    h.cpu.gpr[R_AX] = 0x10;
    h.cpu.rflags |= F_TF;
    h.cpu.dr[6] = 0xffff0ff0;
    RUN(0x8e, 0xd0, 0xcc, 0xf4); /* mov ss, ax; int3; hlt */
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER + 1);
    ck_assert_uint_eq(h.cpu.dr[6], 0xffff0ff0 | (1u << 14));
    /* #BP frame at STACK - 40, the #DB frame below it (16-byte aligned,
     * from STACK - 48): its RIP is the #BP handler's first instruction. */
    ck_assert_uint_eq(get64(&h, STACK - 40), CODE + 3);
    ck_assert_uint_eq(get64(&h, STACK - 48 - 40), 0x32000);
}
END_TEST

/* A #DB takes the pending debug traps with it: ICEBP after MOV SS with TF
 * reports neither the held single-step nor one of its own, and leaves DR6
 * alone (as Intel processors do in kvm-unit-tests' x86/debug.c). */
START_TEST(icebp_discards_held_single_step)
{
    h.cpu.gpr[R_AX] = 0x10;
    h.cpu.rflags |= F_TF;
    h.cpu.dr[6] = 0xffff0ff0;
    RUN(0x8e, 0xd0, 0xf1, 0xf4); /* mov ss, ax; icebp; hlt */
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER + 1);
    ck_assert_uint_eq(h.cpu.dr[6], 0xffff0ff0);
    ck_assert_uint_eq(get64(&h, STACK - 40), CODE + 3); /* the ICEBP's frame, only */
    ck_assert_uint_eq(h.cpu.gpr[R_SP], STACK - 40);
}
END_TEST

/* General detect on the instruction after MOV SS with TF: a fault with
 * DR6.BD alone; the held single-step goes with it. */
START_TEST(general_detect_discards_held_single_step)
{
    h.cpu.gpr[R_AX] = 0x10;
    h.cpu.rflags |= F_TF;
    h.cpu.dr[6] = 0xffff0ff0;
    h.cpu.dr[7] = 0x400 | DR7_GD;
    RUN(0x8e, 0xd0, 0x0f, 0x21, 0xc1, 0xf4); /* mov ss, ax; mov rcx, dr0; hlt */
    ck_assert_uint_eq(h.cpu.rip, DB_HANDLER + 1);
    ck_assert_uint_eq(h.cpu.dr[6], 0xffff0ff0 | DR6_BD);
    ck_assert_uint_eq(h.cpu.dr[7], 0x400); /* GD cleared */
    ck_assert_uint_eq(get64(&h, STACK - 40), CODE + 2); /* a fault on the MOV DR */
    ck_assert_uint_eq(get64(&h, STACK - 24) & (F_RF | F_TF), F_RF | F_TF);
    ck_assert_uint_eq(h.cpu.gpr[R_SP], STACK - 40);
}
END_TEST

/* ---- the debugger's watchpoints (gdb's Z2-Z4, the monitor's watch) ---- */

static struct debug_watchset watches;

/* The frontend's part: stop before the next block once a watchpoint hit. */
static bool stop_on_watch(struct cpu *cpu)
{
    return cpu->watch_hit != 0;
}

static void watch(uint64_t addr, uint64_t len, unsigned kind)
{
    ck_assert_int_ge(debug_watch_add(&watches, addr, len, kind, 1), 0);
    debug_watch_attach(&h.cpu, &watches);
    h.cpu.debug_hook = stop_on_watch;
}

static void run_to_watch(const uint8_t *code, size_t len)
{
    harness_load(&h, CODE, code, len);
    ck_assert_int_eq(harness_run(&h, CODE, 100), -2); /* stopped, not halted */
}

static void watch_setup(void)
{
    setup();
    watches.n = 0;
    h.cpu.gpr[R_BX] = WATCHED;
    h.cpu.gpr[R_CX] = OTHER;
    h.cpu.dr[6] = 0xffff0ff0;
}

START_TEST(watch_write_stops_after_the_instruction_without_db)
{
    watch(WATCHED + 2, 1, DEBUG_WATCH_WRITE);
    ck_assert_uint_eq(h.cpu.dbg_flags, DBG_ARM_WATCH);
    ck_assert(!debug_step_mode(&h.cpu)); /* cached blocks keep running */
    h.cpu.gpr[R_AX] = 0x11223344;
    /* mov eax, [rbx] (a read: no stop); mov [rcx], eax (another page);
     * mov [rbx], eax (bytes 0-3 hold byte 2: stop); nop; hlt */
    run_to_watch((const uint8_t[]){0x8b, 0x03, 0x89, 0x01, 0x89, 0x03, 0x90, 0xf4}, 8);
    ck_assert_uint_eq(h.cpu.rip, CODE + 6);
    ck_assert_int_eq(h.cpu.watch_hit, 1);
    ck_assert_uint_eq(h.cpu.watch_hit_access, DEBUG_WATCH_WRITE);
    ck_assert_uint_eq(h.cpu.dr[6], 0xffff0ff0); /* the guest saw no #DB */
    ck_assert_uint_eq(h.cpu.dbg_flags & DBG_F_TRAP, 0);
    const struct tlb_entry *w = &h.cpu.tlb.e[0][tlb_index(WATCHED)];
    const struct tlb_entry *o = &h.cpu.tlb.e[0][tlb_index(OTHER)];
    ck_assert(w->tag_read != WATCHED && w->tag_write != WATCHED);
    ck_assert_uint_eq(o->tag_write, OTHER);
    /* Resumed, it runs on to the HLT. */
    h.cpu.watch_hit = 0;
    h.cpu.quantum_end = h.cpu.icount + 10;
    cpu_run(&h.cpu);
    ck_assert(h.cpu.halted);
    ck_assert_uint_eq(h.cpu.rip, CODE + 8);
}
END_TEST

START_TEST(watch_read_and_access_kinds)
{
    watch(WATCHED + 3, 1, DEBUG_WATCH_READ);
    watch(OTHER, 8, DEBUG_WATCH_READ | DEBUG_WATCH_WRITE);
    /* mov [rbx], eax (a write: the read watchpoint stays quiet);
     * mov eax, [rbx] (reads byte 3: stop) */
    run_to_watch((const uint8_t[]){0x89, 0x03, 0x8b, 0x03, 0x90, 0xf4}, 6);
    ck_assert_uint_eq(h.cpu.rip, CODE + 4);
    ck_assert_int_eq(h.cpu.watch_hit, 1);
    ck_assert_uint_eq(h.cpu.watch_hit_access, DEBUG_WATCH_READ);
    /* add [rcx+4], eax: a read and a write of the access watchpoint. */
    h.cpu.watch_hit = 0;
    run_to_watch((const uint8_t[]){0x90, 0x01, 0x41, 0x04, 0xf4}, 5);
    ck_assert_uint_eq(h.cpu.rip, CODE + 4);
    ck_assert_int_eq(h.cpu.watch_hit, 2);
    ck_assert_uint_eq(h.cpu.watch_hit_access, DEBUG_WATCH_READ | DEBUG_WATCH_WRITE);
}
END_TEST

START_TEST(watch_stops_a_rep_string_after_the_iteration)
{
    watch(WATCHED + 0x100, 1, DEBUG_WATCH_WRITE);
    h.cpu.gpr[R_DI] = WATCHED + 0x100 - 8;
    h.cpu.gpr[R_CX] = 16;
    h.cpu.gpr[R_AX] = 0xab;
    run_to_watch((const uint8_t[]){0xf3, 0xaa, 0xf4}, 3); /* rep stosb; hlt */
    /* Nine bytes stored, the ninth watched; RIP still on the REP. */
    ck_assert_uint_eq(h.cpu.rip, CODE);
    ck_assert_uint_eq(h.cpu.gpr[R_DI], WATCHED + 0x101);
    ck_assert_uint_eq(h.cpu.gpr[R_CX], 7);
    ck_assert_int_eq(h.cpu.watch_hit, 1);
}
END_TEST

START_TEST(watch_only_at_its_level)
{
    /* The harness runs in VMX root: a non-root-only watchpoint is quiet,
     * a root-only one stops. */
    ck_assert_int_eq(debug_watch_add(&watches, WATCHED, 1,
                                     DEBUG_WATCH_WRITE | DEBUG_WATCH_ROOT_ONLY |
                                         DEBUG_WATCH_NONROOT_ONLY, 1),
                     -1);
    watch(WATCHED, 4, DEBUG_WATCH_WRITE | DEBUG_WATCH_NONROOT_ONLY);
    watch(WATCHED + 4, 4, DEBUG_WATCH_WRITE | DEBUG_WATCH_ROOT_ONLY);
    /* mov [rbx], eax; mov [rbx+4], eax; hlt */
    run_to_watch((const uint8_t[]){0x89, 0x03, 0x89, 0x43, 0x04, 0xf4}, 6);
    ck_assert_uint_eq(h.cpu.rip, CODE + 5);
    ck_assert_int_eq(h.cpu.watch_hit, 2);
}
END_TEST

START_TEST(watch_removed_costs_nothing)
{
    ck_assert_int_eq(debug_watch_add(&watches, 0, 0, DEBUG_WATCH_WRITE, 1), -1); /* len 0 */
    ck_assert_int_eq(debug_watch_add(&watches, 0, DEBUG_WATCH_MAX_LEN + 1, DEBUG_WATCH_READ, 1),
                     -1);
    ck_assert_int_eq(debug_watch_add(&watches, 0, 1, 0, 1), -1); /* no kind */
    watch(WATCHED, 4, DEBUG_WATCH_WRITE);
    ck_assert_int_eq(debug_watch_add(&watches, WATCHED, 4, DEBUG_WATCH_WRITE, 1), 0); /* no twin */
    ck_assert_uint_eq(watches.n, 1);
    ck_assert(!debug_watch_remove(&watches, WATCHED, 4, DEBUG_WATCH_READ, 1));
    ck_assert(debug_watch_remove(&watches, WATCHED, 4, DEBUG_WATCH_WRITE, 1));
    debug_watch_attach(&h.cpu, &watches);
    ck_assert_uint_eq(h.cpu.dbg_flags, 0);
    RUN(0x89, 0x03, 0x8b, 0x03, 0xf4); /* mov [rbx], eax; mov eax, [rbx]; hlt */
    ck_assert_int_eq(h.cpu.watch_hit, 0);
    const struct tlb_entry *w = &h.cpu.tlb.e[0][tlb_index(WATCHED)];
    ck_assert_uint_eq(w->tag_read, WATCHED); /* back on the fast path */
    /* Owners: a debugger that detaches takes only its own. */
    debug_watch_add(&watches, 1, 1, DEBUG_WATCH_READ, 1);
    debug_watch_add(&watches, 2, 1, DEBUG_WATCH_READ, 2);
    debug_watch_add(&watches, 3, 1, DEBUG_WATCH_READ, 1);
    debug_watch_remove_owner(&watches, 1);
    ck_assert_uint_eq(watches.n, 1);
    ck_assert_uint_eq(watches.w[0].addr, 2);
    /* A reset keeps the debugger's watchpoints armed. */
    debug_watch_attach(&h.cpu, &watches);
    cpu_reset(&h.cpu, false);
    ck_assert_uint_eq(h.cpu.dbg_flags, DBG_ARM_WATCH);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debug");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, data_breakpoint_8_bytes_on_push);
    tcase_add_test(tc, instruction_breakpoint_then_rf);
    tcase_add_test(tc, armed_kinds_and_step_mode);
    tcase_add_test(tc, tlb_refuses_only_watched_pages);
    tcase_add_test(tc, held_trap_after_int3_delivery);
    tcase_add_test(tc, icebp_discards_held_single_step);
    tcase_add_test(tc, general_detect_discards_held_single_step);
    suite_add_tcase(s, tc);
    TCase *tw = tcase_create("watchpoints");
    tcase_add_checked_fixture(tw, watch_setup, teardown);
    tcase_add_test(tw, watch_write_stops_after_the_instruction_without_db);
    tcase_add_test(tw, watch_read_and_access_kinds);
    tcase_add_test(tw, watch_stops_a_rep_string_after_the_iteration);
    tcase_add_test(tw, watch_only_at_its_level);
    tcase_add_test(tw, watch_removed_costs_nothing);
    suite_add_tcase(s, tw);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

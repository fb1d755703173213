/* Host-CPU oracle for the decimal-adjust instructions DAA, DAS, AAA, AAS,
 * AAM and AAD, which exist only outside 64-bit mode: the host runs them in
 * a 32-bit compatibility-mode code segment (Linux's __USER32_CS, selector
 * 0x23) entered with a far call; turtles runs them in its 32-bit harness.
 * Every AL (and a spread of AH) with every CF/AF combination is compared:
 * AX and the flags the SDM defines, which the opcode table's EF column
 * gives (flags_undefined(), cpu/flags_table.h; ORACLE_STRICT=1: all six).
 *
 * x86-64 Linux hosts only; elsewhere, or when the kernel refuses 32-bit
 * code, the test reports itself skipped (test_ops_int checks the same
 * instructions against the SDM's Operation sections). */
#define _GNU_SOURCE
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/flags_table.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"
#include "tests/unit/oracle_common.h"

#if defined(__x86_64__) && defined(__linux__)

#define REGION 0xd00000ull      /* below 4 GiB: reachable from 32-bit code */
#define CODE64 (REGION + 0x000)
#define CODE32 (REGION + 0x800)
#define FARPTR (REGION + 0x1000)
#define STATE (REGION + 0x1010) /* eax, eflags (4 bytes each), host rsp */
#define LOWSTACK (REGION + 0x3000)
#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

static uint8_t *region;

/* 32-bit side: load DS/ES, EFLAGS and EAX from the state, run the
 * instruction, store them back, far return. */
static void build_code32(const uint8_t *insn, unsigned len)
{
    struct enc b = {.n = 0};
    e8(&b, 0x66); e8(&b, 0xb8); e16(&b, ORACLE_USER_DS);      /* mov ax, USER_DS */
    e8(&b, 0x8e); e8(&b, 0xd8); e8(&b, 0x8e); e8(&b, 0xc0);   /* ds = es = ax */
    e8(&b, 0xff); e8(&b, 0x35); e32(&b, (uint32_t)STATE + 4); /* push dword [eflags] */
    e8(&b, 0x9d);                                             /* popfd */
    e8(&b, 0xa1); e32(&b, (uint32_t)STATE);                   /* mov eax, [eax_in] */
    for (unsigned i = 0; i < len; i++)
        e8(&b, insn[i]);
    e8(&b, 0x9c);                                             /* pushfd */
    e8(&b, 0x8f); e8(&b, 0x05); e32(&b, (uint32_t)STATE + 4); /* pop dword [eflags] */
    e8(&b, 0xa3); e32(&b, (uint32_t)STATE);                   /* mov [eax], eax */
    e8(&b, 0xcb);                                             /* lret */
    memcpy(region + (CODE32 - REGION), b.b, b.n);
}

/* Returns false if the host faulted (no 32-bit code segment, or #DE). */
static bool run_host(uint32_t eax, uint32_t eflags, uint32_t *out_eax, uint32_t *out_eflags)
{
    memcpy(region + (STATE - REGION), &eax, 4);
    memcpy(region + (STATE - REGION) + 4, &eflags, 4);
    oracle_fault.sig = 0;
    if (sigsetjmp(oracle_fault.jmp, 1))
        return false;
    ((void (*)(void))(uintptr_t)CODE64)();
    memcpy(out_eax, region + (STATE - REGION), 4);
    memcpy(out_eflags, region + (STATE - REGION) + 4, 4);
    return true;
}

static struct harness H;
static struct cpu_model model;

/* The flags the SDM leaves undefined after the instruction, from the
 * opcode table. */
static uint32_t table_undefined(const uint8_t *insn, unsigned len)
{
    harness_load(&H, 0x10000, insn, len);
    struct insn in;
    ck_assert_int_eq(decode_insn(&in, 4, model.isa_mask, oracle_fetch_phys, &H.mem, 0x10000),
                     DECODE_OK);
    return flags_undefined(insn_row(&in), &in, 0);
}

/* Returns -1, or the exception vector. */
static int run_turtles(const uint8_t *insn, unsigned len, uint32_t eax, uint32_t eflags,
                       uint32_t *out_eax, uint32_t *out_eflags)
{
    struct cpu *c = &H.cpu;
    harness_load(&H, 0x10000, insn, len);
    c->gpr[R_AX] = eax;
    c->rflags = eflags;
    c->rip = 0x10000;
    struct insn in;
    decode_insn(&in, 4, model.isa_mask, oracle_fetch_phys, &H.mem, c->rip);
    c->next_rip = c->rip + in.len;
    if (setjmp(c->exc_jmp))
        return c->exc_vector;
    in.fn(c, &in);
    *out_eax = (uint32_t)c->gpr[R_AX];
    *out_eflags = (uint32_t)c->rflags;
    return -1;
}

START_TEST(test_oracle_bcd)
{
    region = oracle_map_fixed(REGION, 0x4000);
    ck_assert_msg(region != NULL, "cannot map the BCD oracle region");
    oracle_catch_faults();
    oracle_build_compat_call(CODE64, FARPTR, CODE32, STATE + 8, LOWSTACK);

    /* Probe: can this kernel run 32-bit code? */
    static const uint8_t nop = 0x90;
    build_code32(&nop, 1);
    uint32_t ea, ef;
    if (!run_host(0, 0x202, &ea, &ef)) {
        printf("test_oracle_bcd: skipped (the host refused 32-bit code, signal %d)\n",
               oracle_fault.sig);
        return;
    }

    oracle_turtles_init(&H, &model, 32);
    bool strict = getenv("ORACLE_STRICT") != NULL;

    struct {
        uint8_t insn[2];
        unsigned len;
        bool ah_matters;
    } ops[] = {
        {{0x27}, 1, false}, /* DAA */
        {{0x2f}, 1, false}, /* DAS */
        {{0x37}, 1, true}, /* AAA */
        {{0x3f}, 1, true}, /* AAS */
        {{0xd4, 10}, 2, false}, /* AAM */
        {{0xd4, 16}, 2, false},
        {{0xd4, 7}, 2, false},
        {{0xd4, 0}, 2, false}, /* #DE */
        {{0xd5, 10}, 2, true}, /* AAD */
        {{0xd5, 16}, 2, true},
        {{0xd5, 0xff}, 2, true},
    };
    unsigned n = 0, bad = 0;
    for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        build_code32(ops[k].insn, ops[k].len);
        uint32_t undef = table_undefined(ops[k].insn, ops[k].len);
        for (unsigned ah = 0; ah < 256; ah += ops[k].ah_matters ? 3 : 37) {
            for (unsigned al = 0; al < 256; al++) {
                for (unsigned fl = 0; fl < 16; fl++) {
                    uint32_t eax = 0x12340000u | ah << 8 | al;
                    uint32_t in_fl = 0x202 | ((fl & 1) ? F_CF : 0) | ((fl & 2) ? F_AF : 0) |
                                     ((fl & 4) ? F_ZF | F_SF : 0) | ((fl & 8) ? F_OF | F_PF : 0);
                    uint32_t hx = 0, hf = 0, tx = 0, tf = 0;
                    bool ok = run_host(eax, in_fl, &hx, &hf);
                    int v = run_turtles(ops[k].insn, ops[k].len, eax, in_fl, &tx, &tf);
                    n++;
                    uint32_t mask = strict ? ARITH : ARITH & ~undef;
                    bool same = ok ? (v == -1 && hx == tx && (hf & mask) == (tf & mask))
                                   : (oracle_fault.sig == SIGFPE && v == EXC_DE);
                    if (!same && bad++ < 10)
                        fprintf(stderr,
                                "bcd mismatch: %02x %02x eax %08x fl %03x: host %s %08x %03x, "
                                "turtles %d %08x %03x\n",
                                ops[k].insn[0], ops[k].insn[1], eax, in_fl,
                                ok ? "ok" : "fault", hx, hf & ARITH, v, tx, tf & ARITH);
                }
            }
        }
    }
    printf("oracle_bcd: %u executions compared, %u mismatches\n", n, bad);
    ck_assert_uint_eq(bad, 0);
    harness_free(&H);
}
END_TEST

int main(void)
{
    oracle_print_host("test_oracle_bcd");
    Suite *s = suite_create("oracle_bcd");
    TCase *tc = tcase_create("bcd");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_oracle_bcd);
    suite_add_tcase(s, tc);
    return oracle_run_suite(s);
}

#else

int main(void)
{
    printf("test_oracle_bcd: skipped (needs an x86-64 Linux host)\n");
    return 0;
}

#endif

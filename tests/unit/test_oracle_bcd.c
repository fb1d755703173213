/* Host-CPU oracle for the decimal-adjust instructions DAA, DAS, AAA, AAS,
 * AAM and AAD, which exist only outside 64-bit mode: the host runs them in
 * a 32-bit compatibility-mode code segment (Linux's __USER32_CS, selector
 * 0x23) entered with a far call; turtles runs them in its 32-bit harness.
 * Every AL (and a spread of AH) with every CF/AF combination is compared:
 * AX and the flags the SDM defines (ORACLE_STRICT=1: all six).
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
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"

#if defined(__x86_64__) && defined(__linux__)

#define REGION 0xd00000ull      /* below 4 GiB: reachable from 32-bit code */
#define CODE64 (REGION + 0x000)
#define CODE32 (REGION + 0x800)
#define FARPTR (REGION + 0x1000)
#define STATE (REGION + 0x1010) /* eax, eflags (4 bytes each), host rsp */
#define LOWSTACK (REGION + 0x3000)
#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define USER32_CS 0x23
#define USER_DS 0x2b

static uint8_t *region;
static sigjmp_buf jmp;
static volatile int got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
    siglongjmp(jmp, 1);
}

struct buf {
    uint8_t *p;
    unsigned n;
};

static void b8(struct buf *b, uint8_t x)
{
    b->p[b->n++] = x;
}

static void b32(struct buf *b, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        b8(b, (uint8_t)(x >> (8 * i)));
}

/* 64-bit side: save callee-saved registers and RSP, switch to a stack below
 * 4 GiB, far-call the 32-bit code, reset DS/ES, restore, return. */
static void build_code64(void)
{
    struct buf b = {region + (CODE64 - REGION), 0};
    static const uint8_t save[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
    for (unsigned i = 0; i < sizeof(save); i++)
        b8(&b, save[i]);
    b8(&b, 0x48); b8(&b, 0x89); b8(&b, 0x24); b8(&b, 0x25); b32(&b, (uint32_t)STATE + 8);
    b8(&b, 0x48); b8(&b, 0xc7); b8(&b, 0xc4); b32(&b, (uint32_t)LOWSTACK); /* mov rsp, imm */
    b8(&b, 0xff); b8(&b, 0x1c); b8(&b, 0x25); b32(&b, (uint32_t)FARPTR);  /* lcall *m16:32 */
    b8(&b, 0x31); b8(&b, 0xc0);                                           /* xor eax, eax */
    b8(&b, 0x8e); b8(&b, 0xd8); b8(&b, 0x8e); b8(&b, 0xc0);               /* ds = es = 0 */
    b8(&b, 0x48); b8(&b, 0x8b); b8(&b, 0x24); b8(&b, 0x25); b32(&b, (uint32_t)STATE + 8);
    static const uint8_t restore[] = {0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3};
    for (unsigned i = 0; i < sizeof(restore); i++)
        b8(&b, restore[i]);
    uint32_t off = (uint32_t)CODE32;
    memcpy(region + (FARPTR - REGION), &off, 4);
    uint16_t sel = USER32_CS;
    memcpy(region + (FARPTR - REGION) + 4, &sel, 2);
}

/* 32-bit side: load DS/ES, EFLAGS and EAX from the state, run the
 * instruction, store them back, far return. */
static void build_code32(const uint8_t *insn, unsigned len)
{
    struct buf b = {region + (CODE32 - REGION), 0};
    b8(&b, 0x66); b8(&b, 0xb8); b8(&b, USER_DS); b8(&b, 0x00); /* mov ax, USER_DS */
    b8(&b, 0x8e); b8(&b, 0xd8); b8(&b, 0x8e); b8(&b, 0xc0);     /* ds = es = ax */
    b8(&b, 0xff); b8(&b, 0x35); b32(&b, (uint32_t)STATE + 4);   /* push dword [eflags] */
    b8(&b, 0x9d);                                               /* popfd */
    b8(&b, 0xa1); b32(&b, (uint32_t)STATE);                     /* mov eax, [eax_in] */
    for (unsigned i = 0; i < len; i++)
        b8(&b, insn[i]);
    b8(&b, 0x9c);                                               /* pushfd */
    b8(&b, 0x8f); b8(&b, 0x05); b32(&b, (uint32_t)STATE + 4);   /* pop dword [eflags] */
    b8(&b, 0xa3); b32(&b, (uint32_t)STATE);                     /* mov [eax], eax */
    b8(&b, 0xcb);                                               /* lret */
}

/* Returns false if the host faulted (no 32-bit code segment, or #DE). */
static bool run_host(uint32_t eax, uint32_t eflags, uint32_t *out_eax, uint32_t *out_eflags)
{
    memcpy(region + (STATE - REGION), &eax, 4);
    memcpy(region + (STATE - REGION) + 4, &eflags, 4);
    got_signal = 0;
    if (sigsetjmp(jmp, 1))
        return false;
    ((void (*)(void))(uintptr_t)CODE64)();
    memcpy(out_eax, region + (STATE - REGION), 4);
    memcpy(out_eflags, region + (STATE - REGION) + 4, 4);
    return true;
}

static struct harness H;
static struct cpu_model model;

static bool fetch(void *opaque, uint64_t off, uint8_t *b)
{
    (void)opaque;
    *b = (uint8_t)physmem_read(&H.mem, off, 1);
    return true;
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
    decode_insn(&in, 4, model.isa_mask, fetch, NULL, c->rip);
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
    region = mmap((void *)(uintptr_t)REGION, 0x4000, PROT_READ | PROT_WRITE | PROT_EXEC,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    ck_assert_msg(region == (void *)(uintptr_t)REGION, "cannot map the BCD oracle region");
    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    build_code64();

    /* Probe: can this kernel run 32-bit code? */
    static const uint8_t nop = 0x90;
    build_code32(&nop, 1);
    uint32_t ea, ef;
    if (!run_host(0, 0x202, &ea, &ef)) {
        printf("test_oracle_bcd: skipped (the host refused 32-bit code, signal %d)\n",
               got_signal);
        return;
    }

    harness_init(&H, 32);
    model = *cpu_models[0];
    H.cpu.model = &model;
    bool strict = getenv("ORACLE_STRICT") != NULL;

    struct {
        uint8_t insn[2];
        unsigned len;
        uint32_t undef;
        bool ah_matters;
    } ops[] = {
        {{0x27}, 1, F_OF, false},                 /* DAA */
        {{0x2f}, 1, F_OF, false},                 /* DAS */
        {{0x37}, 1, F_OF | F_SF | F_ZF | F_PF, true}, /* AAA */
        {{0x3f}, 1, F_OF | F_SF | F_ZF | F_PF, true}, /* AAS */
        {{0xd4, 10}, 2, F_OF | F_AF | F_CF, false},   /* AAM */
        {{0xd4, 16}, 2, F_OF | F_AF | F_CF, false},
        {{0xd4, 7}, 2, F_OF | F_AF | F_CF, false},
        {{0xd4, 0}, 2, F_OF | F_AF | F_CF, false},    /* #DE */
        {{0xd5, 10}, 2, F_OF | F_AF | F_CF, true},    /* AAD */
        {{0xd5, 16}, 2, F_OF | F_AF | F_CF, true},
        {{0xd5, 0xff}, 2, F_OF | F_AF | F_CF, true},
    };
    unsigned n = 0, bad = 0;
    for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        build_code32(ops[k].insn, ops[k].len);
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
                    uint32_t mask = strict ? ARITH : ARITH & ~ops[k].undef;
                    bool same = ok ? (v == -1 && hx == tx && (hf & mask) == (tf & mask))
                                   : (got_signal == SIGFPE && v == EXC_DE);
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
    Suite *s = suite_create("oracle_bcd");
    TCase *tc = tcase_create("bcd");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_oracle_bcd);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else

int main(void)
{
    printf("test_oracle_bcd: skipped (needs an x86-64 Linux host)\n");
    return 0;
}

#endif

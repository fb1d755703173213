/* Integer instruction handlers in the situations the host-CPU oracle
 * cannot reach: 16- and 32-bit code (BCD, PUSHA/POPA, BOUND, 16-bit
 * addressing and branch truncation), exceptions (#UD, #DE, #GP, #BR, #PF in
 * the middle of a REP), the REP fast paths and their yielding, CPU-model
 * gating (TZCNT/LZCNT falling back to BSF/BSR), RDRAND determinism. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"

static struct harness H;
static struct cpu_model model_all, model_none;
static uint64_t executed; /* handler calls in the last run */

static void setup_mode(unsigned bits)
{
    harness_init(&H, bits);
    model_all = *cpu_models[0];
    model_all.isa_mask = ~0ull;
    model_none = *cpu_models[0];
    model_none.isa_mask = 1ull << ISA_BASE;
    H.cpu.model = &model_all;
}

static bool fetch_phys(void *opaque, uint64_t off, uint8_t *b)
{
    struct harness *h = opaque;
    *b = (uint8_t)physmem_read(&h->mem, (h->cpu.seg[S_CS].base + off) & 0xffffffffffffull, 1);
    return true;
}

/* Run code at addr (a linear = physical address) one instruction at a
 * time until HLT; returns -1, or the vector of the exception a handler
 * raised (RIP then points at the faulting instruction). */
static int run(uint64_t addr, const void *code, size_t len)
{
    struct cpu *c = &H.cpu;
    harness_load(&H, addr, code, len);
    c->rip = addr - c->seg[S_CS].base;
    c->halted = false;
    executed = 0;
    struct insn in;
    for (unsigned steps = 0; steps < 1000000 && !c->halted; steps++) {
        decode_insn(&in, c->code_size, c->model->isa_mask, fetch_phys, &H, c->rip);
        c->next_rip = c->rip + in.len;
        c->stop_block = false;
        if (setjmp(c->exc_jmp))
            return c->exc_vector;
        in.fn(c, &in);
        c->rip = c->next_rip;
        c->icount++;
        executed++;
    }
    return -1;
}

#define RUN(addr, ...)                                        \
    ({                                                        \
        static const uint8_t code_[] = {__VA_ARGS__, 0xf4};   \
        run((addr), code_, sizeof(code_));                    \
    })

static uint64_t rd(uint64_t addr, unsigned size)
{
    return physmem_read(&H.mem, addr, size);
}

static void wr(uint64_t addr, uint64_t v, unsigned size)
{
    physmem_write(&H.mem, addr, v, size);
}

/* ---- BCD against the SDM's Operation sections (32-bit code) ---- */

struct bcd_out {
    uint16_t ax;
    bool cf, af;
};

/* SDM Vol.2 DAA/DAS Operation, written out independently of the handler. */
static struct bcd_out sdm_daa_das(uint8_t al, bool cf, bool af, bool sub)
{
    uint8_t old_al = al;
    bool old_cf = cf;
    cf = false;
    if ((al & 0x0f) > 9 || af) {
        unsigned t = sub ? (unsigned)al - 6 : (unsigned)al + 6;
        al = (uint8_t)t;
        cf = old_cf || t > 0xff;
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(sub ? al - 0x60 : al + 0x60);
        cf = true;
    } else if (!sub) {
        cf = false;
    }
    return (struct bcd_out){al, cf, af};
}

static struct bcd_out sdm_aaa_aas(uint16_t ax, bool af, bool sub)
{
    bool cf;
    if ((ax & 0x0f) > 9 || af) {
        if (sub) {
            ax = (uint16_t)(ax - 6);
            ax = (uint16_t)(ax - 0x100);
        } else {
            ax = (uint16_t)(ax + 0x106);
        }
        af = cf = true;
    } else {
        af = cf = false;
    }
    ax &= 0xff0f;
    return (struct bcd_out){ax, cf, af};
}

START_TEST(test_bcd_exhaustive)
{
    static const uint8_t ops[] = {0x27, 0x2f, 0x37, 0x3f};
    setup_mode(32);
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned v = 0; v < 0x10000; v += (k < 2 ? 0x100 : 0x33)) {
            for (unsigned fl = 0; fl < 4; fl++) {
                for (unsigned al = 0; al < 256; al += k < 2 ? 1 : 0x100) {
                    uint16_t ax = (uint16_t)(k < 2 ? (v & 0xff00) | al : v);
                    bool cf = fl & 1, af = fl & 2;
                    H.cpu.gpr[R_AX] = 0xabcd0000u | ax;
                    H.cpu.rflags = 2 | (cf ? F_CF : 0) | (af ? F_AF : 0);
                    uint8_t code[2] = {ops[k], 0xf4};
                    ck_assert_int_eq(run(0x10000, code, 2), -1);
                    struct bcd_out want = k < 2 ? sdm_daa_das((uint8_t)ax, cf, af, k == 1)
                                                : sdm_aaa_aas(ax, af, k == 3);
                    uint16_t want_ax = k < 2 ? (uint16_t)((ax & 0xff00) | (want.ax & 0xff))
                                             : want.ax;
                    ck_assert_uint_eq(H.cpu.gpr[R_AX], 0xabcd0000u | want_ax);
                    ck_assert_int_eq(!!(H.cpu.rflags & F_CF), want.cf);
                    ck_assert_int_eq(!!(H.cpu.rflags & F_AF), want.af);
                    if (k < 2) {
                        uint8_t r = (uint8_t)want.ax;
                        ck_assert_int_eq(!!(H.cpu.rflags & F_ZF), r == 0);
                        ck_assert_int_eq(!!(H.cpu.rflags & F_SF), r >> 7);
                    }
                }
            }
        }
    }
    harness_free(&H);
}
END_TEST

START_TEST(test_bcd_examples)
{
    setup_mode(32);
    /* 79 + 35 = 114: AL = 0xae after ADD, DAA gives 0x14 with CF. */
    H.cpu.gpr[R_AX] = 0x79;
    ck_assert_int_eq(RUN(0x10000, 0x04, 0x35, 0x27), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX] & 0xff, 0x14);
    ck_assert(H.cpu.rflags & F_CF);
    /* 35 - 47 = -12: DAS gives 0x88 with CF (borrow). */
    H.cpu.gpr[R_AX] = 0x35;
    ck_assert_int_eq(RUN(0x10000, 0x2c, 0x47, 0x2f), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX] & 0xff, 0x88);
    ck_assert(H.cpu.rflags & F_CF);
    /* AAM: 79 -> AH 7, AL 9; AAD back; AAM 16 splits nibbles. */
    H.cpu.gpr[R_AX] = 79;
    ck_assert_int_eq(RUN(0x10000, 0xd4, 0x0a), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX] & 0xffff, 0x0709);
    ck_assert_int_eq(RUN(0x10000, 0xd5, 0x0a), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX] & 0xffff, 79);
    H.cpu.gpr[R_AX] = 0xab;
    ck_assert_int_eq(RUN(0x10000, 0xd4, 0x10), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX] & 0xffff, 0x0a0b);
    /* AAM 0: #DE, AX unchanged. */
    H.cpu.gpr[R_AX] = 0x1234;
    ck_assert_int_eq(RUN(0x10000, 0xd4, 0x00), EXC_DE);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 0x1234);
    ck_assert_uint_eq(H.cpu.rip, 0x10000);
    harness_free(&H);
}
END_TEST

START_TEST(test_no64_opcodes)
{
    static const uint8_t ud64[][2] = {{0x27, 0}, {0x2f, 0}, {0x37, 0}, {0x3f, 0}, {0x60, 0},
                                      {0x61, 0}, {0xd4, 0x0a}, {0xd5, 0x0a}, {0xd6, 0},
                                      {0x82, 0xc0}, {0x62, 0x00}};
    setup_mode(64);
    for (unsigned i = 0; i < sizeof(ud64) / sizeof(ud64[0]); i++) {
        uint8_t code[4] = {ud64[i][0], ud64[i][1], 0, 0xf4};
        ck_assert_int_eq(run(0x10000, code, 4), EXC_UD);
    }
    harness_free(&H);
    /* 82 is group 1 outside 64-bit mode; D6 (SALC) is #UD everywhere. */
    setup_mode(32);
    H.cpu.gpr[R_AX] = 5;
    ck_assert_int_eq(RUN(0x10000, 0x82, 0xc0, 0x03), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 8);
    ck_assert_int_eq(RUN(0x10000, 0xd6), EXC_UD);
    harness_free(&H);
}
END_TEST

START_TEST(test_undefined_opcodes)
{
    setup_mode(64);
    ck_assert_int_eq(RUN(0x10000, 0x0f, 0x0b), EXC_UD);             /* UD2 */
    ck_assert_int_eq(RUN(0x10000, 0x0f, 0xb9, 0xc0), EXC_UD);       /* UD1 */
    ck_assert_int_eq(RUN(0x10000, 0x0f, 0xff, 0xc0), EXC_UD);       /* UD0 */
    ck_assert_int_eq(RUN(0x10000, 0x8d, 0xc0), EXC_UD);             /* LEA reg */
    ck_assert_int_eq(RUN(0x10000, 0xf0, 0x01, 0xc0), EXC_UD);       /* LOCK ADD reg */
    ck_assert_int_eq(RUN(0x10000, 0xf0, 0x39, 0x03), EXC_UD);       /* LOCK CMP mem */
    ck_assert_int_eq(RUN(0x10000, 0xf0, 0x8b, 0x03), EXC_UD);       /* LOCK MOV */
    ck_assert_int_eq(RUN(0x10000, 0x0f, 0x38, 0xf0, 0xc0), EXC_UD); /* MOVBE reg */
    ck_assert_int_eq(RUN(0x10000, 0xc6, 0xc8, 0x00), EXC_UD);       /* C6 /1 */
    ck_assert_int_eq(RUN(0x10000, 0x8f, 0xc8), EXC_UD);             /* 8F /1 */
    /* LOCK on a memory destination is fine. */
    H.cpu.gpr[R_BX] = 0x5000;
    wr(0x5000, 41, 4);
    H.cpu.gpr[R_AX] = 1;
    ck_assert_int_eq(RUN(0x10000, 0xf0, 0x01, 0x03), -1);
    ck_assert_uint_eq(rd(0x5000, 4), 42);
    harness_free(&H);
}
END_TEST

START_TEST(test_divide_faults)
{
    setup_mode(64);
    H.cpu.gpr[R_AX] = 10;
    H.cpu.gpr[R_DX] = 0;
    H.cpu.gpr[R_CX] = 0;
    ck_assert_int_eq(RUN(0x10000, 0x48, 0xf7, 0xf1), EXC_DE); /* div rcx = 0 */
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 10);
    H.cpu.gpr[R_AX] = 0;
    H.cpu.gpr[R_DX] = 0x8000000000000000ull;
    H.cpu.gpr[R_CX] = ~0ull;
    ck_assert_int_eq(RUN(0x10000, 0x48, 0xf7, 0xf9), EXC_DE); /* idiv: -2^127 / -1 */
    H.cpu.gpr[R_AX] = 0x8000;
    H.cpu.gpr[R_CX] = 0xff;
    ck_assert_int_eq(RUN(0x10000, 0xf6, 0xf9), EXC_DE); /* idiv cl: -32768 / -1 */
    H.cpu.gpr[R_AX] = 0xff00;
    H.cpu.gpr[R_CX] = 0xff;
    ck_assert_int_eq(RUN(0x10000, 0xf6, 0xf1), EXC_DE); /* div cl: quotient 0x100 */
    H.cpu.gpr[R_AX] = 0xfe01;
    ck_assert_int_eq(RUN(0x10000, 0xf6, 0xf1), -1); /* 0xfe01 / 0xff = 0xff r 0 */
    ck_assert_uint_eq(H.cpu.gpr[R_AX] & 0xffff, 0x00ff);
    harness_free(&H);
}
END_TEST

START_TEST(test_cmpxchg16b)
{
    setup_mode(64);
    H.cpu.gpr[R_SI] = 0x5008; /* misaligned: #GP(0) */
    ck_assert_int_eq(RUN(0x10000, 0x48, 0x0f, 0xc7, 0x0e), EXC_GP);
    wr(0x5000, 0x1111, 8);
    wr(0x5008, 0x2222, 8);
    H.cpu.gpr[R_SI] = 0x5000;
    H.cpu.gpr[R_AX] = 0x1111;
    H.cpu.gpr[R_DX] = 0x2222;
    H.cpu.gpr[R_BX] = 0xaaaa;
    H.cpu.gpr[R_CX] = 0xbbbb;
    ck_assert_int_eq(RUN(0x10000, 0xf0, 0x48, 0x0f, 0xc7, 0x0e), -1);
    ck_assert(H.cpu.rflags & F_ZF);
    ck_assert_uint_eq(rd(0x5000, 8), 0xaaaa);
    ck_assert_uint_eq(rd(0x5008, 8), 0xbbbb);
    ck_assert_int_eq(RUN(0x10000, 0x48, 0x0f, 0xc7, 0x0e), -1);
    ck_assert(!(H.cpu.rflags & F_ZF));
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 0xaaaa);
    ck_assert_uint_eq(H.cpu.gpr[R_DX], 0xbbbb);
    /* Without CX16 in the model, REX.W form is #UD. */
    H.cpu.model = &model_none;
    ck_assert_int_eq(RUN(0x10000, 0x48, 0x0f, 0xc7, 0x0e), EXC_UD);
    harness_free(&H);
}
END_TEST

START_TEST(test_model_gating)
{
    setup_mode(64);
    H.cpu.model = &model_none;
    /* F3 0F BC without BMI1 is BSF: 0x50 -> 4, and the F3 is ignored. */
    H.cpu.gpr[R_CX] = 0x50;
    H.cpu.gpr[R_AX] = 77;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0x48, 0x0f, 0xbc, 0xc1), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 4);
    /* F3 0F BD without LZCNT is BSR: 0x50 -> 6. */
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0x48, 0x0f, 0xbd, 0xc1), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 6);
    /* POPCNT, MOVBE, CRC32, ADCX, RDRAND need their CPUID bits. */
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0x0f, 0xb8, 0xc1), EXC_UD);
    ck_assert_int_eq(RUN(0x10000, 0x0f, 0x38, 0xf0, 0x06), EXC_UD);
    ck_assert_int_eq(RUN(0x10000, 0xf2, 0x0f, 0x38, 0xf1, 0xc1), EXC_UD);
    ck_assert_int_eq(RUN(0x10000, 0x66, 0x0f, 0x38, 0xf6, 0xc1), EXC_UD);
    ck_assert_int_eq(RUN(0x10000, 0x0f, 0xc7, 0xf0), EXC_UD);
    /* With the extensions: LZCNT of 0x50 in 64 bits is 57, TZCNT of 0 is 64. */
    H.cpu.model = &model_all;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0x48, 0x0f, 0xbd, 0xc1), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 57);
    H.cpu.gpr[R_CX] = 0;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0x48, 0x0f, 0xbc, 0xc1), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 64);
    ck_assert(H.cpu.rflags & F_CF);
    harness_free(&H);
}
END_TEST

START_TEST(test_rdrand)
{
    uint64_t first[2];
    for (int pass = 0; pass < 2; pass++) {
        setup_mode(64);
        H.cpu.rflags = 2 | F_ZF | F_OF;
        ck_assert_int_eq(RUN(0x10000, 0x48, 0x0f, 0xc7, 0xf0, 0x48, 0x0f, 0xc7, 0xf9), -1);
        ck_assert_uint_eq(H.cpu.rflags & F_ARITH, F_CF);
        ck_assert_uint_ne(H.cpu.gpr[R_AX], H.cpu.gpr[R_CX]);
        if (pass == 0) {
            first[0] = H.cpu.gpr[R_AX];
            first[1] = H.cpu.gpr[R_CX];
        } else {
            ck_assert_uint_eq(first[0], H.cpu.gpr[R_AX]);
            ck_assert_uint_eq(first[1], H.cpu.gpr[R_CX]);
        }
        /* 66 prefix: a 16-bit destination. */
        H.cpu.gpr[R_DX] = 0x1234567800000000ull;
        ck_assert_int_eq(RUN(0x10000, 0x66, 0x0f, 0xc7, 0xf2), -1);
        ck_assert_uint_eq(H.cpu.gpr[R_DX] >> 16, 0x123456780000ull);
        harness_free(&H);
    }
}
END_TEST

/* ---- strings ---- */

START_TEST(test_rep_movs_16bit)
{
    setup_mode(16);
    for (unsigned i = 0; i < 8; i++)
        wr(0x2000 + i, 0x10 + i, 1);
    H.cpu.gpr[R_SI] = 0x2000;
    H.cpu.gpr[R_DI] = 0x3000;
    H.cpu.gpr[R_CX] = 0xabcd0005;
    ck_assert_int_eq(RUN(0x1000, 0xf3, 0xa4), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 0xabcd0000);
    ck_assert_uint_eq(H.cpu.gpr[R_SI], 0x2005);
    ck_assert_uint_eq(H.cpu.gpr[R_DI], 0x3005);
    ck_assert_uint_eq(rd(0x3000, 4), 0x13121110);
    ck_assert_uint_eq(rd(0x3004, 2), 0x0014);
    /* DF = 1, words, with SI wrapping below 0 in 16-bit addressing. */
    wr(0x0000, 0xbeef, 2);
    wr(0xfffe, 0xcafe, 2);
    H.cpu.gpr[R_SI] = 0x0000;
    H.cpu.gpr[R_DI] = 0x4002;
    H.cpu.gpr[R_CX] = 2;
    ck_assert_int_eq(RUN(0x1000, 0xfd, 0xf3, 0xa5, 0xfc), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_SI], 0xfffc);
    ck_assert_uint_eq(H.cpu.gpr[R_DI], 0x3ffe);
    ck_assert_uint_eq(rd(0x4002, 2), 0xbeef);
    ck_assert_uint_eq(rd(0x4000, 2), 0xcafe);
    harness_free(&H);
}
END_TEST

START_TEST(test_rep_stos_fast_and_yield)
{
    setup_mode(64);
    /* 300 KiB of dwords: more than one chunk, so the instruction yields
     * (RIP unchanged) and is re-executed by the loop. */
    uint64_t n = 300 * 1024 / 4;
    H.cpu.gpr[R_DI] = 0x100001; /* odd start: not page aligned */
    H.cpu.gpr[R_CX] = n;
    H.cpu.gpr[R_AX] = 0x11223344;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0xab), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 0);
    ck_assert_uint_eq(H.cpu.gpr[R_DI], 0x100001 + n * 4);
    ck_assert_uint_gt(executed, 3); /* several chunks, then HLT */
    ck_assert_uint_eq(rd(0x100001, 4), 0x11223344);
    ck_assert_uint_eq(rd(0x100001 + n * 4 - 4, 4), 0x11223344);
    ck_assert_uint_eq(rd(0x100001 + n * 4, 1), 0);
    ck_assert_uint_eq(rd(0x100000, 1), 0);
    /* A single chunk leaves RIP on the instruction with progress made. */
    struct cpu *c = &H.cpu;
    c->gpr[R_DI] = 0x200000;
    c->gpr[R_CX] = 1u << 20;
    static const uint8_t code[] = {0xf3, 0xaa};
    harness_load(&H, 0x20000, code, 2);
    struct insn in;
    decode_insn(&in, 8, model_all.isa_mask, fetch_phys, &H, 0x20000);
    c->rip = 0x20000;
    c->next_rip = 0x20002;
    c->stop_block = false;
    in.fn(c, &in);
    ck_assert_uint_eq(c->next_rip, 0x20000);
    ck_assert(c->stop_block);
    ck_assert_uint_lt(c->gpr[R_CX], 1u << 20);
    ck_assert_uint_gt(c->gpr[R_CX], 0);
    ck_assert_uint_eq(c->gpr[R_DI] - 0x200000, (1u << 20) - c->gpr[R_CX]);
    /* With TF set, one iteration per execution (a trap after each). */
    uint64_t before = c->gpr[R_CX];
    c->rflags |= F_TF;
    c->next_rip = 0x20002;
    in.fn(c, &in);
    ck_assert_uint_eq(c->gpr[R_CX], before - 1);
    ck_assert_uint_eq(c->next_rip, 0x20000);
    c->rflags &= ~(uint64_t)F_TF;
    harness_free(&H);
}
END_TEST

START_TEST(test_rep_movs_overlap)
{
    setup_mode(64);
    for (unsigned i = 0; i < 64; i++)
        wr(0x6000 + i, i + 1, 1);
    /* Forward copy onto src+1 replicates the first byte, as on hardware. */
    H.cpu.gpr[R_SI] = 0x6000;
    H.cpu.gpr[R_DI] = 0x6001;
    H.cpu.gpr[R_CX] = 32;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0xa4), -1);
    for (unsigned i = 0; i < 33; i++)
        ck_assert_uint_eq(rd(0x6000 + i, 1), 1);
    ck_assert_uint_eq(rd(0x6000 + 33, 1), 34);
    /* Copy down onto an overlapping lower destination (memmove-like). */
    for (unsigned i = 0; i < 64; i++)
        wr(0x7000 + i, i, 1);
    H.cpu.gpr[R_SI] = 0x7008;
    H.cpu.gpr[R_DI] = 0x7000;
    H.cpu.gpr[R_CX] = 7;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0x48, 0xa5), -1);
    for (unsigned i = 0; i < 56; i++)
        ck_assert_uint_eq(rd(0x7000 + i, 1), i + 8);
    harness_free(&H);
}
END_TEST

START_TEST(test_rep_movs_page_fault)
{
    setup_mode(64);
    /* Make the 2 MiB page at 0x600000 not present. */
    wr(0x3000 + 3 * 8, 0, 8);
    tlb_flush_all(&H.cpu.tlb);
    for (unsigned i = 0; i < 32; i++)
        wr(0x5000 + i, 0xa0 + i, 1);
    H.cpu.gpr[R_SI] = 0x5000;
    H.cpu.gpr[R_DI] = 0x5ffff8;
    H.cpu.gpr[R_CX] = 32;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0xa4), EXC_PF);
    /* The completed iterations are visible; RIP is the REP MOVS. */
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 24);
    ck_assert_uint_eq(H.cpu.gpr[R_SI], 0x5008);
    ck_assert_uint_eq(H.cpu.gpr[R_DI], 0x600000);
    ck_assert_uint_eq(H.cpu.cr2, 0x600000);
    ck_assert_uint_eq(H.cpu.rip, 0x10000);
    ck_assert_uint_eq(rd(0x5ffff8, 8), 0xa7a6a5a4a3a2a1a0ull);
    /* REPE CMPSB stops at the first difference with its flags. */
    wr(0x8000, 0x44434241, 4);
    wr(0x9000, 0x44004241, 4);
    H.cpu.gpr[R_SI] = 0x8000;
    H.cpu.gpr[R_DI] = 0x9000;
    H.cpu.gpr[R_CX] = 4;
    ck_assert_int_eq(RUN(0x10000, 0xf3, 0xa6), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 1);
    ck_assert_uint_eq(H.cpu.gpr[R_SI], 0x8003);
    ck_assert(!(H.cpu.rflags & F_ZF));
    /* REPNE SCASB finds a byte (strlen idiom). */
    H.cpu.gpr[R_DI] = 0x9000;
    H.cpu.gpr[R_CX] = ~0ull;
    H.cpu.gpr[R_AX] = 0;
    ck_assert_int_eq(RUN(0x10000, 0xf2, 0xae), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_DI], 0x9003);
    ck_assert_uint_eq(H.cpu.gpr[R_CX], ~0ull - 3);
    harness_free(&H);
}
END_TEST

START_TEST(test_string_segments)
{
    setup_mode(32);
    /* The source honours a segment override; the destination is always ES. */
    H.cpu.seg[S_FS].base = 0x100000;
    H.cpu.seg[S_ES].base = 0x200000;
    wr(0x100010, 0x5a, 1);
    wr(0x000010, 0x11, 1);
    H.cpu.gpr[R_SI] = 0x10;
    H.cpu.gpr[R_DI] = 0x20;
    ck_assert_int_eq(RUN(0x10000, 0x64, 0xa4), -1);
    ck_assert_uint_eq(rd(0x200020, 1), 0x5a);
    ck_assert_uint_eq(H.cpu.gpr[R_SI], 0x11);
    /* 16-bit addressing in 32-bit code (67): SI/DI/CX, upper halves kept. */
    H.cpu.seg[S_ES].base = 0;
    H.cpu.gpr[R_SI] = 0x55550010;
    H.cpu.gpr[R_DI] = 0x66660030;
    H.cpu.gpr[R_CX] = 0x77770002;
    ck_assert_int_eq(RUN(0x10000, 0x67, 0xf3, 0xa4), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_SI], 0x55550012);
    ck_assert_uint_eq(H.cpu.gpr[R_DI], 0x66660032);
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 0x77770000);
    ck_assert_uint_eq(rd(0x30, 1), 0x11);
    harness_free(&H);
}
END_TEST

/* ---- stack, branches, misc in 16/32-bit code ---- */

START_TEST(test_pusha_popa_enter)
{
    setup_mode(32);
    struct cpu *c = &H.cpu;
    for (int r = 0; r < 8; r++)
        c->gpr[r] = 0x1000u * (r + 1);
    c->gpr[R_SP] = 0x80000;
    ck_assert_int_eq(RUN(0x10000, 0x60), -1);
    ck_assert_uint_eq(c->gpr[R_SP], 0x80000 - 32);
    ck_assert_uint_eq(rd(0x80000 - 4, 4), 0x1000);       /* EAX first */
    ck_assert_uint_eq(rd(0x80000 - 20, 4), 0x80000);     /* original ESP */
    ck_assert_uint_eq(rd(0x80000 - 32, 4), 0x8000);      /* EDI last */
    for (int r = 0; r < 8; r++)
        if (r != R_SP)
            c->gpr[r] = 0;
    ck_assert_int_eq(RUN(0x10000, 0x61), -1);
    ck_assert_uint_eq(c->gpr[R_SP], 0x80000);
    ck_assert_uint_eq(c->gpr[R_AX], 0x1000);
    ck_assert_uint_eq(c->gpr[R_DI], 0x8000);
    /* ENTER 8, 3: push EBP, copy two frame pointers, push the frame. */
    c->gpr[R_BP] = 0x70000;
    wr(0x70000 - 4, 0xaaaa, 4);
    wr(0x70000 - 8, 0xbbbb, 4);
    ck_assert_int_eq(RUN(0x10000, 0xc8, 0x08, 0x00, 0x03), -1);
    ck_assert_uint_eq(rd(0x80000 - 4, 4), 0x70000);
    ck_assert_uint_eq(rd(0x80000 - 8, 4), 0xaaaa);
    ck_assert_uint_eq(rd(0x80000 - 12, 4), 0xbbbb);
    ck_assert_uint_eq(rd(0x80000 - 16, 4), 0x80000 - 4);
    ck_assert_uint_eq(c->gpr[R_BP], 0x80000 - 4);
    ck_assert_uint_eq(c->gpr[R_SP], 0x80000 - 16 - 8);
    ck_assert_int_eq(RUN(0x10000, 0xc9), -1); /* LEAVE */
    ck_assert_uint_eq(c->gpr[R_SP], 0x80000);
    ck_assert_uint_eq(c->gpr[R_BP], 0x70000);
    /* A 16-bit ENTER on a 32-bit stack walks the display through BP, a
     * 16-bit address: [0x0ffe], not [0x50ffe]. */
    c->gpr[R_BP] = 0x51000;
    wr(0x0ffe, 0x1234, 2);
    wr(0x50ffe, 0x5678, 2);
    ck_assert_int_eq(RUN(0x10000, 0x66, 0xc8, 0x00, 0x00, 0x02), -1);
    ck_assert_uint_eq(rd(0x80000 - 2, 2), 0x1000);   /* BP */
    ck_assert_uint_eq(rd(0x80000 - 4, 2), 0x1234);   /* the display entry */
    ck_assert_uint_eq(rd(0x80000 - 6, 2), 0xfffe);   /* the frame (low half) */
    ck_assert_uint_eq(c->gpr[R_BP], 0x5fffe);        /* BP only: EBP[31:16] kept */
    ck_assert_uint_eq(c->gpr[R_SP], 0x80000 - 6);
    c->gpr[R_SP] = 0x80000;
    /* BOUND: inside passes, outside raises #BR. */
    wr(0x5000, 10, 4);
    wr(0x5004, 20, 4);
    c->gpr[R_BX] = 0x5000;
    c->gpr[R_AX] = 15;
    ck_assert_int_eq(RUN(0x10000, 0x62, 0x03), -1);
    c->gpr[R_AX] = 21;
    ck_assert_int_eq(RUN(0x10000, 0x62, 0x03), EXC_BR);
    c->gpr[R_AX] = (uint32_t)-1;
    ck_assert_int_eq(RUN(0x10000, 0x62, 0x03), EXC_BR);
    harness_free(&H);
}
END_TEST

START_TEST(test_branches_16bit)
{
    setup_mode(32);
    struct cpu *c = &H.cpu;
    /* 66 E9 rel16 in 32-bit code: EIP is truncated to 16 bits. */
    static const uint8_t jmp16[] = {0x66, 0xe9, 0x00, 0x00};
    harness_load(&H, 0x12340, jmp16, sizeof(jmp16));
    c->rip = 0x12340;
    {
        struct insn in;
        decode_insn(&in, 4, model_all.isa_mask, fetch_phys, &H, 0x12340);
        c->next_rip = 0x12344;
        in.fn(c, &in);
        ck_assert_uint_eq(c->next_rip, 0x2344);
    }
    /* LOOP with a 16-bit address size counts in CX only. */
    c->gpr[R_CX] = 0x10000;
    ck_assert_int_eq(RUN(0x10000, 0x67, 0xe2, 0x01, 0xf4, 0x90), -1);
    ck_assert_uint_eq(c->gpr[R_CX], 0x1ffff);
    ck_assert_uint_eq(c->rip, 0x10006); /* taken: skipped the first HLT */
    /* JECXZ / JCXZ. */
    c->gpr[R_CX] = 0x10000;
    ck_assert_int_eq(RUN(0x10000, 0x67, 0xe3, 0x01, 0xf4, 0x90), -1);
    ck_assert_uint_eq(c->rip, 0x10006);
    ck_assert_int_eq(RUN(0x10000, 0xe3, 0x01, 0xf4, 0x90), -1);
    ck_assert_uint_eq(c->rip, 0x10003);
    /* CALL/RET with a 16-bit operand size push and pop 2 bytes. */
    c->gpr[R_SP] = 0x80000;
    ck_assert_int_eq(RUN(0x4000, 0x66, 0xe8, 0x00, 0x00, 0x66, 0x5b), -1);
    ck_assert_uint_eq(c->gpr[R_SP], 0x80000);
    ck_assert_uint_eq(c->gpr[R_BX] & 0xffff, 0x4004);
    harness_free(&H);
}
END_TEST

START_TEST(test_real_mode_misc)
{
    setup_mode(16);
    struct cpu *c = &H.cpu;
    /* XLAT with BX + AL in 16-bit addressing. */
    wr(0x3005, 0x99, 1);
    c->gpr[R_BX] = 0x3000;
    c->gpr[R_AX] = 0x1205;
    ck_assert_int_eq(RUN(0x1000, 0xd7), -1);
    ck_assert_uint_eq(c->gpr[R_AX], 0x1299);
    /* MOV AX, moffs16 with a DS base. */
    c->seg[S_DS].base = 0x20000;
    c->seg[S_DS].sel = 0x2000;
    wr(0x20010, 0xbeef, 2);
    ck_assert_int_eq(RUN(0x1000, 0xa1, 0x10, 0x00), -1);
    ck_assert_uint_eq(c->gpr[R_AX] & 0xffff, 0xbeef);
    /* PUSH/POP in 16-bit code, and PUSH SP pushes the old SP. */
    c->gpr[R_SP] = 0x8000;
    ck_assert_int_eq(RUN(0x1000, 0x54, 0x5b), -1);
    ck_assert_uint_eq(c->gpr[R_BX] & 0xffff, 0x8000);
    ck_assert_uint_eq(c->gpr[R_SP], 0x8000);
    /* SAHF/LAHF round trip. */
    c->gpr[R_AX] = 0xd500;
    ck_assert_int_eq(RUN(0x1000, 0x9e, 0xb4, 0x00, 0x9f), -1);
    ck_assert_uint_eq((c->gpr[R_AX] >> 8) & 0xff, 0xd7);
    harness_free(&H);
}
END_TEST

START_TEST(test_pause_and_nops)
{
    setup_mode(64);
    struct cpu *c = &H.cpu;
    c->gpr[R_AX] = 0x1122334455667788ull;
    c->gpr[R_R8] = 5;
    /* 90 is NOP even as 32-bit XCHG EAX,EAX; 41 90 is XCHG R8D, EAX;
     * 0F 1F /0 and 0F 18 are hint NOPs; 66 0F 1F 44 00 00 too. */
    ck_assert_int_eq(RUN(0x10000, 0x90, 0x66, 0x90, 0x0f, 0x1f, 0x00, 0x0f, 0x18, 0x08, 0x66,
                         0x0f, 0x1f, 0x44, 0x00, 0x00),
                     -1);
    ck_assert_uint_eq(c->gpr[R_AX], 0x1122334455667788ull);
    ck_assert_int_eq(RUN(0x10000, 0x41, 0x90), -1);
    ck_assert_uint_eq(c->gpr[R_AX], 5);
    ck_assert_uint_eq(c->gpr[R_R8], 0x55667788);
    /* PAUSE ends the block and the vCPU's quantum. */
    static const uint8_t pause[] = {0xf3, 0x90};
    harness_load(&H, 0x20000, pause, 2);
    struct insn in;
    decode_insn(&in, 8, model_all.isa_mask, fetch_phys, &H, 0x20000);
    c->icount = 1234;
    c->quantum_end = 99999;
    c->stop_block = false;
    in.fn(c, &in);
    ck_assert(c->stop_block);
    ck_assert_uint_eq(c->quantum_end, 1234);
    ck_assert_str_eq(insn_name(&in), "pause");
    harness_free(&H);
}
END_TEST

/* The dispatch loop proper (cpu_run via harness_run): a REP MOVSQ of
 * 1 MiB yields several times and still completes. */
START_TEST(test_rep_through_dispatch_loop)
{
    setup_mode(64);
    struct cpu *c = &H.cpu;
    for (unsigned i = 0; i < 4096; i++)
        wr(0x300000 + i * 8, i * 0x0101010101010101ull, 8);
    static const uint8_t code[] = {0xf3, 0x48, 0xa5, 0xf4};
    harness_load(&H, 0x10000, code, sizeof(code));
    c->gpr[R_SI] = 0x300000;
    c->gpr[R_DI] = 0x500000;
    c->gpr[R_CX] = 128 * 1024;
    ck_assert_int_eq(harness_run(&H, 0x10000, 1000000), 0);
    ck_assert_uint_eq(c->gpr[R_CX], 0);
    ck_assert_uint_eq(rd(0x500000 + 4095 * 8, 8), 4095 * 0x0101010101010101ull);
    ck_assert_uint_gt(c->icount, 3);
    harness_free(&H);
}
END_TEST

static Suite *ops_int_suite(void)
{
    Suite *s = suite_create("ops_int");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bcd_exhaustive);
    tcase_add_test(tc, test_bcd_examples);
    tcase_add_test(tc, test_no64_opcodes);
    tcase_add_test(tc, test_undefined_opcodes);
    tcase_add_test(tc, test_divide_faults);
    tcase_add_test(tc, test_cmpxchg16b);
    tcase_add_test(tc, test_model_gating);
    tcase_add_test(tc, test_rdrand);
    tcase_add_test(tc, test_rep_movs_16bit);
    tcase_add_test(tc, test_rep_stos_fast_and_yield);
    tcase_add_test(tc, test_rep_movs_overlap);
    tcase_add_test(tc, test_rep_movs_page_fault);
    tcase_add_test(tc, test_string_segments);
    tcase_add_test(tc, test_pusha_popa_enter);
    tcase_add_test(tc, test_branches_16bit);
    tcase_add_test(tc, test_real_mode_misc);
    tcase_add_test(tc, test_pause_and_nops);
    tcase_add_test(tc, test_rep_through_dispatch_loop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_int_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

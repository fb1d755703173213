/* x87, FXSAVE/XSAVE and MMX handlers: the architectural rules the host
 * oracle (test_oracle_x87.c) cannot reach -- #NM/#MF/#UD/#GP gating, the
 * FERR# path, instruction/data pointers, the 16-bit and real-mode
 * environment formats, the XSAVE header -- and known answers that run on
 * any host. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/opcodes.h"
#include "cpu/ops_x87.h"
#include "tests/unit/harness.h"

#define CODE 0x10000ull
#define DATA 0x20000ull

static struct harness H;
static struct cpu_model model;

static bool fetch_phys(void *opaque, uint64_t off, uint8_t *b)
{
    (void)opaque;
    *b = (uint8_t)physmem_read(&H.mem, off, 1);
    return true;
}

static void setup(unsigned bits)
{
    harness_init(&H, bits);
    model = *cpu_models[0];
    model.isa_mask = ~0ull;
    H.cpu.model = &model;
    H.cpu.mxcsr = 0x1f80;
    x87_init_state(&H.cpu);
    H.cpu.cr4 |= CR4_OSXSAVE;
    H.cpu.xcr0 = 3;
}

static void setup64(void) { setup(64); }
static void setup32(void) { setup(32); }
static void setup16(void) { setup(16); }
static void teardown(void) { harness_free(&H); }

/* Run the instructions at CODE one by one; returns the exception vector
 * or -1. RIP is left at the faulting instruction. */
static int run(const uint8_t *code, size_t len)
{
    struct cpu *c = &H.cpu;
    physmem_write_buf(&H.mem, CODE, code, len);
    c->rip = CODE;
    while (c->rip < CODE + len) {
        struct insn in;
        if (decode_insn(&in, c->code_size, c->model->isa_mask, fetch_phys, NULL, c->rip) !=
            DECODE_OK)
            return EXC_UD;
        c->next_rip = c->rip + in.len;
        if (setjmp(c->exc_jmp))
            return c->exc_vector;
        in.fn(c, &in);
        c->rip = c->next_rip;
    }
    return -1;
}

#define RUN(...)                                              \
    ({                                                        \
        static const uint8_t code_[] = {__VA_ARGS__};         \
        run(code_, sizeof(code_));                            \
    })

static uint64_t rd(uint64_t a, unsigned n) { return physmem_read(&H.mem, a, n); }
static void wr(uint64_t a, uint64_t v, unsigned n) { physmem_write(&H.mem, a, v, n); }

static f80 st(unsigned i) { return x87_get(&H.cpu, i); }

/* 64-bit mode: [rdi] is ModRM 0x07 | reg << 3. */
static void point_rdi(void) { H.cpu.gpr[R_DI] = DATA; }

/* ---- control ------------------------------------------------------------- */

START_TEST(test_fninit_state)
{
    H.cpu.fpu.fcw = 0;
    H.cpu.fpu.fsw = 0xffff;
    H.cpu.fpu.ftw = 0;
    H.cpu.fpu.fip = 5;
    ck_assert_int_eq(RUN(0xdb, 0xe3), -1);
    ck_assert_uint_eq(H.cpu.fpu.fcw, 0x037f);
    ck_assert_uint_eq(H.cpu.fpu.fsw, 0);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0xffff);
    ck_assert_uint_eq(H.cpu.fpu.fip, 0);
}
END_TEST

/* The decompressor's has_fpu(): FNINIT, FNSTSW, FNSTCW with 0xa5a5 preset. */
START_TEST(test_has_fpu_probe)
{
    point_rdi();
    wr(DATA, 0xa5a5, 2);
    wr(DATA + 2, 0xa5a5, 2);
    /* fninit; fnstsw [rdi]; fnstcw [rdi+2] */
    ck_assert_int_eq(RUN(0xdb, 0xe3, 0xdd, 0x3f, 0xd9, 0x7f, 0x02), -1);
    ck_assert_uint_eq(rd(DATA, 2), 0);
    ck_assert_uint_eq(rd(DATA + 2, 2) & 0x103f, 0x003f);
}
END_TEST

START_TEST(test_fnstsw_ax_fldcw)
{
    point_rdi();
    H.cpu.gpr[R_AX] = 0x1234567812345678ull;
    wr(DATA, 0x0c7f, 2);
    /* fld1; fldcw [rdi]; fnstsw ax */
    ck_assert_int_eq(RUN(0xd9, 0xe8, 0xd9, 0x2f, 0xdf, 0xe0), -1);
    ck_assert_uint_eq(H.cpu.fpu.fcw, 0x0c7f);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 0x1234567812343800ull); /* TOP = 7 */
}
END_TEST

START_TEST(test_nm_on_em_ts)
{
    H.cpu.cr0 |= CR0_TS;
    ck_assert_int_eq(RUN(0xd9, 0xe8), EXC_NM);
    ck_assert_int_eq(RUN(0xdb, 0xe3), EXC_NM);
    /* WAIT faults only with MP and TS together. */
    ck_assert_int_eq(RUN(0x9b), -1);
    H.cpu.cr0 |= CR0_MP;
    ck_assert_int_eq(RUN(0x9b), EXC_NM);
    H.cpu.cr0 &= ~(CR0_TS | CR0_MP);
    H.cpu.cr0 |= CR0_EM;
    ck_assert_int_eq(RUN(0xd9, 0xe8), EXC_NM);
    ck_assert_int_eq(RUN(0x9b), -1);
    /* MMX is #UD under EM, FXSAVE #NM. */
    ck_assert_int_eq(RUN(0x0f, 0x77), EXC_UD);
    point_rdi();
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x07), EXC_NM);
}
END_TEST

/* An unmasked exception leaves the destination, sets ES/B, and the next
 * waiting instruction takes #MF (CR0.NE) before doing anything. */
START_TEST(test_unmasked_zero_divide_then_mf)
{
    point_rdi();
    wr(DATA, 0x037b, 2); /* ZE unmasked */
    /* fldcw [rdi]; fld1; fldz; fdivp st1, st0  (DE F9) */
    ck_assert_int_eq(RUN(0xd9, 0x2f, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9), -1);
    ck_assert_uint_eq(H.cpu.fpu.fsw & (FSW_ES | FSW_B | F80_ZE), FSW_ES | FSW_B | F80_ZE);
    ck_assert_uint_eq(x87_top(&H.cpu), 6); /* no pop */
    ck_assert_uint_eq(st(1).sign_exp, 0x3fff);  /* ST1 still 1.0 */
    uint64_t rip_fld = CODE;
    ck_assert_int_eq(RUN(0xd9, 0xe8), EXC_MF);
    ck_assert_uint_eq(H.cpu.rip, rip_fld);
    ck_assert_uint_eq(x87_top(&H.cpu), 6);
    ck_assert_int_eq(RUN(0x9b), EXC_MF);
    ck_assert_int_eq(RUN(0x0f, 0x77), EXC_MF); /* EMMS waits too */
    /* Non-waiting forms go ahead. */
    ck_assert_int_eq(RUN(0xdf, 0xe0), -1);
    ck_assert_int_eq(RUN(0xdb, 0xe2), -1); /* fnclex */
    ck_assert_uint_eq(H.cpu.fpu.fsw & (FSW_ES | FSW_B | FSW_EXC), 0);
    ck_assert_int_eq(RUN(0x9b, 0xd9, 0xe8), -1);
}
END_TEST

/* CR0.NE = 0: the FERR#/IRQ13 hook; with nothing wired the instruction
 * proceeds. */
START_TEST(test_ferr_path_without_ne)
{
    H.cpu.cr0 &= ~CR0_NE;
    H.cpu.fpu.fcw = 0x037e; /* IE unmasked */
    H.cpu.fpu.fsw = F80_IE;
    x87_update_es(&H.cpu);
    ck_assert_int_eq(RUN(0xd9, 0xe8), -1);
    ck_assert_uint_eq(st(0).sign_exp, 0x3fff);
}
END_TEST

/* FLDCW that unmasks a raised flag makes it pending. */
START_TEST(test_fldcw_unmask_sets_es)
{
    point_rdi();
    H.cpu.fpu.fsw = F80_PE;
    wr(DATA, 0x035f, 2);
    ck_assert_int_eq(RUN(0xd9, 0x2f), -1);
    ck_assert_uint_eq(H.cpu.fpu.fsw & (FSW_ES | FSW_B), FSW_ES | FSW_B);
    ck_assert_int_eq(RUN(0xd9, 0xe8), EXC_MF);
}
END_TEST

START_TEST(test_stack_overflow_underflow)
{
    /* Eight pushes fill the stack; the ninth overflows (masked: indefinite). */
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(RUN(0xd9, 0xe8), -1);
    ck_assert_uint_eq(H.cpu.fpu.fsw & (FSW_SF | F80_IE), 0);
    ck_assert_int_eq(RUN(0xd9, 0xee), -1);
    ck_assert_uint_eq(H.cpu.fpu.fsw & (FSW_SF | F80_IE | FSW_C1), FSW_SF | F80_IE | FSW_C1);
    ck_assert_uint_eq(st(0).sign_exp, 0xffff);
    ck_assert_uint_eq(st(0).mant, 0xc000000000000000ull);
    /* Underflow: FADD with an empty ST0. */
    ck_assert_int_eq(RUN(0xdb, 0xe3, 0xd8, 0xc1), -1);
    ck_assert_uint_eq(H.cpu.fpu.fsw & (FSW_SF | F80_IE | FSW_C1), FSW_SF | F80_IE);
}
END_TEST

START_TEST(test_pointers_recorded)
{
    point_rdi();
    wr(DATA, 0x3f800000, 4);
    /* fld dword [rdi]; fnop */
    ck_assert_int_eq(RUN(0xd9, 0x07), -1);
    ck_assert_uint_eq(H.cpu.fpu.fip, CODE);
    ck_assert_uint_eq(H.cpu.fpu.fdp, DATA);
    ck_assert_uint_eq(H.cpu.fpu.fop, 0x107);
    ck_assert_uint_eq(H.cpu.fpu.fcs, H.cpu.seg[S_CS].sel);
    /* Control instructions keep them. */
    ck_assert_int_eq(RUN(0xd9, 0x3f), -1); /* fnstcw */
    ck_assert_uint_eq(H.cpu.fpu.fop, 0x107);
    ck_assert_uint_eq(H.cpu.fpu.fdp, DATA);
}
END_TEST

/* ---- environment images ----------------------------------------------- */

START_TEST(test_fnstenv32_and_fldenv)
{
    point_rdi();
    /* fld1; fldz; fnstenv [rdi] */
    ck_assert_int_eq(RUN(0xd9, 0xe8, 0xd9, 0xee, 0xd9, 0x37), -1);
    ck_assert_uint_eq(rd(DATA, 4), 0xffff037f);
    ck_assert_uint_eq(rd(DATA + 4, 4), 0xffff3000); /* TOP 6 */
    ck_assert_uint_eq(rd(DATA + 8, 4), 0xffff1fff); /* ST0 zero, ST1 valid */
    ck_assert_uint_eq(rd(DATA + 12, 4), CODE + 2);  /* FLDZ */
    ck_assert_uint_eq(rd(DATA + 16, 4) >> 16, 0x1ee);
    ck_assert_uint_eq(H.cpu.fpu.fcw & 0x3f, 0x3f);
    /* Round trip through FLDENV with a changed control word. */
    wr(DATA, 0xffff0c7f, 4);
    H.cpu.fpu.ftw = 0xffff;
    ck_assert_int_eq(RUN(0xd9, 0x27), -1);
    ck_assert_uint_eq(H.cpu.fpu.fcw, 0x0c7f);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0x1fff); /* recomputed from the registers */
}
END_TEST

/* 16-bit real mode: the 94-byte FSAVE image with linear pointers. */
START_TEST(test_fnsave_real_mode)
{
    H.cpu.seg[S_CS].sel = 0x1000;
    H.cpu.seg[S_CS].base = 0x10000;
    H.cpu.seg[S_DS].sel = 0x2000;
    H.cpu.seg[S_DS].base = 0x20000;
    H.cpu.gpr[R_BX] = 0x10;
    wr(0x20010, 0x3f800000, 4);
    /* code at CS:0: fld dword [bx]; fnsave [bx+0x20] */
    static const uint8_t code[] = {0xd9, 0x07, 0xdd, 0x77, 0x20};
    physmem_write_buf(&H.mem, 0x10000, code, sizeof(code));
    struct cpu *c = &H.cpu;
    c->rip = 0;
    for (int i = 0; i < 2; i++) {
        struct insn in;
        ck_assert_int_eq(decode_insn(&in, c->code_size, c->model->isa_mask, fetch_phys, NULL,
                                     0x10000 + c->rip),
                         DECODE_OK);
        c->next_rip = c->rip + in.len;
        ck_assert_int_eq(setjmp(c->exc_jmp), 0);
        in.fn(c, &in);
        c->rip = c->next_rip;
    }
    uint64_t img = 0x20030;
    ck_assert_uint_eq(rd(img + 0, 2), 0x037f);
    ck_assert_uint_eq(rd(img + 2, 2), 0x3800);
    ck_assert_uint_eq(rd(img + 4, 2), 0x3fff);
    ck_assert_uint_eq(rd(img + 6, 2), 0x0000);          /* FIP 15:0 of 0x10000 */
    ck_assert_uint_eq(rd(img + 8, 2), 0x1000 | 0x107);  /* FIP 19:16, FOP */
    ck_assert_uint_eq(rd(img + 10, 2), 0x0010);         /* FDP 15:0 of 0x20010 */
    ck_assert_uint_eq(rd(img + 12, 2), 0x2000);         /* FDP 19:16 */
    ck_assert_uint_eq(rd(img + 14, 8), 0x8000000000000000ull);
    ck_assert_uint_eq(rd(img + 22, 2), 0x3fff);
    /* FNSAVE reinitialises. */
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0xffff);
    ck_assert_uint_eq(H.cpu.fpu.fcw, 0x037f);
    /* FRSTOR [bx+0x20] brings back the registers and the linear pointers. */
    static const uint8_t code2[] = {0xdd, 0x67, 0x20};
    physmem_write_buf(&H.mem, 0x10000, code2, sizeof(code2));
    c->rip = 0;
    struct insn in;
    ck_assert_int_eq(decode_insn(&in, c->code_size, c->model->isa_mask, fetch_phys, NULL,
                                 0x10000),
                     DECODE_OK);
    c->next_rip = in.len;
    ck_assert_int_eq(setjmp(c->exc_jmp), 0);
    in.fn(c, &in);
    ck_assert_uint_eq(H.cpu.fpu.fip, 0x10000);
    ck_assert_uint_eq(H.cpu.fpu.fdp, 0x20010);
    ck_assert_uint_eq(H.cpu.fpu.fop, 0x107);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0x3fff);
    ck_assert_uint_eq(st(0).sign_exp, 0x3fff);
}
END_TEST

/* 32-bit protected mode: FXSAVE keeps FCS/FDS next to 32-bit pointers and
 * saves eight XMM registers only. */
START_TEST(test_fxsave_32bit)
{
    H.cpu.gpr[R_DI] = DATA;
    wr(DATA, 0x3f800000, 4);
    wr(DATA + 160 + 8 * 16, 0x5555, 2);
    /* fld dword [edi]; fxsave [edi+0x100] */
    ck_assert_int_eq(RUN(0xd9, 0x07, 0x0f, 0xae, 0x87, 0x00, 0x01, 0x00, 0x00), -1);
    uint64_t a = DATA + 0x100;
    ck_assert_uint_eq(rd(a + 8, 4), CODE);
    ck_assert_uint_eq(rd(a + 12, 2), 0x08);
    ck_assert_uint_eq(rd(a + 16, 4), DATA);
    ck_assert_uint_eq(rd(a + 20, 2), 0x10);
    ck_assert_uint_eq(rd(a + 6, 2), 0x107);
}
END_TEST

/* FST m32 with an unmasked overflow stores nothing and does not pop. */
START_TEST(test_fstp_m32_unmasked_overflow)
{
    point_rdi();
    wr(DATA, 0x1234, 4);
    H.cpu.fpu.fcw = 0x0377; /* OE unmasked */
    f80 big = {0x8000000000000000ull, 0x4400};
    x87_push(&H.cpu, big);
    ck_assert_int_eq(RUN(0xd9, 0x1f), -1);
    ck_assert_uint_eq(rd(DATA, 4), 0x1234);
    ck_assert_uint_eq(x87_top(&H.cpu), 7);
    ck_assert_uint_eq(H.cpu.fpu.fsw & (F80_OE | FSW_ES), F80_OE | FSW_ES);
}
END_TEST

START_TEST(test_fnsave_frstor_16bit_protected)
{
    point_rdi();
    /* fldpi; fld1; o16 fnsave [rdi]; o16 frstor [rdi] */
    ck_assert_int_eq(RUN(0xd9, 0xeb, 0xd9, 0xe8, 0x66, 0xdd, 0x37), -1);
    ck_assert_uint_eq(rd(DATA + 2, 2), 0x3000);
    ck_assert_uint_eq(rd(DATA + 14 + 8, 2), 0x3fff);      /* ST0 = 1.0 */
    ck_assert_uint_eq(rd(DATA + 24 + 8, 2), 0x4000);      /* ST1 = pi */
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0xffff);
    ck_assert_int_eq(RUN(0x66, 0xdd, 0x27), -1);
    ck_assert_uint_eq(x87_top(&H.cpu), 6);
    ck_assert_uint_eq(st(0).sign_exp, 0x3fff);
    ck_assert_uint_eq(st(1).mant, 0xc90fdaa22168c235ull);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0x0fff);
}
END_TEST

/* ---- FXSAVE / FXRSTOR / XSAVE ------------------------------------------- */

START_TEST(test_fxsave_layout_and_checks)
{
    point_rdi();
    H.cpu.xmm[15].q[0] = 0x1122334455667788ull;
    /* fld1; fxsave64 [rdi] */
    ck_assert_int_eq(RUN(0xd9, 0xe8, 0x48, 0x0f, 0xae, 0x07), -1);
    ck_assert_uint_eq(rd(DATA, 2), 0x037f);
    ck_assert_uint_eq(rd(DATA + 2, 2), 0x3800);
    ck_assert_uint_eq(rd(DATA + 4, 1), 0x80);            /* R7 in use */
    ck_assert_uint_eq(rd(DATA + 8, 8), CODE);            /* 64-bit FIP */
    ck_assert_uint_eq(rd(DATA + 24, 4), 0x1f80);
    ck_assert_uint_eq(rd(DATA + 28, 4), 0xffff);
    ck_assert_uint_eq(rd(DATA + 32 + 8, 2), 0x3fff);
    ck_assert_uint_eq(rd(DATA + 160 + 15 * 16, 8), 0x1122334455667788ull);
    /* Misaligned: #GP. */
    H.cpu.gpr[R_DI] = DATA + 8;
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x07), EXC_GP);
    /* FXRSTOR with a reserved MXCSR bit: #GP. */
    point_rdi();
    wr(DATA + 24, 0x10000, 4);
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x0f), EXC_GP);
    wr(DATA + 24, 0x1f80, 4);
    /* Restore into a fresh state. */
    ck_assert_int_eq(RUN(0xdb, 0xe3, 0x0f, 0xae, 0x0f), -1);
    ck_assert_uint_eq(x87_top(&H.cpu), 7);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0x3fff);
    ck_assert_uint_eq(st(0).mant, 0x8000000000000000ull);
}
END_TEST

START_TEST(test_xsave_xrstor)
{
    point_rdi();
    H.cpu.gpr[R_AX] = 3;
    H.cpu.gpr[R_DX] = 0;
    for (int i = 0; i < 64; i++)
        wr(DATA + 512 + i, 0, 1);
    /* fldz; xsave [rdi] */
    ck_assert_int_eq(RUN(0xd9, 0xee, 0x0f, 0xae, 0x27), -1);
    ck_assert_uint_eq(rd(DATA + 512, 8), 3);      /* XSTATE_BV */
    ck_assert_uint_eq(rd(DATA + 520, 8), 0);      /* standard form */
    ck_assert_uint_eq(rd(DATA + 4, 1), 0x80);
    /* XRSTOR with XSTATE_BV[0] = 0 puts the x87 state in its initial form. */
    wr(DATA + 512, 2, 8);
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x2f), -1);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0xffff);
    ck_assert_uint_eq(H.cpu.fpu.fsw, 0);
    /* A bit outside XCR0 in XSTATE_BV: #GP. */
    wr(DATA + 512, 4, 8);
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x2f), EXC_GP);
    wr(DATA + 512, 3, 8);
    /* XSAVEC writes the compacted header. */
    ck_assert_int_eq(RUN(0x0f, 0xc7, 0x27), -1);
    ck_assert_uint_eq(rd(DATA + 520, 8), 0x8000000000000003ull);
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x2f), -1);
    /* Misaligned: #GP; without CR4.OSXSAVE: #UD. */
    H.cpu.gpr[R_DI] = DATA + 16;
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x27), EXC_GP);
    H.cpu.cr4 &= ~CR4_OSXSAVE;
    point_rdi();
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x27), EXC_UD);
}
END_TEST

START_TEST(test_isa_gating)
{
    model.isa_mask &= ~(1ull << ISA_SSE3);
    point_rdi();
    ck_assert_int_eq(RUN(0xdf, 0x0f), EXC_UD); /* fisttp */
    model.isa_mask &= ~(1ull << ISA_X87);
    ck_assert_int_eq(RUN(0xd9, 0xe8), EXC_UD);
    model.isa_mask &= ~(1ull << ISA_MMX);
    ck_assert_int_eq(RUN(0x0f, 0x77), EXC_UD);
}
END_TEST

/* ---- arithmetic known answers (any host) -------------------------------- */

START_TEST(test_known_answers)
{
    point_rdi();
    wr(DATA, 3, 4);      /* int 3 */
    wr(DATA + 8, 0x40000000, 4); /* 2.0f */
    /* fild dword [rdi]; fmul dword [rdi+8] */
    ck_assert_int_eq(RUN(0xdb, 0x07, 0xd8, 0x4f, 0x08), -1);
    ck_assert_uint_eq(st(0).sign_exp, 0x4001);
    ck_assert_uint_eq(st(0).mant, 0xc000000000000000ull); /* 6.0 */
    /* fistp word [rdi+16] */
    ck_assert_int_eq(RUN(0xdf, 0x5f, 0x10), -1);
    ck_assert_uint_eq(rd(DATA + 16, 2), 6);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0xffff);
    /* fldpi; fld1; fcomip st1; fstp st0 -> CF (1 < pi) */
    ck_assert_int_eq(RUN(0xd9, 0xeb, 0xd9, 0xe8, 0xdf, 0xf1), -1);
    ck_assert_uint_eq(H.cpu.rflags & (F_CF | F_ZF | F_PF), F_CF);
    /* fbstp of pi rounded: 3 */
    ck_assert_int_eq(RUN(0xdf, 0x37), -1);
    ck_assert_uint_eq(rd(DATA, 8), 3);
    ck_assert_uint_eq(rd(DATA + 8, 2), 0);
    /* Rounding-dependent constant: FLDPI rounded down. */
    H.cpu.fpu.fcw = 0x077f;
    ck_assert_int_eq(RUN(0xd9, 0xeb), -1);
    ck_assert_uint_eq(st(0).mant, 0xc90fdaa22168c234ull);
}
END_TEST

/* ---- MMX ------------------------------------------------------------------ */

START_TEST(test_mmx_basics)
{
    point_rdi();
    H.cpu.fpu.fsw = 5u << 11;
    wr(DATA, 0x00ff7fff80000001ull, 8);
    /* movq mm0, [rdi]; movq mm1, mm0; paddsw mm1, mm0; movq [rdi+8], mm1 */
    ck_assert_int_eq(RUN(0x0f, 0x6f, 0x07, 0x0f, 0x6f, 0xc8, 0x0f, 0xed, 0xc8, 0x0f, 0x7f, 0x4f,
                         0x08),
                     -1);
    ck_assert_uint_eq(rd(DATA + 8, 8), 0x01fe7fff80000002ull);
    ck_assert_uint_eq(x87_top(&H.cpu), 0);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0);
    ck_assert_uint_eq(H.cpu.fpu.st[1].sign_exp, 0xffff);
    /* psllq mm1, 8; punpcklbw mm2, mm1 */
    ck_assert_int_eq(RUN(0x0f, 0x73, 0xf1, 0x08), -1);
    ck_assert_uint_eq(H.cpu.fpu.st[1].mant, 0xfe7fff8000000200ull);
    H.cpu.fpu.st[2].mant = 0;
    ck_assert_int_eq(RUN(0x0f, 0x60, 0xd1), -1);
    ck_assert_uint_eq(H.cpu.fpu.st[2].mant, 0x0000000002000000ull);
    /* movd eax, mm1; emms */
    ck_assert_int_eq(RUN(0x0f, 0x7e, 0xc8, 0x0f, 0x77), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_AX], 0x00000200);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0xffff);
}
END_TEST

static Suite *x87_suite(void)
{
    Suite *s = suite_create("ops_x87");
    TCase *tc = tcase_create("x87_64");
    tcase_add_checked_fixture(tc, setup64, teardown);
    tcase_add_test(tc, test_fninit_state);
    tcase_add_test(tc, test_has_fpu_probe);
    tcase_add_test(tc, test_fnstsw_ax_fldcw);
    tcase_add_test(tc, test_nm_on_em_ts);
    tcase_add_test(tc, test_unmasked_zero_divide_then_mf);
    tcase_add_test(tc, test_ferr_path_without_ne);
    tcase_add_test(tc, test_fldcw_unmask_sets_es);
    tcase_add_test(tc, test_stack_overflow_underflow);
    tcase_add_test(tc, test_pointers_recorded);
    tcase_add_test(tc, test_fnstenv32_and_fldenv);
    tcase_add_test(tc, test_fnsave_frstor_16bit_protected);
    tcase_add_test(tc, test_fxsave_layout_and_checks);
    tcase_add_test(tc, test_xsave_xrstor);
    tcase_add_test(tc, test_isa_gating);
    tcase_add_test(tc, test_known_answers);
    tcase_add_test(tc, test_mmx_basics);
    tcase_add_test(tc, test_fstp_m32_unmasked_overflow);
    suite_add_tcase(s, tc);
    TCase *t32 = tcase_create("x87_32");
    tcase_add_checked_fixture(t32, setup32, teardown);
    tcase_add_test(t32, test_fxsave_32bit);
    suite_add_tcase(s, t32);
    TCase *tr = tcase_create("x87_real");
    tcase_add_checked_fixture(tr, setup16, teardown);
    tcase_add_test(tr, test_fnsave_real_mode);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(x87_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

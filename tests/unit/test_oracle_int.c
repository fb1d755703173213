/* Host-CPU oracle for the integer instruction set: random instruction
 * sequences built from templates run natively (x86-64 hosts only) and in
 * turtles' handlers; every GPR, the flags the SDM defines, and the touched
 * memory must agree. Divide faults are compared too (native: SIGFPE).
 *
 * Layout shared by both sides (identity-mapped in turtles' 64-bit harness,
 * mapped at the same addresses on the host):
 *   CODE_ADDR   the sequence (host: inside a prologue/epilogue)
 *   DATA_ADDR   data region; r15 points at its middle for memory operands
 *   STACK_ADDR  stack region; rsp starts near its top
 *
 * What each generated instruction does to the flags comes from the opcode
 * table (EF column, narrowed by cpu/flags_table.h for shift counts): the
 * flags the SDM leaves undefined are tracked through each sequence and
 * masked, and a flag-reading instruction after them gets a CMP first, so
 * no undefined value feeds a later instruction and the test holds on any
 * x86-64 host. Undefined register results are avoided or overwritten by
 * construction (BSF/BSR zero source, 16-bit SHLD/SHRD counts above 16,
 * BSWAP r16). Only instructions the host's CPUID reports are generated;
 * ORACLE_STRICT=1 compares the undefined values too (meaningful on an Intel
 * host only: turtles follows Intel there).
 *
 * Environment: ORACLE_SEED (default fixed), ORACLE_INSNS (default 1000000,
 * 100000 under ASan),
 * ORACLE_ONLY=template (one family), ORACLE_STRICT=1 (compare undefined
 * flags and undefined 16-bit SHLD/SHRD/BSWAP results too), ORACLE_PRINT=n
 * (mismatches printed in detail, default 20). */
#define _GNU_SOURCE
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/flags_table.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"
#include "tests/unit/oracle_common.h"

#if defined(__x86_64__)

#define REGION_BASE 0xc00000ull
#define REGION_SIZE 0x40000ull
#define CODE_ADDR 0xc00000ull
#define SEQ_OFFSET 0x400u   /* sequence start inside the code page */
#define DATA_ADDR 0xc10000ull
#define DATA_SIZE 0x1000u
#define DATA_MID (DATA_ADDR + 0x800)
#define STACK_ADDR 0xc20000ull
#define STACK_SIZE 0x2000u
#define STACK_TOP (STACK_ADDR + 0x1800)
#define STATE_ADDR 0xc30000ull
#define SCRATCH_STACK 0xc38000ull

#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

struct state {
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t host_rsp;
};

static struct state *host_state;
static uint8_t *host_code;
static uint64_t rng_state;
static struct harness H;
static struct cpu_model oracle_model;
static bool strict_flags; /* ORACLE_STRICT=1: compare undefined flags too */

static uint64_t rnd(void)
{
    return oracle_rand(&rng_state);
}

static unsigned rn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* Operand values that exercise carries, signs and zero. */
static uint64_t interesting(void)
{
    static const uint64_t special[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                       0x7fffffff, 0x80000000, 0xffffffff,
                                       0x7fffffffffffffffull, 0x8000000000000000ull,
                                       ~0ull, ~1ull, 0x100, 0x10, 0xf, 9, 10};
    switch (rn(4)) {
    case 0: return special[rn(sizeof(special) / sizeof(special[0]))];
    case 1: return rnd() & 0xff;
    case 2: return (uint64_t)(int64_t)(int8_t)rnd();
    default: return rnd();
    }
}

/* General registers the templates may use freely: not RSP (the stack) and
 * not R15 (the data base). */
static const uint8_t free_regs[] = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};

static unsigned rreg(void)
{
    return free_regs[rn(sizeof(free_regs))];
}

/* A register other than the given ones. */
static unsigned rreg_not(unsigned a, unsigned b)
{
    unsigned r;
    do
        r = rreg();
    while (r == a || r == b);
    return r;
}

struct rm {
    bool mem;
    unsigned reg;   /* register form */
    int8_t disp;    /* memory form: [r15 + disp] */
};

static struct rm rm_reg(unsigned r)
{
    return (struct rm){.mem = false, .reg = r};
}

static struct rm rm_mem(int align)
{
    int d = (int)rn(256) - 128;
    d &= ~(align - 1);
    return (struct rm){.mem = true, .disp = (int8_t)d};
}

/* Emit prefixes, REX, opcode bytes, ModRM, displacement. size: operand size
 * (1 means a byte operation: no 66/REX.W). For byte operations without REX,
 * registers 4-7 mean AH..BH; `rex_force` emits a REX anyway (SPL..DIL
 * naming). `mand` is a mandatory prefix (0x66/0xf2/0xf3) or 0. */
static void emit_rm(struct enc *e, unsigned mand, unsigned size, bool rex_force,
                    const uint8_t *op, unsigned oplen, unsigned reg, struct rm rm)
{
    if (size == 2 && mand != 0x66)
        e8(e, 0x66);
    if (mand)
        e8(e, (uint8_t)mand);
    unsigned rex = 0x40;
    if (size == 8)
        rex |= 8;
    if (reg & 8)
        rex |= 4;
    unsigned rmreg = rm.mem ? 15 : rm.reg;
    if (rmreg & 8)
        rex |= 1;
    if (rex != 0x40 || rex_force)
        e8(e, (uint8_t)rex);
    for (unsigned i = 0; i < oplen; i++)
        e8(e, op[i]);
    if (rm.mem) {
        e8(e, (uint8_t)(0x40 | (reg & 7) << 3 | 7));
        e8(e, (uint8_t)rm.disp);
    } else {
        e8(e, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm.reg & 7)));
    }
}

static void op1(struct enc *e, unsigned mand, unsigned size, bool rexf, uint8_t opc,
                unsigned reg, struct rm rm)
{
    emit_rm(e, mand, size, rexf, &opc, 1, reg, rm);
}

static void op2(struct enc *e, unsigned mand, unsigned size, bool rexf, uint8_t opc,
                unsigned reg, struct rm rm)
{
    uint8_t o[2] = {0x0f, opc};
    emit_rm(e, mand, size, rexf, o, 2, reg, rm);
}

static void imm(struct enc *e, unsigned size, uint64_t v)
{
    if (size == 1)
        e8(e, (uint8_t)v);
    else if (size == 2)
        e16(e, (uint16_t)v);
    else
        e32(e, (uint32_t)v);
}

static unsigned rsize(void)
{
    static const unsigned s[] = {1, 2, 4, 8};
    return s[rn(4)];
}

static unsigned rsize_nb(void)
{
    static const unsigned s[] = {2, 4, 8};
    return s[rn(3)];
}

/* Operands for a byte or wider operation: picks reg and r/m (register or
 * memory) and whether a REX prefix is forced, consistent with the AH..BH
 * rules. */
struct ops {
    unsigned reg;
    struct rm rm;
    bool rexf;
};

static struct ops pick_ops(unsigned size, bool allow_mem, int align)
{
    struct ops o;
    bool mem = allow_mem && rn(3) == 0;
    if (size == 1 && !mem && rn(2)) {
        /* Legacy byte registers, AH..BH included: no REX at all. */
        o.reg = rn(8);
        o.rm = rm_reg(rn(8));
        o.rexf = false;
        return o;
    }
    o.reg = rreg();
    o.rm = mem ? rm_mem(align) : rm_reg(rreg());
    o.rexf = size == 1;
    return o;
}

/* lea r64, [r15 + disp32] */
static void lea_r15(struct enc *e, unsigned r, int32_t d)
{
    e8(e, (uint8_t)(0x49 | ((r & 8) ? 4 : 0)));
    e8(e, 0x8d);
    e8(e, (uint8_t)(0x80 | (r & 7) << 3 | 7));
    e32(e, (uint32_t)d);
}

/* ---- templates ---- */

static void t_alu(struct enc *e)
{
    unsigned op = rn(8), size = rsize(), form = rn(4);
    struct ops o = pick_ops(size, form < 3, 1);
    bool lock = o.rm.mem && op != 7 && rn(4) == 0 && form != 1;
    if (lock)
        e8(e, 0xf0);
    switch (form) {
    case 0: op1(e, 0, size, o.rexf, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)), o.reg, o.rm); break;
    case 1: op1(e, 0, size, o.rexf, (uint8_t)(op * 8 + (size == 1 ? 2 : 3)), o.reg, o.rm); break;
    case 2: {
        uint8_t opc = size == 1 ? 0x80 : (rn(2) ? 0x83 : 0x81);
        op1(e, 0, size, o.rexf, opc, op, o.rm);
        imm(e, opc == 0x81 ? size : 1, interesting());
        break;
    }
    default:
        if (size == 2)
            e8(e, 0x66);
        if (size == 8)
            e8(e, 0x48);
        e8(e, (uint8_t)(op * 8 + (size == 1 ? 4 : 5)));
        imm(e, size, interesting());
        break;
    }
}

static void t_incdec(struct enc *e)
{
    unsigned size = rsize(), k = rn(6);
    struct ops o = pick_ops(size, true, 1);
    if (o.rm.mem && k < 4 && rn(4) == 0)
        e8(e, 0xf0);
    switch (k) {
    case 0: case 1: /* inc/dec */
        op1(e, 0, size, o.rexf, size == 1 ? 0xfe : 0xff, k, o.rm);
        return;
    case 2: case 3: /* not/neg */
        op1(e, 0, size, o.rexf, size == 1 ? 0xf6 : 0xf7, k, o.rm);
        return;
    case 4: /* test r/m, imm */
        op1(e, 0, size, o.rexf, size == 1 ? 0xf6 : 0xf7, 0, o.rm);
        imm(e, size, interesting());
        return;
    default: /* test r/m, r */
        op1(e, 0, size, o.rexf, size == 1 ? 0x84 : 0x85, o.reg, o.rm);
        return;
    }
}

static void t_shift(struct enc *e)
{
    unsigned op = rn(8), size = rsize(), count, form = rn(3);
    if (form == 2) {
        /* by CL: set CL first, so the count is known here; the shifted
         * operand is never CL/CH/CX/ECX/RCX. */
        unsigned v = rn(4) ? rn(72) : rn(256);
        struct ops o = pick_ops(size, true, 1);
        if (!o.rm.mem && o.rm.reg == 1)
            o.rm.reg = 2;
        if (!o.rm.mem && size == 1 && !o.rexf && o.rm.reg == 5)
            o.rm.reg = 6;
        e8(e, 0xb1);
        e8(e, (uint8_t)v);
        op1(e, 0, size, o.rexf, size == 1 ? 0xd2 : 0xd3, op, o.rm);
        count = v;
    } else {
        struct ops o = pick_ops(size, true, 1);
        if (form == 1) {
            op1(e, 0, size, o.rexf, size == 1 ? 0xd0 : 0xd1, op, o.rm);
            count = 1;
        } else {
            count = rn(3) ? rn(70) : rn(256);
            op1(e, 0, size, o.rexf, size == 1 ? 0xc0 : 0xc1, op, o.rm);
            e8(e, (uint8_t)count);
        }
    }
}

static void t_shld(struct enc *e)
{
    unsigned size = rsize_nb(), right = rn(2);
    unsigned reg = rreg_not(1, 1);
    struct rm rm = rn(3) == 0 ? rm_mem(1) : rm_reg(rreg_not(1, 1));
    unsigned count = rn(4) ? rn(40) : rn(256);
    unsigned c = count & (size == 8 ? 0x3f : 0x1f);
    if (size == 2 && c > 16 && !strict_flags) {
        /* The result is undefined there (Intel and AMD differ); turtles
         * follows Intel, which only the strict mode checks. */
        count = c = 16;
    }
    if (rn(2)) {
        e8(e, 0xb1);
        e8(e, (uint8_t)count);
        op2(e, 0, size, false, right ? 0xad : 0xa5, reg, rm);
    } else {
        op2(e, 0, size, false, right ? 0xac : 0xa4, reg, rm);
        e8(e, (uint8_t)count);
    }
    if (c == 0)
        return;
}

static void t_muldiv(struct enc *e)
{
    unsigned size = rsize(), k = rn(7);
    struct ops o = pick_ops(size, true, 1);
    if (k >= 4 && rn(2)) {
        /* Make the quotient fit more often: a small high half. */
        if (size == 1) {
            e8(e, 0x66); e8(e, 0x25); e16(e, (uint16_t)rn(0x200)); /* and ax, imm */
        } else if (rn(2)) {
            e8(e, 0x31); e8(e, 0xd2);   /* xor edx, edx */
        } else {
            if (size == 2)
                e8(e, 0x66);
            if (size == 8)
                e8(e, 0x48);
            e8(e, 0x99);                /* cwd/cdq/cqo */
        }
        if (!o.rm.mem && (o.rm.reg == 2 || (size == 1 && !o.rexf && o.rm.reg == 6)))
            o.rm.reg = 3;
    }
    switch (k) {
    case 0: case 1: /* mul, imul */
        op1(e, 0, size, o.rexf, size == 1 ? 0xf6 : 0xf7, 4 + k, o.rm);
        return;
    case 2: case 3: /* imul r, r/m [, imm] */
        if (size == 1)
            size = 4;
        o.rexf = false;
        if (o.rm.mem == false && size != 1)
            o.rm.reg = o.rm.reg == 4 ? 5 : o.rm.reg;
        if (k == 2) {
            op2(e, 0, size, false, 0xaf, o.reg == 4 ? 5 : o.reg, o.rm);
        } else if (rn(2)) {
            op1(e, 0, size, false, 0x6b, o.reg == 4 ? 5 : o.reg, o.rm);
            e8(e, (uint8_t)interesting());
        } else {
            op1(e, 0, size, false, 0x69, o.reg == 4 ? 5 : o.reg, o.rm);
            imm(e, size, interesting());
        }
        return;
    default: /* div, idiv */
        op1(e, 0, size, o.rexf, size == 1 ? 0xf6 : 0xf7, 6 + (k & 1), o.rm);
        return;
    }
}

static void t_bt(struct enc *e)
{
    unsigned size = rsize_nb(), op = rn(4), form = rn(3);
    struct rm rm = rn(2) ? rm_mem(1) : rm_reg(rreg());
    bool lock = rm.mem && op && rn(4) == 0;
    if (form == 0) {
        if (lock)
            e8(e, 0xf0);
        op2(e, 0, size, false, 0xba, 4 + op, rm);
        e8(e, (uint8_t)rnd());
    } else {
        unsigned r = rreg_not(rm.mem ? 99 : rm.reg, 99);
        if (rm.mem) {
            /* A small signed bit offset: the access stays in the data region. */
            int v = (int)rn(1024) - 512;
            if (size == 2)
                v = (int)rn(512) - 256;
            e8(e, (uint8_t)(0x48 | ((r & 8) ? 1 : 0)));
            e8(e, 0xc7);
            e8(e, (uint8_t)(0xc0 | (r & 7)));
            e32(e, (uint32_t)v);
        }
        if (lock)
            e8(e, 0xf0);
        op2(e, 0, size, false, (uint8_t)(0xa3 + op * 8), r, rm);
    }
}

static void t_bitscan(struct enc *e)
{
    unsigned size = rsize_nb(), k = rn(5);
    struct rm rm = rn(3) == 0 ? rm_mem(1) : rm_reg(rreg());
    unsigned reg = rreg();
    if (rn(4) == 0 && !rm.mem) {
        /* zero source sometimes */
        e8(e, (uint8_t)(0x48 | ((rm.reg & 8) ? 5 : 0)));
        e8(e, 0x31);
        e8(e, (uint8_t)(0xc0 | (rm.reg & 7) << 3 | (rm.reg & 7)));
    }
    switch (k) {
    case 0: case 1:
        op2(e, 0, size, false, k ? 0xbd : 0xbc, reg, rm);
        /* BSF/BSR leave the destination undefined for a zero source (SDM
         * Vol.2 BSF, BSR; result_undefined()): cmovz reg, r/m (64-bit)
         * gives it a value both sides agree on before anything reads it. */
        op2(e, 0, 8, false, 0x44, reg, rm);
        break;
    case 2: op2(e, 0xf3, size, false, 0xbc, reg, rm); break;
    case 3: op2(e, 0xf3, size, false, 0xbd, reg, rm); break;
    default: op2(e, 0xf3, size, false, 0xb8, reg, rm); break;
    }
}

static void t_bytes(struct enc *e)
{
    unsigned k = rn(4);
    if (k == 0) { /* bswap r32/r64 (r16 is undefined: strict mode only) */
        unsigned r = rreg(), size = rn(2) ? 4 : 8;
        if (strict_flags && rn(4) == 0) {
            size = 4;
            e8(e, 0x66);
        }
        unsigned rex = 0x40 | (size == 8 ? 8 : 0) | ((r & 8) ? 1 : 0);
        if (rex != 0x40)
            e8(e, (uint8_t)rex);
        e8(e, 0x0f);
        e8(e, (uint8_t)(0xc8 | (r & 7)));
    } else if (k == 1) { /* movbe */
        unsigned size = rsize_nb();
        uint8_t o[3] = {0x0f, 0x38, (uint8_t)(0xf0 | rn(2))};
        emit_rm(e, 0, size, false, o, 3, rreg(), rm_mem(1));
    } else { /* crc32 */
        unsigned size = rsize();
        struct ops o = pick_ops(size, true, 1);
        uint8_t opb[3] = {0x0f, 0x38, size == 1 ? 0xf0 : 0xf1};
        /* The destination is 32-bit, or 64-bit with REX.W for the byte and
         * quadword forms. */
        if (size == 1 && rn(2)) {
            o.reg = rreg(); /* REX present: no AH..BH, and never RSP */
            if (!o.rm.mem)
                o.rm.reg = rreg();
            e8(e, 0xf2);
            unsigned rex = 0x48 | ((o.reg & 8) ? 4 : 0) | ((o.rm.mem ? 15 : o.rm.reg) & 8 ? 1 : 0);
            e8(e, (uint8_t)rex);
            e8(e, 0x0f); e8(e, 0x38); e8(e, 0xf0);
            if (o.rm.mem) {
                e8(e, (uint8_t)(0x40 | (o.reg & 7) << 3 | 7));
                e8(e, (uint8_t)o.rm.disp);
            } else {
                e8(e, (uint8_t)(0xc0 | (o.reg & 7) << 3 | (o.rm.reg & 7)));
            }
        } else {
            if (size == 1 && !o.rexf)
                o.reg &= 3; /* destination AL..BL is a 32-bit register */
            emit_rm(e, 0xf2, size, o.rexf, opb, 3, o.reg, o.rm);
        }
    }
}

static void t_cc(struct enc *e)
{
    unsigned cc = rn(16), k = rn(2);
    if (k == 0) {
        unsigned size = rsize_nb();
        struct rm rm = rn(3) == 0 ? rm_mem(1) : rm_reg(rreg());
        op2(e, 0, size, false, (uint8_t)(0x40 + cc), rreg(), rm);
    } else {
        struct ops o = pick_ops(1, true, 1);
        op2(e, 0, 1, o.rexf, (uint8_t)(0x90 + cc), 0, o.rm);
    }
}

static void t_xchg(struct enc *e)
{
    unsigned size = rsize(), k = rn(6);
    struct ops o = pick_ops(size, true, 1);
    switch (k) {
    case 0:
        op1(e, 0, size, o.rexf, size == 1 ? 0x86 : 0x87, o.reg, o.rm);
        return;
    case 1: { /* 90+r, including REX.B 90 */
        unsigned r = rreg(), sz = rsize_nb();
        if (sz == 2)
            e8(e, 0x66);
        unsigned rex = 0x40 | (sz == 8 ? 8 : 0) | ((r & 8) ? 1 : 0);
        if (rex != 0x40)
            e8(e, (uint8_t)rex);
        e8(e, (uint8_t)(0x90 | (r & 7)));
        return;
    }
    case 2:
        if (o.rm.mem && rn(2))
            e8(e, 0xf0);
        op2(e, 0, size, o.rexf, size == 1 ? 0xc0 : 0xc1, o.reg, o.rm);
        return;
    case 3: case 4:
        if (o.rm.mem && rn(2))
            e8(e, 0xf0);
        if (k == 4 && !o.rm.mem) {
            /* equal operands: make the accumulator match the destination */
            o.rm.reg = 0;
        }
        op2(e, 0, size, o.rexf, size == 1 ? 0xb0 : 0xb1, o.reg, o.rm);
        return;
    default: { /* cmpxchg8b / cmpxchg16b */
        bool w = rn(2);
        struct rm rm = rm_mem(w ? 16 : 8);
        if (rn(2)) {
            /* make the comparison succeed sometimes: load rdx:rax from it */
            e8(e, 0x49); e8(e, 0x8b); e8(e, 0x47); e8(e, (uint8_t)rm.disp);
            e8(e, 0x49); e8(e, 0x8b); e8(e, 0x57); e8(e, (uint8_t)(rm.disp + (w ? 8 : 4)));
        }
        if (rn(3) == 0)
            e8(e, 0xf0);
        uint8_t o2[2] = {0x0f, 0xc7};
        emit_rm(e, 0, w ? 8 : 4, false, o2, 2, 1, rm);
        return;
    }
    }
}

static void t_mov(struct enc *e)
{
    unsigned size = rsize(), k = rn(12);
    struct ops o = pick_ops(size, true, 1);
    switch (k) {
    case 0: op1(e, 0, size, o.rexf, size == 1 ? 0x88 : 0x89, o.reg, o.rm); break;
    case 1: op1(e, 0, size, o.rexf, size == 1 ? 0x8a : 0x8b, o.reg, o.rm); break;
    case 2:
        op1(e, 0, size, o.rexf, size == 1 ? 0xc6 : 0xc7, 0, o.rm);
        imm(e, size, interesting());
        break;
    case 3: { /* B0+r / B8+r */
        unsigned r = rreg();
        if (size == 2)
            e8(e, 0x66);
        unsigned rex = 0x40 | (size == 8 ? 8 : 0) | ((r & 8) ? 1 : 0);
        if (rex != 0x40 || size == 1)
            e8(e, (uint8_t)rex);
        e8(e, (uint8_t)((size == 1 ? 0xb0 : 0xb8) | (r & 7)));
        if (size == 8)
            e64(e, interesting());
        else
            imm(e, size, interesting());
        break;
    }
    case 4: case 5: { /* movzx/movsx */
        unsigned dsz = rsize_nb(), src = rn(2);
        struct ops so = pick_ops(src ? 2 : 1, true, 1);
        if (so.reg == 4)
            so.reg = 5; /* never write rSP */
        op2(e, 0, dsz, so.rexf && !src, (uint8_t)((k == 4 ? 0xb6 : 0xbe) + src), so.reg, so.rm);
        break;
    }
    case 6: { /* movsxd */
        unsigned dsz = rsize_nb();
        struct rm rm = rn(3) == 0 ? rm_mem(1) : rm_reg(rreg());
        op1(e, 0, dsz, false, 0x63, rreg(), rm);
        break;
    }
    case 7: { /* lea with SIB, scale, disp, address size */
        unsigned dsz = rsize_nb(), r = rreg(), base = rreg(), index = rreg();
        if (rn(2))
            e8(e, 0x67);
        if (dsz == 2)
            e8(e, 0x66);
        unsigned rex = 0x40 | (dsz == 8 ? 8 : 0) | ((r & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) |
                       ((base & 8) ? 1 : 0);
        if (rex != 0x40)
            e8(e, (uint8_t)rex);
        e8(e, 0x8d);
        unsigned mod = rn(3);
        if ((base & 7) == 5 && mod == 0)
            mod = 1;
        e8(e, (uint8_t)(mod << 6 | (r & 7) << 3 | 4));
        e8(e, (uint8_t)(rn(4) << 6 | (index & 7) << 3 | (base & 7)));
        if (mod == 1)
            e8(e, (uint8_t)rnd());
        else if (mod == 2)
            e32(e, (uint32_t)rnd());
        break;
    }
    case 8: /* cbw family */
        if (size == 1)
            size = 4;
        if (size == 2)
            e8(e, 0x66);
        if (size == 8)
            e8(e, 0x48);
        e8(e, rn(2) ? 0x98 : 0x99);
        break;
    case 9: { /* flags: clc stc cmc lahf sahf */
        static const uint8_t f[] = {0xf8, 0xf9, 0xf5, 0x9f, 0x9e};
        unsigned i = rn(5);
        e8(e, f[i]);
        break;
    }
    case 10: { /* xlat */
        e8(e, 0x49); e8(e, 0x8d); e8(e, 0x5f); e8(e, (uint8_t)(rn(128) - 128)); /* lea rbx,[r15+d] */
        e8(e, 0xd7);
        break;
    }
    default: { /* mov moffs */
        unsigned sz = rsize();
        uint64_t a = DATA_MID + rn(256) - 128;
        if (sz == 2)
            e8(e, 0x66);
        if (sz == 8)
            e8(e, 0x48);
        e8(e, (uint8_t)(0xa0 + (rn(2) ? 2 : 0) + (sz == 1 ? 0 : 1)));
        e64(e, a);
        break;
    }
    }
}

static void t_adx(struct enc *e)
{
    unsigned size = rn(2) ? 4 : 8, k = rn(2);
    struct rm rm = rn(3) == 0 ? rm_mem(1) : rm_reg(rreg());
    uint8_t o[3] = {0x0f, 0x38, 0xf6};
    emit_rm(e, k ? 0xf3 : 0x66, size, false, o, 3, rreg(), rm);
}

static void t_stack(struct enc *e)
{
    unsigned k = rn(9);
    unsigned sz = rn(4) ? 8 : 2;
    switch (k) {
    case 0: { /* push r / pop r */
        unsigned r = rreg();
        if (sz == 2)
            e8(e, 0x66);
        if (r & 8)
            e8(e, 0x41);
        e8(e, (uint8_t)((rn(2) ? 0x50 : 0x58) | (r & 7)));
        break;
    }
    case 1: /* push imm */
        if (sz == 2)
            e8(e, 0x66);
        if (rn(2)) {
            e8(e, 0x6a);
            e8(e, (uint8_t)rnd());
        } else {
            e8(e, 0x68);
            imm(e, sz == 2 ? 2 : 4, interesting());
        }
        break;
    case 2: case 3: { /* push r/m, pop r/m */
        struct rm rm = rn(2) ? rm_mem(1) : rm_reg(rreg());
        op1(e, 0, sz == 2 ? 2 : 4, false, k == 2 ? 0xff : 0x8f, k == 2 ? 6 : 0, rm);
        break;
    }
    case 4: { /* lea rbp,[rsp+d]; enter; sometimes leave */
        e8(e, 0x48); e8(e, 0x8d); e8(e, 0x6c); e8(e, 0x24); e8(e, (uint8_t)(rn(16) * 8));
        if (sz == 2)
            e8(e, 0x66);
        e8(e, 0xc8);
        e16(e, (uint16_t)rn(48));
        e8(e, (uint8_t)(rn(4) ? rn(6) : rn(256)));
        if (rn(2)) {
            if (sz == 2)
                e8(e, 0x66);
            e8(e, 0xc9);
        }
        break;
    }
    case 5: /* call +0; pop r */
        e8(e, 0xe8);
        e32(e, 0);
        e8(e, 0x58 | (uint8_t)rn(4));
        break;
    case 6: { /* lea r,[rip+k]; push r; ret [imm] */
        unsigned r = rreg(), imm16 = rn(2);
        unsigned plen = (r & 8) ? 2 : 1, rlen = imm16 ? 3 : 1;
        e8(e, (uint8_t)(0x48 | ((r & 8) ? 4 : 0)));
        e8(e, 0x8d);
        e8(e, (uint8_t)(0x05 | (r & 7) << 3));
        e32(e, plen + rlen);
        if (r & 8)
            e8(e, 0x41);
        e8(e, (uint8_t)(0x50 | (r & 7)));
        if (imm16) {
            e8(e, 0xc2);
            e16(e, (uint16_t)(rn(4) * 8));
        } else {
            e8(e, 0xc3);
        }
        break;
    }
    case 7: { /* lea r,[rip+k]; call/jmp r (skipping a 3-byte inc) */
        unsigned r = rreg(), call = rn(2);
        unsigned jlen = 2 + ((r & 8) ? 1 : 0);
        e8(e, (uint8_t)(0x48 | ((r & 8) ? 4 : 0)));
        e8(e, 0x8d);
        e8(e, (uint8_t)(0x05 | (r & 7) << 3));
        e32(e, jlen + 3);
        if (r & 8)
            e8(e, 0x41);
        e8(e, 0xff);
        e8(e, (uint8_t)(0xc0 | (call ? 2 : 4) << 3 | (r & 7)));
        e8(e, 0x48); e8(e, 0xff); e8(e, 0xc0 | (uint8_t)rn(4)); /* inc r (skipped) */
        break;
    }
    default: /* push, then pop into memory: [r15+d], or [rsp+d] which is
              * addressed with the incremented RSP */
        e8(e, 0x6a);
        e8(e, (uint8_t)rnd());
        if (rn(2)) {
            op1(e, 0, 4, false, 0x8f, 0, rm_mem(1));
        } else {
            e8(e, 0x8f); e8(e, 0x44); e8(e, 0x24); e8(e, (uint8_t)(rn(16) * 4));
        }
        break;
    }
}

static void t_branch(struct enc *e)
{
    unsigned k = rn(4), cc = rn(16);
    uint8_t skip[3] = {0x48, 0xff, (uint8_t)(0xc0 | rn(4))}; /* inc r64, 3 bytes */
    switch (k) {
    case 0:
        e8(e, (uint8_t)(0x70 + cc));
        e8(e, 3);
        break;
    case 1:
        e8(e, 0x0f);
        e8(e, (uint8_t)(0x80 + cc));
        e32(e, 3);
        break;
    case 2: { /* loop/loope/loopne/jrcxz, ECX with 67 */
        unsigned op = rn(4);
        skip[2] = 0xc0 | (uint8_t)(rn(2) ? 0 : 2); /* not rcx */
        e8(e, 0xb1);
        e8(e, (uint8_t)rn(3)); /* mov cl, 0..2 */
        if (rn(2))
            e8(e, 0x67);
        e8(e, (uint8_t)(0xe0 + op));
        e8(e, 3);
        for (int i = 0; i < 3; i++)
            e8(e, skip[i]);
        return;
    }
    default:
        e8(e, 0xeb);
        e8(e, 3);
        break;
    }
    for (int i = 0; i < 3; i++)
        e8(e, skip[i]);
    /* the inc may be skipped: it defines nothing for sure */
}

static void t_string(struct enc *e)
{
    static const uint8_t ops[] = {0xa4, 0xa6, 0xaa, 0xac, 0xae};
    unsigned k = rn(5), size = rsize(), rep = rn(4);
    bool a32 = rn(4) == 0;
    lea_r15(e, 6, (int32_t)rn(512) - 256);
    lea_r15(e, 7, (int32_t)rn(512) - 256);
    e8(e, 0xb9);
    e32(e, rn(4) ? rn(12) : rn(40)); /* mov ecx, n */
    e8(e, rn(3) == 0 ? 0xfd : 0xfc);  /* std / cld */
    if (rn(4) == 0) {
        static const uint8_t nullseg[] = {0x26, 0x2e, 0x36, 0x3e}; /* no base in 64-bit mode */
        e8(e, nullseg[rn(4)]);
    }
    if (a32)
        e8(e, 0x67);
    if (size == 2)
        e8(e, 0x66);
    if (rep == 1)
        e8(e, 0xf3);
    else if (rep == 2)
        e8(e, 0xf2);
    else if (rep == 3)
        e8(e, rn(2) ? 0xf3 : 0xf2);
    if (size == 8)
        e8(e, 0x48);
    e8(e, (uint8_t)(ops[k] + (size == 1 ? 0 : 1)));
    /* CMPS/SCAS set the flags unless the REP count is 0, so nothing is
     * defined for sure; DF from the std/cld is compared at the end. */
}

struct templ {
    void (*fn)(struct enc *e);
    unsigned weight;
    const char *name;
};

static const struct templ templates[] = {
    {t_alu, 10, "alu"}, {t_incdec, 5, "incdec"}, {t_shift, 10, "shift"},
    {t_shld, 4, "shld"}, {t_muldiv, 6, "muldiv"}, {t_bt, 4, "bt"},
    {t_bitscan, 4, "bitscan"}, {t_bytes, 3, "bytes"}, {t_cc, 4, "cc"},
    {t_xchg, 5, "xchg"}, {t_mov, 8, "mov"}, {t_adx, 2, "adx"},
    {t_stack, 5, "stack"}, {t_branch, 4, "branch"}, {t_string, 4, "string"},
};
#define NTEMPL (sizeof(templates) / sizeof(templates[0]))

/* Per instruction start offset: the flags undefined before it (for
 * comparing at a fault). */
struct seq {
    struct enc code;
    uint16_t insn_off[512];
    uint32_t undef_before[512];
    unsigned ninsns;
    uint32_t undef_end;
};

static const char *only_templ; /* ORACLE_ONLY=name restricts the mix */

static unsigned templ_weight(unsigned i)
{
    if (only_templ && strcmp(only_templ, templates[i].name))
        return 0;
    return templates[i].weight;
}

static void gen_seq(struct seq *s, unsigned ntempl)
{
    unsigned total = 0;
    for (unsigned i = 0; i < NTEMPL; i++)
        total += templ_weight(i);
    s->code.n = 0;
    s->ninsns = 0;
    uint32_t undef = 0;
    for (unsigned t = 0; t < ntempl; t++) {
        struct enc tmp;
        uint32_t reads, u;
        do {
            unsigned w = rn(total), i = 0;
            while (w >= templ_weight(i))
                w -= templ_weight(i), i++;
            tmp.n = 0;
            templates[i].fn(&tmp);
            u = 0;
        } while (!oracle_walk_flags(&tmp, 8, &u, &reads, 0, NULL, NULL, NULL));
        if (reads & undef) {
            /* cmp rA, rB: defines all six flags before a reader */
            s->insn_off[s->ninsns] = (uint16_t)s->code.n;
            s->undef_before[s->ninsns++] = undef;
            e8(&s->code, 0x48);
            e8(&s->code, 0x39);
            e8(&s->code, (uint8_t)(0xc0 | rn(4) << 3 | rn(4)));
            undef = 0;
        }
        oracle_walk_flags(&tmp, 8, &undef, &reads, s->code.n, s->insn_off, s->undef_before,
                          &s->ninsns);
        memcpy(s->code.b + s->code.n, tmp.b, tmp.n);
        s->code.n += tmp.n;
    }
    s->undef_end = undef;
}

static uint32_t undef_at(const struct seq *s, uint64_t off)
{
    uint32_t u = 0;
    for (unsigned i = 0; i < s->ninsns; i++)
        if (s->insn_off[i] <= off)
            u = s->undef_before[i];
    return u;
}

/* ---- native side ---- */

/* Prologue/epilogue around the sequence (host code). */
static unsigned build_native(const struct seq *s)
{
    struct enc e = {.n = 0};
    static const uint8_t push_callee[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
    for (unsigned i = 0; i < sizeof(push_callee); i++)
        e8(&e, push_callee[i]);
    uint32_t st = (uint32_t)STATE_ADDR;
    /* mov [state.host_rsp], rsp */
    e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0x24); e8(&e, 0x25); e32(&e, st + 16 * 8 + 8);
    /* push qword [state.rflags]; popfq */
    e8(&e, 0xff); e8(&e, 0x34); e8(&e, 0x25); e32(&e, st + 16 * 8);
    e8(&e, 0x9d);
    /* mov reg, [state.gpr[reg]] for all 16; RSP last */
    for (unsigned r = 0; r < 16; r++) {
        unsigned reg = r == 15 ? 4 : (r == 4 ? 15 : r);
        e8(&e, (uint8_t)(0x48 | ((reg & 8) ? 4 : 0)));
        e8(&e, 0x8b);
        e8(&e, (uint8_t)(0x04 | (reg & 7) << 3));
        e8(&e, 0x25);
        e32(&e, st + reg * 8);
    }
    while (e.n < SEQ_OFFSET)
        e8(&e, 0x90);
    memcpy(e.b + e.n, s->code.b, s->code.n);
    e.n += s->code.n;
    for (unsigned reg = 0; reg < 16; reg++) {
        e8(&e, (uint8_t)(0x48 | ((reg & 8) ? 4 : 0)));
        e8(&e, 0x89);
        e8(&e, (uint8_t)(0x04 | (reg & 7) << 3));
        e8(&e, 0x25);
        e32(&e, st + reg * 8);
    }
    /* mov rsp, scratch; pushfq; pop rax; mov [state.rflags], rax */
    e8(&e, 0x48); e8(&e, 0xc7); e8(&e, 0xc4); e32(&e, (uint32_t)SCRATCH_STACK);
    e8(&e, 0x9c);
    e8(&e, 0x58);
    e8(&e, 0x48); e8(&e, 0x89); e8(&e, 0x04); e8(&e, 0x25); e32(&e, st + 16 * 8);
    e8(&e, 0xfc); /* cld: the C code after us needs DF = 0 */
    /* mov rsp, [state.host_rsp] */
    e8(&e, 0x48); e8(&e, 0x8b); e8(&e, 0x24); e8(&e, 0x25); e32(&e, st + 16 * 8 + 8);
    static const uint8_t pop_callee[] = {0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3};
    for (unsigned i = 0; i < sizeof(pop_callee); i++)
        e8(&e, pop_callee[i]);
    memcpy(host_code, e.b, e.n);
    return e.n;
}

struct outcome {
    uint64_t gpr[16];
    uint64_t rflags;
    int fault;        /* -1 none, else vector */
    uint64_t fault_rip;
};

static const int greg_of[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
                                REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
                                REG_R14, REG_R15};

static void run_native(const struct seq *s, const uint64_t in_gpr[16], uint64_t in_flags,
                       struct outcome *out)
{
    build_native(s);
    memcpy(host_state->gpr, in_gpr, sizeof(host_state->gpr));
    host_state->rflags = in_flags;
    oracle_fault.sig = 0;
    if (sigsetjmp(oracle_fault.jmp, 1) == 0) {
        ((void (*)(void))(uintptr_t)CODE_ADDR)();
        memcpy(out->gpr, host_state->gpr, sizeof(out->gpr));
        out->rflags = host_state->rflags;
        out->fault = -1;
    } else {
        const greg_t *g = oracle_fault.uc.uc_mcontext.gregs;
        for (int r = 0; r < 16; r++)
            out->gpr[r] = (uint64_t)g[greg_of[r]];
        out->rflags = (uint64_t)g[REG_EFL];
        out->fault_rip = (uint64_t)g[REG_RIP];
        out->fault = oracle_fault.sig == SIGFPE ? EXC_DE : oracle_fault.sig == SIGILL ? EXC_UD : 255;
    }
}

/* ---- turtles side ---- */


static uint64_t turtles_insns;

/* A minimal dispatch loop: decode each instruction and run its handler,
 * catching the exception the handler raises. */
static void run_turtles(const struct seq *s, const uint64_t in_gpr[16], uint64_t in_flags,
                        struct outcome *out)
{
    struct cpu *c = &H.cpu;
    uint64_t start = CODE_ADDR + SEQ_OFFSET, end = start + s->code.n;
    physmem_write_buf(&H.mem, start, s->code.b, s->code.n);
    memcpy(c->gpr, in_gpr, sizeof(c->gpr));
    c->rflags = in_flags;
    c->rip = start;
    out->fault = -1;
    struct insn in;
    unsigned steps = 0;
    while (c->rip != end && steps++ < 100000) {
        if (decode_insn(&in, 8, oracle_model.isa_mask, oracle_fetch_phys, &H.mem, c->rip) != DECODE_OK) {
            out->fault = EXC_UD;
            out->fault_rip = c->rip;
            break;
        }
        c->next_rip = c->rip + in.len;
        c->stop_block = false;
        if (setjmp(c->exc_jmp)) {
            out->fault = c->exc_vector;
            out->fault_rip = c->rip;
            break;
        }
        in.fn(c, &in);
        c->rip = c->next_rip;
        c->icount++;
        turtles_insns++;
    }
    memcpy(out->gpr, c->gpr, sizeof(out->gpr));
    out->rflags = c->rflags;
}

/* ---- the test ---- */

static uint8_t init_data[DATA_SIZE], init_stack[STACK_SIZE];
static unsigned mismatches, printed, max_print = 20;

static void dump_seq(const struct seq *s)
{
    fprintf(stderr, "  code:");
    for (unsigned i = 0; i < s->code.n; i++)
        fprintf(stderr, " %02x", s->code.b[i]);
    fprintf(stderr, "\n");
}

static void report(const struct seq *s, const char *what, unsigned idx, uint64_t native,
                   uint64_t emu, const uint64_t *in_gpr, uint64_t in_flags)
{
    mismatches++;
    if (printed++ >= max_print)
        return;
    fprintf(stderr, "mismatch: %s[%u] native %016llx turtles %016llx (flags in %llx)\n", what,
            idx, (unsigned long long)native, (unsigned long long)emu,
            (unsigned long long)in_flags);
    for (int r = 0; r < 16; r++)
        fprintf(stderr, "  in r%-2d %016llx\n", r, (unsigned long long)in_gpr[r]);
    dump_seq(s);
}

static bool compare(const struct seq *s, const struct outcome *n, const struct outcome *t,
                    const uint64_t in_gpr[16], uint64_t in_flags)
{
    unsigned before = mismatches;
    uint32_t undef = strict_flags ? 0 : s->undef_end;
    if (n->fault != t->fault) {
        report(s, "fault", 0, (uint64_t)n->fault, (uint64_t)t->fault, in_gpr, in_flags);
        return false;
    }
    if (n->fault >= 0) {
        if (n->fault_rip != t->fault_rip)
            report(s, "fault_rip", 0, n->fault_rip, t->fault_rip, in_gpr, in_flags);
        undef = strict_flags ? 0 : undef_at(s, t->fault_rip - CODE_ADDR - SEQ_OFFSET);
    }
    for (int r = 0; r < 16; r++)
        if (n->gpr[r] != t->gpr[r])
            report(s, "gpr", (unsigned)r, n->gpr[r], t->gpr[r], in_gpr, in_flags);
    uint64_t fm = (ARITH | F_DF) & ~undef;
    if ((n->rflags & fm) != (t->rflags & fm))
        report(s, "rflags", 0, n->rflags & fm, t->rflags & fm, in_gpr, in_flags);
    const uint8_t *hd = (const uint8_t *)(uintptr_t)DATA_ADDR;
    const uint8_t *hs = (const uint8_t *)(uintptr_t)STACK_ADDR;
    static uint8_t td[DATA_SIZE], ts[STACK_SIZE];
    physmem_read_buf(&H.mem, DATA_ADDR, td, DATA_SIZE);
    physmem_read_buf(&H.mem, STACK_ADDR, ts, STACK_SIZE);
    if (memcmp(hd, td, DATA_SIZE)) {
        for (unsigned i = 0; i < DATA_SIZE; i++)
            if (hd[i] != td[i]) {
                report(s, "data", i, hd[i], td[i], in_gpr, in_flags);
                break;
            }
    }
    if (memcmp(hs, ts, STACK_SIZE)) {
        for (unsigned i = 0; i < STACK_SIZE; i++)
            if (hs[i] != ts[i]) {
                report(s, "stack", i, hs[i], ts[i], in_gpr, in_flags);
                break;
            }
    }
    return mismatches == before;
}

static void setup_host(void)
{
    host_code = oracle_map_fixed(REGION_BASE, REGION_SIZE);
    ck_assert_msg(host_code != NULL, "cannot map the oracle region");
    host_state = (struct state *)(uintptr_t)STATE_ADDR;
    oracle_catch_faults();
}

START_TEST(test_oracle_random)
{
    rng_state = oracle_env_u64("ORACLE_SEED", 0x7475727431657321ull);
#if defined(__SANITIZE_ADDRESS__)
    uint64_t target = oracle_env_u64("ORACLE_INSNS", 100000); /* the budget of make test */
#else
    uint64_t target = oracle_env_u64("ORACLE_INSNS", 1000000);
#endif
    only_templ = getenv("ORACLE_ONLY");
    strict_flags = getenv("ORACLE_STRICT") != NULL;
    if (getenv("ORACLE_PRINT"))
        max_print = (unsigned)atoi(getenv("ORACLE_PRINT"));
    setup_host();
    oracle_turtles_init(&H, &oracle_model, 64);
    struct seq s;
    uint64_t seqs = 0, faults = 0;
    clock_t t0 = clock();
    while (turtles_insns < target) {
        for (unsigned i = 0; i < DATA_SIZE; i++)
            init_data[i] = (uint8_t)interesting();
        for (unsigned i = 0; i < STACK_SIZE; i += 8) {
            uint64_t v = rnd();
            memcpy(init_stack + i, &v, 8);
        }
        gen_seq(&s, 1 + rn(8));
        uint64_t gpr[16];
        for (int r = 0; r < 16; r++)
            gpr[r] = interesting();
        gpr[R_SP] = STACK_TOP;
        gpr[R_R15] = DATA_MID;
        uint64_t flags = 0x202 | (rnd() & ARITH);
        memcpy((void *)(uintptr_t)DATA_ADDR, init_data, DATA_SIZE);
        memcpy((void *)(uintptr_t)STACK_ADDR, init_stack, STACK_SIZE);
        physmem_write_buf(&H.mem, DATA_ADDR, init_data, DATA_SIZE);
        physmem_write_buf(&H.mem, STACK_ADDR, init_stack, STACK_SIZE);
        struct outcome n, t;
        run_native(&s, gpr, flags, &n);
        run_turtles(&s, gpr, flags, &t);
        if (n.fault >= 0)
            faults++;
        compare(&s, &n, &t, gpr, flags);
        seqs++;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("oracle: %llu instructions in %llu sequences (%llu ending in #DE), %u mismatches, "
           "%.1f s\n",
           (unsigned long long)turtles_insns, (unsigned long long)seqs,
           (unsigned long long)faults, mismatches, secs);
    oracle_print_walk_stats("oracle");
    ck_assert_uint_eq(mismatches, 0);
}
END_TEST

static Suite *oracle_suite(void)
{
    Suite *s = suite_create("oracle_int");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_oracle_random);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    oracle_print_host("test_oracle_int");
    return oracle_run_suite(oracle_suite());
}

#else /* not x86-64: no oracle to ask */

int main(void)
{
    printf("test_oracle_int: skipped (the host is not x86-64)\n");
    return 0;
}

#endif

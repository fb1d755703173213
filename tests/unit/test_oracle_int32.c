/* Host-CPU oracle for integer instructions in 32-bit code: random
 * sequences run natively in a compatibility-mode code segment (Linux's
 * __USER32_CS, entered with a far call) and in turtles' 32-bit flat
 * harness. This reaches what 64-bit code cannot: INC/DEC 40-4F,
 * PUSHA/POPA, BOUND, the BCD instructions inside sequences, a 32-bit
 * stack, LOOP/JCXZ on CX, 16-bit LEA addressing. Every GPR, the flags the
 * SDM defines, and the data and stack regions are compared; divide faults
 * (SIGFPE) and BOUND faults (SIGSEGV) too.
 *
 * The flags the SDM leaves undefined come from the opcode table
 * (oracle_walk_flags(): EF column, flags_undefined()); they are masked and
 * never read by a later instruction (a CMP defines them first), and only
 * instructions the host's CPUID reports are generated.
 *
 * Environment: ORACLE_SEED, ORACLE_INSNS (default 300000), ORACLE_STRICT=1
 * (compare undefined flags too), ORACLE_PRINT=n, ORACLE_HEX=bytes (run one
 * given sequence and print both outcomes). x86-64 Linux hosts only;
 * skipped elsewhere or when the kernel refuses 32-bit code. */
#define _GNU_SOURCE
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"
#include "tests/unit/oracle_common.h"

#if defined(__x86_64__) && defined(__linux__)

#define REGION 0xe00000ull
#define REGION_SIZE 0x40000ull
#define CODE64 (REGION + 0x0000)
#define FARPTR (REGION + 0x0f00)
#define CODE32 (REGION + 0x1000)
#define SEQ_ADDR (REGION + 0x1400)
#define DATA_ADDR (REGION + 0x10000)
#define DATA_SIZE 0x1000u
#define DATA_MID (DATA_ADDR + 0x800)
#define STACK_ADDR (REGION + 0x20000)
#define STACK_SIZE 0x2000u
#define STACK_TOP (STACK_ADDR + 0x1800)
#define STATE (REGION + 0x30000) /* gpr[8] (4 bytes each), eflags, saved esp; host rsp */
#define ST_EFLAGS (STATE + 32)
#define ST_ESP (STATE + 40)
#define ST_RSP (STATE + 48)
#define LOWSTACK (REGION + 0x38000)
#define SCRATCH (REGION + 0x3c000)
#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define FAULT_SEGV 255 /* native SIGSEGV: turtles' #BR */

static uint8_t *region;
static uint64_t rng;
static bool strict;

static uint64_t rnd(void)
{
    return oracle_rand(&rng);
}

static unsigned rn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static uint32_t interesting(void)
{
    static const uint32_t special[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                       0x7fffffff, 0x80000000, 0xffffffff, 0x100, 9, 10, 0x99};
    switch (rn(4)) {
    case 0: return special[rn(sizeof(special) / sizeof(special[0]))];
    case 1: return (uint32_t)rnd() & 0xff;
    case 2: return (uint32_t)(int32_t)(int8_t)rnd();
    default: return (uint32_t)rnd();
    }
}

/* Registers a template may change: not ESP (the stack), not EBP (the data
 * base, [ebp+disp8] operands). Byte registers 0-7 (AL..BH) are all free. */
static const uint8_t free_regs[] = {0, 1, 2, 3, 6, 7};

static unsigned rreg(void)
{
    return free_regs[rn(sizeof(free_regs))];
}

struct rm {
    bool mem;
    unsigned reg;
    int8_t disp;
};

static struct rm pick_rm(bool byte, int align)
{
    struct rm r = {.mem = rn(3) == 0};
    if (r.mem)
        r.disp = (int8_t)(((int)rn(256) - 128) & ~(align - 1));
    else
        r.reg = byte ? rn(8) : rreg();
    return r;
}

/* [66] [0F..] opcode ModRM [disp8] */
static void emit(struct enc *e, unsigned size, const uint8_t *op, unsigned oplen, unsigned reg,
                 struct rm rm)
{
    if (size == 2)
        e8(e, 0x66);
    for (unsigned i = 0; i < oplen; i++)
        e8(e, op[i]);
    if (rm.mem) {
        e8(e, 0x40 | (reg & 7) << 3 | 5);
        e8(e, (uint8_t)rm.disp);
    } else {
        e8(e, 0xc0 | (reg & 7) << 3 | (rm.reg & 7));
    }
}

static void op1(struct enc *e, unsigned size, unsigned opc, unsigned reg, struct rm rm)
{
    uint8_t o = (uint8_t)opc;
    emit(e, size, &o, 1, reg, rm);
}

static void op2(struct enc *e, unsigned size, unsigned opc, unsigned reg, struct rm rm)
{
    uint8_t o[2] = {0x0f, (uint8_t)opc};
    emit(e, size, o, 2, reg, rm);
}

static void imm(struct enc *e, unsigned size, uint32_t v)
{
    if (size == 1)
        e8(e, v & 0xff);
    else if (size == 2)
        e16(e, v & 0xffff);
    else
        e32(e, v);
}

static unsigned rsize(void)
{
    static const unsigned s[] = {1, 2, 4};
    return s[rn(3)];
}

static unsigned wsize(void)
{
    return rn(2) ? 2 : 4;
}


static void t_alu(struct enc *e)
{
    unsigned op = rn(8), size = rsize(), form = rn(4);
    struct rm rm = pick_rm(size == 1, 1);
    unsigned reg = size == 1 ? rn(8) : rreg();
    if (rm.mem && op != 7 && form == 0 && rn(4) == 0)
        e8(e, 0xf0);
    switch (form) {
    case 0: op1(e, size, op * 8 + (size == 1 ? 0 : 1), reg, rm); break;
    case 1: op1(e, size, op * 8 + (size == 1 ? 2 : 3), reg, rm); break;
    case 2: {
        unsigned opc = size == 1 ? 0x80 : (rn(2) ? 0x83 : 0x81);
        op1(e, size, opc, op, rm);
        imm(e, opc == 0x81 ? size : 1, interesting());
        break;
    }
    default:
        if (size == 2)
            e8(e, 0x66);
        e8(e, op * 8 + (size == 1 ? 4 : 5));
        imm(e, size, interesting());
    }
}

static void t_incdec(struct enc *e)
{
    unsigned k = rn(5), size = rsize();
    struct rm rm = pick_rm(size == 1, 1);
    switch (k) {
    case 0: { /* 40+r / 48+r */
        unsigned sz = wsize();
        if (sz == 2)
            e8(e, 0x66);
        e8(e, (rn(2) ? 0x40 : 0x48) | rreg());
        return;
    }
    case 1:
        op1(e, size, size == 1 ? 0xfe : 0xff, rn(2), rm);
        return;
    case 2:
        op1(e, size, size == 1 ? 0xf6 : 0xf7, 2 + rn(2), rm);
        return;
    default:
        op1(e, size, size == 1 ? 0xf6 : 0xf7, 0, rm);
        imm(e, size, interesting());
        return;
    }
}

static void t_shift(struct enc *e)
{
    unsigned op = rn(8), size = rsize(), form = rn(3), count;
    struct rm rm = pick_rm(size == 1, 1);
    if (form == 2) {
        count = rn(4) ? rn(40) : rn(256);
        if (!rm.mem && (rm.reg == 1 || (size == 1 && rm.reg == 5)))
            rm.reg = 2;
        e8(e, 0xb1);
        e8(e, count);
        op1(e, size, size == 1 ? 0xd2 : 0xd3, op, rm);
    } else if (form == 1) {
        count = 1;
        op1(e, size, size == 1 ? 0xd0 : 0xd1, op, rm);
    } else {
        count = rn(4) ? rn(40) : rn(256);
        op1(e, size, size == 1 ? 0xc0 : 0xc1, op, rm);
        e8(e, count);
    }
}

static void t_shld(struct enc *e)
{
    unsigned size = wsize(), count = rn(4) ? rn(40) : rn(256);
    struct rm rm = pick_rm(false, 1);
    unsigned reg = rreg();
    if (!rm.mem && rm.reg == 1)
        rm.reg = 2;
    if (reg == 1)
        reg = 3;
    if (size == 2 && (count & 31) > 16 && !strict)
        count = 16;
    if (rn(2)) {
        e8(e, 0xb1);
        e8(e, count);
        op2(e, size, rn(2) ? 0xad : 0xa5, reg, rm);
    } else {
        op2(e, size, rn(2) ? 0xac : 0xa4, reg, rm);
        e8(e, count);
    }
}

static void t_muldiv(struct enc *e)
{
    unsigned size = rsize(), k = rn(6);
    struct rm rm = pick_rm(size == 1, 1);
    if (k >= 4 && rn(2)) {
        if (size == 1) {
            e8(e, 0x66); e8(e, 0x25); e16(e, rn(0x200)); /* and ax, imm */
        } else {
            if (size == 2)
                e8(e, 0x66);
            if (rn(2)) {
                e8(e, 0x31); e8(e, 0xd2); /* xor edx, edx */
            } else {
                e8(e, 0x99);              /* cwd/cdq */
            }
        }
        if (!rm.mem && (rm.reg == 2 || (size == 1 && rm.reg == 6)))
            rm.reg = 3;
    }
    if (k == 2 || k == 3) {
        if (size == 1)
            size = 4;
        if (!rm.mem && rm.reg >= 4 && rm.reg < 6)
            rm.reg = 6;
        unsigned reg = rreg();
        if (k == 2) {
            op2(e, size, 0xaf, reg, rm);
        } else if (rn(2)) {
            op1(e, size, 0x6b, reg, rm);
            e8(e, interesting());
        } else {
            op1(e, size, 0x69, reg, rm);
            imm(e, size, interesting());
        }
        return;
    }
    op1(e, size, size == 1 ? 0xf6 : 0xf7, k < 2 ? 4 + k : 6 + (k & 1), rm);
}

static void t_bits(struct enc *e)
{
    unsigned size = wsize(), k = rn(8);
    struct rm rm = pick_rm(false, 1);
    unsigned reg = rreg();
    switch (k) {
    case 0: /* bt* r/m, imm8 */
        op2(e, size, 0xba, 4 + rn(4), rm);
        e8(e, rnd());
        return;
    case 1: /* bt* r/m, r with a small signed offset for memory */
        if (!rm.mem && rm.reg == reg)
            reg = reg == 0 ? 3 : 0;
        if (rm.mem) {
            e8(e, 0xb8 | reg);
            e32(e, (uint32_t)((int)rn(size == 2 ? 512 : 1024) - (size == 2 ? 256 : 512)));
        }
        op2(e, size, 0xa3 + rn(4) * 8, reg, rm);
        return;
    case 2: case 3:
        op2(e, size, 0xbc + (k & 1), reg, rm);
        /* BSF/BSR leave the destination undefined for a zero source (SDM
         * Vol.2 BSF, BSR): cmovz reg, r/m (32-bit) gives it a value both
         * sides agree on before anything reads it. */
        op2(e, 4, 0x44, reg, rm);
        return;
    case 4: case 5:
        e8(e, 0xf3);
        op2(e, size, 0xbc + (k & 1), reg, rm);
        return;
    case 6:
        e8(e, 0xf3);
        op2(e, size, 0xb8, reg, rm);
        return;
    default:
        if (rn(2)) {
            e8(e, 0x0f);
            e8(e, 0xc8 | reg); /* bswap */
        } else {
            rm.mem = true;
            uint8_t o[3] = {0x0f, 0x38, (uint8_t)(0xf0 | rn(2))};
            emit(e, size, o, 3, reg, rm); /* movbe */
        }
        return;
    }
}

static void t_cc(struct enc *e)
{
    unsigned cc = rn(16);
    if (rn(2)) {
        op2(e, wsize(), 0x40 + cc, rreg(), pick_rm(false, 1));
    } else {
        op2(e, 1, 0x90 + cc, 0, pick_rm(true, 1));
    }
}

static void t_xchg(struct enc *e)
{
    unsigned size = rsize(), k = rn(5);
    struct rm rm = pick_rm(size == 1, 1);
    unsigned reg = size == 1 ? rn(8) : rreg();
    switch (k) {
    case 0:
        op1(e, size, size == 1 ? 0x86 : 0x87, reg, rm);
        return;
    case 1:
        if (rn(2))
            e8(e, 0x66);
        e8(e, 0x90 | rreg());
        return;
    case 2:
        if (rm.mem && rn(2))
            e8(e, 0xf0);
        op2(e, size, size == 1 ? 0xc0 : 0xc1, reg, rm);
        return;
    case 3:
        if (rm.mem && rn(2))
            e8(e, 0xf0);
        op2(e, size, size == 1 ? 0xb0 : 0xb1, reg, rm);
        return;
    default: {
        struct rm m = {.mem = true, .disp = (int8_t)(((int)rn(240) - 128) & ~7)};
        if (rn(2)) {
            e8(e, 0x8b); e8(e, 0x45); e8(e, (uint8_t)m.disp);       /* mov eax, [ebp+d] */
            e8(e, 0x8b); e8(e, 0x55); e8(e, (uint8_t)(m.disp + 4)); /* mov edx, [ebp+d+4] */
        }
        op2(e, 4, 0xc7, 1, m);
        return;
    }
    }
}

static void t_mov(struct enc *e)
{
    unsigned size = rsize(), k = rn(10);
    struct rm rm = pick_rm(size == 1, 1);
    unsigned reg = size == 1 ? rn(8) : rreg();
    switch (k) {
    case 0: op1(e, size, size == 1 ? 0x88 : 0x89, reg, rm); break;
    case 1: op1(e, size, size == 1 ? 0x8a : 0x8b, reg, rm); break;
    case 2:
        op1(e, size, size == 1 ? 0xc6 : 0xc7, 0, rm);
        imm(e, size, interesting());
        break;
    case 3:
        if (size == 2)
            e8(e, 0x66);
        e8(e, (size == 1 ? 0xb0 | rn(8) : 0xb8 | rreg()));
        imm(e, size, interesting());
        break;
    case 4: { /* movzx / movsx */
        unsigned src = rn(2);
        struct rm s = pick_rm(!src, 1);
        op2(e, wsize(), (rn(2) ? 0xb6 : 0xbe) + src, rreg(), s);
        break;
    }
    case 5: { /* lea: 32-bit SIB forms, or 16-bit addressing (67) */
        unsigned dsz = wsize(), r = rreg();
        if (dsz == 2)
            e8(e, 0x66);
        if (rn(2)) {
            e8(e, 0x67);
            e8(e, 0x8d);
            unsigned mod = rn(3), rmf = rn(8);
            if (mod == 0 && rmf == 6)
                mod = 1;
            e8(e, mod << 6 | r << 3 | rmf);
            if (mod == 1)
                e8(e, rnd());
            else if (mod == 2)
                e16(e, rnd());
        } else {
            e8(e, 0x8d);
            unsigned mod = rn(3), base = rn(8), index = rn(8);
            if (base == 5 && mod == 0)
                mod = 1;
            e8(e, mod << 6 | r << 3 | 4);
            e8(e, rn(4) << 6 | index << 3 | base);
            if (mod == 1)
                e8(e, rnd());
            else if (mod == 2)
                e32(e, (uint32_t)rnd());
        }
        break;
    }
    case 6:
        if (rn(2))
            e8(e, 0x66);
        e8(e, rn(2) ? 0x98 : 0x99);
        break;
    case 7: {
        static const uint8_t f[] = {0xf8, 0xf9, 0xf5, 0x9f, 0x9e};
        unsigned i = rn(5);
        e8(e, f[i]);
        if (i < 2)
            return;
        if (i == 2)
            return;
        if (i == 3)
            return;
        return;
    }
    case 8: /* xlat */
        e8(e, 0x8d); e8(e, 0x5d); e8(e, 0x80 + rn(128)); /* lea ebx, [ebp+d] */
        e8(e, 0xd7);
        break;
    default: /* moffs */
        if (size == 2)
            e8(e, 0x66);
        e8(e, 0xa0 + (rn(2) ? 2 : 0) + (size == 1 ? 0 : 1));
        e32(e, (uint32_t)(DATA_MID + rn(256) - 128));
        break;
    }
}

static void t_bcd(struct enc *e)
{
    switch (rn(6)) {
    case 0: e8(e, 0x27); return;
    case 1: e8(e, 0x2f); return;
    case 2: e8(e, 0x37); return;
    case 3: e8(e, 0x3f); return;
    case 4: e8(e, 0xd4); e8(e, rn(8) ? 1 + rn(255) : 0); return;
    default: e8(e, 0xd5); e8(e, rnd()); return;
    }
}

static void t_stack(struct enc *e)
{
    unsigned k = rn(9), sz = wsize();
    switch (k) {
    case 0:
        if (sz == 2)
            e8(e, 0x66);
        e8(e, (rn(2) ? 0x50 : 0x58) | rreg());
        break;
    case 1:
        if (sz == 2)
            e8(e, 0x66);
        if (rn(2)) {
            e8(e, 0x6a);
            e8(e, rnd());
        } else {
            e8(e, 0x68);
            imm(e, sz, interesting());
        }
        break;
    case 2:
        op1(e, sz, 0xff, 6, pick_rm(false, 1));
        break;
    case 3: /* push imm; pop r/m (including [esp+d]) */
        e8(e, 0x6a);
        e8(e, rnd());
        if (rn(2)) {
            op1(e, 4, 0x8f, 0, pick_rm(false, 1));
        } else {
            e8(e, 0x8f); e8(e, 0x44); e8(e, 0x24); e8(e, rn(16) * 4);
        }
        break;
    case 4: { /* pusha; replace the saved EDI; popa */
        unsigned p = sz == 2 ? 0x66 : 0;
        if (p) e8(e, p);
        e8(e, 0x60);
        if (p) e8(e, p);
        e8(e, 0x58 | 1); /* pop (e)cx: the saved (E)DI */
        if (p) e8(e, p);
        e8(e, 0x68);
        imm(e, sz, interesting());
        if (p) e8(e, p);
        e8(e, 0x61);
        break;
    }
    case 5: { /* push ebp; [mov ebp, esp]; enter; leave; pop ebp */
        e8(e, 0x55);
        if (sz == 2) {
            /* LEAVE sets ESP from all of EBP: keep its upper half the
             * stack's, or ESP lands outside the compared regions. */
            e8(e, 0x89);
            e8(e, 0xe5);
        }
        if (sz == 2)
            e8(e, 0x66);
        e8(e, 0xc8);
        e16(e, rn(48));
        /* A 16-bit ENTER walks the display through BP: a 16-bit address,
         * which the host cannot map; levels 0 and 1 do not walk it. */
        e8(e, sz == 2 ? rn(2) : (rn(4) ? rn(6) : rnd()));
        if (sz == 2)
            e8(e, 0x66);
        e8(e, 0xc9);
        e8(e, 0x5d);
        break;
    }
    case 6: { /* call +0; pop r; add r, k; push r; ret [imm16] */
        unsigned r = rreg(), imm16 = rn(2);
        e8(e, 0xe8);
        e32(e, 0);
        e8(e, 0x58 | r);
        e8(e, 0x83);
        e8(e, 0xc0 | r);
        e8(e, imm16 ? 8 : 6);
        e8(e, 0x50 | r);
        if (imm16) {
            e8(e, 0xc2);
            e16(e, rn(4) * 4);
        } else {
            e8(e, 0xc3);
        }
        break;
    }
    case 7: { /* call +0; pop r; add r, k; call/jmp r; inc (skipped) */
        unsigned r = rreg();
        e8(e, 0xe8);
        e32(e, 0);
        e8(e, 0x58 | r);
        e8(e, 0x83);
        e8(e, 0xc0 | r);
        e8(e, 7);
        e8(e, 0xff);
        e8(e, 0xc0 | (rn(2) ? 2 : 4) << 3 | r);
        e8(e, 0x40 | rreg());
        break;
    }
    default: { /* bound, mostly in range */
        unsigned r = rreg();
        int lo = (int)rn(100) - 50, hi = lo + (int)rn(100);
        int idx = rn(8) ? lo + (int)rn((unsigned)(hi - lo + 1)) : lo - 1;
        int8_t d = (int8_t)(((int)rn(240) - 128) & ~7);
        e8(e, 0xc7); e8(e, 0x45); e8(e, (uint8_t)d); e32(e, (uint32_t)lo);
        e8(e, 0xc7); e8(e, 0x45); e8(e, (uint8_t)(d + 4)); e32(e, (uint32_t)hi);
        e8(e, 0xb8 | r); e32(e, (uint32_t)idx);
        e8(e, 0x62); e8(e, 0x45 | r << 3); e8(e, (uint8_t)d);
        break;
    }
    }
}

static void t_branch(struct enc *e)
{
    unsigned k = rn(4), cc = rn(16);
    switch (k) {
    case 0: e8(e, 0x70 + cc); e8(e, 1); break;
    case 1: e8(e, 0x0f); e8(e, 0x80 + cc); e32(e, 1); break;
    case 2: {
        unsigned op = rn(4);
        e8(e, 0xb1);
        e8(e, rn(3));
        if (rn(2))
            e8(e, 0x67); /* CX instead of ECX */
        e8(e, 0xe0 + op);
        e8(e, 1);
        e8(e, 0x40 | (rn(2) ? 0 : 2));
        return;
    }
    default: e8(e, 0xeb); e8(e, 1); break;
    }
    e8(e, 0x40 | (rn(2) ? 0 : 3)); /* inc eax/ebx, perhaps skipped */
}

static void t_string(struct enc *e)
{
    static const uint8_t ops[] = {0xa4, 0xa6, 0xaa, 0xac, 0xae};
    unsigned k = rn(5), size = rsize(), rep = rn(4);
    e8(e, 0x8d); e8(e, 0xb5); e32(e, (uint32_t)((int)rn(512) - 256)); /* lea esi, [ebp+d] */
    e8(e, 0x8d); e8(e, 0xbd); e32(e, (uint32_t)((int)rn(512) - 256)); /* lea edi, [ebp+d] */
    e8(e, 0xb9); e32(e, rn(4) ? rn(12) : rn(40));
    e8(e, rn(3) == 0 ? 0xfd : 0xfc);
    if (rn(4) == 0)
        e8(e, (uint8_t[]){0x26, 0x2e, 0x36, 0x3e}[rn(4)]);
    if (size == 2)
        e8(e, 0x66);
    if (rep)
        e8(e, rep == 1 ? 0xf3 : rep == 2 ? 0xf2 : (rn(2) ? 0xf3 : 0xf2));
    e8(e, ops[k] + (size == 1 ? 0 : 1));
}

struct templ {
    void (*fn)(struct enc *e);
    unsigned weight;
};

static const struct templ templates[] = {
    {t_alu, 10}, {t_incdec, 6}, {t_shift, 8}, {t_shld, 3}, {t_muldiv, 5}, {t_bits, 5},
    {t_cc, 4}, {t_xchg, 4}, {t_mov, 8}, {t_bcd, 4}, {t_stack, 6}, {t_branch, 4},
    {t_string, 4},
};
#define NTEMPL (sizeof(templates) / sizeof(templates[0]))

struct seq {
    struct enc code;
    uint16_t off[512];
    uint32_t undef_before[512];
    unsigned n;
    uint32_t undef_end;
};

static void gen_seq(struct seq *s, unsigned count)
{
    unsigned total = 0;
    for (unsigned i = 0; i < NTEMPL; i++)
        total += templates[i].weight;
    s->code.n = s->n = 0;
    uint32_t undef = 0;
    for (unsigned t = 0; t < count; t++) {
        struct enc tmp;
        uint32_t reads, u;
        do {
            unsigned w = rn(total), i = 0;
            while (w >= templates[i].weight)
                w -= templates[i].weight, i++;
            tmp.n = 0;
            templates[i].fn(&tmp);
            u = 0;
        } while (!oracle_walk_flags(&tmp, 4, &u, &reads, 0, NULL, NULL, NULL));
        if (reads & undef) {
            s->off[s->n] = (uint16_t)s->code.n;
            s->undef_before[s->n++] = undef;
            e8(&s->code, 0x39); /* cmp r, r: defines all six flags */
            e8(&s->code, 0xc0 | rn(8) << 3 | rn(8));
            undef = 0;
        }
        oracle_walk_flags(&tmp, 4, &undef, &reads, s->code.n, s->off, s->undef_before, &s->n);
        memcpy(s->code.b + s->code.n, tmp.b, tmp.n);
        s->code.n += tmp.n;
    }
    s->undef_end = undef;
}

static uint32_t undef_at(const struct seq *s, uint64_t off)
{
    uint32_t u = 0;
    for (unsigned i = 0; i < s->n; i++)
        if (s->off[i] <= off)
            u = s->undef_before[i];
    return u;
}

/* ---- native ---- */

static void put(uint64_t addr, const void *p, size_t n)
{
    memcpy(region + (addr - REGION), p, n);
}

/* 32-bit side: DS/ES, save ESP, EFLAGS, the eight registers (ESP last),
 * the sequence at SEQ_ADDR (jumped to), then store everything back. */
static void build_code32(const struct seq *s)
{
    struct enc b = {.n = 0};
    e8(&b, 0x66); e8(&b, 0xb8); e16(&b, ORACLE_USER_DS);
    e8(&b, 0x8e); e8(&b, 0xd8); e8(&b, 0x8e); e8(&b, 0xc0);
    e8(&b, 0x89); e8(&b, 0x25); e32(&b, (uint32_t)ST_ESP);
    e8(&b, 0xff); e8(&b, 0x35); e32(&b, (uint32_t)ST_EFLAGS);
    e8(&b, 0x9d);
    for (unsigned r = 0; r < 8; r++) {
        unsigned reg = r == 7 ? 4 : (r == 4 ? 7 : r);
        e8(&b, 0x8b);
        e8(&b, reg << 3 | 5);
        e32(&b, (uint32_t)(STATE + reg * 4));
    }
    e8(&b, 0xe9);
    e32(&b, (uint32_t)(SEQ_ADDR - (CODE32 + b.n + 4)));
    put(CODE32, b.b, b.n);
    b.n = 0;
    memcpy(b.b, s->code.b, s->code.n);
    b.n = s->code.n;
    for (unsigned reg = 0; reg < 8; reg++) {
        e8(&b, 0x89);
        e8(&b, reg << 3 | 5);
        e32(&b, (uint32_t)(STATE + reg * 4));
    }
    e8(&b, 0xbc); e32(&b, (uint32_t)SCRATCH);
    e8(&b, 0x9c);
    e8(&b, 0x8f); e8(&b, 0x05); e32(&b, (uint32_t)ST_EFLAGS);
    e8(&b, 0xfc);
    e8(&b, 0x8b); e8(&b, 0x25); e32(&b, (uint32_t)ST_ESP);
    e8(&b, 0xcb);
    put(SEQ_ADDR, b.b, b.n);
}

struct outcome {
    uint32_t gpr[8];
    uint32_t eflags;
    int fault;
    uint32_t fault_eip;
};

static const int greg_of[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX,
                               REG_RSP, REG_RBP, REG_RSI, REG_RDI};

static void run_native(const struct seq *s, const uint32_t in[8], uint32_t fl, struct outcome *o)
{
    build_code32(s);
    put(STATE, in, 32);
    put(ST_EFLAGS, &fl, 4);
    oracle_fault.sig = 0;
    if (sigsetjmp(oracle_fault.jmp, 1) == 0) {
        ((void (*)(void))(uintptr_t)CODE64)();
        memcpy(o->gpr, region + (STATE - REGION), 32);
        memcpy(&o->eflags, region + (ST_EFLAGS - REGION), 4);
        o->fault = -1;
        return;
    }
    const greg_t *g = oracle_fault.uc.uc_mcontext.gregs;
    for (int r = 0; r < 8; r++)
        o->gpr[r] = (uint32_t)g[greg_of[r]];
    o->eflags = (uint32_t)g[REG_EFL];
    o->fault_eip = (uint32_t)g[REG_RIP];
    o->fault = oracle_fault.sig == SIGFPE ? EXC_DE : oracle_fault.sig == SIGILL ? EXC_UD : FAULT_SEGV;
}

/* ---- turtles ---- */

static struct harness H;
static struct cpu_model model;
static uint64_t executed;

static void run_turtles(const struct seq *s, const uint32_t in[8], uint32_t fl, struct outcome *o)
{
    struct cpu *c = &H.cpu;
    uint64_t end = SEQ_ADDR + s->code.n;
    physmem_write_buf(&H.mem, SEQ_ADDR, s->code.b, s->code.n);
    for (int r = 0; r < 8; r++)
        c->gpr[r] = in[r];
    c->rflags = fl;
    c->rip = SEQ_ADDR;
    o->fault = -1;
    struct insn insn;
    for (unsigned steps = 0; c->rip != end && steps < 100000; steps++) {
        if (decode_insn(&insn, 4, model.isa_mask, oracle_fetch_phys, &H.mem, c->rip) != DECODE_OK) {
            o->fault = EXC_UD;
            o->fault_eip = (uint32_t)c->rip;
            break;
        }
        c->next_rip = c->rip + insn.len;
        if (setjmp(c->exc_jmp)) {
            o->fault = c->exc_vector == EXC_BR ? FAULT_SEGV : c->exc_vector;
            o->fault_eip = (uint32_t)c->rip;
            break;
        }
        insn.fn(c, &insn);
        c->rip = c->next_rip;
        executed++;
    }
    for (int r = 0; r < 8; r++)
        o->gpr[r] = (uint32_t)c->gpr[r];
    o->eflags = (uint32_t)c->rflags;
}

static unsigned mismatches, max_print = 10;

static void report(const struct seq *s, const char *what, unsigned i, uint32_t a, uint32_t b,
                   const uint32_t in[8], uint32_t fl)
{
    if (mismatches++ >= max_print)
        return;
    fprintf(stderr, "mismatch32: %s[%u] native %08x turtles %08x (eflags in %03x)\n", what, i,
            a, b, fl);
    for (int r = 0; r < 8; r++)
        fprintf(stderr, "  in r%d %08x\n", r, in[r]);
    fprintf(stderr, "  code:");
    for (unsigned k = 0; k < s->code.n; k++)
        fprintf(stderr, " %02x", s->code.b[k]);
    fprintf(stderr, "\n");
}

START_TEST(test_oracle_int32)
{
    rng = oracle_env_u64("ORACLE_SEED", 0x3332626974733332ull);
    uint64_t target = oracle_env_u64("ORACLE_INSNS", 300000);
    strict = getenv("ORACLE_STRICT") != NULL;
    if (getenv("ORACLE_PRINT"))
        max_print = (unsigned)atoi(getenv("ORACLE_PRINT"));

    region = oracle_map_fixed(REGION, REGION_SIZE);
    ck_assert_msg(region != NULL, "cannot map the oracle region");
    oracle_catch_faults();
    oracle_build_compat_call(CODE64, FARPTR, CODE32, ST_RSP, LOWSTACK);

    /* Can this kernel run 32-bit code at all? */
    struct seq probe = {.code = {.n = 1, .b = {0x90}}};
    struct outcome po;
    uint32_t zero[8] = {0};
    zero[R_SP] = (uint32_t)STACK_TOP;
    run_native(&probe, zero, 0x202, &po);
    if (po.fault >= 0) {
        printf("test_oracle_int32: skipped (the host refused 32-bit code)\n");
        return;
    }

    oracle_turtles_init(&H, &model, 32);

    static uint8_t data[DATA_SIZE], stack[STACK_SIZE];
    struct seq s;
    uint64_t seqs = 0, faults = 0;
    while (executed < target) {
        for (unsigned i = 0; i < DATA_SIZE; i++)
            data[i] = (uint8_t)interesting();
        for (unsigned i = 0; i < STACK_SIZE; i++)
            stack[i] = (uint8_t)rnd();
        gen_seq(&s, 1 + rn(8));
        if (getenv("ORACLE_HEX")) { /* debugging: run exactly these bytes */
            const char *h = getenv("ORACLE_HEX");
            s.code.n = 0;
            s.n = 0;
            s.undef_end = 0;
            for (unsigned v; sscanf(h, "%2x", &v) == 1; h += 2)
                e8(&s.code, v);
        }
        uint32_t in[8];
        for (int r = 0; r < 8; r++)
            in[r] = interesting();
        in[R_SP] = (uint32_t)STACK_TOP;
        in[R_BP] = (uint32_t)DATA_MID;
        uint32_t fl = 0x202 | ((uint32_t)rnd() & ARITH);
        put(DATA_ADDR, data, DATA_SIZE);
        put(STACK_ADDR, stack, STACK_SIZE);
        physmem_write_buf(&H.mem, DATA_ADDR, data, DATA_SIZE);
        physmem_write_buf(&H.mem, STACK_ADDR, stack, STACK_SIZE);
        struct outcome n, t;
        run_native(&s, in, fl, &n);
        run_turtles(&s, in, fl, &t);
        seqs++;
        uint32_t undef = s.undef_end;
        if (getenv("ORACLE_HEX")) {
            fprintf(stderr, "native fault %d eip %08x, turtles fault %d eip %08x\n", n.fault,
                    n.fault_eip, t.fault, t.fault_eip);
            for (int r = 0; r < 8; r++)
                fprintf(stderr, "  r%d in %08x native %08x turtles %08x\n", r, in[r], n.gpr[r],
                        t.gpr[r]);
            break;
        }
        if (n.fault != t.fault) {
            report(&s, "fault", 0, (uint32_t)n.fault, (uint32_t)t.fault, in, fl);
            continue;
        }
        if (n.fault >= 0) {
            faults++;
            if (n.fault_eip != t.fault_eip)
                report(&s, "fault_eip", 0, n.fault_eip, t.fault_eip, in, fl);
            undef = undef_at(&s, t.fault_eip - SEQ_ADDR);
        }
        if (strict)
            undef = 0;
        for (unsigned r = 0; r < 8; r++)
            if (n.gpr[r] != t.gpr[r])
                report(&s, "gpr", r, n.gpr[r], t.gpr[r], in, fl);
        uint32_t fm = (ARITH | F_DF) & ~undef;
        if ((n.eflags & fm) != (t.eflags & fm))
            report(&s, "eflags", 0, n.eflags & fm, t.eflags & fm, in, fl);
        /* Data, the gap up to the stack (nothing may be written there: a
         * stray write, or a stack moved by a wrong LEAVE), and the stack. */
        static uint8_t mine[STACK_ADDR + STACK_SIZE - DATA_ADDR];
        physmem_read_buf(&H.mem, DATA_ADDR, mine, sizeof(mine));
        const uint8_t *host = region + (DATA_ADDR - REGION);
        if (memcmp(host, mine, DATA_SIZE))
            report(&s, "data", 0, 0, 0, in, fl);
        if (memcmp(host + (STACK_ADDR - DATA_ADDR), mine + (STACK_ADDR - DATA_ADDR), STACK_SIZE))
            report(&s, "stack", 0, 0, 0, in, fl);
        if (memcmp(host + DATA_SIZE, mine + DATA_SIZE, STACK_ADDR - DATA_ADDR - DATA_SIZE))
            report(&s, "between", 0, 0, 0, in, fl);
    }
    printf("oracle32: %llu instructions in %llu sequences (%llu ending in a fault), "
           "%u mismatches\n",
           (unsigned long long)executed, (unsigned long long)seqs,
           (unsigned long long)faults, mismatches);
    oracle_print_walk_stats("oracle32");
    ck_assert_uint_eq(mismatches, 0);
    harness_free(&H);
}
END_TEST

int main(void)
{
    oracle_print_host("test_oracle_int32");
    Suite *s = suite_create("oracle_int32");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_oracle_int32);
    suite_add_tcase(s, tc);
    return oracle_run_suite(s);
}

#else

int main(void)
{
    printf("test_oracle_int32: skipped (needs an x86-64 Linux host)\n");
    return 0;
}

#endif

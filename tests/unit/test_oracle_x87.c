/* Host-CPU oracle for the x87 handlers: random x87 instruction sequences
 * run natively (x86-64 hosts only) and in turtles from the same starting
 * state, loaded by FXRSTOR64 and read back by FXSAVE64 on both sides (so the
 * turtles FXSAVE/FXRSTOR take part). The starting state mixes normal,
 * denormal, zero, infinite, NaN and unsupported register values, random
 * tags and TOP, every rounding and precision mode, and sometimes unmasked
 * exceptions (then the sequence is one instruction long, since the next
 * waiting instruction would take #MF). MMX instructions (moves, arithmetic,
 * packs, unpacks, shifts, EMMS) mix in, on the same register file.
 * Environment loads/stores and transcendentals run alone.
 * Compared: the FXSAVE image except the implementation-specific
 * FOP/FIP/FDP/FCS/FDS (deprecated, or stored only with an exception pending,
 * differently on Intel and AMD parts) and, on a non-Intel host, MXCSR_MASK;
 * RAX, the arithmetic flags and a 128-byte memory operand buffer (except
 * the pointer fields FNSTENV/FNSAVE store). A transcendental is compared
 * where the SDM defines it (tests/unit/x87_reference.h): special-value
 * results bit for bit, function values within the SDM bound of MPFR (with
 * the 66-bit pi reduction for the trig functions) when the two sides
 * differ, results outside the documented domain not at all; C1 after a
 * transcendental is never compared. Condition codes an instruction leaves
 * undefined (Vol.2 "FPU Flags Affected", cc_effect()) are not compared, and
 * a sequence ends before an FNSTSW would store them; FPREM/FPREM1 and FBLD
 * have their own rules (enum kind).
 *
 * Environment: X87_ORACLE_SEED, X87_ORACLE_INSNS (default 250000, 25000
 * under AddressSanitizer),
 * X87_ORACLE_ONLY=mnemonic prefix. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/cpuid.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"
#include "tests/unit/oracle_common.h"
#include "tests/unit/x87_reference.h"

#if defined(__x86_64__)

#define G_CODE 0x100000ull
#define G_IMG_IN 0x110000ull
#define G_IMG_OUT 0x111000ull
#define G_FLAGS 0x112000ull
#define G_DATA 0x113000ull
#define DATA_SIZE 128u
#define ARITH 0x8d5ull

/* The default run: 250000 instructions; under AddressSanitizer (about ten
 * times slower) a tenth, so `make test` in build-asan stays short. */
#if defined(__SANITIZE_ADDRESS__)
#define X87_ORACLE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define X87_ORACLE_SANITIZED 1
#endif
#endif
#ifndef X87_ORACLE_SANITIZED
#define X87_ORACLE_SANITIZED 0
#endif
#define X87_ORACLE_DEFAULT_INSNS (X87_ORACLE_SANITIZED ? 25000u : 250000u)

static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- instruction templates ---------------------------------------------- */

/* K_PREM: FPREM/FPREM1, whose partial remainder (exponent difference above
 * 63) is implementation-dependent (Vol.2 FPREM: "N ... between 32 and 63"):
 * they end a sequence, so that nothing reads it. */
/* K_FIRST: FBLD, whose result for invalid BCD digits is undefined (Vol.2
 * FBLD): it starts a sequence, reading a buffer of valid digits. */
enum kind { K_PLAIN, K_TRANS, K_CTRL_LOAD, K_ENV, K_PREM, K_FIRST };

struct tmpl {
    const char *name;
    uint8_t bytes[4];
    uint8_t len;
    uint8_t kind;
    uint8_t reg_i;    /* add a random i to the last byte (ST(i) forms) */
};

static struct tmpl tmpls[1024];
static unsigned ntmpl;

static void add(const char *name, unsigned kind, bool sti, int n, ...)
{
    struct tmpl *t = &tmpls[ntmpl++];
    t->name = name;
    t->kind = (uint8_t)kind;
    t->reg_i = sti;
    __builtin_va_list ap;
    __builtin_va_start(ap, n);
    for (int i = 0; i < n; i++)
        t->bytes[i] = (uint8_t)__builtin_va_arg(ap, int);
    __builtin_va_end(ap);
    t->len = (uint8_t)n;
}

/* Memory forms use [rdi]: ModRM mod 0, rm 7. */
#define M(reg) (((reg) << 3) | 7)

static void build_templates(void)
{
    static const char *arith[8] = {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv",
                                   "fdivr"};
    for (int r = 0; r < 8; r++) {
        add(arith[r], K_PLAIN, false, 2, 0xd8, M(r));
        add(arith[r], K_PLAIN, false, 2, 0xdc, M(r));
        add(arith[r], K_PLAIN, false, 2, 0xda, M(r));
        add(arith[r], K_PLAIN, false, 2, 0xde, M(r));
        add(arith[r], K_PLAIN, true, 2, 0xd8, 0xc0 | (r << 3));
        if (r != 2 && r != 3) {
            add(arith[r], K_PLAIN, true, 2, 0xdc, 0xc0 | (r << 3));
            add(arith[r], K_PLAIN, true, 2, 0xde, 0xc0 | (r << 3));
        }
    }
    add("fcom2", K_PLAIN, true, 2, 0xdc, 0xd0);
    add("fcomp3", K_PLAIN, true, 2, 0xdc, 0xd8);
    add("fcomp5", K_PLAIN, true, 2, 0xde, 0xd0);
    add("fcompp", K_PLAIN, false, 2, 0xde, 0xd9);
    add("fucom", K_PLAIN, true, 2, 0xdd, 0xe0);
    add("fucomp", K_PLAIN, true, 2, 0xdd, 0xe8);
    add("fucompp", K_PLAIN, false, 2, 0xda, 0xe9);
    add("fucomi", K_PLAIN, true, 2, 0xdb, 0xe8);
    add("fcomi", K_PLAIN, true, 2, 0xdb, 0xf0);
    add("fucomip", K_PLAIN, true, 2, 0xdf, 0xe8);
    add("fcomip", K_PLAIN, true, 2, 0xdf, 0xf0);
    add("ftst", K_PLAIN, false, 2, 0xd9, 0xe4);
    add("fxam", K_PLAIN, false, 2, 0xd9, 0xe5);
    /* loads and stores */
    add("fld", K_PLAIN, false, 2, 0xd9, M(0));
    add("fld", K_PLAIN, false, 2, 0xdd, M(0));
    add("fld", K_PLAIN, false, 2, 0xdb, M(5));
    add("fld", K_PLAIN, true, 2, 0xd9, 0xc0);
    add("fild", K_PLAIN, false, 2, 0xdf, M(0));
    add("fild", K_PLAIN, false, 2, 0xdb, M(0));
    add("fild", K_PLAIN, false, 2, 0xdf, M(5));
    add("fbld", K_FIRST, false, 2, 0xdf, M(4));
    add("fst", K_PLAIN, false, 2, 0xd9, M(2));
    add("fstp", K_PLAIN, false, 2, 0xd9, M(3));
    add("fst", K_PLAIN, false, 2, 0xdd, M(2));
    add("fstp", K_PLAIN, false, 2, 0xdd, M(3));
    add("fstp", K_PLAIN, false, 2, 0xdb, M(7));
    add("fst", K_PLAIN, true, 2, 0xdd, 0xd0);
    add("fstp", K_PLAIN, true, 2, 0xdd, 0xd8);
    add("fstp1", K_PLAIN, true, 2, 0xd9, 0xd8);
    add("fstp8", K_PLAIN, true, 2, 0xdf, 0xd0);
    add("fstp9", K_PLAIN, true, 2, 0xdf, 0xd8);
    add("fist", K_PLAIN, false, 2, 0xdf, M(2));
    add("fistp", K_PLAIN, false, 2, 0xdf, M(3));
    add("fist", K_PLAIN, false, 2, 0xdb, M(2));
    add("fistp", K_PLAIN, false, 2, 0xdb, M(3));
    add("fistp", K_PLAIN, false, 2, 0xdf, M(7));
    /* FISTTP is SSE3 (CPUID.1:ECX bit 0): not on the first x86-64 parts. */
    if (oracle_host()->leaf1_ecx & 1) {
        add("fisttp", K_PLAIN, false, 2, 0xdf, M(1));
        add("fisttp", K_PLAIN, false, 2, 0xdb, M(1));
        add("fisttp", K_PLAIN, false, 2, 0xdd, M(1));
    }
    add("fbstp", K_PLAIN, false, 2, 0xdf, M(6));
    static const char *consts[7] = {"fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2",
                                    "fldz"};
    for (int k = 0; k < 7; k++)
        add(consts[k], K_PLAIN, false, 2, 0xd9, 0xe8 + k);
    add("fxch", K_PLAIN, true, 2, 0xd9, 0xc8);
    add("fxch4", K_PLAIN, true, 2, 0xdd, 0xc8);
    add("fxch7", K_PLAIN, true, 2, 0xdf, 0xc8);
    static const char *fcmov[8] = {"fcmovb", "fcmove", "fcmovbe", "fcmovu", "fcmovnb",
                                   "fcmovne", "fcmovnbe", "fcmovnu"};
    for (int k = 0; k < 8; k++)
        add(fcmov[k], K_PLAIN, true, 2, k < 4 ? 0xda : 0xdb, 0xc0 | ((k & 3) << 3));
    /* ST0 operations */
    add("fchs", K_PLAIN, false, 2, 0xd9, 0xe0);
    add("fabs", K_PLAIN, false, 2, 0xd9, 0xe1);
    add("fsqrt", K_PLAIN, false, 2, 0xd9, 0xfa);
    add("frndint", K_PLAIN, false, 2, 0xd9, 0xfc);
    add("fscale", K_PLAIN, false, 2, 0xd9, 0xfd);
    add("fxtract", K_PLAIN, false, 2, 0xd9, 0xf4);
    add("fprem", K_PREM, false, 2, 0xd9, 0xf8);
    add("fprem1", K_PREM, false, 2, 0xd9, 0xf5);
    add("fsin", K_TRANS, false, 2, 0xd9, 0xfe);
    add("fcos", K_TRANS, false, 2, 0xd9, 0xff);
    add("fsincos", K_TRANS, false, 2, 0xd9, 0xfb);
    add("fptan", K_TRANS, false, 2, 0xd9, 0xf2);
    add("fpatan", K_TRANS, false, 2, 0xd9, 0xf3);
    add("f2xm1", K_TRANS, false, 2, 0xd9, 0xf0);
    add("fyl2x", K_TRANS, false, 2, 0xd9, 0xf1);
    add("fyl2xp1", K_TRANS, false, 2, 0xd9, 0xf9);
    /* control */
    add("fincstp", K_PLAIN, false, 2, 0xd9, 0xf7);
    add("fdecstp", K_PLAIN, false, 2, 0xd9, 0xf6);
    add("ffree", K_PLAIN, true, 2, 0xdd, 0xc0);
    add("ffreep", K_PLAIN, true, 2, 0xdf, 0xc0);
    add("fnop", K_PLAIN, false, 2, 0xd9, 0xd0);
    add("fnclex", K_PLAIN, false, 2, 0xdb, 0xe2);
    add("fninit", K_PLAIN, false, 2, 0xdb, 0xe3);
    add("fnstsw", K_PLAIN, false, 2, 0xdf, 0xe0);
    add("fnstsw", K_PLAIN, false, 2, 0xdd, M(7));
    add("fnstcw", K_PLAIN, false, 2, 0xd9, M(7));
    add("fwait", K_PLAIN, false, 1, 0x9b);
    add("fldcw", K_CTRL_LOAD, false, 2, 0xd9, M(5));
    add("fnstenv", K_ENV, false, 2, 0xd9, M(6));
    add("fnstenv16", K_ENV, false, 3, 0x66, 0xd9, M(6));
    add("fnsave", K_ENV, false, 2, 0xdd, M(6));
    add("fnsave16", K_ENV, false, 3, 0x66, 0xdd, M(6));
    add("fldenv", K_CTRL_LOAD, false, 2, 0xd9, M(4));
    add("fldenv16", K_CTRL_LOAD, false, 3, 0x66, 0xd9, M(4));
    add("frstor", K_CTRL_LOAD, false, 2, 0xdd, M(4));
    add("frstor16", K_CTRL_LOAD, false, 3, 0x66, 0xdd, M(4));
    /* MMX on the same register file */
    static const struct { uint8_t op; const char *name; } mmx[] = {
        {0x60, "punpcklbw"}, {0x61, "punpcklwd"}, {0x62, "punpckldq"}, {0x63, "packsswb"},
        {0x64, "pcmpgtb"}, {0x65, "pcmpgtw"}, {0x66, "pcmpgtd"}, {0x67, "packuswb"},
        {0x68, "punpckhbw"}, {0x69, "punpckhwd"}, {0x6a, "punpckhdq"}, {0x6b, "packssdw"},
        {0x6f, "movq"}, {0x74, "pcmpeqb"}, {0x75, "pcmpeqw"}, {0x76, "pcmpeqd"},
        {0xd1, "psrlw"}, {0xd2, "psrld"}, {0xd3, "psrlq"}, {0xd5, "pmullw"},
        {0xd8, "psubusb"}, {0xd9, "psubusw"}, {0xdb, "pand"}, {0xdc, "paddusb"},
        {0xdd, "paddusw"}, {0xdf, "pandn"}, {0xe1, "psraw"}, {0xe2, "psrad"},
        {0xe5, "pmulhw"}, {0xe8, "psubsb"}, {0xe9, "psubsw"}, {0xeb, "por"},
        {0xec, "paddsb"}, {0xed, "paddsw"}, {0xef, "pxor"}, {0xf1, "psllw"},
        {0xf2, "pslld"}, {0xf3, "psllq"}, {0xf5, "pmaddwd"}, {0xf8, "psubb"},
        {0xf9, "psubw"}, {0xfa, "psubd"}, {0xfc, "paddb"}, {0xfd, "paddw"}, {0xfe, "paddd"},
    };
    for (unsigned k = 0; k < sizeof(mmx) / sizeof(mmx[0]); k++) {
        unsigned r = k & 7;
        add(mmx[k].name, K_PLAIN, true, 3, 0x0f, mmx[k].op, 0xc0 | (r << 3));
        add(mmx[k].name, K_PLAIN, false, 3, 0x0f, mmx[k].op, M((r + 3) & 7));
    }
    add("movd", K_PLAIN, false, 3, 0x0f, 0x6e, M(2));
    add("movd", K_PLAIN, false, 3, 0x0f, 0x6e, 0xc0 | (5 << 3));    /* mm5, eax */
    add("movq", K_PLAIN, false, 4, 0x48, 0x0f, 0x6e, M(6));
    add("movd", K_PLAIN, false, 3, 0x0f, 0x7e, M(1));
    add("movd", K_PLAIN, false, 3, 0x0f, 0x7e, 0xc0 | (3 << 3));    /* eax, mm3 */
    add("movq", K_PLAIN, false, 4, 0x48, 0x0f, 0x7e, 0xc0 | (4 << 3));
    add("movq", K_PLAIN, false, 3, 0x0f, 0x7f, M(7));
    add("movq", K_PLAIN, true, 3, 0x0f, 0x7f, 0xc0 | (6 << 3));
    static const uint8_t shimm[][2] = {{0x71, 2}, {0x71, 4}, {0x71, 6}, {0x72, 2}, {0x72, 4},
                                       {0x72, 6}, {0x73, 2}, {0x73, 6}};
    static const uint8_t counts[] = {0, 1, 7, 15, 16, 31, 33, 63, 64, 200};
    for (unsigned k = 0; k < 8; k++)
        for (unsigned c = 0; c < sizeof(counts); c++)
            add("psh_imm", K_PLAIN, false, 4, 0x0f, shimm[k][0],
                0xc0 | (shimm[k][1] << 3) | ((k + c) & 7), counts[c]);
    add("emms", K_PLAIN, false, 2, 0x0f, 0x77);
}

/* ---- condition codes the SDM leaves undefined ------------------------------ */

#define CC_C0 0x0100u
#define CC_C1 0x0200u
#define CC_C2 0x0400u
#define CC_C3 0x4000u
#define CC_ALL (CC_C0 | CC_C1 | CC_C2 | CC_C3)

static bool name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(name, *list))
            return true;
    return false;
}

/*
 * An instruction's effect on C0-C3 by its "FPU Flags Affected" in Vol.2:
 * *def gets the bits it sets to a defined value, *undef the bits it leaves
 * undefined (the implementation's: never compared, never read by a later
 * FNSTSW). Bits in neither are unchanged (FCOMI, the MMX instructions).
 */
static void cc_effect(const char *name, uint16_t *def, uint16_t *undef)
{
    static const char *const all_defined[] = {
        "fcom", "fcomp", "fcom2", "fcomp3", "fcomp5", "fcompp", "fucom", "fucomp", "fucompp",
        "ftst", "fxam", "fprem", "fprem1", "fninit", "fnsave", "fnsave16", "fldenv", "fldenv16",
        "frstor", "frstor16", NULL};
    static const char *const all_undefined[] = {
        "ffree", "ffreep", "fnop", "fnclex", "fnstsw", "fnstcw", "fwait", "fldcw", "fnstenv",
        "fnstenv16", NULL};
    static const char *const c1_only[] = {"fucomi", "fcomi", "fucomip", "fcomip", NULL};
    /* FSIN, FCOS, FSINCOS, FPTAN: C2 tells an out-of-range operand. */
    static const char *const trig[] = {"fsin", "fcos", "fsincos", "fptan", NULL};
    static const char *const x87_other[] = {
        "fadd", "fmul", "fsub", "fsubr", "fdiv", "fdivr", "fld", "fild", "fbld", "fst", "fstp",
        "fstp1", "fstp8", "fstp9", "fist", "fistp", "fisttp", "fbstp", "fld1", "fldl2t", "fldl2e",
        "fldpi", "fldlg2", "fldln2", "fldz", "fxch", "fxch4", "fxch7", "fcmovb", "fcmove",
        "fcmovbe", "fcmovu", "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu", "fchs", "fabs", "fsqrt",
        "frndint", "fscale", "fxtract", "fincstp", "fdecstp", "fpatan", "f2xm1", "fyl2x",
        "fyl2xp1", NULL};
    *def = 0;
    *undef = 0;
    if (name_in(name, all_defined)) {
        *def = CC_ALL;
    } else if (name_in(name, all_undefined)) {
        *undef = CC_ALL;
    } else if (name_in(name, c1_only)) {
        *def = CC_C1;
    } else if (name_in(name, trig)) {
        *def = CC_C1 | CC_C2;
        *undef = CC_C0 | CC_C3;
    } else if (name_in(name, x87_other)) {
        *def = CC_C1;
        *undef = CC_C0 | CC_C2 | CC_C3;
    }
}

/* ---- random values -------------------------------------------------------- */

struct r80 { uint64_t mant; uint16_t se; };

static struct r80 rand_f80(void)
{
    struct r80 v;
    uint16_t sign = rn(2) ? 0x8000 : 0;
    uint64_t m = rnd();
    switch (rn(16)) {
    case 0: v.mant = 0; v.se = sign; break;                               /* zero */
    case 1: v.mant = 1ull << 63; v.se = sign | 0x7fff; break;             /* inf */
    case 2: v.mant = (3ull << 62) | (m >> 2); v.se = sign | 0x7fff; break;/* QNaN */
    case 3: v.mant = (1ull << 63) | ((m >> 2) | 1); v.se = sign | 0x7fff; break; /* SNaN */
    case 4: v.mant = m >> (1 + rn(63)); v.se = sign; break;               /* denormal */
    case 5: /* integer-valued */
        v.mant = (1ull << 63) | ((m >> 40) << 40);
        v.se = sign | (uint16_t)(16383 + rn(40));
        break;
    case 6: v.mant = (1ull << 63) | (m & ~0x7ffull); v.se = sign | (uint16_t)(16383 - 30 + rn(60)); break;
    case 7: v.mant = (1ull << 63) | (m & ~0xffffffffffull); v.se = sign | (uint16_t)(16383 - 30 + rn(60)); break;
    case 8: v.mant = (1ull << 63) | m; v.se = sign | (uint16_t)(1 + rn(100)); break;       /* tiny */
    case 9: v.mant = (1ull << 63) | m; v.se = sign | (uint16_t)(0x7ffe - rn(100)); break;  /* huge */
    case 10: /* f64 range edges */
        v.mant = (1ull << 63) | m;
        v.se = sign | (uint16_t)(rn(2) ? 16383 + 1023 - 3 + rn(6) : 16383 - 1022 - 60 + rn(70));
        break;
    case 11: /* f32 range edges */
        v.mant = (1ull << 63) | m;
        v.se = sign | (uint16_t)(rn(2) ? 16383 + 127 - 3 + rn(6) : 16383 - 126 - 30 + rn(40));
        break;
    case 12: /* unsupported: unnormal, pseudo-NaN/inf, rarely pseudo-denormal */
        if (rn(3) == 0) {
            v.mant = (1ull << 63) | m;
            v.se = sign;
        } else if (rn(2)) {
            v.mant = m & ~(1ull << 63);
            v.se = sign | (uint16_t)(1 + rn(0x7ffe));
        } else {
            v.mant = m & ~(1ull << 63);
            v.se = sign | 0x7fff;
        }
        break;
    default: v.mant = (1ull << 63) | m; v.se = sign | (uint16_t)(16383 - 70 + rn(140)); break;
    }
    return v;
}

/* Arguments in the ranges where both the host and the library are
 * accurate (cpu/fpu_f80.h), for ST0/ST1 of the transcendentals. */
static struct r80 rand_trans_arg(const char *name, bool st1)
{
    struct r80 v;
    uint16_t sign = rn(2) ? 0x8000 : 0;
    v.mant = (1ull << 63) | rnd();
    if (st1) {
        v.se = sign | (uint16_t)(16383 - 10 + rn(20));
        return v;
    }
    if (!strcmp(name, "f2xm1"))
        v.se = sign | (uint16_t)(16383 - 1 - rn(40));
    else if (!strcmp(name, "fyl2x"))
        v.se = (uint16_t)(16383 - 40 + rn(80));
    else if (!strcmp(name, "fyl2xp1"))
        v.se = sign | (uint16_t)(16383 - 3 - rn(40));
    else if (!strcmp(name, "fptan"))
        v.se = sign | (uint16_t)(16383 - 30 + rn(40));
    else
        v.se = sign | (uint16_t)(16383 - 40 + rn(50));
    if (rn(20) == 0)
        return rand_f80();
    return v;
}

/* ---- state images ---------------------------------------------------------- */

struct image { uint8_t b[512] __attribute__((aligned(64))); };

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static void put_reg(struct image *im, unsigned st, struct r80 v)
{
    memcpy(im->b + 32 + 16 * st, &v.mant, 8);
    put16(im->b + 32 + 16 * st + 8, v.se);
}

/* A starting state. Returns whether exceptions are all masked. */
static bool rand_image(struct image *im, const struct tmpl *first)
{
    memset(im, 0, sizeof(*im));
    unsigned rc = rn(4), pc = rn(8) == 0 ? 1 : (rn(3) == 0 ? 0 : rn(2) ? 2 : 3);
    uint16_t masks = 0x3f;
    if (rn(4) == 0)
        masks = (uint16_t)(rnd() & 0x3f);
    uint16_t fcw = (uint16_t)(masks | 0x40 | (pc << 8) | (rc << 10) | (rn(2) << 12));
    uint16_t flags = (uint16_t)(rnd() & masks & 0x3f);
    if (rn(2))
        flags = 0;
    uint16_t fsw = (uint16_t)(flags | (rnd() & 0x4700) | (rn(8) << 11));
    uint8_t abridged = (uint8_t)rnd();
    if (rn(3) == 0)
        abridged = 0xff;
    if (rn(8) == 0)
        abridged = 0;
    put16(im->b + 0, fcw);
    put16(im->b + 2, fsw);
    im->b[4] = abridged;
    for (unsigned i = 0; i < 8; i++)
        put_reg(im, i, rand_f80());
    if (first->kind == K_TRANS) {
        /* Make ST0/ST1 valid arguments most of the time. */
        unsigned top = (fsw >> 11) & 7;
        if (rn(10)) {
            im->b[4] |= (uint8_t)(1u << top);
            im->b[4] |= (uint8_t)(1u << ((top + 1) & 7));
            if (rn(2))
                im->b[4] &= (uint8_t)~(1u << ((top + 7) & 7));
            put_reg(im, 0, rand_trans_arg(first->name, false));
            put_reg(im, 1, rand_trans_arg(first->name, true));
        }
    }
    put16(im->b + 24, 0x1f80);
    put16(im->b + 28, 0xffff);
    return masks == 0x3f;
}

static void rand_data(uint8_t *d, bool bcd)
{
    for (unsigned i = 0; i < DATA_SIZE; i += 8) {
        uint64_t v = rnd();
        memcpy(d + i, &v, 8);
    }
    switch (bcd ? 4 : rn(6)) {
    case 0: { /* f32 */
        uint32_t f = (uint32_t)rnd();
        if (rn(3) == 0)
            f = (f & 0x807fffffu) | (rn(2) ? 0x7f800000u : 0);
        memcpy(d, &f, 4);
        break;
    }
    case 1: { /* f64 */
        uint64_t f = rnd();
        if (rn(3) == 0)
            f = (f & 0x800fffffffffffffull) | (rn(2) ? 0x7ff0000000000000ull : 0);
        else
            f = (f & 0x800fffffffffffffull) | ((uint64_t)(1023 - 70 + rn(140)) << 52);
        memcpy(d, &f, 8);
        break;
    }
    case 2: { /* f80 */
        struct r80 v = rand_f80();
        memcpy(d, &v.mant, 8);
        put16(d + 8, v.se);
        break;
    }
    case 3: { /* small integers */
        int64_t v = (int64_t)(rnd() >> rn(64));
        if (rn(2))
            v = -v;
        memcpy(d, &v, 8);
        break;
    }
    case 4: /* packed BCD */
        for (int i = 0; i < 9; i++)
            d[i] = (uint8_t)((rn(10) << 4) | rn(10));
        d[9] = rn(2) ? 0x80 : 0;
        break;
    default: { /* control word / env */
        uint16_t cw = (uint16_t)(0x037f & ~(rn(4) == 0 ? rnd() & 0x3f : 0));
        cw = (uint16_t)((cw & ~0xf00) | (rnd() & 0xf00));
        put16(d, cw);
        put16(d + 4, (uint16_t)(rnd() & 0x4700 & ~0x3f));
        break;
    }
    }
}

/* ---- running --------------------------------------------------------------- */

typedef void (*stub_fn)(uint8_t *data, uint8_t *img_in, uint8_t *img_out, uint64_t *fl);

/* fxrstor64 [rsi]; push [rcx]; popfq; mov rax,[rcx+8]; <seq>; fxsave64 [rdx];
 * mov [rcx+8],rax; pushfq; pop [rcx]; fninit; ret/hlt */
static size_t build_stub(uint8_t *p, const uint8_t *seq, size_t n, bool native)
{
    size_t k = 0;
    static const uint8_t pre[] = {0x48, 0x0f, 0xae, 0x0e, 0xff, 0x31, 0x9d, 0x48, 0x8b, 0x41, 0x08};
    static const uint8_t post[] = {0x48, 0x0f, 0xae, 0x02, 0x48, 0x89, 0x41, 0x08,
                                   0x9c, 0x8f, 0x01, 0xdb, 0xe3};
    memcpy(p + k, pre, sizeof(pre));
    k += sizeof(pre);
    memcpy(p + k, seq, n);
    k += n;
    memcpy(p + k, post, sizeof(post));
    k += sizeof(post);
    p[k++] = native ? 0xc3 : 0xf4;
    return k;
}

static struct harness H;
static struct cpu_model model;
static uint8_t *native_code;

static void oracle_setup(void)
{
    harness_init(&H, 64);
    model = *cpu_models[0];
    model.isa_mask = ~0ull;
    H.cpu.model = &model;
    H.cpu.mxcsr = 0x1f80;
    native_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(native_code, MAP_FAILED);
}

static void oracle_teardown(void)
{
    munmap(native_code, 4096);
    harness_free(&H);
}

struct outcome {
    struct image img;
    uint8_t data[DATA_SIZE];
    uint64_t fl[2];
};

static void run_native(const uint8_t *seq, size_t n, const struct image *in, const uint8_t *data,
                       uint64_t flags, uint64_t rax, struct outcome *out)
{
    build_stub(native_code, seq, n, true);
    static struct image img_in;
    img_in = *in;
    memcpy(out->data, data, DATA_SIZE);
    memset(&out->img, 0xaa, sizeof(out->img));
    out->fl[0] = flags;
    out->fl[1] = rax;
    __builtin___clear_cache((char *)native_code, (char *)native_code + 256);
    ((stub_fn)(uintptr_t)native_code)(out->data, img_in.b, out->img.b, out->fl);
}

static int run_turtles(const uint8_t *seq, size_t n, const struct image *in, const uint8_t *data,
                       uint64_t flags, uint64_t rax, struct outcome *out)
{
    uint8_t code[128];
    size_t len = build_stub(code, seq, n, false);
    harness_load(&H, G_CODE, code, len);
    physmem_write_buf(&H.mem, G_IMG_IN, in->b, 512);
    uint8_t fill[512];
    memset(fill, 0xaa, sizeof(fill));
    physmem_write_buf(&H.mem, G_IMG_OUT, fill, 512);
    physmem_write_buf(&H.mem, G_DATA, data, DATA_SIZE);
    physmem_write(&H.mem, G_FLAGS, flags, 8);
    physmem_write(&H.mem, G_FLAGS + 8, rax, 8);
    struct cpu *c = &H.cpu;
    c->gpr[R_DI] = G_DATA;
    c->gpr[R_SI] = G_IMG_IN;
    c->gpr[R_DX] = G_IMG_OUT;
    c->gpr[R_CX] = G_FLAGS;
    c->gpr[R_SP] = 0x80000;
    int rc = harness_run(&H, G_CODE, 64);
    physmem_read_buf(&H.mem, G_IMG_OUT, out->img.b, 512);
    physmem_read_buf(&H.mem, G_DATA, out->data, DATA_SIZE);
    out->fl[0] = physmem_read(&H.mem, G_FLAGS, 8);
    out->fl[1] = physmem_read(&H.mem, G_FLAGS + 8, 8);
    return rc;
}

/* ---- transcendentals: checked against the architecture ------------------ */

static f80 reg_f80(const uint8_t *r)
{
    uint64_t m;
    memcpy(&m, r, 8);
    f80 v = { m, get16(r + 8) };
    return v;
}

static bool trans_op_of(const char *name, enum trans_op *op)
{
    static const struct { const char *name; enum trans_op op; } ops[] = {
        {"fsin", T_SIN}, {"fcos", T_COS}, {"fsincos", T_SIN}, {"fptan", T_TAN},
        {"fpatan", T_ATAN2}, {"f2xm1", T_2XM1}, {"fyl2x", T_YL2X}, {"fyl2xp1", T_YL2XP1},
    };
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(name, ops[i].name)) {
            *op = ops[i].op;
            return true;
        }
    return false;
}

/* Tallies printed at the end of the run. */
static uint64_t trans_by_class[3], trans_differ, trans_host_out_of_bound, trans_tiny_skipped;

/*
 * How a transcendental (run alone, so its operands are the starting image's
 * ST0/ST1) is compared. *fsw_mask: the FSW bits the SDM defines for this
 * case; result[i]/refs: the ST(i) after the instruction that hold function
 * values, checked against the MPFR reference within the SDM bound when the
 * two sides differ (Vol.1 8.3.10); every other register must match bit for
 * bit. Returns false if turtles' value is outside the bound (why says so).
 */
static bool compare_trans(const struct tmpl *tt, const struct image *in, const uint8_t *a,
                          const uint8_t *b, uint16_t *fsw_mask, bool skip_reg[8], char *why,
                          size_t whylen)
{
    enum trans_op op;
    if (!trans_op_of(tt->name, &op))
        return true;
    bool sincos = !strcmp(tt->name, "fsincos");
    bool two_op = op == T_ATAN2 || op == T_YL2X || op == T_YL2XP1;
    bool push = sincos || op == T_TAN;
    uint16_t fcw = get16(in->b), fsw = get16(in->b + 2);
    unsigned top = (fsw >> 11) & 7;
    uint8_t tags = in->b[4];
    bool st0_empty = !(tags & (1u << top)), st1_empty = !(tags & (1u << ((top + 1) & 7)));
    bool st7_full = tags & (1u << ((top + 7) & 7));
    /* C1 is "rounded up" in the implementation's own rounding: never compared,
     * except after a stack fault, where it tells overflow from underflow. */
    uint16_t keep = *fsw_mask;
    *fsw_mask = (uint16_t)(keep & ~0x0200);
    if (st0_empty || (two_op && st1_empty) || (push && st7_full)) {
        *fsw_mask = keep;
        trans_by_class[TRANS_DEFINED]++;
        return true;
    }
    f80 x = reg_f80(in->b + 32), y = reg_f80(in->b + 48);
    enum trans_defined cls = two_op ? trans_classify(op, y, x) : trans_classify(op, x, x);
    trans_by_class[cls]++;
    if (cls == TRANS_DEFINED)
        return true;
    /* Where the result lands: ST0, or ST1 (FPTAN's tangent under its 1.0,
     * FSINCOS's sine under the cosine). */
    unsigned nres = sincos ? 2 : 1;
    unsigned slot[2] = {op == T_TAN ? 1u : 0u, 0};
    enum trans_op fn[2] = {op, T_COS};
    if (sincos)
        slot[0] = 1;
    if (cls == TRANS_UNDEFINED) {
        /* Vol.2: "undefined" outside the domain; only the stack effect is
         * architectural. */
        *fsw_mask &= 0x3800;
        for (unsigned k = 0; k < nres; k++)
            skip_reg[slot[k]] = true;
        return true;
    }
    unsigned rc = (fcw >> 10) & 3;
    bool ok = true;
    mpfr_t ref, r64;
    mpfr_init2(ref, REF_PREC);
    mpfr_init2(r64, 64);
    for (unsigned k = 0; k < nres; k++) {
        if (two_op)
            trans_reference(fn[k], y, x, true, ref);
        else
            trans_reference(fn[k], x, x, true, ref);
        bool exact = mpfr_set(r64, ref, MPFR_RNDN) == 0 && mpfr_equal_p(r64, ref);
        bool tiny = !mpfr_zero_p(ref) && mpfr_get_exp(ref) <= 2 - F80_EXP_BIAS + 1;
        bool huge = !mpfr_zero_p(ref) && mpfr_get_exp(ref) > F80_EXP_BIAS + 1;
        if (huge)
            continue; /* the overflow response is defined: compared bit for bit */
        /* PE of an exact result and UE/PE at the underflow threshold follow
         * the implementation's last bit; so do ES and B if they are unmasked. */
        uint16_t loose = (uint16_t)((exact ? 0x20 : 0) | (tiny ? 0x30 : 0));
        *fsw_mask &= (uint16_t)~loose;
        if (loose & ~fcw & 0x3f)
            *fsw_mask &= (uint16_t)~0x8080;
        const uint8_t *ra = a + 32 + 16 * slot[k], *rb = b + 32 + 16 * slot[k];
        skip_reg[slot[k]] = true;
        if (!memcmp(ra, rb, 10))
            continue;
        if (tiny && !(fcw & 0x10)) {
            trans_tiny_skipped++; /* unmasked UE: the stored value is rebiased (Vol.1 8.5.5) */
            continue;
        }
        trans_differ++;
        double bound = trans_ulp_bound((int)rc);
        if (ulp_error(reg_f80(ra), ref) > bound)
            trans_host_out_of_bound++;
        double err = ulp_error(reg_f80(rb), ref);
        if (err > bound && ok) {
            snprintf(why, whylen, "%s st%u %04x:%016llx is %.3f ulp from the exact value",
                     tt->name, slot[k], get16(rb + 8),
                     (unsigned long long)reg_f80(rb).mant, err);
            ok = false;
        }
    }
    mpfr_clears(ref, r64, (mpfr_ptr)0);
    return ok;
}

/* Bytes of the data buffer that FNSTENV/FNSAVE fill with what the SDM
 * leaves to the implementation: the instruction/data pointers and opcode
 * (without a pending exception) and the reserved upper halves. */
static uint8_t env_mask[DATA_SIZE];

static uint64_t partial_remainders, partial_same, cc_undefined_cases, cc_undefined_differ;

static bool compare(const struct outcome *n, const struct outcome *t, const struct tmpl *trans,
                    bool last_prem, uint16_t cc_unknown, const struct image *in, char *why,
                    size_t whylen)
{
    const uint8_t *a = n->img.b, *b = t->img.b;
    uint16_t fsw_mask = (uint16_t)~cc_unknown;
    bool skip_reg[8] = {false};
    if (trans && !compare_trans(trans, in, a, b, &fsw_mask, skip_reg, why, whylen))
        return false;
    if (last_prem && (get16(a + 2) & 0x0400) && (get16(b + 2) & 0x0400)) {
        /* Incomplete reduction (C2, defined): the partial remainder and
         * C0/C1/C3 depend on the implementation's N. */
        partial_remainders++;
        partial_same += !memcmp(a + 32, b + 32, 10) && get16(a + 2) == get16(b + 2);
        skip_reg[0] = true;
        fsw_mask &= (uint16_t)~0x4300;
    }
    if (get16(a) != get16(b)) {
        snprintf(why, whylen, "fcw %04x vs %04x", get16(a), get16(b));
        return false;
    }
    if (cc_unknown)
        cc_undefined_cases++;
    if ((get16(a + 2) ^ get16(b + 2)) & cc_unknown)
        cc_undefined_differ++;
    if ((get16(a + 2) & fsw_mask) != (get16(b + 2) & fsw_mask)) {
        snprintf(why, whylen, "fsw %04x vs %04x", get16(a + 2), get16(b + 2));
        return false;
    }
    if (a[4] != b[4]) {
        snprintf(why, whylen, "ftw %02x vs %02x", a[4], b[4]);
        return false;
    }
    if (memcmp(a + 24, b + 24, 4)) {
        snprintf(why, whylen, "mxcsr %08x vs %08x", get32(a + 24), get32(b + 24));
        return false;
    }
    /* MXCSR_MASK: Intel stores 0xffff (with DAZ); AMD parts add MM (bit
     * 17, misaligned SSE exception mask). Compared on Intel hosts only. */
    if (oracle_host()->intel && memcmp(a + 28, b + 28, 4)) {
        snprintf(why, whylen, "mxcsr_mask %08x vs %08x", get32(a + 28), get32(b + 28));
        return false;
    }
    for (unsigned i = 0; i < 8; i++) {
        const uint8_t *ra = a + 32 + 16 * i, *rb = b + 32 + 16 * i;
        bool same = skip_reg[i] || !memcmp(ra, rb, 10);
        if (!same || memcmp(ra + 10, rb + 10, 6)) {
            uint64_t ma, mb;
            memcpy(&ma, ra, 8);
            memcpy(&mb, rb, 8);
            snprintf(why, whylen, "st%u %04x:%016llx vs %04x:%016llx", i, get16(ra + 8),
                     (unsigned long long)ma, get16(rb + 8), (unsigned long long)mb);
            return false;
        }
    }
    if (memcmp(a + 160, b + 160, 256)) {
        snprintf(why, whylen, "xmm area");
        return false;
    }
    unsigned off = 0;
    while (off < DATA_SIZE && (env_mask[off] || n->data[off] == t->data[off]))
        off++;
    if (off < DATA_SIZE) {
        snprintf(why, whylen, "memory at +%u: %02x vs %02x", off, n->data[off], t->data[off]);
        return false;
    }
    if ((n->fl[0] & ARITH) != (t->fl[0] & ARITH)) {
        snprintf(why, whylen, "rflags %llx vs %llx", (unsigned long long)n->fl[0],
                 (unsigned long long)t->fl[0]);
        return false;
    }
    if (n->fl[1] != t->fl[1]) {
        snprintf(why, whylen, "rax %llx vs %llx", (unsigned long long)n->fl[1],
                 (unsigned long long)t->fl[1]);
        return false;
    }
    return true;
}

static void dump_case(const uint8_t *seq, size_t n, const struct image *in, const uint8_t *data)
{
    fprintf(stderr, "  seq:");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02x", seq[i]);
    fprintf(stderr, "\n  fcw %04x fsw %04x ftw %02x\n", get16(in->b), get16(in->b + 2), in->b[4]);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t m;
        memcpy(&m, in->b + 32 + 16 * i, 8);
        fprintf(stderr, "  st%u %04x:%016llx\n", i, get16(in->b + 32 + 16 * i + 8),
                (unsigned long long)m);
    }
    fprintf(stderr, "  data:");
    for (unsigned i = 0; i < (getenv("X87_ORACLE_VERBOSE") ? 112u : 16u); i++)
        fprintf(stderr, " %02x", data[i]);
    fprintf(stderr, "\n");
}

START_TEST(test_x87_oracle)
{
    build_templates();
    const char *s = getenv("X87_ORACLE_SEED");
    rng = s ? strtoull(s, NULL, 0) : 0x87871234ull;
    uint64_t target = oracle_env_u64("X87_ORACLE_INSNS", X87_ORACLE_DEFAULT_INSNS);
    printf("test_oracle_x87: %llu instructions (X87_ORACLE_INSNS)%s\n", (unsigned long long)target,
           X87_ORACLE_SANITIZED ? ", fewer under AddressSanitizer" : "");
    printf("test_oracle_x87: never compared: FOP, FIP, FDP, FCS, FDS in the FXSAVE image and the "
           "pointer and reserved fields of FNSTENV/FNSAVE (implementation-specific)\n");
    if (!oracle_host()->intel)
        printf("test_oracle_x87: not compared on this non-Intel host: MXCSR_MASK\n");
    fflush(stdout);
    const char *only = getenv("X87_ORACLE_ONLY");
    const char *sq = getenv("X87_ORACLE_SEQ");
    unsigned seqmax = sq ? (unsigned)atoi(sq) : 6;
    static unsigned fails_by[1024];
    unsigned pick[1024], npick = 0;
    for (unsigned i = 0; i < ntmpl; i++)
        if (!only || !strncmp(tmpls[i].name, only, strlen(only)))
            pick[npick++] = i;
    ck_assert_uint_gt(npick, 0);
    bool any_plain = false;
    for (unsigned i = 0; i < npick; i++)
        any_plain |= tmpls[pick[i]].kind == K_PLAIN || tmpls[pick[i]].kind == K_PREM;
    if (!any_plain)
        seqmax = 1;
    uint64_t executed = 0, cases = 0, mismatches = 0;
    while (executed < target) {
        const struct tmpl *first = &tmpls[pick[rn(npick)]];
        struct image in;
        bool masked = rand_image(&in, first);
        uint8_t data[DATA_SIZE];
        rand_data(data, first->kind == K_FIRST);
        uint8_t seq[64];
        size_t n = 0;
        /* Environment stores hold implementation-specific pointers that later
         * loads from the buffer would spread, and a transcendental's last bit
         * and C1 are the implementation's (Vol.1 8.3.10): they run alone, so
         * nothing builds on them and a transcendental's operands are the
         * image's ST0/ST1, the inputs of its MPFR reference. */
        unsigned count = 0,
                 max = (masked && (first->kind == K_PLAIN || first->kind == K_PREM ||
                                   first->kind == K_FIRST))
                           ? 1 + rn(seqmax) : 1;
        const struct tmpl *trans = NULL;
        uint16_t cc_unknown = 0; /* condition codes left undefined so far */
        bool last_prem = false;
        const struct tmpl *t = first;
        memset(env_mask, 0, sizeof(env_mask));
        while (count < max) {
            if (t->kind == K_ENV) {
                bool w16 = t->bytes[0] == 0x66;
                if (w16) {
                    memset(env_mask + 6, 1, 8);
                } else {
                    memset(env_mask + 12, 1, 16);
                    /* The upper halves of the FCW/FSW/FTW dwords are
                     * reserved (Vol.1 Figure 8-9); turtles writes Intel's
                     * 0xffff (pinned in test_ops_x87). */
                    memset(env_mask + 2, 1, 2);
                    memset(env_mask + 6, 1, 2);
                    memset(env_mask + 10, 1, 2);
                }
            }
            uint16_t cc_def, cc_undef;
            cc_effect(t->name, &cc_def, &cc_undef);
            cc_unknown = (uint16_t)((cc_unknown & ~cc_def) | cc_undef);
            memcpy(seq + n, t->bytes, t->len);
            if (t->reg_i)
                seq[n + t->len - 1] = (uint8_t)(seq[n + t->len - 1] + rn(8));
            n += t->len;
            count++;
            if (t->kind == K_TRANS)
                trans = t;
            last_prem = t->kind == K_PREM;
            if (count == max || last_prem)
                break;
            do
                t = &tmpls[pick[rn(npick)]];
            while (t->kind != K_PLAIN && t->kind != K_PREM);
            /* FNSTSW would store undefined condition codes: the sequence
             * ends before it. */
            if (cc_unknown && !strcmp(t->name, "fnstsw"))
                break;
        }
        uint64_t flags = 0x2 | (rnd() & ARITH);
        uint64_t rax = rnd();
        struct outcome o_nat, o_tur;
        run_native(seq, n, &in, data, flags, rax, &o_nat);
        int rc = run_turtles(seq, n, &in, data, flags, rax, &o_tur);
        char why[160] = "";
        bool ok = rc == 0 && compare(&o_nat, &o_tur, trans, last_prem, cc_unknown, &in, why,
                                     sizeof(why));
        if (rc != 0)
            snprintf(why, sizeof(why), "turtles run returned %d (exception %d)", rc,
                     H.cpu.exc_vector);
        if (!ok) {
            if (mismatches < (getenv("X87_ORACLE_VERBOSE") ? 200u : 20u)) {
                fprintf(stderr, "x87 oracle mismatch (%s): %s\n", first->name, why);
                dump_case(seq, n, &in, data);
            }
            mismatches++;
            if (count == 1)
                fails_by[first - tmpls]++;
            /* A fresh CPU after a failure (the harness may have shut down). */
            harness_free(&H);
            harness_init(&H, 64);
            H.cpu.model = &model;
            H.cpu.mxcsr = 0x1f80;
        }
        executed += count;
        cases++;
    }
    for (unsigned i = 0; i < ntmpl; i++)
        if (fails_by[i])
            fprintf(stderr, "  single-insn mismatches %s (%02x %02x): %u\n", tmpls[i].name,
                    tmpls[i].bytes[0], tmpls[i].bytes[1], fails_by[i]);
    fprintf(stderr, "x87 oracle: %llu instructions in %llu sequences, %llu mismatches\n",
            (unsigned long long)executed, (unsigned long long)cases,
            (unsigned long long)mismatches);
    fprintf(stderr, "x87 oracle: %llu sequences end with condition codes the SDM leaves undefined "
            "(not compared; they differ from the host's in %llu)\n",
            (unsigned long long)cc_undefined_cases, (unsigned long long)cc_undefined_differ);
    fprintf(stderr, "x87 oracle: %llu incomplete FPREM/FPREM1 reductions (partial remainder "
            "and C0/C1/C3 not compared; %llu identical to the host's anyway)\n",
            (unsigned long long)partial_remainders, (unsigned long long)partial_same);
    fprintf(stderr,
            "x87 oracle: transcendentals %llu defined (bit for bit), %llu approximate (%llu results "
            "differ from the host's, checked within the SDM bound of MPFR; host outside it: %llu, "
            "unmasked-underflow values skipped: %llu), %llu undefined (stack effect only)\n",
            (unsigned long long)trans_by_class[TRANS_DEFINED],
            (unsigned long long)trans_by_class[TRANS_APPROX], (unsigned long long)trans_differ,
            (unsigned long long)trans_host_out_of_bound, (unsigned long long)trans_tiny_skipped,
            (unsigned long long)trans_by_class[TRANS_UNDEFINED]);
    ck_assert_uint_eq(mismatches, 0);
}
END_TEST

static Suite *oracle_suite(void)
{
    Suite *s = suite_create("x87_oracle");
    TCase *tc = tcase_create("oracle");
    tcase_add_checked_fixture(tc, oracle_setup, oracle_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_x87_oracle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    oracle_print_host("test_oracle_x87");
    SRunner *sr = srunner_create(oracle_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else

int main(void)
{
    printf("test_oracle_x87: skipped (needs an x86-64 host)\n");
    return 0;
}

#endif

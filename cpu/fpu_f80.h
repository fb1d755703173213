/*
 * x87 80-bit extended-precision arithmetic, in software.
 *
 * This is the arithmetic core behind the x87 instruction handlers. Every
 * result is computed with integer arithmetic only (no host floating point),
 * so it is identical on every host. The basic operations, conversions and
 * FPREM/FSCALE/FXTRACT/FRNDINT are bit-exact with Intel hardware (checked
 * against the host x87 in tests/unit/test_fpu_f80.c); the transcendentals
 * are within 1 ulp of the correctly rounded result of Intel's model (see
 * the note above f80_sin).
 *
 * Conventions shared by every function:
 *  - `e->flags` is OR-accumulated with the exceptions raised, in the FSW bit
 *    layout (F80_IE ... F80_PE). Stack faults (SF) are the caller's business.
 *  - `e->c1` is overwritten by every function (SDM Vol.1 8.1.3.3, "C1 =
 *    rounded up"): true when the result was rounded away from zero (magnitude
 *    increased), false otherwise. FPREM, FCOM and FXAM define C1 differently
 *    and return their condition codes separately (their e->c1 is false). For
 *    the transcendentals Intel's C1 follows its internal algorithm and differs
 *    from this one in ~1% of cases; the result bits and flags still agree.
 *  - `e->masks` (FCW low 6 bits) only changes the *result* where the SDM says
 *    an unmasked exception delivers something different: an unmasked
 *    overflow/underflow of a register result returns the rounded value with
 *    its exponent biased by -/+24576 (SDM Vol.1 8.5.4, 8.5.5; FSCALE results
 *    beyond even that range give infinity/zero, as on hardware); FST m32/m64
 *    with an unmasked overflow/underflow raise only OE/UE and the caller must
 *    store nothing. Whether to take the #MF is the caller's decision, from
 *    `flags & ~masks`; the caller must also leave the destination unchanged
 *    when IE, ZE or DE is raised and unmasked (SDM Vol.1 8.5).
 *  - `e->pc` (precision control) affects only add/sub/mul/div/sqrt
 *    (SDM Vol.1 8.1.5.2); the extended exponent range is kept.
 *  - Operands may be any bit pattern. Unsupported encodings raise IE and give
 *    the real indefinite; pseudo-denormals are denormal operands of
 *    exponent 1 (DE) and never produced.
 */
#ifndef TURTLES_CPU_FPU_F80_H
#define TURTLES_CPU_FPU_F80_H

#include <stdbool.h>
#include <stdint.h>

/* The in-register format: explicit integer bit in mant bit 63. */
typedef struct {
    uint64_t mant;
    uint16_t sign_exp; /* bit 15 sign, bits 14:0 biased exponent (bias 16383) */
} f80;

#define F80_EXP_BIAS 16383
#define F80_EXP_MAX 0x7FFF

/* FSW exception bits. */
#define F80_IE 0x01
#define F80_DE 0x02
#define F80_ZE 0x04
#define F80_OE 0x08
#define F80_UE 0x10
#define F80_PE 0x20

/* FSW condition-code bits, as returned through `cc` arguments. */
#define F80_C0 0x0100
#define F80_C1 0x0200
#define F80_C2 0x0400
#define F80_C3 0x4000

/* FCW.RC values (FCW bits 11:10). */
#define F80_RC_NEAREST 0
#define F80_RC_DOWN 1
#define F80_RC_UP 2
#define F80_RC_ZERO 3

/* FCW.PC values (FCW bits 9:8); 1 is reserved and behaves as 3 here. */
#define F80_PC_24 0
#define F80_PC_53 2
#define F80_PC_64 3

struct f80_env {
    uint8_t rc;     /* rounding control, F80_RC_* */
    uint8_t pc;     /* precision control, F80_PC_* */
    uint16_t flags; /* exceptions raised (OR-accumulated), F80_IE..F80_PE */
    bool c1;        /* result was rounded up in magnitude */
    uint16_t masks; /* FCW exception masks (low 6 bits); 0x3F = all masked */
};

/* An env with all exceptions masked, round to nearest, 64-bit precision. */
struct f80_env f80_env_default(void);

/* ---- constants and construction ---------------------------------------- */

f80 f80_make(bool sign, uint16_t exp, uint64_t mant);
/* Real indefinite: the QNaN produced by masked invalid operations. */
f80 f80_indefinite(void);
f80 f80_zero(bool sign);
f80 f80_inf(bool sign);
f80 f80_one(void);

static inline bool f80_sign(f80 a) { return (a.sign_exp >> 15) != 0; }
static inline uint16_t f80_exp(f80 a) { return a.sign_exp & 0x7FFF; }

/* ---- classification ----------------------------------------------------- */

enum f80_class {
    F80_CLASS_ZERO,
    F80_CLASS_DENORMAL,    /* exp 0, mant != 0; includes pseudo-denormals */
    F80_CLASS_NORMAL,
    F80_CLASS_INF,
    F80_CLASS_QNAN,
    F80_CLASS_SNAN,
    F80_CLASS_UNSUPPORTED, /* pseudo-NaN, pseudo-infinity, unnormal */
};

enum f80_class f80_classify(f80 a);
bool f80_is_nan(f80 a);          /* QNaN or SNaN (supported encodings only) */
bool f80_is_signaling_nan(f80 a);
bool f80_is_unsupported(f80 a);

/*
 * FXAM (SDM Vol.2 FXAM): condition codes C3,C2,C0 for the class, plus C1 =
 * sign, as FSW bits. The "empty" class (C3,C0 set) is the caller's, which
 * knows the tag word.
 */
uint16_t f80_fxam(f80 a);

/* ---- basic arithmetic (affected by e->pc) ------------------------------- */

f80 f80_add(f80 a, f80 b, struct f80_env *e);
f80 f80_sub(f80 a, f80 b, struct f80_env *e);   /* a - b */
f80 f80_mul(f80 a, f80 b, struct f80_env *e);
f80 f80_div(f80 a, f80 b, struct f80_env *e);   /* a / b */
f80 f80_sqrt(f80 a, struct f80_env *e);

/* ---- other arithmetic (always 64-bit precision) ------------------------- */

f80 f80_round_to_int(f80 a, struct f80_env *e);       /* FRNDINT */
f80 f80_scale(f80 a, f80 b, struct f80_env *e);       /* FSCALE: a * 2^trunc(b) */
/* FXTRACT: *exp = unbiased exponent of a as a value, *sig = a with exponent 0. */
void f80_xtract(f80 a, f80 *exp, f80 *sig, struct f80_env *e);
/*
 * FPREM (ieee=false, quotient truncated) / FPREM1 (ieee=true, quotient
 * rounded to nearest even) of a (ST0) by b (ST1). *cc receives C0,C1,C2,C3:
 * C2 set (and C0,C1,C3 clear) for a partial remainder (exponent difference
 * > 63, reduced by 32..63 bits as Intel does), otherwise C2 clear and the
 * three low quotient bits Q2,Q1,Q0 in C0,C3,C1.
 */
f80 f80_prem(f80 a, f80 b, bool ieee, struct f80_env *e, uint16_t *cc);

enum f80_relation {
    F80_LT = 0,
    F80_EQ = 1,
    F80_GT = 2,
    F80_UNORDERED = 3,
};
/* FCOM (quiet=false: any NaN -> IE) / FUCOM (quiet=true: only SNaN -> IE). */
enum f80_relation f80_compare(f80 a, f80 b, bool quiet, struct f80_env *e);
/* FCOM/FUCOM condition codes C3,C2,C0 for a relation, as FSW bits. */
uint16_t f80_relation_cc(enum f80_relation r);

/* ---- conversions (fpu_f80_convert.c) ------------------------------------ */

/* FILD: always exact. */
f80 f80_from_i16(int16_t v);
f80 f80_from_i32(int32_t v);
f80 f80_from_i64(int64_t v);

/*
 * FIST/FISTP (truncate=false: round by e->rc) and FISTTP (truncate=true).
 * NaN, infinity, unsupported or out of range -> IE and the integer
 * indefinite (the most negative value).
 */
int16_t f80_to_i16(f80 a, bool truncate, struct f80_env *e);
int32_t f80_to_i32(f80 a, bool truncate, struct f80_env *e);
int64_t f80_to_i64(f80 a, bool truncate, struct f80_env *e);

/* FLD m32/m64: exact; SNaN -> IE and quieted; denormal -> DE. */
f80 f80_from_f32(uint32_t bits, struct f80_env *e);
f80 f80_from_f64(uint64_t bits, struct f80_env *e);
/*
 * FST m32/m64: rounded by e->rc to the memory format's precision and range;
 * NaNs keep their top fraction bits (quieted, IE for an SNaN), unsupported
 * encodings give the format's indefinite with IE. A denormal f80 source does
 * not raise DE (as on hardware). When OE or UE is raised and unmasked only
 * that flag is reported and the caller must store nothing (SDM Vol.1 4.9.1.4,
 * 4.9.1.5); the returned bits are then meaningless.
 */
uint32_t f80_to_f32(f80 a, struct f80_env *e);
uint64_t f80_to_f64(f80 a, struct f80_env *e);

/*
 * FBLD/FBSTP: 10-byte packed BCD image, little-endian as in memory (byte 9
 * bit 7 is the sign, bytes 0..8 hold 18 digits, low digit in byte 0 bits 3:0).
 * f80_from_bcd is exact; f80_to_bcd rounds by e->rc and stores the BCD
 * indefinite (FF FF C0 00.. from the top byte) with IE when the value does not
 * fit in 18 digits or is not a number.
 */
f80 f80_from_bcd(const uint8_t bcd[10]);
void f80_to_bcd(f80 a, uint8_t bcd[10], struct f80_env *e);

/* ---- transcendentals (fpu_f80_transcendental.c) -------------------------- */

/*
 * FSIN/FCOS/FSINCOS/FPTAN.
 *
 * Return false (and write nothing, raise nothing) when |a| >= 2^63: the
 * instruction then sets C2 and leaves ST0 unchanged (SDM Vol.2 FSIN).
 * Otherwise return true with the result(s) written; the caller clears C2.
 *
 * Argument reduction: like Intel hardware, the argument is reduced modulo
 * pi/2 using a 66-bit approximation of pi (pi66 = 0x3243F6A8885A308D3 *
 * 2^-64), exactly (the remainder x - q*pi66/2 is computed without error).
 * The result is then sin/cos/tan of that exactly reduced argument, rounded
 * by e->rc, to within 1 ulp (almost always correctly rounded). So for large
 * |x| the result follows Intel's FSIN, not the mathematical sin(x).
 * Below 2^-68 the results are x (sin, tan) and 1 (cos), PE set and C1 clear
 * in every rounding mode, which is what Intel parts return.
 * Known difference: for 2^-68 <= |x| < 2^-33 Intel's FPTAN rounds down by
 * one ulp in the directed modes; this code rounds correctly there.
 */
bool f80_sin(f80 a, f80 *res, struct f80_env *e);
bool f80_cos(f80 a, f80 *res, struct f80_env *e);
bool f80_sincos(f80 a, f80 *sin_res, f80 *cos_res, struct f80_env *e);
bool f80_tan(f80 a, f80 *res, struct f80_env *e); /* caller then pushes 1.0 */

/* FPATAN: atan(y/x) with the quadrant of (x, y); y is ST1, x is ST0. */
f80 f80_atan2(f80 y, f80 x, struct f80_env *e);
/* F2XM1: 2^a - 1 for -1 <= a <= 1; beyond that a itself with PE, as Intel does. */
f80 f80_2xm1(f80 a, struct f80_env *e);
/*
 * FYL2X: y * log2(x); y is ST1, x is ST0. PE is raised even when the result
 * is exact (x a power of two), as on Intel hardware.
 */
f80 f80_yl2x(f80 y, f80 x, struct f80_env *e);
/*
 * FYL2XP1: y * log2(x + 1); documented for |x| < 1 - sqrt(2)/2, computed for
 * any x > -1; a finite x <= -1 gives x itself with PE, as Intel does.
 */
f80 f80_yl2xp1(f80 y, f80 x, struct f80_env *e);

#endif

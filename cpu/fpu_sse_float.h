/*
 * Software binary32/binary64 arithmetic with the exact semantics of x86 SSE
 * (SDM Vol.1 ch.4.8-4.9 and 11.5, Vol.2 instruction pages).
 *
 * Everything is computed with integer arithmetic so that results, MXCSR
 * flags and NaN choices are identical on every host (aarch64 included).
 *
 * Values are passed as raw IEEE bit patterns: uint32_t for binary32,
 * uint64_t for binary64.
 *
 * struct sse_env carries MXCSR.  Each operation reads RC (bits 14:13), FTZ
 * (bit 15), DAZ (bit 6) and the mask bits 12:7, and ORs the exceptions it
 * detects into the flag bits 5:0.  Nothing here traps: the instruction
 * handler compares the flags an operation added with the mask bits and
 * raises #XM / #UD itself.  A handler that needs per-lane flags (for the
 * "no post-computation exception if any lane had an unmasked
 * pre-computation exception" rule of SDM Vol.1 11.5.1) runs each lane with
 * its own env whose flag bits start cleared and ORs them afterwards.
 *
 * Mask bits change which flags an operation raises (SDM Vol.1 11.5.1-2;
 * the details below were measured on hardware by the unit test):
 *  - UM clear: UE is flagged whenever the result is tiny (tininess is
 *    detected after rounding), even if exact, and FTZ does not apply; PE
 *    comes with it only if the significand rounded to full precision
 *    (unbounded exponent) was inexact.
 *  - OM clear: OE, and PE only if the significand was inexact; a masked
 *    overflow always adds PE.
 *  - an unmasked IE, DE or ZE stops the operation before the computation,
 *    so no OE/UE/PE is flagged after it.
 * The returned value is meaningless whenever a flag the handler finds
 * unmasked was raised; the handler must not write it to the destination.
 */
#ifndef TURTLES_CPU_FPU_SSE_FLOAT_H
#define TURTLES_CPU_FPU_SSE_FLOAT_H

#include <stdbool.h>
#include <stdint.h>

/* MXCSR layout, SDM Vol.1 10.2.3 */
#define SSE_MXCSR_IE        (1u << 0)   /* invalid operation */
#define SSE_MXCSR_DE        (1u << 1)   /* denormal operand */
#define SSE_MXCSR_ZE        (1u << 2)   /* divide by zero */
#define SSE_MXCSR_OE        (1u << 3)   /* overflow */
#define SSE_MXCSR_UE        (1u << 4)   /* underflow */
#define SSE_MXCSR_PE        (1u << 5)   /* precision (inexact) */
#define SSE_MXCSR_FLAGS     0x3fu
#define SSE_MXCSR_DAZ       (1u << 6)
#define SSE_MXCSR_MASK_SHIFT 7          /* IM..PM = flag bit << 7 */
#define SSE_MXCSR_MASKS     (0x3fu << SSE_MXCSR_MASK_SHIFT)
#define SSE_MXCSR_RC_SHIFT  13
#define SSE_MXCSR_RC_MASK   (3u << SSE_MXCSR_RC_SHIFT)
#define SSE_MXCSR_FTZ       (1u << 15)
#define SSE_MXCSR_DEFAULT   0x1f80u     /* power-up value: all masked, RN */

/* Rounding control values (MXCSR.RC and ROUNDSS imm bits 1:0) */
#define SSE_RC_NEAREST 0u
#define SSE_RC_DOWN    1u
#define SSE_RC_UP      2u
#define SSE_RC_ZERO    3u

/* QNaN floating-point indefinite, SDM Vol.1 4.8.3.7 */
#define F32_DEFAULT_NAN 0xffc00000u
#define F64_DEFAULT_NAN 0xfff8000000000000ull
/* Integer indefinite returned by out-of-range conversions, SDM Vol.1 4.8.3.7 */
#define SSE_INT32_INDEFINITE 0x80000000u
#define SSE_INT64_INDEFINITE 0x8000000000000000ull

struct sse_env {
    uint32_t mxcsr;
};

/*
 * Arithmetic: ADDSS/SUBSS/MULSS/DIVSS/SQRTSS and the SD/PS/PD forms, lane
 * by lane.  'a' is the first source (the destination register of the
 * legacy SSE form), 'b' the second.  NaN results follow SDM Vol.1 4.8.3.5
 * table 4-7: an SNaN source raises IE; the first source if it is a NaN,
 * else the second, is returned quieted; an invalid operation without NaN
 * sources returns the default NaN.
 */
uint32_t f32_add(uint32_t a, uint32_t b, struct sse_env *e);
uint32_t f32_sub(uint32_t a, uint32_t b, struct sse_env *e);
uint32_t f32_mul(uint32_t a, uint32_t b, struct sse_env *e);
uint32_t f32_div(uint32_t a, uint32_t b, struct sse_env *e);
uint32_t f32_sqrt(uint32_t a, struct sse_env *e);
uint64_t f64_add(uint64_t a, uint64_t b, struct sse_env *e);
uint64_t f64_sub(uint64_t a, uint64_t b, struct sse_env *e);
uint64_t f64_mul(uint64_t a, uint64_t b, struct sse_env *e);
uint64_t f64_div(uint64_t a, uint64_t b, struct sse_env *e);
uint64_t f64_sqrt(uint64_t a, struct sse_env *e);

/*
 * MINSS/MAXSS family: result = (a < b) ? a : b (resp. a > b).  When either
 * source is a NaN (quiet or signalling) or both are zeros of any sign the
 * SECOND source b is returned unchanged (not quieted); any NaN raises IE.
 * Under DAZ a denormal source is returned as the signed zero it was
 * treated as.
 */
uint32_t f32_min(uint32_t a, uint32_t b, struct sse_env *e);
uint32_t f32_max(uint32_t a, uint32_t b, struct sse_env *e);
uint64_t f64_min(uint64_t a, uint64_t b, struct sse_env *e);
uint64_t f64_max(uint64_t a, uint64_t b, struct sse_env *e);

/*
 * CMPSS/CMPPS/CMPSD/CMPPD and their VEX forms: 'predicate' is imm8 bits 4:0
 * (0..7 for legacy SSE, 0..31 for AVX; SDM Vol.2 CMPPS table 3-1).  Returns
 * whether "a predicate b" holds; the handler turns it into an all-ones or
 * all-zeros lane.  Signalling predicates raise IE for any NaN, quiet ones
 * only for SNaN.
 */
bool f32_compare(uint32_t a, uint32_t b, unsigned predicate, struct sse_env *e);
bool f64_compare(uint64_t a, uint64_t b, unsigned predicate, struct sse_env *e);

/*
 * COMISS/UCOMISS/COMISD/UCOMISD: returns the RFLAGS bits ZF, PF, CF
 * (positions 6, 2, 0) to set; the handler clears OF, SF, AF.
 *   unordered 111, a > b 000, a < b 001, equal 100.
 * COMI* raise IE for any NaN, UCOMI* only for SNaN.
 */
#define SSE_RFLAGS_CF (1u << 0)
#define SSE_RFLAGS_PF (1u << 2)
#define SSE_RFLAGS_ZF (1u << 6)
uint32_t f32_comi(uint32_t a, uint32_t b, struct sse_env *e);
uint32_t f32_ucomi(uint32_t a, uint32_t b, struct sse_env *e);
uint32_t f64_comi(uint64_t a, uint64_t b, struct sse_env *e);
uint32_t f64_ucomi(uint64_t a, uint64_t b, struct sse_env *e);

/*
 * Conversions.
 *  f32_to_f64 (CVTSS2SD/CVTPS2PD): exact; SNaN -> IE and quieted.
 *  f64_to_f32 (CVTSD2SS/CVTPD2PS): rounds with MXCSR.RC; a NaN keeps the top
 *    of its payload.
 *  i32/i64 -> f32/f64 (CVTSI2SS, CVTDQ2PS, ...): rounds with MXCSR.RC.
 *  f32/f64 -> i32/i64 (CVTSS2SI, CVTPS2DQ, ...): round with MXCSR.RC; the
 *    _trunc variants (CVTT*) round toward zero.  NaN, infinity and
 *    out-of-range values give the integer indefinite and IE.
 * Integers are passed as their two's complement bit patterns.
 */
uint64_t f32_to_f64(uint32_t a, struct sse_env *e);
uint32_t f64_to_f32(uint64_t a, struct sse_env *e);
uint32_t i32_to_f32(uint32_t a, struct sse_env *e);
uint32_t i64_to_f32(uint64_t a, struct sse_env *e);
uint64_t i32_to_f64(uint32_t a, struct sse_env *e);
uint64_t i64_to_f64(uint64_t a, struct sse_env *e);
uint32_t f32_to_i32(uint32_t a, struct sse_env *e);
uint32_t f32_to_i32_trunc(uint32_t a, struct sse_env *e);
uint64_t f32_to_i64(uint32_t a, struct sse_env *e);
uint64_t f32_to_i64_trunc(uint32_t a, struct sse_env *e);
uint32_t f64_to_i32(uint64_t a, struct sse_env *e);
uint32_t f64_to_i32_trunc(uint64_t a, struct sse_env *e);
uint64_t f64_to_i64(uint64_t a, struct sse_env *e);
uint64_t f64_to_i64_trunc(uint64_t a, struct sse_env *e);

/*
 * ROUNDSS/ROUNDSD/ROUNDPS/ROUNDPD (SSE4.1): round to an integral value in
 * the same format.  imm bits 1:0 give the rounding mode, bit 2 set selects
 * MXCSR.RC instead, bit 3 set suppresses PE.  SNaN -> IE and quieted; DE is
 * never raised.
 */
#define SSE_ROUND_IMM_USE_MXCSR  (1u << 2)
#define SSE_ROUND_IMM_NO_PE      (1u << 3)
uint32_t f32_round(uint32_t a, unsigned imm, struct sse_env *e);
uint64_t f64_round(uint64_t a, unsigned imm, struct sse_env *e);

/*
 * RCPSS/RCPPS and RSQRTSS/RSQRTPS: approximations with relative error at
 * most 1.5 * 2^-12 (SDM Vol.2 RCPSS).  They raise no exception and ignore
 * MXCSR.  Denormal inputs are treated as zeros (-> infinity of the same
 * sign) and results below the normal range are flushed to zero, as the SDM
 * describes for these instructions.  Negative non-zero inputs to RSQRT
 * give the default NaN; NaN inputs come back quieted.
 */
uint32_t f32_rcp_approx(uint32_t a);
uint32_t f32_rsqrt_approx(uint32_t a);

/*
 * DPPS / DPPD (SSE4.1, SDM Vol.2 DPPS), in Intel's order of operations:
 *   DPPS: t[i] = imm.bit(4+i) ? a[i]*b[i] : +0.0   (i = 0..3, each rounded)
 *         s01 = t[0] + t[1];  s23 = t[2] + t[3];  sum = s01 + s23
 *         out[k] = imm.bit(k) ? sum : +0.0
 *   DPPD: t[i] = imm.bit(4+i) ? a[i]*b[i] : +0.0   (i = 0..1)
 *         sum = t[0] + t[1];   out[k] = imm.bit(k) ? sum : +0.0
 * The operand order inside each addition only decides which NaN comes out
 * when both addends are NaNs, which the SDM leaves to the implementation
 * and hardware does differently: AMD family 1Ah adds (t0+t1)+(t2+t3),
 * first operand first, for every lane; turtles keeps the per-lane order
 * measured on the host this code was first checked against (Intel's is not
 * documented; the oracles accept either, tests/unit/oracle_sse_defined.h):
 *   DPPS even k: t1+t0, t3+t2; odd k: t0+t1, t2+t3;
 *        k < 2: s01+s23; k >= 2: s23+s01.
 *   DPPD k = 0: t0+t1; k = 1: t1+t0.
 * Each multiplication and addition rounds with MXCSR and contributes its
 * flags; lanes excluded by imm bits 7:4 are not multiplied at all.
 * 'out' may alias 'a' or 'b'.
 */
void f32_dpps(const uint32_t a[4], const uint32_t b[4], unsigned imm,
              uint32_t out[4], struct sse_env *e);
void f64_dppd(const uint64_t a[2], const uint64_t b[2], unsigned imm,
              uint64_t out[2], struct sse_env *e);

#endif

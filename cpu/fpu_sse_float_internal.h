/*
 * Shared machinery of the SSE soft-float (private to cpu/fpu_sse_float_*.c).
 *
 * Both formats are handled by the same code, parameterised by a struct
 * fp_format; packed values travel in uint64_t (binary32 zero-extended).
 *
 * A finite non-zero value is unpacked to (sign, exp, sig) meaning
 *   (-1)^sign * sig * 2^(exp - 62)
 * with the leading one of sig at bit 62: bit 63 stays free for the carry
 * of an addition, and the bits below the format's precision (39 for
 * binary32, 10 for binary64) hold guard/round bits and a sticky bit.
 */
#ifndef TURTLES_CPU_FPU_SSE_FLOAT_INTERNAL_H
#define TURTLES_CPU_FPU_SSE_FLOAT_INTERNAL_H

#include "cpu/fpu_sse_float.h"

struct fp_format {
    unsigned frac_bits;       /* stored fraction bits: 23 / 52 */
    unsigned exp_bits;        /* exponent field width: 8 / 11 */
    int32_t bias;             /* 127 / 1023 */
};

extern const struct fp_format ssefp_format_f32;
extern const struct fp_format ssefp_format_f64;

enum fp_class {
    FP_ZERO,
    FP_DENORMAL,              /* finite, non-zero, below the normal range */
    FP_NORMAL,
    FP_INF,
    FP_QNAN,
    FP_SNAN,
};

struct fp_value {
    enum fp_class cls;
    unsigned sign;
    int32_t exp;              /* valid for FP_NORMAL and FP_DENORMAL */
    uint64_t sig;             /* leading one at bit 62 for finite non-zero */
};

#define FP_SIG_LEAD (1ull << 62)

static inline unsigned fp_sign_pos(const struct fp_format *f)
{
    return f->exp_bits + f->frac_bits;
}

static inline uint64_t fp_sign_bit(const struct fp_format *f)
{
    return 1ull << fp_sign_pos(f);
}

static inline uint64_t fp_quiet_bit(const struct fp_format *f)
{
    return 1ull << (f->frac_bits - 1);
}

static inline uint32_t fp_exp_all_ones(const struct fp_format *f)
{
    return (1u << f->exp_bits) - 1;
}

static inline uint64_t fp_pack_inf(const struct fp_format *f, unsigned sign)
{
    return ((uint64_t)sign << fp_sign_pos(f)) |
           ((uint64_t)fp_exp_all_ones(f) << f->frac_bits);
}

static inline uint64_t fp_pack_zero(const struct fp_format *f, unsigned sign)
{
    return (uint64_t)sign << fp_sign_pos(f);
}

static inline uint64_t fp_default_nan(const struct fp_format *f)
{
    return fp_pack_inf(f, 1) | fp_quiet_bit(f);
}

static inline bool fp_is_nan_class(enum fp_class c)
{
    return c == FP_QNAN || c == FP_SNAN;
}

static inline bool fp_is_finite_nonzero(enum fp_class c)
{
    return c == FP_NORMAL || c == FP_DENORMAL;
}

static inline unsigned fp_env_rc(const struct sse_env *e)
{
    return (e->mxcsr >> SSE_MXCSR_RC_SHIFT) & 3u;
}

static inline bool fp_env_daz(const struct sse_env *e)
{
    return (e->mxcsr & SSE_MXCSR_DAZ) != 0;
}

static inline bool fp_env_unmasked(const struct sse_env *e, uint32_t flag)
{
    return (e->mxcsr & (flag << SSE_MXCSR_MASK_SHIFT)) == 0;
}

/* True when a pre-computation exception already flagged by this operation
 * is unmasked: the hardware stops there (SDM Vol.1 11.5.1), so no result
 * and no post-computation flag follow. */
static inline bool fp_env_stop_after(const struct sse_env *e, uint32_t flags)
{
    return (flags & ~(e->mxcsr >> SSE_MXCSR_MASK_SHIFT) & SSE_MXCSR_FLAGS) != 0;
}

/* Shift right, ORing every bit shifted out into bit 0 ("jamming"), so that
 * rounding still sees that the value was inexact. */
static inline uint64_t fp_shift_right_jam(uint64_t x, uint32_t n)
{
    if (n == 0)
        return x;
    if (n >= 64)
        return x != 0;
    return (x >> n) | ((x << (64 - n)) != 0);
}

static inline unsigned fp_clz64(uint64_t x)
{
    return x ? (unsigned)__builtin_clzll(x) : 64u;
}

/* Full 64x64 -> 128-bit product without relying on a host 128-bit type. */
static inline void fp_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi;
    uint64_t hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    *lo = (ll & 0xffffffffu) | (mid << 32);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* Decode 'bits'.  With daz, denormals come back as FP_ZERO with their sign
 * (SDM Vol.1 10.2.3.4); otherwise they are normalised to the fp_value
 * convention and keep class FP_DENORMAL so callers can raise DE. */
void ssefp_unpack(const struct fp_format *f, uint64_t bits, bool daz,
                  struct fp_value *v);

/* Round (sign, exp, sig) to the format with MXCSR.RC, handling overflow,
 * underflow (tininess after rounding), FTZ and the OE/UE/PE flags.
 * sig must have its leading one at bit 62 and carry any sticky bit in its
 * low bits. */
uint64_t ssefp_round_pack(const struct fp_format *f, unsigned sign, int32_t exp,
                          uint64_t sig, struct sse_env *e);

/* Same with an explicit rounding mode instead of MXCSR.RC. */
uint64_t ssefp_round_pack_rc(const struct fp_format *f, unsigned sign, int32_t exp,
                             uint64_t sig, unsigned rc, struct sse_env *e);

/* The NaN result of a two-source operation with at least one NaN source
 * (SDM Vol.1 4.8.3.5 table 4-7, SSE column): IE on any SNaN; the first
 * source if it is a NaN, else the second, quieted. */
uint64_t ssefp_propagate_nan2(const struct fp_format *f, uint64_t a,
                              const struct fp_value *va, uint64_t b,
                              const struct fp_value *vb, struct sse_env *e);

/* One-source version: IE for an SNaN, return it quieted. */
uint64_t ssefp_propagate_nan1(const struct fp_format *f, uint64_t a,
                              const struct fp_value *va, struct sse_env *e);

#endif

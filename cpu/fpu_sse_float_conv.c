/*
 * SSE soft-float conversions: between binary32 and binary64, from and to
 * 32/64-bit integers, ROUNDSS/ROUNDSD, and the RCPSS/RSQRTSS
 * approximations.
 */
#include "cpu/fpu_sse_float_internal.h"

/* ---- float <-> float ---------------------------------------------------- */

/* SDM Vol.1 4.8.3.5: a converted NaN keeps its sign and the top of its
 * payload, and is quieted; an SNaN source raises IE. */
static uint64_t convert_nan(const struct fp_format *from, const struct fp_format *to,
                            uint64_t a, const struct fp_value *va, struct sse_env *e)
{
    uint64_t frac = a & ((1ull << from->frac_bits) - 1);
    if (va->cls == FP_SNAN)
        e->mxcsr |= SSE_MXCSR_IE;
    if (to->frac_bits > from->frac_bits)
        frac <<= to->frac_bits - from->frac_bits;
    else
        frac >>= from->frac_bits - to->frac_bits;
    return fp_pack_inf(to, va->sign) | frac | fp_quiet_bit(to);
}

static uint64_t convert_float(const struct fp_format *from, const struct fp_format *to,
                              uint64_t a, struct sse_env *e)
{
    struct fp_value va;
    ssefp_unpack(from, a, fp_env_daz(e), &va);
    switch (va.cls) {
    case FP_QNAN:
    case FP_SNAN:
        return convert_nan(from, to, a, &va, e);
    case FP_INF:
        return fp_pack_inf(to, va.sign);
    case FP_ZERO:
        return fp_pack_zero(to, va.sign);
    case FP_DENORMAL:
        e->mxcsr |= SSE_MXCSR_DE;
        if (fp_env_stop_after(e, SSE_MXCSR_DE))
            return 0;
        break;
    case FP_NORMAL:
        break;
    }
    return ssefp_round_pack(to, va.sign, va.exp, va.sig, e);
}

uint64_t f32_to_f64(uint32_t a, struct sse_env *e)
{ return convert_float(&ssefp_format_f32, &ssefp_format_f64, a, e); }
uint32_t f64_to_f32(uint64_t a, struct sse_env *e)
{ return (uint32_t)convert_float(&ssefp_format_f64, &ssefp_format_f32, a, e); }

/* ---- integer -> float --------------------------------------------------- */

static uint64_t int_to_float(const struct fp_format *f, int64_t x, struct sse_env *e)
{
    if (x == 0)
        return 0;
    unsigned sign = x < 0;
    uint64_t mag = sign ? 0 - (uint64_t)x : (uint64_t)x;
    unsigned lz = fp_clz64(mag);
    /* Put the leading one at bit 62; only 2^63 itself has it at bit 63,
     * and shifting that right loses nothing. */
    uint64_t sig = lz == 0 ? mag >> 1 : mag << (lz - 1);
    return ssefp_round_pack(f, sign, 63 - (int32_t)lz, sig, e);
}

uint32_t i32_to_f32(uint32_t a, struct sse_env *e)
{ return (uint32_t)int_to_float(&ssefp_format_f32, (int32_t)a, e); }
uint32_t i64_to_f32(uint64_t a, struct sse_env *e)
{ return (uint32_t)int_to_float(&ssefp_format_f32, (int64_t)a, e); }
uint64_t i32_to_f64(uint32_t a, struct sse_env *e)
{ return int_to_float(&ssefp_format_f64, (int32_t)a, e); }
uint64_t i64_to_f64(uint64_t a, struct sse_env *e)
{ return int_to_float(&ssefp_format_f64, (int64_t)a, e); }

/* ---- rounding to an integral value -------------------------------------- */

/* Split |value| = sig * 2^(exp-62) into its integer part and rounding
 * direction; returns the rounded magnitude and sets *inexact.  The
 * fraction is kept as a 64-bit binary fraction so that ties are exact. */
static uint64_t round_to_integer(const struct fp_value *v, unsigned rc,
                                 bool *inexact)
{
    uint64_t ip, rest;
    int32_t s = 62 - v->exp;          /* >= 0: callers handle larger values */
    if (s >= 64) {
        ip = 0;
        rest = 1;                     /* below one half, non-zero */
    } else if (s == 0) {
        ip = v->sig;
        rest = 0;
    } else {
        ip = v->sig >> s;
        rest = v->sig << (64 - s);
    }
    *inexact = rest != 0;
    const uint64_t half = 1ull << 63;
    bool up;
    switch (rc) {
    case SSE_RC_NEAREST: up = rest > half || (rest == half && (ip & 1)); break;
    case SSE_RC_DOWN:    up = v->sign && rest; break;
    case SSE_RC_UP:      up = !v->sign && rest; break;
    default:             up = false; break;
    }
    return ip + up;
}

/* CVTSS2SI & co: SDM Vol.2 CVTSS2SI; only IE and PE are possible, so
 * denormal sources raise no DE. */
static uint64_t float_to_int(const struct fp_format *f, uint64_t a, unsigned rc,
                             unsigned int_bits, struct sse_env *e)
{
    const uint64_t indefinite = 1ull << (int_bits - 1);
    struct fp_value va;
    ssefp_unpack(f, a, fp_env_daz(e), &va);

    if (fp_is_nan_class(va.cls) || va.cls == FP_INF) {
        e->mxcsr |= SSE_MXCSR_IE;
        return indefinite;
    }
    if (va.cls == FP_ZERO)
        return 0;
    if (va.exp > (int32_t)int_bits - 1 || va.exp > 62) {
        /* |value| >= 2^63 (or 2^32): only -2^63 itself fits. */
        if (va.sign && va.exp == 63 && va.sig == FP_SIG_LEAD && int_bits == 64)
            return indefinite;
        e->mxcsr |= SSE_MXCSR_IE;
        return indefinite;
    }
    bool inexact;
    uint64_t mag = round_to_integer(&va, rc, &inexact);
    if (va.sign ? mag > indefinite : mag >= indefinite) {
        e->mxcsr |= SSE_MXCSR_IE;
        return indefinite;
    }
    if (inexact)
        e->mxcsr |= SSE_MXCSR_PE;
    uint64_t r = va.sign ? 0 - mag : mag;
    return int_bits == 64 ? r : (r & 0xffffffffu);
}

uint32_t f32_to_i32(uint32_t a, struct sse_env *e)
{ return (uint32_t)float_to_int(&ssefp_format_f32, a, fp_env_rc(e), 32, e); }
uint32_t f32_to_i32_trunc(uint32_t a, struct sse_env *e)
{ return (uint32_t)float_to_int(&ssefp_format_f32, a, SSE_RC_ZERO, 32, e); }
uint64_t f32_to_i64(uint32_t a, struct sse_env *e)
{ return float_to_int(&ssefp_format_f32, a, fp_env_rc(e), 64, e); }
uint64_t f32_to_i64_trunc(uint32_t a, struct sse_env *e)
{ return float_to_int(&ssefp_format_f32, a, SSE_RC_ZERO, 64, e); }
uint32_t f64_to_i32(uint64_t a, struct sse_env *e)
{ return (uint32_t)float_to_int(&ssefp_format_f64, a, fp_env_rc(e), 32, e); }
uint32_t f64_to_i32_trunc(uint64_t a, struct sse_env *e)
{ return (uint32_t)float_to_int(&ssefp_format_f64, a, SSE_RC_ZERO, 32, e); }
uint64_t f64_to_i64(uint64_t a, struct sse_env *e)
{ return float_to_int(&ssefp_format_f64, a, fp_env_rc(e), 64, e); }
uint64_t f64_to_i64_trunc(uint64_t a, struct sse_env *e)
{ return float_to_int(&ssefp_format_f64, a, SSE_RC_ZERO, 64, e); }

/* SDM Vol.2 ROUNDSS: IE only for an SNaN, PE unless imm bit 3, never DE. */
static uint64_t fp_round_integral(const struct fp_format *f, uint64_t a,
                                  unsigned imm, struct sse_env *e)
{
    unsigned rc = (imm & SSE_ROUND_IMM_USE_MXCSR) ? fp_env_rc(e) : (imm & 3u);
    struct fp_value va;
    ssefp_unpack(f, a, fp_env_daz(e), &va);

    if (fp_is_nan_class(va.cls))
        return ssefp_propagate_nan1(f, a, &va, e);
    if (va.cls == FP_ZERO)
        return fp_pack_zero(f, va.sign);
    if (va.cls == FP_INF || va.exp >= (int32_t)f->frac_bits)
        return a;                       /* already integral */

    bool inexact;
    uint64_t mag = round_to_integer(&va, rc, &inexact);
    if (inexact && !(imm & SSE_ROUND_IMM_NO_PE))
        e->mxcsr |= SSE_MXCSR_PE;
    if (mag == 0)
        return fp_pack_zero(f, va.sign);
    unsigned lz = fp_clz64(mag);
    /* mag <= 2^frac_bits, so this packing is exact and raises nothing. */
    return ssefp_round_pack_rc(f, va.sign, 63 - (int32_t)lz, mag << (lz - 1),
                               SSE_RC_ZERO, e);
}

uint32_t f32_round(uint32_t a, unsigned imm, struct sse_env *e)
{ return (uint32_t)fp_round_integral(&ssefp_format_f32, a, imm, e); }
uint64_t f64_round(uint64_t a, unsigned imm, struct sse_env *e)
{ return fp_round_integral(&ssefp_format_f64, a, imm, e); }

/* ---- RCPSS / RSQRTSS ---------------------------------------------------- */

/* The architecture only bounds the error (SDM Vol.2 RCPSS: |rel err| <=
 * 1.5*2^-12), so a correctly rounded quotient is a valid implementation.
 * A private env keeps MXCSR untouched; FTZ in it flushes results below
 * the normal range as the SDM describes for these instructions. */
#define APPROX_ENV_MXCSR (SSE_MXCSR_DEFAULT | SSE_MXCSR_FTZ)
#define F32_ONE 0x3f800000u

uint32_t f32_rcp_approx(uint32_t a)
{
    struct fp_value va;
    struct sse_env env = { APPROX_ENV_MXCSR };
    ssefp_unpack(&ssefp_format_f32, a, true, &va);
    switch (va.cls) {
    case FP_QNAN:
    case FP_SNAN:
        return a | (uint32_t)fp_quiet_bit(&ssefp_format_f32);
    case FP_ZERO:
        return (uint32_t)fp_pack_inf(&ssefp_format_f32, va.sign);
    case FP_INF:
        return (uint32_t)fp_pack_zero(&ssefp_format_f32, va.sign);
    default:
        return f32_div(F32_ONE, a, &env);
    }
}

uint32_t f32_rsqrt_approx(uint32_t a)
{
    struct fp_value va;
    struct sse_env env = { APPROX_ENV_MXCSR };
    ssefp_unpack(&ssefp_format_f32, a, true, &va);
    switch (va.cls) {
    case FP_QNAN:
    case FP_SNAN:
        return a | (uint32_t)fp_quiet_bit(&ssefp_format_f32);
    case FP_ZERO:
        return (uint32_t)fp_pack_inf(&ssefp_format_f32, va.sign);
    default:
        break;
    }
    if (va.sign)
        return F32_DEFAULT_NAN;
    if (va.cls == FP_INF)
        return 0;
    return f32_div(F32_ONE, f32_sqrt(a, &env), &env);
}

/*
 * SSE soft-float arithmetic: add, sub, mul, div, sqrt, min, max, DPPS/DPPD.
 *
 * Every operation follows the exception priority of SDM Vol.1 4.9.2:
 * SNaN (IE) > QNaN source > other invalid / divide-by-zero > denormal
 * operand > overflow/underflow > inexact.
 */
#include <stddef.h>

#include "cpu/fpu_sse_float_internal.h"

/* DE for denormal sources (SDM Vol.1 4.9.1.3); never under DAZ because
 * ssefp_unpack already turned them into zeros.  Returns true if the operation
 * must stop because DE is unmasked. */
static bool raise_denormal(const struct fp_value *va, const struct fp_value *vb,
                           struct sse_env *e)
{
    if (va->cls == FP_DENORMAL || (vb && vb->cls == FP_DENORMAL)) {
        e->mxcsr |= SSE_MXCSR_DE;
        return fp_env_stop_after(e, SSE_MXCSR_DE);
    }
    return false;
}

/* Unpack both sources (flushing denormals under MXCSR.DAZ); when either is
 * a NaN, store the propagated result (SDM Vol.1 4.8.3.5) in *nan and
 * return true. */
static bool unpack2_or_nan(const struct fp_format *f, uint64_t a, uint64_t b,
                           struct sse_env *e, struct fp_value *va, struct fp_value *vb,
                           uint64_t *nan)
{
    bool daz = fp_env_daz(e);
    ssefp_unpack(f, a, daz, va);
    ssefp_unpack(f, b, daz, vb);
    if (!fp_is_nan_class(va->cls) && !fp_is_nan_class(vb->cls))
        return false;
    *nan = ssefp_propagate_nan2(f, a, va, b, vb, e);
    return true;
}

static uint64_t fp_addsub(const struct fp_format *f, uint64_t a, uint64_t b,
                          unsigned negate_b, struct sse_env *e)
{
    struct fp_value va, vb;
    uint64_t nan;
    if (unpack2_or_nan(f, a, b, e, &va, &vb, &nan))
        return nan;

    unsigned sign_b = vb.sign ^ negate_b;
    if (va.cls == FP_INF || vb.cls == FP_INF) {
        if (va.cls == FP_INF && vb.cls == FP_INF && va.sign != sign_b) {
            e->mxcsr |= SSE_MXCSR_IE;   /* inf - inf, SDM Vol.1 4.9.1.2 */
            return fp_default_nan(f);
        }
        raise_denormal(&va, &vb, e);
        return fp_pack_inf(f, va.cls == FP_INF ? va.sign : sign_b);
    }
    if (raise_denormal(&va, &vb, e))
        return 0;

    if (va.cls == FP_ZERO && vb.cls == FP_ZERO) {
        /* IEEE 754 6.3: exact zero sum of opposite signs is +0 except when
         * rounding down. */
        unsigned sign = (va.sign == sign_b) ? va.sign
                      : (fp_env_rc(e) == SSE_RC_DOWN);
        return fp_pack_zero(f, sign);
    }
    /* Passing a lone operand through ssefp_round_pack keeps FTZ behaviour
     * (a denormal result is flushed) uniform with the general case. */
    if (va.cls == FP_ZERO)
        return ssefp_round_pack(f, sign_b, vb.exp, vb.sig, e);
    if (vb.cls == FP_ZERO)
        return ssefp_round_pack(f, va.sign, va.exp, va.sig, e);

    /* Order so that x has the larger magnitude. */
    struct fp_value x = va, y = vb;
    y.sign = sign_b;
    if (vb.exp > va.exp || (vb.exp == va.exp && vb.sig > va.sig)) {
        x = vb; x.sign = sign_b;
        y = va;
    }
    uint64_t ysig = fp_shift_right_jam(y.sig, (uint32_t)(x.exp - y.exp));
    int32_t exp = x.exp;
    uint64_t sig;
    if (x.sign == y.sign) {
        sig = x.sig + ysig;
        if (sig >> 63) {
            sig = fp_shift_right_jam(sig, 1);
            exp++;
        }
    } else {
        sig = x.sig - ysig;
        if (sig == 0)
            return fp_pack_zero(f, fp_env_rc(e) == SSE_RC_DOWN);
        /* With an exponent gap of two or more at most one bit cancels, so
         * the jammed sticky bit stays below the rounding position. */
        unsigned lz = fp_clz64(sig) - 1;
        sig <<= lz;
        exp -= (int32_t)lz;
    }
    return ssefp_round_pack(f, x.sign, exp, sig, e);
}

static uint64_t fp_mul(const struct fp_format *f, uint64_t a, uint64_t b,
                       struct sse_env *e)
{
    struct fp_value va, vb;
    uint64_t nan;
    if (unpack2_or_nan(f, a, b, e, &va, &vb, &nan))
        return nan;

    unsigned sign = va.sign ^ vb.sign;
    if (va.cls == FP_INF || vb.cls == FP_INF) {
        if (va.cls == FP_ZERO || vb.cls == FP_ZERO) {
            e->mxcsr |= SSE_MXCSR_IE;   /* 0 * inf */
            return fp_default_nan(f);
        }
        raise_denormal(&va, &vb, e);
        return fp_pack_inf(f, sign);
    }
    if (raise_denormal(&va, &vb, e))
        return 0;
    if (va.cls == FP_ZERO || vb.cls == FP_ZERO)
        return fp_pack_zero(f, sign);

    /* a.sig in [2^62, 2^63) times b.sig<<1 in [2^63, 2^64) puts the
     * leading one of the 128-bit product at bit 125 or 126. */
    uint64_t hi, lo;
    fp_mul64(va.sig, vb.sig << 1, &hi, &lo);
    int32_t exp = va.exp + vb.exp + 1;
    if (hi < FP_SIG_LEAD) {
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        exp--;
    }
    return ssefp_round_pack(f, sign, exp, hi | (lo != 0), e);
}

/* Quotient of two significands with leading ones at bit 62: returns a
 * 63-bit quotient (leading one at bit 62) with a sticky bit, adjusting
 * *exp when a < b.  Long division of the 128-bit a * 2^62 by b in two
 * 32-bit quotient digits (Knuth, TAOCP vol.2 4.3.1 algorithm D), each
 * estimated from the divisor's top digit and corrected at most twice. */
static uint64_t divide_sig(uint64_t a, uint64_t b, int32_t *exp)
{
    const uint64_t digit = 0xffffffffu;
    if (a < b) {
        a <<= 1;
        (*exp)--;
    }
    /* Scale numerator a * 2^62 and divisor alike by 2 so the divisor's top
     * bit is set; the numerator's high word a >> 1 is then below it. */
    uint64_t v = b << 1, u_hi = a >> 1, u_lo = a << 63;
    uint64_t v_hi = v >> 32, v_lo = v & digit;
    uint64_t u_lo_hi = u_lo >> 32, u_lo_lo = u_lo & digit;

    uint64_t q1 = u_hi / v_hi, rhat = u_hi % v_hi;
    while (q1 > digit || q1 * v_lo > ((rhat << 32) | u_lo_hi)) {
        q1--;
        rhat += v_hi;
        if (rhat > digit)
            break;
    }
    /* Partial remainder; exact although the products wrap, since the true
     * value is below v. */
    uint64_t rem1 = ((u_hi << 32) | u_lo_hi) - q1 * v;

    uint64_t q0 = rem1 / v_hi;
    rhat = rem1 % v_hi;
    while (q0 > digit || q0 * v_lo > ((rhat << 32) | u_lo_lo)) {
        q0--;
        rhat += v_hi;
        if (rhat > digit)
            break;
    }
    uint64_t rem = ((rem1 << 32) | u_lo_lo) - q0 * v;
    return ((q1 << 32) | q0) | (rem != 0);
}

static uint64_t fp_div(const struct fp_format *f, uint64_t a, uint64_t b,
                       struct sse_env *e)
{
    struct fp_value va, vb;
    uint64_t nan;
    if (unpack2_or_nan(f, a, b, e, &va, &vb, &nan))
        return nan;

    unsigned sign = va.sign ^ vb.sign;
    if ((va.cls == FP_INF && vb.cls == FP_INF) ||
        (va.cls == FP_ZERO && vb.cls == FP_ZERO)) {
        e->mxcsr |= SSE_MXCSR_IE;       /* inf/inf, 0/0 */
        return fp_default_nan(f);
    }
    if (va.cls == FP_INF) {
        raise_denormal(&va, &vb, e);
        return fp_pack_inf(f, sign);
    }
    if (vb.cls == FP_ZERO) {
        /* Divide-by-zero outranks the denormal operand exception. */
        e->mxcsr |= SSE_MXCSR_ZE;
        return fp_pack_inf(f, sign);
    }
    if (raise_denormal(&va, &vb, e))
        return 0;
    if (vb.cls == FP_INF || va.cls == FP_ZERO)
        return fp_pack_zero(f, sign);

    int32_t exp = va.exp - vb.exp;
    uint64_t q = divide_sig(va.sig, vb.sig, &exp);
    return ssefp_round_pack(f, sign, exp, q, e);
}

/* Square root of the 128-bit value hi:lo, digit by digit (two radicand
 * bits per step), stopped after 'steps' root bits: enough for the format's
 * precision plus guard bits, the rest only matters as the sticky bit.
 * Returns the root scaled so that a radicand below 2^126 gives its leading
 * one at bit 62, with the sticky bit ORed in. */
static uint64_t sqrt_sig(uint64_t hi, uint64_t lo, unsigned steps)
{
    uint64_t rem_hi = 0, rem_lo = 0, root = 0;
    for (unsigned i = 0; i < steps; i++) {
        /* rem = rem * 4 + next two bits of hi:lo */
        rem_hi = (rem_hi << 2) | (rem_lo >> 62);
        rem_lo = (rem_lo << 2) | (hi >> 62);
        hi = (hi << 2) | (lo >> 62);
        lo <<= 2;
        /* trial = 4 * root + 1, at most 2^65 */
        uint64_t t_hi = root >> 62, t_lo = (root << 2) | 1;
        root <<= 1;
        if (rem_hi > t_hi || (rem_hi == t_hi && rem_lo >= t_lo)) {
            uint64_t borrow = rem_lo < t_lo;
            rem_lo -= t_lo;
            rem_hi -= t_hi + borrow;
            root |= 1;
        }
    }
    /* The truncated root is exact only if nothing is left over, neither in
     * the remainder nor in the radicand bits not yet brought down. */
    bool inexact = (rem_hi | rem_lo | hi | lo) != 0;
    return (root << (64 - steps)) | inexact;
}

static uint64_t fp_sqrt(const struct fp_format *f, uint64_t a, struct sse_env *e)
{
    struct fp_value va;
    ssefp_unpack(f, a, fp_env_daz(e), &va);

    if (fp_is_nan_class(va.cls))
        return ssefp_propagate_nan1(f, a, &va, e);
    if (va.cls == FP_ZERO)
        return fp_pack_zero(f, va.sign);     /* sqrt(-0) = -0 */
    if (va.sign) {
        e->mxcsr |= SSE_MXCSR_IE;
        return fp_default_nan(f);
    }
    if (va.cls == FP_INF)
        return a;
    if (raise_denormal(&va, NULL, e))
        return 0;

    /* value = sig * 2^(exp-62).  Scale sig by 2^62 or 2^63 so the exponent
     * becomes even; the root of the 125/126-bit number has its leading one
     * at bit 62. */
    bool odd = (va.exp % 2) != 0;
    int32_t exp = odd ? (va.exp - 1) / 2 : va.exp / 2;
    uint64_t hi = odd ? va.sig >> 1 : va.sig >> 2;
    uint64_t lo = odd ? va.sig << 63 : va.sig << 62;
    /* frac_bits + 5 steps give the leading bit, the fraction and three
     * more bits below it: guard and round positions for fp_round_pack. */
    uint64_t root = sqrt_sig(hi, lo, f->frac_bits + 5);
    return ssefp_round_pack(f, 0, exp, root, e);
}

/* Order two non-NaN values; zeros of either sign compare equal.
 * Returns -1, 0, 1. */
static int compare_ordered(const struct fp_format *f, const struct fp_value *va,
                           uint64_t a, const struct fp_value *vb, uint64_t b)
{
    uint64_t mag_mask = fp_sign_bit(f) - 1;
    int64_t ka = va->cls == FP_ZERO ? 0 : (int64_t)(a & mag_mask);
    int64_t kb = vb->cls == FP_ZERO ? 0 : (int64_t)(b & mag_mask);
    if (va->sign) ka = -ka;
    if (vb->sign) kb = -kb;
    return (ka > kb) - (ka < kb);
}

/* SDM Vol.2 MINPS/MAXPS: dest = (a op b) ? a : b, where any NaN or a pair
 * of zeros yields b; that asymmetry is what compilers rely on. */
static uint64_t fp_minmax(const struct fp_format *f, uint64_t a, uint64_t b,
                          bool want_max, struct sse_env *e)
{
    struct fp_value va, vb;
    bool daz = fp_env_daz(e);
    ssefp_unpack(f, a, daz, &va);
    ssefp_unpack(f, b, daz, &vb);

    /* DAZ rewrites the sources before anything else: even a NaN first
     * source returns the flushed second one (checked against hardware). */
    if (va.cls == FP_ZERO)
        a = fp_pack_zero(f, va.sign);
    if (vb.cls == FP_ZERO)
        b = fp_pack_zero(f, vb.sign);
    if (fp_is_nan_class(va.cls) || fp_is_nan_class(vb.cls)) {
        e->mxcsr |= SSE_MXCSR_IE;
        return b;
    }
    if (raise_denormal(&va, &vb, e))
        return 0;
    int c = compare_ordered(f, &va, a, &vb, b);
    return (want_max ? c > 0 : c < 0) ? a : b;
}

uint32_t f32_add(uint32_t a, uint32_t b, struct sse_env *e)
{ return (uint32_t)fp_addsub(&ssefp_format_f32, a, b, 0, e); }
uint32_t f32_sub(uint32_t a, uint32_t b, struct sse_env *e)
{ return (uint32_t)fp_addsub(&ssefp_format_f32, a, b, 1, e); }
uint32_t f32_mul(uint32_t a, uint32_t b, struct sse_env *e)
{ return (uint32_t)fp_mul(&ssefp_format_f32, a, b, e); }
uint32_t f32_div(uint32_t a, uint32_t b, struct sse_env *e)
{ return (uint32_t)fp_div(&ssefp_format_f32, a, b, e); }
uint32_t f32_sqrt(uint32_t a, struct sse_env *e)
{ return (uint32_t)fp_sqrt(&ssefp_format_f32, a, e); }
uint32_t f32_min(uint32_t a, uint32_t b, struct sse_env *e)
{ return (uint32_t)fp_minmax(&ssefp_format_f32, a, b, false, e); }
uint32_t f32_max(uint32_t a, uint32_t b, struct sse_env *e)
{ return (uint32_t)fp_minmax(&ssefp_format_f32, a, b, true, e); }

uint64_t f64_add(uint64_t a, uint64_t b, struct sse_env *e)
{ return fp_addsub(&ssefp_format_f64, a, b, 0, e); }
uint64_t f64_sub(uint64_t a, uint64_t b, struct sse_env *e)
{ return fp_addsub(&ssefp_format_f64, a, b, 1, e); }
uint64_t f64_mul(uint64_t a, uint64_t b, struct sse_env *e)
{ return fp_mul(&ssefp_format_f64, a, b, e); }
uint64_t f64_div(uint64_t a, uint64_t b, struct sse_env *e)
{ return fp_div(&ssefp_format_f64, a, b, e); }
uint64_t f64_sqrt(uint64_t a, struct sse_env *e)
{ return fp_sqrt(&ssefp_format_f64, a, e); }
uint64_t f64_min(uint64_t a, uint64_t b, struct sse_env *e)
{ return fp_minmax(&ssefp_format_f64, a, b, false, e); }
uint64_t f64_max(uint64_t a, uint64_t b, struct sse_env *e)
{ return fp_minmax(&ssefp_format_f64, a, b, true, e); }

/* SDM Vol.2 DPPS "Operation": products of the selected lanes, then the
 * pairwise sums (0,1), (2,3) and their sum, each rounded.  The SDM leaves
 * the operand order of each addition open, and it shows only in which NaN
 * comes out when both addends are NaNs.  The host this was first checked
 * against computes the horizontal sum separately for each destination lane
 * k, and turtles keeps that choice (pinned by test_dpps_nan_choice in
 * tests/unit/test_fpu_sse_float.c; AMD family 1Ah instead adds
 * (t0+t1)+(t2+t3), first operand first, in every lane):
 *   even k: t1+t0 and t3+t2;  odd k: t0+t1 and t2+t3;
 *   k < 2: s01+s23;  k >= 2: s23+s01.
 * Flags do not depend on the order (a quieted NaN is never an SNaN), so
 * they are taken from the lane 0 order, which is always computed. */
void f32_dpps(const uint32_t a[4], const uint32_t b[4], unsigned imm,
              uint32_t out[4], struct sse_env *e)
{
    uint32_t t[4], s01[2], s23[2], sum[4];
    for (int i = 0; i < 4; i++)
        t[i] = (imm >> (4 + i)) & 1 ? f32_mul(a[i], b[i], e) : 0;
    struct sse_env scratch = *e;
    s01[0] = f32_add(t[1], t[0], e);
    s23[0] = f32_add(t[3], t[2], e);
    sum[0] = f32_add(s01[0], s23[0], e);
    s01[1] = f32_add(t[0], t[1], &scratch);
    s23[1] = f32_add(t[2], t[3], &scratch);
    sum[1] = f32_add(s01[1], s23[1], &scratch);
    sum[2] = f32_add(s23[0], s01[0], &scratch);
    sum[3] = f32_add(s23[1], s01[1], &scratch);
    for (int i = 0; i < 4; i++)
        out[i] = (imm >> i) & 1 ? sum[i] : 0;
}

/* DPPD likewise: lane 0 gets t0+t1, lane 1 gets t1+t0 (the first host's
 * choice; AMD family 1Ah gives t0+t1 in both). */
void f64_dppd(const uint64_t a[2], const uint64_t b[2], unsigned imm,
              uint64_t out[2], struct sse_env *e)
{
    uint64_t t[2], sum[2];
    for (int i = 0; i < 2; i++)
        t[i] = (imm >> (4 + i)) & 1 ? f64_mul(a[i], b[i], e) : 0;
    struct sse_env scratch = *e;
    sum[0] = f64_add(t[0], t[1], e);
    sum[1] = f64_add(t[1], t[0], &scratch);
    for (int i = 0; i < 2; i++)
        out[i] = (imm >> i) & 1 ? sum[i] : 0;
}

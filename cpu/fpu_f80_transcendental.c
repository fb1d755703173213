/*
 * x87 transcendentals: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X,
 * FYL2XP1. Integer arithmetic only.
 *
 * Results are computed in a 128-bit-significand working format ("xr"),
 * about 60 bits more than the result, and rounded once by e->rc, so they are
 * correctly rounded except when the exact value lies within ~2^-120 of a
 * rounding boundary (well within Intel's 1 ulp claim, SDM Vol.1 8.3.10).
 */
#include <stddef.h>

#include "cpu/fpu_f80_internal.h"

/* value = sig / 2^127 * 2^exp; sig normalised (bit 127 set) or zero. */
struct xr {
    bool sign;
    int32_t exp;
    u128 sig;
};

#define U128(hi, lo) (((u128)(hi) << 64) | (u128)(lo))

/* pi, ln 2 and log2 e to 128 bits (truncated). */
static const struct xr XR_PI = { false, 1, U128(0xC90FDAA22168C234ULL, 0xC4C6628B80DC1CD1ULL) };
static const struct xr XR_PI_2 = { false, 0, U128(0xC90FDAA22168C234ULL, 0xC4C6628B80DC1CD1ULL) };
static const struct xr XR_PI_4 = { false, -1, U128(0xC90FDAA22168C234ULL, 0xC4C6628B80DC1CD1ULL) };
static const struct xr XR_LN2 = { false, -1, U128(0xB17217F7D1CF79ABULL, 0xC9E3B39803F2F6AFULL) };
static const struct xr XR_LOG2E = { false, 0, U128(0xB8AA3B295C17F0BBULL, 0xBE87FED0691D3E88ULL) };
static const struct xr XR_ONE = { false, 0, (u128)1 << 127 };

/*
 * Intel's 66-bit pi used for FSIN/FCOS/FSINCOS/FPTAN argument reduction:
 * pi66 = PI66 * 2^-64, so pi66/2 = PI66 * 2^-65.
 */
#define PI66 U128(0x3ULL, 0x243F6A8885A308D3ULL)

/*
 * A series stops at the first term below 2^-124 of the sum; xr_add still
 * sees such a term (it drops addends 2^-127 below), so the first omitted
 * term's sign is the direction of the truncation error.
 */
#define XR_SERIES_BITS 124

static struct xr xr_norm(struct xr x)
{
    if (x.sig == 0)
        return x;
    int lz = f80_clz128(x.sig);
    x.sig <<= lz;
    x.exp -= lz;
    return x;
}

static struct xr xr_from_f80(f80 a)
{
    struct f80_unpacked u = f80_unpack(a);
    struct xr x = { u.sign, u.exp - F80_EXP_BIAS, (u128)u.sig << 64 };
    return x;
}

static struct xr xr_from_int(bool sign, uint64_t v)
{
    struct xr x = { sign, 127, v };
    return xr_norm(x);
}

static struct xr xr_neg(struct xr x)
{
    x.sign = !x.sign;
    return x;
}

static struct xr xr_mul(struct xr a, struct xr b)
{
    if (a.sig == 0 || b.sig == 0) {
        struct xr z = { a.sign ^ b.sign, 0, 0 };
        return z;
    }
    uint64_t ah = (uint64_t)(a.sig >> 64), al = (uint64_t)a.sig;
    uint64_t bh = (uint64_t)(b.sig >> 64), bl = (uint64_t)b.sig;
    u128 p0 = (u128)al * bl, p1 = (u128)al * bh, p2 = (u128)ah * bl, p3 = (u128)ah * bh;
    u128 mid = (p0 >> 64) + (uint64_t)p1 + (uint64_t)p2;
    u128 hi = p3 + (p1 >> 64) + (p2 >> 64) + (mid >> 64);
    uint64_t lo_top = (uint64_t)mid; /* bits 127..64 of the low half */
    struct xr r = { a.sign ^ b.sign, a.exp + b.exp + 1, hi };
    if (!(hi >> 127)) {
        r.sig = (hi << 1) | (lo_top >> 63);
        r.exp--;
    }
    return r;
}

static struct xr xr_add(struct xr a, struct xr b)
{
    if (b.sig == 0)
        return a;
    if (a.sig == 0)
        return b;
    if (b.exp > a.exp || (b.exp == a.exp && b.sig > a.sig)) {
        struct xr t = a;
        a = b;
        b = t;
    }
    int32_t d = a.exp - b.exp;
    if (d >= 127)
        return a;
    u128 ma = a.sig >> 1, mb = b.sig >> (d + 1);
    struct xr r = { a.sign, a.exp + 1, a.sign == b.sign ? ma + mb : ma - mb };
    return xr_norm(r);
}

static struct xr xr_sub(struct xr a, struct xr b) { return xr_add(a, xr_neg(b)); }

/* Restoring division, 128 quotient bits. */
static struct xr xr_div(struct xr a, struct xr b)
{
    u128 rem = a.sig, d = b.sig, q = 0;
    bool carry = false;
    for (int i = 0; i < 128; i++) {
        q <<= 1;
        if (carry || rem >= d) {
            rem -= d;
            q |= 1;
        }
        carry = (rem >> 127) != 0;
        rem <<= 1;
    }
    struct xr r = { a.sign ^ b.sign, a.exp - b.exp, q };
    return xr_norm(r);
}

static struct xr xr_div_small(struct xr a, uint32_t k)
{
    if (a.sig == 0)
        return a;
    u128 q = a.sig / k, r = a.sig % k;
    int s = f80_clz128(q);
    struct xr x = { a.sign, a.exp - s, (q << s) | ((r << s) / k) };
    return x;
}

/* Is |a| below 2^-XR_SERIES_BITS relative to |ref|? */
static bool xr_negligible(struct xr a, struct xr ref)
{
    return a.sig == 0 || a.exp < ref.exp - XR_SERIES_BITS;
}

/*
 * Round to an f80 with 64-bit precision. `dir` is the sign of (exact -
 * computed) in magnitude: +1 the exact value is a little larger, -1 a little
 * smaller, 0 the computed value is exact.
 */
static f80 xr_to_f80(struct xr x, int dir, struct f80_env *e)
{
    if (x.sig == 0)
        return f80_zero(x.sign);
    u128 sig = x.sig;
    if (dir > 0)
        sig |= 1;
    else if (dir < 0)
        sig -= 1; /* below the exact value; never changes bits 127..64 unless exact */
    return f80_round_pack(x.sign, x.exp + F80_EXP_BIAS, sig, 64, e);
}

/* ---- kernels ------------------------------------------------------------ */

/* The Taylor series of sin(r) (odd: r - r^3/3! + ...) or cos(r) (1 - r^2/2!
 * + ...), |r| <= pi/4. *dir: sign of the first omitted term vs the sum. */
static struct xr xr_sin_cos_series(struct xr r, bool odd, int *dir)
{
    struct xr r2 = xr_mul(r, r), term = odd ? r : XR_ONE, sum = term;
    for (uint32_t k = 1;; k++) {
        uint32_t n = odd ? 2 * k + 1 : 2 * k; /* this term is r^n / n! */
        term = xr_div_small(xr_mul(term, r2), (n - 1) * n);
        term.sign = !term.sign;
        if (xr_negligible(term, sum)) {
            *dir = term.sign == sum.sign ? 1 : -1;
            return sum;
        }
        sum = xr_add(sum, term);
    }
}

static struct xr xr_sin_kernel(struct xr r, int *dir)
{
    return xr_sin_cos_series(r, true, dir);
}

static struct xr xr_cos_kernel(struct xr r, int *dir)
{
    return xr_sin_cos_series(r, false, dir);
}

/* atan(w), |w| <= 1/2. */
static struct xr xr_atan_kernel(struct xr w, int *dir)
{
    struct xr w2 = xr_mul(w, w), p = w, sum = w;
    for (uint32_t k = 1;; k++) {
        p = xr_mul(p, w2);
        p.sign = !p.sign;
        struct xr term = xr_div_small(p, 2 * k + 1);
        if (xr_negligible(term, sum)) {
            *dir = term.sign == sum.sign ? 1 : -1;
            return sum;
        }
        sum = xr_add(sum, term);
    }
}

/* atan(z) for 0 <= z <= 1. */
static struct xr xr_atan01(struct xr z, int *dir)
{
    if (z.sig == 0 || z.exp < -1)
        return xr_atan_kernel(z, dir);
    /* atan(z) = pi/4 + atan((z - 1) / (z + 1)), |w| <= 1/3 */
    struct xr w = xr_div(xr_sub(z, XR_ONE), xr_add(z, XR_ONE));
    *dir = 1; /* pi/4 is truncated, so the sum errs low */
    int kernel_dir;
    return xr_add(XR_PI_4, xr_atan_kernel(w, &kernel_dir));
}

/* e^t - 1 by its series; fine for |t| <= 1. */
static struct xr xr_expm1_kernel(struct xr t, int *dir)
{
    struct xr term = t, sum = t;
    for (uint32_t k = 2;; k++) {
        term = xr_div_small(xr_mul(term, t), k);
        if (xr_negligible(term, sum)) {
            *dir = term.sign == sum.sign ? 1 : -1;
            return sum;
        }
        sum = xr_add(sum, term);
    }
}

/* 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), for small |s| (nonzero). */
static struct xr xr_two_atanh(struct xr s)
{
    struct xr s2 = xr_mul(s, s), p = s, sum = s;
    for (uint32_t k = 1;; k++) {
        p = xr_mul(p, s2);
        struct xr term = xr_div_small(p, 2 * k + 1);
        if (xr_negligible(term, sum))
            break;
        sum = xr_add(sum, term);
    }
    sum.exp += 1;
    return sum;
}

/* ln(m) for m in [sqrt(1/2), sqrt(2)]: 2 atanh((m - 1) / (m + 1)). */
static struct xr xr_ln_kernel(struct xr m)
{
    struct xr s = xr_div(xr_sub(m, XR_ONE), xr_add(m, XR_ONE));
    if (s.sig == 0)
        return s;
    return xr_two_atanh(s);
}

/* log2(x) for x > 0. */
static struct xr xr_log2(struct xr x)
{
    int32_t n = x.exp;
    struct xr m = x;
    m.exp = 0;
    /* sqrt(2) * 2^127, truncated: split so that |ln m| <= ln(2)/2. */
    if (m.sig > U128(0xB504F333F9DE6484ULL, 0x597D89B3754ABE9FULL)) {
        m.exp = -1;
        n++;
    }
    struct xr l = xr_mul(xr_ln_kernel(m), XR_LOG2E);
    return xr_add(xr_from_int(n < 0, (uint64_t)(n < 0 ? -(int64_t)n : n)), l);
}

/* ---- FSIN / FCOS / FSINCOS / FPTAN -------------------------------------- */

enum trig_which { TRIG_SIN = 1, TRIG_COS = 2, TRIG_TAN = 4 };

/* Unbiased exponent below which FSIN/FCOS/FPTAN return their first-order value. */
#define TRIG_TINY_EXP (-68)

/*
 * Reduce |a| exactly modulo pi66/2: |a| = q * pi66/2 + r, |r| <= pi66/4.
 * SDM Vol.1 8.3.10: the reduction uses Intel's 66-bit pi.
 */
static struct xr trig_reduce(f80 a, uint32_t *quadrant)
{
    struct f80_unpacked u = f80_unpack(a);
    int32_t ue = u.exp - F80_EXP_BIAS;
    if (ue < -1) {
        struct xr r = { false, ue, (u128)u.sig << 64 };
        *quadrant = 0;
        return r;
    }
    u128 x = (u128)u.sig << (ue + 2); /* |a| = x * 2^-65, ue <= 62 */
    u128 q = x / PI66, rem = x % PI66;
    bool neg = false;
    if (rem > PI66 - rem) {
        rem = PI66 - rem;
        q++;
        neg = true;
    }
    *quadrant = (uint32_t)(q & 3);
    struct xr r = { neg, 127 - 65, rem };
    return xr_norm(r);
}

static bool trig(f80 a, unsigned which, f80 *sin_res, f80 *cos_res, f80 *tan_res, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    enum f80_class c = f80_classify(a);
    if (c == F80_CLASS_NORMAL && f80_exp(a) >= F80_EXP_BIAS + 63)
        return false; /* out of range: C2 = 1, ST0 unchanged, SDM Vol.2 FSIN */
    if (!f80_nan_check1(a, &res, e)) {
        if (c == F80_CLASS_INF) {
            e->flags |= F80_IE;
            res = f80_indefinite();
        } else if (c == F80_CLASS_ZERO) {
            if (which & TRIG_SIN)
                *sin_res = a;
            if (which & TRIG_COS)
                *cos_res = f80_one();
            if (which & TRIG_TAN)
                *tan_res = a;
            return true;
        } else {
            if (c == F80_CLASS_DENORMAL)
                e->flags |= F80_DE;
            struct f80_unpacked u = f80_unpack(a);
            if (u.exp - F80_EXP_BIAS < TRIG_TINY_EXP) {
                /*
                 * Intel returns sin x = tan x = x and cos x = 1 below 2^-68,
                 * inexact but never "rounded up" (C1 = 0), in every rounding
                 * mode; a pseudo-denormal comes back normalised.
                 */
                f80 x = f80_make(u.sign, f80_exp(a) == 0 && (a.mant >> 63) ? 1 : f80_exp(a), a.mant);
                e->flags |= F80_PE;
                if (f80_exp(x) == 0 && (which & (TRIG_SIN | TRIG_TAN)))
                    e->flags |= F80_UE;
                if (which & TRIG_SIN)
                    *sin_res = x;
                if (which & TRIG_COS)
                    *cos_res = f80_one();
                if (which & TRIG_TAN)
                    *tan_res = x;
                return true;
            }
            uint32_t q;
            bool sign = f80_sign(a);
            struct xr r = trig_reduce(a, &q);
            int ds = 0, dc = 0;
            struct xr s = xr_sin_kernel(r, &ds), co = xr_cos_kernel(r, &dc);
            /* sin(q*pi/2 + r) and cos(q*pi/2 + r) by quadrant. */
            struct xr vs, vc;
            int dvs, dvc;
            switch (q) {
            case 0: vs = s; dvs = ds; vc = co; dvc = dc; break;
            case 1: vs = co; dvs = dc; vc = xr_neg(s); dvc = ds; break;
            case 2: vs = xr_neg(s); dvs = ds; vc = xr_neg(co); dvc = dc; break;
            default: vs = xr_neg(co); dvs = dc; vc = s; dvc = ds; break;
            }
            if (sign)
                vs = xr_neg(vs);
            /* FSINCOS rounds both results; C1 and flags accumulate. */
            bool c1 = false;
            if (which & TRIG_SIN) {
                *sin_res = xr_to_f80(vs, dvs, e);
                c1 |= e->c1;
            }
            if (which & TRIG_COS) {
                *cos_res = xr_to_f80(vc, dvc, e);
                c1 |= e->c1;
            }
            if (which & TRIG_TAN) {
                struct xr t = xr_div(vs, vc);
                /* tan(r) = r + r^3/3 + ...: the truncated terms enlarge it */
                *tan_res = xr_to_f80(t, 1, e);
                c1 |= e->c1;
            }
            e->c1 = c1;
            return true;
        }
    }
    if (which & TRIG_SIN)
        *sin_res = res;
    if (which & TRIG_COS)
        *cos_res = res;
    if (which & TRIG_TAN)
        *tan_res = res;
    return true;
}

bool f80_sin(f80 a, f80 *res, struct f80_env *e) { return trig(a, TRIG_SIN, res, NULL, NULL, e); }
bool f80_cos(f80 a, f80 *res, struct f80_env *e) { return trig(a, TRIG_COS, NULL, res, NULL, e); }
bool f80_sincos(f80 a, f80 *s, f80 *c, struct f80_env *e) { return trig(a, TRIG_SIN | TRIG_COS, s, c, NULL, e); }
bool f80_tan(f80 a, f80 *res, struct f80_env *e) { return trig(a, TRIG_TAN, NULL, NULL, res, e); }

/* ---- FPATAN ------------------------------------------------------------- */

static f80 round_const(struct xr c, bool sign, struct f80_env *e)
{
    c.sign = sign;
    return xr_to_f80(c, 1, e);
}

f80 f80_atan2(f80 y, f80 x, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check2(x, y, &res, e))
        return res;
    enum f80_class cy = f80_classify(y), cx = f80_classify(x);
    bool sy = f80_sign(y), sx = f80_sign(x);
    if (f80_is_denormal_class(x) || f80_is_denormal_class(y))
        e->flags |= F80_DE;
    /* SDM Vol.2 FPATAN results table. */
    if (cy == F80_CLASS_ZERO) {
        if (!sx)
            return f80_zero(sy);
        return round_const(XR_PI, sy, e);
    }
    if (cy == F80_CLASS_INF) {
        if (cx == F80_CLASS_INF) {
            if (!sx)
                return round_const(XR_PI_4, sy, e);
            struct xr three_pi_4 = xr_add(XR_PI_2, XR_PI_4);
            return round_const(three_pi_4, sy, e);
        }
        return round_const(XR_PI_2, sy, e);
    }
    if (cx == F80_CLASS_ZERO)
        return round_const(XR_PI_2, sy, e);
    if (cx == F80_CLASS_INF) {
        if (!sx)
            return f80_zero(sy);
        return round_const(XR_PI, sy, e);
    }
    struct xr ay = xr_from_f80(y), ax = xr_from_f80(x);
    ay.sign = ax.sign = false;
    bool swap = ay.exp > ax.exp || (ay.exp == ax.exp && ay.sig > ax.sig);
    struct xr z = swap ? xr_div(ax, ay) : xr_div(ay, ax);
    int dir = 1;
    struct xr a = xr_atan01(z, &dir);
    if (swap) {
        a = xr_sub(XR_PI_2, a);
        dir = 1;
    }
    if (sx) {
        a = xr_sub(XR_PI, a);
        dir = 1;
    }
    a.sign = sy;
    return xr_to_f80(a, dir, e);
}

/* ---- F2XM1 -------------------------------------------------------------- */

f80 f80_2xm1(f80 a, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check1(a, &res, e))
        return res;
    enum f80_class c = f80_classify(a);
    bool sign = f80_sign(a);
    if (c == F80_CLASS_ZERO)
        return a;
    if (c == F80_CLASS_INF)
        return sign ? f80_make(true, F80_EXP_BIAS, 0x8000000000000000ULL) : a;
    if (c == F80_CLASS_DENORMAL)
        e->flags |= F80_DE;
    /* Exact cases 2^1 - 1 = 1 and 2^-1 - 1 = -1/2, still flagged PE by Intel. */
    if (a.mant == 0x8000000000000000ULL && f80_exp(a) == F80_EXP_BIAS) {
        e->flags |= F80_PE;
        return sign ? f80_make(true, F80_EXP_BIAS - 1, a.mant) : a;
    }
    /* Outside the domain |x| <= 1 Intel returns the operand, inexact. */
    if (c == F80_CLASS_NORMAL && f80_exp(a) >= F80_EXP_BIAS) {
        e->flags |= F80_PE;
        return a;
    }
    int dir;
    struct xr s = xr_expm1_kernel(xr_mul(xr_from_f80(a), XR_LN2), &dir);
    return xr_to_f80(s, dir, e);
}

/* ---- FYL2X / FYL2XP1 ---------------------------------------------------- */

f80 f80_yl2x(f80 y, f80 x, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check2(x, y, &res, e))
        return res;
    enum f80_class cy = f80_classify(y), cx = f80_classify(x);
    bool sy = f80_sign(y);
    /* SDM Vol.2 FYL2X results table. */
    if (f80_sign(x) && cx != F80_CLASS_ZERO) {
        e->flags |= F80_IE;
        return f80_indefinite();
    }
    bool denormal = f80_is_denormal_class(x) || f80_is_denormal_class(y);
    bool x_is_one = cx == F80_CLASS_NORMAL && f80_exp(x) == F80_EXP_BIAS && x.mant == 0x8000000000000000ULL;
    if (cx == F80_CLASS_ZERO) {
        if (cy == F80_CLASS_ZERO) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        /* ZE alone: the hardware does not add DE for a denormal y. */
        if (cy != F80_CLASS_INF)
            e->flags |= F80_ZE;
        return f80_inf(!sy);
    }
    if (denormal)
        e->flags |= F80_DE;
    if (cx == F80_CLASS_INF) {
        if (cy == F80_CLASS_ZERO) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        return f80_inf(sy);
    }
    if (x_is_one) {
        if (cy == F80_CLASS_INF) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        return f80_zero(sy);
    }
    struct xr ax = xr_from_f80(x);
    bool below_one = ax.exp < 0;
    if (cy == F80_CLASS_INF)
        return f80_inf(sy ^ below_one);
    if (cy == F80_CLASS_ZERO)
        return f80_zero(sy ^ below_one);
    struct xr l;
    int dir = 1;
    if (ax.sig == (u128)1 << 127) {
        /*
         * A power of two: log2 is exact. Intel treats log2(2^-k) as a hair
         * smaller in magnitude than k (its directed roundings and C1 show
         * it), and 2^k as exact; mimicked here.
         */
        l = xr_from_int(ax.exp < 0, (uint64_t)(ax.exp < 0 ? -(int64_t)ax.exp : ax.exp));
        dir = ax.exp < 0 ? -1 : 0;
    } else {
        l = xr_log2(ax);
    }
    f80 r = xr_to_f80(xr_mul(xr_from_f80(y), l), dir, e);
    /*
     * Intel reports an exact product (x a power of two) as inexact anyway,
     * so a tiny one also as underflow (checked against hardware).
     */
    e->flags |= F80_PE;
    if (f80_exp(r) == 0 && r.mant != 0)
        e->flags |= F80_UE;
    return r;
}

f80 f80_yl2xp1(f80 y, f80 x, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check2(x, y, &res, e))
        return res;
    enum f80_class cy = f80_classify(y), cx = f80_classify(x);
    bool sy = f80_sign(y), sx = f80_sign(x);
    bool denormal = f80_is_denormal_class(x) || f80_is_denormal_class(y);
    /*
     * SDM Vol.2 FYL2XP1 results table, and what Intel parts do outside the
     * documented domain (checked against hardware): DE only when no IE.
     */
    if (cx == F80_CLASS_ZERO) {
        if (cy == F80_CLASS_INF) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        if (denormal)
            e->flags |= F80_DE;
        return f80_zero(sy ^ sx);
    }
    if (cx == F80_CLASS_INF) {
        if (sx || cy == F80_CLASS_ZERO) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        if (denormal)
            e->flags |= F80_DE;
        return f80_inf(sy);
    }
    if (denormal)
        e->flags |= F80_DE;
    if (cy == F80_CLASS_INF)
        return f80_inf(sy ^ sx);
    if (cy == F80_CLASS_ZERO)
        return f80_zero(sy ^ sx);
    struct xr ax = xr_from_f80(x);
    if (sx && ax.exp >= 0) {
        /* x <= -1, outside log2's domain: Intel returns x, inexact. */
        e->flags |= F80_PE;
        return x;
    }
    struct xr l;
    if (ax.exp < -1) {
        /* ln(1 + x) = 2 atanh(x / (2 + x)), no cancellation for small x. */
        struct xr two = { false, 1, (u128)1 << 127 };
        struct xr s = xr_div(ax, xr_add(two, ax));
        l = xr_mul(xr_two_atanh(s), XR_LOG2E);
    } else {
        l = xr_log2(xr_add(XR_ONE, ax));
    }
    return xr_to_f80(xr_mul(xr_from_f80(y), l), 1, e);
}

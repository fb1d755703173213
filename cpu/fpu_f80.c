/*
 * x87 80-bit arithmetic: classification, NaN rules, rounding, and the basic
 * operations (add/sub/mul/div/sqrt, FRNDINT, FSCALE, FXTRACT, FPREM[1],
 * FCOM/FUCOM). Integer arithmetic only.
 */
#include "cpu/fpu_f80_internal.h"

#define QNAN_BIT 0x4000000000000000ULL
#define INT_BIT 0x8000000000000000ULL

struct f80_env f80_env_default(void)
{
    struct f80_env e = { .rc = F80_RC_NEAREST, .pc = F80_PC_64, .flags = 0, .c1 = false, .masks = 0x3F };
    return e;
}

f80 f80_make(bool sign, uint16_t exp, uint64_t mant)
{
    f80 r = { .mant = mant, .sign_exp = (uint16_t)((sign ? 0x8000 : 0) | (exp & 0x7FFF)) };
    return r;
}

/* SDM Vol.1 4.8.3.7: sign 1, exponent all ones, significand 1.1000... */
f80 f80_indefinite(void) { return f80_make(true, F80_EXP_MAX, 0xC000000000000000ULL); }
f80 f80_zero(bool sign) { return f80_make(sign, 0, 0); }
f80 f80_inf(bool sign) { return f80_make(sign, F80_EXP_MAX, INT_BIT); }
f80 f80_one(void) { return f80_make(false, F80_EXP_BIAS, INT_BIT); }

/*
 * SDM Vol.1 8.2.2: with a nonzero exponent the integer bit must be set;
 * otherwise the encoding (unnormal, pseudo-infinity, pseudo-NaN) is
 * unsupported. Exponent 0 with the integer bit set is a pseudo-denormal,
 * still accepted as an operand.
 */
enum f80_class f80_classify(f80 a)
{
    uint16_t exp = f80_exp(a);
    if (exp == 0)
        return a.mant == 0 ? F80_CLASS_ZERO : F80_CLASS_DENORMAL;
    if (!(a.mant & INT_BIT))
        return F80_CLASS_UNSUPPORTED;
    if (exp == F80_EXP_MAX) {
        if ((a.mant << 1) == 0)
            return F80_CLASS_INF;
        return (a.mant & QNAN_BIT) ? F80_CLASS_QNAN : F80_CLASS_SNAN;
    }
    return F80_CLASS_NORMAL;
}

bool f80_is_nan(f80 a)
{
    enum f80_class c = f80_classify(a);
    return c == F80_CLASS_QNAN || c == F80_CLASS_SNAN;
}

bool f80_is_signaling_nan(f80 a) { return f80_classify(a) == F80_CLASS_SNAN; }
bool f80_is_unsupported(f80 a) { return f80_classify(a) == F80_CLASS_UNSUPPORTED; }

/* SDM Vol.2 FXAM: C3,C2,C0 class codes; C1 = sign. */
uint16_t f80_fxam(f80 a)
{
    uint16_t cc = f80_sign(a) ? F80_C1 : 0;
    switch (f80_classify(a)) {
    case F80_CLASS_UNSUPPORTED: break;
    case F80_CLASS_QNAN:
    case F80_CLASS_SNAN: cc |= F80_C0; break;
    case F80_CLASS_NORMAL: cc |= F80_C2; break;
    case F80_CLASS_INF: cc |= F80_C2 | F80_C0; break;
    case F80_CLASS_ZERO: cc |= F80_C3; break;
    case F80_CLASS_DENORMAL: cc |= F80_C3 | F80_C2; break;
    }
    return cc;
}

f80 f80_quiet(f80 a)
{
    a.mant |= QNAN_BIT;
    return a;
}

uint64_t f80_round_to_integer(const struct f80_unpacked *u, int32_t sh, unsigned rc,
                              bool *inexact, bool *up)
{
    uint64_t ip, rem;
    int vs_half; /* fraction compared with one half: -1, 0, +1 */
    if (sh >= 65) {
        ip = 0;
        rem = 1;
        vs_half = -1;
    } else if (sh == 64) {
        ip = 0;
        rem = u->sig;
        vs_half = u->sig == INT_BIT ? 0 : 1;
    } else {
        ip = u->sig >> sh;
        rem = u->sig & ((1ULL << sh) - 1);
        uint64_t half = 1ULL << (sh - 1);
        vs_half = rem > half ? 1 : rem == half ? 0 : -1;
    }
    bool inc = f80_round_increments(rc, u->sign, vs_half, rem != 0, ip & 1);
    *inexact = rem != 0;
    *up = inc;
    return ip + inc;
}

struct f80_unpacked f80_unpack(f80 a)
{
    struct f80_unpacked u;
    int32_t exp = f80_exp(a);
    uint64_t m = a.mant;
    /* Denormals and pseudo-denormals both weigh as exponent 1 (SDM Vol.1 8.2.2). */
    if (exp == 0)
        exp = 1;
    int lz = f80_clz64(m);
    u.sign = f80_sign(a);
    u.exp = exp - lz;
    u.sig = m << lz;
    return u;
}

int f80_pc_bits(const struct f80_env *e)
{
    switch (e->pc & 3) {
    case F80_PC_24: return 24;
    case F80_PC_53: return 53;
    default: return 64;
    }
}

bool f80_nan_check1(f80 a, f80 *res, struct f80_env *e)
{
    enum f80_class c = f80_classify(a);
    if (c == F80_CLASS_UNSUPPORTED) {
        e->flags |= F80_IE;
        *res = f80_indefinite();
        return true;
    }
    if (c == F80_CLASS_SNAN)
        e->flags |= F80_IE;
    if (c == F80_CLASS_SNAN || c == F80_CLASS_QNAN) {
        *res = f80_quiet(a);
        return true;
    }
    return false;
}

/* SDM Vol.1 4.8.3.5 Table 4-7 (x87 column). */
bool f80_nan_check2(f80 a, f80 b, f80 *res, struct f80_env *e)
{
    enum f80_class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED) {
        e->flags |= F80_IE;
        *res = f80_indefinite();
        return true;
    }
    bool sa = ca == F80_CLASS_SNAN, sb = cb == F80_CLASS_SNAN;
    bool na = sa || ca == F80_CLASS_QNAN, nb = sb || cb == F80_CLASS_QNAN;
    if (!na && !nb)
        return false;
    if (sa || sb)
        e->flags |= F80_IE;
    if (na && nb && sa == sb) {
        /* Both signalling or both quiet: the larger significand wins. */
        f80 qa = f80_quiet(a), qb = f80_quiet(b);
        if (qa.mant != qb.mant)
            *res = qa.mant > qb.mant ? qa : qb;
        else
            *res = qa.sign_exp < qb.sign_exp ? qa : qb;
    } else if (na && nb) {
        *res = sa ? f80_quiet(b) : f80_quiet(a); /* the QNaN source */
    } else {
        *res = f80_quiet(na ? a : b);
    }
    return true;
}

/*
 * Keep the top `128 - drop` bits of sig, rounding by rc. *carry means the
 * rounded value became 2^128 (returned as 2^127: the caller bumps the exponent).
 */
static u128 round_sig(u128 sig, int drop, bool sign, int rc, bool *inexact, bool *inc, bool *carry)
{
    u128 lsb = (u128)1 << drop;
    u128 mask = lsb - 1;
    u128 rem = sig & mask;
    u128 half = lsb >> 1;
    u128 kept = sig & ~mask;
    int vs_half = rem > half ? 1 : rem == half ? 0 : -1;
    bool up = f80_round_increments((unsigned)rc, sign, vs_half, rem != 0, (kept & lsb) != 0);
    *inexact = rem != 0;
    *inc = up;
    *carry = false;
    if (up) {
        kept += lsb;
        if (kept == 0) {
            *carry = true;
            kept = (u128)1 << 127;
        }
    }
    return kept;
}

static f80 overflow_result(bool sign, int bits, struct f80_env *e)
{
    /* SDM Vol.1 4.9.1.4: masked overflow result by rounding mode and sign. */
    e->flags |= F80_OE | F80_PE;
    int rc = e->rc & 3;
    if (rc == F80_RC_NEAREST || (rc == F80_RC_UP && !sign) || (rc == F80_RC_DOWN && sign)) {
        e->c1 = true;
        return f80_inf(sign);
    }
    e->c1 = false;
    return f80_make(sign, F80_EXP_MAX - 1, ~0ULL << (64 - bits));
}

/* Bias adjustment for unmasked overflow/underflow, SDM Vol.1 8.5.4/8.5.5. */
#define F80_WRAP_BIAS 24576

f80 f80_round_pack(bool sign, int32_t exp, u128 sig, int bits, struct f80_env *e)
{
    int drop = 128 - bits;
    bool inexact, inc, carry;
    int lz = f80_clz128(sig);
    sig <<= lz;
    exp -= lz;
    e->c1 = false;

    if (exp <= 0) {
        /* x87 detects tininess after rounding (to the precision, with an
         * unbounded exponent). */
        round_sig(sig, drop, sign, e->rc, &inexact, &inc, &carry);
        bool tiny = exp < 0 || !carry;
        if (tiny && !(e->masks & F80_UE)) {
            e->flags |= F80_UE;
            exp += F80_WRAP_BIAS;
            if (exp <= 0) {
                /* Beyond even the wrapped range (only FSCALE gets here): the
                 * hardware delivers a signed zero, whatever the rounding. */
                e->flags |= F80_PE;
                return f80_zero(sign);
            }
        }
        if (exp <= 0) {
            sig = f80_shr_jam128(sig, 1 - exp);
            sig = round_sig(sig, drop, sign, e->rc, &inexact, &inc, &carry);
            e->c1 = inc;
            if (inexact) {
                e->flags |= F80_PE;
                if (tiny)
                    e->flags |= F80_UE;
            }
            uint64_t mant = (uint64_t)(sig >> 64);
            return f80_make(sign, (mant & INT_BIT) ? 1 : 0, mant);
        }
    }

    sig = round_sig(sig, drop, sign, e->rc, &inexact, &inc, &carry);
    if (carry)
        exp++;
    if (exp >= F80_EXP_MAX) {
        if (e->masks & F80_OE)
            return overflow_result(sign, bits, e);
        exp -= F80_WRAP_BIAS;
        e->flags |= F80_OE;
        if (exp >= F80_EXP_MAX) {
            /* Beyond even the wrapped range (only FSCALE): infinity, whatever
             * the rounding, as on hardware. */
            e->flags |= F80_PE;
            e->c1 = true;
            return f80_inf(sign);
        }
    }
    if (inexact)
        e->flags |= F80_PE;
    e->c1 = inc;
    return f80_make(sign, (uint16_t)exp, (uint64_t)(sig >> 64));
}

static void raise_denormal2(f80 a, f80 b, struct f80_env *e)
{
    if (f80_is_denormal_class(a) || f80_is_denormal_class(b))
        e->flags |= F80_DE;
}

/* ---- add / sub ---------------------------------------------------------- */

static f80 add_signed(f80 a, f80 b, bool negate_b, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check2(a, b, &res, e))
        return res;
    enum f80_class ca = f80_classify(a), cb = f80_classify(b);
    bool sa = f80_sign(a), sb = f80_sign(b) ^ negate_b;
    if (ca == F80_CLASS_INF || cb == F80_CLASS_INF) {
        if (ca == F80_CLASS_INF && cb == F80_CLASS_INF && sa != sb) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        raise_denormal2(a, b, e);
        return f80_inf(ca == F80_CLASS_INF ? sa : sb);
    }
    raise_denormal2(a, b, e);
    int bits = f80_pc_bits(e);
    if (ca == F80_CLASS_ZERO && cb == F80_CLASS_ZERO)
        return f80_zero(sa == sb ? sa : (e->rc & 3) == F80_RC_DOWN);
    if (ca == F80_CLASS_ZERO || cb == F80_CLASS_ZERO) {
        /* Still rounded to the precision control. */
        struct f80_unpacked u = f80_unpack(ca == F80_CLASS_ZERO ? b : a);
        return f80_round_pack(ca == F80_CLASS_ZERO ? sb : sa, u.exp, (u128)u.sig << 64, bits, e);
    }
    struct f80_unpacked ua = f80_unpack(a), ub = f80_unpack(b);
    u128 ma = (u128)ua.sig << 63, mb = (u128)ub.sig << 63;
    int32_t ea = ua.exp, eb = ub.exp;
    if (eb > ea || (eb == ea && mb > ma)) {
        u128 tm = ma; ma = mb; mb = tm;
        int32_t te = ea; ea = eb; eb = te;
        bool ts = sa; sa = sb; sb = ts;
    }
    mb = f80_shr_jam128(mb, ea - eb);
    u128 sum = sa == sb ? ma + mb : ma - mb;
    if (sum == 0) /* SDM Vol.1 4.8.3.4: exact zero difference is +0 except rounding down. */
        return f80_zero((e->rc & 3) == F80_RC_DOWN);
    return f80_round_pack(sa, ea + 1, sum, bits, e);
}

f80 f80_add(f80 a, f80 b, struct f80_env *e) { return add_signed(a, b, false, e); }
f80 f80_sub(f80 a, f80 b, struct f80_env *e) { return add_signed(a, b, true, e); }

/* ---- mul / div / sqrt --------------------------------------------------- */

f80 f80_mul(f80 a, f80 b, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check2(a, b, &res, e))
        return res;
    enum f80_class ca = f80_classify(a), cb = f80_classify(b);
    bool s = f80_sign(a) ^ f80_sign(b);
    if (ca == F80_CLASS_INF || cb == F80_CLASS_INF) {
        if (ca == F80_CLASS_ZERO || cb == F80_CLASS_ZERO) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        raise_denormal2(a, b, e);
        return f80_inf(s);
    }
    raise_denormal2(a, b, e);
    if (ca == F80_CLASS_ZERO || cb == F80_CLASS_ZERO)
        return f80_zero(s);
    struct f80_unpacked ua = f80_unpack(a), ub = f80_unpack(b);
    u128 prod = (u128)ua.sig * ub.sig;
    return f80_round_pack(s, ua.exp + ub.exp - F80_EXP_BIAS + 1, prod, f80_pc_bits(e), e);
}

f80 f80_div(f80 a, f80 b, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check2(a, b, &res, e))
        return res;
    enum f80_class ca = f80_classify(a), cb = f80_classify(b);
    bool s = f80_sign(a) ^ f80_sign(b);
    if (ca == F80_CLASS_INF) {
        if (cb == F80_CLASS_INF) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        raise_denormal2(a, b, e);
        return f80_inf(s);
    }
    if (cb == F80_CLASS_INF) {
        raise_denormal2(a, b, e);
        return f80_zero(s);
    }
    if (cb == F80_CLASS_ZERO) {
        if (ca == F80_CLASS_ZERO) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        /* Hardware reports only ZE here, even for a denormal dividend. */
        e->flags |= F80_ZE;
        return f80_inf(s);
    }
    raise_denormal2(a, b, e);
    if (ca == F80_CLASS_ZERO)
        return f80_zero(s);
    struct f80_unpacked ua = f80_unpack(a), ub = f80_unpack(b);
    u128 num = (u128)ua.sig << 64;
    u128 q = num / ub.sig, r = num % ub.sig;
    u128 num2 = r << 64;
    u128 q2 = num2 / ub.sig, r2 = num2 % ub.sig;
    u128 sig = (q << 62) | (q2 >> 2) | ((q2 & 3) != 0 || r2 != 0);
    return f80_round_pack(s, ua.exp - ub.exp + F80_EXP_BIAS + 1, sig, f80_pc_bits(e), e);
}

/* Integer square root by the digit-by-digit method; *rem = n - root^2. */
static uint64_t isqrt128(u128 n, u128 *rem)
{
    u128 root = 0, bit = (u128)1 << 126;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= root + bit) {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    *rem = n;
    return (uint64_t)root;
}

f80 f80_sqrt(f80 a, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check1(a, &res, e))
        return res;
    enum f80_class c = f80_classify(a);
    if (c == F80_CLASS_ZERO)
        return a;
    if (f80_sign(a)) {
        e->flags |= F80_IE;
        return f80_indefinite();
    }
    if (c == F80_CLASS_INF)
        return a;
    if (c == F80_CLASS_DENORMAL)
        e->flags |= F80_DE;
    struct f80_unpacked u = f80_unpack(a);
    int32_t ue = u.exp - F80_EXP_BIAS;
    u128 n;
    if (ue & 1) {
        n = (u128)u.sig << 64;
        ue -= 1;
    } else {
        n = (u128)u.sig << 63;
    }
    u128 rem;
    uint64_t root = isqrt128(n, &rem);
    /* sqrt(n) lies in [root, root+1); it is never exactly root + 1/2. */
    u128 sig = ((u128)root << 64) | (rem > root ? (u128)1 << 63 : 0) | (rem != 0);
    return f80_round_pack(false, ue / 2 + F80_EXP_BIAS, sig, f80_pc_bits(e), e);
}

/* ---- FRNDINT ------------------------------------------------------------ */

f80 f80_round_to_int(f80 a, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check1(a, &res, e))
        return res;
    enum f80_class c = f80_classify(a);
    if (c == F80_CLASS_ZERO || c == F80_CLASS_INF)
        return a;
    if (c == F80_CLASS_DENORMAL)
        e->flags |= F80_DE;
    struct f80_unpacked u = f80_unpack(a);
    int32_t sh = 63 - (u.exp - F80_EXP_BIAS); /* fraction bits */
    if (sh <= 0)
        return c == F80_CLASS_DENORMAL ? f80_make(u.sign, (uint16_t)u.exp, u.sig) : a;
    bool inexact, up;
    uint64_t ip = f80_round_to_integer(&u, sh, e->rc, &inexact, &up);
    if (inexact)
        e->flags |= F80_PE;
    e->c1 = up;
    if (ip == 0)
        return f80_zero(u.sign);
    int lz = f80_clz64(ip);
    return f80_make(u.sign, (uint16_t)(F80_EXP_BIAS + 63 - lz), ip << lz);
}

/* ---- FSCALE ------------------------------------------------------------- */

f80 f80_scale(f80 a, f80 b, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check2(a, b, &res, e))
        return res;
    enum f80_class ca = f80_classify(a), cb = f80_classify(b);
    bool sa = f80_sign(a);
    /* SDM Vol.2 FSCALE results table: 0 * 2^+inf and inf * 2^-inf are invalid. */
    if (cb == F80_CLASS_INF) {
        if (!f80_sign(b)) {
            if (ca == F80_CLASS_ZERO) {
                e->flags |= F80_IE;
                return f80_indefinite();
            }
            raise_denormal2(a, b, e);
            return f80_inf(sa);
        }
        if (ca == F80_CLASS_INF) {
            e->flags |= F80_IE;
            return f80_indefinite();
        }
        raise_denormal2(a, b, e);
        return f80_zero(sa);
    }
    raise_denormal2(a, b, e);
    if (ca == F80_CLASS_INF || ca == F80_CLASS_ZERO)
        return a;
    int32_t n = 0;
    if (cb != F80_CLASS_ZERO) {
        struct f80_unpacked ub = f80_unpack(b);
        int32_t be = ub.exp - F80_EXP_BIAS;
        if (be >= 30)
            n = 1 << 30; /* far outside any representable result */
        else if (be >= 0)
            n = (int32_t)(ub.sig >> (63 - be));
        if (ub.sign)
            n = -n;
    }
    struct f80_unpacked ua = f80_unpack(a);
    int32_t exp = ua.exp;
    /* Clamp so the sum stays an int32; any clamped value over/underflows. */
    if (n > 0x20000)
        n = 0x20000;
    if (n < -0x20000)
        n = -0x20000;
    return f80_round_pack(sa, exp + n, (u128)ua.sig << 64, 64, e);
}

/* ---- FXTRACT ------------------------------------------------------------ */

void f80_xtract(f80 a, f80 *exp, f80 *sig, struct f80_env *e)
{
    f80 res;
    e->c1 = false;
    if (f80_nan_check1(a, &res, e)) {
        *exp = *sig = res;
        return;
    }
    enum f80_class c = f80_classify(a);
    if (c == F80_CLASS_ZERO) {
        /* SDM Vol.2 FXTRACT: zero raises divide-by-zero, exponent -inf. */
        e->flags |= F80_ZE;
        *exp = f80_inf(true);
        *sig = a;
        return;
    }
    if (c == F80_CLASS_INF) {
        *exp = f80_inf(false);
        *sig = a;
        return;
    }
    if (c == F80_CLASS_DENORMAL)
        e->flags |= F80_DE;
    struct f80_unpacked u = f80_unpack(a);
    *exp = f80_from_i32(u.exp - F80_EXP_BIAS);
    *sig = f80_make(u.sign, F80_EXP_BIAS, u.sig);
}

/* ---- FPREM / FPREM1 ----------------------------------------------------- */

/* A pseudo-denormal passed through unchanged comes back with exponent 1. */
static f80 canonical_pseudo_denormal(f80 a)
{
    if (f80_exp(a) == 0 && (a.mant & INT_BIT))
        a.sign_exp |= 1;
    return a;
}

static uint16_t quotient_cc(uint64_t q)
{
    /* SDM Vol.2 FPREM: Q2 -> C0, Q1 -> C3, Q0 -> C1. */
    return (uint16_t)(((q & 4) ? F80_C0 : 0) | ((q & 2) ? F80_C3 : 0) | ((q & 1) ? F80_C1 : 0));
}

f80 f80_prem(f80 a, f80 b, bool ieee, struct f80_env *e, uint16_t *cc)
{
    f80 res;
    *cc = 0;
    e->c1 = false;
    if (f80_nan_check2(a, b, &res, e))
        return res;
    enum f80_class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_INF || cb == F80_CLASS_ZERO) {
        e->flags |= F80_IE;
        return f80_indefinite();
    }
    raise_denormal2(a, b, e);
    if (ca == F80_CLASS_ZERO || cb == F80_CLASS_INF)
        return canonical_pseudo_denormal(a);
    struct f80_unpacked ua = f80_unpack(a), ub = f80_unpack(b);
    int32_t d = ua.exp - ub.exp;
    if (d < (ieee ? -1 : 0))
        return canonical_pseudo_denormal(a);
    if (d >= 64) {
        /*
         * Partial remainder: reduce by b * 2^(d - n), n in 32..63, which is
         * the choice AMD documents and Intel parts follow, so that a loop of
         * FPREMs ends with the right low quotient bits. The quotient here is
         * always truncated and C0/C1/C3 are cleared.
         */
        int32_t n = 32 + d % 32;
        u128 num = (u128)ua.sig << n;
        u128 r = num % ub.sig;
        *cc = F80_C2;
        if (r == 0)
            return f80_zero(ua.sign);
        return f80_round_pack(ua.sign, ub.exp + (d - n) + 64, r, 64, e);
    }
    /* Full remainder: work on 2a and 2b so that d = -1 (FPREM1) fits. */
    u128 num = (u128)ua.sig << (d + 1);
    u128 den = (u128)ub.sig << 1;
    u128 q = num / den, r = num % den;
    bool sign = ua.sign;
    if (ieee && (r > ub.sig || (r == ub.sig && (q & 1)))) {
        r = den - r;
        q++;
        sign = !sign;
    }
    *cc = quotient_cc((uint64_t)q);
    if (r == 0)
        return f80_zero(ua.sign);
    return f80_round_pack(sign, ub.exp + 63, r, 64, e);
}

/* ---- FCOM / FUCOM ------------------------------------------------------- */

enum f80_relation f80_compare(f80 a, f80 b, bool quiet, struct f80_env *e)
{
    enum f80_class ca = f80_classify(a), cb = f80_classify(b);
    e->c1 = false;
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED) {
        e->flags |= F80_IE;
        return F80_UNORDERED;
    }
    bool na = ca == F80_CLASS_QNAN || ca == F80_CLASS_SNAN;
    bool nb = cb == F80_CLASS_QNAN || cb == F80_CLASS_SNAN;
    if (na || nb) {
        if (!quiet || ca == F80_CLASS_SNAN || cb == F80_CLASS_SNAN)
            e->flags |= F80_IE;
        return F80_UNORDERED;
    }
    raise_denormal2(a, b, e);
    if (ca == F80_CLASS_ZERO && cb == F80_CLASS_ZERO)
        return F80_EQ;
    bool sa = f80_sign(a), sb = f80_sign(b);
    if (ca == F80_CLASS_ZERO)
        return sb ? F80_GT : F80_LT;
    if (cb == F80_CLASS_ZERO)
        return sa ? F80_LT : F80_GT;
    if (sa != sb)
        return sa ? F80_LT : F80_GT;
    /* Same sign: compare magnitudes, infinity above every finite value. */
    int mag;
    if (ca == F80_CLASS_INF || cb == F80_CLASS_INF) {
        mag = (ca == F80_CLASS_INF) - (cb == F80_CLASS_INF);
    } else {
        struct f80_unpacked ua = f80_unpack(a), ub = f80_unpack(b);
        if (ua.exp != ub.exp)
            mag = ua.exp > ub.exp ? 1 : -1;
        else
            mag = ua.sig == ub.sig ? 0 : ua.sig > ub.sig ? 1 : -1;
    }
    if (sa)
        mag = -mag;
    return mag == 0 ? F80_EQ : mag > 0 ? F80_GT : F80_LT;
}

uint16_t f80_relation_cc(enum f80_relation r)
{
    switch (r) {
    case F80_LT: return F80_C0;
    case F80_EQ: return F80_C3;
    case F80_GT: return 0;
    default: return F80_C3 | F80_C2 | F80_C0;
    }
}

/*
 * x87 conversions: integers (FILD/FIST/FISTP/FISTTP), single and double
 * real (FLD/FST m32/m64), and 18-digit packed BCD (FBLD/FBSTP).
 */
#include "cpu/fpu_f80_internal.h"

#define INT_BIT 0x8000000000000000ULL

/* ---- integers ----------------------------------------------------------- */

static f80 from_magnitude(bool sign, uint64_t mag)
{
    if (mag == 0)
        return f80_zero(sign);
    int lz = f80_clz64(mag);
    return f80_make(sign, (uint16_t)(F80_EXP_BIAS + 63 - lz), mag << lz);
}

f80 f80_from_i16(int16_t v) { return f80_from_i64(v); }
f80 f80_from_i32(int32_t v) { return f80_from_i64(v); }

f80 f80_from_i64(int64_t v)
{
    bool sign = v < 0;
    uint64_t mag = sign ? 0 - (uint64_t)v : (uint64_t)v;
    return from_magnitude(sign, mag);
}

/*
 * Round a finite value to an integer magnitude by rc. Returns false when the
 * magnitude does not fit in 64 bits. Reports inexactness and round-up to the caller.
 */
static bool round_to_magnitude(f80 a, int rc, uint64_t *mag, bool *inexact, bool *up)
{
    *inexact = *up = false;
    if (f80_classify(a) == F80_CLASS_ZERO) {
        *mag = 0;
        return true;
    }
    struct f80_unpacked u = f80_unpack(a);
    int32_t sh = 63 - (u.exp - F80_EXP_BIAS);
    if (sh < 0)
        return false;
    if (sh == 0) {
        *mag = u.sig;
        return true;
    }
    *mag = f80_round_to_integer(&u, sh, (unsigned)rc, inexact, up);
    return true;
}

/* FIST/FISTTP core; bits = 16/32/64. SDM Vol.2 FIST: out of range -> IE. */
static int64_t to_int(f80 a, bool truncate, int bits, struct f80_env *e)
{
    int64_t indefinite = (int64_t)(~0ULL << (bits - 1));
    enum f80_class c = f80_classify(a);
    e->c1 = false;
    if (c == F80_CLASS_UNSUPPORTED || c == F80_CLASS_QNAN || c == F80_CLASS_SNAN || c == F80_CLASS_INF) {
        e->flags |= F80_IE;
        return indefinite;
    }
    /* Stores never report denormal operands (checked against hardware). */
    uint64_t mag;
    bool inexact, up;
    bool sign = f80_sign(a);
    bool ok = round_to_magnitude(a, truncate ? F80_RC_ZERO : e->rc, &mag, &inexact, &up);
    uint64_t limit = 1ULL << (bits - 1);
    if (!ok || (sign ? mag > limit : mag >= limit)) {
        e->flags |= F80_IE;
        return indefinite;
    }
    if (inexact)
        e->flags |= F80_PE;
    e->c1 = up;
    return sign ? (int64_t)(0 - mag) : (int64_t)mag;
}

int16_t f80_to_i16(f80 a, bool truncate, struct f80_env *e) { return (int16_t)to_int(a, truncate, 16, e); }
int32_t f80_to_i32(f80 a, bool truncate, struct f80_env *e) { return (int32_t)to_int(a, truncate, 32, e); }
int64_t f80_to_i64(f80 a, bool truncate, struct f80_env *e) { return to_int(a, truncate, 64, e); }

/* ---- single / double real ----------------------------------------------- */

struct ieee_format {
    int ebits;    /* exponent field width */
    int fbits;    /* fraction field width (no explicit integer bit) */
    int32_t bias;
};

static const struct ieee_format FMT_F32 = { 8, 23, 127 };
static const struct ieee_format FMT_F64 = { 11, 52, 1023 };

static f80 from_ieee(uint64_t bits, const struct ieee_format *f, struct f80_env *e)
{
    uint64_t fmask = (1ULL << f->fbits) - 1;
    int32_t emax = (1 << f->ebits) - 1;
    bool sign = (bits >> (f->ebits + f->fbits)) & 1;
    int32_t exp = (int32_t)((bits >> f->fbits) & (uint64_t)emax);
    uint64_t frac = bits & fmask;
    e->c1 = false;
    if (exp == emax) {
        if (frac == 0)
            return f80_inf(sign);
        f80 n = f80_make(sign, F80_EXP_MAX, INT_BIT | (frac << (63 - f->fbits)));
        if (!(frac >> (f->fbits - 1))) {
            e->flags |= F80_IE; /* SNaN source: SDM Vol.2 FLD */
            n = f80_quiet(n);
        }
        return n;
    }
    if (exp == 0) {
        if (frac == 0)
            return f80_zero(sign);
        e->flags |= F80_DE;
        int p = 63 - f80_clz64(frac);
        return f80_make(sign, (uint16_t)(p + 1 - f->bias - f->fbits + F80_EXP_BIAS), frac << (63 - p));
    }
    return f80_make(sign, (uint16_t)(exp - f->bias + F80_EXP_BIAS), INT_BIT | (frac << (63 - f->fbits)));
}

f80 f80_from_f32(uint32_t bits, struct f80_env *e) { return from_ieee(bits, &FMT_F32, e); }
f80 f80_from_f64(uint64_t bits, struct f80_env *e) { return from_ieee(bits, &FMT_F64, e); }

/* Same rounding rule as f80_round_pack, but to a memory format's range. */
static bool round_ieee_sig(u128 *sig, int drop, bool sign, int rc, bool *inexact)
{
    u128 lsb = (u128)1 << drop, mask = lsb - 1, half = lsb >> 1;
    u128 rem = *sig & mask, kept = *sig & ~mask;
    int vs_half = rem > half ? 1 : rem == half ? 0 : -1;
    bool up = f80_round_increments((unsigned)rc, sign, vs_half, rem != 0, (kept & lsb) != 0);
    *inexact = rem != 0;
    *sig = kept + (up ? lsb : 0);
    return up;
}

static uint64_t to_ieee(f80 a, const struct ieee_format *f, struct f80_env *e)
{
    uint64_t fmask = (1ULL << f->fbits) - 1;
    uint64_t emax = (1ULL << f->ebits) - 1;
    int shift_sign = f->ebits + f->fbits;
    bool sign = f80_sign(a);
    uint64_t sbit = (uint64_t)sign << shift_sign;
    uint64_t inf = emax << f->fbits;
    enum f80_class c = f80_classify(a);
    e->c1 = false;
    switch (c) {
    case F80_CLASS_UNSUPPORTED:
        e->flags |= F80_IE;
        return (1ULL << shift_sign) | inf | (1ULL << (f->fbits - 1));
    case F80_CLASS_SNAN:
        e->flags |= F80_IE;
        /* fall through */
    case F80_CLASS_QNAN:
        return sbit | inf | ((a.mant << 1) >> (64 - f->fbits)) | (1ULL << (f->fbits - 1));
    case F80_CLASS_INF:
        return sbit | inf;
    case F80_CLASS_ZERO:
        return sbit;
    case F80_CLASS_DENORMAL: /* no DE for stores, as on hardware */
    case F80_CLASS_NORMAL:
        break;
    }
    struct f80_unpacked u = f80_unpack(a);
    int32_t te = u.exp - F80_EXP_BIAS + f->bias; /* target biased exponent */
    u128 sig = (u128)u.sig << 64;
    int drop = 128 - (f->fbits + 1);
    bool inexact, up;
    if (te <= 0) {
        /* Tininess after rounding, as for register results. */
        u128 probe = sig;
        round_ieee_sig(&probe, drop, sign, e->rc, &inexact);
        bool tiny = te < 0 || probe != 0;
        if (tiny && !(e->masks & F80_UE)) {
            /* SDM Vol.1 4.9.1.5: nothing is stored; only UE is reported. */
            e->flags |= F80_UE;
            return sbit;
        }
        if (te < -130)
            sig = 1;
        else
            sig = f80_shr_jam128(sig, 1 - te);
        up = round_ieee_sig(&sig, drop, sign, e->rc, &inexact);
        if (inexact)
            e->flags |= F80_PE;
        if (tiny && inexact)
            e->flags |= F80_UE;
        e->c1 = up;
        /* A carry into the integer bit yields the smallest normal (exp 1). */
        uint64_t m = (uint64_t)(sig >> drop);
        return sbit | m;
    }
    up = round_ieee_sig(&sig, drop, sign, e->rc, &inexact);
    if (sig == 0) { /* carried out of the top */
        sig = (u128)1 << 127;
        te++;
    }
    if ((uint64_t)te >= emax) {
        if (!(e->masks & F80_OE)) {
            /* SDM Vol.1 4.9.1.4: nothing is stored; only OE is reported. */
            e->flags |= F80_OE;
            return sbit | inf;
        }
        e->flags |= F80_OE | F80_PE;
        int rc = e->rc & 3;
        if (rc == F80_RC_NEAREST || (rc == F80_RC_UP && !sign) || (rc == F80_RC_DOWN && sign)) {
            e->c1 = true;
            return sbit | inf;
        }
        return sbit | ((emax - 1) << f->fbits) | fmask;
    }
    if (inexact)
        e->flags |= F80_PE;
    e->c1 = up;
    return sbit | ((uint64_t)te << f->fbits) | ((uint64_t)(sig >> drop) & fmask);
}

uint32_t f80_to_f32(f80 a, struct f80_env *e) { return (uint32_t)to_ieee(a, &FMT_F32, e); }
uint64_t f80_to_f64(f80 a, struct f80_env *e) { return to_ieee(a, &FMT_F64, e); }

/* ---- packed BCD --------------------------------------------------------- */

f80 f80_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    /* Digits above 9 are undefined in the SDM; they are weighed as is. */
    for (int i = 8; i >= 0; i--) {
        v = v * 10 + (bcd[i] >> 4);
        v = v * 10 + (bcd[i] & 0x0F);
    }
    return from_magnitude((bcd[9] & 0x80) != 0, v);
}

#define BCD_MAX 999999999999999999ULL

void f80_to_bcd(f80 a, uint8_t bcd[10], struct f80_env *e)
{
    enum f80_class c = f80_classify(a);
    uint64_t mag = 0;
    bool inexact = false, up = false, ok = true;
    e->c1 = false;
    if (c == F80_CLASS_UNSUPPORTED || c == F80_CLASS_QNAN || c == F80_CLASS_SNAN || c == F80_CLASS_INF) {
        ok = false;
    } else {
        ok = round_to_magnitude(a, e->rc, &mag, &inexact, &up) && mag <= BCD_MAX;
    }
    if (!ok) {
        /* SDM Vol.1 4.7: the packed BCD integer indefinite. */
        e->flags |= F80_IE;
        for (int i = 0; i < 7; i++)
            bcd[i] = 0;
        bcd[7] = 0xC0;
        bcd[8] = 0xFF;
        bcd[9] = 0xFF;
        return;
    }
    if (inexact)
        e->flags |= F80_PE;
    e->c1 = up;
    for (int i = 0; i < 9; i++) {
        uint8_t lo = (uint8_t)(mag % 10);
        mag /= 10;
        uint8_t hi = (uint8_t)(mag % 10);
        mag /= 10;
        bcd[i] = (uint8_t)((hi << 4) | lo);
    }
    bcd[9] = f80_sign(a) ? 0x80 : 0x00;
}

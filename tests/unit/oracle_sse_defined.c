/* The defined part of implementation-specific SSE results (see the
 * header). */
#include "tests/unit/oracle_sse_defined.h"

#include <math.h>
#include <string.h>

#define F32_SIGN 0x80000000u
#define F32_EXP 0x7f800000u
#define F32_QUIET 0x00400000u
#define F32_DEFAULT_NAN 0xffc00000u

bool oracle_approx_ok(uint32_t src, uint32_t r, bool rsqrt)
{
    uint32_t sign = src & F32_SIGN, mag = src & ~F32_SIGN;
    if (mag > F32_EXP)                          /* NaN: quieted, payload kept */
        return r == (src | F32_QUIET);
    if ((src & F32_EXP) == 0)                   /* zero or denormal: taken as 0 */
        return r == (sign | F32_EXP);
    if (rsqrt && sign)                          /* negative: invalid */
        return r == F32_DEFAULT_NAN;
    if (mag == F32_EXP)                         /* infinity */
        return r == sign;
    /* SDM Vol.2 RCPPS: inputs of magnitude at least 1.11111111110100000000000B
     * * 2^125 may give a tiny result (flushed to 0), those above
     * 1.00000000000110000000001B * 2^126 always do. */
    if (!rsqrt && mag > 0x7e800c01u)
        return r == sign;
    if (!rsqrt && mag >= 0x7e7fe800u && r == sign)
        return true;
    if ((r & F32_EXP) == 0 || (r & F32_EXP) == F32_EXP)
        return false;                           /* results are normal numbers */
    float x, y;
    memcpy(&x, &src, 4);
    memcpy(&y, &r, 4);
    double exact = rsqrt ? 1.0 / sqrt((double)x) : 1.0 / (double)x;
    return fabs((double)y - exact) <= ldexp(1.5, -12) * fabs(exact);
}

/* One lane's operand as raw bits with its format's constants. */
struct dp_fmt {
    uint64_t exp, quiet, dflt;
    unsigned frac_bits;
    int bias;
};

static const struct dp_fmt dp_f32 = {0x7f800000u, 0x00400000u, 0xffc00000u, 23, 127};
static const struct dp_fmt dp_f64 = {0x7ff0000000000000ull, 0x0008000000000000ull,
                                     0xfff8000000000000ull, 52, 1023};

static uint64_t dp_lane(const void *v, bool pd, unsigned i)
{
    if (pd) {
        uint64_t q;
        memcpy(&q, (const uint8_t *)v + 8 * i, 8);
        return q;
    }
    uint32_t d;
    memcpy(&d, (const uint8_t *)v + 4 * i, 4);
    return d;
}

static bool dp_is_nan(const struct dp_fmt *f, uint64_t x)
{
    uint64_t frac = (f->exp & (0 - f->exp)) - 1;
    return (x & f->exp) == f->exp && (x & frac) != 0;
}

static bool dp_is_inf(const struct dp_fmt *f, uint64_t x)
{
    uint64_t frac = (f->exp & (0 - f->exp)) - 1;
    return (x & f->exp) == f->exp && (x & frac) == 0;
}

/* The unbiased exponent of a finite non-zero x (denormals count as the
 * smallest, which is all that matters here). */
static int dp_exponent(const struct dp_fmt *f, uint64_t x)
{
    int biased = (int)((x & f->exp) >> f->frac_bits);
    return (biased ? biased : 1) - f->bias;
}

/* May a*b be (or, summed with another product, become) an infinity?
 * Then inf - inf can make the default NaN. */
static bool dp_may_be_inf(const struct dp_fmt *f, uint64_t a, uint64_t b)
{
    if (dp_is_inf(f, a) || dp_is_inf(f, b))
        return true;
    if (dp_is_nan(f, a) || dp_is_nan(f, b))
        return false;
    uint64_t frac = (f->exp & (0 - f->exp)) - 1;
    if (!(a & (f->exp | frac)) || !(b & (f->exp | frac)))
        return false;
    return dp_exponent(f, a) + dp_exponent(f, b) >= f->bias - 2;
}

bool oracle_dp_lane_ok(const void *dst, const void *src, unsigned imm, bool pd, unsigned k,
                       uint64_t native, uint64_t emu)
{
    if (native == emu)
        return true;
    const struct dp_fmt *f = pd ? &dp_f64 : &dp_f32;
    unsigned lanes = pd ? 2 : 4;
    if (!((imm >> k) & 1))
        return false;                           /* an unselected lane is +0.0 */
    uint64_t cand[9];
    unsigned n = 0;
    bool inf = false;
    for (unsigned i = 0; i < lanes; i++) {
        if (!((imm >> (4 + i)) & 1))
            continue;                           /* not multiplied: +0.0 */
        uint64_t op[2] = {dp_lane(dst, pd, i), dp_lane(src, pd, i)};
        for (unsigned j = 0; j < 2; j++)
            if (dp_is_nan(f, op[j]))
                cand[n++] = op[j] | f->quiet;
        inf |= dp_may_be_inf(f, op[0], op[1]);
    }
    /* inf * 0 and inf - inf give the default NaN. */
    if (inf)
        cand[n++] = f->dflt;
    unsigned distinct = 0;
    for (unsigned i = 0; i < n; i++) {
        bool seen = false;
        for (unsigned j = 0; j < i; j++)
            seen |= cand[j] == cand[i];
        distinct += !seen;
    }
    if (distinct < 2)
        return false;                           /* only one NaN possible: defined */
    bool native_ok = false, emu_ok = false;
    for (unsigned i = 0; i < n; i++) {
        native_ok |= native == cand[i];
        emu_ok |= emu == cand[i];
    }
    return native_ok && emu_ok;
}

/*
 * SSE soft-float core: format descriptors, unpacking, rounding and NaN
 * propagation shared by the arithmetic, compare and conversion files.
 */
#include "cpu/fpu_sse_float_internal.h"

const struct fp_format ssefp_format_f32 = { 23, 8, 127 };
const struct fp_format ssefp_format_f64 = { 52, 11, 1023 };

void ssefp_unpack(const struct fp_format *f, uint64_t bits, bool daz,
                  struct fp_value *v)
{
    uint64_t frac = bits & ((1ull << f->frac_bits) - 1);
    uint32_t exp_field = (uint32_t)(bits >> f->frac_bits) & fp_exp_all_ones(f);
    unsigned norm_shift = 62 - f->frac_bits;

    v->sign = (unsigned)(bits >> fp_sign_pos(f)) & 1u;
    v->exp = 0;
    v->sig = 0;

    if (exp_field == fp_exp_all_ones(f)) {
        if (frac == 0)
            v->cls = FP_INF;
        else
            v->cls = (frac & fp_quiet_bit(f)) ? FP_QNAN : FP_SNAN;
        return;
    }
    if (exp_field == 0) {
        if (frac == 0 || daz) {
            v->cls = FP_ZERO;
            return;
        }
        unsigned lz = fp_clz64(frac << norm_shift) - 1; /* to bring it to bit 62 */
        v->cls = FP_DENORMAL;
        v->sig = (frac << norm_shift) << lz;
        v->exp = 1 - f->bias - (int32_t)lz;
        return;
    }
    v->cls = FP_NORMAL;
    v->sig = (frac | (1ull << f->frac_bits)) << norm_shift;
    v->exp = (int32_t)exp_field - f->bias;
}

/* Value to add below the rounding position so that truncation afterwards
 * implements the rounding mode (SDM Vol.1 4.8.4 table 4-8).  Nearest-even
 * adds one half and fixes exact ties afterwards. */
static uint64_t round_increment(unsigned rc, unsigned sign, uint64_t half,
                                uint64_t below_mask)
{
    switch (rc) {
    case SSE_RC_NEAREST: return half;
    case SSE_RC_DOWN:    return sign ? below_mask : 0;
    case SSE_RC_UP:      return sign ? 0 : below_mask;
    default:             return 0;
    }
}

/* SDM Vol.1 4.9.1.4: the masked response to overflow is infinity for the
 * modes that round away from the result's side, else the largest finite. */
static uint64_t overflow_result(const struct fp_format *f, unsigned sign,
                                unsigned rc)
{
    bool to_inf = rc == SSE_RC_NEAREST ||
                  (rc == SSE_RC_DOWN && sign) || (rc == SSE_RC_UP && !sign);
    uint64_t inf = fp_pack_inf(f, sign);
    return to_inf ? inf : inf - 1;
}

uint64_t ssefp_round_pack_rc(const struct fp_format *f, unsigned sign, int32_t exp,
                             uint64_t sig, unsigned rc, struct sse_env *e)
{
    const unsigned shift = 62 - f->frac_bits;
    const uint64_t half = 1ull << (shift - 1);
    const uint64_t below_mask = (1ull << shift) - 1;
    const int32_t emin = 1 - f->bias;
    const uint64_t inc = round_increment(rc, sign, half, below_mask);
    const uint64_t sign_bit = (uint64_t)sign << fp_sign_pos(f);
    const bool um_unmasked = fp_env_unmasked(e, SSE_MXCSR_UE);
    uint64_t below, rounded;

    if (exp < emin) {
        /* x86 detects tininess after rounding (SDM Vol.1 4.9.1.5): the
         * value is tiny unless rounding it to full precision with an
         * unbounded exponent carries it up to the smallest normal. */
        bool tiny = exp < emin - 1 || ((sig + inc) >> 63) == 0;
        if (tiny && (e->mxcsr & SSE_MXCSR_FTZ) && !um_unmasked) {
            /* SDM Vol.1 10.2.3.3: FTZ returns a signed zero and flags
             * UE and PE. */
            e->mxcsr |= SSE_MXCSR_UE | SSE_MXCSR_PE;
            return sign_bit;
        }
        if (tiny && um_unmasked) {
            /* An unmasked underflow traps on tininess alone (SDM Vol.1
             * 11.5.2.4).  PE then tells whether the significand rounded
             * to full precision (unbounded exponent) was inexact, not the
             * denormal; measured on hardware.  The handler discards the
             * result. */
            e->mxcsr |= SSE_MXCSR_UE | ((sig & below_mask) ? SSE_MXCSR_PE : 0);
            return sign_bit;
        }
        sig = fp_shift_right_jam(sig, (uint32_t)(emin - exp));
        below = sig & below_mask;
        rounded = (sig + inc) >> shift;
        if (rc == SSE_RC_NEAREST && below == half)
            rounded &= ~1ull;
        if (below)
            e->mxcsr |= SSE_MXCSR_PE;
        /* Masked underflow is signalled only for a tiny inexact result
         * (SDM Vol.1 4.9.1.5). */
        if (tiny && below)
            e->mxcsr |= SSE_MXCSR_UE;
        /* A carry into the hidden-bit position makes the exponent field 1,
         * i.e. the smallest normal, exactly as the encoding requires. */
        return sign_bit | rounded;
    }

    below = sig & below_mask;
    rounded = (sig + inc) >> shift;
    if (rc == SSE_RC_NEAREST && below == half)
        rounded &= ~1ull;
    int32_t biased = exp + f->bias;
    if (rounded >> (f->frac_bits + 1)) {
        rounded >>= 1;
        biased++;
    }
    if (biased >= (int32_t)fp_exp_all_ones(f)) {
        if (fp_env_unmasked(e, SSE_MXCSR_OE)) {
            /* Unmasked overflow (SDM Vol.1 11.5.2.3): PE only if the
             * significand itself was rounded, as for unmasked underflow
             * (measured on hardware); the handler discards the result. */
            e->mxcsr |= SSE_MXCSR_OE | (below ? SSE_MXCSR_PE : 0);
            return overflow_result(f, sign, rc);
        }
        e->mxcsr |= SSE_MXCSR_OE | SSE_MXCSR_PE;
        return overflow_result(f, sign, rc);
    }
    if (below)
        e->mxcsr |= SSE_MXCSR_PE;
    return sign_bit | ((uint64_t)biased << f->frac_bits) |
           (rounded & ((1ull << f->frac_bits) - 1));
}

uint64_t ssefp_round_pack(const struct fp_format *f, unsigned sign, int32_t exp,
                          uint64_t sig, struct sse_env *e)
{
    return ssefp_round_pack_rc(f, sign, exp, sig, fp_env_rc(e), e);
}

uint64_t ssefp_propagate_nan2(const struct fp_format *f, uint64_t a,
                              const struct fp_value *va, uint64_t b,
                              const struct fp_value *vb, struct sse_env *e)
{
    if (va->cls == FP_SNAN || vb->cls == FP_SNAN)
        e->mxcsr |= SSE_MXCSR_IE;
    return (fp_is_nan_class(va->cls) ? a : b) | fp_quiet_bit(f);
}

uint64_t ssefp_propagate_nan1(const struct fp_format *f, uint64_t a,
                              const struct fp_value *va, struct sse_env *e)
{
    if (va->cls == FP_SNAN)
        e->mxcsr |= SSE_MXCSR_IE;
    return a | fp_quiet_bit(f);
}

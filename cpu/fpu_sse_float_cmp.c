/*
 * SSE soft-float comparisons: CMPPS/CMPSS/CMPPD/CMPSD predicates (all 32
 * VEX predicates) and COMISS/UCOMISS/COMISD/UCOMISD.
 */
#include "cpu/fpu_sse_float_internal.h"

enum fp_relation {
    REL_LT = 1,
    REL_EQ = 2,
    REL_GT = 4,
    REL_UN = 8,
};

/* SDM Vol.2 CMPPS table 3-1: which relations make each predicate true.
 * Predicates 16..31 repeat 0..15 with the opposite signalling behaviour. */
static const uint8_t predicate_true[16] = {
    [0x0] = REL_EQ,                             /* EQ_OQ   */
    [0x1] = REL_LT,                             /* LT_OS   */
    [0x2] = REL_LT | REL_EQ,                    /* LE_OS   */
    [0x3] = REL_UN,                             /* UNORD_Q */
    [0x4] = REL_LT | REL_GT | REL_UN,           /* NEQ_UQ  */
    [0x5] = REL_EQ | REL_GT | REL_UN,           /* NLT_US  */
    [0x6] = REL_GT | REL_UN,                    /* NLE_US  */
    [0x7] = REL_LT | REL_EQ | REL_GT,           /* ORD_Q   */
    [0x8] = REL_EQ | REL_UN,                    /* EQ_UQ   */
    [0x9] = REL_LT | REL_UN,                    /* NGE_US  */
    [0xa] = REL_LT | REL_EQ | REL_UN,           /* NGT_US  */
    [0xb] = 0,                                  /* FALSE_OQ */
    [0xc] = REL_LT | REL_GT,                    /* NEQ_OQ  */
    [0xd] = REL_GT | REL_EQ,                    /* GE_OS   */
    [0xe] = REL_GT,                             /* GT_OS   */
    [0xf] = REL_LT | REL_EQ | REL_GT | REL_UN,  /* TRUE_UQ */
};

/* Bit i set: predicate i (of 0..15) signals on QNaN. */
static const uint16_t predicate_signalling_0_15 =
    (1u << 0x1) | (1u << 0x2) | (1u << 0x5) | (1u << 0x6) |
    (1u << 0x9) | (1u << 0xa) | (1u << 0xd) | (1u << 0xe);

/* Relation of a to b.  Raises IE for an SNaN, or for a QNaN when
 * 'signalling'; DE for a denormal source when neither is a NaN (a NaN
 * source takes priority over the denormal operand exception, SDM Vol.1
 * 4.9.2). */
static enum fp_relation fp_relate(const struct fp_format *f, uint64_t a,
                                  uint64_t b, bool signalling, struct sse_env *e)
{
    struct fp_value va, vb;
    bool daz = fp_env_daz(e);
    ssefp_unpack(f, a, daz, &va);
    ssefp_unpack(f, b, daz, &vb);

    if (fp_is_nan_class(va.cls) || fp_is_nan_class(vb.cls)) {
        if (signalling || va.cls == FP_SNAN || vb.cls == FP_SNAN)
            e->mxcsr |= SSE_MXCSR_IE;
        return REL_UN;
    }
    if (va.cls == FP_DENORMAL || vb.cls == FP_DENORMAL)
        e->mxcsr |= SSE_MXCSR_DE;

    uint64_t mag_mask = fp_sign_bit(f) - 1;
    int64_t ka = va.cls == FP_ZERO ? 0 : (int64_t)(a & mag_mask);
    int64_t kb = vb.cls == FP_ZERO ? 0 : (int64_t)(b & mag_mask);
    if (va.sign) ka = -ka;
    if (vb.sign) kb = -kb;
    return ka < kb ? REL_LT : ka > kb ? REL_GT : REL_EQ;
}

static bool fp_compare(const struct fp_format *f, uint64_t a, uint64_t b,
                       unsigned predicate, struct sse_env *e)
{
    predicate &= 31;
    unsigned base = predicate & 15;
    bool signalling = ((predicate_signalling_0_15 >> base) & 1) ^ (predicate >> 4);
    return (predicate_true[base] & fp_relate(f, a, b, signalling, e)) != 0;
}

static uint32_t relation_to_rflags(enum fp_relation r)
{
    switch (r) {
    case REL_LT: return SSE_RFLAGS_CF;
    case REL_EQ: return SSE_RFLAGS_ZF;
    case REL_GT: return 0;
    default:     return SSE_RFLAGS_ZF | SSE_RFLAGS_PF | SSE_RFLAGS_CF;
    }
}

bool f32_compare(uint32_t a, uint32_t b, unsigned predicate, struct sse_env *e)
{ return fp_compare(&ssefp_format_f32, a, b, predicate, e); }
bool f64_compare(uint64_t a, uint64_t b, unsigned predicate, struct sse_env *e)
{ return fp_compare(&ssefp_format_f64, a, b, predicate, e); }

uint32_t f32_comi(uint32_t a, uint32_t b, struct sse_env *e)
{ return relation_to_rflags(fp_relate(&ssefp_format_f32, a, b, true, e)); }
uint32_t f32_ucomi(uint32_t a, uint32_t b, struct sse_env *e)
{ return relation_to_rflags(fp_relate(&ssefp_format_f32, a, b, false, e)); }
uint32_t f64_comi(uint64_t a, uint64_t b, struct sse_env *e)
{ return relation_to_rflags(fp_relate(&ssefp_format_f64, a, b, true, e)); }
uint32_t f64_ucomi(uint64_t a, uint64_t b, struct sse_env *e)
{ return relation_to_rflags(fp_relate(&ssefp_format_f64, a, b, false, e)); }

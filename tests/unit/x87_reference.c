/* The x87 transcendentals' reference; see x87_reference.h. */
#include "tests/unit/x87_reference.h"

const char *const trans_name[T_COUNT] = { "fsin", "fcos", "fptan", "fpatan", "f2xm1", "fyl2x", "fyl2xp1" };

void f80_to_mpfr(mpfr_t m, f80 a)
{
    int32_t exp = f80_exp(a) ? f80_exp(a) : 1;
    mpfr_set_uj(m, a.mant, MPFR_RNDN);
    mpfr_mul_2si(m, m, exp - F80_EXP_BIAS - 63, MPFR_RNDN);
    if (f80_sign(a))
        mpfr_neg(m, m, MPFR_RNDN);
}

/* Intel's pi66/2 = 0x3243F6A8885A308D3 * 2^-65. */
static void mpfr_pi66_half(mpfr_t m)
{
    mpfr_set_str(m, "3243F6A8885A308D3", 16, MPFR_RNDN);
    mpfr_mul_2si(m, m, -65, MPFR_RNDN);
}

/*
 * Reference value at REF_PREC bits. For the trig functions `intel` selects
 * the model that reduces with pi66 (exactly) and then evaluates exactly.
 */
void trans_reference(enum trans_op op, f80 a, f80 b, bool intel, mpfr_t ref)
{
    mpfr_t x, y, t, u;
    mpfr_inits2(REF_PREC, x, y, t, u, (mpfr_ptr)0);
    f80_to_mpfr(x, a);
    f80_to_mpfr(y, b);
    switch (op) {
    case T_SIN:
    case T_COS:
    case T_TAN:
        if (intel) {
            /* x = q * pi66/2 + r exactly, then evaluate at q * pi/2 + r. */
            mpfr_pi66_half(u);
            mpfr_div(t, x, u, MPFR_RNDN);
            mpfr_rint(t, t, MPFR_RNDN);
            mpfr_mul(u, u, t, MPFR_RNDN);
            mpfr_sub(x, x, u, MPFR_RNDN);
            mpfr_const_pi(u, MPFR_RNDN);
            mpfr_mul(u, u, t, MPFR_RNDN);
            mpfr_div_2ui(u, u, 1, MPFR_RNDN);
            mpfr_add(x, x, u, MPFR_RNDN);
        }
        if (op == T_SIN)
            mpfr_sin(ref, x, MPFR_RNDN);
        else if (op == T_COS)
            mpfr_cos(ref, x, MPFR_RNDN);
        else
            mpfr_tan(ref, x, MPFR_RNDN);
        break;
    case T_ATAN2: mpfr_atan2(ref, x, y, MPFR_RNDN); break; /* a = y (ST1), b = x (ST0) */
    case T_2XM1:
        mpfr_const_log2(t, MPFR_RNDN);
        mpfr_mul(t, t, x, MPFR_RNDN);
        mpfr_expm1(ref, t, MPFR_RNDN);
        break;
    case T_YL2X:
        mpfr_log2(t, y, MPFR_RNDN);
        mpfr_mul(ref, t, x, MPFR_RNDN);
        break;
    case T_YL2XP1:
        mpfr_log1p(t, y, MPFR_RNDN);
        mpfr_const_log2(u, MPFR_RNDN);
        mpfr_div(t, t, u, MPFR_RNDN);
        mpfr_mul(ref, t, x, MPFR_RNDN);
        break;
    default: break;
    }
    mpfr_clears(x, y, t, u, (mpfr_ptr)0);
}

/* |v - ref| in units of the 64-bit ulp at ref. */
double ulp_error(f80 v, mpfr_t ref)
{
    mpfr_t d;
    mpfr_init2(d, REF_PREC);
    f80_to_mpfr(d, v);
    mpfr_sub(d, d, ref, MPFR_RNDN);
    mpfr_abs(d, d, MPFR_RNDN);
    if (!mpfr_zero_p(ref)) {
        mpfr_exp_t e = mpfr_get_exp(ref);
        /* subnormal results have a fixed ulp */
        if (e < 1 - F80_EXP_BIAS + 1)
            e = 1 - F80_EXP_BIAS + 1;
        mpfr_mul_2si(d, d, 64 - e, MPFR_RNDN);
    }
    double r = mpfr_get_d(d, MPFR_RNDU);
    mpfr_clear(d);
    return r;
}


static bool f80_finite_nonzero(f80 a)
{
    enum f80_class c = f80_classify(a);
    return c == F80_CLASS_NORMAL || c == F80_CLASS_DENORMAL;
}

static bool f80_is_nan_or_unsupported(f80 a)
{
    enum f80_class c = f80_classify(a);
    return c == F80_CLASS_QNAN || c == F80_CLASS_SNAN || c == F80_CLASS_UNSUPPORTED;
}

/* |a| as a double (enough to test against the domain limits). */
static double f80_abs_approx(f80 a)
{
    int exp = f80_exp(a) ? (int)f80_exp(a) : 1;
    double m = (double)a.mant;
    for (int e = exp - F80_EXP_BIAS - 63; e > 0; e--)
        m *= 2;
    for (int e = exp - F80_EXP_BIAS - 63; e < 0 && m != 0; e++)
        m /= 2;
    return m;
}

enum trans_defined trans_classify(enum trans_op op, f80 a, f80 b)
{
    if (f80_is_nan_or_unsupported(a) || ((op == T_ATAN2 || op == T_YL2X || op == T_YL2XP1) &&
                                         f80_is_nan_or_unsupported(b)))
        return TRANS_DEFINED;
    switch (op) {
    case T_SIN:
    case T_COS:
    case T_TAN:
        if (!f80_finite_nonzero(a) || f80_exp(a) >= F80_EXP_BIAS + 63)
            return TRANS_DEFINED;
        return TRANS_APPROX;
    case T_2XM1:
        if (!f80_finite_nonzero(a))
            return TRANS_DEFINED;
        return f80_abs_approx(a) <= 1.0 ? TRANS_APPROX : TRANS_UNDEFINED;
    case T_ATAN2:
        return f80_finite_nonzero(a) && f80_finite_nonzero(b) ? TRANS_APPROX : TRANS_DEFINED;
    case T_YL2X: /* a = y (ST1), b = x (ST0) */
        if (!f80_finite_nonzero(a) || !f80_finite_nonzero(b) || f80_sign(b))
            return TRANS_DEFINED;
        if (f80_exp(b) == F80_EXP_BIAS && b.mant == 0x8000000000000000ULL)
            return TRANS_DEFINED; /* log2(1) = 0: the table's +1 column */
        return TRANS_APPROX;
    case T_YL2XP1: {
        if (f80_classify(b) == F80_CLASS_INF)
            return TRANS_UNDEFINED;
        if (!f80_finite_nonzero(b))
            return TRANS_DEFINED;
        if (f80_abs_approx(b) >= 0.29289321881345247) /* 1 - sqrt(2)/2 */
            return TRANS_UNDEFINED;
        return f80_finite_nonzero(a) ? TRANS_APPROX : TRANS_DEFINED;
    }
    default:
        return TRANS_UNDEFINED;
    }
}

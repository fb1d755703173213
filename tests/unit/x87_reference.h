/* The x87 transcendentals' reference for the tests that compare turtles or
 * the host with the architecture (test_fpu_f80, test_oracle_x87): the exact
 * function by MPFR, the ulp distance of Vol.1 8.3.10, and which operands the
 * SDM gives a defined result. */
#ifndef TURTLES_TESTS_X87_REFERENCE_H
#define TURTLES_TESTS_X87_REFERENCE_H

#include <stdbool.h>
#include <stdint.h> /* before mpfr.h: declares mpfr_set_uj */

#include <mpfr.h>

#include "cpu/fpu_f80.h"

enum trans_op { T_SIN, T_COS, T_TAN, T_ATAN2, T_2XM1, T_YL2X, T_YL2XP1, T_COUNT };
extern const char *const trans_name[T_COUNT];

/* Precision of the references: far beyond the 64-bit results. */
#define REF_PREC 400

/* m = a exactly (m has at least 64 bits); pseudo-denormals read as
 * denormals (exponent field 0 weighs like 1, Vol.1 8.2.2). */
void f80_to_mpfr(mpfr_t m, f80 a);

/*
 * ref = op(a, b) at REF_PREC bits; a is ST1 and b ST0 for the two-operand
 * instructions (a = y, b = x of FPATAN, FYL2X, FYL2XP1). For the trig
 * functions `intel` reduces the argument by Intel's 66-bit pi exactly
 * (Vol.1 8.3.8) and then evaluates exactly.
 */
void trans_reference(enum trans_op op, f80 a, f80 b, bool intel, mpfr_t ref);

/* |v - ref| in units of the 64-bit ulp at ref (Vol.1 8.3.10). */
double ulp_error(f80 v, mpfr_t ref);

/* Vol.1 8.3.10's bound: under 1 ulp rounding to nearest, 1.5 otherwise. */
static inline double trans_ulp_bound(int rc) { return rc == F80_RC_NEAREST ? 1.0 : 1.5; }

/*
 * What the SDM defines for a transcendental, by operand encodings:
 * TRANS_DEFINED: a NaN or unsupported operand (Vol.1 8.2.2: invalid), a row
 *   of the instruction's special-value table (zeros, infinities, FYL2X of a
 *   negative or of 1), or FSIN/FCOS/FPTAN out of range (C2 = 1): the result
 *   and the flags are architectural and must equal the host's.
 * TRANS_APPROX: finite nonzero operands inside the documented domain: the
 *   value is the function within the accuracy bound (Vol.1 8.3.10), with the
 *   trig functions reduced by the 66-bit pi (8.3.8). Its last bit, C1 and
 *   the precision/underflow flags of a result on the edge are the
 *   implementation's.
 * TRANS_UNDEFINED: finite operands outside the documented domain (F2XM1 with
 *   |x| > 1, FYL2XP1 with |x| >= 1 - sqrt(2)/2, or x infinite, which its table
 *   leaves out): Vol.2 says "undefined"; not compared with the host
 *   (turtles' choice, Intel's, is pinned in test_transcendental_specials).
 */
enum trans_defined { TRANS_DEFINED, TRANS_APPROX, TRANS_UNDEFINED };

enum trans_defined trans_classify(enum trans_op op, f80 a, f80 b);

#endif

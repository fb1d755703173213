/* What the architecture defines of the SSE results whose exact bits are
 * implementation-specific, for the oracles that compare turtles with the
 * host CPU (test_oracle_sse.c, test_fpu_sse_float.c): a result is checked
 * against the SDM's definition, not against another CPU's bits. */
#ifndef TURTLES_TESTS_ORACLE_SSE_DEFINED_H
#define TURTLES_TESTS_ORACLE_SSE_DEFINED_H

#include <stdbool.h>
#include <stdint.h>

/* RCPSS/RCPPS (rsqrt false) or RSQRTSS/RSQRTPS (rsqrt true) of the
 * binary32 src gave r: true if r is what SDM Vol.2 RCPPS/RSQRTPS allow.
 * Special inputs have exact results (NaN -> the quieted NaN, +-0 and
 * denormals -> infinity of the same sign, RCP(+-inf) -> +-0, RSQRT(+inf)
 * -> +0, RSQRT of a negative number -> the default NaN); other results
 * lie within 1.5 * 2^-12 relative of the exact value, and RCP results that
 * would be tiny are flushed to zero of the operand's sign (either is
 * allowed for the band of inputs the SDM says depends on the
 * implementation). */
bool oracle_approx_ok(uint32_t src, uint32_t r, bool rsqrt);

/* DPPS (pd false: 4 binary32 lanes) or DPPD (pd true: 2 binary64 lanes)
 * of dst and src with imm: may an implementation give native in lane k
 * where turtles gave emu?  Equal values always may.  Otherwise both must
 * be QNaNs taken from the candidates the SDM allows (an input NaN of a
 * multiplied lane, quieted, or the default NaN when an infinity is
 * multiplied), and there must be at least two candidates: which NaN the
 * sum propagates then depends on the order in which the implementation
 * adds the products (SDM Vol.1 4.8.3.5: of two NaN operands the first
 * one's is returned, and Intel and AMD order the additions differently).
 * MXCSR is not covered here: the flags are defined and compared exactly. */
bool oracle_dp_lane_ok(const void *dst, const void *src, unsigned imm, bool pd, unsigned k,
                       uint64_t native, uint64_t emu);

#endif

/*
 * Helpers shared by the fpu_f80*.c files; not part of the public interface.
 */
#ifndef TURTLES_CPU_FPU_F80_INTERNAL_H
#define TURTLES_CPU_FPU_F80_INTERNAL_H

#include "cpu/fpu_f80.h"

__extension__ typedef unsigned __int128 u128;

/* Unpacked finite nonzero operand: value = sig * 2^(exp - 16383 - 63). */
struct f80_unpacked {
    bool sign;
    int32_t exp;  /* may be < 1 after normalising a denormal */
    uint64_t sig; /* normalised: bit 63 set */
};

static inline int f80_clz64(uint64_t v) { return v ? __builtin_clzll(v) : 64; }

static inline int f80_clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? __builtin_clzll(hi) : 64 + f80_clz64((uint64_t)v);
}

/* Right shift that ORs every bit shifted out into bit 0 (sticky). */
static inline u128 f80_shr_jam128(u128 v, int32_t n)
{
    if (n <= 0)
        return v;
    if (n >= 128)
        return v != 0;
    return (v >> n) | ((v & (((u128)1 << n) - 1)) != 0);
}

/* Normalise a finite nonzero operand (denormals get exponent 1, then shift). */
struct f80_unpacked f80_unpack(f80 a);

/*
 * Whether rounding by rc (F80_RC_*) adds one unit in the last kept place
 * (SDM Vol.1 4.8.4): vs_half compares the dropped part with half a unit
 * (-1, 0, +1), inexact says it is nonzero, odd that the kept part is odd.
 */
static inline bool f80_round_increments(unsigned rc, bool sign, int vs_half, bool inexact,
                                        bool odd)
{
    switch (rc & 3) {
    case F80_RC_NEAREST: return vs_half > 0 || (vs_half == 0 && odd);
    case F80_RC_DOWN: return sign && inexact;
    case F80_RC_UP: return !sign && inexact;
    default: return false;
    }
}

/*
 * The integer magnitude of u, whose significand holds sh > 0 fraction bits,
 * rounded by rc (F80_RC_*, SDM Vol.1 4.8.4). *inexact: a nonzero fraction
 * was dropped; *up: rounding added one to the truncated magnitude.
 */
uint64_t f80_round_to_integer(const struct f80_unpacked *u, int32_t sh, unsigned rc,
                              bool *inexact, bool *up);

/*
 * Round sig (value = sig * 2^(exp - 16383 - 127), any bit pattern, nonzero)
 * to `bits` significant bits (24, 53 or 64) with the extended exponent range,
 * applying overflow/underflow rules and setting flags and C1.
 */
f80 f80_round_pack(bool sign, int32_t exp, u128 sig, int bits, struct f80_env *e);

/* Precision in bits selected by e->pc. */
int f80_pc_bits(const struct f80_env *e);

/*
 * NaN/unsupported pre-checks for one and two operands. Return true and store
 * the result in *res when an operand is a NaN or unsupported (SDM Vol.1
 * 4.8.3.5 Table 4-7; 8.2.2 unsupported -> invalid).
 */
bool f80_nan_check1(f80 a, f80 *res, struct f80_env *e);
bool f80_nan_check2(f80 a, f80 b, f80 *res, struct f80_env *e);

f80 f80_quiet(f80 a);

static inline bool f80_is_denormal_class(f80 a)
{
    return f80_exp(a) == 0 && a.mant != 0;
}

#endif

/*
 * Tests for cpu/fpu_sse_float: fixed edge cases from the SDM on every host,
 * and on x86-64 hosts a randomized comparison against the host
 * CPU's own SSE unit: results and MXCSR flags bit for bit where the SDM
 * defines them, RCP/RSQRT and the NaN DPPS/DPPD propagate by the SDM's
 * definition (tests/unit/oracle_sse_defined.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <ucontext.h>
#endif

#include "cpu/fpu_sse_float.h"
#include "tests/unit/oracle_common.h"
#include "tests/unit/oracle_sse_defined.h"

/* The host-CPU oracle needs x86-64; -DFPU_TEST_NO_HOST_ORACLE builds the
 * portable part alone (as on aarch64) on any host. */
#if defined(__x86_64__) && !defined(FPU_TEST_NO_HOST_ORACLE)
#define HOST_ORACLE 1
#else
#define HOST_ORACLE 0
#endif

#define RN (SSE_MXCSR_DEFAULT | (SSE_RC_NEAREST << SSE_MXCSR_RC_SHIFT))
#define RD (SSE_MXCSR_DEFAULT | (SSE_RC_DOWN << SSE_MXCSR_RC_SHIFT))
#define RU (SSE_MXCSR_DEFAULT | (SSE_RC_UP << SSE_MXCSR_RC_SHIFT))
#define RZ (SSE_MXCSR_DEFAULT | (SSE_RC_ZERO << SSE_MXCSR_RC_SHIFT))
#define FTZ SSE_MXCSR_FTZ
#define DAZ SSE_MXCSR_DAZ
#define IE SSE_MXCSR_IE
#define DE SSE_MXCSR_DE
#define ZE SSE_MXCSR_ZE
#define OE SSE_MXCSR_OE
#define UE SSE_MXCSR_UE
#define PE SSE_MXCSR_PE

/* ---- fixed edge cases --------------------------------------------------- */

enum op {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_MIN, OP_MAX,
    OP_CVT_TO_OTHER,    /* f32 -> f64 or f64 -> f32 */
    OP_TO_I32, OP_TO_I32_TRUNC, OP_TO_I64, OP_TO_I64_TRUNC,
    OP_ROUND,           /* b holds the immediate */
    OP_CMP,             /* b2 holds the predicate */
    OP_COMI, OP_UCOMI,
};

struct edge_case {
    enum op op;
    uint64_t a, b;
    unsigned imm;
    uint32_t mxcsr;
    uint64_t expect;
    uint32_t flags;
};

static uint64_t run32(const struct edge_case *c, struct sse_env *e)
{
    uint32_t a = (uint32_t)c->a, b = (uint32_t)c->b;
    switch (c->op) {
    case OP_ADD: return f32_add(a, b, e);
    case OP_SUB: return f32_sub(a, b, e);
    case OP_MUL: return f32_mul(a, b, e);
    case OP_DIV: return f32_div(a, b, e);
    case OP_SQRT: return f32_sqrt(a, e);
    case OP_MIN: return f32_min(a, b, e);
    case OP_MAX: return f32_max(a, b, e);
    case OP_CVT_TO_OTHER: return f32_to_f64(a, e);
    case OP_TO_I32: return f32_to_i32(a, e);
    case OP_TO_I32_TRUNC: return f32_to_i32_trunc(a, e);
    case OP_TO_I64: return f32_to_i64(a, e);
    case OP_TO_I64_TRUNC: return f32_to_i64_trunc(a, e);
    case OP_ROUND: return f32_round(a, c->imm, e);
    case OP_CMP: return f32_compare(a, b, c->imm, e);
    case OP_COMI: return f32_comi(a, b, e);
    case OP_UCOMI: return f32_ucomi(a, b, e);
    }
    return 0;
}

static uint64_t run64(const struct edge_case *c, struct sse_env *e)
{
    uint64_t a = c->a, b = c->b;
    switch (c->op) {
    case OP_ADD: return f64_add(a, b, e);
    case OP_SUB: return f64_sub(a, b, e);
    case OP_MUL: return f64_mul(a, b, e);
    case OP_DIV: return f64_div(a, b, e);
    case OP_SQRT: return f64_sqrt(a, e);
    case OP_MIN: return f64_min(a, b, e);
    case OP_MAX: return f64_max(a, b, e);
    case OP_CVT_TO_OTHER: return f64_to_f32(a, e);
    case OP_TO_I32: return f64_to_i32(a, e);
    case OP_TO_I32_TRUNC: return f64_to_i32_trunc(a, e);
    case OP_TO_I64: return f64_to_i64(a, e);
    case OP_TO_I64_TRUNC: return f64_to_i64_trunc(a, e);
    case OP_ROUND: return f64_round(a, c->imm, e);
    case OP_CMP: return f64_compare(a, b, c->imm, e);
    case OP_COMI: return f64_comi(a, b, e);
    case OP_UCOMI: return f64_ucomi(a, b, e);
    }
    return 0;
}

#define F32_ONE   0x3f800000u
#define F32_TWO   0x40000000u
#define F32_INF   0x7f800000u
#define F32_NINF  0xff800000u
#define F32_MAX   0x7f7fffffu
#define F32_MINN  0x00800000u
#define F32_QNAN1 0x7fc12345u
#define F32_SNAN1 0x7f812345u
#define F32_SNAN2 0xff800001u

static const struct edge_case edge32[] = {
    { OP_ADD, F32_ONE, F32_ONE, 0, RN, F32_TWO, 0 },
    { OP_ADD, 0x3f800000, 0x33800000, 0, RN, 0x3f800000, PE },  /* 1 + 2^-24: tie to even */
    { OP_ADD, 0x3f800000, 0x33800000, 0, RU, 0x3f800001, PE },
    { OP_SUB, F32_ONE, F32_ONE, 0, RN, 0x00000000, 0 },         /* x - x = +0 */
    { OP_SUB, F32_ONE, F32_ONE, 0, RD, 0x80000000, 0 },         /* ... -0 rounding down */
    { OP_ADD, 0x80000000, 0x80000000, 0, RN, 0x80000000, 0 },
    { OP_ADD, F32_INF, F32_NINF, 0, RN, F32_DEFAULT_NAN, IE },  /* SDM Vol.1 4.9.1.2 */
    { OP_MUL, 0, F32_INF, 0, RN, F32_DEFAULT_NAN, IE },
    { OP_DIV, F32_ONE, 0, 0, RN, F32_INF, ZE },
    { OP_DIV, F32_ONE, 0x80000000, 0, RN, F32_NINF, ZE },
    { OP_DIV, 0, 0, 0, RN, F32_DEFAULT_NAN, IE },
    { OP_DIV, F32_INF, F32_INF, 0, RN, F32_DEFAULT_NAN, IE },
    { OP_DIV, F32_QNAN1, 0, 0, RN, F32_QNAN1, 0 },              /* QNaN outranks ZE */
    { OP_SQRT, 0xbf800000, 0, 0, RN, F32_DEFAULT_NAN, IE },
    { OP_SQRT, 0x80000000, 0, 0, RN, 0x80000000, 0 },
    { OP_SQRT, 0x40800000, 0, 0, RN, F32_TWO, 0 },
    { OP_SQRT, F32_TWO, 0, 0, RN, 0x3fb504f3, PE },
    /* NaN propagation, SDM Vol.1 table 4-7 */
    { OP_ADD, F32_SNAN1, F32_ONE, 0, RN, F32_SNAN1 | 0x00400000, IE },
    { OP_ADD, F32_ONE, F32_SNAN1, 0, RN, F32_SNAN1 | 0x00400000, IE },
    { OP_ADD, F32_QNAN1, F32_SNAN2, 0, RN, F32_QNAN1, IE },
    { OP_MUL, F32_SNAN2, F32_QNAN1, 0, RN, F32_SNAN2 | 0x00400000, IE },
    { OP_SUB, F32_ONE, F32_QNAN1, 0, RN, F32_QNAN1, 0 },
    /* overflow, SDM Vol.1 4.9.1.4 */
    { OP_MUL, F32_MAX, F32_TWO, 0, RN, F32_INF, OE | PE },
    { OP_MUL, F32_MAX, F32_TWO, 0, RZ, F32_MAX, OE | PE },
    { OP_MUL, F32_MAX | 0x80000000, F32_TWO, 0, RU, F32_MAX | 0x80000000, OE | PE },
    { OP_MUL, F32_MAX | 0x80000000, F32_TWO, 0, RD, F32_NINF, OE | PE },
    /* underflow: exact denormal result raises nothing while masked */
    { OP_MUL, F32_MINN, 0x3f000000, 0, RN, 0x00400000, 0 },
    { OP_MUL, F32_MINN, 0x3f000000, 0, RN | FTZ, 0, UE | PE },
    { OP_MUL, F32_MINN, 0x3e800001, 0, RN, 0x00200000, UE | PE },
    /* Tininess after rounding: (1+2^-23)(1-2^-23) * 2^-126 rounds to the
     * smallest normal at full precision, so no UE. */
    { OP_MUL, 0x3f800001, 0x007fffff, 0, RN, F32_MINN, DE | PE },
    { OP_MUL, 0x3f800001, 0x007fffff, 0, RZ, 0x007fffff, DE | UE | PE },
    /* denormal operands, DAZ */
    { OP_ADD, 0x00000001, 0, 0, RN, 0x00000001, DE },
    { OP_ADD, 0x00000001, 0, 0, RN | DAZ, 0, 0 },
    { OP_ADD, 0x80000001, F32_ONE, 0, RN | DAZ, F32_ONE, 0 },
    { OP_ADD, 0x00000001, F32_ONE, 0, RN, F32_ONE, DE | PE },
    /* MIN/MAX return the second operand for NaNs and zero pairs */
    { OP_MIN, 0, 0x80000000, 0, RN, 0x80000000, 0 },
    { OP_MIN, 0x80000000, 0, 0, RN, 0, 0 },
    { OP_MAX, 0x80000000, 0, 0, RN, 0, 0 },
    { OP_MIN, F32_QNAN1, F32_ONE, 0, RN, F32_ONE, IE },
    { OP_MAX, F32_ONE, F32_SNAN1, 0, RN, F32_SNAN1, IE },
    { OP_MIN, F32_ONE, F32_TWO, 0, RN, F32_ONE, 0 },
    { OP_MAX, F32_ONE, F32_TWO, 0, RN, F32_TWO, 0 },
    /* conversion */
    { OP_CVT_TO_OTHER, F32_SNAN1, 0, 0, RN, 0x7ff82468a0000000ull, IE },
    { OP_CVT_TO_OTHER, 0x00000001, 0, 0, RN, 0x36a0000000000000ull, DE },
    { OP_TO_I32, F32_QNAN1, 0, 0, RN, SSE_INT32_INDEFINITE, IE },
    { OP_TO_I32, 0x4f000000, 0, 0, RN, SSE_INT32_INDEFINITE, IE },  /* 2^31 */
    { OP_TO_I32, 0xcf000000, 0, 0, RN, 0x80000000, 0 },             /* -2^31 */
    { OP_TO_I32, 0x40200000, 0, 0, RN, 2, PE },                     /* 2.5 */
    { OP_TO_I32, 0x40600000, 0, 0, RN, 4, PE },                     /* 3.5 */
    { OP_TO_I32_TRUNC, 0xbfc00000, 0, 0, RN, 0xffffffff, PE },      /* -1.5 */
    { OP_TO_I32, 0xbfc00000, 0, 0, RD, 0xfffffffe, PE },
    { OP_TO_I64, 0x5f000000, 0, 0, RN, SSE_INT64_INDEFINITE, IE },  /* 2^63 */
    { OP_TO_I64, 0xdf000000, 0, 0, RN, SSE_INT64_INDEFINITE, 0 },   /* -2^63 */
    { OP_TO_I64_TRUNC, F32_NINF, 0, 0, RN, SSE_INT64_INDEFINITE, IE },
    { OP_TO_I32, 0x00000001, 0, 0, RU, 1, PE },
    /* ROUNDSS */
    { OP_ROUND, 0x40200000, 0, 0x0, RN, F32_TWO, PE },
    { OP_ROUND, 0x40200000, 0, 0x8, RN, F32_TWO, 0 },
    { OP_ROUND, 0x40200000, 0, 0x2, RN, 0x40400000, PE },
    { OP_ROUND, 0x40200000, 0, 0x4, RU, 0x40400000, PE },
    { OP_ROUND, 0xbf000000, 0, 0x2, RN, 0x80000000, PE },           /* -0.5 up -> -0 */
    { OP_ROUND, 0xbf000000, 0, 0x1, RN, 0xbf800000, PE },
    { OP_ROUND, F32_SNAN1, 0, 0x0, RN, F32_SNAN1 | 0x00400000, IE },
    { OP_ROUND, 0x4b000001, 0, 0x1, RN, 0x4b000001, 0 },            /* already integral */
    /* CMPSS predicates */
    { OP_CMP, F32_ONE, F32_TWO, 1, RN, 1, 0 },
    { OP_CMP, F32_QNAN1, F32_TWO, 0, RN, 0, 0 },   /* EQ_OQ */
    { OP_CMP, F32_QNAN1, F32_TWO, 1, RN, 0, IE },  /* LT_OS */
    { OP_CMP, F32_QNAN1, F32_TWO, 4, RN, 1, 0 },   /* NEQ_UQ */
    { OP_CMP, F32_QNAN1, F32_TWO, 16, RN, 0, IE }, /* EQ_OS */
    { OP_CMP, F32_SNAN1, F32_TWO, 3, RN, 1, IE },  /* UNORD_Q */
    { OP_CMP, 0, 0x80000000, 0, RN, 1, 0 },
    { OP_CMP, 0x00000001, 0, 0, RN | DAZ, 1, 0 },
    { OP_CMP, 0x00000001, 0, 0, RN, 0, DE },
    { OP_CMP, F32_ONE, F32_TWO, 15, RN, 1, 0 },
    { OP_CMP, F32_ONE, F32_TWO, 11, RN, 0, 0 },
    /* COMISS / UCOMISS: ZF PF CF */
    { OP_COMI, F32_ONE, F32_TWO, 0, RN, SSE_RFLAGS_CF, 0 },
    { OP_COMI, F32_TWO, F32_ONE, 0, RN, 0, 0 },
    { OP_COMI, F32_ONE, F32_ONE, 0, RN, SSE_RFLAGS_ZF, 0 },
    { OP_COMI, F32_QNAN1, F32_ONE, 0, RN, 0x45, IE },
    { OP_UCOMI, F32_QNAN1, F32_ONE, 0, RN, 0x45, 0 },
    { OP_UCOMI, F32_SNAN1, F32_ONE, 0, RN, 0x45, IE },
};

#define F64_ONE   0x3ff0000000000000ull
#define F64_TWO   0x4000000000000000ull
#define F64_INF   0x7ff0000000000000ull
#define F64_MAX   0x7fefffffffffffffull
#define F64_MINN  0x0010000000000000ull
#define F64_SNAN1 0x7ff0000000000001ull
#define F64_QNAN1 0xfff8000000000123ull

static const struct edge_case edge64[] = {
    { OP_ADD, F64_ONE, F64_ONE, 0, RN, F64_TWO, 0 },
    { OP_ADD, F64_INF, F64_INF | (1ull << 63), 0, RN, F64_DEFAULT_NAN, IE },
    { OP_SUB, F64_INF, F64_INF, 0, RN, F64_DEFAULT_NAN, IE },
    { OP_DIV, F64_ONE, 0x4008000000000000ull, 0, RN, 0x3fd5555555555555ull, PE },
    { OP_DIV, F64_ONE, 0x4008000000000000ull, 0, RU, 0x3fd5555555555556ull, PE },
    { OP_SQRT, F64_TWO, 0, 0, RN, 0x3ff6a09e667f3bcdull, PE },
    { OP_MUL, F64_MAX, F64_TWO, 0, RN, F64_INF, OE | PE },
    { OP_MUL, F64_MINN, 0x3fe0000000000000ull, 0, RN, 0x0008000000000000ull, 0 },
    { OP_MUL, F64_MINN, 0x3fe0000000000000ull, 0, RN | FTZ, 0, UE | PE },
    { OP_ADD, F64_QNAN1, F64_SNAN1, 0, RN, F64_QNAN1, IE },
    { OP_CVT_TO_OTHER, F64_SNAN1, 0, 0, RN, 0x7fc00000, IE },          /* payload lost */
    { OP_CVT_TO_OTHER, 0x3ff0000010000000ull, 0, 0, RN, 0x3f800000, PE },  /* tie -> even */
    { OP_CVT_TO_OTHER, 0x3ff0000030000000ull, 0, 0, RN, 0x3f800002, PE },
    { OP_CVT_TO_OTHER, 0x47f0000000000000ull, 0, 0, RN, 0x7f800000, OE | PE },
    { OP_CVT_TO_OTHER, 0x0000000000000001ull, 0, 0, RN, 0, DE | UE | PE },
    { OP_CVT_TO_OTHER, 0x0000000000000001ull, 0, 0, RN | DAZ, 0, 0 },
    { OP_TO_I32, 0x41dfffffffc00000ull, 0, 0, RN, 0x7fffffff, 0 },     /* 2^31-1 */
    { OP_TO_I32, 0x41dfffffffe00000ull, 0, 0, RN, SSE_INT32_INDEFINITE, IE }, /* 2^31-0.5 -> 2^31 */
    { OP_TO_I32_TRUNC, 0x41dfffffffe00000ull, 0, 0, RN, 0x7fffffff, PE },
    { OP_TO_I32, 0xc1e0000000000000ull, 0, 0, RN, 0x80000000, 0 },
    { OP_TO_I32, 0xc1e0000000100000ull, 0, 0, RN, 0x80000000, PE },    /* -2^31-0.5 -> even */
    { OP_TO_I32, 0xc1e0000000100000ull, 0, 0, RD, SSE_INT32_INDEFINITE, IE },
    { OP_TO_I64, 0x43e0000000000000ull, 0, 0, RN, SSE_INT64_INDEFINITE, IE },
    { OP_TO_I64, 0x43dfffffffffffffull, 0, 0, RN, 0x7ffffffffffffc00ull, 0 },
    { OP_ROUND, 0x4004000000000000ull, 0, 0x0, RN, F64_TWO, PE },   /* 2.5 */
    { OP_ROUND, 0x400c000000000000ull, 0, 0x0, RN, 0x4010000000000000ull, PE }, /* 3.5 */
    { OP_MIN, F64_ONE, F64_QNAN1, 0, RN, F64_QNAN1, IE },
    { OP_COMI, F64_ONE, F64_TWO, 0, RN, SSE_RFLAGS_CF, 0 },
    { OP_UCOMI, F64_QNAN1, F64_ONE, 0, RN, 0x45, 0 },
};

static void check_edge(const struct edge_case *c, size_t i, bool is64)
{
    struct sse_env e = { c->mxcsr };
    uint64_t r = is64 ? run64(c, &e) : run32(c, &e);
    uint32_t flags = e.mxcsr & SSE_MXCSR_FLAGS;
    ck_assert_msg(r == c->expect && flags == c->flags,
                  "%s case %zu (op %d a %#" PRIx64 " b %#" PRIx64 "): got %#" PRIx64
                  " flags %#x, want %#" PRIx64 " flags %#x",
                  is64 ? "f64" : "f32", i, (int)c->op, c->a, c->b, r, flags,
                  c->expect, c->flags);
}

START_TEST(test_edge_f32)
{
    for (size_t i = 0; i < sizeof edge32 / sizeof edge32[0]; i++)
        check_edge(&edge32[i], i, false);
}
END_TEST

START_TEST(test_edge_f64)
{
    for (size_t i = 0; i < sizeof edge64 / sizeof edge64[0]; i++)
        check_edge(&edge64[i], i, true);
}
END_TEST

START_TEST(test_int_to_float)
{
    struct sse_env e = { RN };
    ck_assert_uint_eq(i32_to_f32(0, &e), 0);
    ck_assert_uint_eq(i32_to_f32(0x80000000u, &e), 0xcf000000u);
    ck_assert_uint_eq(i32_to_f32(16777217, &e), 0x4b800000u);   /* tie -> even */
    ck_assert_uint_eq(e.mxcsr & SSE_MXCSR_FLAGS, PE);
    e.mxcsr = RN;
    ck_assert_uint_eq(i64_to_f32(0x8000000000000000ull, &e), 0xdf000000u);
    ck_assert_uint_eq(e.mxcsr & SSE_MXCSR_FLAGS, 0);
    ck_assert_uint_eq(i64_to_f32(0x7fffffffffffffffull, &e), 0x5f000000u);
    ck_assert_uint_eq(e.mxcsr & SSE_MXCSR_FLAGS, PE);
    e.mxcsr = RZ;
    ck_assert_uint_eq(i64_to_f64(0x7fffffffffffffffull, &e), 0x43dfffffffffffffull);
    e.mxcsr = RN;
    ck_assert_uint_eq(i32_to_f64(0xffffffffu, &e), 0xbff0000000000000ull);
    ck_assert_uint_eq(e.mxcsr & SSE_MXCSR_FLAGS, 0);
}
END_TEST

START_TEST(test_unmasked)
{
    /* UM clear: exact tiny results still flag UE, and FTZ is ignored. */
    struct sse_env e = { (RN & ~(UE << SSE_MXCSR_MASK_SHIFT)) | FTZ };
    f32_mul(F32_MINN, 0x3f000000, &e);
    ck_assert_uint_eq(e.mxcsr & SSE_MXCSR_FLAGS, UE);
    /* DM clear: the operation stops at DE. */
    e.mxcsr = RN & ~(DE << SSE_MXCSR_MASK_SHIFT);
    f32_add(0x00000001, F32_ONE, &e);
    ck_assert_uint_eq(e.mxcsr & SSE_MXCSR_FLAGS, DE);
}
END_TEST

START_TEST(test_approx)
{
    ck_assert_uint_eq(f32_rcp_approx(0), F32_INF);
    ck_assert_uint_eq(f32_rcp_approx(0x80000001u), F32_NINF);
    ck_assert_uint_eq(f32_rcp_approx(F32_NINF), 0x80000000u);
    ck_assert_uint_eq(f32_rcp_approx(0x7f000000u), 0);          /* 1/2^127 is denormal */
    ck_assert_uint_eq(f32_rcp_approx(F32_SNAN1), F32_SNAN1 | 0x00400000u);
    ck_assert_uint_eq(f32_rsqrt_approx(0xbf800000u), F32_DEFAULT_NAN);
    ck_assert_uint_eq(f32_rsqrt_approx(0x80000000u), F32_NINF);
    ck_assert_uint_eq(f32_rsqrt_approx(F32_INF), 0);
    ck_assert_uint_eq(f32_rsqrt_approx(0x40800000u), 0x3f000000u);
    for (uint32_t x = 0x00800000u; x < 0x7f800000u; x += 0x00012345u) {
        double v, r;
        uint32_t q = f32_rcp_approx(x);
        float fx, fq;
        memcpy(&fx, &x, 4);
        memcpy(&fq, &q, 4);
        v = 1.0 / (double)fx;
        r = (double)fq;
        if (v >= 0x1p-126)
            ck_assert_msg(fabs(r - v) <= 1.5 * 0x1p-12 * v, "rcp %#x", x);
        uint32_t s = f32_rsqrt_approx(x);
        memcpy(&fq, &s, 4);
        v = 1.0 / sqrt((double)fx);
        ck_assert_msg(fabs((double)fq - v) <= 1.5 * 0x1p-12 * v, "rsqrt %#x", x);
    }
}
END_TEST

START_TEST(test_dpps_order)
{
    struct sse_env e = { RN };
    /* Intel adds (t0+t1)+(t2+t3): 2^30 + 1 - 2^30 + ... shows the order. */
    uint32_t a[4] = { 0x4e800000u /* 2^30 */, F32_ONE, 0xce800000u, F32_ONE };
    uint32_t b[4] = { F32_ONE, F32_ONE, F32_ONE, F32_ONE };
    uint32_t out[4];
    f32_dpps(a, b, 0xf1, out, &e);
    /* (2^30 + 1) rounds to 2^30, (-2^30 + 1) to -2^30: sum is +0. */
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[1], 0);
    f32_dpps(a, b, 0x5f, out, &e);   /* lanes 0 and 2 only */
    ck_assert_uint_eq(out[3], 0);
    uint64_t c[2] = { F64_ONE, F64_TWO }, d[2] = { F64_TWO, F64_TWO }, o[2];
    f64_dppd(c, d, 0x32, o, &e);
    ck_assert_uint_eq(o[0], 0);
    ck_assert_uint_eq(o[1], 0x4018000000000000ull);    /* 2 + 4 = 6 */
}
END_TEST

/* Which NaN DPPS/DPPD propagate when several meet is the implementation's;
 * turtles' choice (cpu/fpu_sse_float.h) is pinned here, and the oracles'
 * checker (tests/unit/oracle_sse_defined.h) must accept another CPU's
 * choice among the input NaNs while still rejecting what no order gives. */
START_TEST(test_dpps_nan_choice)
{
    struct sse_env e = { RN };
    uint32_t a[4] = { 0x7fc00001u, 0x7fc00002u, 0x7fc00003u, 0x7fc00004u };
    uint32_t b[4] = { F32_ONE, F32_ONE, F32_ONE, F32_ONE };
    uint32_t out[4];
    f32_dpps(a, b, 0xff, out, &e);
    /* lane 0: (t1+t0)+(t3+t2), lane 1: (t0+t1)+(t2+t3), lane 2:
     * (t3+t2)+(t1+t0), lane 3: (t2+t3)+(t0+t1); the first addend's NaN wins. */
    ck_assert_uint_eq(out[0], 0x7fc00002u);
    ck_assert_uint_eq(out[1], 0x7fc00001u);
    ck_assert_uint_eq(out[2], 0x7fc00004u);
    ck_assert_uint_eq(out[3], 0x7fc00003u);
    ck_assert_uint_eq(e.mxcsr, RN);
    for (unsigned k = 0; k < 4; k++) {
        /* AMD family 1Ah gives t0's NaN in every lane. */
        ck_assert(oracle_dp_lane_ok(a, b, 0xff, false, k, 0x7fc00001u, out[k]));
        ck_assert(!oracle_dp_lane_ok(a, b, 0xff, false, k, 0x7fc00005u, out[k]));
        ck_assert(!oracle_dp_lane_ok(a, b, 0xff, false, k, F32_ONE, out[k]));
    }
    /* Lane 0 not multiplied (imm bit 4 clear): its NaN is no candidate. */
    ck_assert(!oracle_dp_lane_ok(a, b, 0xef, false, 0, 0x7fc00001u, 0x7fc00002u));
    /* An unselected destination lane is +0.0, whatever the NaNs. */
    ck_assert(!oracle_dp_lane_ok(a, b, 0xfe, false, 0, 0x7fc00001u, 0));
    /* One NaN input and nothing infinite: its NaN is defined. */
    uint32_t one_nan[4] = { F32_ONE, 0x7f800005u, F32_ONE, F32_ONE };
    f32_dpps(one_nan, b, 0xff, out, &e);
    ck_assert_uint_eq(out[3], 0x7fc00005u);
    ck_assert(!oracle_dp_lane_ok(one_nan, b, 0xff, false, 3, 0xffc00000u, out[3]));
    /* One NaN and an infinity times zero: the default NaN competes. */
    uint32_t inf_zero[4] = { F32_INF, 0x7fc00005u, F32_ONE, F32_ONE };
    uint32_t zero_b[4] = { 0, F32_ONE, F32_ONE, F32_ONE };
    ck_assert(oracle_dp_lane_ok(inf_zero, zero_b, 0xff, false, 0, 0xffc00000u, 0x7fc00005u));

    uint64_t c[2] = { 0x7ff8000000000001ull, 0x7ff8000000000002ull };
    uint64_t d[2] = { F64_ONE, F64_ONE }, o[2];
    f64_dppd(c, d, 0x33, o, &e);
    ck_assert_uint_eq(o[0], 0x7ff8000000000001ull);   /* t0+t1 */
    ck_assert_uint_eq(o[1], 0x7ff8000000000002ull);   /* t1+t0 */
    ck_assert(oracle_dp_lane_ok(c, d, 0x33, true, 1, 0x7ff8000000000001ull, o[1]));
    ck_assert(!oracle_dp_lane_ok(c, d, 0x33, true, 1, 0x7ff8000000000003ull, o[1]));
}
END_TEST

/* The RCP/RSQRT definition the oracles check both CPUs' results against
 * (SDM Vol.2 RCPSS, RSQRTSS). */
START_TEST(test_approx_definition)
{
    ck_assert(oracle_approx_ok(0x40000000u, 0x3f000000u, false));       /* 1/2 */
    ck_assert(oracle_approx_ok(0x40000000u, 0x3f000002u, false));       /* within 1.5*2^-12 */
    ck_assert(oracle_approx_ok(0x40000000u, 0x3f000c00u, false));       /* 1.5*2^-12 off */
    ck_assert(!oracle_approx_ok(0x40000000u, 0x3f000d00u, false));      /* 1.625*2^-12 off */
    ck_assert(!oracle_approx_ok(0x40000000u, 0xbf000000u, false));      /* sign */
    ck_assert(oracle_approx_ok(0x00000001u, F32_INF, false));           /* denormal as 0 */
    ck_assert(oracle_approx_ok(0x80000000u, F32_NINF, true));
    ck_assert(oracle_approx_ok(F32_NINF, 0x80000000u, false));
    ck_assert(oracle_approx_ok(F32_INF, 0, true));
    ck_assert(oracle_approx_ok(0xbf800000u, F32_DEFAULT_NAN, true));    /* negative */
    ck_assert(!oracle_approx_ok(0xbf800000u, 0x7fc00000u, true));
    ck_assert(oracle_approx_ok(F32_SNAN1, F32_SNAN1 | 0x00400000u, true));
    ck_assert(!oracle_approx_ok(F32_SNAN1, F32_DEFAULT_NAN, false));
    /* Inputs above 1.00000000000110000000001B * 2^126 give a tiny result,
     * flushed; in the band below it either answer is allowed. */
    ck_assert(oracle_approx_ok(0x7e800c02u, 0, false));
    ck_assert(!oracle_approx_ok(0x7e800c02u, 0x00800000u, false));
    ck_assert(oracle_approx_ok(0xfe7fe800u, 0x80000000u, false));
    ck_assert(oracle_approx_ok(0xfe7fe800u, 0x80800000u, false));
    ck_assert(!oracle_approx_ok(0x7e7fe7ffu, 0, false));
    /* turtles' own answers meet the definition at both ends of the band */
    ck_assert(oracle_approx_ok(0x7e7fe7ffu, f32_rcp_approx(0x7e7fe7ffu), false));
    ck_assert(oracle_approx_ok(0x7e800c02u, f32_rcp_approx(0x7e800c02u), false));
}
END_TEST

/* ---- random operands ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: fixed seed, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }

struct fmt_desc {
    unsigned frac_bits, exp_bits;
    int bias;
};
static const struct fmt_desc D32 = { 23, 8, 127 }, D64 = { 52, 11, 1023 };

static uint64_t make(const struct fmt_desc *d, unsigned sign, int64_t biased_exp,
                     uint64_t frac)
{
    uint64_t emax = (1ull << d->exp_bits) - 1;
    if (biased_exp < 0) biased_exp = 0;
    if ((uint64_t)biased_exp > emax) biased_exp = (int64_t)emax;
    return ((uint64_t)sign << (d->exp_bits + d->frac_bits)) |
           ((uint64_t)biased_exp << d->frac_bits) |
           (frac & ((1ull << d->frac_bits) - 1));
}

static uint64_t rnd_frac(const struct fmt_desc *d)
{
    uint64_t f = rnd();
    switch (rnd_below(4)) {
    case 0: f &= 0xffull << (d->frac_bits - 8); break;   /* few significant bits */
    case 1: f |= ~0ull >> 1; f ^= rnd() & 7; break;      /* near all ones */
    case 2: f &= (rnd() | 0xff); break;
    default: break;
    }
    return f & ((1ull << d->frac_bits) - 1);
}

/* A value from a mix of classes that stress the interesting paths. */
static uint64_t rnd_value(const struct fmt_desc *d)
{
    unsigned sign = rnd() & 1;
    int64_t emax = (1 << d->exp_bits) - 1;
    uint64_t fmask = (1ull << d->frac_bits) - 1;
    uint64_t qbit = 1ull << (d->frac_bits - 1);
    switch (rnd_below(20)) {
    case 0: return make(d, sign, 0, 0);                          /* zero */
    case 1:
    case 2: {                                                    /* denormal */
        uint64_t f = rnd_frac(d);
        return make(d, sign, 0, f | (rnd() & 1));
    }
    case 3: return make(d, sign, emax, 0);                       /* infinity */
    case 4: return make(d, sign, emax, rnd_frac(d) | qbit);      /* QNaN */
    case 5: {                                                    /* SNaN */
        uint64_t f = rnd_frac(d) & ~qbit;
        return make(d, sign, emax, f ? f : 1);
    }
    case 6: return make(d, sign, 1, rnd() & 3);                  /* min normal */
    case 7: return make(d, sign, emax - 1, fmask - (rnd() & 3)); /* max finite */
    case 8: case 9: {                                            /* near 1 */
        int e = d->bias + (int)rnd_below(9) - 4;
        return make(d, sign, e, rnd_frac(d));
    }
    case 10: {                                                   /* near integers */
        int e = d->bias + (int)rnd_below(66);
        return make(d, sign, e, rnd_frac(d));
    }
    case 11: {                                                   /* int boundaries */
        int e = d->bias + (rnd() & 1 ? 31 : 63);
        e -= (int)rnd_below(2);
        uint64_t f = rnd() & 1 ? fmask : 0;
        f = f ? f - (rnd() & 3) : rnd() & 3;
        return make(d, sign, e, f);
    }
    case 12: {                                                   /* near underflow */
        int e = 1 + (int)rnd_below(4);
        return make(d, sign, e, rnd_frac(d));
    }
    default: {
        int e = 1 + (int)rnd_below((unsigned)emax - 1);
        return make(d, sign, e, rnd_frac(d));
    }
    }
}

/* A second operand chosen to make the result land on the interesting
 * boundaries (cancellation, underflow, overflow) a good part of the time. */
static uint64_t rnd_partner(const struct fmt_desc *d, uint64_t a, enum op op)
{
    /* Every random draw is its own statement: argument evaluation order is
     * unspecified, and the stream must be the same on every host. */
    int64_t ea = (int64_t)((a >> d->frac_bits) & ((1ull << d->exp_bits) - 1));
    int64_t emax = (1 << d->exp_bits) - 1;
    unsigned sign = rnd() & 1;
    unsigned kind = rnd_below(6);
    int64_t eb;
    if (kind >= 2)
        return rnd_value(d);
    if (kind == 0) {
        if (op == OP_ADD || op == OP_SUB) {   /* near cancellation */
            uint64_t flip = (uint64_t)(rnd() & 1) << (d->exp_bits + d->frac_bits);
            return (a ^ flip) + (rnd_below(5) - 2);
        }
        if (op == OP_MUL)                     /* product near the bottom */
            eb = 2 * d->bias - ea + 1 - (int)rnd_below(28);
        else if (op == OP_DIV)
            eb = ea + d->bias - 1 + (int)rnd_below(28);
        else
            return a;
    } else {
        if (op == OP_MUL)                     /* product near the top */
            eb = emax - 1 - ea + d->bias + (int)rnd_below(3) - 1;
        else if (op == OP_DIV)
            eb = ea - (emax - 1 - d->bias) + (int)rnd_below(3) - 1;
        else if (op == OP_ADD || op == OP_SUB) /* small exponent gap */
            eb = ea - (int)rnd_below(30);
        else
            return a;
    }
    return make(d, sign, eb, rnd_frac(d));
}

static uint32_t rnd_mxcsr(void)
{
    uint32_t m = SSE_MXCSR_DEFAULT | (rnd_below(4) << SSE_MXCSR_RC_SHIFT);
    if (rnd() & 1) m |= FTZ;
    if (rnd() & 1) m |= DAZ;
    return m;
}

/* ---- the same bits on every host ----------------------------------------- */

static uint64_t fnv1a(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Runs a fixed pseudo-random stream through every operation whose result
 * the architecture defines exactly and hashes results and flags.  On x86
 * hosts the oracle tests show these values are the hardware's; the hash
 * makes any other host (aarch64) prove it computes the very same bits. */
#define GOLDEN_ROUNDS 20000
#define GOLDEN_HASH 0x9d510c2d7b55d2e2ull

static uint64_t golden_stream_hash(void)
{
    uint64_t h = 0xcbf29ce484222325ull;
    uint64_t saved_rng = rng_state;
    rng_state = 0x0123456789abcdefull;
    for (unsigned i = 0; i < GOLDEN_ROUNDS; i++) {
        for (enum op op = OP_ADD; op <= OP_UCOMI; op++) {
            for (int is64 = 0; is64 < 2; is64++) {
                const struct fmt_desc *d = is64 ? &D64 : &D32;
                uint64_t a = rnd_value(d), b = rnd_partner(d, a, op);
                uint32_t m = rnd_mxcsr();
                if (rnd() & 1)
                    m = (m & ~SSE_MXCSR_MASKS) |
                        ((uint32_t)(rnd() & 0x3f) << SSE_MXCSR_MASK_SHIFT);
                unsigned imm = op == OP_ROUND ? rnd_below(16) : rnd_below(32);
                struct edge_case c = { op, a, b, imm, m, 0, 0 };
                struct sse_env e = { m };
                h = fnv1a(h, is64 ? run64(&c, &e) : run32(&c, &e));
                h = fnv1a(h, e.mxcsr);
            }
        }
        uint64_t x = rnd();
        struct sse_env e = { rnd_mxcsr() };
        h = fnv1a(h, i32_to_f32((uint32_t)x, &e));
        h = fnv1a(h, i64_to_f32(x >> rnd_below(64), &e));
        h = fnv1a(h, i32_to_f64((uint32_t)(x >> 32), &e));
        h = fnv1a(h, i64_to_f64(x, &e));
        h = fnv1a(h, e.mxcsr);
        uint32_t a4[4], b4[4], o4[4];
        uint64_t a2[2], b2[2], o2[2];
        for (int k = 0; k < 4; k++) {
            a4[k] = (uint32_t)rnd_value(&D32);
            b4[k] = (uint32_t)rnd_value(&D32);
        }
        for (int k = 0; k < 2; k++) {
            a2[k] = rnd_value(&D64);
            b2[k] = rnd_value(&D64);
        }
        unsigned imm = rnd_below(256);
        f32_dpps(a4, b4, imm, o4, &e);
        f64_dppd(a2, b2, imm, o2, &e);
        for (int k = 0; k < 4; k++)
            h = fnv1a(h, o4[k]);
        h = fnv1a(h, o2[0]);
        h = fnv1a(h, o2[1]);
        h = fnv1a(h, e.mxcsr);
    }
    rng_state = saved_rng;
    return h;
}

START_TEST(test_golden_hash)
{
    uint64_t h = golden_stream_hash();
    ck_assert_msg(h == GOLDEN_HASH, "golden hash %#" PRIx64, h);
}
END_TEST

/* ---- randomized comparison with the host CPU ----------------------------- */

#if HOST_ORACLE

static const uint32_t host_default_mxcsr = SSE_MXCSR_DEFAULT;

/* ROUNDSS and DPPS need SSE4.1, the compare predicates 8..31 need AVX
 * (VCMPSS); an older host just skips those cases. */
static bool host_has_sse41(void) { return __builtin_cpu_supports("sse4.1"); }
static bool host_has_avx(void) { return __builtin_cpu_supports("avx"); }


/* Each helper loads the MXCSR under test, runs one instruction, stores the
 * resulting MXCSR, and restores the default so that the test program's own
 * code never runs with DAZ/FTZ or odd rounding. */
#define ASM_PRE  "ldmxcsr %[csr]\n\t"
#define ASM_POST "stmxcsr %[csr]\n\tldmxcsr %[dflt]\n\t"

/* A two-operand scalar instruction on type (uint32_t moved with movd,
 * uint64_t with movq): xmm0 = a, xmm1 = b, insn xmm1, xmm0. */
#define HOST_BIN(name, insn, type, mov)                                       \
    static type name(type a, type b, uint32_t *csr)                           \
    {                                                                         \
        type r;                                                               \
        __asm__ volatile(ASM_PRE mov " %[a], %%xmm0\n\t" mov " %[b], %%xmm1\n\t" \
                         insn " %%xmm1, %%xmm0\n\t" mov " %%xmm0, %[r]\n\t"  \
                         ASM_POST                                             \
                         : [r] "=r"(r), [csr] "+m"(*csr)                      \
                         : [a] "r"(a), [b] "r"(b),                            \
                           [dflt] "m"(host_default_mxcsr)                     \
                         : "xmm0", "xmm1");                                   \
        return r;                                                             \
    }
#define HOST_BIN32(name, insn) HOST_BIN(name, insn, uint32_t, "movd")
#define HOST_BIN64(name, insn) HOST_BIN(name, insn, uint64_t, "movq")

HOST_BIN32(host_addss, "addss")
HOST_BIN32(host_subss, "subss")
HOST_BIN32(host_mulss, "mulss")
HOST_BIN32(host_divss, "divss")
HOST_BIN32(host_minss, "minss")
HOST_BIN32(host_maxss, "maxss")
HOST_BIN32(host_sqrtss, "sqrtss")     /* sqrt of b */
HOST_BIN32(host_rcpss, "rcpss")       /* of b */
HOST_BIN32(host_rsqrtss, "rsqrtss")   /* of b */
HOST_BIN64(host_addsd, "addsd")
HOST_BIN64(host_subsd, "subsd")
HOST_BIN64(host_mulsd, "mulsd")
HOST_BIN64(host_divsd, "divsd")
HOST_BIN64(host_minsd, "minsd")
HOST_BIN64(host_maxsd, "maxsd")
HOST_BIN64(host_sqrtsd, "sqrtsd")     /* sqrt of b */
HOST_BIN64(host_cvtss2sd, "cvtss2sd") /* of b, low 32 bits */
HOST_BIN64(host_cvtsd2ss, "cvtsd2ss") /* of b; result in low 32 bits */

#define HOST_CVT_TO_INT(name, insn, itype, ftype, movin)                      \
    static itype name(ftype a, uint32_t *csr)                                 \
    {                                                                         \
        itype r;                                                              \
        __asm__ volatile(ASM_PRE movin " %[a], %%xmm0\n\t"                    \
                         insn " %%xmm0, %[r]\n\t" ASM_POST                    \
                         : [r] "=r"(r), [csr] "+m"(*csr)                      \
                         : [a] "r"(a), [dflt] "m"(host_default_mxcsr)         \
                         : "xmm0");                                           \
        return r;                                                             \
    }
HOST_CVT_TO_INT(host_cvtss2si32, "cvtss2si", uint32_t, uint32_t, "movd")
HOST_CVT_TO_INT(host_cvttss2si32, "cvttss2si", uint32_t, uint32_t, "movd")
HOST_CVT_TO_INT(host_cvtss2si64, "cvtss2si", uint64_t, uint32_t, "movd")
HOST_CVT_TO_INT(host_cvttss2si64, "cvttss2si", uint64_t, uint32_t, "movd")
HOST_CVT_TO_INT(host_cvtsd2si32, "cvtsd2si", uint32_t, uint64_t, "movq")
HOST_CVT_TO_INT(host_cvttsd2si32, "cvttsd2si", uint32_t, uint64_t, "movq")
HOST_CVT_TO_INT(host_cvtsd2si64, "cvtsd2si", uint64_t, uint64_t, "movq")
HOST_CVT_TO_INT(host_cvttsd2si64, "cvttsd2si", uint64_t, uint64_t, "movq")

#define HOST_CVT_FROM_INT(name, insn, itype, rtype, movout)                   \
    static rtype name(itype a, uint32_t *csr)                                 \
    {                                                                         \
        rtype r;                                                              \
        __asm__ volatile(ASM_PRE "xorps %%xmm0, %%xmm0\n\t"                   \
                         insn " %[a], %%xmm0\n\t" movout " %%xmm0, %[r]\n\t"  \
                         ASM_POST                                             \
                         : [r] "=r"(r), [csr] "+m"(*csr)                      \
                         : [a] "r"(a), [dflt] "m"(host_default_mxcsr)         \
                         : "xmm0");                                           \
        return r;                                                             \
    }
HOST_CVT_FROM_INT(host_cvtsi2ss32, "cvtsi2ssl", uint32_t, uint32_t, "movd")
HOST_CVT_FROM_INT(host_cvtsi2ss64, "cvtsi2ssq", uint64_t, uint32_t, "movd")
HOST_CVT_FROM_INT(host_cvtsi2sd32, "cvtsi2sdl", uint32_t, uint64_t, "movq")
HOST_CVT_FROM_INT(host_cvtsi2sd64, "cvtsi2sdq", uint64_t, uint64_t, "movq")

/* Instructions with an immediate need one instance per immediate. */
/* One switch case per immediate n: xmm0 = a, xmm1 = b, then insn $n with
 * the operands (xmm1, xmm0, and for VEX forms xmm0 again as destination). */
#define IMM_CASE(mov, dst, insn, n)                                           \
    case n:                                                                   \
        __asm__ volatile(ASM_PRE mov " %[a], %%xmm0\n\t" mov " %[b], %%xmm1\n\t" \
                         insn " %[imm], %%xmm1, %%xmm0" dst "\n\t"            \
                         mov " %%xmm0, %[r]\n\t" ASM_POST                     \
                         : [r] "=r"(r), [csr] "+m"(*csr)                      \
                         : [a] "r"(a), [b] "r"(b), [imm] "i"(n),              \
                           [dflt] "m"(host_default_mxcsr)                     \
                         : "xmm0", "xmm1");                                   \
        break;
#define IMM_CASE32(insn, n) IMM_CASE("movd", "", insn, n)
#define IMM_CASE64(insn, n) IMM_CASE("movq", "", insn, n)
#define VIMM_CASE32(insn, n) IMM_CASE("movd", ", %%xmm0", insn, n)
#define VIMM_CASE64(insn, n) IMM_CASE("movq", ", %%xmm0", insn, n)
#define CASES4(M, insn, n) M(insn, n) M(insn, n + 1) M(insn, n + 2) M(insn, n + 3)
#define CASES16(M, insn, n) CASES4(M, insn, n) CASES4(M, insn, n + 4) \
                            CASES4(M, insn, n + 8) CASES4(M, insn, n + 12)
#define CASES32(M, insn) CASES16(M, insn, 0) CASES16(M, insn, 16)

static uint32_t host_cmpss(uint32_t a, uint32_t b, unsigned pred, uint32_t *csr)
{
    uint32_t r = 0;
    switch (pred) { CASES4(IMM_CASE32, "cmpss", 0) CASES4(IMM_CASE32, "cmpss", 4) }
    return r;
}
static uint64_t host_cmpsd(uint64_t a, uint64_t b, unsigned pred, uint32_t *csr)
{
    uint64_t r = 0;
    switch (pred) { CASES4(IMM_CASE64, "cmpsd", 0) CASES4(IMM_CASE64, "cmpsd", 4) }
    return r;
}
static uint32_t host_vcmpss(uint32_t a, uint32_t b, unsigned pred, uint32_t *csr)
{
    uint32_t r = 0;
    switch (pred) { CASES32(VIMM_CASE32, "vcmpss") }
    return r;
}
static uint64_t host_vcmpsd(uint64_t a, uint64_t b, unsigned pred, uint32_t *csr)
{
    uint64_t r = 0;
    switch (pred) { CASES32(VIMM_CASE64, "vcmpsd") }
    return r;
}
/* roundss $imm, b -> result */
static uint32_t host_roundss(uint32_t a, uint32_t b, unsigned imm, uint32_t *csr)
{
    uint32_t r = 0;
    switch (imm) { CASES16(IMM_CASE32, "roundss", 0) }
    return r;
}
static uint64_t host_roundsd(uint64_t a, uint64_t b, unsigned imm, uint32_t *csr)
{
    uint64_t r = 0;
    switch (imm) { CASES16(IMM_CASE64, "roundsd", 0) }
    return r;
}

#define HOST_COMI(name, insn, mov, type)                                      \
    static uint32_t name(type a, type b, uint32_t *csr)                       \
    {                                                                         \
        uint8_t z, p, c;                                                      \
        __asm__ volatile(ASM_PRE mov " %[a], %%xmm0\n\t" mov " %[b], %%xmm1\n\t" \
                         insn " %%xmm1, %%xmm0\n\t"                           \
                         "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\t" ASM_POST   \
                         : [z] "=q"(z), [p] "=q"(p), [c] "=q"(c),             \
                           [csr] "+m"(*csr)                                   \
                         : [a] "r"(a), [b] "r"(b),                            \
                           [dflt] "m"(host_default_mxcsr)                     \
                         : "xmm0", "xmm1", "cc");                             \
        return (z ? SSE_RFLAGS_ZF : 0) | (p ? SSE_RFLAGS_PF : 0) |            \
               (c ? SSE_RFLAGS_CF : 0);                                       \
    }
HOST_COMI(host_comiss, "comiss", "movd", uint32_t)
HOST_COMI(host_ucomiss, "ucomiss", "movd", uint32_t)
HOST_COMI(host_comisd, "comisd", "movq", uint64_t)
HOST_COMI(host_ucomisd, "ucomisd", "movq", uint64_t)

#define DPPS_CASE(insn, n)                                                    \
    case n:                                                                   \
        __asm__ volatile(ASM_PRE "movups (%[pa]), %%xmm0\n\t"                 \
                         "movups (%[pb]), %%xmm1\n\t"                         \
                         insn " %[imm], %%xmm1, %%xmm0\n\t"                   \
                         "movups %%xmm0, (%[po])\n\t" ASM_POST                \
                         : [csr] "+m"(*csr)                                   \
                         : [pa] "r"(a), [pb] "r"(b), [po] "r"(out),           \
                           [imm] "i"(n), [dflt] "m"(host_default_mxcsr)       \
                         : "xmm0", "xmm1", "memory");                         \
        break;
#define CASES64(M, insn, n) CASES16(M, insn, n) CASES16(M, insn, n + 16) \
                            CASES16(M, insn, n + 32) CASES16(M, insn, n + 48)

static void host_dpps(const uint32_t *a, const uint32_t *b, unsigned imm,
                      uint32_t *out, uint32_t *csr)
{
    switch (imm) {
    CASES64(DPPS_CASE, "dpps", 0) CASES64(DPPS_CASE, "dpps", 64)
    CASES64(DPPS_CASE, "dpps", 128) CASES64(DPPS_CASE, "dpps", 192)
    }
}
static void host_dppd(const uint64_t *a, const uint64_t *b, unsigned imm,
                      uint64_t *out, uint32_t *csr)
{
    switch (imm) {
    CASES64(DPPS_CASE, "dppd", 0) CASES64(DPPS_CASE, "dppd", 64)
    CASES64(DPPS_CASE, "dppd", 128) CASES64(DPPS_CASE, "dppd", 192)
    }
}

static unsigned mismatches;

static void report(const char *what, uint64_t a, uint64_t b, unsigned imm,
                   uint32_t mxcsr, uint64_t want, uint32_t want_csr,
                   uint64_t got, uint32_t got_csr)
{
    static long limit = -1;
    if (limit < 0) {
        const char *v = getenv("FPU_TEST_VERBOSE");
        limit = v ? atol(v) : 40;
    }
    if (++mismatches <= limit)
        fprintf(stderr, "%s a=%#" PRIx64 " b=%#" PRIx64 " imm=%u mxcsr=%#x: "
                "host %#" PRIx64 " csr %#x, soft %#" PRIx64 " csr %#x\n",
                what, a, b, imm, mxcsr, want, want_csr, got, got_csr);
}

#define CHECK(what, a, b, imm, m, host_r, host_csr, soft_r, soft_csr)          \
    do {                                                                      \
        if ((uint64_t)(host_r) != (uint64_t)(soft_r) || (host_csr) != (soft_csr)) \
            report(what, a, b, imm, m, host_r, host_csr, soft_r, soft_csr);   \
    } while (0)

typedef uint32_t (*soft_bin32)(uint32_t, uint32_t, struct sse_env *);
typedef uint64_t (*soft_bin64)(uint64_t, uint64_t, struct sse_env *);
typedef uint32_t (*host_bin32)(uint32_t, uint32_t, uint32_t *);
typedef uint64_t (*host_bin64)(uint64_t, uint64_t, uint32_t *);

static const struct {
    const char *name; enum op op; soft_bin32 s32; host_bin32 h32;
    soft_bin64 s64; host_bin64 h64;
} bin_ops[] = {
    { "add", OP_ADD, f32_add, host_addss, f64_add, host_addsd },
    { "sub", OP_SUB, f32_sub, host_subss, f64_sub, host_subsd },
    { "mul", OP_MUL, f32_mul, host_mulss, f64_mul, host_mulsd },
    { "div", OP_DIV, f32_div, host_divss, f64_div, host_divsd },
    { "min", OP_MIN, f32_min, host_minss, f64_min, host_minsd },
    { "max", OP_MAX, f32_max, host_maxss, f64_max, host_maxsd },
};

static unsigned long host_cases;

static void random_binary_ops(unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++) {
        for (size_t k = 0; k < sizeof bin_ops / sizeof bin_ops[0]; k++) {
            uint32_t m = rnd_mxcsr(), hc = m;
            uint32_t a32 = (uint32_t)rnd_value(&D32);
            uint32_t b32 = (uint32_t)rnd_partner(&D32, a32, bin_ops[k].op);
            struct sse_env e = { m };
            uint32_t hr = bin_ops[k].h32(a32, b32, &hc);
            uint32_t sr = bin_ops[k].s32(a32, b32, &e);
            CHECK(bin_ops[k].name, a32, b32, 0, m, hr, hc, sr, e.mxcsr);

            m = rnd_mxcsr(); hc = m; e.mxcsr = m;
            uint64_t a64 = rnd_value(&D64);
            uint64_t b64 = rnd_partner(&D64, a64, bin_ops[k].op);
            uint64_t hr64 = bin_ops[k].h64(a64, b64, &hc);
            uint64_t sr64 = bin_ops[k].s64(a64, b64, &e);
            CHECK(bin_ops[k].name, a64, b64, 1, m, hr64, hc, sr64, e.mxcsr);
            host_cases += 2;
        }
    }
}

static void random_unary_ops(unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++) {
        uint32_t a32 = (uint32_t)rnd_value(&D32);
        uint64_t a64 = rnd_value(&D64);
        uint32_t m, hc;
        struct sse_env e;

#define UNARY(name, hexpr, sexpr, a)                                          \
        do {                                                                  \
            m = rnd_mxcsr(); hc = m; e.mxcsr = m;                             \
            uint64_t hr_ = (hexpr), sr_ = (sexpr);                            \
            CHECK(name, a, 0, 0, m, hr_, hc, sr_, e.mxcsr);                   \
            host_cases++;                                                     \
        } while (0)

        UNARY("sqrtss", host_sqrtss(0, a32, &hc), f32_sqrt(a32, &e), a32);
        UNARY("sqrtsd", host_sqrtsd(0, a64, &hc), f64_sqrt(a64, &e), a64);
        UNARY("cvtss2sd", host_cvtss2sd(0, a32, &hc), f32_to_f64(a32, &e), a32);
        UNARY("cvtsd2ss", host_cvtsd2ss(0, a64, &hc) & 0xffffffffu,
              f64_to_f32(a64, &e), a64);
        UNARY("cvtss2si32", host_cvtss2si32(a32, &hc), f32_to_i32(a32, &e), a32);
        UNARY("cvttss2si32", host_cvttss2si32(a32, &hc), f32_to_i32_trunc(a32, &e), a32);
        UNARY("cvtss2si64", host_cvtss2si64(a32, &hc), f32_to_i64(a32, &e), a32);
        UNARY("cvttss2si64", host_cvttss2si64(a32, &hc), f32_to_i64_trunc(a32, &e), a32);
        UNARY("cvtsd2si32", host_cvtsd2si32(a64, &hc), f64_to_i32(a64, &e), a64);
        UNARY("cvttsd2si32", host_cvttsd2si32(a64, &hc), f64_to_i32_trunc(a64, &e), a64);
        UNARY("cvtsd2si64", host_cvtsd2si64(a64, &hc), f64_to_i64(a64, &e), a64);
        UNARY("cvttsd2si64", host_cvttsd2si64(a64, &hc), f64_to_i64_trunc(a64, &e), a64);

        uint64_t i64 = rnd();
        switch (rnd_below(4)) {
        case 0: i64 >>= rnd_below(64); break;
        case 1: i64 = (uint64_t)-(int64_t)(i64 >> rnd_below(64)); break;
        case 2: i64 = rnd() & 1 ? 0x8000000000000000ull : 0x7fffffffffffffffull;
                i64 -= rnd_below(1024); break;
        default: break;
        }
        uint32_t i32 = (uint32_t)(rnd_below(2) ? i64 : i64 >> 32);
        UNARY("cvtsi2ss32", host_cvtsi2ss32(i32, &hc), i32_to_f32(i32, &e), i32);
        UNARY("cvtsi2ss64", host_cvtsi2ss64(i64, &hc), i64_to_f32(i64, &e), i64);
        UNARY("cvtsi2sd32", host_cvtsi2sd32(i32, &hc), i32_to_f64(i32, &e), i32);
        UNARY("cvtsi2sd64", host_cvtsi2sd64(i64, &hc), i64_to_f64(i64, &e), i64);

        unsigned imm = rnd_below(16);
        if (!host_has_sse41())
            continue;
        m = rnd_mxcsr(); hc = m; e.mxcsr = m;
        uint64_t hr = host_roundss(0, a32, imm, &hc), sr = f32_round(a32, imm, &e);
        CHECK("roundss", a32, 0, imm, m, hr, hc, sr, e.mxcsr);
        m = rnd_mxcsr(); hc = m; e.mxcsr = m;
        hr = host_roundsd(0, a64, imm, &hc), sr = f64_round(a64, imm, &e);
        CHECK("roundsd", a64, 0, imm, m, hr, hc, sr, e.mxcsr);
        host_cases += 2;
#undef UNARY
    }
}

static void random_compares(unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++) {
        uint32_t a32 = (uint32_t)rnd_value(&D32);
        uint32_t b32 = (uint32_t)(rnd_below(4) ? rnd_value(&D32) : a32 ^ (rnd() & 0x80000001u));
        uint64_t a64 = rnd_value(&D64);
        uint64_t b64 = rnd_below(4) ? rnd_value(&D64) : a64 ^ (rnd() & 0x8000000000000001ull);
        unsigned pred = rnd_below(32);
        uint32_t m, hc;
        struct sse_env e;

#define CMP(name, hexpr, sexpr, a, b)                                         \
        do {                                                                  \
            m = rnd_mxcsr(); hc = m; e.mxcsr = m;                             \
            uint64_t hr_ = (hexpr), sr_ = (sexpr);                            \
            CHECK(name, a, b, pred, m, hr_, hc, sr_, e.mxcsr);                \
            host_cases++;                                                     \
        } while (0)

        if (host_has_avx()) {
            CMP("vcmpss", host_vcmpss(a32, b32, pred, &hc),
                f32_compare(a32, b32, pred, &e) ? 0xffffffffu : 0, a32, b32);
            CMP("vcmpsd", host_vcmpsd(a64, b64, pred, &hc),
                f64_compare(a64, b64, pred, &e) ? ~0ull : 0, a64, b64);
        }
        CMP("cmpss", host_cmpss(a32, b32, pred & 7, &hc),
            f32_compare(a32, b32, pred & 7, &e) ? 0xffffffffu : 0, a32, b32);
        CMP("cmpsd", host_cmpsd(a64, b64, pred & 7, &hc),
            f64_compare(a64, b64, pred & 7, &e) ? ~0ull : 0, a64, b64);
        CMP("comiss", host_comiss(a32, b32, &hc), f32_comi(a32, b32, &e), a32, b32);
        CMP("ucomiss", host_ucomiss(a32, b32, &hc), f32_ucomi(a32, b32, &e), a32, b32);
        CMP("comisd", host_comisd(a64, b64, &hc), f64_comi(a64, b64, &e), a64, b64);
        CMP("ucomisd", host_ucomisd(a64, b64, &hc), f64_ucomi(a64, b64, &e), a64, b64);
#undef CMP
    }
}

/* Mostly moderate magnitudes so that dot products rarely overflow. */
static uint64_t rnd_dot_lane(void)
{
    if (rnd_below(8))
        return rnd_value(&D32);
    unsigned sign = rnd() & 1;
    int e = 127 + (int)rnd_below(8);
    return make(&D32, sign, e, rnd());
}

static void random_dot_products(unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++) {
        uint32_t a[4], b[4], ho[4], so[4];
        uint64_t c[2], d[2], ho64[2], so64[2];
        for (int k = 0; k < 4; k++) {
            a[k] = (uint32_t)rnd_dot_lane();
            b[k] = (uint32_t)rnd_dot_lane();
        }
        for (int k = 0; k < 2; k++) {
            c[k] = rnd_value(&D64);
            d[k] = rnd_value(&D64);
        }
        unsigned imm = rnd_below(256);
        uint32_t m = rnd_mxcsr(), hc = m;
        struct sse_env e = { m };
        host_dpps(a, b, imm, ho, &hc);
        f32_dpps(a, b, imm, so, &e);
        /* Which NaN comes out when several meet is the implementation's
         * (tests/unit/oracle_sse_defined.h); the flags are defined. */
        for (int k = 0; k < 4; k++)
            if (!oracle_dp_lane_ok(a, b, imm, false, (unsigned)k, ho[k], so[k]) ||
                (k == 0 && hc != e.mxcsr))
                report("dpps", ((uint64_t)a[k] << 32) | b[k], (uint64_t)k, imm, m, ho[k],
                       k == 0 ? hc : 0, so[k], k == 0 ? e.mxcsr : 0);
        m = rnd_mxcsr(); hc = m; e.mxcsr = m;
        host_dppd(c, d, imm, ho64, &hc);
        f64_dppd(c, d, imm, so64, &e);
        for (int k = 0; k < 2; k++)
            if (!oracle_dp_lane_ok(c, d, imm, true, (unsigned)k, ho64[k], so64[k]) ||
                (k == 0 && hc != e.mxcsr))
                report("dppd", c[k], d[k], imm, m, ho64[k], k == 0 ? hc : 0, so64[k],
                       k == 0 ? e.mxcsr : 0);
        host_cases += 2;
    }
}

/* RCPSS/RSQRTSS: the approximation is the implementation's, so the host's
 * result and ours are each checked against the SDM's definition
 * (tests/unit/oracle_sse_defined.h), and MXCSR must stay unchanged. */
static void random_approx(unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++) {
        uint32_t x = (uint32_t)rnd_value(&D32);
        for (int which = 0; which < 2; which++) {
            uint32_t hc = rnd_mxcsr(), m = hc;
            uint32_t hr = which ? host_rsqrtss(0, x, &hc) : host_rcpss(0, x, &hc);
            uint32_t sr = which ? f32_rsqrt_approx(x) : f32_rcp_approx(x);
            host_cases++;
            if (hc != m)
                report(which ? "rsqrtss flags" : "rcpss flags", x, 0, 0, m, hr, hc, sr, m);
            else if (!oracle_approx_ok(x, hr, which))
                report(which ? "rsqrtss host outside SDM" : "rcpss host outside SDM", x, 0, 0,
                       m, hr, hc, sr, m);
            else if (!oracle_approx_ok(x, sr, which))
                report(which ? "rsqrtss" : "rcpss", x, 0, 0, m, hr, hc, sr, m);
        }
    }
}

/* The fixed edge cases, this time asking the host what the answer is, so
 * the expectations written above are themselves checked against silicon. */
static uint64_t host_run32(const struct edge_case *c, uint32_t *csr)
{
    uint32_t a = (uint32_t)c->a, b = (uint32_t)c->b;
    switch (c->op) {
    case OP_ADD: return host_addss(a, b, csr);
    case OP_SUB: return host_subss(a, b, csr);
    case OP_MUL: return host_mulss(a, b, csr);
    case OP_DIV: return host_divss(a, b, csr);
    case OP_SQRT: return host_sqrtss(0, a, csr);
    case OP_MIN: return host_minss(a, b, csr);
    case OP_MAX: return host_maxss(a, b, csr);
    case OP_CVT_TO_OTHER: return host_cvtss2sd(0, a, csr);
    case OP_TO_I32: return host_cvtss2si32(a, csr);
    case OP_TO_I32_TRUNC: return host_cvttss2si32(a, csr);
    case OP_TO_I64: return host_cvtss2si64(a, csr);
    case OP_TO_I64_TRUNC: return host_cvttss2si64(a, csr);
    case OP_ROUND: return host_roundss(0, a, c->imm, csr);
    case OP_CMP: return host_vcmpss(a, b, c->imm, csr) & 1;
    case OP_COMI: return host_comiss(a, b, csr);
    case OP_UCOMI: return host_ucomiss(a, b, csr);
    }
    return 0;
}

static uint64_t host_run64(const struct edge_case *c, uint32_t *csr)
{
    uint64_t a = c->a, b = c->b;
    switch (c->op) {
    case OP_ADD: return host_addsd(a, b, csr);
    case OP_SUB: return host_subsd(a, b, csr);
    case OP_MUL: return host_mulsd(a, b, csr);
    case OP_DIV: return host_divsd(a, b, csr);
    case OP_SQRT: return host_sqrtsd(0, a, csr);
    case OP_MIN: return host_minsd(a, b, csr);
    case OP_MAX: return host_maxsd(a, b, csr);
    case OP_CVT_TO_OTHER: return host_cvtsd2ss(0, a, csr) & 0xffffffffu;
    case OP_TO_I32: return host_cvtsd2si32(a, csr);
    case OP_TO_I32_TRUNC: return host_cvttsd2si32(a, csr);
    case OP_TO_I64: return host_cvtsd2si64(a, csr);
    case OP_TO_I64_TRUNC: return host_cvttsd2si64(a, csr);
    case OP_ROUND: return host_roundsd(0, a, c->imm, csr);
    case OP_CMP: return host_vcmpsd(a, b, c->imm, csr) & 1;
    case OP_COMI: return host_comisd(a, b, csr);
    case OP_UCOMI: return host_ucomisd(a, b, csr);
    }
    return 0;
}

/* Whether the host can run the instruction behind this case. */
static bool host_can_run(const struct edge_case *c)
{
    if (c->op == OP_ROUND)
        return host_has_sse41();
    if (c->op == OP_CMP)
        return host_has_avx();
    return true;
}

START_TEST(test_edge_on_host)
{
    for (size_t i = 0; i < sizeof edge32 / sizeof edge32[0]; i++) {
        const struct edge_case *c = &edge32[i];
        if (!host_can_run(c))
            continue;
        uint32_t csr = c->mxcsr;
        uint64_t r = host_run32(c, &csr);
        ck_assert_msg(r == c->expect && (csr & SSE_MXCSR_FLAGS) == c->flags,
                      "host f32 case %zu: %#" PRIx64 " flags %#x", i, r,
                      csr & SSE_MXCSR_FLAGS);
    }
    for (size_t i = 0; i < sizeof edge64 / sizeof edge64[0]; i++) {
        const struct edge_case *c = &edge64[i];
        if (!host_can_run(c))
            continue;
        uint32_t csr = c->mxcsr;
        uint64_t r = host_run64(c, &csr);
        ck_assert_msg(r == c->expect && (csr & SSE_MXCSR_FLAGS) == c->flags,
                      "host f64 case %zu: %#" PRIx64 " flags %#x", i, r,
                      csr & SSE_MXCSR_FLAGS);
    }
}
END_TEST

/* Unmasked exceptions: the host traps (#XM -> SIGFPE) and the MXCSR saved
 * in the signal frame shows exactly which flags the instruction raised;
 * without a trap the result and flags must match as usual.  This checks
 * the mask-dependent rules (unmasked UE on exact tiny results, FTZ only
 * when UM is set, nothing after an unmasked DE/IE/ZE). */
static sigjmp_buf trap_jmp;
static volatile uint32_t trap_mxcsr;

static void on_sigfpe(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)info;
    ucontext_t *uc = ctx;
    trap_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    siglongjmp(trap_jmp, 1);
}

static void restore_default_mxcsr(void)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(host_default_mxcsr));
}

/* Runs one case on the host; returns true if it trapped, with *csr then
 * holding the MXCSR of the trapping instruction. */
static bool host_run_trapping(const struct edge_case *c, bool is64, uint64_t *r,
                              uint32_t *csr)
{
    if (sigsetjmp(trap_jmp, 1) == 0) {
        *r = is64 ? host_run64(c, csr) : host_run32(c, csr);
        return false;
    }
    restore_default_mxcsr();
    *csr = trap_mxcsr;
    return true;
}

/* Soft versus host for one case, with trapping; returns true if trapped. */
static bool compare_trapping(const struct edge_case *c, bool is64)
{
    struct sse_env e = { c->mxcsr };
    uint64_t sr = is64 ? run64(c, &e) : run32(c, &e);
    uint32_t raised = e.mxcsr & SSE_MXCSR_FLAGS;
    bool soft_traps = (raised & ~(c->mxcsr >> SSE_MXCSR_MASK_SHIFT)) != 0;
    uint32_t hc = c->mxcsr;
    uint64_t hr = 0;
    bool trapped = host_run_trapping(c, is64, &hr, &hc);
    if (trapped != soft_traps || hc != e.mxcsr || (!trapped && hr != sr))
        report(is64 ? "trapping64" : "trapping32", c->a, c->b,
               (unsigned)c->op * 100 + c->imm, c->mxcsr,
               hr, hc | (trapped ? 0x80000000u : 0), sr,
               e.mxcsr | (soft_traps ? 0x80000000u : 0));
    return trapped;
}

static uint32_t rnd_mxcsr_any_masks(void)
{
    uint32_t m = rnd_mxcsr();
    if (rnd() & 1)   /* half the time a random subset unmasked */
        m = (m & ~SSE_MXCSR_MASKS) | ((uint32_t)(rnd() & 0x3f) << SSE_MXCSR_MASK_SHIFT);
    return m;
}

/* Significand patterns that sit next to rounding boundaries. */
static uint64_t rnd_edge_frac(const struct fmt_desc *d)
{
    uint64_t fmask = (1ull << d->frac_bits) - 1;
    switch (rnd_below(4)) {
    case 0: return fmask - rnd_below(4);                 /* all ones */
    case 1: return rnd_below(4);                         /* 1.0 + tiny */
    case 2: return (fmask >> 1) + rnd_below(3) - 1;      /* around 1.5 */
    default: return rnd() & fmask;
    }
}

static void init_trap_handler(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigfpe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGFPE, &sa, old), 0);
}

START_TEST(test_host_unmasked)
{
    struct sigaction old;
    init_trap_handler(&old);
    unsigned long cases = 0, traps = 0;
    mismatches = 0;
    for (unsigned i = 0; i < 40000; i++) {
        for (enum op op = OP_ADD; op <= OP_UCOMI; op++) {
            /* a random subset of the six exceptions unmasked */
            uint32_t m = (rnd_mxcsr() & ~SSE_MXCSR_MASKS) |
                         ((uint32_t)(rnd() & 0x3f) << SSE_MXCSR_MASK_SHIFT);
            bool is64 = rnd() & 1;
            const struct fmt_desc *d = is64 ? &D64 : &D32;
            uint64_t a = rnd_value(d), b = rnd_partner(d, a, op);
            unsigned imm = op == OP_ROUND ? rnd_below(16) : rnd_below(32);
            struct edge_case c = { op, a, b, imm, m, 0, 0 };
            if (!host_can_run(&c))
                continue;
            traps += compare_trapping(&c, is64);
            cases++;
        }
    }
    sigaction(SIGFPE, &old, NULL);
    fprintf(stderr, "unmasked comparison: %lu cases, %lu traps, %u mismatches\n",
            cases, traps, mismatches);
    ck_assert_uint_eq(mismatches, 0);
}
END_TEST

/* Results right at the edges of the normal range, where tininess (after
 * rounding), FTZ and overflow-after-rounding decide the outcome: products
 * and quotients landing near the smallest normal or the largest finite,
 * and CVTSD2SS of binary64 values near binary32's limits. */
START_TEST(test_host_range_edges)
{
    struct sigaction old;
    init_trap_handler(&old);
    unsigned long cases = 0;
    mismatches = 0;
    for (unsigned i = 0; i < 100000; i++) {
        for (int is64 = 0; is64 < 2; is64++) {
            const struct fmt_desc *d = is64 ? &D64 : &D32;
            int emax = (1 << d->exp_bits) - 2;      /* largest normal biased exp */
            unsigned sign = rnd() & 1;
            bool bottom = rnd() & 1;
            enum op op = rnd() & 1 ? OP_MUL : OP_DIV;
            int ea = d->bias + (int)rnd_below(5) - 2;
            uint64_t a = make(d, sign, ea, rnd_edge_frac(d));
            int target = bottom ? 1 - (int)rnd_below(3) : emax + (int)rnd_below(3) - 1;
            /* biased exponents add for mul (minus bias), subtract for div */
            int eb = op == OP_MUL ? target - ea + d->bias : ea - target + d->bias;
            unsigned sign_b = rnd() & 1;
            uint64_t b = make(d, sign_b, eb, rnd_edge_frac(d));
            struct edge_case c = { op, a, b, 0, rnd_mxcsr_any_masks(), 0, 0 };
            compare_trapping(&c, is64);
            cases++;
        }
        /* binary64 -> binary32 near 2^-126 .. 2^-150 and near 2^128 */
        {
            unsigned sign = rnd() & 1;
            int e32 = rnd() & 1 ? -126 - (int)rnd_below(26) : 127 + (int)rnd_below(2);
            uint64_t f = rnd_edge_frac(&D64);
            if (rnd() & 1) f |= 0x000fffffe0000000ull;   /* all ones at f32 width */
            uint64_t a = make(&D64, sign, 1023 + e32, f);
            struct edge_case c = { OP_CVT_TO_OTHER, a, 0, 0, rnd_mxcsr_any_masks(), 0, 0 };
            compare_trapping(&c, true);
            cases++;
        }
    }
    sigaction(SIGFPE, &old, NULL);
    fprintf(stderr, "range edge comparison: %lu cases, %u mismatches\n", cases,
            mismatches);
    ck_assert_uint_eq(mismatches, 0);
}
END_TEST

START_TEST(test_host_random)
{
    mismatches = 0;
    host_cases = 0;
    /* A third of the cases under ASan keeps the sanitized unit run fast. */
    unsigned scale = ORACLE_UNDER_ASAN ? 3 : 1;
    random_binary_ops(150000 / scale);
    random_unary_ops(50000 / scale);
    random_compares(50000 / scale);
    if (host_has_sse41())
        random_dot_products(30000 / scale);
    random_approx(30000 / scale);
    fprintf(stderr, "host comparison: %lu cases, %u mismatches\n", host_cases, mismatches);
    ck_assert_uint_ge(host_cases, 1000000);
    ck_assert_uint_eq(mismatches, 0);
}
END_TEST

#endif /* HOST_ORACLE */

static Suite *fpu_sse_float_suite(void)
{
    Suite *s = suite_create("fpu_sse_float");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_edge_f32);
    tcase_add_test(tc, test_edge_f64);
    tcase_add_test(tc, test_int_to_float);
    tcase_add_test(tc, test_unmasked);
    tcase_add_test(tc, test_approx);
    tcase_add_test(tc, test_dpps_order);
    tcase_add_test(tc, test_dpps_nan_choice);
    tcase_add_test(tc, test_approx_definition);
    tcase_add_test(tc, test_golden_hash);
#if HOST_ORACLE
    tcase_add_test(tc, test_host_random);
    tcase_add_test(tc, test_edge_on_host);
    tcase_add_test(tc, test_host_unmasked);
    tcase_add_test(tc, test_host_range_edges);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    oracle_print_host("test_fpu_sse_float");
    SRunner *sr = srunner_create(fpu_sse_float_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

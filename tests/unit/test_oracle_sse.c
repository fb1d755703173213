/* Host-CPU oracle for the SSE..SSE4.2 handlers: random sequences drawn from
 * the instruction templates below run natively (x86-64 hosts only) and in
 * turtles' handlers from the same starting state -- XMM and MMX registers
 * holding a mix of normal, denormal, zero, infinite and NaN lanes, random
 * GPRs and flags, a random MXCSR (rounding, DAZ, FTZ; all exceptions
 * masked) and a random data buffer. Every XMM and MMX register, MXCSR,
 * every GPR, the arithmetic flags and the buffer must agree, except where
 * the architecture leaves the bits to the implementation: RCPxS/RSQRTxS
 * (checked against SDM Vol.2 RCPPS's definition) and DPPS/DPPD when
 * several NaNs meet (which one propagates depends on the order of the
 * additions; checked against the NaNs the SDM allows). Those lanes are
 * checked by tests/unit/oracle_sse_defined.h, and such an instruction
 * always ends its sequence, so that its implementation-specific result
 * never feeds a later instruction.
 *
 * Both sides see the same addresses: the code, state and data regions are
 * mapped at fixed host addresses and identity-mapped in the 64-bit harness.
 * RSI holds the data base for memory operands, RDI a byte inside it for
 * MASKMOVQ/MASKMOVDQU, R15 the state block (native side).
 *
 * Only templates whose CPUID feature the host reports are drawn.
 *
 * Environment: SSE_ORACLE_SEED, SSE_ORACLE_INSNS (default 600000, 100000
 * under ASan), SSE_ORACLE_XM_INSNS (random masks: 200000, 40000 under ASan),
 * SSE_ORACLE_PRINT (mismatches reported in full, default 10),
 * SSE_ORACLE_ONLY=name (templates whose name starts with it),
 * SSE_ORACLE_SEQ=n (maximum sequence length, default 8). */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/fpu_sse_float.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"
#include "tests/unit/oracle_common.h"
#include "tests/unit/oracle_sse_defined.h"

#if defined(__x86_64__)

#define REGION_BASE 0x900000ull
#define REGION_SIZE 0x10000ull
#define CODE_ADDR 0x900000ull
#define SEQ_ADDR 0x901000ull    /* turtles runs the bare sequence here */
#define STATE_ADDR 0x904000ull
#define DATA_ADDR 0x906000ull
#define DATA_SIZE 256u

#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

struct sse_state {
    xmm_t xmm[16];      /* 0 */
    uint64_t mm[8];     /* 256 */
    uint64_t gpr[16];   /* 320 */
    uint64_t rflags;    /* 448 */
    uint32_t mxcsr;     /* 456 */
    uint32_t host_mxcsr;/* 460 */
};
#define OFF_XMM 0
#define OFF_MM 256
#define OFF_GPR 320
#define OFF_FLAGS 448
#define OFF_MXCSR 456
#define OFF_HOST_MXCSR 460

_Static_assert(offsetof(struct sse_state, mm) == OFF_MM, "layout");
_Static_assert(offsetof(struct sse_state, gpr) == OFF_GPR, "layout");
_Static_assert(offsetof(struct sse_state, rflags) == OFF_FLAGS, "layout");
_Static_assert(offsetof(struct sse_state, mxcsr) == OFF_MXCSR, "layout");
_Static_assert(offsetof(struct sse_state, host_mxcsr) == OFF_HOST_MXCSR, "layout");

static uint64_t rng;

static uint64_t rnd(void)
{
    return oracle_rand(&rng);
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- templates ----
 * "PFX MAP OP REG RM MEM IMM [w] [~] NAME"
 *   PFX NP/66/F3/F2; MAP 0F/38/3A; OP hex
 *   REG X (xmm), M (mm), G (gpr), /n (ModRM.reg digit)
 *   RM  X, M, G: the register form's operand
 *   MEM - (register form only) or bytes: 1 2 4 8 16, W (4, 8 with REX.W);
 *       suffix A: 16-byte aligned; suffix ! : memory form only
 *   IMM - none, i any byte, 7 (0..7), f (0..15)
 *   w   REX.W at random; ~ approximate result (RCP/RSQRT); n NaN choice
 *       the implementation's (DPPS/DPPD). ~ and n end the sequence. */
static const char *const templ_text[] = {
    /* moves */
    "NP 0F 10 X X 16 - movups", "66 0F 10 X X 16 - movupd", "F3 0F 10 X X 4 - movss",
    "F2 0F 10 X X 8 - movsd", "NP 0F 11 X X 16 - movups_st", "66 0F 11 X X 16 - movupd_st",
    "F3 0F 11 X X 4 - movss_st", "F2 0F 11 X X 8 - movsd_st", "NP 0F 12 X X 8! - movlps",
    "NP 0F 12 X X - - movhlps", "66 0F 12 X X 8! - movlpd", "F2 0F 12 X X 8 - movddup",
    "F3 0F 12 X X 16A - movsldup", "NP 0F 13 X X 8! - movlps_st", "66 0F 13 X X 8! - movlpd_st",
    "NP 0F 16 X X 8! - movhps", "NP 0F 16 X X - - movlhps", "66 0F 16 X X 8! - movhpd",
    "F3 0F 16 X X 16A - movshdup", "NP 0F 17 X X 8! - movhps_st", "66 0F 17 X X 8! - movhpd_st",
    "NP 0F 28 X X 16A - movaps", "66 0F 28 X X 16A - movapd", "NP 0F 29 X X 16A - movaps_st",
    "66 0F 29 X X 16A - movapd_st", "NP 0F 2B X X 16A! - movntps", "66 0F 2B X X 16A! - movntpd",
    "66 0F 6F X X 16A - movdqa", "F3 0F 6F X X 16 - movdqu", "66 0F 7F X X 16A - movdqa_st",
    "F3 0F 7F X X 16 - movdqu_st", "66 0F E7 X X 16A! - movntdq", "NP 0F E7 M M 8! - movntq",
    "F2 0F F0 X X 16! - lddqu", "66 38 2A X X 16A! - movntdqa", "66 0F 6E X G W - w movd",
    "66 0F 7E X G W - w movd_st", "F3 0F 7E X X 8 - movq", "66 0F D6 X X 8 - movq_st",
    "F3 0F D6 X M - - movq2dq", "F2 0F D6 M X - - movdq2q", "NP 0F 50 G X - - movmskps",
    "66 0F 50 G X - - movmskpd", "NP 0F D7 G M - - pmovmskb_mm", "66 0F D7 G X - - pmovmskb",
    "NP 0F AE /3 X 4! - stmxcsr", "NP 0F F7 M M - - maskmovq", "66 0F F7 X X - - maskmovdqu",
    "NP 0F C3 G G W! - w movnti",
    /* float arithmetic */
    "NP 0F 51 X X 16A - sqrtps", "66 0F 51 X X 16A - sqrtpd", "F3 0F 51 X X 4 - sqrtss",
    "F2 0F 51 X X 8 - sqrtsd", "NP 0F 58 X X 16A - addps", "66 0F 58 X X 16A - addpd",
    "F3 0F 58 X X 4 - addss", "F2 0F 58 X X 8 - addsd", "NP 0F 59 X X 16A - mulps",
    "66 0F 59 X X 16A - mulpd", "F3 0F 59 X X 4 - mulss", "F2 0F 59 X X 8 - mulsd",
    "NP 0F 5C X X 16A - subps", "66 0F 5C X X 16A - subpd", "F3 0F 5C X X 4 - subss",
    "F2 0F 5C X X 8 - subsd", "NP 0F 5D X X 16A - minps", "66 0F 5D X X 16A - minpd",
    "F3 0F 5D X X 4 - minss", "F2 0F 5D X X 8 - minsd", "NP 0F 5E X X 16A - divps",
    "66 0F 5E X X 16A - divpd", "F3 0F 5E X X 4 - divss", "F2 0F 5E X X 8 - divsd",
    "NP 0F 5F X X 16A - maxps", "66 0F 5F X X 16A - maxpd", "F3 0F 5F X X 4 - maxss",
    "F2 0F 5F X X 8 - maxsd", "NP 0F 52 X X 16A - ~ rsqrtps", "F3 0F 52 X X 4 - ~ rsqrtss",
    "NP 0F 53 X X 16A - ~ rcpps", "F3 0F 53 X X 4 - ~ rcpss", "NP 0F 54 X X 16A - andps",
    "66 0F 54 X X 16A - andpd", "NP 0F 55 X X 16A - andnps", "66 0F 55 X X 16A - andnpd",
    "NP 0F 56 X X 16A - orps", "66 0F 56 X X 16A - orpd", "NP 0F 57 X X 16A - xorps",
    "66 0F 57 X X 16A - xorpd", "66 0F D0 X X 16A - addsubpd", "F2 0F D0 X X 16A - addsubps",
    "66 0F 7C X X 16A - haddpd", "F2 0F 7C X X 16A - haddps", "66 0F 7D X X 16A - hsubpd",
    "F2 0F 7D X X 16A - hsubps", "66 3A 08 X X 16A f roundps", "66 3A 09 X X 16A f roundpd",
    "66 3A 0A X X 4 f roundss", "66 3A 0B X X 8 f roundsd", "66 3A 40 X X 16A i n dpps",
    "66 3A 41 X X 16A i n dppd", "66 3A 0C X X 16A i blendps", "66 3A 0D X X 16A i blendpd",
    "66 3A 0E X X 16A i pblendw", "66 38 10 X X 16A - pblendvb", "66 38 14 X X 16A - blendvps",
    "66 38 15 X X 16A - blendvpd",
    /* compares and conversions */
    "NP 0F C2 X X 16A 7 cmpps", "66 0F C2 X X 16A 7 cmppd", "F3 0F C2 X X 4 7 cmpss",
    "F2 0F C2 X X 8 7 cmpsd", "NP 0F 2E X X 4 - ucomiss", "66 0F 2E X X 8 - ucomisd",
    "NP 0F 2F X X 4 - comiss", "66 0F 2F X X 8 - comisd", "NP 0F 2A X M 8 - cvtpi2ps",
    "66 0F 2A X M 8 - cvtpi2pd", "F3 0F 2A X G W - w cvtsi2ss", "F2 0F 2A X G W - w cvtsi2sd",
    "NP 0F 2C M X 8 - cvttps2pi", "66 0F 2C M X 16A - cvttpd2pi", "F3 0F 2C G X 4 - w cvttss2si",
    "F2 0F 2C G X 8 - w cvttsd2si", "NP 0F 2D M X 8 - cvtps2pi", "66 0F 2D M X 16A - cvtpd2pi",
    "F3 0F 2D G X 4 - w cvtss2si", "F2 0F 2D G X 8 - w cvtsd2si", "NP 0F 5A X X 8 - cvtps2pd",
    "66 0F 5A X X 16A - cvtpd2ps", "F3 0F 5A X X 4 - cvtss2sd", "F2 0F 5A X X 8 - cvtsd2ss",
    "NP 0F 5B X X 16A - cvtdq2ps", "66 0F 5B X X 16A - cvtps2dq", "F3 0F 5B X X 16A - cvttps2dq",
    "66 0F E6 X X 16A - cvttpd2dq", "F3 0F E6 X X 8 - cvtdq2pd", "F2 0F E6 X X 16A - cvtpd2dq",
    /* shuffles, unpacks, packs, shifts */
    "NP 0F 14 X X 16A - unpcklps", "66 0F 14 X X 16A - unpcklpd", "NP 0F 15 X X 16A - unpckhps",
    "66 0F 15 X X 16A - unpckhpd", "NP 0F C6 X X 16A i shufps", "66 0F C6 X X 16A i shufpd",
    "66 0F 60 X X 16A - punpcklbw", "66 0F 61 X X 16A - punpcklwd", "66 0F 62 X X 16A - punpckldq",
    "66 0F 6C X X 16A - punpcklqdq", "66 0F 68 X X 16A - punpckhbw", "66 0F 69 X X 16A - punpckhwd",
    "66 0F 6A X X 16A - punpckhdq", "66 0F 6D X X 16A - punpckhqdq", "66 0F 63 X X 16A - packsswb",
    "66 0F 67 X X 16A - packuswb", "66 0F 6B X X 16A - packssdw", "66 38 2B X X 16A - packusdw",
    "NP 0F 70 M M 8 i pshufw", "66 0F 70 X X 16A i pshufd", "F3 0F 70 X X 16A i pshufhw",
    "F2 0F 70 X X 16A i pshuflw", "66 0F 71 /2 X - i psrlw_i", "66 0F 71 /4 X - i psraw_i",
    "66 0F 71 /6 X - i psllw_i", "66 0F 72 /2 X - i psrld_i", "66 0F 72 /4 X - i psrad_i",
    "66 0F 72 /6 X - i pslld_i", "66 0F 73 /2 X - i psrlq_i", "66 0F 73 /3 X - i psrldq",
    "66 0F 73 /6 X - i psllq_i", "66 0F 73 /7 X - i pslldq", "66 0F D1 X X 16A - psrlw",
    "66 0F D2 X X 16A - psrld", "66 0F D3 X X 16A - psrlq", "66 0F E1 X X 16A - psraw",
    "66 0F E2 X X 16A - psrad", "66 0F F1 X X 16A - psllw", "66 0F F2 X X 16A - pslld",
    "66 0F F3 X X 16A - psllq", "NP 0F C4 M G 2 i pinsrw_mm", "66 0F C4 X G 2 i pinsrw",
    "NP 0F C5 G M - i pextrw_mm", "66 0F C5 G X - i pextrw",
    /* SSE2 integer and the MMX-register additions */
    "66 0F 64 X X 16A - pcmpgtb", "66 0F 65 X X 16A - pcmpgtw", "66 0F 66 X X 16A - pcmpgtd",
    "66 0F 74 X X 16A - pcmpeqb", "66 0F 75 X X 16A - pcmpeqw", "66 0F 76 X X 16A - pcmpeqd",
    "NP 0F D4 M M 8 - paddq_mm", "66 0F D4 X X 16A - paddq", "66 0F D5 X X 16A - pmullw",
    "66 0F D8 X X 16A - psubusb", "66 0F D9 X X 16A - psubusw", "NP 0F DA M M 8 - pminub_mm",
    "66 0F DA X X 16A - pminub", "66 0F DB X X 16A - pand", "66 0F DC X X 16A - paddusb",
    "66 0F DD X X 16A - paddusw", "NP 0F DE M M 8 - pmaxub_mm", "66 0F DE X X 16A - pmaxub",
    "66 0F DF X X 16A - pandn", "NP 0F E0 M M 8 - pavgb_mm", "66 0F E0 X X 16A - pavgb",
    "NP 0F E3 M M 8 - pavgw_mm", "66 0F E3 X X 16A - pavgw", "NP 0F E4 M M 8 - pmulhuw_mm",
    "66 0F E4 X X 16A - pmulhuw", "66 0F E5 X X 16A - pmulhw", "66 0F E8 X X 16A - psubsb",
    "66 0F E9 X X 16A - psubsw", "NP 0F EA M M 8 - pminsw_mm", "66 0F EA X X 16A - pminsw",
    "66 0F EB X X 16A - por", "66 0F EC X X 16A - paddsb", "66 0F ED X X 16A - paddsw",
    "NP 0F EE M M 8 - pmaxsw_mm", "66 0F EE X X 16A - pmaxsw", "66 0F EF X X 16A - pxor",
    "NP 0F F4 M M 8 - pmuludq_mm", "66 0F F4 X X 16A - pmuludq", "66 0F F5 X X 16A - pmaddwd",
    "NP 0F F6 M M 8 - psadbw_mm", "66 0F F6 X X 16A - psadbw", "66 0F F8 X X 16A - psubb",
    "66 0F F9 X X 16A - psubw", "66 0F FA X X 16A - psubd", "NP 0F FB M M 8 - psubq_mm",
    "66 0F FB X X 16A - psubq", "66 0F FC X X 16A - paddb", "66 0F FD X X 16A - paddw",
    "66 0F FE X X 16A - paddd",
    /* SSSE3 */
    "NP 38 00 M M 8 - pshufb_mm", "66 38 00 X X 16A - pshufb", "NP 38 01 M M 8 - phaddw_mm",
    "66 38 01 X X 16A - phaddw", "NP 38 02 M M 8 - phaddd_mm", "66 38 02 X X 16A - phaddd",
    "NP 38 03 M M 8 - phaddsw_mm", "66 38 03 X X 16A - phaddsw", "NP 38 04 M M 8 - pmaddubsw_mm",
    "66 38 04 X X 16A - pmaddubsw", "NP 38 05 M M 8 - phsubw_mm", "66 38 05 X X 16A - phsubw",
    "NP 38 06 M M 8 - phsubd_mm", "66 38 06 X X 16A - phsubd", "NP 38 07 M M 8 - phsubsw_mm",
    "66 38 07 X X 16A - phsubsw", "NP 38 08 M M 8 - psignb_mm", "66 38 08 X X 16A - psignb",
    "NP 38 09 M M 8 - psignw_mm", "66 38 09 X X 16A - psignw", "NP 38 0A M M 8 - psignd_mm",
    "66 38 0A X X 16A - psignd", "NP 38 0B M M 8 - pmulhrsw_mm", "66 38 0B X X 16A - pmulhrsw",
    "NP 38 1C M M 8 - pabsb_mm", "66 38 1C X X 16A - pabsb", "NP 38 1D M M 8 - pabsw_mm",
    "66 38 1D X X 16A - pabsw", "NP 38 1E M M 8 - pabsd_mm", "66 38 1E X X 16A - pabsd",
    "NP 3A 0F M M 8 i palignr_mm", "66 3A 0F X X 16A i palignr",
    /* SSE4.1, SSE4.2 */
    "66 38 17 X X 16A - ptest", "66 38 20 X X 8 - pmovsxbw", "66 38 21 X X 4 - pmovsxbd",
    "66 38 22 X X 2 - pmovsxbq", "66 38 23 X X 8 - pmovsxwd", "66 38 24 X X 4 - pmovsxwq",
    "66 38 25 X X 8 - pmovsxdq", "66 38 30 X X 8 - pmovzxbw", "66 38 31 X X 4 - pmovzxbd",
    "66 38 32 X X 2 - pmovzxbq", "66 38 33 X X 8 - pmovzxwd", "66 38 34 X X 4 - pmovzxwq",
    "66 38 35 X X 8 - pmovzxdq", "66 38 28 X X 16A - pmuldq", "66 38 29 X X 16A - pcmpeqq",
    "66 38 37 X X 16A - pcmpgtq", "66 38 38 X X 16A - pminsb", "66 38 39 X X 16A - pminsd",
    "66 38 3A X X 16A - pminuw", "66 38 3B X X 16A - pminud", "66 38 3C X X 16A - pmaxsb",
    "66 38 3D X X 16A - pmaxsd", "66 38 3E X X 16A - pmaxuw", "66 38 3F X X 16A - pmaxud",
    "66 38 40 X X 16A - pmulld", "66 38 41 X X 16A - phminposuw", "66 3A 14 X G 1 i pextrb",
    "66 3A 15 X G 2 i pextrw_41", "66 3A 16 X G W i w pextrd", "66 3A 17 X G 4 i extractps",
    "66 3A 20 X G 1 i pinsrb", "66 3A 21 X X 4 i insertps", "66 3A 22 X G W i w pinsrd",
    "66 3A 42 X X 16A i mpsadbw", "66 3A 60 X X 16 i w pcmpestrm", "66 3A 61 X X 16 i w pcmpestri",
    "66 3A 62 X X 16 i pcmpistrm", "66 3A 63 X X 16 i pcmpistri",
    /* MMX-register forms of the lane-wise MMX instructions (the MMX rows
     * share the handlers of cpu/ops_sse_int.c) */
    "NP 0F FC M M 8 - paddb_mm", "NP 0F FD M M 8 - paddw_mm", "NP 0F FE M M 8 - paddd_mm",
    "NP 0F F8 M M 8 - psubb_mm", "NP 0F F9 M M 8 - psubw_mm", "NP 0F FA M M 8 - psubd_mm",
    "NP 0F EC M M 8 - paddsb_mm", "NP 0F ED M M 8 - paddsw_mm", "NP 0F E8 M M 8 - psubsb_mm",
    "NP 0F E9 M M 8 - psubsw_mm", "NP 0F DC M M 8 - paddusb_mm", "NP 0F DD M M 8 - paddusw_mm",
    "NP 0F D8 M M 8 - psubusb_mm", "NP 0F D9 M M 8 - psubusw_mm", "NP 0F D5 M M 8 - pmullw_mm",
    "NP 0F E5 M M 8 - pmulhw_mm", "NP 0F F5 M M 8 - pmaddwd_mm", "NP 0F 74 M M 8 - pcmpeqb_mm",
    "NP 0F 75 M M 8 - pcmpeqw_mm", "NP 0F 76 M M 8 - pcmpeqd_mm", "NP 0F 64 M M 8 - pcmpgtb_mm",
    "NP 0F 65 M M 8 - pcmpgtw_mm", "NP 0F 66 M M 8 - pcmpgtd_mm", "NP 0F DB M M 8 - pand_mm",
    "NP 0F DF M M 8 - pandn_mm", "NP 0F EB M M 8 - por_mm", "NP 0F EF M M 8 - pxor_mm",
    /* PCLMULQDQ, AES-NI */
    "66 3A 44 X X 16A i pclmulqdq", "66 38 DB X X 16A - aesimc", "66 38 DC X X 16A - aesenc",
    "66 38 DD X X 16A - aesenclast", "66 38 DE X X 16A - aesdec", "66 38 DF X X 16A - aesdeclast",
    "66 3A DF X X 16A i aeskeygenassist",
};
#define NTEMPL (sizeof(templ_text) / sizeof(templ_text[0]))

enum kind { K_X, K_M, K_G, K_EXT };

struct templ {
    const char *name;
    uint8_t pfx, map, op;
    uint8_t regk, rmk, ext;
    uint8_t mem;       /* 0 = register form only; 0xff = W-sized */
    bool aligned, mem_only, rexw, approx, dot;
    char imm;          /* 0, 'i', '7', 'f' */
};

static struct templ templs[NTEMPL];

static uint8_t parse_kind(const char *s, uint8_t *ext)
{
    switch (s[0]) {
    case 'X': return K_X;
    case 'M': return K_M;
    case 'G': return K_G;
    default: *ext = (uint8_t)(s[1] - '0'); return K_EXT;
    }
}

static void parse_templates(void)
{
    for (unsigned i = 0; i < NTEMPL; i++) {
        char buf[128], *tok[12];
        unsigned n = 0;
        snprintf(buf, sizeof(buf), "%s", templ_text[i]);
        for (char *p = strtok(buf, " "); p && n < 12; p = strtok(NULL, " "))
            tok[n++] = p;
        struct templ *t = &templs[i];
        memset(t, 0, sizeof(*t));
        t->pfx = !strcmp(tok[0], "66") ? 0x66 : !strcmp(tok[0], "F3") ? 0xf3
                 : !strcmp(tok[0], "F2") ? 0xf2 : 0;
        t->map = !strcmp(tok[1], "0F") ? 1 : !strcmp(tok[1], "38") ? 2 : 3;
        t->op = (uint8_t)strtoul(tok[2], NULL, 16);
        t->regk = parse_kind(tok[3], &t->ext);
        t->rmk = parse_kind(tok[4], &t->ext);
        if (tok[5][0] != '-') {
            t->mem = tok[5][0] == 'W' ? 0xff : (uint8_t)atoi(tok[5]);
            t->aligned = strchr(tok[5], 'A') != NULL;
            t->mem_only = strchr(tok[5], '!') != NULL;
        }
        t->imm = tok[6][0] == '-' ? 0 : tok[6][0];
        for (unsigned k = 7; k + 1 < n; k++) {
            if (!strcmp(tok[k], "w"))
                t->rexw = true;
            if (!strcmp(tok[k], "~"))
                t->approx = true;
            if (!strcmp(tok[k], "n"))
                t->dot = true;
        }
        t->name = templ_text[i] + (strrchr(templ_text[i], ' ') - templ_text[i]) + 1;
    }
}

/* ---- sequence generation ---- */

/* GPRs an instruction may name: not RSP, RSI (data base), RDI (mask
 * store address), RBP, R12-R15. */
static const uint8_t gpr_pool[] = {0, 1, 2, 3, 8, 9, 10, 11};

/* The last instruction of a sequence when its result is compared with
 * what the architecture defines rather than bit for bit. */
struct loose_info {
    bool present;
    const struct templ *t;
    unsigned dst, src;       /* XMM numbers; src unused for memory */
    bool src_mem;
    unsigned offset;         /* memory operand: byte offset in the data buffer */
    unsigned code_off;       /* where it starts in the sequence */
    unsigned imm;
    /* turtles' operands just before it ran (run_turtles fills them) */
    bool reached;
    xmm_t dst_val, src_val;
};

struct seq {
    struct enc code;
    unsigned count;
    const char *names[64];   /* the templates in order, for reports */
    struct loose_info loose;
};

static unsigned pick_reg(uint8_t kind)
{
    switch (kind) {
    case K_X: return rn(16);
    case K_M: return rn(8);
    default: return gpr_pool[rn(sizeof(gpr_pool))];
    }
}

static const char *only;

/* The CPUID feature a template needs (SDM Vol.2 "CPUID Feature Flag" of
 * each instruction): NULL for SSE/SSE2 and the MMX forms, which every
 * x86-64 CPU has. */
static const char *templ_feature(const struct templ *t)
{
    if (t->map == 3 && t->op == 0x44)
        return "pclmulqdq";
    if ((t->map == 2 && t->op >= 0xdb && t->op <= 0xdf) || (t->map == 3 && t->op == 0xdf))
        return "aes";
    if ((t->map == 3 && t->op >= 0x60 && t->op <= 0x63) || (t->map == 2 && t->op == 0x37))
        return "sse4.2";
    if ((t->map == 2 && (t->op <= 0x0b || (t->op >= 0x1c && t->op <= 0x1e))) ||
        (t->map == 3 && t->op == 0x0f))
        return "ssse3";
    if (t->map != 1)
        return "sse4.1";
    if ((t->pfx == 0xf2 && (t->op == 0xf0 || t->op == 0x12 || t->op == 0x7c || t->op == 0x7d ||
                            t->op == 0xd0)) ||
        (t->pfx == 0xf3 && (t->op == 0x12 || t->op == 0x16)) ||
        (t->pfx == 0x66 && (t->op == 0x7c || t->op == 0x7d || t->op == 0xd0)))
        return "sse3";
    return NULL;
}

/* Does the host's CPUID report the feature? (leaf 1 ECX, SDM Vol.2 CPUID
 * Table 3-10) */
static bool host_has(const char *feature)
{
    static const struct { const char *name; unsigned bit; } ecx1[] = {
        {"sse3", 0}, {"pclmulqdq", 1}, {"ssse3", 9}, {"sse4.1", 19}, {"sse4.2", 20}, {"aes", 25},
    };
    if (!feature)
        return true;
    for (unsigned i = 0; i < sizeof(ecx1) / sizeof(ecx1[0]); i++)
        if (!strcmp(ecx1[i].name, feature))
            return (oracle_host()->leaf1_ecx >> ecx1[i].bit) & 1;
    return false;
}

/* Templates the sequences draw from: those the host runs, narrowed by
 * SSE_ORACLE_ONLY. */
static const struct templ *usable[NTEMPL];
static unsigned nusable;

static void select_templates(void)
{
    unsigned skipped = 0;
    const char *missing[8];
    unsigned nmissing = 0;
    for (unsigned i = 0; i < NTEMPL; i++) {
        const struct templ *t = &templs[i];
        const char *f = templ_feature(t);
        if (!host_has(f)) {
            skipped++;
            bool listed = false;
            for (unsigned k = 0; k < nmissing; k++)
                listed |= !strcmp(missing[k], f);
            if (!listed && nmissing < 8)
                missing[nmissing++] = f;
            continue;
        }
        if (!only || !strncmp(t->name, only, strlen(only)))
            usable[nusable++] = t;
    }
    printf("test_oracle_sse: %u of %u templates in use", nusable, (unsigned)NTEMPL);
    if (skipped) {
        printf("; %u skipped, the host's CPUID lacks", skipped);
        for (unsigned k = 0; k < nmissing; k++)
            printf(" %s", missing[k]);
    }
    printf("\n");
}

static const struct templ *pick_template(void)
{
    return usable[rn(nusable)];
}

static void emit_insn(struct seq *s, const struct templ *t)
{
    struct enc *e = &s->code;
    unsigned code_off = e->n;
    bool mem = t->mem && (t->mem_only || rn(2));
    unsigned reg = t->regk == K_EXT ? t->ext : pick_reg(t->regk);
    unsigned rm = mem ? 6 : pick_reg(t->rmk);
    unsigned rex = 0;
    if (t->rexw && rn(2))
        rex |= 8;
    if (t->regk != K_EXT && t->regk != K_M && reg >= 8)
        rex |= 4;
    if (!mem && t->rmk != K_M && rm >= 8)
        rex |= 1;
    /* REX.R and REX.B do not extend MMX register numbers: set them at random. */
    if (t->regk == K_M && rn(4) == 0)
        rex |= 4;
    if (!mem && t->rmk == K_M && rn(4) == 0)
        rex |= 1;
    /* An occasional redundant REX checks that it changes nothing. */
    if (!rex && rn(8) == 0)
        rex = 0x40;
    if (t->pfx)
        e8(e, t->pfx);
    if (rex)
        e8(e, (uint8_t)(0x40 | rex));
    e8(e, 0x0f);
    if (t->map == 2)
        e8(e, 0x38);
    else if (t->map == 3)
        e8(e, 0x3a);
    e8(e, t->op);
    unsigned offset = 0;
    if (mem) {
        offset = t->aligned ? 16 * rn(8) : rn(113);
        e8(e, (uint8_t)(0x40 | ((reg & 7) << 3) | 6));
        e8(e, (uint8_t)offset);
    } else {
        e8(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
    }
    unsigned imm = 0;
    switch (t->imm) {
    case 'i': imm = (uint8_t)rnd(); break;
    case '7': imm = rn(8); break;
    case 'f': imm = rn(16); break;
    default: break;
    }
    if (t->imm)
        e8(e, imm);
    if (t->approx || t->dot)
        s->loose = (struct loose_info){.present = true, .t = t, .dst = reg, .src = rm,
                                       .src_mem = mem, .offset = offset,
                                       .code_off = code_off, .imm = imm};
    if (s->count < 64)
        s->names[s->count] = t->name;
    s->count++;
}

static unsigned max_seq = 8;

static void gen_seq(struct seq *s)
{
    memset(s, 0, sizeof(*s));
    unsigned n = 1 + rn(max_seq);
    for (unsigned i = 0; i < n; i++) {
        const struct templ *t = pick_template();
        emit_insn(s, t);
        /* An implementation-specific result must not feed anything. */
        if (t->approx || t->dot)
            return;
    }
}

/* ---- starting values ---- */

static uint32_t rand_f32(void)
{
    uint32_t sign = (uint32_t)(rnd() & 1) << 31;
    switch (rn(12)) {
    case 0: return sign;                                          /* zero */
    case 1: return sign | 0x7f800000u;                            /* infinity */
    case 2: return sign | 0x7fc00000u | (uint32_t)(rnd() & 0x3fffff); /* QNaN */
    case 3: return sign | 0x7f800000u | (uint32_t)(1 + rn(0x3fffff)); /* SNaN */
    case 4: return sign | (uint32_t)(1 + rn(0x7fffff));           /* denormal */
    case 5: return sign | ((uint32_t)(1 + rn(3)) << 23) | (uint32_t)(rnd() & 0x7fffff); /* tiny */
    case 6: return sign | ((uint32_t)(0xfc + rn(3)) << 23) | (uint32_t)(rnd() & 0x7fffff); /* huge */
    case 7: return (uint32_t)(rnd() & 0xffff);                   /* small integer bits */
    case 8: return sign | ((uint32_t)(120 + rn(16)) << 23) | (uint32_t)(rnd() & 0x7fffff);
    case 9: return sign | ((uint32_t)(127 + rn(32)) << 23) | (uint32_t)(rnd() & 0x7fff00);
    default: return (uint32_t)rnd();
    }
}

static uint64_t rand_f64(void)
{
    uint64_t sign = (rnd() & 1) << 63;
    switch (rn(12)) {
    case 0: return sign;
    case 1: return sign | 0x7ff0000000000000ull;
    case 2: return sign | 0x7ff8000000000000ull | (rnd() & 0x7ffffffffffffull);
    case 3: return sign | 0x7ff0000000000000ull | (1 + (rnd() & 0x7ffffffffffffull));
    case 4: return sign | (1 + (rnd() & 0xfffffffffffffull));
    case 5: return sign | ((uint64_t)(1 + rn(3)) << 52) | (rnd() & 0xfffffffffffffull);
    case 6: return sign | ((uint64_t)(0x7fc + rn(3)) << 52) | (rnd() & 0xfffffffffffffull);
    case 7: return rnd() & 0xffffffff;
    case 8: return sign | ((uint64_t)(1000 + rn(48)) << 52) | (rnd() & 0xfffffffffffffull);
    /* values near the int32/int64 conversion limits */
    case 9: return sign | ((uint64_t)(1023 + 28 + rn(40)) << 52) | (rnd() & 0xfffff00000000ull);
    default: return rnd();
    }
}

static uint64_t rand_lane64(void)
{
    switch (rn(4)) {
    case 0: return rand_f64();
    case 1: return rand_f32() | (uint64_t)rand_f32() << 32;
    case 2: {
        static const uint64_t special[] = {0, ~0ull, 0x8000000080000000ull,
                                           0x7fff7fff7fff7fffull, 0x0080008000800080ull,
                                           0x00ff00ff00ff00ffull, 0x8000800080008000ull};
        return special[rn(sizeof(special) / sizeof(special[0]))];
    }
    default: return rnd();
    }
}

static uint64_t rand_gpr(void)
{
    switch (rn(6)) {
    case 0: return rn(40);
    case 1: return (uint64_t)-(int64_t)rn(40);
    case 2: return rand_f32();
    case 3: return 0x8000000000000000ull >> rn(64);
    default: return rnd();
    }
}

static bool unmask_some; /* second test: random exception masks */

static uint32_t rand_mxcsr(void)
{
    uint32_t m = SSE_MXCSR_MASKS | (rn(4) << SSE_MXCSR_RC_SHIFT);
    if (unmask_some)
        m &= ~(((uint32_t)rnd() & (uint32_t)rnd() & SSE_MXCSR_FLAGS) << SSE_MXCSR_MASK_SHIFT);
    if (rn(3) == 0)
        m |= SSE_MXCSR_DAZ;
    if (rn(3) == 0)
        m |= SSE_MXCSR_FTZ;
    if (rn(4) == 0)
        m |= (uint32_t)rnd() & SSE_MXCSR_FLAGS;
    return m;
}

/* ---- native side ---- */

static struct sse_state *host_state;
static uint8_t *host_data;
static unsigned native_seq_off;   /* where the sequence starts in the native stub */
static sigjmp_buf native_jmp;
static struct sse_state native_fault_state;
static uint64_t native_fault_rip;

/* #XM reaches user space as SIGFPE: take the state at the fault from the
 * signal frame and leave the stub. */
static void native_sigfpe(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    const ucontext_t *uc = ctx;
    const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    struct sse_state *o = &native_fault_state;
    for (int r = 0; r < 16; r++)
        memcpy(&o->xmm[r], &fp->_xmm[r], 16);
    for (int r = 0; r < 8; r++)
        memcpy(&o->mm[r], fp->_st[r].significand, 8);
    static const int greg[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                 REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                 REG_R12, REG_R13, REG_R14, REG_R15};
    for (int r = 0; r < 16; r++)
        o->gpr[r] = (uint64_t)uc->uc_mcontext.gregs[greg[r]];
    o->rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    o->mxcsr = fp->mxcsr;
    native_fault_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    siglongjmp(native_jmp, 1);
}

/* [r15 + disp32] operand with the given ModRM.reg. */
static void r15_mem(struct enc *e, unsigned reg, uint32_t disp)
{
    e8(e, (uint8_t)(0x80 | ((reg & 7) << 3) | 7));
    e32(e, disp);
}

static void build_native(const struct seq *s)
{
    struct enc e = {.n = 0};
    static const uint8_t saves[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
    for (unsigned i = 0; i < sizeof(saves); i++)
        e8(&e, saves[i]);
    e8(&e, 0x49); e8(&e, 0xbf); /* mov r15, imm64 */
    for (int i = 0; i < 8; i++)
        e8(&e, (uint8_t)(STATE_ADDR >> (8 * i)));
    e8(&e, 0x41); e8(&e, 0x0f); e8(&e, 0xae); r15_mem(&e, 3, OFF_HOST_MXCSR); /* stmxcsr */
    for (unsigned r = 0; r < 8; r++) { /* movq mm, [r15+] */
        e8(&e, 0x41); e8(&e, 0x0f); e8(&e, 0x6f); r15_mem(&e, r, OFF_MM + 8 * r);
    }
    for (unsigned r = 0; r < 16; r++) { /* movdqu xmm, [r15+] */
        e8(&e, 0xf3); e8(&e, (uint8_t)(0x41 | (r >= 8 ? 4 : 0)));
        e8(&e, 0x0f); e8(&e, 0x6f); r15_mem(&e, r, OFF_XMM + 16 * r);
    }
    e8(&e, 0x41); e8(&e, 0x0f); e8(&e, 0xae); r15_mem(&e, 2, OFF_MXCSR); /* ldmxcsr */
    e8(&e, 0x41); e8(&e, 0xff); r15_mem(&e, 6, OFF_FLAGS);               /* push [flags] */
    e8(&e, 0x9d);                                                       /* popfq */
    for (unsigned r = 0; r < 15; r++) { /* mov r, [r15+] */
        if (r == R_SP)
            continue;
        e8(&e, (uint8_t)(0x49 | (r >= 8 ? 4 : 0))); e8(&e, 0x8b);
        r15_mem(&e, r, OFF_GPR + 8 * r);
    }
    native_seq_off = e.n;
    memcpy(e.b + e.n, s->code.b, s->code.n);
    e.n += s->code.n;
    e8(&e, 0x9c);                                                       /* pushfq */
    e8(&e, 0x41); e8(&e, 0x8f); r15_mem(&e, 0, OFF_FLAGS);               /* pop [flags] */
    for (unsigned r = 0; r < 15; r++) {
        if (r == R_SP)
            continue;
        e8(&e, (uint8_t)(0x49 | (r >= 8 ? 4 : 0))); e8(&e, 0x89);
        r15_mem(&e, r, OFF_GPR + 8 * r);
    }
    for (unsigned r = 0; r < 16; r++) {
        e8(&e, 0xf3); e8(&e, (uint8_t)(0x41 | (r >= 8 ? 4 : 0)));
        e8(&e, 0x0f); e8(&e, 0x7f); r15_mem(&e, r, OFF_XMM + 16 * r);
    }
    for (unsigned r = 0; r < 8; r++) {
        e8(&e, 0x41); e8(&e, 0x0f); e8(&e, 0x7f); r15_mem(&e, r, OFF_MM + 8 * r);
    }
    e8(&e, 0x41); e8(&e, 0x0f); e8(&e, 0xae); r15_mem(&e, 3, OFF_MXCSR);  /* stmxcsr */
    e8(&e, 0x0f); e8(&e, 0x77);                                         /* emms */
    e8(&e, 0x41); e8(&e, 0x0f); e8(&e, 0xae); r15_mem(&e, 2, OFF_HOST_MXCSR);
    static const uint8_t restores[] = {0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,
                                       0xc3};
    for (unsigned i = 0; i < sizeof(restores); i++)
        e8(&e, restores[i]);
    memcpy((void *)(uintptr_t)CODE_ADDR, e.b, e.n);
}

/* Returns -1, or EXC_XM with *fault_off the faulting instruction's offset
 * in the sequence. */
static int run_native(const struct seq *s, const struct sse_state *in, const uint8_t *data,
                      struct sse_state *out, uint8_t *out_data, uint64_t *fault_off)
{
    build_native(s);
    *host_state = *in;
    memcpy(host_data, data, DATA_SIZE);
    __builtin___clear_cache((char *)(uintptr_t)CODE_ADDR, (char *)(uintptr_t)CODE_ADDR + 4096);
    int fault = -1;
    if (sigsetjmp(native_jmp, 1) == 0) {
        ((void (*)(void))(uintptr_t)CODE_ADDR)();
        *out = *host_state;
    } else {
        *out = native_fault_state;
        out->host_mxcsr = 0;
        *fault_off = native_fault_rip - CODE_ADDR - native_seq_off;
        fault = EXC_XM;
    }
    memcpy(out_data, host_data, DATA_SIZE);
    return fault;
}

/* ---- turtles side ---- */

static struct harness H;
static struct cpu_model oracle_model;
static uint64_t executed;

/* Returns the exception vector raised, or -1. */
static int run_turtles(struct seq *s, const struct sse_state *in, const uint8_t *data,
                       struct sse_state *out, uint8_t *out_data, uint64_t *fault_off)
{
    struct cpu *c = &H.cpu;
    physmem_write_buf(&H.mem, SEQ_ADDR, s->code.b, s->code.n);
    physmem_write_buf(&H.mem, DATA_ADDR, data, DATA_SIZE);
    memcpy(c->xmm, in->xmm, sizeof(c->xmm));
    for (int i = 0; i < 8; i++) {
        c->fpu.st[i].mant = in->mm[i];
        c->fpu.st[i].sign_exp = 0;
    }
    memcpy(c->gpr, in->gpr, sizeof(c->gpr));
    c->rflags = in->rflags;
    c->mxcsr = in->mxcsr;
    c->rip = SEQ_ADDR;
    int fault = -1;
    uint64_t end = SEQ_ADDR + s->code.n;
    /* One setjmp for the run: nothing local changes between it and a raise. */
    if (setjmp(c->exc_jmp)) {
        fault = H.cpu.exc_vector;
    } else {
        while (c->rip < end) {
            struct insn insn;
            if (decode_insn(&insn, 8, oracle_model.isa_mask, oracle_fetch_phys, &H.mem, c->rip) !=
                DECODE_OK) {
                fault = EXC_UD;
                break;
            }
            c->next_rip = c->rip + insn.len;
            struct loose_info *l = &s->loose;
            if (l->present && c->rip == SEQ_ADDR + l->code_off) {
                l->reached = true;
                l->dst_val = c->xmm[l->dst];
                if (l->src_mem)
                    physmem_read_buf(&H.mem, DATA_ADDR + l->offset, &l->src_val, 16);
                else
                    l->src_val = c->xmm[l->src];
            }
            insn.fn(c, &insn);
            c->rip = c->next_rip;
            executed++;
        }
    }
    *fault_off = c->rip - SEQ_ADDR;
    *out = *in;
    out->host_mxcsr = 0;
    memcpy(out->xmm, c->xmm, sizeof(c->xmm));
    for (int i = 0; i < 8; i++)
        out->mm[i] = c->fpu.st[i].mant;
    memcpy(out->gpr, c->gpr, sizeof(c->gpr));
    out->rflags = c->rflags;
    out->mxcsr = c->mxcsr;
    physmem_read_buf(&H.mem, DATA_ADDR, out_data, DATA_SIZE);
    return fault;
}

/* ---- comparison ---- */

static unsigned mismatches, printed;
static unsigned max_print = 10; /* SSE_ORACLE_PRINT */

static void dump(const struct seq *s, const struct sse_state *in)
{
    fprintf(stderr, "  templates:");
    for (unsigned i = 0; i < s->count && i < 64; i++)
        fprintf(stderr, " %s", s->names[i]);
    fprintf(stderr, "\n  code:");
    for (unsigned i = 0; i < s->code.n; i++)
        fprintf(stderr, " %02x", s->code.b[i]);
    fprintf(stderr, "\n  mxcsr in %08x\n", in->mxcsr);
    for (int r = 0; r < 16; r++)
        fprintf(stderr, "  in xmm%-2d %016llx %016llx  gpr %016llx\n", r,
                (unsigned long long)in->xmm[r].q[1], (unsigned long long)in->xmm[r].q[0],
                (unsigned long long)in->gpr[r]);
    for (int r = 0; r < 8; r++)
        fprintf(stderr, "  in mm%d %016llx\n", r, (unsigned long long)in->mm[r]);
}

static void mismatch(const struct seq *s, const struct sse_state *in, const char *what,
                     unsigned idx, uint64_t native, uint64_t emu)
{
    mismatches++;
    if (printed++ >= max_print)
        return;
    fprintf(stderr, "mismatch: %s[%u] native %016llx turtles %016llx\n", what, idx,
            (unsigned long long)native, (unsigned long long)emu);
    dump(s, in);
}

/* The last instruction's destination lanes when the architecture leaves
 * their bits to the implementation: each checked against the definition,
 * and marked in skip_lane so that the exact comparison leaves them out. */
static uint64_t loose_lanes, loose_differ; /* lanes checked by definition; of them, bits differed */

static void compare_loose(const struct seq *s, const struct sse_state *in,
                          const struct sse_state *n, const struct sse_state *t,
                          bool skip_lane[16][4])
{
    const struct loose_info *l = &s->loose;
    if (!l->present || !l->reached)
        return;
    const xmm_t *nd = &n->xmm[l->dst], *td = &t->xmm[l->dst];
    if (l->t->approx) {
        bool scalar = l->t->pfx == 0xf3, rsqrt = l->t->op == 0x52;
        for (unsigned k = 0; k < (scalar ? 1u : 4u); k++) {
            skip_lane[l->dst][k] = true;
            uint32_t src = l->src_val.d[k];
            loose_lanes++;
            loose_differ += nd->d[k] != td->d[k];
            if (!oracle_approx_ok(src, nd->d[k], rsqrt) ||
                !oracle_approx_ok(src, td->d[k], rsqrt)) {
                fprintf(stderr, "approx source lane %08x\n", src);
                mismatch(s, in, "approx lane", l->dst * 4 + k, nd->d[k], td->d[k]);
            }
        }
        return;
    }
    bool pd = l->t->op == 0x41;
    for (unsigned k = 0; k < (pd ? 2u : 4u); k++) {
        uint64_t nv = pd ? nd->q[k] : nd->d[k], tv = pd ? td->q[k] : td->d[k];
        loose_lanes++;
        loose_differ += nv != tv;
        if (pd)
            skip_lane[l->dst][2 * k] = skip_lane[l->dst][2 * k + 1] = true;
        else
            skip_lane[l->dst][k] = true;
        if (!oracle_dp_lane_ok(&l->dst_val, &l->src_val, l->imm, pd, k, nv, tv))
            mismatch(s, in, pd ? "dppd lane" : "dpps lane", l->dst * 4 + k, nv, tv);
    }
}

static void compare(const struct seq *s, const struct sse_state *in, const struct sse_state *n,
                    const uint8_t *nd, const struct sse_state *t, const uint8_t *td)
{
    bool skip_lane[16][4] = {{false}};
    compare_loose(s, in, n, t, skip_lane);
    for (unsigned r = 0; r < 16; r++)
        for (unsigned l = 0; l < 4; l++)
            if (!skip_lane[r][l] && n->xmm[r].d[l] != t->xmm[r].d[l])
                mismatch(s, in, "xmm dword", r * 4 + l, n->xmm[r].d[l], t->xmm[r].d[l]);
    for (unsigned r = 0; r < 8; r++)
        if (n->mm[r] != t->mm[r])
            mismatch(s, in, "mm", r, n->mm[r], t->mm[r]);
    for (unsigned r = 0; r < 16; r++)
        if (r != R_SP && r != R_R15 && n->gpr[r] != t->gpr[r])
            mismatch(s, in, "gpr", r, n->gpr[r], t->gpr[r]);
    if ((n->rflags ^ t->rflags) & ARITH)
        mismatch(s, in, "rflags", 0, n->rflags & ARITH, t->rflags & ARITH);
    if (n->mxcsr != t->mxcsr)
        mismatch(s, in, "mxcsr", 0, n->mxcsr, t->mxcsr);
    for (unsigned i = 0; i < DATA_SIZE; i++)
        if (nd[i] != td[i]) {
            mismatch(s, in, "data byte", i, nd[i], td[i]);
            break;
        }
}

/* ---- the test ---- */

/* The default run: the full one in the optimized build, a shorter one
 * under AddressSanitizer (about 10 times slower) so that the sanitized unit
 * run stays fast. */
#if ORACLE_UNDER_ASAN
#define DEFAULT_MASKED_INSNS 100000
#define DEFAULT_UNMASKED_INSNS 40000
#else
#define DEFAULT_MASKED_INSNS 600000
#define DEFAULT_UNMASKED_INSNS 200000
#endif

static bool oracle_ready;
static void *oracle_region;

static void oracle_setup(void)
{
    if (oracle_ready)
        return;
    rng = oracle_env_u64("SSE_ORACLE_SEED", 0x5353456f7261636cull);
    only = getenv("SSE_ORACLE_ONLY");
    if (getenv("SSE_ORACLE_SEQ"))
        max_seq = (unsigned)atoi(getenv("SSE_ORACLE_SEQ"));
    max_print = (unsigned)oracle_env_u64("SSE_ORACLE_PRINT", 10);
    parse_templates();
    select_templates();
    /* What Intel and AMD define differently is compared by its definition
     * on every host (see the top of the file); nothing else differs among
     * these templates, so no form is skipped by vendor. */
    printf("test_oracle_sse: compared by definition, not bits: rcpps rcpss rsqrtps rsqrtss "
           "(SDM bound), dpps dppd (which NaN propagates)\n");
    oracle_region = oracle_map_fixed(REGION_BASE, REGION_SIZE);
    ck_assert_msg(oracle_region != NULL, "cannot map the oracle region");
    host_state = (struct sse_state *)(uintptr_t)STATE_ADDR;
    host_data = (uint8_t *)(uintptr_t)DATA_ADDR;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = native_sigfpe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    oracle_turtles_init(&H, &oracle_model, 64);
    oracle_ready = true;
}

/* Run random sequences until `count` more instructions have executed in
 * turtles; returns the number of sequences that ended in #XM. */
static uint64_t oracle_run(uint64_t count, const char *label)
{
    uint64_t seqs = 0, faults = 0, start = executed;
    uint64_t loose_before = loose_lanes, differ_before = loose_differ;
    unsigned before = mismatches;
    clock_t t0 = clock();
    static uint8_t data[DATA_SIZE], nd[DATA_SIZE], td[DATA_SIZE];
    while (executed - start < count) {
        struct seq s;
        gen_seq(&s);
        struct sse_state in, n, t;
        memset(&in, 0, sizeof(in));
        for (int r = 0; r < 16; r++) {
            in.xmm[r].q[0] = rand_lane64();
            in.xmm[r].q[1] = rand_lane64();
            in.gpr[r] = rand_gpr();
        }
        for (int r = 0; r < 8; r++)
            in.mm[r] = rand_lane64();
        in.gpr[R_SI] = DATA_ADDR;
        in.gpr[R_DI] = DATA_ADDR + 128 + rn(112);
        in.gpr[R_SP] = 0;
        in.gpr[R_R15] = STATE_ADDR;
        in.rflags = 0x202 | (rnd() & ARITH);
        in.mxcsr = rand_mxcsr();
        for (unsigned i = 0; i < DATA_SIZE; i += 8) {
            uint64_t v = rand_lane64();
            memcpy(data + i, &v, 8);
        }
        uint64_t noff = 0, toff = 0;
        int nf = run_native(&s, &in, data, &n, nd, &noff);
        int tf = run_turtles(&s, &in, data, &t, td, &toff);
        if (nf != tf || (nf >= 0 && noff != toff))
            mismatch(&s, &in, "fault (vector << 32 | offset)", 0,
                     (uint64_t)(uint32_t)nf << 32 | noff, (uint64_t)(uint32_t)tf << 32 | toff);
        else
            compare(&s, &in, &n, nd, &t, td);
        if (nf >= 0)
            faults++;
        seqs++;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("sse oracle (%s): %llu instructions in %llu sequences (%llu ending in #XM), "
           "%u templates, %u mismatches, %.1f s\n",
           label, (unsigned long long)(executed - start), (unsigned long long)seqs,
           (unsigned long long)faults, nusable, mismatches - before, secs);
    printf("sse oracle (%s): %llu RCP/RSQRT/DPPS/DPPD lanes checked by definition, %llu of them "
           "not bit-equal to the host's\n",
           label, (unsigned long long)(loose_lanes - loose_before),
           (unsigned long long)(loose_differ - differ_before));
    return faults;
}

START_TEST(test_sse_oracle_masked)
{
    oracle_setup();
    unmask_some = false;
    oracle_run(oracle_env_u64("SSE_ORACLE_INSNS", DEFAULT_MASKED_INSNS), "all exceptions masked");
    ck_assert_uint_eq(mismatches, 0);
}
END_TEST

/* Unmasked exceptions: the fault, the flags it leaves in MXCSR and the
 * untouched destination must match too. */
START_TEST(test_sse_oracle_unmasked)
{
    oracle_setup();
    unmask_some = true;
    uint64_t faults =
        oracle_run(oracle_env_u64("SSE_ORACLE_XM_INSNS", DEFAULT_UNMASKED_INSNS), "random masks");
    if (!only)
        ck_assert_uint_gt(faults, 0);
    ck_assert_uint_eq(mismatches, 0);
}
END_TEST

static Suite *oracle_suite(void)
{
    Suite *s = suite_create("oracle_sse");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_sse_oracle_masked);
    tcase_add_test(tc, test_sse_oracle_unmasked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    oracle_print_host("test_oracle_sse");
    return oracle_run_suite(oracle_suite());
}

#else /* not x86-64: no oracle to ask */

int main(void)
{
    printf("test_oracle_sse: skipped (the host is not x86-64)\n");
    return 0;
}

#endif

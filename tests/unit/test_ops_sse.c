/* SSE..SSE4.2 handlers: the architectural checks the host-CPU oracle cannot
 * reach (#UD/#NM gating, alignment #GP, unmasked SIMD exceptions, MXCSR
 * reserved bits, ISA gating, MMX state entry) and known answers that run
 * on any host. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/fpu_sse_float.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"

#define CODE 0x10000ull
#define DATA 0x20000ull

static struct harness H;
static struct cpu_model model;

static bool fetch_phys(void *opaque, uint64_t off, uint8_t *b)
{
    (void)opaque;
    *b = (uint8_t)physmem_read(&H.mem, off, 1);
    return true;
}

static void setup(unsigned bits)
{
    harness_init(&H, bits);
    model = *cpu_models[0];
    model.isa_mask = ~0ull;
    H.cpu.model = &model;
    H.cpu.mxcsr = SSE_MXCSR_DEFAULT;
}

static void setup64(void) { setup(64); }
static void teardown(void) { harness_free(&H); }

/* Run the instructions at CODE; returns the exception vector or -1. One
 * setjmp for the whole run keeps every local out of the longjmp's way. */
static int run(const uint8_t *code, size_t len)
{
    physmem_write_buf(&H.mem, CODE, code, len);
    H.cpu.rip = CODE;
    H.cpu.exc_vector = -1;
    if (setjmp(H.cpu.exc_jmp))
        return H.cpu.exc_vector;
    while (H.cpu.rip < CODE + len) {
        struct insn in;
        if (decode_insn(&in, H.cpu.code_size, H.cpu.model->isa_mask, fetch_phys, NULL,
                        H.cpu.rip) != DECODE_OK)
            return EXC_UD;
        H.cpu.next_rip = H.cpu.rip + in.len;
        in.fn(&H.cpu, &in);
        H.cpu.rip = H.cpu.next_rip;
    }
    return -1;
}

#define RUN(...) \
    run((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static const uint32_t F1 = 0x3f800000u, F2 = 0x40000000u, F3 = 0x40400000u;

START_TEST(test_addps_known)
{
    H.cpu.xmm[1] = (xmm_t){.d = {F1, F1, F2, 0}};
    H.cpu.xmm[2] = (xmm_t){.d = {F2, F1, F1, 0}};
    ck_assert_int_eq(RUN(0x0f, 0x58, 0xca), -1); /* addps xmm1, xmm2 */
    ck_assert_uint_eq(H.cpu.xmm[1].d[0], F3);
    ck_assert_uint_eq(H.cpu.xmm[1].d[1], F2);
    ck_assert_uint_eq(H.cpu.xmm[1].d[2], F3);
    ck_assert_uint_eq(H.cpu.xmm[1].d[3], 0);
}
END_TEST

START_TEST(test_ud_without_osfxsr)
{
    H.cpu.cr4 &= ~CR4_OSFXSR;
    ck_assert_int_eq(RUN(0x0f, 0x58, 0xca), EXC_UD);
    /* SSE on MMX registers only does not look at OSFXSR (SDM table 22-8). */
    ck_assert_int_eq(RUN(0x0f, 0xe0, 0xca), -1); /* pavgb mm1, mm2 */
}
END_TEST

START_TEST(test_ud_with_em)
{
    H.cpu.cr0 |= CR0_EM;
    ck_assert_int_eq(RUN(0x66, 0x0f, 0xfe, 0xc1), EXC_UD); /* paddd */
    ck_assert_int_eq(RUN(0x0f, 0xe0, 0xca), EXC_UD);
}
END_TEST

START_TEST(test_nm_with_ts)
{
    H.cpu.cr0 |= CR0_TS;
    ck_assert_int_eq(RUN(0x0f, 0x28, 0xc1), EXC_NM); /* movaps */
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x1e), EXC_NM); /* stmxcsr [rsi] */
}
END_TEST

START_TEST(test_alignment)
{
    H.cpu.gpr[R_SI] = DATA + 8;
    H.cpu.xmm[0] = (xmm_t){.q = {0x1111, 0x2222}};
    physmem_write(&H.mem, DATA + 8, 0xaaaa, 8);
    physmem_write(&H.mem, DATA + 16, 0xbbbb, 8);
    ck_assert_int_eq(RUN(0x0f, 0x28, 0x06), EXC_GP);         /* movaps xmm0, [rsi] */
    ck_assert_uint_eq(H.cpu.exc_error, 0);
    ck_assert_int_eq(RUN(0x0f, 0x29, 0x06), EXC_GP);         /* movaps [rsi], xmm0 */
    ck_assert_uint_eq(physmem_read(&H.mem, DATA + 8, 8), 0xaaaa);
    ck_assert_int_eq(RUN(0x66, 0x0f, 0xfe, 0x06), EXC_GP);   /* paddd xmm0, [rsi] */
    ck_assert_uint_eq(H.cpu.xmm[0].q[0], 0x1111);
    ck_assert_int_eq(RUN(0x0f, 0x10, 0x06), -1);             /* movups: no check */
    ck_assert_uint_eq(H.cpu.xmm[0].q[0], 0xaaaa);
    ck_assert_uint_eq(H.cpu.xmm[0].q[1], 0xbbbb);
    ck_assert_int_eq(RUN(0xf3, 0x0f, 0x58, 0x06), -1);       /* addss: scalar, no check */
    /* PCMPxSTRx take unaligned memory (SDM Vol.2 PCMPISTRI). */
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x3a, 0x63, 0x06, 0x00), -1);
    H.cpu.gpr[R_SI] = DATA;
    ck_assert_int_eq(RUN(0x0f, 0x28, 0x06), -1);
}
END_TEST

/* Unmasked divide-by-zero: #XM with OSXMMEXCPT, else #UD; the destination
 * keeps its value and the flag is set (SDM Vol.1 11.5.4). */
START_TEST(test_unmasked_exception)
{
    H.cpu.mxcsr = SSE_MXCSR_DEFAULT & ~(SSE_MXCSR_ZE << SSE_MXCSR_MASK_SHIFT);
    H.cpu.xmm[1] = (xmm_t){.d = {F1, F1, F1, F1}};
    H.cpu.xmm[2] = (xmm_t){.d = {F2, 0, F2, F2}};
    ck_assert_int_eq(RUN(0x0f, 0x5e, 0xca), EXC_XM); /* divps xmm1, xmm2 */
    ck_assert_uint_eq(H.cpu.xmm[1].d[0], F1);
    ck_assert_uint_eq(H.cpu.xmm[1].d[1], F1);
    ck_assert(H.cpu.mxcsr & SSE_MXCSR_ZE);
    H.cpu.cr4 &= ~CR4_OSXMMEXCPT;
    ck_assert_int_eq(RUN(0x0f, 0x5e, 0xca), EXC_UD);
    /* Masked: the quotient is written. */
    H.cpu.mxcsr = SSE_MXCSR_DEFAULT;
    ck_assert_int_eq(RUN(0x0f, 0x5e, 0xca), -1);
    ck_assert_uint_eq(H.cpu.xmm[1].d[1], 0x7f800000u);
}
END_TEST

/* An unmasked pre-computation exception in one lane hides the
 * post-computation flags of the others (SDM Vol.1 11.5.1). */
START_TEST(test_pre_computation_priority)
{
    H.cpu.mxcsr = SSE_MXCSR_DEFAULT & ~(SSE_MXCSR_IE << SSE_MXCSR_MASK_SHIFT);
    H.cpu.xmm[1] = (xmm_t){.d = {F1, 0x7f800001u /* SNaN */, F1, F1}};
    H.cpu.xmm[2] = (xmm_t){.d = {F3, F1, F1, F1}};
    ck_assert_int_eq(RUN(0x0f, 0x5e, 0xca), EXC_XM); /* 1/3 would be inexact */
    ck_assert_uint_eq(H.cpu.mxcsr & SSE_MXCSR_FLAGS, SSE_MXCSR_IE);
    ck_assert_uint_eq(H.cpu.xmm[1].d[0], F1);
}
END_TEST

START_TEST(test_ldmxcsr)
{
    H.cpu.gpr[R_SI] = DATA;
    physmem_write(&H.mem, DATA, 0x10000 | 0x1f80, 4);
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x16), EXC_GP); /* ldmxcsr [rsi] */
    ck_assert_uint_eq(H.cpu.mxcsr, SSE_MXCSR_DEFAULT);
    physmem_write(&H.mem, DATA, 0x7f81, 4);
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x16), -1);
    ck_assert_uint_eq(H.cpu.mxcsr, 0x7f81);
    ck_assert_int_eq(RUN(0x0f, 0xae, 0x5e, 0x08), -1); /* stmxcsr [rsi+8] */
    ck_assert_uint_eq(physmem_read(&H.mem, DATA + 8, 4), 0x7f81);
}
END_TEST

START_TEST(test_isa_gating)
{
    model.isa_mask &= ~(1ull << ISA_SSE41);
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x38, 0x40, 0xc1), EXC_UD); /* pmulld */
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x38, 0x00, 0xc1), -1);     /* pshufb (SSSE3) */
}
END_TEST

/* MMX-register forms enter MMX state: TOP = 0, all tags valid, and a
 * written register's exponent field becomes all ones (SDM Vol.1 9.5.1). */
START_TEST(test_mmx_state)
{
    H.cpu.fpu.fsw = 5u << 11;
    H.cpu.fpu.ftw = 0xffff;
    H.cpu.fpu.st[1].mant = 0x0102030405060708ull;
    H.cpu.fpu.st[2].mant = 0x0101010101010101ull;
    ck_assert_int_eq(RUN(0x0f, 0xe0, 0xca), -1); /* pavgb mm1, mm2 */
    ck_assert_uint_eq(H.cpu.fpu.st[1].mant, 0x0102020303040405ull);
    ck_assert_uint_eq(H.cpu.fpu.st[1].sign_exp, 0xffff);
    ck_assert_uint_eq((H.cpu.fpu.fsw >> 11) & 7, 0);
    ck_assert_uint_eq(H.cpu.fpu.ftw, 0);
}
END_TEST

/* A pending unmasked x87 exception is delivered first (#MF with CR0.NE). */
START_TEST(test_mmx_pending_x87)
{
    H.cpu.fpu.fsw = 0x0081; /* IE with ES */
    H.cpu.fpu.fcw = 0x037e; /* IM clear */
    ck_assert_int_eq(RUN(0x0f, 0xe0, 0xca), EXC_MF);        /* pavgb mm1, mm2 */
    ck_assert_int_eq(RUN(0xf3, 0x0f, 0xd6, 0xc1), EXC_MF);  /* movq2dq xmm0, mm1 */
    ck_assert_int_eq(RUN(0x66, 0x0f, 0xe0, 0xca), -1);      /* pavgb xmm1, xmm2 */
}
END_TEST

START_TEST(test_pcmpistri_known)
{
    /* Find 'c' of the set "xc" in "abcd": equal any, bytes, index 2. */
    memcpy(H.cpu.xmm[1].b, "xc\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    memcpy(H.cpu.xmm[2].b, "abcd\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x3a, 0x63, 0xca, 0x00), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 2);
    ck_assert(H.cpu.rflags & F_CF);
    ck_assert(H.cpu.rflags & F_ZF);
    ck_assert(H.cpu.rflags & F_SF);
    /* Equal ordered: "cd" in "abcd" -> 2. */
    memcpy(H.cpu.xmm[1].b, "cd\0", 3);
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x3a, 0x63, 0xca, 0x0c), -1);
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 2);
}
END_TEST

START_TEST(test_gpr_forms)
{
    H.cpu.gpr[R_AX] = 0xfffffffffffffffdull; /* -3 */
    ck_assert_int_eq(RUN(0xf2, 0x48, 0x0f, 0x2a, 0xc0), -1); /* cvtsi2sd xmm0, rax */
    ck_assert_uint_eq(H.cpu.xmm[0].q[0], 0xc008000000000000ull);
    ck_assert_int_eq(RUN(0xf2, 0x48, 0x0f, 0x2d, 0xc8), -1); /* cvtsd2si rcx, xmm0 */
    ck_assert_uint_eq(H.cpu.gpr[R_CX], 0xfffffffffffffffdull);
    H.cpu.xmm[3] = (xmm_t){.q = {0x1111222233334444ull, 0x5555666677778888ull}};
    ck_assert_int_eq(RUN(0x66, 0x48, 0x0f, 0x3a, 0x16, 0xda, 0x01), -1); /* pextrq rdx, xmm3, 1 */
    ck_assert_uint_eq(H.cpu.gpr[R_DX], 0x5555666677778888ull);
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x7e, 0xdb), -1); /* movd ebx, xmm3 */
    ck_assert_uint_eq(H.cpu.gpr[R_BX], 0x33334444ull);
}
END_TEST

START_TEST(test_protected_mode_32)
{
    teardown();
    setup(32);
    H.cpu.gpr[R_AX] = 0x12345678;
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x6e, 0xc8), -1); /* movd xmm1, eax */
    ck_assert_uint_eq(H.cpu.xmm[1].q[0], 0x12345678);
    ck_assert_uint_eq(H.cpu.xmm[1].q[1], 0);
    H.cpu.gpr[R_SI] = DATA;
    ck_assert_int_eq(RUN(0x66, 0x0f, 0x7f, 0x0e), -1); /* movdqa [esi], xmm1 */
    ck_assert_uint_eq(physmem_read(&H.mem, DATA, 8), 0x12345678);
}
END_TEST

START_TEST(test_maskmovdqu)
{
    H.cpu.gpr[R_DI] = DATA;
    physmem_write(&H.mem, DATA, 0, 8);
    physmem_write(&H.mem, DATA + 8, 0, 8);
    H.cpu.xmm[1] = (xmm_t){.q = {0x8877665544332211ull, 0xffeeddccbbaa9988ull}};
    H.cpu.xmm[2] = (xmm_t){.q = {0x0000000080000080ull, 0x8000000000000000ull}};
    ck_assert_int_eq(RUN(0x66, 0x0f, 0xf7, 0xca), -1);
    ck_assert_uint_eq(physmem_read(&H.mem, DATA, 8), 0x0000000044000011ull);
    ck_assert_uint_eq(physmem_read(&H.mem, DATA + 8, 8), 0xff00000000000000ull);
}
END_TEST

/* Through the dispatch loop: RIP-relative operands are relative to the end
 * of the instruction, immediate included. */
START_TEST(test_rip_relative_with_imm)
{
    static const uint8_t code[] = {
        0x66, 0x0f, 0x70, 0x05, 0x17, 0x00, 0x00, 0x00, 0x1b, /* pshufd xmm0, [rip+0x17], 0x1b */
        0x0f, 0xc2, 0x0d, 0x1f, 0x00, 0x00, 0x00, 0x00,       /* cmpps xmm1, [rip+0x1f], 0 */
        0xf4,                                                 /* hlt */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,             /* pad to 0x20 */
        /* +0x20: data for pshufd: dwords 1, 2, 3, 4 */
        1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0,
        /* +0x30: data for cmpps */
        0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x80, 0x3f, 0, 0, 0, 0,
    };
    harness_load(&H, CODE, code, sizeof(code));
    H.cpu.xmm[1] = (xmm_t){.d = {F1, F1, F1, F1}};
    ck_assert_int_eq(harness_run(&H, CODE, 100), 0);
    ck_assert_uint_eq(H.cpu.xmm[0].d[0], 4);
    ck_assert_uint_eq(H.cpu.xmm[0].d[3], 1);
    ck_assert_uint_eq(H.cpu.xmm[1].d[0], 0xffffffffu);
    ck_assert_uint_eq(H.cpu.xmm[1].d[1], 0);
    ck_assert_uint_eq(H.cpu.xmm[1].d[2], 0xffffffffu);
    ck_assert_uint_eq(H.cpu.xmm[1].d[3], 0);
}
END_TEST

START_TEST(test_real_mode)
{
    teardown();
    setup(16);
    H.cpu.cr4 |= CR4_OSFXSR;
    H.cpu.gpr[R_BX] = 0x2000;
    H.cpu.gpr[R_SI] = 0x10;
    physmem_write(&H.mem, 0x2010, 0x1122334455667788ull, 8);
    physmem_write(&H.mem, 0x2018, 0x99aabbccddeeff00ull, 8);
    ck_assert_int_eq(RUN(0x0f, 0x10, 0x00), -1); /* movups xmm0, [bx+si] */
    ck_assert_uint_eq(H.cpu.xmm[0].q[0], 0x1122334455667788ull);
    ck_assert_uint_eq(H.cpu.xmm[0].q[1], 0x99aabbccddeeff00ull);
    H.cpu.cr4 &= ~CR4_OSFXSR;
    ck_assert_int_eq(RUN(0x0f, 0x10, 0x00), EXC_UD);
}
END_TEST

/* The whole 16 bytes must lie within the segment limit (SDM Vol.3A 5.3). */
START_TEST(test_segment_limit)
{
    teardown();
    setup(32);
    H.cpu.seg[S_DS].limit = 0x20fff;
    H.cpu.gpr[R_SI] = 0x20ff8;
    ck_assert_int_eq(RUN(0x0f, 0x10, 0x06), EXC_GP); /* movups xmm0, [esi] */
    ck_assert_int_eq(RUN(0x0f, 0x11, 0x06), EXC_GP); /* movups [esi], xmm0 */
    ck_assert_int_eq(RUN(0x0f, 0x12, 0x06), -1);     /* movlps: 8 bytes fit */
}
END_TEST

static Suite *sse_suite(void)
{
    Suite *s = suite_create("ops_sse");
    TCase *tc = tcase_create("sse");
    tcase_add_checked_fixture(tc, setup64, teardown);
    tcase_add_test(tc, test_addps_known);
    tcase_add_test(tc, test_ud_without_osfxsr);
    tcase_add_test(tc, test_ud_with_em);
    tcase_add_test(tc, test_nm_with_ts);
    tcase_add_test(tc, test_alignment);
    tcase_add_test(tc, test_unmasked_exception);
    tcase_add_test(tc, test_pre_computation_priority);
    tcase_add_test(tc, test_ldmxcsr);
    tcase_add_test(tc, test_isa_gating);
    tcase_add_test(tc, test_mmx_state);
    tcase_add_test(tc, test_mmx_pending_x87);
    tcase_add_test(tc, test_pcmpistri_known);
    tcase_add_test(tc, test_gpr_forms);
    tcase_add_test(tc, test_protected_mode_32);
    tcase_add_test(tc, test_maskmovdqu);
    tcase_add_test(tc, test_rip_relative_with_imm);
    tcase_add_test(tc, test_real_mode);
    tcase_add_test(tc, test_segment_limit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

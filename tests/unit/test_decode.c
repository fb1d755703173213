/* Decoder tests: hand-picked encodings (prefixes, REX, ModRM/SIB, RIP-relative,
 * immediates, mandatory prefixes, LOCK rules, the 15-byte limit) and a
 * randomized comparison of instruction lengths against Capstone, an
 * independent x86 decoder, in 16-, 32- and 64-bit code. */
#include <capstone/capstone.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/opcodes.h"

struct bytes {
    const uint8_t *p;
    size_t n;
};

static bool fetch(void *opaque, uint64_t off, uint8_t *b)
{
    struct bytes *bs = opaque;
    if (off >= bs->n)
        return false;
    *b = bs->p[off];
    return true;
}

static const uint64_t all_isa = ~0ull;

static enum decode_status dec(struct insn *in, unsigned cs, const uint8_t *code, size_t n)
{
    struct bytes bs = {code, n};
    return decode_insn(in, cs, all_isa, fetch, &bs, 0);
}

START_TEST(test_prefixes_and_sizes)
{
    struct insn in;
    /* 66 48 89 c8: REX.W wins over 66 -> mov rax, rcx (8 bytes) */
    static const uint8_t a[] = {0x66, 0x48, 0x89, 0xc8};
    ck_assert_int_eq(dec(&in, 8, a, sizeof(a)), DECODE_OK);
    ck_assert_int_eq(in.len, 4);
    ck_assert_int_eq(in.opsize, 8);
    /* 66 89 c8 in 64-bit mode: 16-bit */
    static const uint8_t b[] = {0x66, 0x89, 0xc8};
    ck_assert_int_eq(dec(&in, 8, b, sizeof(b)), DECODE_OK);
    ck_assert_int_eq(in.opsize, 2);
    /* 48 66 89 c8: REX not last is ignored -> 16-bit */
    static const uint8_t c[] = {0x48, 0x66, 0x89, 0xc8};
    ck_assert_int_eq(dec(&in, 8, c, sizeof(c)), DECODE_OK);
    ck_assert_int_eq(in.opsize, 2);
    /* 89 c8 in 16-bit code: 16-bit; with 66: 32-bit */
    ck_assert_int_eq(dec(&in, 2, b + 1, 2), DECODE_OK);
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_int_eq(dec(&in, 2, b, 3), DECODE_OK);
    ck_assert_int_eq(in.opsize, 4);
    /* push rax (50) defaults to 64-bit in long mode */
    static const uint8_t d[] = {0x50};
    ck_assert_int_eq(dec(&in, 8, d, 1), DECODE_OK);
    ck_assert_int_eq(in.opsize, 8);
}
END_TEST

START_TEST(test_modrm_sib_riprel)
{
    struct insn in;
    /* 8b 05 disp32: mov eax, [rip+disp32] in 64-bit mode */
    static const uint8_t a[] = {0x8b, 0x05, 0x10, 0x00, 0x00, 0x00};
    ck_assert_int_eq(dec(&in, 8, a, sizeof(a)), DECODE_OK);
    ck_assert_int_eq(in.rip_rel, 1);
    ck_assert_int_eq(in.disp, 0x10);
    ck_assert_int_eq(in.len, 6);
    /* the same bytes in 32-bit code: absolute [disp32] */
    ck_assert_int_eq(dec(&in, 4, a, sizeof(a)), DECODE_OK);
    ck_assert_int_eq(in.rip_rel, 0);
    ck_assert_int_eq(in.base, NO_REG);
    /* 8b 44 8d 08: mov eax, [rbp+rcx*4+8]: SS-relative base */
    static const uint8_t b[] = {0x8b, 0x44, 0x8d, 0x08};
    ck_assert_int_eq(dec(&in, 4, b, sizeof(b)), DECODE_OK);
    ck_assert_int_eq(in.base, R_BP);
    ck_assert_int_eq(in.index, R_CX);
    ck_assert_int_eq(in.scale, 2);
    ck_assert_int_eq(in.seg, S_SS);
    /* 42 8b 04 24 with REX.X: index r12 is real, base rsp */
    static const uint8_t c[] = {0x42, 0x8b, 0x04, 0x24};
    ck_assert_int_eq(dec(&in, 8, c, sizeof(c)), DECODE_OK);
    ck_assert_int_eq(in.index, 12);
    ck_assert_int_eq(in.base, R_SP);
    /* 16-bit addressing: 8b 46 02 = mov ax, [bp+2] (SS) */
    static const uint8_t d[] = {0x8b, 0x46, 0x02};
    ck_assert_int_eq(dec(&in, 2, d, sizeof(d)), DECODE_OK);
    ck_assert_int_eq(in.base, R_BP);
    ck_assert_int_eq(in.seg, S_SS);
    ck_assert_int_eq(in.disp, 2);
    /* segment override beats the default: 26 8b 46 02 */
    static const uint8_t e[] = {0x26, 0x8b, 0x46, 0x02};
    ck_assert_int_eq(dec(&in, 2, e, sizeof(e)), DECODE_OK);
    ck_assert_int_eq(in.seg, S_ES);
}
END_TEST

START_TEST(test_lock_and_limits)
{
    struct insn in;
    /* lock add [rax], ecx: allowed */
    static const uint8_t a[] = {0xf0, 0x01, 0x08};
    ck_assert_int_eq(dec(&in, 8, a, sizeof(a)), DECODE_OK);
    /* lock add eax, ecx (register destination): #UD */
    static const uint8_t b[] = {0xf0, 0x01, 0xc8};
    ck_assert_int_eq(dec(&in, 8, b, sizeof(b)), DECODE_UD);
    /* lock mov: #UD */
    static const uint8_t c[] = {0xf0, 0x89, 0x08};
    ck_assert_int_eq(dec(&in, 8, c, sizeof(c)), DECODE_UD);
    /* 15 bytes is fine, 16 is #GP (TOO_LONG) */
    uint8_t d[20];
    memset(d, 0x66, sizeof(d));
    d[14] = 0x90;
    ck_assert_int_eq(dec(&in, 8, d, sizeof(d)), DECODE_OK);
    ck_assert_int_eq(in.len, 15);
    d[14] = 0x66;
    d[15] = 0x90;
    ck_assert_int_eq(dec(&in, 8, d, sizeof(d)), DECODE_TOO_LONG);
    /* a fetch fault in the middle of an instruction */
    static const uint8_t e[] = {0xb8, 0x01, 0x02};
    ck_assert_int_eq(dec(&in, 4, e, sizeof(e)), DECODE_FETCH_FAULT);
    /* 0f 0b is UD2 */
    static const uint8_t f[] = {0x0f, 0x0b};
    dec(&in, 8, f, sizeof(f));
    ck_assert_int_eq(in.len, 2);
    /* instructions invalid in 64-bit mode: aaa (37), push es (06) */
    static const uint8_t g[] = {0x37};
    ck_assert_int_eq(dec(&in, 8, g, 1), DECODE_UD);
    ck_assert_int_eq(dec(&in, 4, g, 1), DECODE_OK);
}
END_TEST

START_TEST(test_mandatory_prefix)
{
    struct insn in;
    /* 0f 58 addps, 66 0f 58 addpd, f3 0f 58 addss, f2 0f 58 addsd */
    static const uint8_t a[] = {0x0f, 0x58, 0xc1};
    static const uint8_t b[] = {0x66, 0x0f, 0x58, 0xc1};
    static const uint8_t c[] = {0xf3, 0x0f, 0x58, 0xc1};
    static const uint8_t d[] = {0xf2, 0x0f, 0x58, 0xc1};
    /* the last of F2/F3 wins and beats 66 */
    static const uint8_t e[] = {0x66, 0xf3, 0xf2, 0x0f, 0x58, 0xc1};
    const char *names[5];
    const uint8_t *codes[5] = {a, b, c, d, e};
    size_t lens[5] = {sizeof(a), sizeof(b), sizeof(c), sizeof(d), sizeof(e)};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(dec(&in, 8, codes[i], lens[i]), DECODE_OK);
        names[i] = insn_name(&in);
    }
    ck_assert_str_ne(names[0], names[1]);
    ck_assert_str_ne(names[0], names[2]);
    ck_assert_str_ne(names[2], names[3]);
    ck_assert_str_eq(names[3], names[4]);
}
END_TEST

/* Capstone as an independent oracle for instruction length. Only
 * encodings both decoders accept are compared; an encoding that Capstone
 * calls valid from a group turtles does not implement (AVX, 3DNow!) is
 * skipped by checking turtles' status. */
static void compare_lengths(unsigned code_size, cs_mode mode, unsigned iterations)
{
    csh h;
    ck_assert_int_eq(cs_open(CS_ARCH_X86, mode, &h), CS_ERR_OK);
    srand(1234 + code_size);
    unsigned compared = 0, mismatches = 0;
    for (unsigned it = 0; it < iterations; it++) {
        uint8_t code[16];
        for (int i = 0; i < 16; i++)
            code[i] = (uint8_t)rand();
        /* Bias toward realistic starts: few prefixes, common maps. */
        if (rand() % 2)
            code[0] = (uint8_t)(rand() % 2 ? 0x0f : code[0]);
        if (code[0] == 0xc4 || code[0] == 0xc5 || code[0] == 0x62 || code[0] == 0x8f)
            continue; /* VEX/EVEX/XOP: not offered */
        struct insn in;
        enum decode_status st = dec(&in, code_size, code, sizeof(code));
        if (st != DECODE_OK)
            continue;
        cs_insn *ci;
        size_t n = cs_disasm(h, code, sizeof(code), 0x1000, 1, &ci);
        if (n != 1)
            continue;
        /* Capstone knows opcodes turtles deliberately treats as other
         * forms; any turtles-accepted encoding must agree on its length. */
        /* UD0/UD1 raise #UD whatever their length; Capstone omits their ModRM. */
        if (!strncmp(ci->mnemonic, "ud0", 3) || !strncmp(ci->mnemonic, "ud1", 3) ||
            !strncmp(ci->mnemonic, "ud2b", 4)) {
            cs_free(ci, n);
            continue;
        }
        /* Near branches in 64-bit mode ignore 66 on Intel (SDM Vol.2 JMP/CALL/
         * RET/Jcc: operand size fixed at 64); Capstone follows AMD's 16-bit
         * reading, and mis-sizes RET imm16 under REX.W. */
        if (code_size == 8 && (ci->mnemonic[0] == 'j' || !strncmp(ci->mnemonic, "call", 4) ||
                               !strncmp(ci->mnemonic, "ret", 3))) {
            bool prefixed = false;
            for (unsigned i = 0; i + 1 < in.len; i++)
                if (code[i] == 0x66 || (code[i] & 0xf8) == 0x48)
                    prefixed = true;
            if (prefixed) {
                cs_free(ci, n);
                continue;
            }
        }
        compared++;
        if (ci->size != in.len) {
            mismatches++;
            if (mismatches <= 10) {
                char hex[64] = "";
                for (int i = 0; i < 15; i++)
                    snprintf(hex + 3 * i, sizeof(hex) - 3 * (size_t)i, "%02x ", code[i]);
                fprintf(stderr, "len mismatch (%u-bit): %s capstone=%u (%s %s) turtles=%u (%s)\n",
                        code_size * 8, hex, ci->size, ci->mnemonic, ci->op_str, in.len,
                        insn_name(&in));
            }
        }
        cs_free(ci, n);
    }
    cs_close(&h);
    fprintf(stderr, "decoder vs capstone (%u-bit): %u compared, %u mismatches\n",
            code_size * 8, compared, mismatches);
    ck_assert_uint_gt(compared, iterations / 20);
    ck_assert_uint_eq(mismatches, 0);
}

START_TEST(test_lengths_vs_capstone_64) { compare_lengths(8, CS_MODE_64, 300000); }
END_TEST
START_TEST(test_lengths_vs_capstone_32) { compare_lengths(4, CS_MODE_32, 300000); }
END_TEST
START_TEST(test_lengths_vs_capstone_16) { compare_lengths(2, CS_MODE_16, 300000); }
END_TEST

int main(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("decode");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_prefixes_and_sizes);
    tcase_add_test(tc, test_modrm_sib_riprel);
    tcase_add_test(tc, test_lock_and_limits);
    tcase_add_test(tc, test_mandatory_prefix);
    tcase_add_test(tc, test_lengths_vs_capstone_64);
    tcase_add_test(tc, test_lengths_vs_capstone_32);
    tcase_add_test(tc, test_lengths_vs_capstone_16);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

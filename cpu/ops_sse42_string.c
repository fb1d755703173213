/* SSE4.2 packed string compares PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM
 * (SDM Vol.2 4.1 "Imm8 control byte operation for PCMPESTRI ..."). The
 * register operand is the first source (the set, ranges or needle), xmm/m128
 * the second (the string searched). */
#include "cpu/ops_sse.h"

#include "cpu/flags.h"

/* Element e of v in the format of imm bits 1:0, sign-extended for the
 * signed formats. */
static int32_t str_elem(const xmm_t *v, unsigned e, unsigned fmt)
{
    switch (fmt & 3) {
    case 0: return v->b[e];
    case 1: return v->w[e];
    case 2: return (int8_t)v->b[e];
    default: return (int16_t)v->w[e];
    }
}

/* Explicit length: |RAX| or |EAX| (RDX/EDX) saturated to the element count. */
static unsigned explicit_len(const struct cpu *cpu, unsigned reg, bool w64, unsigned n)
{
    int64_t v = w64 ? (int64_t)cpu->gpr[reg] : (int64_t)(int32_t)cpu->gpr[reg];
    uint64_t a = v < 0 ? 0ull - (uint64_t)v : (uint64_t)v;
    return a > n ? n : (unsigned)a;
}

static unsigned implicit_len(const xmm_t *v, unsigned fmt, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (str_elem(v, i, fmt) == 0)
            return i;
    return n;
}

void op_sse42_pcmpstr(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    unsigned imm = (unsigned)in->imm & 0xff;
    unsigned fmt = imm & 3, agg = (imm >> 2) & 3, pol = (imm >> 4) & 3;
    unsigned n = (fmt & 1) ? 8 : 16;
    bool is_explicit = in->opcode < 0x62, is_index = in->opcode & 1;
    xmm_t s2 = sse_rm(cpu, in, 16, false);
    xmm_t s1 = cpu->xmm[in->reg];
    unsigned len1, len2;
    if (is_explicit) {
        bool w64 = (in->rex & 8) != 0;
        len1 = explicit_len(cpu, R_AX, w64, n);
        len2 = explicit_len(cpu, R_DX, w64, n);
    } else {
        len1 = implicit_len(&s1, fmt, n);
        len2 = implicit_len(&s2, fmt, n);
    }

    uint32_t res1 = 0;
    for (unsigned j = 0; j < n; j++) {
        bool r = false;
        int32_t b = str_elem(&s2, j, fmt);
        switch (agg) {
        case 0: /* equal any: s2[j] is in the set s1 */
            if (j < len2)
                for (unsigned i = 0; i < len1 && !r; i++)
                    r = str_elem(&s1, i, fmt) == b;
            break;
        case 1: /* ranges: s1 holds (low, high) pairs */
            if (j < len2)
                for (unsigned i = 0; i + 1 < len1 && !r; i += 2)
                    r = b >= str_elem(&s1, i, fmt) && b <= str_elem(&s1, i + 1, fmt);
            break;
        case 2: /* equal each: both invalid compare true, one invalid false */
            if (j >= len1 && j >= len2)
                r = true;
            else if (j < len1 && j < len2)
                r = str_elem(&s1, j, fmt) == b;
            break;
        default: /* equal ordered: the needle s1 starts at s2[j] */
            r = true;
            for (unsigned k = 0; j + k < n && r; k++) {
                if (k >= len1)
                    break;
                if (j + k >= len2)
                    r = false;
                else
                    r = str_elem(&s1, k, fmt) == str_elem(&s2, j + k, fmt);
            }
            break;
        }
        if (r)
            res1 |= 1u << j;
    }

    uint32_t all = (1u << n) - 1, res2 = res1;
    if (pol == 1)
        res2 = ~res1 & all;
    else if (pol == 3)
        res2 = res1 ^ ((1u << len2) - 1);

    uint32_t f = 0;
    if (res2)
        f |= F_CF;
    if (len2 < n)
        f |= F_ZF;
    if (len1 < n)
        f |= F_SF;
    if (res2 & 1)
        f |= F_OF;

    if (is_index) {
        unsigned idx = n;
        if (res2)
            idx = (imm & 0x40) ? 31u - (unsigned)__builtin_clz(res2)
                               : (unsigned)__builtin_ctz(res2);
        cpu->gpr[R_CX] = idx;
    } else {
        xmm_t m = {.q = {0, 0}};
        if (imm & 0x40) {
            for (unsigned i = 0; i < n; i++)
                if (res2 & (1u << i)) {
                    if (n == 16)
                        m.b[i] = 0xff;
                    else
                        m.w[i] = 0xffff;
                }
        } else {
            m.q[0] = res2;
        }
        cpu->xmm[0] = m;
    }
    set_arith_flags(cpu, f);
}

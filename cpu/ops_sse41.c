/* SSE4.1 integer instructions (and PCMPGTQ of SSE4.2): PTEST, PMOVSX/ZX,
 * min/max, multiplies, PHMINPOSUW, insert/extract, MPSADBW. */
#include "cpu/ops_sse.h"

#include "cpu/flags.h"

/* PTEST: ZF when dest AND src is zero, CF when (NOT dest) AND src is zero;
 * the other arithmetic flags are cleared (SDM Vol.2 PTEST). */
void op_sse41_ptest(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true);
    const xmm_t *d = &cpu->xmm[in->reg];
    uint32_t f = 0;
    if (!((d->q[0] & s.q[0]) | (d->q[1] & s.q[1])))
        f |= F_ZF;
    if (!((~d->q[0] & s.q[0]) | (~d->q[1] & s.q[1])))
        f |= F_CF;
    set_arith_flags(cpu, f);
}

/* PMOVSX/PMOVZX: opcode bits 2:0 pick the widening (bw, bd, bq, wd, wq,
 * dq), 0x20 sign-extends and 0x30 zero-extends. */
void op_sse41_pmovx(struct cpu *cpu, const struct insn *in)
{
    static const uint8_t from[6] = {1, 1, 1, 2, 2, 4}, to[6] = {2, 4, 8, 4, 8, 8};
    sse_check(cpu);
    unsigned k = in->opcode & 7, fs = from[k], ts = to[k], n = 16 / ts;
    bool sx = (in->opcode & 0xf0) == 0x20;
    xmm_t s = sse_rm(cpu, in, n * fs, false), r;
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = 0;
        for (unsigned b = 0; b < fs; b++)
            v |= (uint64_t)s.b[i * fs + b] << (8 * b);
        if (sx)
            v = (uint64_t)sign_extend(v, fs);
        for (unsigned b = 0; b < ts; b++)
            r.b[i * ts + b] = (uint8_t)(v >> (8 * b));
    }
    cpu->xmm[in->reg] = r;
}

#define LANE41(name, T, field, expr)                                          \
    static void v_##name(xmm_t *d, const xmm_t *s, unsigned n)                \
    {                                                                         \
        for (unsigned i = 0; i < n / sizeof(d->field[0]); i++) {              \
            T a = (T)d->field[i], b = (T)s->field[i];                         \
            d->field[i] = (expr);                                             \
        }                                                                     \
    }                                                                         \
    void op_sse41_##name(struct cpu *cpu, const struct insn *in)              \
    {                                                                         \
        sse_int_binop(cpu, in, v_##name);                                     \
    }

LANE41(pminsb, int8_t, b, (uint8_t)(a < b ? a : b))
LANE41(pmaxsb, int8_t, b, (uint8_t)(a > b ? a : b))
LANE41(pminuw, uint16_t, w, a < b ? a : b)
LANE41(pmaxuw, uint16_t, w, a > b ? a : b)
LANE41(pminsd, int32_t, d, (uint32_t)(a < b ? a : b))
LANE41(pmaxsd, int32_t, d, (uint32_t)(a > b ? a : b))
LANE41(pminud, uint32_t, d, a < b ? a : b)
LANE41(pmaxud, uint32_t, d, a > b ? a : b)
LANE41(pmulld, uint32_t, d, a * b)
LANE41(pcmpeqq, uint64_t, q, a == b ? ~0ull : 0)
LANE41(pcmpgtq, int64_t, q, a > b ? ~0ull : 0)
/* PMULDQ: the even dwords, sign-extended, multiplied into quadwords. */
LANE41(pmuldq, uint64_t, q, (uint64_t)((int64_t)(int32_t)a * (int32_t)b))

/* PHMINPOSUW: smallest unsigned word and its lowest index. */
void op_sse41_phminposuw(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true);
    unsigned idx = 0;
    for (unsigned i = 1; i < 8; i++)
        if (s.w[i] < s.w[idx])
            idx = i;
    cpu->xmm[in->reg] = (xmm_t){.q = {s.w[idx] | ((uint64_t)idx << 16), 0}};
}

/* PEXTRB/PEXTRW/PEXTRD/PEXTRQ/EXTRACTPS r/m, xmm, imm8: a register
 * destination is zero-extended to the operand size. */
void op_sse41_pextr(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    const xmm_t *s = &cpu->xmm[in->reg];
    unsigned imm = (unsigned)in->imm, size;
    uint64_t v;
    switch (in->opcode) {
    case 0x14: v = s->b[imm & 15]; size = 1; break;
    case 0x15: v = s->w[imm & 7]; size = 2; break;
    case 0x16:
        size = in->opsize;
        v = size == 8 ? s->q[imm & 1] : s->d[imm & 3];
        break;
    default: v = s->d[imm & 3]; size = 4; break;
    }
    if (in->mod == 3)
        cpu->gpr[in->rm] = v;
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), v, size);
}

/* PINSRB/PINSRD/PINSRQ xmm, r/m, imm8. */
void op_sse41_pinsr(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    unsigned imm = (unsigned)in->imm;
    unsigned size = in->opcode == 0x20 ? 1 : in->opsize;
    uint64_t v = in->mod == 3 ? cpu->gpr[in->rm] : mem_read(cpu, in->seg, insn_ea(cpu, in), size);
    xmm_t *d = &cpu->xmm[in->reg];
    if (size == 1)
        d->b[imm & 15] = (uint8_t)v;
    else if (size == 4)
        d->d[imm & 3] = (uint32_t)v;
    else
        d->q[imm & 1] = v;
}

/* INSERTPS: imm 7:6 source lane (register form only), 5:4 destination
 * lane, 3:0 lanes to zero. */
void op_sse41_insertps(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    unsigned imm = (unsigned)in->imm;
    uint32_t v = in->mod == 3 ? cpu->xmm[in->rm].d[(imm >> 6) & 3]
                              : sse_mem_read(cpu, in, 4, false).d[0];
    xmm_t *d = &cpu->xmm[in->reg];
    d->d[(imm >> 4) & 3] = v;
    for (unsigned i = 0; i < 4; i++)
        if (imm & (1u << i))
            d->d[i] = 0;
}

/* MPSADBW: eight sums of absolute differences of 4-byte windows of the
 * destination (offset imm bit 2 * 4) against one 4-byte source block
 * (imm bits 1:0 * 4). */
void op_sse41_mpsadbw(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true), d = cpu->xmm[in->reg], r;
    unsigned imm = (unsigned)in->imm, doff = (imm & 4) ? 4 : 0, soff = (imm & 3) * 4;
    for (unsigned i = 0; i < 8; i++) {
        unsigned sum = 0;
        for (unsigned j = 0; j < 4; j++) {
            int diff = (int)d.b[doff + i + j] - (int)s.b[soff + j];
            sum += (unsigned)(diff < 0 ? -diff : diff);
        }
        r.w[i] = (uint16_t)sum;
    }
    cpu->xmm[in->reg] = r;
}

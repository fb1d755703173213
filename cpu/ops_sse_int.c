/* SSE2 packed integer arithmetic on XMM registers, and the integer
 * instructions SSE and SSE2 added on MMX registers (PAVGB, PMINUB, PSADBW,
 * PADDQ, ...). Lane rules: SDM Vol.2 on each instruction. */
#include "cpu/ops_sse.h"

void sse_int_binop(struct cpu *cpu, const struct insn *in, vec_binop fn)
{
    if (in->mandatory == PFX_66) {
        sse_check(cpu);
        xmm_t s = sse_rm(cpu, in, 16, true);
        xmm_t d = cpu->xmm[in->reg];
        fn(&d, &s, 16);
        cpu->xmm[in->reg] = d;
    } else {
        mmx_check(cpu);
        xmm_t s = {.q = {mmx_rm(cpu, in, 8), 0}};
        xmm_t d = {.q = {mmx_reg_read(cpu, in->reg), 0}};
        fn(&d, &s, 8);
        mmx_reg_write(cpu, in->reg, d.q[0]);
    }
}

/* One handler per lane-wise operation: a and b are the destination and
 * source lanes as type T, the expression is the new destination lane. */
#define LANE_OP(name, T, field, expr)                                         \
    static void v_##name(xmm_t *d, const xmm_t *s, unsigned n)                \
    {                                                                         \
        for (unsigned i = 0; i < n / sizeof(d->field[0]); i++) {              \
            T a = (T)d->field[i], b = (T)s->field[i];                         \
            d->field[i] = (expr);                                             \
        }                                                                     \
    }                                                                         \
    void op_sse_##name(struct cpu *cpu, const struct insn *in)                \
    {                                                                         \
        sse_int_binop(cpu, in, v_##name);                                     \
    }

LANE_OP(paddb, uint8_t, b, (uint8_t)(a + b))
LANE_OP(paddw, uint16_t, w, (uint16_t)(a + b))
LANE_OP(paddd, uint32_t, d, a + b)
LANE_OP(paddq, uint64_t, q, a + b)
LANE_OP(psubb, uint8_t, b, (uint8_t)(a - b))
LANE_OP(psubw, uint16_t, w, (uint16_t)(a - b))
LANE_OP(psubd, uint32_t, d, a - b)
LANE_OP(psubq, uint64_t, q, a - b)
LANE_OP(paddsb, int8_t, b, (uint8_t)sat_s8(a + b))
LANE_OP(paddsw, int16_t, w, (uint16_t)sat_s16(a + b))
LANE_OP(psubsb, int8_t, b, (uint8_t)sat_s8(a - b))
LANE_OP(psubsw, int16_t, w, (uint16_t)sat_s16(a - b))
LANE_OP(paddusb, uint8_t, b, sat_u8(a + b))
LANE_OP(paddusw, uint16_t, w, sat_u16(a + b))
LANE_OP(psubusb, uint8_t, b, sat_u8(a - b))
LANE_OP(psubusw, uint16_t, w, sat_u16(a - b))
LANE_OP(pmullw, uint16_t, w, (uint16_t)((uint32_t)a * b))
LANE_OP(pmulhw, int16_t, w, (uint16_t)(((int32_t)a * b) >> 16))
LANE_OP(pmulhuw, uint16_t, w, (uint16_t)(((uint32_t)a * b) >> 16))
LANE_OP(pavgb, uint8_t, b, (uint8_t)((a + b + 1) >> 1))
LANE_OP(pavgw, uint16_t, w, (uint16_t)((a + b + 1) >> 1))
LANE_OP(pminub, uint8_t, b, a < b ? a : b)
LANE_OP(pmaxub, uint8_t, b, a > b ? a : b)
LANE_OP(pminsw, int16_t, w, (uint16_t)(a < b ? a : b))
LANE_OP(pmaxsw, int16_t, w, (uint16_t)(a > b ? a : b))
LANE_OP(pcmpeqb, uint8_t, b, a == b ? 0xff : 0)
LANE_OP(pcmpeqw, uint16_t, w, a == b ? 0xffff : 0)
LANE_OP(pcmpeqd, uint32_t, d, a == b ? 0xffffffffu : 0)
LANE_OP(pcmpgtb, int8_t, b, a > b ? 0xff : 0)
LANE_OP(pcmpgtw, int16_t, w, a > b ? 0xffff : 0)
LANE_OP(pcmpgtd, int32_t, d, a > b ? 0xffffffffu : 0)
LANE_OP(pand, uint64_t, q, a & b)
LANE_OP(pandn, uint64_t, q, ~a & b)
LANE_OP(por, uint64_t, q, a | b)
LANE_OP(pxor, uint64_t, q, a ^ b)
/* PMULUDQ: the even dwords, zero-extended, multiplied into quadwords. */
LANE_OP(pmuludq, uint64_t, q, (a & 0xffffffffu) * (b & 0xffffffffu))

/* PMADDWD: adjacent signed word products summed into dwords; only
 * 0x8000*0x8000 twice wraps to 0x80000000. */
static void v_pmaddwd(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 4; i++) {
        int32_t p0 = (int32_t)(int16_t)d->w[2 * i] * (int16_t)s->w[2 * i];
        int32_t p1 = (int32_t)(int16_t)d->w[2 * i + 1] * (int16_t)s->w[2 * i + 1];
        d->d[i] = (uint32_t)p0 + (uint32_t)p1;
    }
}

void op_sse_pmaddwd(struct cpu *cpu, const struct insn *in) { sse_int_binop(cpu, in, v_pmaddwd); }

/* PSADBW: sum of absolute byte differences per 8-byte group, into the low
 * word of each quadword (upper bits zero). */
static void v_psadbw(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned g = 0; g < n / 8; g++) {
        uint32_t sum = 0;
        for (unsigned i = 0; i < 8; i++) {
            int diff = (int)d->b[8 * g + i] - (int)s->b[8 * g + i];
            sum += (uint32_t)(diff < 0 ? -diff : diff);
        }
        d->q[g] = sum;
    }
}

void op_sse_psadbw(struct cpu *cpu, const struct insn *in) { sse_int_binop(cpu, in, v_psadbw); }

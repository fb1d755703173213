/* SSSE3 (0F 38 00-0B, 1C-1E, 0F 3A 0F) on MMX (no prefix) and XMM (66)
 * registers: lane rules from SDM Vol.2 on each instruction. */
#include "cpu/ops_sse.h"

/* PSHUFB: a set top bit in the control byte zeroes the lane, otherwise its
 * low 3 (MMX) or 4 (XMM) bits index the destination. */
static void v_pshufb(xmm_t *d, const xmm_t *s, unsigned n)
{
    xmm_t r = {.q = {0, 0}};
    for (unsigned i = 0; i < n; i++)
        r.b[i] = (s->b[i] & 0x80) ? 0 : d->b[s->b[i] & (n - 1)];
    *d = r;
}

/* Horizontal word/dword add/sub: pairs of the destination fill the low
 * half of the result, pairs of the source the high half. */
static void horiz_w(xmm_t *d, const xmm_t *s, unsigned n, bool sub, bool sat)
{
    xmm_t r = {.q = {0, 0}};
    unsigned half = n / 4; /* words per half of the result */
    for (unsigned i = 0; i < half; i++) {
        for (unsigned h = 0; h < 2; h++) {
            const xmm_t *v = h ? s : d;
            int32_t a = (int16_t)v->w[2 * i], b = (int16_t)v->w[2 * i + 1];
            int32_t x = sub ? a - b : a + b;
            r.w[h * half + i] = sat ? (uint16_t)sat_s16(x) : (uint16_t)x;
        }
    }
    *d = r;
}

static void horiz_d(xmm_t *d, const xmm_t *s, unsigned n, bool sub)
{
    xmm_t r = {.q = {0, 0}};
    unsigned half = n / 8;
    for (unsigned i = 0; i < half; i++) {
        for (unsigned h = 0; h < 2; h++) {
            const xmm_t *v = h ? s : d;
            uint32_t a = v->d[2 * i], b = v->d[2 * i + 1];
            r.d[h * half + i] = sub ? a - b : a + b;
        }
    }
    *d = r;
}

static void v_phaddw(xmm_t *d, const xmm_t *s, unsigned n) { horiz_w(d, s, n, false, false); }
static void v_phaddsw(xmm_t *d, const xmm_t *s, unsigned n) { horiz_w(d, s, n, false, true); }
static void v_phsubw(xmm_t *d, const xmm_t *s, unsigned n) { horiz_w(d, s, n, true, false); }
static void v_phsubsw(xmm_t *d, const xmm_t *s, unsigned n) { horiz_w(d, s, n, true, true); }
static void v_phaddd(xmm_t *d, const xmm_t *s, unsigned n) { horiz_d(d, s, n, false); }
static void v_phsubd(xmm_t *d, const xmm_t *s, unsigned n) { horiz_d(d, s, n, true); }

/* PMADDUBSW: unsigned destination bytes times signed source bytes, pairs
 * summed with signed saturation. */
static void v_pmaddubsw(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        int32_t x = (int32_t)d->b[2 * i] * (int8_t)s->b[2 * i] +
                    (int32_t)d->b[2 * i + 1] * (int8_t)s->b[2 * i + 1];
        d->w[i] = (uint16_t)sat_s16(x);
    }
}

/* PMULHRSW: the 32-bit product scaled by 2^-15 with rounding. */
static void v_pmulhrsw(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        int32_t p = (int32_t)(int16_t)d->w[i] * (int16_t)s->w[i];
        d->w[i] = (uint16_t)(((p >> 14) + 1) >> 1);
    }
}

static void v_psignb(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int8_t b = (int8_t)s->b[i];
        d->b[i] = b < 0 ? (uint8_t)(0u - d->b[i]) : b == 0 ? 0 : d->b[i];
    }
}

static void v_psignw(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        int16_t b = (int16_t)s->w[i];
        d->w[i] = b < 0 ? (uint16_t)(0u - d->w[i]) : b == 0 ? 0 : d->w[i];
    }
}

static void v_psignd(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 4; i++) {
        int32_t b = (int32_t)s->d[i];
        d->d[i] = b < 0 ? 0u - d->d[i] : b == 0 ? 0 : d->d[i];
    }
}

/* PABS*: the magnitude of each source lane; the most negative value stays
 * as its unsigned magnitude (0x80 -> 0x80). */
static void v_pabsb(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        d->b[i] = (s->b[i] & 0x80) ? (uint8_t)(0u - s->b[i]) : s->b[i];
}

static void v_pabsw(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++)
        d->w[i] = (s->w[i] & 0x8000) ? (uint16_t)(0u - s->w[i]) : s->w[i];
}

static void v_pabsd(xmm_t *d, const xmm_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 4; i++)
        d->d[i] = (s->d[i] >> 31) ? 0u - s->d[i] : s->d[i];
}

#define SSSE3_OP(name) \
    void op_ssse3_##name(struct cpu *cpu, const struct insn *in) { sse_int_binop(cpu, in, v_##name); }

SSSE3_OP(pshufb)
SSSE3_OP(phaddw)
SSSE3_OP(phaddd)
SSSE3_OP(phaddsw)
SSSE3_OP(phsubw)
SSSE3_OP(phsubd)
SSSE3_OP(phsubsw)
SSSE3_OP(pmaddubsw)
SSSE3_OP(pmulhrsw)
SSSE3_OP(psignb)
SSSE3_OP(psignw)
SSSE3_OP(psignd)
SSSE3_OP(pabsb)
SSSE3_OP(pabsw)
SSSE3_OP(pabsd)

/* PALIGNR: destination:source as one 2n-byte value shifted right by imm
 * bytes; the low n bytes remain. */
void op_ssse3_palignr(struct cpu *cpu, const struct insn *in)
{
    unsigned imm = (unsigned)in->imm & 0xff;
    uint8_t cat[32];
    xmm_t d, s, r = {.q = {0, 0}};
    unsigned n;
    if (in->mandatory == PFX_66) {
        sse_check(cpu);
        s = sse_rm(cpu, in, 16, true);
        d = cpu->xmm[in->reg];
        n = 16;
    } else {
        mmx_check(cpu);
        s.q[0] = mmx_rm(cpu, in, 8);
        d.q[0] = mmx_reg_read(cpu, in->reg);
        n = 8;
    }
    for (unsigned i = 0; i < n; i++) {
        cat[i] = s.b[i];
        cat[n + i] = d.b[i];
    }
    for (unsigned i = 0; i < n; i++)
        r.b[i] = i + imm < 2 * n ? cat[i + imm] : 0;
    if (n == 16)
        cpu->xmm[in->reg] = r;
    else
        mmx_reg_write(cpu, in->reg, r.q[0]);
}

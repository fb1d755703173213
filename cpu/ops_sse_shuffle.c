/* SSE/SSE2 rearranging instructions: UNPCK*, SHUFPS/SHUFPD, PUNPCK*,
 * PACK*, PSHUF*, shifts by immediate and by register, PINSRW/PEXTRW. */
#include "cpu/ops_sse.h"

/* UNPCKLPS/UNPCKLPD, UNPCKHPS/UNPCKHPD: interleave the low (high) halves. */
static void unpack(struct cpu *cpu, const struct insn *in, unsigned elem, bool high)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true), d = cpu->xmm[in->reg], r;
    unsigned n = 16 / elem / 2, base = high ? 8 : 0;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned k = 0; k < elem; k++) {
            r.b[2 * i * elem + k] = d.b[base + i * elem + k];
            r.b[(2 * i + 1) * elem + k] = s.b[base + i * elem + k];
        }
    }
    cpu->xmm[in->reg] = r;
}

void op_sse_unpckl(struct cpu *cpu, const struct insn *in)
{
    unpack(cpu, in, in->mandatory == PFX_66 ? 8 : 4, false);
}

void op_sse_unpckh(struct cpu *cpu, const struct insn *in)
{
    unpack(cpu, in, in->mandatory == PFX_66 ? 8 : 4, true);
}

static unsigned punpck_elem(uint8_t opcode)
{
    switch (opcode) {
    case 0x60: case 0x68: return 1;
    case 0x61: case 0x69: return 2;
    case 0x62: case 0x6a: return 4;
    default: return 8;
    }
}

void op_sse_punpckl(struct cpu *cpu, const struct insn *in)
{
    unpack(cpu, in, punpck_elem(in->opcode), false);
}

void op_sse_punpckh(struct cpu *cpu, const struct insn *in)
{
    unpack(cpu, in, punpck_elem(in->opcode), true);
}

/* SHUFPS: two lanes from the destination, two from the source; SHUFPD:
 * one each. */
void op_sse_shufp(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true), d = cpu->xmm[in->reg], r;
    unsigned imm = (unsigned)in->imm;
    if (in->mandatory == PFX_66) {
        r.q[0] = d.q[imm & 1];
        r.q[1] = s.q[(imm >> 1) & 1];
    } else {
        r.d[0] = d.d[imm & 3];
        r.d[1] = d.d[(imm >> 2) & 3];
        r.d[2] = s.d[(imm >> 4) & 3];
        r.d[3] = s.d[(imm >> 6) & 3];
    }
    cpu->xmm[in->reg] = r;
}

/* PACKSSWB, PACKUSWB, PACKSSDW (SSE2), PACKUSDW (SSE4.1): destination
 * lanes narrowed into the low half, source lanes into the high half. */
void op_sse_pack(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true), d = cpu->xmm[in->reg], r;
    const xmm_t *src[2] = {&d, &s};
    for (unsigned h = 0; h < 2; h++) {
        const xmm_t *v = src[h];
        switch (in->map == OPMAP_0F38 ? 0x2b : in->opcode) {
        case 0x63:
            for (unsigned i = 0; i < 8; i++)
                r.b[8 * h + i] = (uint8_t)sat_s8((int16_t)v->w[i]);
            break;
        case 0x67:
            for (unsigned i = 0; i < 8; i++)
                r.b[8 * h + i] = sat_u8((int16_t)v->w[i]);
            break;
        case 0x6b:
            for (unsigned i = 0; i < 4; i++) {
                int32_t x = (int32_t)v->d[i];
                r.w[4 * h + i] = (uint16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
            }
            break;
        default:
            for (unsigned i = 0; i < 4; i++) {
                int32_t x = (int32_t)v->d[i];
                r.w[4 * h + i] = (uint16_t)(x > 65535 ? 65535 : x < 0 ? 0 : x);
            }
            break;
        }
    }
    cpu->xmm[in->reg] = r;
}

/* PSHUFW (MMX), PSHUFD, PSHUFHW, PSHUFLW. */
void op_sse_pshuf(struct cpu *cpu, const struct insn *in)
{
    unsigned imm = (unsigned)in->imm;
    if (in->mandatory == PFX_NP) {
        mmx_check(cpu);
        uint64_t s = mmx_rm(cpu, in, 8), r = 0;
        for (unsigned i = 0; i < 4; i++)
            r |= ((s >> (16 * ((imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
        mmx_reg_write(cpu, in->reg, r);
        return;
    }
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true), r = s;
    switch (in->mandatory) {
    case PFX_66:
        for (unsigned i = 0; i < 4; i++)
            r.d[i] = s.d[(imm >> (2 * i)) & 3];
        break;
    case PFX_F3:
        for (unsigned i = 0; i < 4; i++)
            r.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)];
        break;
    default:
        for (unsigned i = 0; i < 4; i++)
            r.w[i] = s.w[(imm >> (2 * i)) & 3];
        break;
    }
    cpu->xmm[in->reg] = r;
}

enum shift_kind { SHIFT_RL, SHIFT_RA, SHIFT_LL };

/* Element shifts: a count past the element width gives 0, or all sign
 * bits for arithmetic shifts (SDM Vol.2 PSRLW). */
static void shift_elems(xmm_t *v, unsigned elem, enum shift_kind kind, uint64_t count)
{
    unsigned bits = elem * 8;
    for (unsigned i = 0; i < 16 / elem; i++) {
        uint64_t x;
        switch (elem) {
        case 2: x = v->w[i]; break;
        case 4: x = v->d[i]; break;
        default: x = v->q[i]; break;
        }
        if (kind == SHIFT_RA) {
            int64_t sx = sign_extend(x, elem);
            x = (uint64_t)(sx >> (count >= bits ? bits - 1 : count));
        } else if (count >= bits) {
            x = 0;
        } else {
            x = kind == SHIFT_LL ? x << count : x >> count;
        }
        switch (elem) {
        case 2: v->w[i] = (uint16_t)x; break;
        case 4: v->d[i] = (uint32_t)x; break;
        default: v->q[i] = x; break;
        }
    }
}

/* 66 0F 71-73 /r ib: shifts by immediate, and PSRLDQ/PSLLDQ by bytes. */
void op_sse_shift_imm(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    unsigned op = (in->modrm >> 3) & 7;
    uint64_t count = in->imm & 0xff;
    xmm_t *v = &cpu->xmm[in->rm];
    unsigned elem = in->opcode == 0x71 ? 2 : in->opcode == 0x72 ? 4 : 8;
    if (op == 3 || op == 7) {
        xmm_t r = {.q = {0, 0}};
        unsigned n = count > 16 ? 16 : (unsigned)count;
        for (unsigned i = 0; i < 16; i++) {
            if (op == 3 && i + n < 16)
                r.b[i] = v->b[i + n];
            else if (op == 7 && i >= n)
                r.b[i] = v->b[i - n];
        }
        *v = r;
        return;
    }
    shift_elems(v, elem, op == 2 ? SHIFT_RL : op == 4 ? SHIFT_RA : SHIFT_LL, count);
}

/* 66 0F D1-D3, E1-E2, F1-F3: count from the low quadword of xmm/m128. */
void op_sse_shift_xmm(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    uint64_t count = sse_rm(cpu, in, 16, true).q[0];
    unsigned elem = 2 << ((in->opcode & 0xf) - 1);
    enum shift_kind kind = (in->opcode >> 4) == 0xd ? SHIFT_RL
                           : (in->opcode >> 4) == 0xe ? SHIFT_RA : SHIFT_LL;
    shift_elems(&cpu->xmm[in->reg], elem, kind, count);
}

/* PINSRW mm/xmm, r32/m16, imm8. */
void op_sse_pinsrw(struct cpu *cpu, const struct insn *in)
{
    bool x = in->mandatory == PFX_66;
    if (x)
        sse_check(cpu);
    else
        mmx_check(cpu);
    uint16_t v = in->mod == 3 ? (uint16_t)cpu->gpr[in->rm]
                              : (uint16_t)mem_read(cpu, in->seg, insn_ea(cpu, in), 2);
    if (x) {
        cpu->xmm[in->reg].w[in->imm & 7] = v;
    } else {
        unsigned sh = 16 * (unsigned)(in->imm & 3);
        uint64_t m = mmx_reg_read(cpu, in->reg);
        mmx_reg_write(cpu, in->reg, (m & ~(0xffffull << sh)) | ((uint64_t)v << sh));
    }
}

/* PEXTRW r32/64, mm/xmm, imm8 (0F C5, register form only). */
void op_sse_pextrw(struct cpu *cpu, const struct insn *in)
{
    uint16_t v;
    if (in->mandatory == PFX_66) {
        sse_check(cpu);
        v = cpu->xmm[in->rm].w[in->imm & 7];
    } else {
        mmx_check(cpu);
        v = (uint16_t)(mmx_reg_read(cpu, in->rm) >> (16 * (in->imm & 3)));
    }
    cpu->gpr[in->reg] = v;
}

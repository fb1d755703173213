/* MMX moves, unpacks, packs, shifts and EMMS (SDM Vol.1 chapter 9, Vol.2).
 * The lane-wise MMX arithmetic, compares and logic share the SSE2 handlers
 * (cpu/ops_sse_int.c), which pick the MMX form when there is no 66 prefix. */
#include "cpu/ops_sse.h"
#include "cpu/ops_x87.h"

/* MMX instructions are waiting instructions: #UD/#NM as for SIMD, then a
 * pending x87 exception is delivered first (SDM Vol.2 MOVQ, "#MF"). */
static void mmx_prologue(struct cpu *cpu)
{
    mmx_check(cpu);
    if (cpu->fpu.fsw & FSW_ES)
        x87_deliver_pending(cpu);
}

/* 0F 6E: MOVD mm, r/m32 (MOVQ mm, r/m64 with REX.W), zero-extended. */
void op_mmx_movd_load(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    uint64_t v = rm_read(cpu, in, in->opsize);
    mmx_reg_write(cpu, in->reg, v);
}

/* 0F 7E: MOVD r/m32, mm (MOVQ r/m64, mm with REX.W). */
void op_mmx_movd_store(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    uint64_t v = cpu->fpu.st[in->reg & 7].mant & size_mask(in->opsize);
    rm_write(cpu, in, in->opsize, v);
    mmx_enter(cpu);
}

/* 0F 6F: MOVQ mm, mm/m64. */
void op_mmx_movq_load(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    uint64_t v = mmx_rm(cpu, in, 8);
    mmx_reg_write(cpu, in->reg, v);
}

/* 0F 7F: MOVQ mm/m64, mm. */
void op_mmx_movq_store(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    uint64_t v = cpu->fpu.st[in->reg & 7].mant;
    if (in->mod == 3) {
        mmx_reg_write(cpu, in->rm, v);
    } else {
        mem_write(cpu, in->seg, insn_ea(cpu, in), v, 8);
        mmx_enter(cpu);
    }
}

/* 0F 60-62 (low halves) and 68-6A (high halves): interleave elements of
 * the destination and the source. A memory source of the low forms is
 * 32 bits (SDM Vol.2 PUNPCKLBW). */
void op_mmx_punpck(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    bool high = in->opcode >= 0x68;
    unsigned elem = 1u << ((in->opcode & 7) & 3);
    uint64_t s = mmx_rm(cpu, in, high ? 8 : 4);
    uint64_t d = mmx_reg_read(cpu, in->reg), r = 0;
    unsigned shift = high ? 32 : 0, bits = elem * 8, n = 4 / elem;
    uint64_t emask = (1ull << bits) - 1;
    for (unsigned i = 0; i < n; i++) {
        uint64_t de = (d >> (shift + i * bits)) & emask;
        uint64_t se = (s >> (shift + i * bits)) & emask;
        r |= de << (2 * i * bits);
        r |= se << ((2 * i + 1) * bits);
    }
    mmx_reg_write(cpu, in->reg, r);
}

/* 0F 63 PACKSSWB, 0F 67 PACKUSWB, 0F 6B PACKSSDW: destination elements
 * narrowed into the low half, source elements into the high half. */
void op_mmx_pack(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    uint64_t s = mmx_rm(cpu, in, 8);
    uint64_t d = mmx_reg_read(cpu, in->reg), r = 0;
    uint64_t src[2] = {d, s};
    for (unsigned h = 0; h < 2; h++) {
        if (in->opcode == 0x6b) {
            for (unsigned i = 0; i < 2; i++) {
                int32_t v = (int32_t)(uint32_t)(src[h] >> (32 * i));
                r |= (uint64_t)(uint16_t)sat_s16(v) << (16 * (2 * h + i));
            }
        } else {
            for (unsigned i = 0; i < 4; i++) {
                int32_t v = (int16_t)(uint16_t)(src[h] >> (16 * i));
                uint8_t b = in->opcode == 0x63 ? (uint8_t)sat_s8(v) : sat_u8(v);
                r |= (uint64_t)b << (8 * (4 * h + i));
            }
        }
    }
    mmx_reg_write(cpu, in->reg, r);
}

enum mmx_shift { MMX_SRL, MMX_SRA, MMX_SLL };

/* Element shifts: counts past the element width give 0 (or the sign for
 * arithmetic shifts). */
static uint64_t shift_lanes(uint64_t v, unsigned elem, enum mmx_shift kind, uint64_t count)
{
    unsigned bits = elem * 8;
    uint64_t emask = bits == 64 ? ~0ull : (1ull << bits) - 1, r = 0;
    for (unsigned i = 0; i < 8 / elem; i++) {
        uint64_t x = (v >> (i * bits)) & emask;
        if (kind == MMX_SRA) {
            int64_t sx = sign_extend(x, elem);
            x = (uint64_t)(sx >> (count >= bits ? bits - 1 : count)) & emask;
        } else if (count >= bits) {
            x = 0;
        } else {
            x = (kind == MMX_SLL ? x << count : x >> count) & emask;
        }
        r |= x << (i * bits);
    }
    return r;
}

/* 0F 71-73 /2 /4 /6 ib: shifts of an MM register by an immediate. */
void op_mmx_shift_imm(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    unsigned op = (in->modrm >> 3) & 7;
    unsigned elem = in->opcode == 0x71 ? 2 : in->opcode == 0x72 ? 4 : 8;
    enum mmx_shift kind = op == 2 ? MMX_SRL : op == 4 ? MMX_SRA : MMX_SLL;
    uint64_t v = mmx_reg_read(cpu, in->rm);
    mmx_reg_write(cpu, in->rm, shift_lanes(v, elem, kind, in->imm & 0xff));
}

/* 0F D1-D3, E1-E2, F1-F3: the count is the whole 64-bit source. */
void op_mmx_shift_reg(struct cpu *cpu, const struct insn *in)
{
    mmx_prologue(cpu);
    uint64_t count = mmx_rm(cpu, in, 8);
    unsigned elem = 2u << ((in->opcode & 0xf) - 1);
    enum mmx_shift kind = (in->opcode >> 4) == 0xd ? MMX_SRL
                          : (in->opcode >> 4) == 0xe ? MMX_SRA : MMX_SLL;
    uint64_t v = mmx_reg_read(cpu, in->reg);
    mmx_reg_write(cpu, in->reg, shift_lanes(v, elem, kind, count));
}

/* 0F 77 EMMS: every register tagged empty (SDM Vol.1 9.5.3); TOP is
 * zeroed as by any MMX instruction (observed on Intel parts). */
void op_mmx_emms(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    mmx_prologue(cpu);
    mmx_enter(cpu);
    cpu->fpu.ftw = 0xffff;
}

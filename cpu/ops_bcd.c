/* Decimal arithmetic adjustments: DAA, DAS, AAA, AAS, AAM, AAD (SDM Vol.2,
 * following each instruction's Operation section). Invalid in 64-bit mode
 * (the table marks them D_NO64). Flags the SDM leaves undefined are
 * cleared, except where noted. */
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"

static uint8_t get_al(const struct cpu *cpu)
{
    return (uint8_t)cpu->gpr[R_AX];
}

static void set_al(struct cpu *cpu, uint8_t v)
{
    cpu->gpr[R_AX] = (cpu->gpr[R_AX] & ~0xffull) | v;
}

void op_daa(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint8_t old_al = get_al(cpu), al = old_al;
    bool old_cf = cpu->rflags & F_CF, cf = false, af = false;
    if ((al & 0xf) > 9 || (cpu->rflags & F_AF)) {
        cf = old_cf || al > 0xf9;
        al = (uint8_t)(al + 6);
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al + 0x60);
        cf = true;
    } else {
        cf = false;
    }
    set_al(cpu, al);
    set_arith_flags(cpu, flags_szp(al, 1) | (cf ? F_CF : 0) | (af ? F_AF : 0));
}

void op_das(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint8_t old_al = get_al(cpu), al = old_al;
    bool old_cf = cpu->rflags & F_CF, cf = false, af = false;
    if ((al & 0xf) > 9 || (cpu->rflags & F_AF)) {
        cf = old_cf || al < 6;
        al = (uint8_t)(al - 6);
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al - 0x60);
        cf = true;
    }
    set_al(cpu, al);
    set_arith_flags(cpu, flags_szp(al, 1) | (cf ? F_CF : 0) | (af ? F_AF : 0));
}

/* AAA/AAS: SF, ZF, PF, OF undefined; set from AL here. */
static void ascii_adjust(struct cpu *cpu, bool sub)
{
    uint16_t ax = (uint16_t)cpu->gpr[R_AX];
    bool adjust = (ax & 0xf) > 9 || (cpu->rflags & F_AF);
    if (adjust) {
        if (sub) {
            ax = (uint16_t)(ax - 6);
            ax = (uint16_t)(ax - 0x100);
        } else {
            ax = (uint16_t)(ax + 0x106);
        }
    }
    ax &= 0xff0f;
    cpu->gpr[R_AX] = (cpu->gpr[R_AX] & ~0xffffull) | ax;
    set_arith_flags(cpu, flags_szp(ax & 0xff, 1) | (adjust ? F_CF | F_AF : 0));
}

void op_aaa(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    ascii_adjust(cpu, false);
}

void op_aas(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    ascii_adjust(cpu, true);
}

/* AAM imm8: #DE when the base is 0. */
void op_aam(struct cpu *cpu, const struct insn *in)
{
    uint8_t base = (uint8_t)in->imm, al = get_al(cpu);
    if (!base)
        raise_de(cpu);
    uint16_t ax = (uint16_t)((al / base) << 8 | (al % base));
    cpu->gpr[R_AX] = (cpu->gpr[R_AX] & ~0xffffull) | ax;
    set_arith_flags(cpu, flags_szp(ax & 0xff, 1));
}

/* AAD imm8: OF, AF, CF undefined; computed as the final byte addition
 * AL + AH*base, as Intel processors do. */
void op_aad(struct cpu *cpu, const struct insn *in)
{
    uint8_t base = (uint8_t)in->imm, al = get_al(cpu);
    uint8_t ah = (uint8_t)(cpu->gpr[R_AX] >> 8);
    uint8_t prod = (uint8_t)(ah * base);
    uint8_t r = (uint8_t)(al + prod);
    cpu->gpr[R_AX] = (cpu->gpr[R_AX] & ~0xffffull) | r;
    set_arith_flags(cpu, flags_add(al, prod, 0, r, 1));
}

/* Bit operations and condition-code consumers: BT/BTS/BTR/BTC, BSF/BSR,
 * TZCNT/LZCNT, POPCNT, BSWAP, MOVBE, CRC32, SETcc, CMOVcc, RDRAND/RDSEED
 * (SDM Vol.2). */
#include "cpu/cpuid.h"
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"
#include "vmx_emul/vmx_hooks.h"

enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

/* CF = the selected bit; ZF is left alone, OF/SF/AF/PF are undefined and
 * left alone too (SDM Vol.2 BT). */
static void bit_op(struct cpu *cpu, const struct insn *in, unsigned op, int64_t bitoff,
                   bool reg_offset)
{
    unsigned sz = in->opsize, bits = sz * 8;
    uint64_t v, lin = 0;
    uint64_t ea = 0;
    if (in->mod == 3) {
        v = reg_read(cpu, in->rm, sz, in->rex);
    } else {
        ea = insn_ea(cpu, in);
        if (reg_offset) {
            /* A register bit offset may address outside the operand: it is a
             * signed offset from the operand's address, in operand-size
             * units (SDM Vol.2 BT, "bit base"). */
            int64_t unit = bitoff >= 0 ? bitoff / (int64_t)bits
                                       : -((-(bitoff + 1)) / (int64_t)bits) - 1;
            ea = (ea + (uint64_t)(unit * (int64_t)sz)) & size_mask(in->addrsize);
        }
        if (op == BT_TEST) {
            v = mem_read(cpu, in->seg, ea, sz);
        } else {
            lin = mem_probe_write(cpu, in->seg, ea, sz);
            v = lin_read(cpu, lin, sz);
        }
    }
    unsigned bit = (unsigned)((uint64_t)bitoff & (bits - 1));
    uint64_t mask = 1ull << bit;
    uint32_t cf = (v & mask) ? F_CF : 0;
    if (op != BT_TEST) {
        if (op == BT_SET)
            v |= mask;
        else if (op == BT_RESET)
            v &= ~mask;
        else
            v ^= mask;
        if (in->mod == 3)
            reg_write(cpu, in->rm, sz, in->rex, v);
        else
            lin_write(cpu, lin, v, sz);
    }
    set_flags_masked(cpu, F_CF, cf);
}

/* 0F A3/AB/B3/BB: opcode bits 4:3 select BT, BTS, BTR, BTC. */
void op_bt_rm_r(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    int64_t off = sign_extend(greg_read(cpu, in, sz), sz);
    bit_op(cpu, in, (in->opcode >> 3) & 3, off, true);
}

/* 0F BA /4-7. */
void op_bt_rm_imm(struct cpu *cpu, const struct insn *in)
{
    bit_op(cpu, in, ((in->modrm >> 3) & 7) - 4, (int64_t)(in->imm & 0xff), false);
}

/* BSF/BSR: a zero source sets ZF and leaves the destination unchanged, as
 * Intel processors do (the SDM says undefined). CF, OF, SF, AF, PF are
 * undefined; as on Intel processors, PF is the parity of the result (of 0
 * for a zero source) and the others are cleared. */
void op_bsf(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t s = rm_read(cpu, in, sz);
    if (!s) {
        set_arith_flags(cpu, F_ZF | F_PF);
        return;
    }
    uint64_t r = (uint64_t)__builtin_ctzll(s);
    greg_write(cpu, in, sz, r);
    set_arith_flags(cpu, parity_flag(r));
}

void op_bsr(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t s = rm_read(cpu, in, sz);
    if (!s) {
        set_arith_flags(cpu, F_ZF | F_PF);
        return;
    }
    uint64_t r = 63 - (uint64_t)__builtin_clzll(s);
    greg_write(cpu, in, sz, r);
    set_arith_flags(cpu, parity_flag(r));
}

static bool model_has(const struct cpu *cpu, unsigned isa)
{
    return (cpu->model->isa_mask & (1ull << isa)) != 0;
}

/* TZCNT/LZCNT: CF = zero source, ZF = zero result; OF, SF, AF, PF are
 * undefined: Intel processors clear them. */
static uint32_t count_flags(uint64_t src, uint64_t res)
{
    return (src ? 0 : F_CF) | (res ? 0 : F_ZF);
}

/* F3 0F BC: TZCNT with BMI1; without it the F3 is ignored and the
 * instruction is BSF, as on processors that predate BMI1. */
void op_tzcnt(struct cpu *cpu, const struct insn *in)
{
    if (!model_has(cpu, ISA_BMI1)) {
        op_bsf(cpu, in);
        return;
    }
    unsigned sz = in->opsize;
    uint64_t s = rm_read(cpu, in, sz);
    uint64_t r = s ? (uint64_t)__builtin_ctzll(s) : sz * 8u;
    greg_write(cpu, in, sz, r);
    set_arith_flags(cpu, count_flags(s, r));
}

void op_lzcnt(struct cpu *cpu, const struct insn *in)
{
    if (!model_has(cpu, ISA_LZCNT)) {
        op_bsr(cpu, in);
        return;
    }
    unsigned sz = in->opsize;
    uint64_t s = rm_read(cpu, in, sz);
    uint64_t r = s ? (uint64_t)__builtin_clzll(s) - (64 - sz * 8u) : sz * 8u;
    greg_write(cpu, in, sz, r);
    set_arith_flags(cpu, count_flags(s, r));
}

void op_popcnt(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t s = rm_read(cpu, in, sz);
    greg_write(cpu, in, sz, (uint64_t)__builtin_popcountll(s));
    set_arith_flags(cpu, s ? 0 : F_ZF);
}

static uint64_t byte_swap(uint64_t v, unsigned sz)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < sz; i++)
        r |= ((v >> (8 * i)) & 0xff) << (8 * (sz - 1 - i));
    return r;
}

/* BSWAP of a 16-bit register is undefined; Intel processors clear it. */
void op_bswap(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t v = reg_read(cpu, in->reg, sz, 1);
    reg_write(cpu, in->reg, sz, 1, sz == 2 ? 0 : byte_swap(v, sz));
}

/* MOVBE exists without a mandatory prefix or with 66 (16-bit); F3 is #UD. */
void op_movbe_r_m(struct cpu *cpu, const struct insn *in)
{
    if (in->rep == REP_E)
        raise_ud(cpu);
    unsigned sz = in->opsize;
    greg_write(cpu, in, sz, byte_swap(rm_read(cpu, in, sz), sz));
}

void op_movbe_m_r(struct cpu *cpu, const struct insn *in)
{
    if (in->rep == REP_E)
        raise_ud(cpu);
    unsigned sz = in->opsize;
    rm_write(cpu, in, sz, byte_swap(greg_read(cpu, in, sz), sz));
}

/* CRC32 uses the Castagnoli polynomial 11EDC6F41h, bit-reflected, with no
 * pre- or post-inversion (SDM Vol.2 CRC32). The source is in->opsize bytes;
 * the destination is 64-bit with REX.W (upper half zero), else 32-bit. */
void op_crc32(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t s = rm_read(cpu, in, sz);
    uint32_t crc = (uint32_t)cpu->gpr[in->reg];
    for (unsigned i = 0; i < sz; i++) {
        crc ^= (uint32_t)(s >> (8 * i)) & 0xff;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    cpu->gpr[in->reg] = crc;
}

void op_setcc(struct cpu *cpu, const struct insn *in)
{
    rm_write(cpu, in, 1, cond_true(cpu->rflags, in->opcode & 15) ? 1 : 0);
}

/* CMOVcc reads its source whatever the condition (a memory source can
 * fault), and a 32-bit destination is zero-extended even when the
 * condition is false (SDM Vol.2 CMOVcc). */
void op_cmovcc(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t s = rm_read(cpu, in, sz);
    if (cond_true(cpu->rflags, in->opcode & 15))
        greg_write(cpu, in, sz, s);
    else if (sz == 4)
        greg_write(cpu, in, sz, greg_read(cpu, in, sz));
}

/* RDRAND/RDSEED: a deterministic generator, so that a run repeats: a
 * splitmix64 hash of the vCPU number and its retired-instruction count,
 * which differ for every execution. Always succeeds: CF = 1, other
 * arithmetic flags cleared (SDM Vol.2 RDRAND). */
void op_rdrand(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    if (in->mandatory == PFX_66 && !(in->rex & 8))
        sz = 2;
    if (cpu->vmx_nonroot && vmx_nonroot_rdrand(cpu, in, (in->modrm & 8) ? EXIT_REASON_RDSEED : EXIT_REASON_RDRAND, sz)) return;
    uint64_t z = cpu->icount * 0x9e3779b97f4a7c15ull + (uint64_t)cpu->index * 0xbf58476d1ce4e5b9ull +
                 cpu->rip + (in->modrm & 8);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    reg_write(cpu, in->rm, sz, 1, z);
    set_arith_flags(cpu, F_CF);
}

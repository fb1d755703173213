/* Data movement: MOV in its integer forms, LEA, MOVZX/MOVSX/MOVSXD,
 * CBW/CWD and relatives, LAHF/SAHF, XLAT (SDM Vol.2). */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"

void op_mov_r_imm(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, in->reg, in->opsize, in->rex, in->imm);
}

void op_mov_rm_r(struct cpu *cpu, const struct insn *in)
{
    rm_write(cpu, in, in->opsize, greg_read(cpu, in, in->opsize));
}

void op_mov_r_rm(struct cpu *cpu, const struct insn *in)
{
    greg_write(cpu, in, in->opsize, rm_read(cpu, in, in->opsize));
}

void op_mov_rm_imm(struct cpu *cpu, const struct insn *in)
{
    rm_write(cpu, in, in->opsize, in->imm);
}

/* A0-A3: the offset is an address-size immediate in the default (or
 * overridden) data segment. */
void op_mov_a_moffs(struct cpu *cpu, const struct insn *in)
{
    uint64_t off = in->imm & size_mask(in->addrsize);
    reg_write(cpu, R_AX, in->opsize, 1, mem_read(cpu, in->seg, off, in->opsize));
}

void op_mov_moffs_a(struct cpu *cpu, const struct insn *in)
{
    uint64_t off = in->imm & size_mask(in->addrsize);
    mem_write(cpu, in->seg, off, reg_read(cpu, R_AX, in->opsize, 1), in->opsize);
}

/* LEA: the address-size effective address, truncated or zero-extended to
 * the operand size (SDM Vol.2 LEA table 3-53). */
void op_lea(struct cpu *cpu, const struct insn *in)
{
    greg_write(cpu, in, in->opsize, insn_ea(cpu, in));
}

/* 0F B6/B7 and BE/BF: bit 0 of the opcode selects a byte or word source. */
void op_movzx(struct cpu *cpu, const struct insn *in)
{
    unsigned src = (in->opcode & 1) ? 2 : 1;
    greg_write(cpu, in, in->opsize, rm_read(cpu, in, src));
}

void op_movsx(struct cpu *cpu, const struct insn *in)
{
    unsigned src = (in->opcode & 1) ? 2 : 1;
    uint64_t v = (uint64_t)sign_extend(rm_read(cpu, in, src), src);
    greg_write(cpu, in, in->opsize, v);
}

/* 63 in 64-bit mode: sign-extends a doubleword with REX.W; without it the
 * instruction is a plain 32- or 16-bit move. */
void op_movsxd(struct cpu *cpu, const struct insn *in)
{
    unsigned src = in->opsize > 4 ? 4 : in->opsize;
    uint64_t v = (uint64_t)sign_extend(rm_read(cpu, in, src), src);
    greg_write(cpu, in, in->opsize, v);
}

/* 98: CBW / CWDE / CDQE. */
void op_cbw(struct cpu *cpu, const struct insn *in)
{
    unsigned half = in->opsize / 2;
    uint64_t v = (uint64_t)sign_extend(reg_read(cpu, R_AX, half, 1), half);
    reg_write(cpu, R_AX, in->opsize, 1, v);
}

/* 99: CWD / CDQ / CQO. */
void op_cwd(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t a = reg_read(cpu, R_AX, sz, 1);
    reg_write(cpu, R_DX, sz, 1, (a & sign_bit(sz)) ? ~0ull : 0);
}

/* SAHF/LAHF move SF, ZF, AF, PF, CF (bit 1 reads as 1). Available in 64-bit
 * mode when CPUID.80000001H:ECX.LAHF-SAHF is set, which every model has. */
void op_sahf(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint32_t ah = (uint32_t)(cpu->gpr[R_AX] >> 8) & 0xff;
    set_flags_masked(cpu, F_SF | F_ZF | F_AF | F_PF | F_CF, ah);
}

void op_lahf(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint64_t ah = (cpu->rflags & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | 2;
    cpu->gpr[R_AX] = (cpu->gpr[R_AX] & ~0xff00ull) | ah << 8;
}

/* XLAT: AL = [seg: rBX + AL], rBX at the address size. */
void op_xlat(struct cpu *cpu, const struct insn *in)
{
    uint64_t off = (cpu->gpr[R_BX] + (cpu->gpr[R_AX] & 0xff)) & size_mask(in->addrsize);
    reg_write(cpu, R_AX, 1, 1, mem_read(cpu, in->seg, off, 1));
}

/* Data movement. */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"

void op_nop(struct cpu *cpu, const struct insn *in)
{
    (void)cpu;
    (void)in;
}

void op_mov_r_imm(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, in->reg, in->opsize, in->rex, in->imm);
}

/* Near control flow. */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"

void op_jmp_rel(struct cpu *cpu, const struct insn *in)
{
    branch_to(cpu, cpu->next_rip + in->imm, in->opsize);
}

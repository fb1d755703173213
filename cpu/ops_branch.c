/* Near control flow: JMP, Jcc, CALL, RET, LOOP/LOOPcc, JrCXZ (SDM Vol.2).
 * In 64-bit mode the table forces a 64-bit operand size for all of them, as
 * Intel processors ignore 66 there; elsewhere a 16-bit operand size
 * truncates the target to 16 bits (branch_to). */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"

void op_jmp_rel(struct cpu *cpu, const struct insn *in)
{
    branch_to(cpu, cpu->next_rip + in->imm, in->opsize);
}

void op_jcc(struct cpu *cpu, const struct insn *in)
{
    if (cond_true(cpu->rflags, in->opcode & 15))
        branch_to(cpu, cpu->next_rip + in->imm, in->opsize);
}

/* The target is checked before the return address is pushed; a fault on
 * the push leaves RIP at the CALL (next_rip is not committed). */
void op_call_rel(struct cpu *cpu, const struct insn *in)
{
    uint64_t ret = cpu->next_rip;
    branch_to(cpu, ret + in->imm, in->opsize);
    push(cpu, ret, in->opsize);
}

void op_call_rm(struct cpu *cpu, const struct insn *in)
{
    uint64_t ret = cpu->next_rip;
    uint64_t target = rm_read(cpu, in, in->opsize);
    branch_to(cpu, target, in->opsize);
    push(cpu, ret, in->opsize);
}

void op_jmp_rm(struct cpu *cpu, const struct insn *in)
{
    branch_to(cpu, rm_read(cpu, in, in->opsize), in->opsize);
}

/* C3 / C2 imm16: pop the target, then release imm16 more bytes. */
void op_ret_near(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t m = stack_mask(cpu);
    uint64_t target = stack_peek(cpu, 0, sz);
    branch_to(cpu, target, sz);
    uint64_t sp = ((cpu->gpr[R_SP] & m) + sz + (in->opcode == 0xc2 ? (in->imm & 0xffff) : 0)) & m;
    cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~m) | sp;
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JrCXZ: the address size picks CX, ECX
 * or RCX. */
void op_loop(struct cpu *cpu, const struct insn *in)
{
    unsigned as = in->addrsize;
    uint64_t cnt = cpu->gpr[R_CX] & size_mask(as);
    bool taken;
    if (in->opcode == 0xe3) {
        taken = cnt == 0;
    } else {
        cnt = (cnt - 1) & size_mask(as);
        taken = cnt != 0;
        if (in->opcode == 0xe0)
            taken = taken && !(cpu->rflags & F_ZF);
        else if (in->opcode == 0xe1)
            taken = taken && (cpu->rflags & F_ZF);
    }
    if (taken)
        branch_to(cpu, cpu->next_rip + in->imm, in->opsize);
    if (in->opcode != 0xe3)
        reg_write(cpu, R_CX, as, 1, cnt);
}

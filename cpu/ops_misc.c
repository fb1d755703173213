/* Integer instructions with no data operand: NOP and the hint NOPs, PAUSE,
 * the flag-bit instructions CLC/STC/CMC/CLD/STD, and BOUND (SDM Vol.2). */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"

void op_nop(struct cpu *cpu, const struct insn *in)
{
    (void)cpu;
    (void)in;
}

/* PAUSE is a spin-wait hint: give the other vCPUs their turn now, since the
 * one we are waiting for cannot make progress while this one spins. */
void op_pause(struct cpu *cpu, const struct insn *in)
{
    (void)in; /* VM exits: cpu/row_intercept.c (RX_PAUSE) */
    cpu->stop_block = true;
    cpu->quantum_end = cpu->icount;
}

void op_clc(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    cpu->rflags &= ~(uint64_t)F_CF;
}

void op_stc(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    cpu->rflags |= F_CF;
}

void op_cmc(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    cpu->rflags ^= F_CF;
}

void op_cld(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    cpu->rflags &= ~(uint64_t)F_DF;
}

void op_std(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    cpu->rflags |= F_DF;
}

/* BOUND r, m16&16 / m32&32: #BR when the signed index lies outside
 * [lower, upper] (SDM Vol.2 BOUND). */
void op_bound(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t ea = insn_ea(cpu, in);
    int64_t lower = sign_extend(mem_read(cpu, in->seg, ea, sz), sz);
    int64_t upper = sign_extend(mem_read(cpu, in->seg, (ea + sz) & size_mask(in->addrsize), sz), sz);
    int64_t idx = sign_extend(greg_read(cpu, in, sz), sz);
    if (idx < lower || idx > upper)
        cpu_raise_noerr(cpu, EXC_BR);
}

/* Operand access for instruction handlers: registers by size, the ModRM
 * operand, effective addresses, the stack. */
#ifndef TURTLES_CPU_OPERANDS_H
#define TURTLES_CPU_OPERANDS_H

#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/insn.h"
#include "cpu/mem.h"

FAST_INLINE uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

FAST_INLINE int64_t sign_extend(uint64_t v, unsigned size)
{
    switch (size) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
    }
}

/* Register read/write with x86 partial-register rules: 8- and 16-bit writes
 * keep the rest, 32-bit writes zero the upper half (SDM Vol.1 3.4.1.1).
 * Byte registers 4-7 are AH, CH, DH, BH unless a REX prefix is present. */
FAST_INLINE uint64_t reg_read(const struct cpu *cpu, unsigned reg, unsigned size, unsigned rex)
{
    if (size == 1) {
        if (!rex && reg >= 4 && reg < 8)
            return (cpu->gpr[reg - 4] >> 8) & 0xff;
        return cpu->gpr[reg] & 0xff;
    }
    return cpu->gpr[reg] & size_mask(size);
}

FAST_INLINE void reg_write(struct cpu *cpu, unsigned reg, unsigned size, unsigned rex,
                             uint64_t v)
{
    switch (size) {
    case 1:
        if (!rex && reg >= 4 && reg < 8)
            cpu->gpr[reg - 4] = (cpu->gpr[reg - 4] & ~0xff00ull) | ((v & 0xff) << 8);
        else
            cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffull) | (v & 0xff);
        break;
    case 2: cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffffull) | (v & 0xffff); break;
    case 4: cpu->gpr[reg] = (uint32_t)v; break;
    default: cpu->gpr[reg] = v; break;
    }
}

/* Effective address (offset within the segment), truncated to the address size. */
FAST_INLINE uint64_t insn_ea(const struct cpu *cpu, const struct insn *in)
{
    uint64_t ea = (uint64_t)(int64_t)in->disp;
    if (in->rip_rel)
        ea += cpu->next_rip;
    if (in->base != NO_REG)
        ea += cpu->gpr[in->base];
    if (in->index != NO_REG)
        ea += cpu->gpr[in->index] << in->scale;
    return ea & size_mask(in->addrsize);
}

FAST_INLINE uint64_t rm_read(struct cpu *cpu, const struct insn *in, unsigned size)
{
    if (in->mod == 3)
        return reg_read(cpu, in->rm, size, in->rex);
    return mem_read(cpu, in->seg, insn_ea(cpu, in), size);
}

FAST_INLINE void rm_write(struct cpu *cpu, const struct insn *in, unsigned size, uint64_t v)
{
    if (in->mod == 3)
        reg_write(cpu, in->rm, size, in->rex, v);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), v, size);
}

FAST_INLINE uint64_t greg_read(const struct cpu *cpu, const struct insn *in, unsigned size)
{
    return reg_read(cpu, in->reg, size, in->rex);
}

FAST_INLINE void greg_write(struct cpu *cpu, const struct insn *in, unsigned size, uint64_t v)
{
    reg_write(cpu, in->reg, size, in->rex, v);
}

/* Stack (SDM Vol.1 6.2): the stack address size is SS.B outside 64-bit mode. */
FAST_INLINE uint64_t stack_mask(const struct cpu *cpu)
{
    return size_mask(cpu->stack_size);
}

FAST_INLINE void push(struct cpu *cpu, uint64_t v, unsigned size)
{
    uint64_t mask = stack_mask(cpu);
    uint64_t sp = (cpu->gpr[R_SP] - size) & mask;
    mem_write(cpu, S_SS, sp, v, size);
    cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~mask) | sp;
}

FAST_INLINE uint64_t pop(struct cpu *cpu, unsigned size)
{
    uint64_t mask = stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_SP] & mask;
    uint64_t v = mem_read(cpu, S_SS, sp, size);
    cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~mask) | ((sp + size) & mask);
    return v;
}

/* Read the value `depth` slots above the stack top without popping. */
static inline uint64_t stack_peek(struct cpu *cpu, unsigned offset, unsigned size)
{
    uint64_t sp = (cpu->gpr[R_SP] + offset) & stack_mask(cpu);
    return mem_read(cpu, S_SS, sp, size);
}

/* Bits 63:47 all equal (48-bit linear addresses). The shift is done
 * unsigned: a left shift of a negative int64_t is undefined behaviour. */
FAST_INLINE bool is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Branch to a new RIP with the operand size's truncation (SDM Vol.2 JMP):
 * #GP(0) past the CS limit, or for a non-canonical target in 64-bit mode. */
FAST_INLINE void branch_to(struct cpu *cpu, uint64_t target, unsigned opsize)
{
    target &= size_mask(opsize);
    if (cpu->mode == MODE_LONG) {
        if (!is_canonical(target))
            raise_gp(cpu, 0);
    } else if (target > cpu->seg[S_CS].limit) {
        raise_gp(cpu, 0);
    }
    cpu->next_rip = target;
    cpu->stop_block = true;
}

#endif

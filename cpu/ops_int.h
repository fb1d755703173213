/* Helpers shared by the integer instruction handlers (cpu/ops_*.c). */
#ifndef TURTLES_CPU_OPS_INT_H
#define TURTLES_CPU_OPS_INT_H

#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/operands.h"

/* Read the ModRM destination of a read-modify-write instruction. A memory
 * destination is probed for write access first, so a fault on the write
 * cannot happen after registers or flags have changed; *lin keeps the
 * linear address for rmw_write(). */
static inline uint64_t rmw_read(struct cpu *cpu, const struct insn *in, unsigned size,
                                uint64_t *lin)
{
    if (in->mod == 3) {
        *lin = 0;
        return reg_read(cpu, in->rm, size, in->rex);
    }
    *lin = mem_probe_write(cpu, in->seg, insn_ea(cpu, in), size);
    return lin_read(cpu, *lin, size);
}

static inline void rmw_write(struct cpu *cpu, const struct insn *in, unsigned size,
                             uint64_t lin, uint64_t v)
{
    if (in->mod == 3)
        reg_write(cpu, in->rm, size, in->rex, v);
    else
        lin_write(cpu, lin, v, size);
}

/* The eight ALU operations in encoding order (ADD OR ADC SBB AND SUB XOR
 * CMP): computes the result and sets the arithmetic flags. */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* always_inline: with op and size constant (cpu/ops_fast_alu.c) the switch
 * and the masks fold away. */
static inline __attribute__((always_inline)) uint64_t alu_compute(struct cpu *cpu, unsigned op, uint64_t a, uint64_t b,
                                   unsigned size)
{
    uint64_t m = size_mask(size), r, c;
    uint32_t f;
    a &= m;
    b &= m;
    switch (op) {
    case ALU_ADD: r = a + b; f = flags_add(a, b, 0, r, size); break;
    case ALU_OR: r = a | b; f = flags_logic(r, size); break;
    case ALU_ADC:
        c = cpu->rflags & F_CF;
        r = a + b + c;
        f = flags_add(a, b, c, r, size);
        break;
    case ALU_SBB:
        c = cpu->rflags & F_CF;
        r = a - b - c;
        f = flags_sub(a, b, c, r, size);
        break;
    case ALU_AND: r = a & b; f = flags_logic(r, size); break;
    case ALU_XOR: r = a ^ b; f = flags_logic(r, size); break;
    default: r = a - b; f = flags_sub(a, b, 0, r, size); break; /* SUB, CMP */
    }
    set_arith_flags(cpu, f);
    return r & m;
}

/* Flags that an instruction leaves alone keep their value; this sets only
 * those in `mask` from `f`. */
static inline void set_flags_masked(struct cpu *cpu, uint32_t mask, uint32_t f)
{
    cpu->rflags = (cpu->rflags & ~(uint64_t)mask) | (f & mask);
}

static inline uint64_t msb(uint64_t v, unsigned size)
{
    return (v >> (size * 8 - 1)) & 1;
}

#endif

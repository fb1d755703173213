/* Arithmetic flags, computed eagerly (SDM Vol.1 3.4.3.1, appendix A). */
#ifndef TURTLES_CPU_FLAGS_H
#define TURTLES_CPU_FLAGS_H

#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/operands.h"

FAST_INLINE uint32_t parity_flag(uint64_t res)
{
    /* Fold the low byte to 4 bits and look the parity up in a 16-bit
     * constant: cheaper than popcount on hosts without a popcount insn. */
    unsigned b = (unsigned)res & 0xff;
    b ^= b >> 4;
    return ((0x9669u >> (b & 0xf)) & 1) ? F_PF : 0;
}

FAST_INLINE uint64_t sign_bit(unsigned size)
{
    return 1ull << (size * 8 - 1);
}

/* ZF, SF, PF of a result. */
FAST_INLINE uint32_t flags_szp(uint64_t res, unsigned size)
{
    res &= size_mask(size);
    return (res == 0 ? F_ZF : 0) | ((res & sign_bit(size)) ? F_SF : 0) | parity_flag(res);
}

FAST_INLINE void set_arith_flags(struct cpu *cpu, uint32_t f)
{
    cpu->rflags = (cpu->rflags & ~(uint64_t)F_ARITH) | f;
}

/* a + b + carry_in = res */
FAST_INLINE uint32_t flags_add(uint64_t a, uint64_t b, uint64_t carry_in, uint64_t res,
                                 unsigned size)
{
    uint64_t m = size_mask(size);
    a &= m; b &= m; res &= m;
    uint32_t f = flags_szp(res, size);
    if (res < a || (carry_in && res == a))
        f |= F_CF;
    if (((a ^ res) & (b ^ res)) & sign_bit(size))
        f |= F_OF;
    if ((a ^ b ^ res) & 0x10)
        f |= F_AF;
    return f;
}

/* a - b - borrow_in = res */
FAST_INLINE uint32_t flags_sub(uint64_t a, uint64_t b, uint64_t borrow_in, uint64_t res,
                                 unsigned size)
{
    uint64_t m = size_mask(size);
    a &= m; b &= m; res &= m;
    uint32_t f = flags_szp(res, size);
    if (a < b || (borrow_in && a == b))
        f |= F_CF;
    if (((a ^ b) & (a ^ res)) & sign_bit(size))
        f |= F_OF;
    if ((a ^ b ^ res) & 0x10)
        f |= F_AF;
    return f;
}

/* AND/OR/XOR/TEST: CF=OF=0, AF undefined (cleared, as current Intel CPUs do). */
FAST_INLINE uint32_t flags_logic(uint64_t res, unsigned size)
{
    return flags_szp(res, size);
}

/* Condition codes (SDM Vol.1 appendix B), cc = low nibble of Jcc/SETcc/CMOVcc. */
FAST_INLINE int cond_true(uint64_t fl, unsigned cc)
{
    int r;
    switch (cc >> 1) {
    case 0: r = !!(fl & F_OF); break;
    case 1: r = !!(fl & F_CF); break;
    case 2: r = !!(fl & F_ZF); break;
    case 3: r = !!(fl & (F_CF | F_ZF)); break;
    case 4: r = !!(fl & F_SF); break;
    case 5: r = !!(fl & F_PF); break;
    case 6: r = !!(fl & F_SF) != !!(fl & F_OF); break;
    default: r = (fl & F_ZF) || (!!(fl & F_SF) != !!(fl & F_OF)); break;
    }
    return (cc & 1) ? !r : r;
}

#endif

/* Multiplication and division: MUL, IMUL (one-, two- and three-operand
 * forms), DIV, IDIV (SDM Vol.2). 64-bit products use the compiler's
 * 128-bit integers (gcc and clang have them on x86-64 and aarch64). */
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"
#include "cpu/specialize.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* SF, ZF, PF and AF are undefined after MUL/IMUL; Intel processors set SF
 * and PF from the low half of the product and clear ZF and AF, which is
 * what is done here (checked against the host by the oracle test). */
FAST_INLINE void mul_flags(struct cpu *cpu, uint64_t lo, bool overflow, unsigned sz)
{
    uint32_t f = flags_szp(lo, sz) & ~(uint32_t)F_ZF;
    if (overflow)
        f |= F_CF | F_OF;
    set_arith_flags(cpu, f);
}

/* Write the double-width result: AX for bytes, DX:AX, EDX:EAX, RDX:RAX. */
static void write_wide(struct cpu *cpu, unsigned sz, uint64_t lo, uint64_t hi)
{
    if (sz == 1) {
        reg_write(cpu, R_AX, 2, 1, (lo & 0xff) | (hi & 0xff) << 8);
        return;
    }
    reg_write(cpu, R_AX, sz, 1, lo);
    reg_write(cpu, R_DX, sz, 1, hi);
}

void op_mul(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize, bits = sz * 8;
    uint64_t b = rm_read(cpu, in, sz), a = reg_read(cpu, R_AX, sz, 1);
    uint64_t lo, hi;
    if (sz == 8) {
        u128 p = (u128)a * b;
        lo = (uint64_t)p;
        hi = (uint64_t)(p >> 64);
    } else {
        uint64_t p = a * b;
        lo = p & size_mask(sz);
        hi = p >> bits;
    }
    write_wide(cpu, sz, lo, hi);
    mul_flags(cpu, lo, hi != 0, sz);
}

/* Signed product of a and b (already sign-extended) at size sz: low half,
 * high half, and whether the result does not fit the low half. */
FAST_INLINE bool imul_compute(int64_t a, int64_t b, unsigned sz, uint64_t *lo, uint64_t *hi)
{
    if (sz == 8) {
        s128 p = (s128)a * b;
        *lo = (uint64_t)p;
        *hi = (uint64_t)((u128)p >> 64);
        return p != (s128)(int64_t)*lo;
    }
    int64_t p = a * b;
    *lo = (uint64_t)p & size_mask(sz);
    *hi = ((uint64_t)p >> (sz * 8)) & size_mask(sz);
    return p != sign_extend((uint64_t)p, sz);
}

void op_imul1(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    int64_t b = sign_extend(rm_read(cpu, in, sz), sz);
    int64_t a = sign_extend(reg_read(cpu, R_AX, sz, 1), sz);
    uint64_t lo, hi;
    bool ovf = imul_compute(a, b, sz, &lo, &hi);
    write_wide(cpu, sz, lo, hi);
    mul_flags(cpu, lo, ovf, sz);
}

void op_imul_r_rm(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    int64_t b = sign_extend(rm_read(cpu, in, sz), sz);
    int64_t a = sign_extend(greg_read(cpu, in, sz), sz);
    uint64_t lo, hi;
    bool ovf = imul_compute(a, b, sz, &lo, &hi);
    greg_write(cpu, in, sz, lo);
    mul_flags(cpu, lo, ovf, sz);
}

void op_imul_r_rm_imm(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    int64_t a = sign_extend(rm_read(cpu, in, sz), sz);
    int64_t b = sign_extend(in->imm, sz);
    uint64_t lo, hi;
    bool ovf = imul_compute(a, b, sz, &lo, &hi);
    greg_write(cpu, in, sz, lo);
    mul_flags(cpu, lo, ovf, sz);
}

/* DIV/IDIV: #DE for a zero divisor or a quotient that does not fit
 * (SDM Vol.2 DIV). The flags are undefined; they are left unchanged. */
void op_div(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t d = rm_read(cpu, in, sz);
    if (d == 0)
        raise_de(cpu);
    if (sz == 1) {
        uint64_t n = cpu->gpr[R_AX] & 0xffff, q = n / d;
        if (q > 0xff)
            raise_de(cpu);
        reg_write(cpu, R_AX, 2, 1, q | (n % d) << 8);
        return;
    }
    u128 n = ((u128)reg_read(cpu, R_DX, sz, 1) << (sz * 8)) | reg_read(cpu, R_AX, sz, 1);
    u128 q = n / d;
    if (q > size_mask(sz))
        raise_de(cpu);
    reg_write(cpu, R_AX, sz, 1, (uint64_t)q);
    reg_write(cpu, R_DX, sz, 1, (uint64_t)(n % d));
}

void op_idiv(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    int64_t d = sign_extend(rm_read(cpu, in, sz), sz);
    if (d == 0)
        raise_de(cpu);
    s128 n;
    if (sz == 1)
        n = (int16_t)cpu->gpr[R_AX];
    else
        n = (s128)(((u128)reg_read(cpu, R_DX, sz, 1) << (sz * 8)) |
                   reg_read(cpu, R_AX, sz, 1));
    if (sz == 8) {
        /* The dividend is already a full 128-bit value. */
    } else if (sz == 4) {
        n = (int64_t)n;
    } else if (sz == 2) {
        n = (int32_t)n;
    }
    /* -2^127 / -1 overflows the host too: it is a #DE quotient anyway. */
    if (sz == 8 && d == -1 && n == (s128)((u128)1 << 127))
        raise_de(cpu);
    s128 q = n / d, r = n % d;
    int64_t lim = (int64_t)(sign_bit(sz) - 1);
    if (q > lim || q < -lim - 1)
        raise_de(cpu);
    if (sz == 1) {
        reg_write(cpu, R_AX, 2, 1, ((uint64_t)q & 0xff) | ((uint64_t)r & 0xff) << 8);
        return;
    }
    reg_write(cpu, R_AX, sz, 1, (uint64_t)q);
    reg_write(cpu, R_DX, sz, 1, (uint64_t)r);
}

/* Specialized two- and three-operand IMUL for 32- and 64-bit operands
 * (cpu/specialize.h): with the size constant the product and the flags
 * fold. The memory forms read through rm_read() with a constant size. */
#define IMUL_FORMS(SZ)                                                                     \
    static void imul_r_rm_##SZ(struct cpu *cpu, const struct insn *in)                     \
    {                                                                                      \
        int64_t b = sign_extend(rm_read(cpu, in, SZ), SZ);                                 \
        int64_t a = sign_extend(reg_read(cpu, in->reg, SZ, 1), SZ);                        \
        uint64_t lo, hi;                                                                   \
        bool ovf = imul_compute(a, b, SZ, &lo, &hi);                                       \
        reg_write(cpu, in->reg, SZ, 1, lo);                                                \
        mul_flags(cpu, lo, ovf, SZ);                                                       \
    }                                                                                      \
    static void imul_r_rm_imm_##SZ(struct cpu *cpu, const struct insn *in)                 \
    {                                                                                      \
        int64_t a = sign_extend(rm_read(cpu, in, SZ), SZ);                                 \
        int64_t b = sign_extend(in->imm, SZ);                                              \
        uint64_t lo, hi;                                                                   \
        bool ovf = imul_compute(a, b, SZ, &lo, &hi);                                       \
        reg_write(cpu, in->reg, SZ, 1, lo);                                                \
        mul_flags(cpu, lo, ovf, SZ);                                                       \
    }
IMUL_FORMS(4)
IMUL_FORMS(8)

static insn_handler pick_imul(const struct insn *in)
{
    bool q = in->opsize == 8;
    if (in->opsize != 4 && in->opsize != 8)
        return NULL;
    if (in->fn == op_imul_r_rm)
        return q ? imul_r_rm_8 : imul_r_rm_4;
    return q ? imul_r_rm_imm_8 : imul_r_rm_imm_4; /* op_imul_r_rm_imm */
}

/* Generic handler of the opcode table -> its picker. */
static const struct fast_form fast_forms[] = {
    {op_imul_r_rm, pick_imul}, {op_imul_r_rm_imm, pick_imul},
};

static const struct fast_name fast_names[] = {
    FAST_NAME(imul_r_rm_4), FAST_NAME(imul_r_rm_8),
    FAST_NAME(imul_r_rm_imm_4), FAST_NAME(imul_r_rm_imm_8),
};

FAST_FAMILY(muldiv_fast_family, fast_forms, fast_names);

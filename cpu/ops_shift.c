/* Shifts and rotates: group 2 (C0/C1/D0-D3) and SHLD/SHRD (SDM Vol.2
 * SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD). Where the SDM leaves a flag
 * undefined (OF for counts above 1, AF), the values follow what current
 * Intel processors produce, as the host-CPU oracle test checks: OF is the
 * SDM's count-1 formula applied to the first single-bit step, whatever the
 * count, and AF is cleared by the shifts (rotates leave it alone). One
 * exception: ROL/ROR of a register by an immediate count other than 1
 * leave OF unchanged. */
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"
#include "cpu/specialize.h"

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

static unsigned shift_count(struct cpu *cpu, const struct insn *in)
{
    unsigned c;
    if (in->opcode == 0xc0 || in->opcode == 0xc1)
        c = (unsigned)in->imm;
    else if (in->opcode == 0xd0 || in->opcode == 0xd1)
        c = 1;
    else
        c = (unsigned)cpu->gpr[R_CX];
    /* SDM Vol.2 SAL: the count is masked to 5 bits, 6 with REX.W. */
    return c & (in->opsize == 8 ? 0x3f : 0x1f);
}

static uint64_t rotl(uint64_t v, unsigned r, unsigned bits)
{
    uint64_t m = size_mask(bits / 8);
    r %= bits;
    if (!r)
        return v & m;
    return ((v << r) | (v >> (bits - r))) & m;
}

/* Computes a group-2 operation; count != 0. Returns the result and sets the
 * flags the operation defines. */
static inline __attribute__((always_inline)) uint64_t
shift_compute(struct cpu *cpu, unsigned op, uint64_t a, unsigned count, unsigned sz,
              bool imm_form)
{
    uint32_t rot_of = (imm_form && count != 1) ? 0 : F_OF;
    unsigned bits = sz * 8;
    uint64_t m = size_mask(sz), r, cf;
    uint32_t f, of;
    a &= m;
    switch (op) {
    case SH_ROL:
        r = rotl(a, count, bits);
        cf = r & 1;
        of = (uint32_t)(msb(a, sz) ^ ((a >> (bits - 2)) & 1));
        set_flags_masked(cpu, F_CF | rot_of, (cf ? F_CF : 0) | (of ? F_OF : 0));
        return r;
    case SH_ROR:
        r = rotl(a, bits - count % bits, bits);
        cf = msb(r, sz);
        of = (uint32_t)(msb(a, sz) ^ (a & 1));
        set_flags_masked(cpu, F_CF | rot_of, (cf ? F_CF : 0) | (of ? F_OF : 0));
        return r;
    case SH_RCL:
    case SH_RCR: {
        /* Rotate through CF: a (bits+1)-bit rotation (SDM: count mod 9 for
         * bytes, mod 17 for words). */
        unsigned n = sz == 1 ? count % 9 : sz == 2 ? count % 17 : count;
        if (n == 0)
            return a; /* a whole turn: CF and OF unchanged too */
        cf = cpu->rflags & F_CF ? 1 : 0;
        r = a;
        if (op == SH_RCR)
            of = (uint32_t)(msb(a, sz) ^ cf);
        else
            of = (uint32_t)(msb(a, sz) ^ ((a >> (bits - 2)) & 1));
        for (unsigned i = 0; i < n; i++) {
            uint64_t out;
            if (op == SH_RCL) {
                out = msb(r, sz);
                r = ((r << 1) | cf) & m;
            } else {
                out = r & 1;
                r = (r >> 1) | (cf << (bits - 1));
            }
            cf = out;
        }
        set_flags_masked(cpu, F_CF | F_OF, (cf ? F_CF : 0) | (of ? F_OF : 0));
        return r;
    }
    case SH_SHL:
    case SH_SAL:
        r = count < 64 ? (a << count) & m : 0;
        cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
        f = flags_szp(r, sz) | (cf ? F_CF : 0);
        if (msb(a, sz) ^ ((a >> (bits - 2)) & 1))
            f |= F_OF;
        set_arith_flags(cpu, f);
        return r;
    case SH_SHR:
        r = count < 64 ? a >> count : 0;
        cf = (count - 1) < 64 ? (a >> (count - 1)) & 1 : 0;
        f = flags_szp(r, sz) | (cf ? F_CF : 0);
        if (msb(a, sz))
            f |= F_OF;
        set_arith_flags(cpu, f);
        return r;
    default: { /* SAR */
        int64_t s = sign_extend(a, sz);
        unsigned c = count > 63 ? 63 : count;
        r = (uint64_t)(s >> c) & m;
        cf = (uint64_t)(s >> (count - 1 > 63 ? 63 : count - 1)) & 1;
        f = flags_szp(r, sz) | (cf ? F_CF : 0);
        set_arith_flags(cpu, f);
        return r;
    }
    }
}

void op_shift(struct cpu *cpu, const struct insn *in)
{
    unsigned op = (in->modrm >> 3) & 7, sz = in->opsize;
    unsigned count = shift_count(cpu, in);
    uint64_t lin, a = rmw_read(cpu, in, sz, &lin);
    if (count == 0) {
        /* No flags change; a 32-bit register destination is still
         * written, which clears bits 63:32 as any 32-bit write does. */
        rmw_write(cpu, in, sz, lin, a);
        return;
    }
    bool imm_form = (in->opcode == 0xc0 || in->opcode == 0xc1) && in->mod == 3;
    rmw_write(cpu, in, sz, lin, shift_compute(cpu, op, a, count, sz, imm_form));
}

/* SHLD/SHRD. For 16-bit operands with a count above 16 the SDM leaves the
 * result undefined; Intel processors then shift a 48-bit pattern
 * dest:src:dest, which this reproduces. */
static void double_shift(struct cpu *cpu, const struct insn *in, bool left)
{
    unsigned sz = in->opsize, bits = sz * 8;
    unsigned count = (unsigned)((in->opcode & 1) ? cpu->gpr[R_CX] : in->imm);
    count &= sz == 8 ? 0x3f : 0x1f;
    uint64_t lin, d = rmw_read(cpu, in, sz, &lin);
    uint64_t s = greg_read(cpu, in, sz);
    uint64_t m = size_mask(sz), r, cf;
    if (count == 0) {
        rmw_write(cpu, in, sz, lin, d);
        return;
    }
    if (sz == 2) {
        /* The 48-bit pattern d:s:d; SHLD takes the top word shifted
         * left, SHRD the bottom word shifted right. */
        uint64_t pat = (d << 32) | (s << 16) | d;
        if (left) {
            r = (pat >> (32 - count)) & 0xffff;
            cf = (pat >> (48 - count)) & 1;
        } else {
            r = (pat >> count) & 0xffff;
            cf = (pat >> (count - 1)) & 1;
        }
    } else if (left) {
        r = ((d << count) | (s >> (bits - count))) & m;
        cf = (d >> (bits - count)) & 1;
    } else {
        r = ((d >> count) | (s << (bits - count))) & m;
        cf = (d >> (count - 1)) & 1;
    }
    uint32_t f = flags_szp(r, sz) | (cf ? F_CF : 0);
    /* OF of the first single-bit step, as for the group-2 shifts. */
    uint64_t first_msb = left ? (d >> (bits - 2)) & 1 : s & 1;
    if (msb(d, sz) ^ first_msb)
        f |= F_OF;
    set_arith_flags(cpu, f);
    rmw_write(cpu, in, sz, lin, r);
}

void op_shld(struct cpu *cpu, const struct insn *in)
{
    double_shift(cpu, in, true);
}

void op_shrd(struct cpu *cpu, const struct insn *in)
{
    double_shift(cpu, in, false);
}

/* Specialized register forms of C1 (count imm8), D1 (count 1) and D3 (count
 * CL) for the
 * operations other than RCL/RCR, 32- and 64-bit (cpu/specialize.h): the
 * operation and size are constants, so shift_compute() folds. */
#define SHIFT_REG_FORMS(OP, SZ)                                                            \
    static void shift_imm_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)          \
    {                                                                                      \
        unsigned count = (unsigned)in->imm & (SZ == 8 ? 0x3f : 0x1f);                      \
        uint64_t a = reg_read(cpu, in->rm, SZ, 1);                                         \
        if (count)                                                                         \
            a = shift_compute(cpu, OP, a, count, SZ, true);                                \
        reg_write(cpu, in->rm, SZ, 1, a);                                                  \
    }                                                                                      \
    static void shift_one_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)          \
    {                                                                                      \
        reg_write(cpu, in->rm, SZ, 1,                                                      \
                  shift_compute(cpu, OP, reg_read(cpu, in->rm, SZ, 1), 1, SZ, false));     \
    }                                                                                      \
    static void shift_cl_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)           \
    {                                                                                      \
        unsigned count = (unsigned)cpu->gpr[R_CX] & (SZ == 8 ? 0x3f : 0x1f);               \
        uint64_t a = reg_read(cpu, in->rm, SZ, 1);                                         \
        if (count) /* count 0: no flags change, the register is still written */           \
            a = shift_compute(cpu, OP, a, count, SZ, false);                               \
        reg_write(cpu, in->rm, SZ, 1, a);                                                  \
    }
#define SHIFT_SIZES(OP) SHIFT_REG_FORMS(OP, 4) SHIFT_REG_FORMS(OP, 8)
SHIFT_SIZES(SH_ROL) SHIFT_SIZES(SH_ROR) SHIFT_SIZES(SH_SHL) SHIFT_SIZES(SH_SHR)
SHIFT_SIZES(SH_SAL) SHIFT_SIZES(SH_SAR)

#define SHIFT_ENTRY(OP) [OP] = {{shift_imm_reg_##OP##_4, shift_imm_reg_##OP##_8}, \
                                {shift_one_reg_##OP##_4, shift_one_reg_##OP##_8}, \
                                {shift_cl_reg_##OP##_4, shift_cl_reg_##OP##_8}}
static const insn_handler shift_fast[8][3][2] = {
    SHIFT_ENTRY(SH_ROL), SHIFT_ENTRY(SH_ROR), SHIFT_ENTRY(SH_SHL),
    SHIFT_ENTRY(SH_SHR), SHIFT_ENTRY(SH_SAL), SHIFT_ENTRY(SH_SAR),
};

static insn_handler pick_shift(const struct insn *in)
{
    if (in->mod != 3 || (in->opsize != 4 && in->opsize != 8))
        return NULL;
    unsigned form;
    if (in->opcode == 0xc1)
        form = 0;
    else if (in->opcode == 0xd1)
        form = 1;
    else if (in->opcode == 0xd3)
        form = 2;
    else
        return NULL;
    return shift_fast[(in->modrm >> 3) & 7][form][in->opsize == 8];
}

/* Generic handler of the opcode table -> its picker. */
static const struct fast_form fast_forms[] = {
    {op_shift, pick_shift},
};

#define SHIFT_NAMES(OP) FAST_NAME(shift_imm_reg_##OP##_4), FAST_NAME(shift_imm_reg_##OP##_8), \
    FAST_NAME(shift_one_reg_##OP##_4), FAST_NAME(shift_one_reg_##OP##_8), \
    FAST_NAME(shift_cl_reg_##OP##_4), FAST_NAME(shift_cl_reg_##OP##_8)
static const struct fast_name fast_names[] = {
    SHIFT_NAMES(SH_ROL), SHIFT_NAMES(SH_ROR), SHIFT_NAMES(SH_SHL),
    SHIFT_NAMES(SH_SHR), SHIFT_NAMES(SH_SAL), SHIFT_NAMES(SH_SAR),
};

FAST_FAMILY(shift_fast_family, fast_forms, fast_names);

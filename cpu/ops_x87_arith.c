/* x87 basic arithmetic: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR in all operand
 * forms, their popping and integer-operand variants (SDM Vol.1 8.3.5). */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_x87.h"

/* ModRM.reg picks the operation; a is ST0, b the other operand. For the
 * DC/DE register forms the result goes to ST(i) and the encodings of the
 * subtractions and divisions are swapped, which this operand order absorbs
 * (DC E0+i, FSUBR ST(i),ST0, is ST0 - ST(i) = a - b). */
static f80 arith(unsigned op, f80 a, f80 b, struct f80_env *e)
{
    switch (op) {
    case 0: return f80_add(a, b, e);
    case 1: return f80_mul(a, b, e);
    case 4: return f80_sub(a, b, e);
    case 5: return f80_sub(b, a, e);
    case 6: return f80_div(a, b, e);
    default: return f80_div(b, a, e);
    }
}

/* Finish an operation whose result goes to ST(dst); `pop` afterwards. */
static void arith_commit(struct cpu *cpu, unsigned dst, f80 r, const struct f80_env *e, bool pop)
{
    /* C1 follows the rounding even when an unmasked exception keeps the
     * destination (observed on Intel parts). */
    x87_result_c1(cpu, e->flags, e->c1);
    if (!x87_raise_flags(cpu, e->flags))
        return;
    x87_set(cpu, dst, r);
    if (pop)
        x87_pop(cpu);
}

/* D8 /r, DC /r (m32/m64 real), DA /r, DE /r (m32/m16 integer), memory forms. */
void op_farith_m(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    struct f80_env e = x87_env(cpu);
    uint64_t off = insn_ea(cpu, in);
    f80 b;
    switch (in->opcode) {
    case 0xd8: b = x87_real_operand(mem_read(cpu, in->seg, off, 4), 4, &e); break;
    case 0xdc: b = x87_real_operand(mem_read(cpu, in->seg, off, 8), 8, &e); break;
    case 0xda: b = f80_from_i32((int32_t)mem_read(cpu, in->seg, off, 4)); break;
    default: b = f80_from_i16((int16_t)mem_read(cpu, in->seg, off, 2)); break;
    }
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, 0)) {
        if (x87_underflow(cpu))
            x87_set(cpu, 0, f80_indefinite());
        return;
    }
    unsigned op = (in->modrm >> 3) & 7;
    e.flags = (uint16_t)x87_source_flags(cpu, e.flags, op == 7);
    /* A conversion fault (SNaN/denormal source) that is unmasked stops here. */
    if ((e.flags & ~cpu->fpu.fcw & (F80_IE | F80_DE))) {
        x87_set_c1(cpu, false);
        x87_raise_flags(cpu, e.flags);
        return;
    }
    f80 r = arith(op, x87_get(cpu, 0), b, &e);
    arith_commit(cpu, 0, r, &e, false);
}

/* D8 C0..FF (ST0 = ST0 op ST(i)), DC C0..FF (ST(i) = ST(i) op ST0),
 * DE C0..FF (the same, then pop). */
void op_farith_r(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned i = in->rm & 7, op = (in->modrm >> 3) & 7;
    unsigned dst = in->opcode == 0xd8 ? 0 : i;
    bool pop = in->opcode == 0xde;
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, 0) || x87_empty(cpu, i)) {
        if (x87_underflow(cpu)) {
            x87_set(cpu, dst, f80_indefinite());
            if (pop)
                x87_pop(cpu);
        }
        return;
    }
    struct f80_env e = x87_env(cpu);
    f80 r = arith(op, x87_get(cpu, 0), x87_get(cpu, i), &e);
    arith_commit(cpu, dst, r, &e, pop);
}

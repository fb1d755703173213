/* x87 comparisons and classification: FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/
 * FUCOMPP, FICOM/FICOMP, FCOMI/FCOMIP/FUCOMI/FUCOMIP, FTST, FXAM (SDM Vol.1
 * 8.3.6, 8.1.3.2). */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_x87.h"

static void pop_n(struct cpu *cpu, unsigned n)
{
    while (n--)
        x87_pop(cpu);
}

/* Condition codes for a relation; an invalid operation reports unordered
 * even when unmasked (observed on Intel parts), but only a completed
 * compare pops. C1 is cleared (SDM Vol.2 FCOM). */
static void compare_commit(struct cpu *cpu, enum f80_relation rel, unsigned flags, unsigned npop)
{
    bool ok = x87_raise_flags(cpu, flags);
    x87_set_cc(cpu, f80_relation_cc(rel));
    if (ok)
        pop_n(cpu, npop);
}

static void compare_underflow(struct cpu *cpu, unsigned npop)
{
    compare_commit(cpu, F80_UNORDERED, F80_IE | FSW_SF, npop);
}

/* D8 /2 /3, DC /2 /3 (m32/m64 real), DA /2 /3, DE /2 /3 (m32/m16 int). */
void op_fcom_m(struct cpu *cpu, const struct insn *in)
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
    unsigned npop = ((in->modrm >> 3) & 7) == 3;
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, 0)) {
        compare_underflow(cpu, npop);
        return;
    }
    /* An SNaN memory operand was quieted by the conversion (with IE): it
     * still compares as unordered. */
    e.flags = (uint16_t)x87_source_flags(cpu, e.flags, false);
    enum f80_relation rel = f80_compare(x87_get(cpu, 0), b, false, &e);
    compare_commit(cpu, rel, e.flags, npop);
}

/* FCOM/FCOMP ST(i) (D8 D0/D8, aliases DC D0/D8, DE D0), FCOMPP (DE D9),
 * FUCOM/FUCOMP (DD E0/E8), FUCOMPP (DA E9). */
void op_fcom_r(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned i = in->rm & 7, reg = (in->modrm >> 3) & 7;
    bool quiet = in->opcode == 0xdd || in->opcode == 0xda;
    unsigned npop;
    if ((in->opcode == 0xde && reg == 3) || in->opcode == 0xda)
        npop = 2;
    else
        npop = (reg == 3 || reg == 5 || in->opcode == 0xde) ? 1 : 0;
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, 0) || x87_empty(cpu, i)) {
        compare_underflow(cpu, npop);
        return;
    }
    struct f80_env e = x87_env(cpu);
    enum f80_relation rel = f80_compare(x87_get(cpu, 0), x87_get(cpu, i), quiet, &e);
    compare_commit(cpu, rel, e.flags, npop);
}

/* FCOMI/FUCOMI (DB F0/E8), FCOMIP/FUCOMIP (DF F0/E8): ZF, PF, CF as for an
 * unsigned compare, OF/SF/AF cleared (SDM Vol.2 FCOMI). */
void op_fcomi(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned i = in->rm & 7, reg = (in->modrm >> 3) & 7;
    bool quiet = reg == 5;
    bool pop = in->opcode == 0xdf;
    x87_set_pointers(cpu, in);
    enum f80_relation rel = F80_UNORDERED;
    unsigned flags;
    if (x87_empty(cpu, 0) || x87_empty(cpu, i)) {
        flags = F80_IE | FSW_SF;
        x87_set_c1(cpu, false);
    } else {
        struct f80_env e = x87_env(cpu);
        rel = f80_compare(x87_get(cpu, 0), x87_get(cpu, i), quiet, &e);
        flags = e.flags;
    }
    /* C1 is left alone unless the stack faulted, and the flags report the
     * relation even for an unmasked invalid operation (observed on Intel
     * parts). */
    bool ok = x87_raise_flags(cpu, flags);
    uint64_t f = cpu->rflags & ~(uint64_t)(F_ZF | F_PF | F_CF | F_OF | F_SF | F_AF);
    switch (rel) {
    case F80_LT: f |= F_CF; break;
    case F80_EQ: f |= F_ZF; break;
    case F80_GT: break;
    default: f |= F_ZF | F_PF | F_CF; break;
    }
    cpu->rflags = f;
    if (pop && ok)
        x87_pop(cpu);
}

/* FTST (D9 E4): ST0 against +0.0. */
void op_ftst(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, 0)) {
        compare_underflow(cpu, 0);
        return;
    }
    struct f80_env e = x87_env(cpu);
    enum f80_relation rel = f80_compare(x87_get(cpu, 0), f80_zero(false), false, &e);
    compare_commit(cpu, rel, e.flags, 0);
}

/* FXAM (D9 E5): an empty register reports C3,C0 with C1 from the sign of
 * whatever it holds. */
void op_fxam(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_pointers(cpu, in);
    f80 v = x87_get(cpu, 0);
    uint16_t cc = f80_fxam(v);
    if (x87_empty(cpu, 0))
        cc = (uint16_t)((cc & F80_C1) | F80_C3 | F80_C0);
    x87_set_cc(cpu, cc);
}

/* x87 control instructions: FNINIT, FNCLEX, FNSTSW, FNSTCW, FLDCW, FWAIT,
 * FINCSTP, FDECSTP, FFREE(P), FNOP, and the pending-exception delivery they
 * share with every waiting x87 instruction (SDM Vol.1 8.3.11, 8.7). */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_x87.h"

void x87_signal_ferr(struct cpu *cpu)
{
    /* No chipset wiring yet: behave as with IGNNE# asserted, where the
     * processor ignores the pending exception and continues. */
    (void)cpu;
}

void x87_deliver_pending(struct cpu *cpu)
{
    if (cpu->cr0 & CR0_NE)
        cpu_raise_noerr(cpu, EXC_MF);
    x87_signal_ferr(cpu);
}

void x87_init_state(struct cpu *cpu)
{
    cpu->fpu.fcw = FCW_INIT;
    cpu->fpu.fsw = 0;
    cpu->fpu.ftw = 0xffff;
    cpu->fpu.fop = 0;
    cpu->fpu.fip = 0;
    cpu->fpu.fdp = 0;
    cpu->fpu.fcs = 0;
    cpu->fpu.fds = 0;
}

/* SDM Vol.1 10.5.1.1: one bit per physical register, 1 = not empty. */
uint8_t x87_abridged_tags(const struct cpu *cpu)
{
    uint8_t t = 0;
    for (unsigned r = 0; r < 8; r++)
        if (x87_tag_phys(cpu, r) != TAG_EMPTY)
            t |= (uint8_t)(1u << r);
    return t;
}

/* FXRSTOR recomputes the two-bit tags of the non-empty registers from
 * their contents. */
uint16_t x87_tags_from_abridged(const struct cpu *cpu, uint8_t abridged)
{
    uint16_t ftw = 0;
    for (unsigned r = 0; r < 8; r++) {
        unsigned tag = TAG_EMPTY;
        if (abridged & (1u << r))
            tag = x87_tag_of(x87_get_phys(cpu, r));
        ftw |= (uint16_t)(tag << (2 * r));
    }
    return ftw;
}

/* FNINIT (DB E3): data registers keep their contents. */
void op_fninit(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    x87_check_nowait(cpu);
    x87_init_state(cpu);
}

/* FNCLEX (DB E2): C0-C3 are undefined; hardware keeps them. */
void op_fnclex(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    x87_check_nowait(cpu);
    cpu->fpu.fsw &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

/* FNSTSW m16 (DD /7) and FNSTSW AX (DF E0). */
void op_fnstsw(struct cpu *cpu, const struct insn *in)
{
    x87_check_nowait(cpu);
    if (in->mod == 3)
        cpu->gpr[R_AX] = (cpu->gpr[R_AX] & ~0xffffull) | cpu->fpu.fsw;
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), cpu->fpu.fsw, 2);
}

/* FNSTCW m16 (D9 /7). */
void op_fnstcw(struct cpu *cpu, const struct insn *in)
{
    x87_check_nowait(cpu);
    mem_write(cpu, in->seg, insn_ea(cpu, in), cpu->fpu.fcw, 2);
}

/* Bits of FCW that hold state; bit 6 reads as 1 (observed on Intel parts,
 * SDM Vol.1 figure 8-6 marks it reserved). */
uint16_t x87_fcw_normalize(uint16_t v)
{
    return (uint16_t)((v & 0x1f3f) | 0x0040);
}

/* FLDCW m16 (D9 /5): unmasking a flag that is already set makes it pending
 * for the next waiting instruction (SDM Vol.2 FLDCW). */
void op_fldcw(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    uint16_t v = (uint16_t)mem_read(cpu, in->seg, insn_ea(cpu, in), 2);
    cpu->fpu.fcw = x87_fcw_normalize(v);
    x87_update_es(cpu);
}

/* WAIT/FWAIT (9B): #NM only when both MP and TS are set (SDM Vol.3A 2.5
 * table 2-2). */
void op_fwait(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    if ((cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        raise_nm(cpu);
    if (cpu->fpu.fsw & FSW_ES)
        x87_deliver_pending(cpu);
}

/* FINCSTP/FDECSTP (D9 F7 / D9 F6): TOP moves, tags stay; C1 cleared. */
void op_fincstp(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_c1(cpu, false);
    x87_set_top(cpu, x87_top(cpu) + 1);
    x87_set_pointers(cpu, in);
}

void op_fdecstp(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_c1(cpu, false);
    x87_set_top(cpu, x87_top(cpu) - 1);
    x87_set_pointers(cpu, in);
}

/* FFREE ST(i) (DD C0+i) and FFREEP ST(i) (DF C0+i, pops as well); C1 is
 * cleared (observed on Intel parts). */
void op_ffree(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_c1(cpu, false);
    x87_set_tag_phys(cpu, x87_phys(cpu, in->rm & 7), TAG_EMPTY);
    if (in->opcode == 0xdf)
        x87_pop(cpu);
    x87_set_pointers(cpu, in);
}

/* FNOP (D9 D0). */
void op_fnop(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_pointers(cpu, in);
}

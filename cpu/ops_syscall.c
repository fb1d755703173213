/* Fast system calls: SYSCALL/SYSRET (Intel rules) and SYSENTER/SYSEXIT
 * including their 64-bit forms (SDM Vol.2 SYSCALL, SYSRET, SYSENTER,
 * SYSEXIT). The segment registers are loaded with fixed flat values; the
 * descriptors in the GDT are not read. */
#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"

#define FLAT_CODE (SEG_P | SEG_S | 0xb | SEG_G)
#define FLAT_DATA (SEG_P | SEG_S | 0x3 | SEG_DB | SEG_G)

static void flat_segment(struct segment *s, uint16_t sel, uint32_t attr, unsigned dpl)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = attr | (dpl << 5);
}

static void enter_mode(struct cpu *cpu, uint64_t rip)
{
    cpu_update_mode(cpu);
    cpu->next_rip = rip;
    cpu->stop_block = true;
}

void op_syscall(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    /* Intel: 64-bit mode only. */
    if (cpu->mode != MODE_LONG || !(cpu->efer & EFER_SCE))
        raise_ud(cpu);
    uint16_t sel = (uint16_t)(cpu->star >> 32);
    cpu->gpr[R_CX] = cpu->next_rip;
    cpu->gpr[R_R11] = cpu->rflags & ~(uint64_t)F_RF;
    cpu->rflags &= ~(cpu->sfmask | F_RF);
    cpu->rflags |= 2;
    flat_segment(&cpu->seg[S_CS], sel & 0xfffc, FLAT_CODE | SEG_L, 0);
    flat_segment(&cpu->seg[S_SS], (uint16_t)(sel + 8), FLAT_DATA, 0);
    enter_mode(cpu, cpu->lstar);
}

void op_sysret(struct cpu *cpu, const struct insn *in)
{
    if (!(cpu->efer & EFER_SCE) || cpu->mode != MODE_LONG)
        raise_ud(cpu);
    if (cpu->cpl != 0)
        raise_gp(cpu, 0);
    bool to64 = in->opsize == 8;
    uint64_t rip = to64 ? cpu->gpr[R_CX] : (uint32_t)cpu->gpr[R_CX];
    /* Intel raises the #GP in ring 0 for a non-canonical RCX. */
    if (to64 && !is_canonical(rip))
        raise_gp(cpu, 0);
    uint16_t sel = (uint16_t)(cpu->star >> 48);
    cpu->rflags = (cpu->gpr[R_R11] & 0x3c7fd7ull) | 2;
    if (to64)
        flat_segment(&cpu->seg[S_CS], (uint16_t)((sel + 16) | 3), FLAT_CODE | SEG_L, 3);
    else
        flat_segment(&cpu->seg[S_CS], (uint16_t)(sel | 3), FLAT_CODE | SEG_DB, 3);
    /* SS keeps its selector's RPL 3; the hidden part is fixed. */
    flat_segment(&cpu->seg[S_SS], (uint16_t)((sel + 8) | 3), FLAT_DATA, 3);
    enter_mode(cpu, rip);
}

void op_sysenter(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint16_t cs = (uint16_t)cpu->sysenter_cs;
    if (cpu->mode == MODE_REAL || (cs & 0xfffc) == 0)
        raise_gp(cpu, 0);
    bool lma = (cpu->efer & EFER_LMA) != 0;
    cpu->rflags &= ~(uint64_t)(F_VM | F_IF | F_RF);
    flat_segment(&cpu->seg[S_CS], cs & 0xfffc, FLAT_CODE | (lma ? SEG_L : SEG_DB), 0);
    flat_segment(&cpu->seg[S_SS], (uint16_t)((cs & 0xfffc) + 8), FLAT_DATA, 0);
    cpu->gpr[R_SP] = lma ? cpu->sysenter_esp : (uint32_t)cpu->sysenter_esp;
    enter_mode(cpu, lma ? cpu->sysenter_eip : (uint32_t)cpu->sysenter_eip);
}

void op_sysexit(struct cpu *cpu, const struct insn *in)
{
    uint16_t cs = (uint16_t)cpu->sysenter_cs;
    if (cpu->mode == MODE_REAL || cpu->mode == MODE_V86 || (cs & 0xfffc) == 0 ||
        cpu->cpl != 0)
        raise_gp(cpu, 0);
    bool to64 = in->opsize == 8;
    uint64_t rip = cpu->gpr[R_DX], rsp = cpu->gpr[R_CX];
    if (to64) {
        if (!is_canonical(rip) || !is_canonical(rsp))
            raise_gp(cpu, 0);
        flat_segment(&cpu->seg[S_CS], (uint16_t)((cs + 32) | 3), FLAT_CODE | SEG_L, 3);
        flat_segment(&cpu->seg[S_SS], (uint16_t)((cs + 40) | 3), FLAT_DATA, 3);
    } else {
        rip = (uint32_t)rip;
        rsp = (uint32_t)rsp;
        flat_segment(&cpu->seg[S_CS], (uint16_t)((cs + 16) | 3), FLAT_CODE | SEG_DB, 3);
        flat_segment(&cpu->seg[S_SS], (uint16_t)((cs + 24) | 3), FLAT_DATA, 3);
    }
    cpu->gpr[R_SP] = rsp;
    enter_mode(cpu, rip);
}

/* Port I/O and the interrupt flag (SDM Vol.1 18: I/O permission by IOPL and
 * the TSS I/O bitmap). */
#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"

/* SDM Vol.1 18.5.2: outside real mode, CPL > IOPL (or V86) consults the TSS
 * I/O permission bitmap. */
static void io_check(struct cpu *cpu, uint16_t port, unsigned size)
{
    if (cpu->mode == MODE_REAL)
        return;
    unsigned iopl = (cpu->rflags & F_IOPL) >> 12;
    if (cpu->mode != MODE_V86 && cpu->cpl <= iopl)
        return;
    const struct segment *tr = &cpu->tr;
    /* Only a 32/64-bit available/busy TSS has a bitmap. */
    if ((SEG_TYPE(tr->attr) & 7) != 1 && (SEG_TYPE(tr->attr) & 7) != 3)
        raise_gp(cpu, 0);
    if ((SEG_TYPE(tr->attr) & 8) == 0 || tr->limit < 0x67)
        raise_gp(cpu, 0);
    uint32_t base = (uint32_t)sys_read(cpu, tr->base + 0x66, 2);
    uint32_t off = base + port / 8;
    if (off + 1 > tr->limit)
        raise_gp(cpu, 0);
    uint32_t bits = (uint32_t)sys_read(cpu, tr->base + off, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask)
        raise_gp(cpu, 0);
}

static uint32_t port_in(struct cpu *cpu, uint16_t port, unsigned size)
{
    io_check(cpu, port, size);
    return cpu->bus.io_in(cpu->bus.opaque, port, size);
}

static void port_out(struct cpu *cpu, uint16_t port, uint32_t v, unsigned size)
{
    io_check(cpu, port, size);
    cpu->bus.io_out(cpu->bus.opaque, port, v, size);
}

static unsigned io_size(const struct insn *in)
{
    return in->opsize >= 4 ? 4 : in->opsize;
}

void op_in_imm(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = io_size(in);
    reg_write(cpu, R_AX, sz, 1, port_in(cpu, (uint16_t)in->imm, sz));
}

void op_in_dx(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = io_size(in);
    reg_write(cpu, R_AX, sz, 1, port_in(cpu, (uint16_t)cpu->gpr[R_DX], sz));
}

void op_out_imm(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = io_size(in);
    port_out(cpu, (uint16_t)in->imm, (uint32_t)reg_read(cpu, R_AX, sz, 1), sz);
}

void op_out_dx(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = io_size(in);
    port_out(cpu, (uint16_t)cpu->gpr[R_DX], (uint32_t)reg_read(cpu, R_AX, sz, 1), sz);
}

static bool iopl_sensitive_fault(struct cpu *cpu)
{
    if (cpu->mode == MODE_REAL)
        return false;
    unsigned iopl = (cpu->rflags & F_IOPL) >> 12;
    return cpu->mode == MODE_V86 ? iopl < 3 : cpu->cpl > iopl;
}

void op_cli(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    /* VME/PVI virtual interrupt flag handling belongs here too (SDM Vol.3A 20.3). */
    if (iopl_sensitive_fault(cpu))
        raise_gp(cpu, 0);
    cpu->rflags &= ~(uint64_t)F_IF;
}

void op_sti(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    if (iopl_sensitive_fault(cpu))
        raise_gp(cpu, 0);
    if (!(cpu->rflags & F_IF)) {
        /* SDM Vol.2 STI: interrupts are recognized after the next instruction. */
        cpu->irq_shadow = true;
        cpu->irq_shadow_rip = cpu->next_rip;
    }
    cpu->rflags |= F_IF;
}

void op_hlt(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    if (cpu->cpl != 0)
        raise_gp(cpu, 0);
    cpu->halted = true;
    cpu->stop_block = true;
}

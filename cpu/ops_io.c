/* Port I/O and the interrupt flag (SDM Vol.1 18: I/O permission by IOPL and
 * the TSS I/O bitmap). */
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"
#include "vmx_emul/vmx_hooks.h"

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
    if (cpu->vmx_nonroot && vmx_nonroot_io(cpu, cpu->cur_insn, port, size)) vmx_nonroot_unwind(cpu);
    if (cpu->dbg_flags & DBG_ARM_IO)
        debug_io_access(cpu, port, size);
    return cpu->bus.io_in(cpu->bus.opaque, port, size);
}

static void port_out(struct cpu *cpu, uint16_t port, uint32_t v, unsigned size)
{
    io_check(cpu, port, size);
    if (cpu->vmx_nonroot && vmx_nonroot_io(cpu, cpu->cur_insn, port, size)) return;
    if (cpu->dbg_flags & DBG_ARM_IO)
        debug_io_access(cpu, port, size);
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
        cpu->irq_shadow_movss = false; /* blocking by STI holds no #DB */
        cpu->irq_shadow_rip = cpu->next_rip;
    }
    cpu->rflags |= F_IF;
}

void op_hlt(struct cpu *cpu, const struct insn *in)
{
    (void)in; /* CPL and VM exit: cpu/row_intercept.c (RX_HLT) */
    cpu->halted = true;
    cpu->stop_block = true;
}

/* --- String I/O (SDM Vol.2 INS, OUTS; REP with the address-size count) --- */

static uint64_t count_reg(const struct cpu *cpu, const struct insn *in)
{
    return cpu->gpr[R_CX] & size_mask(in->addrsize);
}

static void set_count_reg(struct cpu *cpu, const struct insn *in, uint64_t v)
{
    reg_write(cpu, R_CX, in->addrsize, 1, v);
}

static void step_index(struct cpu *cpu, const struct insn *in, unsigned reg, unsigned size)
{
    uint64_t delta = (cpu->rflags & F_DF) ? (uint64_t)-(int64_t)size : size;
    reg_write(cpu, reg, in->addrsize, 1, (cpu->gpr[reg] + delta) & size_mask(in->addrsize));
}

void op_ins(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = io_size(in);
    uint16_t port = (uint16_t)cpu->gpr[R_DX];
    if (in->rep && count_reg(cpu, in) == 0)
        return;
    io_check(cpu, port, sz);
    if (cpu->vmx_nonroot && vmx_nonroot_io(cpu, in, port, sz)) return;
    if (cpu->dbg_flags & DBG_ARM_IO)
        debug_io_access(cpu, port, sz);
    do {
        uint64_t di = cpu->gpr[R_DI] & size_mask(in->addrsize);
        /* The destination is checked before the port is read, so a fault
         * does not lose a device read. */
        uint64_t lin = mem_probe_write(cpu, S_ES, di, sz);
        lin_write(cpu, lin, cpu->bus.io_in(cpu->bus.opaque, port, sz), sz);
        step_index(cpu, in, R_DI, sz);
        if (in->rep)
            set_count_reg(cpu, in, count_reg(cpu, in) - 1);
    } while (in->rep && count_reg(cpu, in) != 0);
}

void op_outs(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = io_size(in);
    uint16_t port = (uint16_t)cpu->gpr[R_DX];
    if (in->rep && count_reg(cpu, in) == 0)
        return;
    io_check(cpu, port, sz);
    if (cpu->vmx_nonroot && vmx_nonroot_io(cpu, in, port, sz)) return;
    if (cpu->dbg_flags & DBG_ARM_IO)
        debug_io_access(cpu, port, sz);
    do {
        uint64_t si = cpu->gpr[R_SI] & size_mask(in->addrsize);
        uint32_t v = (uint32_t)mem_read(cpu, in->seg, si, sz);
        cpu->bus.io_out(cpu->bus.opaque, port, v, sz);
        step_index(cpu, in, R_SI, sz);
        if (in->rep)
            set_count_reg(cpu, in, count_reg(cpu, in) - 1);
    } while (in->rep && count_reg(cpu, in) != 0);
}

/* --- PUSHF/POPF (SDM Vol.2 PUSHF, POPF; no VME) --- */

#define FLAGS_DEFINED 0x3f7fd5ull /* every architecturally defined flag bit */

void op_pushf(struct cpu *cpu, const struct insn *in)
{
    if (cpu->mode == MODE_V86 && ((cpu->rflags & F_IOPL) >> 12) < 3)
        raise_gp(cpu, 0);
    /* The image has VM and RF cleared. */
    uint64_t v = cpu->rflags & ~(uint64_t)(F_VM | F_RF);
    push(cpu, v & size_mask(in->opsize), in->opsize);
}

void op_popf(struct cpu *cpu, const struct insn *in)
{
    unsigned iopl = (cpu->rflags & F_IOPL) >> 12;
    if (cpu->mode == MODE_V86 && iopl < 3)
        raise_gp(cpu, 0);
    uint64_t v = stack_peek(cpu, 0, in->opsize);
    uint64_t mask = FLAGS_DEFINED & ~(uint64_t)(F_VM | F_VIP | F_VIF | F_RF);
    if (cpu->mode == MODE_V86 || cpu->cpl > 0)
        mask &= ~(uint64_t)F_IOPL;
    if (cpu->mode != MODE_V86 && cpu->cpl > iopl)
        mask &= ~(uint64_t)F_IF;
    if (in->opsize == 2)
        mask &= 0xffff;
    pop(cpu, in->opsize);
    cpu->rflags = ((cpu->rflags & ~mask & ~(uint64_t)F_RF) | (v & mask)) | 2;
    cpu_update_ac_check(cpu);
    cpu->stop_block = true; /* TF, IF and AC changes take effect at once */
}

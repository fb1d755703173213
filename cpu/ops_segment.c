/* Segment-register instructions and descriptor queries: MOV/PUSH/POP Sreg,
 * LDS/LES/LFS/LGS/LSS, LLDT/SLDT/LTR/STR, LAR/LSL/VERR/VERW, ARPL
 * (SDM Vol.2; Vol.3A 5.10 pointer validation). */
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"
#include "cpu/segment.h"
#include "vmx_emul/vmx_hooks.h"

/* The segment register named by a PUSH/POP Sreg opcode. */
static unsigned sreg_of_opcode(const struct insn *in)
{
    if (in->map == OPMAP_0F)
        return (in->opcode & 8) ? S_GS : S_FS;
    return (in->opcode >> 3) & 3;
}

/* MOV SS and POP SS inhibit interrupts and debug traps for one instruction
 * (SDM Vol.3A 6.8.3). */
static void ss_shadow(struct cpu *cpu)
{
    cpu->irq_shadow = true;
    cpu->irq_shadow_movss = true;
    cpu->irq_shadow_rip = cpu->next_rip;
    cpu->stop_block = true;
    debug_mov_ss(cpu);
}

void op_push_sreg(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = cpu->seg[sreg_of_opcode(in)].sel;
    unsigned size = in->opsize;
    uint64_t mask = stack_mask(cpu);
    uint64_t sp = (cpu->gpr[R_SP] - size) & mask;
    /* Recent Intel cores write only the 16-bit selector into a wider slot
     * (SDM Vol.2 PUSH). */
    mem_write(cpu, S_SS, sp, sel, 2);
    cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~mask) | sp;
}

void op_pop_sreg(struct cpu *cpu, const struct insn *in)
{
    unsigned sreg = sreg_of_opcode(in);
    uint16_t sel = (uint16_t)stack_peek(cpu, 0, 2);
    uint64_t mask = stack_mask(cpu); /* the old SS's size moves the pointer */
    uint64_t sp = cpu->gpr[R_SP];
    seg_load(cpu, sreg, sel);
    cpu->gpr[R_SP] = (sp & ~mask) | ((sp + in->opsize) & mask);
    if (sreg == S_SS)
        ss_shadow(cpu);
}

void op_mov_rm_sreg(struct cpu *cpu, const struct insn *in)
{
    unsigned sreg = (in->modrm >> 3) & 7;
    if (sreg > S_GS)
        raise_ud(cpu);
    uint16_t sel = cpu->seg[sreg].sel;
    if (in->mod == 3)
        reg_write(cpu, in->rm, in->opsize == 2 ? 2 : in->opsize, in->rex, sel);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), sel, 2);
}

void op_mov_sreg_rm(struct cpu *cpu, const struct insn *in)
{
    unsigned sreg = (in->modrm >> 3) & 7;
    if (sreg > S_GS || sreg == S_CS)
        raise_ud(cpu);
    uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
    seg_load(cpu, sreg, sel);
    if (sreg == S_SS)
        ss_shadow(cpu);
}

void op_load_far_ptr(struct cpu *cpu, const struct insn *in)
{
    unsigned sreg;
    switch (in->opcode) {
    case 0xc4: sreg = S_ES; break;
    case 0xc5: sreg = S_DS; break;
    case 0xb2: sreg = S_SS; break;
    case 0xb4: sreg = S_FS; break;
    default: sreg = S_GS; break;
    }
    unsigned osz = in->opsize;
    uint64_t ea = insn_ea(cpu, in);
    uint64_t off = mem_read(cpu, in->seg, ea, osz);
    uint16_t sel = (uint16_t)mem_read(cpu, in->seg, (ea + osz) & size_mask(in->addrsize), 2);
    seg_load(cpu, sreg, sel);
    greg_write(cpu, in, osz, off);
}

/* --- LDTR and TR --- */

static bool protected_mode(const struct cpu *cpu)
{
    return cpu->mode != MODE_REAL && cpu->mode != MODE_V86;
}

void op_sldt(struct cpu *cpu, const struct insn *in)
{
    if (!protected_mode(cpu))
        raise_ud(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_desc_table(cpu, in, EXIT_REASON_LDTR_TR, 0)) return;
    if (in->mod == 3)
        reg_write(cpu, in->rm, in->opsize, in->rex, cpu->ldtr.sel);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), cpu->ldtr.sel, 2);
}

void op_str(struct cpu *cpu, const struct insn *in)
{
    if (!protected_mode(cpu))
        raise_ud(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_desc_table(cpu, in, EXIT_REASON_LDTR_TR, 1)) return;
    if (in->mod == 3)
        reg_write(cpu, in->rm, in->opsize, in->rex, cpu->tr.sel);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), cpu->tr.sel, 2);
}

/* System descriptors are 16 bytes in IA-32e mode (SDM Vol.3A 7.2.3, 3.5.2). */
static void read_system_desc(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    bool ok = (cpu->efer & EFER_LMA) ? desc_read_long(cpu, sel, d) : desc_read(cpu, sel, d);
    if (!ok)
        raise_gp(cpu, sel_error(sel));
}

void op_lldt(struct cpu *cpu, const struct insn *in)
{
    if (!protected_mode(cpu))
        raise_ud(cpu);
    if (cpu->cpl != 0)
        raise_gp(cpu, 0);
    if (cpu->vmx_nonroot && vmx_nonroot_desc_table(cpu, in, EXIT_REASON_LDTR_TR, 2)) return;
    uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
    if (sel_is_null(sel)) {
        cpu->ldtr = (struct segment){.sel = sel, .attr = SEG_UNUSABLE};
        return;
    }
    if (sel & 4)
        raise_gp(cpu, sel_error(sel));
    struct descriptor d;
    read_system_desc(cpu, sel, &d);
    if (((d.hi >> 8) & 0x1f) != SYS_LDT)
        raise_gp(cpu, sel_error(sel));
    if ((cpu->efer & EFER_LMA) && !is_canonical(desc_base(&d) | ((uint64_t)d.base_hi << 32)))
        raise_gp(cpu, sel_error(sel));
    if (!desc_present(&d))
        raise_np(cpu, sel_error(sel));
    seg_from_desc(&cpu->ldtr, sel, &d);
}

void op_ltr(struct cpu *cpu, const struct insn *in)
{
    if (!protected_mode(cpu))
        raise_ud(cpu);
    if (cpu->cpl != 0)
        raise_gp(cpu, 0);
    if (cpu->vmx_nonroot && vmx_nonroot_desc_table(cpu, in, EXIT_REASON_LDTR_TR, 3)) return;
    uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
    if (sel_is_null(sel))
        raise_gp(cpu, 0);
    if (sel & 4)
        raise_gp(cpu, sel_error(sel));
    struct descriptor d;
    read_system_desc(cpu, sel, &d);
    unsigned type = (d.hi >> 8) & 0x1f;
    /* An available TSS; 16-bit TSSs do not exist in IA-32e mode. */
    if (type != SYS_TSS_AVAIL && (type != SYS_TSS16_AVAIL || (cpu->efer & EFER_LMA)))
        raise_gp(cpu, sel_error(sel));
    /* SDM Vol.2 LTR: in IA-32e mode a non-canonical TSS base is #GP(sel). */
    if ((cpu->efer & EFER_LMA) && !is_canonical(desc_base(&d) | ((uint64_t)d.base_hi << 32)))
        raise_gp(cpu, sel_error(sel));
    if (!desc_present(&d))
        raise_np(cpu, sel_error(sel));
    d.hi |= 1u << 9; /* busy */
    sys_write(cpu, desc_addr(cpu, sel) + 5, (d.hi >> 8) & 0xff, 1);
    seg_from_desc(&cpu->tr, sel, &d);
}

/* --- Pointer validation (SDM Vol.3A 5.10) --- */

/* Common checks of LAR/LSL/VERR/VERW: the descriptor is readable and
 * visible at CPL/RPL. Returns false (ZF=0) otherwise. */
static bool visible_descriptor(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    if (sel_is_null(sel))
        return false;
    bool ok = desc_read(cpu, sel, d);
    if (!ok)
        return false;
    bool conforming_code = desc_is_code(d) && (d->hi & (1u << 10));
    if (!conforming_code && (desc_dpl(d) < cpu->cpl || desc_dpl(d) < (sel & 3u)))
        return false;
    return true;
}

static void set_zf(struct cpu *cpu, bool z)
{
    if (z)
        cpu->rflags |= F_ZF;
    else
        cpu->rflags &= ~(uint64_t)F_ZF;
}

/* Which system types LAR (lar=true) or LSL accept (SDM Vol.2 LAR, LSL). */
static bool system_type_ok(const struct cpu *cpu, unsigned type, bool lar)
{
    if (cpu->efer & EFER_LMA)
        return type == SYS_LDT || type == SYS_TSS_AVAIL || type == SYS_TSS_BUSY ||
               (lar && type == SYS_CALL);
    switch (type) {
    case SYS_TSS16_AVAIL: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_TSS_AVAIL:
    case SYS_TSS_BUSY:
        return true;
    case SYS_CALL16: case SYS_TASK_GATE: case SYS_CALL:
        return lar;
    default:
        return false;
    }
}

/* LAR (lar=true: the access-rights bytes) or LSL (the expanded limit);
 * ZF tells whether the descriptor was visible and of an accepted type. */
static void load_descriptor_field(struct cpu *cpu, const struct insn *in, bool lar)
{
    if (!protected_mode(cpu))
        raise_ud(cpu);
    uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
    struct descriptor d;
    bool ok = visible_descriptor(cpu, sel, &d);
    if (ok && !(d.hi & (1u << 12)))
        ok = system_type_ok(cpu, (d.hi >> 8) & 0xf, lar);
    if (ok)
        greg_write(cpu, in, in->opsize, lar ? d.hi & 0x00f0ff00u : desc_limit(&d));
    set_zf(cpu, ok);
}

void op_lar(struct cpu *cpu, const struct insn *in)
{
    load_descriptor_field(cpu, in, true);
}

void op_lsl(struct cpu *cpu, const struct insn *in)
{
    load_descriptor_field(cpu, in, false);
}

static void verify(struct cpu *cpu, const struct insn *in, bool write)
{
    if (!protected_mode(cpu))
        raise_ud(cpu);
    uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
    struct descriptor d;
    bool ok = visible_descriptor(cpu, sel, &d) && (d.hi & (1u << 12));
    if (ok) {
        if (write)
            ok = desc_is_data(&d) && (d.hi & (1u << 9));
        else
            ok = desc_is_data(&d) || (d.hi & (1u << 9));
    }
    set_zf(cpu, ok);
}

void op_verr(struct cpu *cpu, const struct insn *in)
{
    verify(cpu, in, false);
}

void op_verw(struct cpu *cpu, const struct insn *in)
{
    verify(cpu, in, true);
}

void op_arpl(struct cpu *cpu, const struct insn *in)
{
    if (!protected_mode(cpu))
        raise_ud(cpu);
    uint64_t lin = 0;
    uint16_t dst;
    if (in->mod == 3) {
        dst = (uint16_t)reg_read(cpu, in->rm, 2, in->rex);
    } else {
        lin = mem_probe_write(cpu, in->seg, insn_ea(cpu, in), 2);
        dst = (uint16_t)lin_read(cpu, lin, 2);
    }
    uint16_t src = (uint16_t)reg_read(cpu, in->reg, 2, in->rex);
    if ((dst & 3) < (src & 3)) {
        dst = (uint16_t)((dst & ~3u) | (src & 3u));
        if (in->mod == 3)
            reg_write(cpu, in->rm, 2, in->rex, dst);
        else
            lin_write(cpu, lin, dst, 2);
        set_zf(cpu, true);
    } else {
        set_zf(cpu, false);
    }
}

/* Far control transfers and software interrupts: far JMP/CALL through code
 * segments, call gates, task gates and TSSs; far RET; IRET in all modes;
 * INT n, INT3, INTO, INT1 (SDM Vol.2 JMP, CALL, RET, IRET, INT n; Vol.3A
 * 5.8 privilege checks for control transfers). */
#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"
#include "cpu/segment.h"
#include "cpu/task_switch.h"
#include "vmx_emul/vmx_hooks.h"

static bool real_or_v86(const struct cpu *cpu)
{
    return cpu->mode == MODE_REAL || cpu->mode == MODE_V86;
}

/* Load CS from a checked descriptor with RPL = cpl and continue at rip. */
static void commit_cs(struct cpu *cpu, uint16_t sel, struct descriptor *d, unsigned cpl,
                      uint64_t rip)
{
    desc_set_accessed(cpu, sel, d);
    seg_from_desc(&cpu->seg[S_CS], (uint16_t)((sel & ~3u) | cpl), d);
    cpu_update_mode(cpu);
    cpu->next_rip = rip;
    cpu->stop_block = true;
}

static void real_far_branch(struct cpu *cpu, uint16_t sel, uint64_t off)
{
    if (off > cpu->seg[S_CS].limit && cpu->mode == MODE_V86)
        raise_gp(cpu, 0);
    seg_load_real(cpu, S_CS, sel);
    cpu->next_rip = off;
    cpu->stop_block = true;
}

/* Target of a direct transfer to a code segment: limit or canonical check. */
static void check_target(struct cpu *cpu, const struct descriptor *d, uint64_t off)
{
    bool to64 = (cpu->efer & EFER_LMA) && (d->hi & (1u << 21));
    if (to64 ? !is_canonical(off) : off > desc_limit(d))
        raise_gp(cpu, 0);
}

/* Code-segment rules of a direct far JMP/CALL (SDM Vol.3A 5.8.1-5.8.2). */
static void check_direct_code(struct cpu *cpu, uint16_t sel, const struct descriptor *d)
{
    bool conforming = (d->hi >> 10) & 1;
    if (conforming ? desc_dpl(d) > cpu->cpl
                   : ((sel & 3u) > cpu->cpl || desc_dpl(d) != cpu->cpl))
        raise_gp(cpu, sel_error(sel));
    if ((cpu->efer & EFER_LMA) && (d->hi & (1u << 21)) && (d->hi & (1u << 22)))
        raise_gp(cpu, sel_error(sel)); /* L and D both set */
    if (!desc_present(d))
        raise_np(cpu, sel_error(sel));
}

/* The code segment named by a call gate (SDM Vol.3A 5.8.6). */
static void gate_target(struct cpu *cpu, uint16_t csel, bool is_call, struct descriptor *cd)
{
    if (sel_is_null(csel))
        raise_gp(cpu, 0);
    if (!desc_read(cpu, csel, cd) || !desc_is_code(cd))
        raise_gp(cpu, sel_error(csel));
    bool conforming = (cd->hi >> 10) & 1;
    if (is_call ? desc_dpl(cd) > cpu->cpl
                : (conforming ? desc_dpl(cd) > cpu->cpl : desc_dpl(cd) != cpu->cpl))
        raise_gp(cpu, sel_error(csel));
    if ((cpu->efer & EFER_LMA) && (!(cd->hi & (1u << 21)) || (cd->hi & (1u << 22))))
        raise_gp(cpu, sel_error(csel));
    if (!desc_present(cd))
        raise_np(cpu, sel_error(csel));
}

/* Task gate or TSS as the target of JMP/CALL (SDM Vol.3A 7.3). */
static void far_to_task(struct cpu *cpu, uint16_t sel, const struct descriptor *d, bool is_call)
{
    unsigned type = (d->hi >> 8) & 0x1f;
    if (desc_dpl(d) < cpu->cpl || desc_dpl(d) < (sel & 3u))
        raise_gp(cpu, sel_error(sel));
    if (!desc_present(d))
        raise_np(cpu, sel_error(sel));
    uint16_t tss = sel;
    if (type == SYS_TASK_GATE) {
        tss = gate_selector(d);
        if (tss & 4)
            raise_gp(cpu, sel_error(tss));
    }
    task_switch(cpu, tss, is_call ? TS_CALL : TS_JMP, false, 0, cpu->next_rip, 0);
}

/* Read a gate for a far transfer: 16 bytes in IA-32e mode. */
static void read_gate(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    if (!desc_read_long(cpu, sel, d))
        raise_gp(cpu, sel_error(sel));
    /* The upper half's type field must be 0 (SDM Vol.3A 5.8.3.1). */
    uint64_t a = desc_addr(cpu, sel);
    uint32_t upper_hi = (uint32_t)sys_read(cpu, a + 12, 4);
    if ((upper_hi >> 8) & 0x1f)
        raise_gp(cpu, sel_error(sel));
}

/* The descriptor a far JMP or CALL names: a null selector is #GP(0), one
 * outside the GDT/LDT #GP(selector) (SDM Vol.2 JMP, CALL). */
static void read_far_descriptor(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    if (sel_is_null(sel))
        raise_gp(cpu, 0);
    if (!desc_read(cpu, sel, d))
        raise_gp(cpu, sel_error(sel));
}

/* A call gate reached by a far JMP or CALL (its 16-byte form in IA-32e
 * mode): its DPL must be at least CPL and RPL, and it must be present
 * (SDM Vol.3A 5.8.4). */
static void check_call_gate(struct cpu *cpu, uint16_t sel, struct descriptor *d, bool lma)
{
    if (lma)
        read_gate(cpu, sel, d);
    if (desc_dpl(d) < cpu->cpl || desc_dpl(d) < (sel & 3u))
        raise_gp(cpu, sel_error(sel));
    if (!desc_present(d))
        raise_np(cpu, sel_error(sel));
}

static void jmp_far(struct cpu *cpu, uint16_t sel, uint64_t off)
{
    if (real_or_v86(cpu)) {
        real_far_branch(cpu, sel, off);
        return;
    }
    struct descriptor d;
    read_far_descriptor(cpu, sel, &d);
    if (desc_is_code(&d)) {
        check_direct_code(cpu, sel, &d);
        check_target(cpu, &d, off);
        commit_cs(cpu, sel, &d, cpu->cpl, off);
        return;
    }
    unsigned type = (d.hi >> 8) & 0x1f;
    bool lma = (cpu->efer & EFER_LMA) != 0;
    if (type == SYS_CALL || (!lma && type == SYS_CALL16)) {
        check_call_gate(cpu, sel, &d, lma);
        struct descriptor cd;
        uint16_t csel = gate_selector(&d);
        gate_target(cpu, csel, false, &cd);
        uint64_t target = gate_offset(&d);
        if (type == SYS_CALL16)
            target &= 0xffff;
        check_target(cpu, &cd, target);
        commit_cs(cpu, csel, &cd, cpu->cpl, target);
        return;
    }
    if (!lma && (type == SYS_TASK_GATE || type == SYS_TSS_AVAIL || type == SYS_TSS16_AVAIL)) {
        far_to_task(cpu, sel, &d, false);
        return;
    }
    raise_gp(cpu, sel_error(sel));
}

static void call_far(struct cpu *cpu, uint16_t sel, uint64_t off, unsigned osz)
{
    uint64_t ret = cpu->next_rip;
    uint16_t old_cs = cpu->seg[S_CS].sel;
    if (real_or_v86(cpu)) {
        struct stack_target t = {&cpu->seg[S_SS], cpu->gpr[R_SP], cpu->stack_size, false};
        uint64_t vals[2] = {old_cs, ret};
        uint64_t sp = stack_push_frame(cpu, &t, vals, 2, osz, 0);
        real_far_branch(cpu, sel, off);
        uint64_t m = stack_mask(cpu);
        cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~m) | sp;
        return;
    }
    struct descriptor d;
    read_far_descriptor(cpu, sel, &d);
    if (desc_is_code(&d)) {
        check_direct_code(cpu, sel, &d);
        check_target(cpu, &d, off);
        struct stack_target t = {&cpu->seg[S_SS], cpu->gpr[R_SP], cpu->stack_size,
                                 cpu->cpl < 3};
        uint64_t vals[2] = {old_cs, ret};
        uint64_t sp = stack_push_frame(cpu, &t, vals, 2, osz, 0);
        uint64_t m = stack_mask(cpu);
        cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~m) | sp;
        commit_cs(cpu, sel, &d, cpu->cpl, off);
        return;
    }
    unsigned type = (d.hi >> 8) & 0x1f;
    bool lma = (cpu->efer & EFER_LMA) != 0;
    if (!lma && (type == SYS_TASK_GATE || type == SYS_TSS_AVAIL || type == SYS_TSS16_AVAIL)) {
        far_to_task(cpu, sel, &d, true);
        return;
    }
    if (type != SYS_CALL && (lma || type != SYS_CALL16))
        raise_gp(cpu, sel_error(sel));
    check_call_gate(cpu, sel, &d, lma);
    struct descriptor cd;
    uint16_t csel = gate_selector(&d);
    gate_target(cpu, csel, true, &cd);
    unsigned width = lma ? 8 : (type == SYS_CALL ? 4 : 2);
    uint64_t target = gate_offset(&d);
    if (width == 2)
        target &= 0xffff;
    check_target(cpu, &cd, target);
    bool conforming = (cd.hi >> 10) & 1;
    unsigned dpl = desc_dpl(&cd);
    if (conforming || dpl == cpu->cpl) {
        /* Same privilege through the gate. */
        struct stack_target t = {&cpu->seg[S_SS], cpu->gpr[R_SP], lma ? 8 : cpu->stack_size,
                                 cpu->cpl < 3};
        uint64_t vals[2] = {old_cs, ret};
        uint64_t sp = stack_push_frame(cpu, &t, vals, 2, width, 0);
        uint64_t m = size_mask(t.ssize);
        cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~m) | sp;
        commit_cs(cpu, csel, &cd, cpu->cpl, target);
        return;
    }
    /* More privileged: stack switch through the TSS (SDM Vol.3A 5.8.5). */
    uint64_t vals[40];
    unsigned n = 0;
    struct segment new_ss;
    uint64_t new_sp;
    unsigned new_ssize;
    if (lma) {
        uint32_t o = 4 + 8 * dpl;
        if (o + 7 > cpu->tr.limit)
            raise_ts(cpu, sel_error(cpu->tr.sel));
        new_sp = sys_read(cpu, cpu->tr.base + o, 8);
        if (!is_canonical(new_sp))
            raise_ss(cpu, 0);
        new_ss = (struct segment){.sel = (uint16_t)dpl,
                                  .attr = SEG_UNUSABLE | SEG_S | 3 | (dpl << 5)};
        new_ssize = 8;
    } else {
        bool tss32 = (SEG_TYPE(cpu->tr.attr) & 8) != 0;
        uint32_t o = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
        if (o + (tss32 ? 7 : 3) > cpu->tr.limit)
            raise_ts(cpu, sel_error(cpu->tr.sel));
        new_sp = sys_read(cpu, cpu->tr.base + o, tss32 ? 4 : 2);
        uint16_t ss_sel = (uint16_t)sys_read(cpu, cpu->tr.base + o + (tss32 ? 4 : 2), 2);
        struct descriptor sd;
        if (sel_is_null(ss_sel))
            raise_ts(cpu, 0);
        if (!desc_read(cpu, ss_sel, &sd))
            raise_ts(cpu, sel_error(ss_sel));
        if ((ss_sel & 3u) != dpl || desc_dpl(&sd) != dpl || !desc_is_data(&sd) ||
            !(sd.hi & (1u << 9)))
            raise_ts(cpu, sel_error(ss_sel));
        if (!desc_present(&sd))
            raise_ss(cpu, sel_error(ss_sel));
        seg_from_desc(&new_ss, ss_sel, &sd);
        new_ssize = (sd.hi & (1u << 22)) ? 4 : 2;
    }
    vals[n++] = cpu->seg[S_SS].sel;
    vals[n++] = cpu->gpr[R_SP] & stack_mask(cpu);
    if (!lma) {
        /* Copy the gate's parameter count of stack words/dwords. */
        unsigned count = d.hi & 0x1f;
        for (unsigned i = 0; i < count; i++)
            vals[n++] = stack_pop_value(cpu, &cpu->seg[S_SS], cpu->gpr[R_SP],
                                        cpu->stack_size, count - 1 - i, width);
    }
    vals[n++] = old_cs;
    vals[n++] = ret;
    struct stack_target t = {&new_ss, new_sp, new_ssize, true};
    uint64_t sp = stack_push_frame(cpu, &t, vals, n, width,
                                   lma ? 0 : sel_error(new_ss.sel));
    cpu->seg[S_SS] = new_ss;
    if (new_ssize == 8)
        cpu->gpr[R_SP] = sp;
    else if (new_ssize == 4)
        cpu->gpr[R_SP] = (uint32_t)sp;
    else
        cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~0xffffull) | sp;
    commit_cs(cpu, csel, &cd, dpl, target);
}

void op_jmp_far_imm(struct cpu *cpu, const struct insn *in)
{
    jmp_far(cpu, in->imm2, in->imm);
}

void op_call_far_imm(struct cpu *cpu, const struct insn *in)
{
    call_far(cpu, in->imm2, in->imm, in->opsize);
}

/* m16:16, m16:32 or m16:64 operand. */
static void far_pointer(struct cpu *cpu, const struct insn *in, uint16_t *sel, uint64_t *off)
{
    uint64_t ea = insn_ea(cpu, in);
    *off = mem_read(cpu, in->seg, ea, in->opsize);
    *sel = (uint16_t)mem_read(cpu, in->seg, (ea + in->opsize) & size_mask(in->addrsize), 2);
}

void op_jmp_far_mem(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel;
    uint64_t off;
    far_pointer(cpu, in, &sel, &off);
    jmp_far(cpu, sel, off);
}

void op_call_far_mem(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel;
    uint64_t off;
    far_pointer(cpu, in, &sel, &off);
    call_far(cpu, sel, off, in->opsize);
}

/* Checks of the CS popped by far RET / IRET (SDM Vol.2 RET, IRET). */
static void check_return_cs(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    if (sel_is_null(sel))
        raise_gp(cpu, 0);
    if (!desc_read(cpu, sel, d) || !desc_is_code(d))
        raise_gp(cpu, sel_error(sel));
    unsigned rpl = sel & 3u;
    bool conforming = (d->hi >> 10) & 1;
    if (rpl < cpu->cpl || (conforming ? desc_dpl(d) > rpl : desc_dpl(d) != rpl))
        raise_gp(cpu, sel_error(sel));
    if ((cpu->efer & EFER_LMA) && (d->hi & (1u << 21)) && (d->hi & (1u << 22)))
        raise_gp(cpu, sel_error(sel));
    if (!desc_present(d))
        raise_np(cpu, sel_error(sel));
}

/* The SS popped on a return to an outer level; null is allowed when
 * returning to 64-bit code below CPL 3. */
static void check_return_ss(struct cpu *cpu, uint16_t sel, unsigned rpl, bool to64,
                            struct segment *out)
{
    if (sel_is_null(sel)) {
        if (to64 && rpl != 3 && (sel & 3u) == rpl) {
            *out = (struct segment){.sel = sel, .attr = SEG_UNUSABLE | SEG_S | 3 | (rpl << 5)};
            return;
        }
        raise_gp(cpu, 0);
    }
    struct descriptor d;
    if (!desc_read(cpu, sel, &d))
        raise_gp(cpu, sel_error(sel));
    if ((sel & 3u) != rpl || desc_dpl(&d) != rpl || !desc_is_data(&d) || !(d.hi & (1u << 9)))
        raise_gp(cpu, sel_error(sel));
    if (!desc_present(&d))
        raise_ss(cpu, sel_error(sel));
    desc_set_accessed(cpu, sel, &d);
    seg_from_desc(out, sel, &d);
}

static void set_stack_pointer(struct cpu *cpu, uint64_t sp, unsigned ssize)
{
    if (ssize == 8)
        cpu->gpr[R_SP] = sp;
    else if (ssize == 4)
        cpu->gpr[R_SP] = (uint32_t)sp;
    else
        cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~0xffffull) | (sp & 0xffff);
}

void op_ret_far(struct cpu *cpu, const struct insn *in)
{
    unsigned w = in->opsize;
    uint64_t imm = in->opcode == 0xca ? (in->imm & 0xffff) : 0;
    const struct segment *ss = &cpu->seg[S_SS];
    unsigned ssize = cpu->stack_size;
    uint64_t sp = cpu->gpr[R_SP];
    uint64_t rip = stack_pop_value(cpu, ss, sp, ssize, 0, w);
    uint16_t sel = (uint16_t)stack_pop_value(cpu, ss, sp, ssize, 1, w);
    if (w < 8)
        rip &= size_mask(w);
    if (real_or_v86(cpu)) {
        if (rip > cpu->seg[S_CS].limit)
            raise_gp(cpu, 0);
        seg_load_real(cpu, S_CS, sel);
        cpu->next_rip = rip;
        set_stack_pointer(cpu, sp + 2 * w + imm, ssize);
        cpu->stop_block = true;
        return;
    }
    struct descriptor d;
    check_return_cs(cpu, sel, &d);
    check_target(cpu, &d, rip);
    unsigned rpl = sel & 3u;
    if (rpl == cpu->cpl) {
        set_stack_pointer(cpu, sp + 2 * w + imm, ssize);
        commit_cs(cpu, sel, &d, rpl, rip);
        return;
    }
    /* Return to an outer privilege level (SDM Vol.2 RET far). */
    uint64_t base = sp + 2 * w + imm;
    uint64_t new_sp = stack_pop_value(cpu, ss, base, ssize, 0, w);
    uint16_t ss_sel = (uint16_t)stack_pop_value(cpu, ss, base, ssize, 1, w);
    bool to64 = (cpu->efer & EFER_LMA) && (d.hi & (1u << 21));
    struct segment nss;
    check_return_ss(cpu, ss_sel, rpl, to64, &nss);
    cpu->seg[S_SS] = nss;
    commit_cs(cpu, sel, &d, rpl, rip);
    set_stack_pointer(cpu, new_sp + imm, cpu->stack_size);
    seg_invalidate_for_cpl(cpu, rpl);
}

/* --- IRET --- */

/* Which RFLAGS bits a protected-mode IRET may change (SDM Vol.2 IRET). */
static uint64_t iret_flags(const struct cpu *cpu, uint64_t old, uint64_t popped, unsigned w)
{
    uint64_t mask = F_CF | F_PF | F_AF | F_ZF | F_SF | F_TF | F_DF | F_OF | F_NT;
    if (w >= 4)
        mask |= F_RF | F_AC | F_ID;
    unsigned iopl = (old & F_IOPL) >> 12;
    if (cpu->cpl <= iopl)
        mask |= F_IF;
    if (cpu->cpl == 0) {
        mask |= F_IOPL;
        if (w >= 4)
            mask |= F_VIF | F_VIP;
    }
    if (w == 2)
        mask &= 0xffff;
    return ((old & ~mask) | (popped & mask)) | 2;
}

static void iret_real(struct cpu *cpu, unsigned w)
{
    const struct segment *ss = &cpu->seg[S_SS];
    uint64_t sp = cpu->gpr[R_SP];
    unsigned ssize = cpu->stack_size;
    uint64_t rip = stack_pop_value(cpu, ss, sp, ssize, 0, w) & size_mask(w);
    uint16_t sel = (uint16_t)stack_pop_value(cpu, ss, sp, ssize, 1, w);
    uint64_t fl = stack_pop_value(cpu, ss, sp, ssize, 2, w);
    if (cpu->mode == MODE_V86 && ((cpu->rflags & F_IOPL) >> 12) < 3)
        raise_gp(cpu, 0); /* no VME: IOPL-sensitive */
    if (rip > 0xffff && cpu->mode == MODE_V86)
        raise_gp(cpu, 0);
    uint64_t keep;
    if (cpu->mode == MODE_V86)
        keep = F_VM | F_IOPL | F_VIP | F_VIF; /* SDM Vol.2 IRET: V86 keeps these */
    else
        keep = F_VM | F_VIP | F_VIF;
    if (w == 2)
        keep |= ~0xffffull;
    cpu->rflags = ((cpu->rflags & keep) | (fl & ~keep & 0x3f7fd5ull)) | 2;
    cpu_update_ac_check(cpu); /* virtual-8086 mode runs at CPL 3 */
    seg_load_real(cpu, S_CS, sel);
    set_stack_pointer(cpu, sp + 3 * w, ssize);
    cpu->next_rip = rip;
    cpu->stop_block = true;
}

/* Return from a protected-mode handler to virtual-8086 mode (SDM Vol.2
 * IRET "RETURN-TO-VIRTUAL-8086-MODE"). */
static void iret_to_v86(struct cpu *cpu, uint64_t sp, uint64_t rip, uint16_t cs, uint64_t fl)
{
    const struct segment *ss = &cpu->seg[S_SS];
    unsigned ssize = cpu->stack_size;
    uint64_t v[6];
    for (unsigned i = 0; i < 6; i++)
        v[i] = stack_pop_value(cpu, ss, sp, ssize, 3 + i, 4);
    cpu->rflags = (fl & 0x3f7fd5ull) | F_VM | 2;
    cpu_update_mode(cpu); /* now MODE_V86: segment loads are real-style */
    seg_load_real(cpu, S_CS, cs);
    seg_load_real(cpu, S_SS, (uint16_t)v[1]);
    seg_load_real(cpu, S_ES, (uint16_t)v[2]);
    seg_load_real(cpu, S_DS, (uint16_t)v[3]);
    seg_load_real(cpu, S_FS, (uint16_t)v[4]);
    seg_load_real(cpu, S_GS, (uint16_t)v[5]);
    cpu->gpr[R_SP] = (uint32_t)v[0];
    cpu->next_rip = rip & 0xffff;
    cpu->stop_block = true;
}

static void iret_protected(struct cpu *cpu, unsigned w)
{
    bool lma = (cpu->efer & EFER_LMA) != 0;
    if (cpu->rflags & F_NT) {
        if (lma)
            raise_gp(cpu, 0);
        /* Return to the previous task through the back link (SDM 7.3). */
        uint16_t link = (uint16_t)sys_read(cpu, cpu->tr.base, 2);
        task_switch(cpu, link, TS_IRET, false, 0, cpu->next_rip, 0);
        return;
    }
    const struct segment *ss = &cpu->seg[S_SS];
    unsigned ssize = cpu->stack_size;
    uint64_t sp = cpu->gpr[R_SP];
    uint64_t rip = stack_pop_value(cpu, ss, sp, ssize, 0, w);
    uint16_t sel = (uint16_t)stack_pop_value(cpu, ss, sp, ssize, 1, w);
    uint64_t fl = stack_pop_value(cpu, ss, sp, ssize, 2, w);
    if (w < 8)
        rip &= size_mask(w);
    if (!lma && (fl & F_VM) && cpu->cpl == 0 && w == 4) {
        iret_to_v86(cpu, sp, rip, sel, fl);
        return;
    }
    struct descriptor d;
    check_return_cs(cpu, sel, &d);
    bool to64 = lma && (d.hi & (1u << 21));
    check_target(cpu, &d, rip);
    /* Setting CS's accessed bit can fault (or exit: EPT, PML full) like
     * the reads above, so before anything below commits. */
    desc_set_accessed(cpu, sel, &d);
    unsigned rpl = sel & 3u;
    uint64_t new_fl = iret_flags(cpu, cpu->rflags, fl, w) & ~(uint64_t)F_VM;
    /* 64-bit mode always pops SS:RSP (SDM Vol.3A 6.14.3). */
    if (rpl == cpu->cpl && cpu->mode != MODE_LONG) {
        set_stack_pointer(cpu, sp + 3 * w, ssize);
        cpu->rflags = new_fl;
        commit_cs(cpu, sel, &d, rpl, rip);
        return;
    }
    uint64_t new_sp = stack_pop_value(cpu, ss, sp, ssize, 3, w);
    uint16_t ss_sel = (uint16_t)stack_pop_value(cpu, ss, sp, ssize, 4, w);
    struct segment nss;
    check_return_ss(cpu, ss_sel, rpl, to64, &nss);
    unsigned old_cpl = cpu->cpl;
    cpu->seg[S_SS] = nss;
    cpu->rflags = new_fl;
    commit_cs(cpu, sel, &d, rpl, rip);
    set_stack_pointer(cpu, new_sp, cpu->mode == MODE_LONG ? 8 : cpu->stack_size);
    if (rpl > old_cpl)
        seg_invalidate_for_cpl(cpu, rpl);
}

void op_iret(struct cpu *cpu, const struct insn *in)
{
    unsigned w = in->opsize;
    /* SDM Vol.3A 6.7.1: IRET ends NMI blocking even when it faults, so
     * before anything below can fault. */
    if (cpu->vmx_nonroot)
        vmx_nonroot_iret_begin(cpu);
    else
        cpu->nmi_blocked = false;
    if (real_or_v86(cpu))
        iret_real(cpu, w);
    else
        iret_protected(cpu, w);
    if (cpu->vmx_nonroot)
        vmx_nonroot_iret_end(cpu);
}

/* --- Software interrupts --- */

static void soft_interrupt(struct cpu *cpu, unsigned vector, enum event_type type)
{
    /* Without VME, INT n/INT3/INTO in V86 mode need IOPL 3 (SDM Vol.3A 20.3). */
    if (cpu->mode == MODE_V86 && type != EV_PRIVSW && ((cpu->rflags & F_IOPL) >> 12) < 3)
        raise_gp(cpu, 0);
    cpu_deliver_event(cpu, vector, type, false, 0, cpu->next_rip);
    cpu->next_rip = cpu->rip;
    cpu->stop_block = true;
}

void op_int_imm(struct cpu *cpu, const struct insn *in)
{
    soft_interrupt(cpu, (unsigned)(in->imm & 0xff), EV_SWINT);
}

void op_int3(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    soft_interrupt(cpu, EXC_BP, EV_SWEXC);
}

void op_into(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    if (cpu->rflags & F_OF)
        soft_interrupt(cpu, EXC_OF, EV_SWEXC);
}

void op_int1(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    soft_interrupt(cpu, EXC_DB, EV_PRIVSW);
}

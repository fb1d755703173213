/* Hardware task switching (SDM Vol.3A 7.3): JMP/CALL to a TSS or task
 * gate, IRET with NT set, and interrupts through task gates; 16- and
 * 32-bit TSS formats. */
#include "cpu/task_switch.h"

#include "cpu/cpu.h"
#include "cpu/ctrlreg.h"
#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/operands.h"
#include "cpu/segment.h"
#include "vmx_emul/vmx_hooks.h"

/* Offsets of the dynamic fields (SDM Vol.3A figures 7-2 and 7-11). */
struct tss_layout {
    unsigned eip, eflags, gpr, seg, ldt, width, min_limit;
};
static const struct tss_layout tss32 = {0x20, 0x24, 0x28, 0x48, 0x60, 4, 0x67};
static const struct tss_layout tss16 = {0x0e, 0x10, 0x12, 0x22, 0x2a, 2, 0x2b};

static void set_busy(struct cpu *cpu, uint16_t sel, struct descriptor *d, bool busy)
{
    if (busy)
        d->hi |= 1u << 9;
    else
        d->hi &= ~(1u << 9);
    sys_write(cpu, desc_addr(cpu, sel) + 5, (d->hi >> 8) & 0xff, 1);
}

/* Load a segment register of the new task, faulting with #TS (SDM Vol.3A
 * 7.3 step 13 and table 7-1). */
static void load_task_segment(struct cpu *cpu, unsigned sreg, uint16_t sel, unsigned cpl,
                              uint32_t ext)
{
    struct segment *s = &cpu->seg[sreg];
    struct descriptor d;
    if (cpu->rflags & F_VM) {
        s->sel = sel;
        s->base = (uint64_t)sel << 4;
        s->limit = 0xffff;
        s->attr = SEG_P | SEG_S | (3u << 5) | (sreg == S_CS ? 0xb : 3);
        return;
    }
    if (sel_is_null(sel)) {
        if (sreg == S_CS || sreg == S_SS)
            raise_ts(cpu, ext);
        seg_set_null(s, sel);
        return;
    }
    if (!desc_read(cpu, sel, &d))
        raise_ts(cpu, sel_error(sel) | ext);
    if (sreg == S_CS) {
        bool conforming = (d.hi >> 10) & 1;
        if (!desc_is_code(&d) || (conforming ? desc_dpl(&d) > (sel & 3u)
                                              : desc_dpl(&d) != (sel & 3u)))
            raise_ts(cpu, sel_error(sel) | ext);
        if (!desc_present(&d))
            raise_np(cpu, sel_error(sel) | ext);
    } else if (sreg == S_SS) {
        if ((sel & 3) != cpl || desc_dpl(&d) != cpl || !desc_is_data(&d) ||
            !(d.hi & (1u << 9)))
            raise_ts(cpu, sel_error(sel) | ext);
        if (!desc_present(&d))
            raise_ss(cpu, sel_error(sel) | ext);
    } else {
        bool readable_code = desc_is_code(&d) && (d.hi & (1u << 9));
        bool conforming = desc_is_code(&d) && (d.hi & (1u << 10));
        if (!desc_is_data(&d) && !readable_code)
            raise_ts(cpu, sel_error(sel) | ext);
        if (!conforming && ((sel & 3u) > desc_dpl(&d) || cpl > desc_dpl(&d)))
            raise_ts(cpu, sel_error(sel) | ext);
        if (!desc_present(&d))
            raise_np(cpu, sel_error(sel) | ext);
    }
    desc_set_accessed(cpu, sel, &d);
    seg_from_desc(s, sel, &d);
}

void task_switch(struct cpu *cpu, uint16_t sel, enum task_switch_reason reason,
                 bool has_error, uint32_t error_code, uint64_t return_rip, uint32_t ext)
{
    if (cpu->vmx_nonroot) vmx_nonroot_task_switch(cpu, sel, reason); /* exit reason 9 */
    struct descriptor nd, od;
    /* The new TSS descriptor: GDT only, a TSS type, present, big enough. */
    if ((sel & 4) || !desc_read(cpu, sel, &nd))
        cpu_raise(cpu, reason == TS_IRET ? EXC_TS : EXC_GP, sel_error(sel) | ext);
    unsigned ntype = (nd.hi >> 8) & 0x1f;
    bool want_busy = reason == TS_IRET;
    unsigned avail = want_busy ? 2 : 0;
    if (ntype != (unsigned)(SYS_TSS16_AVAIL + avail) && ntype != (unsigned)(SYS_TSS_AVAIL + avail))
        cpu_raise(cpu, reason == TS_IRET ? EXC_TS : EXC_GP, sel_error(sel) | ext);
    if (!desc_present(&nd))
        raise_np(cpu, sel_error(sel) | ext);
    const struct tss_layout *nl = (ntype & 8) ? &tss32 : &tss16;
    if (desc_limit(&nd) < nl->min_limit)
        raise_ts(cpu, sel_error(sel) | ext);

    const struct tss_layout *ol = (SEG_TYPE(cpu->tr.attr) & 8) ? &tss32 : &tss16;
    uint64_t obase = cpu->tr.base, nbase = desc_base(&nd);
    if (cpu->tr.limit < ol->min_limit)
        raise_ts(cpu, sel_error(cpu->tr.sel) | ext);

    /* Read the whole new state before touching anything (a #PF here leaves
     * the old task intact). */
    unsigned w = nl->width;
    uint64_t n_eip = sys_read(cpu, nbase + nl->eip, w);
    uint64_t n_fl = sys_read(cpu, nbase + nl->eflags, w);
    uint64_t n_gpr[8];
    uint16_t n_seg[6];
    for (int i = 0; i < 8; i++)
        n_gpr[i] = sys_read(cpu, nbase + nl->gpr + i * w, w);
    int nsegs = w == 4 ? 6 : 4;
    for (int i = 0; i < nsegs; i++)
        n_seg[i] = (uint16_t)sys_read(cpu, nbase + nl->seg + i * w, 2);
    if (nsegs == 4)
        n_seg[S_FS] = n_seg[S_GS] = 0;
    uint16_t n_ldt = (uint16_t)sys_read(cpu, nbase + nl->ldt, 2);
    uint64_t n_cr3 = w == 4 ? sys_read(cpu, nbase + 0x1c, 4) : cpu->cr3;
    /* Probe the old TSS for writing, and the new one for the back link. */
    sys_write(cpu, obase + ol->eip, return_rip, ol->width);

    /* Save the old task's dynamic state. */
    uint64_t ofl = cpu->rflags;
    if (reason == TS_IRET)
        ofl &= ~(uint64_t)F_NT;
    unsigned ow = ol->width;
    sys_write(cpu, obase + ol->eflags, ofl, ow);
    for (int i = 0; i < 8; i++)
        sys_write(cpu, obase + ol->gpr + i * ow, cpu->gpr[i], ow);
    for (int i = 0; i < (ow == 4 ? 6 : 4); i++)
        sys_write(cpu, obase + ol->seg + i * ow, cpu->seg[i].sel, 2);

    uint16_t old_sel = cpu->tr.sel;
    if (reason == TS_JMP || reason == TS_IRET) {
        if (desc_read(cpu, old_sel, &od))
            set_busy(cpu, old_sel, &od, false);
    }
    if (reason == TS_CALL || reason == TS_INT) {
        sys_write(cpu, nbase, old_sel, 2); /* back link */
        n_fl |= F_NT;
    }
    if (reason != TS_IRET)
        set_busy(cpu, sel, &nd, true);

    /* Commit: TR, CR0.TS, CR3, registers; faults from here on belong to
     * the new task. */
    seg_from_desc(&cpu->tr, sel, &nd);
    cpu->tr.attr |= 2; /* busy */
    cpu->cr0 |= CR0_TS;
    debug_task_switch(cpu); /* local breakpoints belong to the old task (SDM Vol.3B 18.2.4) */
    /* Loading CR3 reloads the PAE PDPTE registers even when the value does
     * not change (SDM Vol.3A 4.4.1). */
    if (w == 4 && (cpu->cr0 & CR0_PG) && !cpu_set_cr3(cpu, n_cr3))
        raise_gp(cpu, 0);
    cpu->rflags = (w == 4 ? n_fl : (cpu->rflags & ~0xffffull) | (n_fl & 0xffff)) | 2;
    for (int i = 0; i < 8; i++)
        cpu->gpr[i] = w == 4 ? (uint32_t)n_gpr[i] : (cpu->gpr[i] & ~0xffffull) | n_gpr[i];
    cpu->rip = n_eip;
    cpu->next_rip = n_eip;
    for (int i = 0; i < 6; i++)
        cpu->seg[i].sel = n_seg[i];
    cpu->stop_block = true;

    /* LDT of the new task (SDM Vol.3A 7.3 step 13). */
    struct descriptor ld;
    if (sel_is_null(n_ldt)) {
        cpu->ldtr = (struct segment){.sel = n_ldt, .attr = SEG_UNUSABLE};
    } else {
        if ((n_ldt & 4) || !desc_read(cpu, n_ldt, &ld) || ((ld.hi >> 8) & 0x1f) != SYS_LDT)
            raise_ts(cpu, sel_error(n_ldt) | ext);
        if (!desc_present(&ld))
            raise_ts(cpu, sel_error(n_ldt) | ext);
        seg_from_desc(&cpu->ldtr, n_ldt, &ld);
    }
    unsigned cpl = (cpu->rflags & F_VM) ? 3 : (n_seg[S_CS] & 3u);
    load_task_segment(cpu, S_CS, n_seg[S_CS], cpl, ext);
    load_task_segment(cpu, S_SS, n_seg[S_SS], cpl, ext);
    cpu_update_mode(cpu);
    load_task_segment(cpu, S_DS, n_seg[S_DS], cpl, ext);
    load_task_segment(cpu, S_ES, n_seg[S_ES], cpl, ext);
    load_task_segment(cpu, S_FS, n_seg[S_FS], cpl, ext);
    load_task_segment(cpu, S_GS, n_seg[S_GS], cpl, ext);
    if (cpu->rip > cpu->seg[S_CS].limit)
        raise_gp(cpu, 0);
    if (reason == TS_INT && has_error) {
        /* The error code goes on the new task's stack (SDM Vol.3A 6.12.2). */
        unsigned sz = w;
        uint64_t mask = size_mask(cpu->stack_size);
        uint64_t sp = (cpu->gpr[R_SP] - sz) & mask;
        mem_write(cpu, S_SS, sp, error_code, sz);
        cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~mask) | sp;
    }
}

/* Delivery of exceptions and interrupts: real-mode IVT, protected-mode IDT
 * gates (interrupt, trap, task; V86 frames; stack switch through the TSS),
 * IA-32e 16-byte gates (IST), the double-fault rules and the choice of the
 * next pending interrupt between blocks (SDM Vol.3A chapter 6, 20.3). */
#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/lapic.h"
#include "cpu/log.h"
#include "cpu/mem.h"
#include "cpu/operands.h"
#include "cpu/segment.h"
#include "cpu/task_switch.h"
#include "vmx_emul/vmx_hooks.h"

/* Exception classes of SDM Vol.3A table 6-4. */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGEFAULT };

static enum exc_class exc_class_of(int delivering)
{
    /* Non-exception events (interrupts, INT n) are stored as 0x100 | vector. */
    switch (delivering) {
    case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
        return EXC_CONTRIBUTORY;
    case EXC_PF:
        return EXC_PAGEFAULT;
    default:
        return EXC_BENIGN;
    }
}

static void set_sp(struct cpu *cpu, uint64_t sp, unsigned ssize)
{
    uint64_t mask = size_mask(ssize);
    cpu->gpr[R_SP] = ssize == 8 ? sp : (cpu->gpr[R_SP] & ~mask) | (sp & mask);
    if (ssize == 4)
        cpu->gpr[R_SP] = (uint32_t)cpu->gpr[R_SP];
}

/* SDM Vol.3A 20.1.4: real-address mode uses the IVT at IDTR.base. */
static void deliver_real(struct cpu *cpu, unsigned vector, uint64_t return_rip)
{
    if ((uint64_t)vector * 4 + 3 > cpu->idtr.limit)
        raise_gp(cpu, vector * 8 + 2);
    uint32_t ivt = (uint32_t)sys_read(cpu, cpu->idtr.base + vector * 4, 4);
    struct stack_target t = {&cpu->seg[S_SS], cpu->gpr[R_SP], cpu->stack_size, false};
    uint64_t vals[3] = {cpu->rflags & 0xffff, cpu->seg[S_CS].sel, return_rip & 0xffff};
    uint64_t sp = stack_push_frame(cpu, &t, vals, 3, 2, 0);
    set_sp(cpu, sp, cpu->stack_size);
    cpu->rflags &= ~(uint64_t)(F_IF | F_TF | F_AC | F_RF);
    seg_load_real(cpu, S_CS, (uint16_t)(ivt >> 16));
    cpu->rip = ivt & 0xffff;
}

static bool is_software(enum event_type type)
{
    return type == EV_SWINT || type == EV_SWEXC;
}

/* The TSS stack for privilege level `dpl` (SDM Vol.3A 7.2.1, figure 7-2 /
 * 7-11): returns SS and ESP of a 16- or 32-bit TSS. */
static void tss_stack(struct cpu *cpu, unsigned dpl, uint32_t ext, uint16_t *ss, uint32_t *esp)
{
    const struct segment *tr = &cpu->tr;
    bool tss32 = (SEG_TYPE(tr->attr) & 8) != 0;
    uint32_t off = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
    uint32_t len = tss32 ? 8 : 4;
    if (off + len - 1 > tr->limit)
        raise_ts(cpu, sel_error(tr->sel) | ext);
    if (tss32) {
        *esp = (uint32_t)sys_read(cpu, tr->base + off, 4);
        *ss = (uint16_t)sys_read(cpu, tr->base + off + 4, 2);
    } else {
        *esp = (uint32_t)sys_read(cpu, tr->base + off, 2);
        *ss = (uint16_t)sys_read(cpu, tr->base + off + 2, 2);
    }
}

/* Read and check the code segment named by a gate (SDM Vol.3A 6.12.1.1). */
static void gate_code_segment(struct cpu *cpu, uint16_t sel, uint32_t ext, struct descriptor *cd)
{
    if (sel_is_null(sel))
        raise_gp(cpu, ext);
    if (!desc_read(cpu, sel, cd))
        raise_gp(cpu, sel_error(sel) | ext);
    if (!desc_is_code(cd) || desc_dpl(cd) > cpu->cpl)
        raise_gp(cpu, sel_error(sel) | ext);
    if (!desc_present(cd))
        raise_np(cpu, sel_error(sel) | ext);
}

/* SDM Vol.3A 6.12: protected mode (and V86) through a 32-bit IDT. */
static void deliver_protected(struct cpu *cpu, unsigned vector, enum event_type type,
                              bool has_error, uint32_t error_code, uint64_t return_rip)
{
    uint32_t ext = is_software(type) ? 0 : 1;
    uint32_t idt_err = vector * 8 + 2 + ext;
    if ((uint64_t)vector * 8 + 7 > cpu->idtr.limit)
        raise_gp(cpu, idt_err);
    struct descriptor g;
    uint64_t raw = sys_read(cpu, cpu->idtr.base + vector * 8, 8);
    g.lo = (uint32_t)raw;
    g.hi = (uint32_t)(raw >> 32);
    g.base_hi = 0;
    unsigned gtype = (g.hi >> 8) & 0x1f; /* with S: must be a system descriptor */
    if (gtype != SYS_TASK_GATE && gtype != SYS_INT16 && gtype != SYS_TRAP16 &&
        gtype != SYS_INT && gtype != SYS_TRAP)
        raise_gp(cpu, idt_err);
    if (is_software(type) && desc_dpl(&g) < cpu->cpl)
        raise_gp(cpu, idt_err);
    if (!desc_present(&g))
        raise_np(cpu, idt_err);
    if (gtype == SYS_TASK_GATE) {
        task_switch(cpu, gate_selector(&g), TS_INT, has_error, error_code, return_rip, ext);
        return;
    }
    uint16_t csel = gate_selector(&g);
    struct descriptor cd;
    gate_code_segment(cpu, csel, ext, &cd);
    unsigned dpl = desc_dpl(&cd);
    bool conforming = (cd.hi >> 10) & 1;
    bool v86 = cpu->mode == MODE_V86;
    unsigned width = (gtype & 8) ? 4 : 2;
    uint64_t target = gate_offset(&g);
    if (width == 2)
        target &= 0xffff;
    uint64_t fl = cpu->rflags;
    uint64_t vals[10];
    unsigned n = 0;
    struct segment new_ss = cpu->seg[S_SS];
    struct stack_target t;
    unsigned new_cpl;
    bool privilege_change = !conforming && dpl < cpu->cpl;
    if (v86 && (conforming || dpl != 0))
        raise_gp(cpu, sel_error(csel) | ext);
    if (privilege_change) {
        uint16_t ss_sel;
        uint32_t esp;
        tss_stack(cpu, dpl, ext, &ss_sel, &esp);
        struct descriptor sd;
        if (sel_is_null(ss_sel))
            raise_ts(cpu, ext);
        if (!desc_read(cpu, ss_sel, &sd))
            raise_ts(cpu, sel_error(ss_sel) | ext);
        if ((ss_sel & 3) != dpl || desc_dpl(&sd) != dpl || !desc_is_data(&sd) ||
            !(sd.hi & (1u << 9)))
            raise_ts(cpu, sel_error(ss_sel) | ext);
        if (!desc_present(&sd))
            raise_ss(cpu, sel_error(ss_sel) | ext);
        seg_from_desc(&new_ss, ss_sel, &sd);
        new_cpl = dpl;
        if (v86) {
            vals[n++] = cpu->seg[S_GS].sel;
            vals[n++] = cpu->seg[S_FS].sel;
            vals[n++] = cpu->seg[S_DS].sel;
            vals[n++] = cpu->seg[S_ES].sel;
        }
        vals[n++] = cpu->seg[S_SS].sel;
        vals[n++] = cpu->gpr[R_SP] & size_mask(cpu->stack_size);
        t = (struct stack_target){&new_ss, esp, (sd.hi & (1u << 22)) ? 4u : 2u, true};
    } else if (conforming || dpl == cpu->cpl) {
        new_cpl = cpu->cpl;
        t = (struct stack_target){&cpu->seg[S_SS], cpu->gpr[R_SP], cpu->stack_size,
                                  cpu->cpl < 3};
    } else {
        raise_gp(cpu, sel_error(csel) | ext);
    }
    vals[n++] = fl;
    vals[n++] = cpu->seg[S_CS].sel;
    vals[n++] = return_rip;
    if (has_error)
        vals[n++] = error_code;
    if (target > desc_limit(&cd))
        raise_gp(cpu, ext);
    uint32_t ss_err = privilege_change ? sel_error(new_ss.sel) | ext : ext;
    uint64_t sp = stack_push_frame(cpu, &t, vals, n, width, ss_err);

    /* Commit: nothing below can fault. */
    desc_set_accessed(cpu, csel, &cd);
    if (privilege_change) {
        cpu->seg[S_SS] = new_ss;
        cpu->gpr[R_SP] = 0; /* the high half is cleared with the 32-bit ESP below */
    }
    set_sp(cpu, sp, t.ssize);
    seg_from_desc(&cpu->seg[S_CS], (uint16_t)((csel & ~3u) | new_cpl), &cd);
    if (v86) {
        seg_set_null(&cpu->seg[S_DS], 0);
        seg_set_null(&cpu->seg[S_ES], 0);
        seg_set_null(&cpu->seg[S_FS], 0);
        seg_set_null(&cpu->seg[S_GS], 0);
    }
    cpu->rflags &= ~(uint64_t)(F_TF | F_VM | F_RF | F_NT);
    if (!(gtype & 1))
        cpu->rflags &= ~(uint64_t)F_IF; /* interrupt gate */
    cpu->rip = target;
    cpu_update_mode(cpu);
}

/* SDM Vol.3A 6.14: IA-32e mode, 16-byte gates, IST, aligned 64-bit frames. */
static void deliver_long(struct cpu *cpu, unsigned vector, enum event_type type,
                         bool has_error, uint32_t error_code, uint64_t return_rip)
{
    uint32_t ext = is_software(type) ? 0 : 1;
    uint32_t idt_err = vector * 8 + 2 + ext;
    if ((uint64_t)vector * 16 + 15 > cpu->idtr.limit)
        raise_gp(cpu, idt_err);
    struct descriptor g;
    uint64_t lo = sys_read(cpu, cpu->idtr.base + vector * 16, 8);
    uint64_t hi = sys_read(cpu, cpu->idtr.base + vector * 16 + 8, 8);
    g.lo = (uint32_t)lo;
    g.hi = (uint32_t)(lo >> 32);
    g.base_hi = (uint32_t)hi;
    unsigned gtype = (g.hi >> 8) & 0x1f;
    if (gtype != SYS_INT && gtype != SYS_TRAP)
        raise_gp(cpu, idt_err);
    if (is_software(type) && desc_dpl(&g) < cpu->cpl)
        raise_gp(cpu, idt_err);
    if (!desc_present(&g))
        raise_np(cpu, idt_err);
    uint16_t csel = gate_selector(&g);
    struct descriptor cd;
    gate_code_segment(cpu, csel, ext, &cd);
    if (!(cd.hi & (1u << 21)) || (cd.hi & (1u << 22)))
        raise_gp(cpu, sel_error(csel) | ext); /* must be a 64-bit code segment */
    unsigned dpl = desc_dpl(&cd);
    bool conforming = (cd.hi >> 10) & 1;
    unsigned new_cpl = conforming ? cpu->cpl : dpl;
    uint64_t target = gate_offset(&g);
    if (!is_canonical(target))
        raise_gp(cpu, ext);
    unsigned ist = g.hi & 7;
    uint64_t rsp = cpu->gpr[R_SP];
    bool privilege_change = new_cpl < cpu->cpl;
    if (ist || privilege_change) {
        uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * new_cpl;
        if (off + 7 > cpu->tr.limit)
            raise_ts(cpu, sel_error(cpu->tr.sel) | ext);
        rsp = sys_read(cpu, cpu->tr.base + off, 8);
        if (!is_canonical(rsp))
            raise_ss(cpu, ext);
    }
    rsp &= ~0xfull; /* SDM Vol.3A 6.14.2: 16-byte aligned frame */
    uint64_t vals[6];
    unsigned n = 0;
    vals[n++] = cpu->seg[S_SS].sel;
    vals[n++] = cpu->gpr[R_SP];
    vals[n++] = cpu->rflags;
    vals[n++] = cpu->seg[S_CS].sel;
    vals[n++] = return_rip;
    if (has_error)
        vals[n++] = error_code;
    struct stack_target t = {&cpu->seg[S_SS], rsp, 8, new_cpl < 3};
    uint64_t sp = stack_push_frame(cpu, &t, vals, n, 8, ext);

    desc_set_accessed(cpu, csel, &cd);
    if (privilege_change) {
        /* A privilege change loads a null SS with RPL = new CPL. */
        struct segment *ss = &cpu->seg[S_SS];
        ss->sel = (uint16_t)new_cpl;
        ss->base = 0;
        ss->limit = 0;
        ss->attr = SEG_UNUSABLE | SEG_S | 3 | (new_cpl << 5);
    }
    cpu->gpr[R_SP] = sp;
    seg_from_desc(&cpu->seg[S_CS], (uint16_t)((csel & ~3u) | new_cpl), &cd);
    cpu->rflags &= ~(uint64_t)(F_TF | F_VM | F_RF | F_NT);
    if (gtype == SYS_INT)
        cpu->rflags &= ~(uint64_t)F_IF;
    cpu->rip = target;
    cpu_update_mode(cpu);
}

void cpu_deliver_event(struct cpu *cpu, unsigned vector, enum event_type type, bool has_error,
                       uint32_t error_code, uint64_t return_rip)
{
    int prev = cpu->delivering_vector;
    if (cpu->vmx_nonroot && vmx_nonroot_event(cpu, vector, type, has_error, error_code, return_rip)) return;
    if (vector == EXC_DB && (cpu->dbg_event & DBG_EVENT_VALID))
        debug_event_commit(cpu); /* not for a #DB that became a VM exit (SDM Vol.3C 27.1) */
    if (prev >= 0 && type == EV_HWEXC) {
        /* A fault while delivering an earlier event (SDM Vol.3A 6.15,
         * table 6-5). */
        if (prev == EXC_DF) {
            if (cpu->vmx_nonroot) { vmx_nonroot_triple_fault(cpu); return; }
            cpu->shutdown = true; /* triple fault */
            cpu->delivering_vector = -1;
            cpu->stop_block = true;
            return;
        }
        enum exc_class first = exc_class_of(prev), second = exc_class_of((int)vector);
        if ((first == EXC_CONTRIBUTORY && second == EXC_CONTRIBUTORY) ||
            (first == EXC_PAGEFAULT && second != EXC_BENIGN)) {
            vector = EXC_DF;
            has_error = true;
            error_code = 0;
            if (cpu->vmx_nonroot && vmx_nonroot_event(cpu, vector, type, has_error, error_code, return_rip)) return;
        }
    }
    cpu->delivering_vector = type == EV_HWEXC ? (int)vector : (int)(0x100 | vector);
    /* Data breakpoints met by the delivery's own accesses (IDT, stack
     * frame) are not reported: a choice (cpu/debug.c). */
    uint32_t dbg_trap = cpu->dbg_trap;
    if (cpu->mode == MODE_REAL)
        deliver_real(cpu, vector, return_rip);
    else if (cpu->efer & EFER_LMA)
        deliver_long(cpu, vector, type, has_error, error_code, return_rip);
    else
        deliver_protected(cpu, vector, type, has_error, error_code, return_rip);
    if (cpu->dbg_trap != dbg_trap)
        debug_set_trap(cpu, dbg_trap);
    if (vector == EXC_DB && type != EV_SWINT) {
        /* A #DB takes the pending debug traps with it (cpu/debug.c). */
        debug_set_held(cpu, 0);
        debug_set_trap(cpu, DBG_DISCARD);
    }
    if (type == EV_NMI)
        cpu->nmi_blocked = true; /* until the next IRET (SDM Vol.3A 6.7.1) */
    cpu->delivering_vector = -1;
    cpu->irq_shadow = false;
    cpu->irq_shadow_movss = false;
    cpu->halted = false;
    cpu->stop_block = true;
}

static bool intr_pending(struct cpu *cpu)
{
    if (cpu->intr_pending)
        return cpu->intr_pending(cpu);
    if (cpu->lapic)
        return lapic_intr_pending(cpu->lapic);
    return false;
}

static int intr_ack(struct cpu *cpu)
{
    if (cpu->intr_ack)
        return cpu->intr_ack(cpu);
    if (cpu->lapic)
        return lapic_ack(cpu->lapic);
    return -1;
}

void cpu_check_interrupts(struct cpu *cpu)
{
    if (cpu->vmx_nonroot && vmx_nonroot_events(cpu)) return;
    bool shadow = false;
    if (cpu->irq_shadow) {
        if (cpu->rip == cpu->irq_shadow_rip)
            shadow = true;
        else
            cpu->irq_shadow = cpu->irq_shadow_movss = false;
    }
    if (shadow || cpu->shutdown || cpu->wait_for_sipi)
        return;
    if (cpu->nmi_pending && !cpu->nmi_blocked) {
        cpu->nmi_pending = false;
        cpu->halted = false;
        if (cpu->log_mask & LOG_IRQ)
            cpu_log(cpu, "irq: cpu%d NMI at %04x:%016llx\n", cpu->index, cpu->seg[S_CS].sel,
                    (unsigned long long)cpu->rip);
        cpu_deliver_event(cpu, EXC_NMI, EV_NMI, false, 0, cpu->rip);
        return;
    }
    if ((cpu->rflags & F_IF) && intr_pending(cpu)) {
        int v = intr_ack(cpu);
        if (v < 0)
            return;
        cpu->halted = false;
        if (cpu->log_mask & LOG_IRQ)
            cpu_log(cpu, "irq: cpu%d external interrupt vector %#x at %04x:%016llx\n",
                    cpu->index, (unsigned)v, cpu->seg[S_CS].sel, (unsigned long long)cpu->rip);
        cpu_deliver_event(cpu, (unsigned)v, EV_EXTINT, false, 0, cpu->rip);
    }
}

bool cpu_may_wake_later(struct cpu *cpu, bool nmi_or_init_source, bool maskable_source)
{
    /* In VMX non-root the preemption timer or external-interrupt exiting
     * can end the halt whatever IF says. */
    if (cpu->vmx_nonroot && vmx_nonroot_may_wake_later(cpu))
        return true;
    /* Waiting for SIPI: only a SIPI (from a vCPU that runs) ends it, or
     * in VMX non-root an INIT, which is a VM exit (SDM 25.2). */
    if (cpu->wait_for_sipi)
        return cpu->vmx_nonroot && nmi_or_init_source;
    /* HLT ends for an interrupt or NMI the CPU takes, or INIT (SDM Vol.2
     * HLT; SMIs are dropped: no SMM). With IF=0 only NMI and INIT remain;
     * with IF=1 a maskable interrupt too, if any path to this vCPU is open. */
    if (cpu->rflags & F_IF)
        return maskable_source || nmi_or_init_source;
    return nmi_or_init_source;
}

bool cpu_wakeable(struct cpu *cpu)
{
    if (cpu->vmx_nonroot && vmx_nonroot_wakeable(cpu))
        return true;
    if (cpu->nmi_pending && !cpu->nmi_blocked)
        return true;
    return (cpu->rflags & F_IF) && intr_pending(cpu);
}

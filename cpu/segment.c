/* Segment-register loads and descriptor-table access (SDM Vol.3A 3.4-3.5,
 * 5.5-5.8; Vol.2 MOV, POP, LDS/LES/LFS/LGS/LSS). */
#include "cpu/segment.h"

#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/operands.h"

uint64_t desc_addr(const struct cpu *cpu, uint16_t sel)
{
    uint64_t base = (sel & 4) ? cpu->ldtr.base : cpu->gdtr.base;
    return base + (sel & ~7u);
}

static bool desc_in_table(const struct cpu *cpu, uint16_t sel, unsigned bytes)
{
    if (sel & 4) {
        if (cpu->ldtr.attr & SEG_UNUSABLE || sel_is_null(cpu->ldtr.sel))
            return false;
        return (uint32_t)(sel & ~7u) + bytes - 1 <= cpu->ldtr.limit;
    }
    return (uint32_t)(sel & ~7u) + bytes - 1 <= cpu->gdtr.limit;
}

bool desc_read(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    if (!desc_in_table(cpu, sel, 8))
        return false;
    uint64_t a = desc_addr(cpu, sel);
    uint64_t v = sys_read(cpu, a, 8);
    d->lo = (uint32_t)v;
    d->hi = (uint32_t)(v >> 32);
    d->base_hi = 0;
    return true;
}

bool desc_read_long(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    if (!desc_in_table(cpu, sel, 16))
        return false;
    uint64_t a = desc_addr(cpu, sel);
    uint64_t v = sys_read(cpu, a, 8);
    d->lo = (uint32_t)v;
    d->hi = (uint32_t)(v >> 32);
    d->base_hi = (uint32_t)sys_read(cpu, a + 8, 4);
    return true;
}

void desc_set_accessed(struct cpu *cpu, uint16_t sel, struct descriptor *d)
{
    if (d->hi & (1u << 8))
        return;
    d->hi |= 1u << 8;
    sys_write(cpu, desc_addr(cpu, sel) + 5, (d->hi >> 8) & 0xff, 1);
}

void seg_from_desc(struct segment *s, uint16_t sel, const struct descriptor *d)
{
    s->sel = sel;
    s->base = desc_base(d) | ((uint64_t)d->base_hi << 32);
    s->limit = desc_limit(d);
    s->attr = desc_attr(d);
}

void seg_set_null(struct segment *s, uint16_t sel)
{
    /* Intel CPUs clear the base and limit on a null load (Linux's
     * X86_BUG_NULL_SEG is the AMD behaviour). */
    s->sel = sel;
    s->base = 0;
    s->limit = 0;
    s->attr = SEG_UNUSABLE;
}

void seg_load_real(struct cpu *cpu, unsigned sreg, uint16_t sel)
{
    struct segment *s = &cpu->seg[sreg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    if (cpu->mode == MODE_V86) {
        /* SDM Vol.3A 20.1.1: V86 segments are 64 KiB, DPL 3, read/write. */
        s->limit = 0xffff;
        s->attr = SEG_P | SEG_S | (3u << 5) | (sreg == S_CS ? 0xb : 3);
    } else if (s->attr & SEG_UNUSABLE) {
        /* Real mode keeps the cached limit (unreal mode), but a register
         * left unusable by protected mode becomes a plain 64 KiB segment. */
        s->limit = 0xffff;
        s->attr = SEG_P | SEG_S | 3;
    } else {
        s->attr |= SEG_P;
    }
    if (sreg == S_SS || sreg == S_CS)
        cpu_update_mode(cpu);
}

void seg_check_stack(struct cpu *cpu, uint16_t sel, unsigned cpl, unsigned vector,
                     struct descriptor *d)
{
    if (sel_is_null(sel))
        cpu_raise(cpu, vector, 0);
    if (!desc_read(cpu, sel, d))
        cpu_raise(cpu, vector, sel_error(sel));
    if ((sel & 3) != cpl || !desc_is_data(d) || !(d->hi & (1u << 9)) || desc_dpl(d) != cpl)
        cpu_raise(cpu, vector, sel_error(sel));
    if (!desc_present(d))
        raise_ss(cpu, sel_error(sel));
}

/* SDM Vol.2 MOV: "IF SS is loaded" / "IF DS, ES, FS, or GS is loaded". */
void seg_load(struct cpu *cpu, unsigned sreg, uint16_t sel)
{
    if (cpu->mode == MODE_REAL || cpu->mode == MODE_V86) {
        seg_load_real(cpu, sreg, sel);
        return;
    }
    struct segment *s = &cpu->seg[sreg];
    struct descriptor d;
    unsigned cpl = cpu->cpl;
    if (sreg == S_SS) {
        if (sel_is_null(sel)) {
            /* SDM Vol.3A 5.4.1.1: 64-bit mode allows a null SS below CPL 3
             * when RPL = CPL. */
            if (cpu->mode == MODE_LONG && cpl != 3 && (sel & 3) == cpl) {
                s->sel = sel;
                s->base = 0;
                s->limit = 0;
                s->attr = SEG_UNUSABLE | SEG_S | 3 | (cpl << 5);
                return;
            }
            raise_gp(cpu, 0);
        }
        if (!desc_read(cpu, sel, &d))
            raise_gp(cpu, sel_error(sel));
        if ((sel & 3) != cpl || !desc_is_data(&d) || !(d.hi & (1u << 9)) ||
            desc_dpl(&d) != cpl)
            raise_gp(cpu, sel_error(sel));
        if (!desc_present(&d))
            raise_ss(cpu, sel_error(sel));
        desc_set_accessed(cpu, sel, &d);
        seg_from_desc(s, sel, &d);
        cpu_update_mode(cpu);
        return;
    }
    if (sel_is_null(sel)) {
        seg_set_null(s, sel);
        return;
    }
    if (!desc_read(cpu, sel, &d))
        raise_gp(cpu, sel_error(sel));
    bool readable_code = desc_is_code(&d) && (d.hi & (1u << 9));
    if (!desc_is_data(&d) && !readable_code)
        raise_gp(cpu, sel_error(sel));
    bool conforming_code = desc_is_code(&d) && (d.hi & (1u << 10));
    if (!conforming_code && ((sel & 3) > desc_dpl(&d) || cpl > desc_dpl(&d)))
        raise_gp(cpu, sel_error(sel));
    if (!desc_present(&d))
        raise_np(cpu, sel_error(sel));
    desc_set_accessed(cpu, sel, &d);
    seg_from_desc(s, sel, &d);
}

void seg_invalidate_for_cpl(struct cpu *cpu, unsigned cpl)
{
    static const unsigned regs[] = {S_ES, S_DS, S_FS, S_GS};
    for (unsigned i = 0; i < 4; i++) {
        struct segment *s = &cpu->seg[regs[i]];
        if (s->attr & SEG_UNUSABLE)
            continue;
        bool conforming_code = (s->attr & 8) && (s->attr & 4);
        if (conforming_code || SEG_DPL(s->attr) >= cpl)
            continue;
        /* SDM Vol.2 IRET/RET: only the selector becomes null; the hidden
         * base is not a MOV-null load and stays, which 64-bit code relies
         * on for FS/GS (e.g. a nested hypervisor's emulated VM exit leaves
         * a usable DPL-0 FS with selector 0 and the user's FS base, and
         * the kernel returns to CPL 3 by IRET). Any use in a non-64-bit
         * mode faults on the unusable register anyway. */
        s->sel = 0;
        s->attr |= SEG_UNUSABLE;
    }
}

/* Where the pushes of one frame go. */
bool stack_offset_ok(const struct segment *ss, uint64_t off, unsigned len, unsigned ssize)
{
    if (ssize == 8)
        return is_canonical(off) && is_canonical(off + len - 1);
    uint32_t a = ss->attr;
    if (!(a & 8) && (a & 4)) {
        uint64_t top = (a & SEG_DB) ? 0xffffffffull : 0xffffull;
        return off > ss->limit && off + len - 1 <= top;
    }
    return off + len - 1 <= ss->limit;
}

/* Push vals[0..n) (vals[0] first, so at the highest address) of `width`
 * bytes. Every address is checked before anything is written, so a #SS
 * leaves memory untouched; a #PF midway leaves registers untouched.
 * Returns the new stack pointer (masked to the stack size). */
uint64_t stack_push_frame(struct cpu *cpu, const struct stack_target *t, const uint64_t *vals,
                           unsigned n, unsigned width, uint32_t ss_error)
{
    uint64_t mask = size_mask(t->ssize);
    for (unsigned i = 0; i < n; i++) {
        uint64_t off = (t->sp - (uint64_t)(i + 1) * width) & mask;
        if (!stack_offset_ok(t->ss, off, width, t->ssize))
            raise_ss(cpu, ss_error);
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t off = (t->sp - (uint64_t)(i + 1) * width) & mask;
        uint64_t lin = t->ssize == 8 ? off : ((t->ss->base + off) & 0xffffffffull);
        if (t->supervisor)
            sys_write(cpu, lin, vals[i], width);
        else
            lin_write(cpu, lin, vals[i], width);
    }
    return (t->sp - (uint64_t)n * width) & mask;
}


uint64_t stack_pop_value(struct cpu *cpu, const struct segment *ss, uint64_t sp, unsigned ssize,
                         unsigned index, unsigned width)
{
    uint64_t off = (sp + (uint64_t)index * width) & size_mask(ssize);
    if (!stack_offset_ok(ss, off, width, ssize))
        raise_ss(cpu, 0);
    uint64_t lin = ssize == 8 ? off : ((ss->base + off) & 0xffffffffull);
    return lin_read(cpu, lin, width);
}

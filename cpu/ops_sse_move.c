/* SSE/SSE2/SSE3/SSE4.1 data movement: full, scalar and half-register moves,
 * MOVD/MOVQ, non-temporal stores, mask extraction, MXCSR load/store. */
#include "cpu/ops_sse.h"

#include "cpu/operands.h"

/* SDM Vol.1 11.5.4: commit flags, then fault on an unmasked one. */
void sse_commit_flags(struct cpu *cpu, const struct sse_flags *f)
{
    uint32_t masked = (cpu->mxcsr >> SSE_MXCSR_MASK_SHIFT) & SSE_MXCSR_FLAGS;
    uint32_t flags = f->pre | f->post;
    if (f->pre & ~masked)
        flags = f->pre;
    cpu->mxcsr |= flags;
    if (flags & ~masked) {
        if (cpu->cr4 & CR4_OSXMMEXCPT)
            cpu_raise_noerr(cpu, EXC_XM);
        raise_ud(cpu);
    }
}

/* 0F 10: MOVUPS/MOVUPD/MOVDQU loads; MOVSS/MOVSD merge from a register but
 * zero the upper lanes from memory (SDM Vol.2 MOVSS). */
void op_sse_movu_load(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t *d = &cpu->xmm[in->reg];
    if (in->mandatory == PFX_F3 && in->opcode == 0x10) {
        if (in->mod == 3)
            d->d[0] = cpu->xmm[in->rm].d[0];
        else
            *d = sse_mem_read(cpu, in, 4, false);
    } else if (in->mandatory == PFX_F2 && in->opcode == 0x10) {
        if (in->mod == 3)
            d->q[0] = cpu->xmm[in->rm].q[0];
        else
            *d = sse_mem_read(cpu, in, 8, false);
    } else {
        *d = sse_rm(cpu, in, 16, false);
    }
}

void op_sse_movu_store(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    const xmm_t s = cpu->xmm[in->reg];
    unsigned size = 16;
    if (in->opcode == 0x11 && in->mandatory == PFX_F3)
        size = 4;
    else if (in->opcode == 0x11 && in->mandatory == PFX_F2)
        size = 8;
    if (in->mod != 3) {
        sse_mem_write(cpu, in, size, &s, false);
        return;
    }
    xmm_t *d = &cpu->xmm[in->rm];
    if (size == 4)
        d->d[0] = s.d[0];
    else if (size == 8)
        d->q[0] = s.q[0];
    else
        *d = s;
}

void op_sse_mova_load(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    cpu->xmm[in->reg] = sse_rm(cpu, in, 16, true);
}

void op_sse_mova_store(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    const xmm_t s = cpu->xmm[in->reg];
    if (in->mod != 3)
        sse_mem_write(cpu, in, 16, &s, true);
    else
        cpu->xmm[in->rm] = s;
}

/* 0F 12: MOVLPS/MOVLPD (memory), MOVHLPS (register), MOVDDUP, MOVSLDUP. */
void op_sse_movlp_load(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t *d = &cpu->xmm[in->reg];
    if (in->mandatory == PFX_F2) {
        uint64_t lo = sse_rm(cpu, in, 8, false).q[0];
        d->q[0] = d->q[1] = lo;
    } else if (in->mandatory == PFX_F3) {
        xmm_t s = sse_rm(cpu, in, 16, true);
        d->d[0] = d->d[1] = s.d[0];
        d->d[2] = d->d[3] = s.d[2];
    } else if (in->mod == 3) {
        d->q[0] = cpu->xmm[in->rm].q[1];
    } else {
        d->q[0] = sse_mem_read(cpu, in, 8, false).q[0];
    }
}

void op_sse_movlp_store(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = cpu->xmm[in->reg];
    sse_mem_write(cpu, in, 8, &s, false);
}

/* 0F 16: MOVHPS/MOVHPD (memory), MOVLHPS (register), MOVSHDUP. */
void op_sse_movhp_load(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t *d = &cpu->xmm[in->reg];
    if (in->mandatory == PFX_F3) {
        xmm_t s = sse_rm(cpu, in, 16, true);
        d->d[0] = d->d[1] = s.d[1];
        d->d[2] = d->d[3] = s.d[3];
    } else if (in->mod == 3) {
        d->q[1] = cpu->xmm[in->rm].q[0];
    } else {
        d->q[1] = sse_mem_read(cpu, in, 8, false).q[0];
    }
}

void op_sse_movhp_store(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = {.q = {cpu->xmm[in->reg].q[1], 0}};
    sse_mem_write(cpu, in, 8, &s, false);
}

void op_sse_movntq(struct cpu *cpu, const struct insn *in)
{
    mmx_check(cpu);
    xmm_t s = {.q = {mmx_reg_read(cpu, in->reg), 0}};
    sse_mem_write(cpu, in, 8, &s, false);
}

/* 66 0F 6E: MOVD/MOVQ xmm, r/m32/64; the upper lanes are zeroed. */
void op_sse_movd_load(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    uint64_t v = rm_read(cpu, in, in->opsize);
    cpu->xmm[in->reg] = (xmm_t){.q = {v, 0}};
}

void op_sse_movd_store(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    rm_write(cpu, in, in->opsize, cpu->xmm[in->reg].q[0] & size_mask(in->opsize));
}

/* F3 0F 7E: MOVQ xmm, xmm/m64 (upper half zeroed). */
void op_sse_movq_load(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    uint64_t v = sse_rm(cpu, in, 8, false).q[0];
    cpu->xmm[in->reg] = (xmm_t){.q = {v, 0}};
}

/* 66 0F D6: MOVQ xmm/m64, xmm; a register destination has its upper half zeroed. */
void op_sse_movq_store(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = {.q = {cpu->xmm[in->reg].q[0], 0}};
    if (in->mod == 3)
        cpu->xmm[in->rm] = s;
    else
        sse_mem_write(cpu, in, 8, &s, false);
}

void op_sse_movq2dq(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    mmx_pending_check(cpu);
    uint64_t v = mmx_reg_read(cpu, in->rm);
    cpu->xmm[in->reg] = (xmm_t){.q = {v, 0}};
}

void op_sse_movdq2q(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    mmx_pending_check(cpu);
    mmx_reg_write(cpu, in->reg, cpu->xmm[in->rm].q[0]);
}

/* MOVMSKPS/MOVMSKPD: the sign bits into a GPR, upper bits zeroed. */
void op_sse_movmsk(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    const xmm_t *s = &cpu->xmm[in->rm];
    uint32_t m = 0;
    if (in->mandatory == PFX_66) {
        m = (uint32_t)(s->q[0] >> 63) | (uint32_t)(s->q[1] >> 63) << 1;
    } else {
        for (unsigned i = 0; i < 4; i++)
            m |= (s->d[i] >> 31) << i;
    }
    cpu->gpr[in->reg] = m;
}

void op_sse_pmovmskb(struct cpu *cpu, const struct insn *in)
{
    uint32_t m = 0;
    if (in->mandatory == PFX_66) {
        sse_check(cpu);
        for (unsigned i = 0; i < 16; i++)
            m |= (uint32_t)(cpu->xmm[in->rm].b[i] >> 7) << i;
    } else {
        mmx_check(cpu);
        uint64_t v = mmx_reg_read(cpu, in->rm);
        for (unsigned i = 0; i < 8; i++)
            m |= (uint32_t)((v >> (8 * i + 7)) & 1) << i;
    }
    cpu->gpr[in->reg] = m;
}

/* MXCSR bits that exist (SDM Vol.1 10.2.3.1: MXCSR_MASK 0xffff without
 * the AMD misaligned-exception mode); setting any other is #GP(0). */
#define MXCSR_WRITABLE 0xffffu

void op_sse_ldmxcsr(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    uint32_t v = (uint32_t)mem_read(cpu, in->seg, insn_ea(cpu, in), 4);
    if (v & ~MXCSR_WRITABLE)
        raise_gp(cpu, 0);
    cpu->mxcsr = v;
}

void op_sse_stmxcsr(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    mem_write(cpu, in->seg, insn_ea(cpu, in), cpu->mxcsr, 4);
}

/* MASKMOVQ/MASKMOVDQU: byte stores to DS:rDI (segment overridable) where
 * the mask byte's top bit is set. The whole range is checked first so a
 * fault stores nothing. */
void op_sse_maskmov(struct cpu *cpu, const struct insn *in)
{
    xmm_t data, mask;
    unsigned n;
    if (in->mandatory == PFX_66) {
        sse_check(cpu);
        data = cpu->xmm[in->reg];
        mask = cpu->xmm[in->rm];
        n = 16;
    } else {
        mmx_check(cpu);
        data.q[0] = mmx_reg_read(cpu, in->reg);
        mask.q[0] = mmx_reg_read(cpu, in->rm);
        n = 8;
    }
    uint64_t off = cpu->gpr[R_DI] & size_mask(in->addrsize);
    uint64_t lin = mem_probe_write(cpu, in->seg, off, n);
    for (unsigned i = 0; i < n; i++)
        if (mask.b[i] & 0x80)
            lin_write(cpu, sse_lin_next(cpu, lin, i), data.b[i], 1);
}

/* MOVNTI m32/m64, r: a plain GPR store (the hint has no architectural effect). */
void op_sse_movnti(struct cpu *cpu, const struct insn *in)
{
    mem_write(cpu, in->seg, insn_ea(cpu, in), greg_read(cpu, in, in->opsize), in->opsize);
}

/* System registers and system instructions: MOV to/from CR and DR,
 * LGDT/LIDT/SGDT/SIDT, LMSW/SMSW/CLTS, INVLPG/INVPCID, caches and fences,
 * RDMSR/WRMSR, RDTSC/RDTSCP/RDPMC, CPUID, XGETBV/XSETBV, SWAPGS,
 * RD/WR FS/GS BASE, RDPID, CLAC/STAC (SDM Vol.2 instruction pages). */
#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/ctrlreg.h"
#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/lapic.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"
#include "cpu/pmu.h"
#include "cpu/tsc.h"
#include "vmx_emul/vmx_hooks.h"

/* Privileged instructions: CPL 0 only (V86 runs at CPL 3). */
static void require_cpl0(struct cpu *cpu)
{
    if (cpu->cpl != 0)
        raise_gp(cpu, 0);
}

static void write_edx_eax(struct cpu *cpu, uint64_t v)
{
    cpu->gpr[R_AX] = (uint32_t)v;
    cpu->gpr[R_DX] = (uint32_t)(v >> 32);
}

static uint64_t read_edx_eax(const struct cpu *cpu)
{
    return ((uint64_t)(uint32_t)cpu->gpr[R_DX] << 32) | (uint32_t)cpu->gpr[R_AX];
}

/* --- control registers (SDM Vol.2 MOV—Move to/from Control Registers) --- */

static unsigned cr_operand_size(const struct cpu *cpu)
{
    return cpu->mode == MODE_LONG ? 8 : 4;
}

static uint64_t read_cr8(struct cpu *cpu)
{
    if (cpu->lapic)
        return (lapic_tpr(cpu->lapic) >> 4) & 0xf;
    return cpu->cr8;
}

void op_mov_r_cr(struct cpu *cpu, const struct insn *in)
{
    require_cpl0(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_cr_read(cpu, in, in->reg, in->rm)) return;
    uint64_t v;
    switch (in->reg) {
    case 0: v = cpu->cr0; break;
    case 2: v = cpu->cr2; break;
    case 3: v = cpu->cr3; break;
    case 4: v = cpu->cr4; break;
    case 8:
        if (cpu->mode != MODE_LONG)
            raise_ud(cpu);
        v = read_cr8(cpu);
        break;
    default: raise_ud(cpu);
    }
    if (cpu->vmx_nonroot) v = vmx_nonroot_cr_view(cpu, in->reg, v);
    unsigned sz = cr_operand_size(cpu);
    reg_write(cpu, in->rm, sz, 1, v & size_mask(sz));
}

void op_mov_cr_r(struct cpu *cpu, const struct insn *in)
{
    require_cpl0(cpu);
    unsigned sz = cr_operand_size(cpu);
    uint64_t v = reg_read(cpu, in->rm, sz, 1);
    if (cpu->vmx_nonroot && vmx_nonroot_cr_write(cpu, in, in->reg, v, in->rm)) return;
    if (cpu->vmx_nonroot) v = vmx_nonroot_cr_merge(cpu, in->reg, v);
    bool ok = true;
    switch (in->reg) {
    case 0: ok = cpu_set_cr0(cpu, v); break;
    case 2: cpu->cr2 = v; break;
    case 3: ok = cpu_set_cr3(cpu, v); break;
    case 4:
        ok = cpu_set_cr4(cpu, v);
        debug_update(cpu); /* CR4.DE arms or disarms I/O breakpoints */
        break;
    case 8:
        if (cpu->mode != MODE_LONG)
            raise_ud(cpu);
        if (v & ~0xfull)
            raise_gp(cpu, 0);
        cpu->cr8 = v;
        if (cpu->lapic)
            lapic_set_tpr(cpu->lapic, (uint8_t)(v << 4));
        cpu->stop_block = true; /* a lower TPR may unmask an interrupt */
        break;
    default: raise_ud(cpu);
    }
    if (!ok)
        raise_gp(cpu, 0);
    cpu->stop_block = true;
}

/* --- debug registers (SDM Vol.3B 18.2; the breakpoints they arm are
 * cpu/debug.c's) --- */

static unsigned dr_index(struct cpu *cpu, unsigned reg)
{
    if (reg > 7)
        raise_ud(cpu);
    if (reg == 4 || reg == 5) {
        /* CR4.DE makes DR4/DR5 undefined; otherwise they alias DR6/DR7. */
        if (cpu->cr4 & CR4_DE)
            raise_ud(cpu);
        reg += 2;
    }
    return reg;
}

/* Order of the checks: a MOV-DR VM exit comes before the privilege #GP and
 * the DR4/DR5 #UD (SDM Vol.3C 25.1.3) and before the general-detect #DB
 * (the exit is taken on the instruction, which has not run); #GP(CPL) and
 * #UD come before general detect, which precedes the value checks of a
 * DR6/DR7 write. */
void op_mov_r_dr(struct cpu *cpu, const struct insn *in)
{
    if (cpu->vmx_nonroot && vmx_nonroot_mov_dr(cpu, in, true)) return;
    require_cpl0(cpu);
    unsigned n = dr_index(cpu, in->reg);
    debug_general_detect(cpu);
    unsigned sz = cr_operand_size(cpu);
    reg_write(cpu, in->rm, sz, 1, cpu->dr[n] & size_mask(sz));
}

void op_mov_dr_r(struct cpu *cpu, const struct insn *in)
{
    if (cpu->vmx_nonroot && vmx_nonroot_mov_dr(cpu, in, false)) return;
    require_cpl0(cpu);
    unsigned n = dr_index(cpu, in->reg);
    debug_general_detect(cpu);
    unsigned sz = cr_operand_size(cpu);
    uint64_t v = reg_read(cpu, in->rm, sz, 1);
    if (n == 6 || n == 7) {
        if (v >> 32)
            raise_gp(cpu, 0);
        v = n == 6 ? (v | 0xffff0ff0ull) & 0xffffefffull : (v | 0x400) & ~0xd800ull;
    } else if (cpu->mode == MODE_LONG && !is_canonical(v)) {
        v &= 0xffffffffffffull; /* stored truncated: a linear address has 48 bits */
    }
    cpu->dr[n] = v;
    if (n != 6) {
        debug_update(cpu);
        cpu->stop_block = true; /* newly armed breakpoints apply from the next instruction */
    }
}

/* --- descriptor-table registers --- */

static void load_dtable(struct cpu *cpu, const struct insn *in, struct dtable *t)
{
    if (cpu->mode == MODE_V86)
        raise_gp(cpu, 0);
    require_cpl0(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_desc_table(cpu, in, EXIT_REASON_GDTR_IDTR, t == &cpu->gdtr ? 2 : 3)) return;
    uint64_t ea = insn_ea(cpu, in);
    uint64_t limit = mem_read(cpu, in->seg, ea, 2);
    uint64_t next = (ea + 2) & size_mask(in->addrsize);
    uint64_t base;
    if (cpu->mode == MODE_LONG) {
        base = mem_read(cpu, in->seg, next, 8);
        if (!is_canonical(base))
            raise_gp(cpu, 0);
    } else {
        base = mem_read(cpu, in->seg, next, 4);
        if (in->opsize == 2)
            base &= 0xffffff; /* 16-bit operand size loads a 24-bit base */
    }
    t->base = base;
    t->limit = (uint32_t)limit;
}

static void store_dtable(struct cpu *cpu, const struct insn *in, const struct dtable *t)
{
    if (cpu->vmx_nonroot && vmx_nonroot_desc_table(cpu, in, EXIT_REASON_GDTR_IDTR, t == &cpu->gdtr ? 0 : 1)) return;
    uint64_t ea = insn_ea(cpu, in);
    uint64_t next = (ea + 2) & size_mask(in->addrsize);
    unsigned bsz = cpu->mode == MODE_LONG ? 8 : 4;
    /* Probe both parts before writing either. */
    mem_probe_write(cpu, in->seg, ea, 2);
    mem_probe_write(cpu, in->seg, next, bsz);
    mem_write(cpu, in->seg, ea, t->limit & 0xffff, 2);
    mem_write(cpu, in->seg, next, bsz == 8 ? t->base : (uint32_t)t->base, bsz);
}

void op_lgdt(struct cpu *cpu, const struct insn *in)
{
    load_dtable(cpu, in, &cpu->gdtr);
}

void op_lidt(struct cpu *cpu, const struct insn *in)
{
    load_dtable(cpu, in, &cpu->idtr);
}

void op_sgdt(struct cpu *cpu, const struct insn *in)
{
    store_dtable(cpu, in, &cpu->gdtr);
}

void op_sidt(struct cpu *cpu, const struct insn *in)
{
    store_dtable(cpu, in, &cpu->idtr);
}

void op_smsw(struct cpu *cpu, const struct insn *in)
{
    uint64_t cr0 = cpu->vmx_nonroot ? vmx_nonroot_cr_view(cpu, 0, cpu->cr0) : cpu->cr0;
    if (in->mod == 3)
        reg_write(cpu, in->rm, in->opsize, in->rex, cr0 & size_mask(in->opsize));
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), cr0 & 0xffff, 2);
}

void op_lmsw(struct cpu *cpu, const struct insn *in)
{
    require_cpl0(cpu);
    uint64_t v = rm_read(cpu, in, 2);
    if (cpu->vmx_nonroot && vmx_nonroot_lmsw(cpu, in, (uint16_t)v, in->mod == 3 ? 0 : cpu->seg[in->seg].base + insn_ea(cpu, in))) return;
    /* Only PE, MP, EM, TS; PE can be set but not cleared (SDM Vol.2 LMSW). */
    uint64_t cr0 = (cpu->cr0 & ~0xeull) | (v & 0xf) | (cpu->cr0 & CR0_PE);
    if (cpu->vmx_nonroot) cr0 = vmx_nonroot_cr_merge(cpu, 0, cr0);
    if (!cpu_set_cr0(cpu, cr0))
        raise_gp(cpu, 0);
}

void op_clts(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    require_cpl0(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_clts(cpu, in)) return;
    cpu->cr0 &= ~CR0_TS;
}

/* --- TLB and caches --- */

void op_invlpg(struct cpu *cpu, const struct insn *in)
{
    require_cpl0(cpu);
    uint64_t off = insn_ea(cpu, in);
    uint64_t lin;
    if (cpu->mode == MODE_LONG)
        lin = off + ((in->seg == S_FS || in->seg == S_GS) ? cpu->seg[in->seg].base : 0);
    else
        lin = (cpu->seg[in->seg].base + off) & 0xffffffffull;
    if (cpu->vmx_nonroot && vmx_nonroot_invlpg(cpu, in, lin)) return;
    /* The TLB fills one 4 KiB slot per access even inside a large page, so
     * other slots of a large page survive this; software that changes a
     * large mapping invalidates each 4 KiB page of it or flushes fully. */
    tlb_flush_page(&cpu->tlb, lin);
    cpu->stop_block = true;
}

void op_invpcid(struct cpu *cpu, const struct insn *in)
{
    if (cpu->mode == MODE_V86)
        raise_gp(cpu, 0);
    require_cpl0(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_invpcid(cpu, in)) return;
    uint64_t type = reg_read(cpu, in->reg, cpu->mode == MODE_LONG ? 8 : 4, in->rex);
    uint64_t ea = insn_ea(cpu, in);
    uint64_t pcid = mem_read(cpu, in->seg, ea, 8);
    uint64_t addr = mem_read(cpu, in->seg, (ea + 8) & size_mask(in->addrsize), 8);
    if (type > 3 || (pcid >> 12))
        raise_gp(cpu, 0);
    if (!(cpu->cr4 & CR4_PCIDE) && (type == 0 || type == 1) && pcid != 0)
        raise_gp(cpu, 0);
    switch (type) {
    case 0:
        if (!is_canonical(addr))
            raise_gp(cpu, 0);
        tlb_flush_page(&cpu->tlb, addr);
        break;
    case 2: tlb_flush_all(&cpu->tlb); break;
    default: tlb_flush_nonglobal(&cpu->tlb); break; /* PCIDs are not tagged */
    }
    cpu->stop_block = true;
}

void op_wbinvd(struct cpu *cpu, const struct insn *in)
{
    /* CPL and VM exit: cpu/row_intercept.c (RX_INVD, RX_WBINVD). Caches
     * are not modelled: nothing to write back or drop. */
    (void)cpu;
    (void)in;
}

void op_clflush(struct cpu *cpu, const struct insn *in)
{
    /* Checked like a byte read (SDM Vol.2 CLFLUSH) without touching the
     * byte, which may be a device register; nothing is cached. */
    uint64_t lin = seg_linear(cpu, in->seg, insn_ea(cpu, in), 1, ACC_READ);
    if (cpu->mode != MODE_LONG)
        lin &= 0xffffffffull;
    (void)cpu_translate(cpu, lin, ACC_READ);
}

void op_fence(struct cpu *cpu, const struct insn *in)
{
    (void)cpu;
    (void)in; /* one in-order thread at a time: accesses are already ordered */
}

/* --- MSRs, TSC, performance counters, CPUID --- */

void op_rdmsr(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    require_cpl0(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_msr(cpu, in, false)) return;
    uint64_t v;
    if (!msr_read(cpu, (uint32_t)cpu->gpr[R_CX], &v))
        raise_gp(cpu, 0);
    write_edx_eax(cpu, v);
}

void op_wrmsr(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    require_cpl0(cpu);
    if (cpu->vmx_nonroot && vmx_nonroot_msr(cpu, in, true)) return;
    if (!msr_write(cpu, (uint32_t)cpu->gpr[R_CX], read_edx_eax(cpu)))
        raise_gp(cpu, 0);
    cpu->stop_block = true;
}

void op_rdtsc(struct cpu *cpu, const struct insn *in)
{
    (void)in; /* CR4.TSD and VM exit: cpu/row_intercept.c (RX_RDTSC) */
    write_edx_eax(cpu, cpu->vmx_nonroot ? vmx_nonroot_tsc(cpu, cpu_tsc(cpu)) : cpu_tsc(cpu));
}

void op_rdtscp(struct cpu *cpu, const struct insn *in)
{
    (void)in; /* CR4.TSD and VM exit: cpu/row_intercept.c (RX_RDTSCP) */
    write_edx_eax(cpu, cpu->vmx_nonroot ? vmx_nonroot_tsc(cpu, cpu_tsc(cpu)) : cpu_tsc(cpu));
    cpu->gpr[R_CX] = (uint32_t)cpu->tsc_aux;
}

void op_rdpmc(struct cpu *cpu, const struct insn *in)
{
    (void)in; /* CR4.PCE and VM exit: cpu/row_intercept.c (RX_RDPMC) */
    uint64_t v;
    if (!pmu_rdpmc(cpu, (uint32_t)cpu->gpr[R_CX], &v))
        raise_gp(cpu, 0);
    write_edx_eax(cpu, v);
}

void op_cpuid(struct cpu *cpu, const struct insn *in)
{
    (void)in; /* VM exit: cpu/row_intercept.c (RX_CPUID) */
    uint32_t r[4];
    cpuid_query(cpu, (uint32_t)cpu->gpr[R_AX], (uint32_t)cpu->gpr[R_CX], r);
    cpu->gpr[R_AX] = r[0];
    cpu->gpr[R_BX] = r[1];
    cpu->gpr[R_CX] = r[2];
    cpu->gpr[R_DX] = r[3];
}

/* --- XCR0 --- */

void op_xgetbv(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    if (!(cpu->cr4 & CR4_OSXSAVE))
        raise_ud(cpu);
    if ((uint32_t)cpu->gpr[R_CX] != 0)
        raise_gp(cpu, 0); /* XINUSE (ECX=1) is not offered */
    write_edx_eax(cpu, cpu->xcr0);
}

void op_xsetbv(struct cpu *cpu, const struct insn *in)
{
    (void)in; /* #UD, #GP(0) and VM exit: cpu/row_intercept.c (RX_XSETBV) */
    if ((uint32_t)cpu->gpr[R_CX] != 0 || !cpu_set_xcr0(cpu, read_edx_eax(cpu)))
        raise_gp(cpu, 0);
}

/* --- FS/GS bases, SWAPGS, RDPID, SMAP --- */

void op_swapgs(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    require_cpl0(cpu);
    uint64_t t = cpu->seg[S_GS].base;
    cpu->seg[S_GS].base = cpu->kernel_gs_base;
    cpu->kernel_gs_base = t;
}

void op_rdfsgsbase(struct cpu *cpu, const struct insn *in)
{
    if (!(cpu->cr4 & CR4_FSGSBASE))
        raise_ud(cpu);
    unsigned sreg = ((in->modrm >> 3) & 1) ? S_GS : S_FS;
    unsigned sz = in->opsize == 8 ? 8 : 4;
    reg_write(cpu, in->rm, sz, 1, cpu->seg[sreg].base & size_mask(sz));
}

void op_wrfsgsbase(struct cpu *cpu, const struct insn *in)
{
    if (!(cpu->cr4 & CR4_FSGSBASE))
        raise_ud(cpu);
    unsigned sreg = ((in->modrm >> 3) & 1) ? S_GS : S_FS;
    unsigned sz = in->opsize == 8 ? 8 : 4;
    uint64_t v = reg_read(cpu, in->rm, sz, 1);
    if (!is_canonical(v))
        raise_gp(cpu, 0);
    cpu->seg[sreg].base = v;
}

void op_rdpid(struct cpu *cpu, const struct insn *in)
{
    if (cpu->vmx_nonroot) vmx_nonroot_rdpid(cpu);
    unsigned sz = cpu->mode == MODE_LONG ? 8 : 4;
    reg_write(cpu, in->rm, sz, 1, cpu->tsc_aux);
}

static void smap_ac(struct cpu *cpu, bool set)
{
    if (cpu->cpl != 0 || cpu->mode == MODE_V86)
        raise_ud(cpu);
    if (set)
        cpu->rflags |= F_AC;
    else
        cpu->rflags &= ~(uint64_t)F_AC;
}

void op_clac(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    smap_ac(cpu, false);
}

void op_stac(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    smap_ac(cpu, true);
}

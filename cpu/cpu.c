/* vCPU life cycle: reset and the derived mode state. */
#include "cpu/cpu.h"

#include <string.h>

#include "cpu/block_cache.h"
#include "cpu/cpuid.h"
#include "cpu/debug.h"
#include "cpu/pmu.h"
#include "vmx_emul/vmx_hooks.h"

void cpu_update_mode(struct cpu *cpu)
{
    const struct segment *cs = &cpu->seg[S_CS];
    if (!(cpu->cr0 & CR0_PE)) {
        cpu->mode = MODE_REAL;
        cpu->cpl = 0;
    } else if (cpu->rflags & F_VM) {
        cpu->mode = MODE_V86;
        cpu->cpl = 3;
    } else if ((cpu->efer & EFER_LMA) && (cs->attr & SEG_L)) {
        cpu->mode = MODE_LONG;
        cpu->cpl = (uint8_t)SEG_DPL(cpu->seg[S_SS].attr);
    } else {
        cpu->mode = (cpu->efer & EFER_LMA) ? MODE_COMPAT : MODE_PROT;
        cpu->cpl = (uint8_t)SEG_DPL(cpu->seg[S_SS].attr);
    }
    if (cpu->mode == MODE_LONG)
        cpu->code_size = 8;
    else if (cpu->mode == MODE_REAL || cpu->mode == MODE_V86)
        cpu->code_size = (cs->attr & SEG_DB) && cpu->mode == MODE_REAL ? 4 : 2;
    else
        cpu->code_size = (cs->attr & SEG_DB) ? 4 : 2;
    if (cpu->mode == MODE_LONG)
        cpu->stack_size = 8;
    else
        cpu->stack_size = (cpu->seg[S_SS].attr & SEG_DB) ? 4 : 2;
    cpu_update_ac_check(cpu);
    pmu_cpl_changed(cpu);
}

void cpu_update_ac_check(struct cpu *cpu)
{
    /* SDM Vol.3A 6.15: alignment checking needs CR0.AM, EFLAGS.AC and CPL 3
     * (protected or virtual-8086 mode). */
    cpu->ac_check = cpu->cpl == 3 && (cpu->cr0 & CR0_AM) && (cpu->rflags & F_AC);
    if (!cpu->ac_check)
        return;
    /* The fast paths (lin_read/lin_write, rmw_host_ptr, string ops) check no
     * alignment: drop the user half's data tags so that CPL-3 accesses all
     * reach the slow path; tlb_fill adds none while ac_check holds. */
    for (unsigned i = 0; i < TLB_ENTRIES; i++) {
        cpu->tlb.e[1][i].tag_read = TLB_TAG_INVALID;
        cpu->tlb.e[1][i].tag_write = TLB_TAG_INVALID;
    }
}

static void load_real_segment(struct segment *s, uint16_t sel, uint32_t attr)
{
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    s->limit = 0xffff;
    s->attr = attr;
}

/* SDM Vol.3A 9.1.1, table 9-1: processor state after RESET or INIT. */
void cpu_reset(struct cpu *cpu, bool init_only)
{
    /* RESET leaves VMX operation (SDM Vol.3C 24.7 / 23.7 "Leaving VMX
     * Operation"); INIT is blocked in VMX root and handled by the caller. */
    if (!init_only && cpu->vmx)
        vmx_cpu_free(cpu);
    memset(cpu->gpr, 0, sizeof(cpu->gpr));
    cpu->gpr[R_DX] = cpu->model ? cpu->model->signature : 0x600;
    cpu->rip = 0xfff0;
    cpu->rflags = 2;
    /* Data segments: present, read/write, accessed. */
    for (int i = 0; i < 6; i++)
        load_real_segment(&cpu->seg[i], 0, SEG_P | SEG_S | 3);
    cpu->seg[S_CS].sel = 0xf000;
    cpu->seg[S_CS].base = 0xffff0000ull;
    cpu->seg[S_CS].attr = SEG_P | SEG_S | 0xb; /* code, read, accessed */
    cpu->gdtr.base = cpu->idtr.base = 0;
    cpu->gdtr.limit = cpu->idtr.limit = 0xffff;
    cpu->ldtr = (struct segment){.limit = 0xffff, .attr = SEG_P | 2};
    cpu->tr = (struct segment){.limit = 0xffff, .attr = SEG_P | 0xb};
    uint64_t keep_cd_nw = cpu->cr0 & (CR0_CD | CR0_NW);
    cpu->cr0 = init_only ? (keep_cd_nw | CR0_ET) : (CR0_CD | CR0_NW | CR0_ET);
    cpu->cr2 = cpu->cr3 = cpu->cr4 = cpu->cr8 = 0;
    memset(cpu->pdpte, 0, sizeof(cpu->pdpte));
    cpu->pdpte_valid = false;
    cpu->xcr0 = 1;
    memset(cpu->dr, 0, sizeof(cpu->dr));
    cpu->dr[6] = 0xffff0ff0;
    cpu->dr[7] = 0x400;
    cpu->efer = 0;
    if (!init_only) {
        cpu->pat = 0x0007040600070406ull;
        cpu->apic_base = 0xfee00000ull | (1u << 11) | (cpu->index == 0 ? (1u << 8) : 0);
        cpu->mtrr_def_type = 0;
        cpu->misc_enable = 1; /* fast strings */
        cpu->feature_control = 0;
        cpu->tsc_offset = 0;
        cpu->tsc_adjust = 0;
        memset(cpu->mtrr_fixed, 0, sizeof(cpu->mtrr_fixed));
        memset(cpu->mtrr_var, 0, sizeof(cpu->mtrr_var));
        memset(cpu->mc_bank, 0, sizeof(cpu->mc_bank));
        memset(cpu->mc_ctl2, 0, sizeof(cpu->mc_ctl2));
        cpu->mcg_status = cpu->mcg_ctl = 0;
        memset(&cpu->fpu, 0, sizeof(cpu->fpu));
        memset(cpu->xmm, 0, sizeof(cpu->xmm));
    }
    /* Performance monitoring, debug control and speculation control return
     * to their power-on values on INIT as well (SDM Vol.3A table 9-1). */
    memset(cpu->pmc, 0, sizeof(cpu->pmc));
    memset(cpu->perfevtsel, 0, sizeof(cpu->perfevtsel));
    memset(cpu->fixed_ctr, 0, sizeof(cpu->fixed_ctr));
    cpu->fixed_ctr_ctrl = cpu->perf_global_status = 0;
    cpu->perf_global_ctrl = 0xf | (7ull << 32); /* enabled counters at reset (SDM Vol.3B 20.2.2) */
    /* No counter is enabled (the EVTSEL/FIXED_CTR_CTRL enables are 0):
     * the lazy-counting state starts over from here. */
    cpu->pmu_enabled = false;
    cpu->pmu_overflow_icount = UINT64_MAX;
    cpu->pmu_sync_icount = cpu->icount;
    cpu->pmu_ref_frac = 0;
    cpu->debugctl = cpu->spec_ctrl = 0;
    memset(cpu->lbr_from, 0, sizeof(cpu->lbr_from));
    memset(cpu->lbr_to, 0, sizeof(cpu->lbr_to));
    memset(cpu->lbr_info, 0, sizeof(cpu->lbr_info));
    cpu->lbr_select = cpu->lbr_tos = 0;
    cpu->offcore_rsp[0] = cpu->offcore_rsp[1] = 0;
    cpu->star = cpu->lstar = cpu->cstar = cpu->sfmask = cpu->kernel_gs_base = 0;
    cpu->sysenter_cs = cpu->sysenter_esp = cpu->sysenter_eip = 0;
    cpu->fpu.fcw = 0x40;
    cpu->fpu.fsw = 0;
    cpu->fpu.ftw = 0xffff; /* all empty */
    cpu->mxcsr = 0x1f80;
    cpu->halted = false;
    cpu->shutdown = false;
    cpu->wait_for_sipi = false;
    cpu->nmi_pending = cpu->nmi_blocked = false;
    cpu->irq_shadow = false;
    cpu->irq_shadow_movss = false;
    /* DR7 = 400H arms nothing; the debugger's watchpoints outlive a reset. */
    cpu->dbg_flags = cpu->watches && cpu->watches->n ? DBG_ARM_WATCH : 0;
    cpu->dbg_trap = cpu->dbg_held = cpu->dbg_event = 0; /* and dbg_flags above */
    cpu->watch_pending = 0;
    cpu->delivering_vector = -1;
    cpu->exc_vector = -1;
    cpu->stop_block = true;
    cpu->vmx_nonroot = false;
    cpu_update_mode(cpu);
    tlb_flush_all(&cpu->tlb);
}

/* Control-register and EFER writes (SDM Vol.3A 2.5, 2.2.1; Vol.2 MOV CR). */
#include "cpu/ctrlreg.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/mem.h"
#include "mmu/paging.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"
#include "vmx_emul/vmx_hooks.h"

static bool model_has(const struct cpu *cpu, unsigned isa)
{
    return (cpu->model->isa_mask >> isa) & 1;
}

uint64_t cr4_valid_mask(const struct cpu *cpu)
{
    /* VME/PVI, UMIP, SMXE, PKE, CET, LA57 are not emulated: reserved. */
    uint64_t m = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |
                 CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_PCIDE | CR4_SMEP;
    if (cpu_vmx_offered(cpu))
        m |= CR4_VMXE;
    if (model_has(cpu, ISA_FSGSBASE))
        m |= CR4_FSGSBASE;
    if (model_has(cpu, ISA_XSAVE))
        m |= CR4_OSXSAVE;
    if (model_has(cpu, ISA_SMAP))
        m |= CR4_SMAP;
    return m;
}

uint64_t efer_valid_mask(const struct cpu *cpu)
{
    uint64_t m = EFER_SCE | EFER_LME | EFER_LMA;
    /* MISC_ENABLE.XD_DISABLE (bit 34) hides NX (SDM Vol.4 table 2-2). */
    if (!(cpu->misc_enable & (1ull << 34)))
        m |= EFER_NXE;
    return m;
}

/* SDM Vol.3A 4.4.1: when PAE paging is in use after the write, MOV to CR3
 * (and MOV to CR0/CR4 that changes the bits their callers test) loads the
 * four PDPTE registers; a present PDPTE with a reserved bit set makes the
 * MOV #GP(0) and changes nothing. The values land in pdpte_new and are
 * committed with pdptes_commit() once every other check has passed.
 * *load says whether there is anything to commit. */
static bool pae_pdptes_fetch(struct cpu *cpu, uint64_t cr0, uint64_t cr4, uint64_t efer,
                             uint64_t cr3, uint64_t pdpte_new[4], bool *load)
{
    *load = paging_mode_of(cr0, cr4, efer) == PAGING_PAE;
    return !*load || cpu_pdptes_read(cpu, cr3, pdpte_new);
}

static void pdptes_commit(struct cpu *cpu, const uint64_t pdpte_new[4], bool load)
{
    if (!load)
        return;
    memcpy(cpu->pdpte, pdpte_new, sizeof(cpu->pdpte));
    cpu->pdpte_valid = true;
    /* The TLB is left to the callers' own flushes: entries made from the old
     * registers (globals across MOV CR3) may survive (SDM Vol.3A 4.10.4.1). */
}

/* Anything that changes how code is decoded or which privilege runs must
 * end the decoded block. */
static void mode_changed(struct cpu *cpu)
{
    cpu_update_mode(cpu);
    cpu->stop_block = true;
}

bool cpu_set_cr0(struct cpu *cpu, uint64_t v)
{
    /* SDM Vol.2 MOV CR: bits 63:32 set -> #GP; PG without PE, NW without CD. */
    if (v >> 32)
        return false;
    v |= CR0_ET; /* hard-wired on P6 and later */
    if ((v & CR0_PG) && !(v & CR0_PE))
        return false;
    if ((v & CR0_NW) && !(v & CR0_CD))
        return false;
    /* SDM Vol.3C 23.8 (24.8 in newer editions): in VMX root operation, CR0
     * bits fixed by IA32_VMX_CR0_FIXED0/1 cannot change (#GP). Non-root
     * writes go through the guest/host mask first (vmx_emul/vmx_nonroot.c). */
    if (!cpu->vmx_nonroot && !vmx_cr0_value_ok(cpu, v))
        return false;
    uint64_t old = cpu->cr0;
    uint64_t efer = cpu->efer;
    if ((v & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
        /* SDM Vol.3A 9.8.5: IA-32e activation needs PAE and CS.L=0. */
        if (!(cpu->cr4 & CR4_PAE))
            return false;
        if (cpu->seg[S_CS].attr & SEG_L)
            return false;
        efer |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
        /* Leaving IA-32e mode is only possible from compatibility mode. */
        if (cpu->mode == MODE_LONG)
            return false;
        efer &= ~EFER_LMA;
    }
    if (!(v & CR0_PG) && (old & CR0_PG) && (cpu->cr4 & CR4_PCIDE))
        return false;
    uint64_t pdpte_new[4] = {0};
    bool load = false;
    if (((v ^ old) & (CR0_PG | CR0_CD | CR0_NW)) &&
        !pae_pdptes_fetch(cpu, v, cpu->cr4, efer, cpu->cr3, pdpte_new, &load))
        return false;
    cpu->cr0 = v;
    cpu->efer = efer;
    pdptes_commit(cpu, pdpte_new, load);
    /* SDM Vol.3A 4.10.4.1: toggling PG flushes everything, globals too. The
     * TLB caches WP-dependent rights, so a WP change flushes as well. */
    if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE))
        tlb_flush_all(&cpu->tlb);
    mode_changed(cpu);
    return true;
}

bool cpu_set_cr3(struct cpu *cpu, uint64_t v)
{
    if (cpu->efer & EFER_LMA) {
        /* With PCIDE, bit 63 asks not to flush; it is never stored. */
        if (cpu->cr4 & CR4_PCIDE)
            v &= ~(1ull << 63);
        if (v & phys_reserved_mask(cpu))
            return false;
    } else {
        v &= 0xffffffffull;
    }
    uint64_t pdpte_new[4] = {0};
    bool load;
    if (!pae_pdptes_fetch(cpu, cpu->cr0, cpu->cr4, cpu->efer, v, pdpte_new, &load))
        return false;
    cpu->cr3 = v;
    pdptes_commit(cpu, pdpte_new, load);
    /* The TLB is not tagged by PCID, so every CR3 write drops the
     * non-global entries (over-flushing is allowed, SDM Vol.3A 4.10.4). */
    tlb_flush_nonglobal(&cpu->tlb);
    cpu->stop_block = true;
    return true;
}

bool cpu_set_cr4(struct cpu *cpu, uint64_t v)
{
    if (v & ~cr4_valid_mask(cpu))
        return false;
    /* As for CR0: CR4.VMXE and the other IA32_VMX_CR4_FIXED bits in VMX root. */
    if (!cpu->vmx_nonroot && !vmx_cr4_value_ok(cpu, v))
        return false;
    uint64_t old = cpu->cr4;
    if ((cpu->efer & EFER_LMA) && !(v & CR4_PAE))
        return false;
    /* SDM Vol.2 MOV CR: setting PCIDE needs IA-32e mode and CR3[11:0] = 0. */
    if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) &&
        (!(cpu->efer & EFER_LMA) || (cpu->cr3 & 0xfff)))
        return false;
    uint64_t pdpte_new[4] = {0};
    bool load = false;
    if (((v ^ old) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)) &&
        !pae_pdptes_fetch(cpu, cpu->cr0, v, cpu->efer, cpu->cr3, pdpte_new, &load))
        return false;
    cpu->cr4 = v;
    pdptes_commit(cpu, pdpte_new, load);
    /* SDM Vol.3A 4.10.4.1: PGE, PAE, PSE, PCIDE, SMEP and SMAP changes
     * affect cached translations (and the rights this TLB caches). */
    if ((old ^ v) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_PCIDE | CR4_SMEP | CR4_SMAP))
        tlb_flush_all(&cpu->tlb);
    mode_changed(cpu);
    return true;
}

bool cpu_set_efer(struct cpu *cpu, uint64_t v)
{
    if (v & ~efer_valid_mask(cpu))
        return false;
    /* LMA is read-only: WRMSR keeps the current value. */
    v = (v & ~EFER_LMA) | (cpu->efer & EFER_LMA);
    /* SDM Vol.4 IA32_EFER: LME cannot change while paging is on. */
    if (((v ^ cpu->efer) & EFER_LME) && (cpu->cr0 & CR0_PG))
        return false;
    uint64_t old = cpu->efer;
    cpu->efer = v;
    if ((old ^ v) & EFER_NXE)
        tlb_flush_all(&cpu->tlb);
    mode_changed(cpu);
    return true;
}

bool cpu_set_xcr0(struct cpu *cpu, uint64_t v)
{
    /* SDM Vol.1 13.3: x87 state is always on; AVX needs SSE. */
    if (!(v & 1) || (v & ~XCR0_SUPPORTED))
        return false;
    if ((v & 4) && !(v & 2))
        return false;
    cpu->xcr0 = v;
    return true;
}

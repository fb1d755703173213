/* APIC virtualization (SDM Vol.3C chapter 29; section numbers of the
 * 2016-2022 editions). The virtual-APIC page lives in L1's memory and is
 * read and written there directly; RVI and SVI are the two bytes of the
 * guest interrupt status field. */
#include "vmx_emul/vmx_apicv.h"

#include "cpu/exception.h"
#include "cpu/lapic.h"
#include "mmu/physmem.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_nonroot.h"

/* Virtual-APIC page offsets (SDM 29.1). */
enum { VAPIC_TPR = 0x80, VAPIC_PPR = 0xa0, VAPIC_EOI = 0xb0, VAPIC_ISR = 0x100,
       VAPIC_IRR = 0x200, VAPIC_ICR_LO = 0x300, VAPIC_ICR_HI = 0x310, VAPIC_SELF_IPI = 0x3f0 };

static uint32_t vread(const struct cpu *cpu, const struct vmcs *v, uint32_t off)
{
    return (uint32_t)physmem_read(cpu->bus.mem, v->virtual_apic_page_addr + off, 4);
}

static void vwrite(struct cpu *cpu, const struct vmcs *v, uint32_t off, uint32_t value)
{
    physmem_write(cpu->bus.mem, v->virtual_apic_page_addr + off, value, 4);
}

/* ISR/IRR bit of a vector: eight 32-bit words 16 bytes apart. */
static void vbit_set(struct cpu *cpu, const struct vmcs *v, uint32_t base, unsigned vec, bool on)
{
    uint32_t off = base + (vec / 32) * 16, w = vread(cpu, v, off);
    w = on ? w | (1u << (vec % 32)) : w & ~(1u << (vec % 32));
    vwrite(cpu, v, off, w);
}

static int vhighest(const struct cpu *cpu, const struct vmcs *v, uint32_t base)
{
    for (int i = 7; i >= 0; i--) {
        uint32_t w = vread(cpu, v, base + (uint32_t)i * 16);
        if (w)
            return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

static unsigned rvi(const struct vmcs *v) { return v->guest_intr_status & 0xff; }
static unsigned svi(const struct vmcs *v) { return v->guest_intr_status >> 8; }
static void set_rvi(struct vmcs *v, unsigned x)
{
    v->guest_intr_status = (uint16_t)((v->guest_intr_status & 0xff00) | (x & 0xff));
}
static void set_svi(struct vmcs *v, unsigned x)
{
    v->guest_intr_status = (uint16_t)((v->guest_intr_status & 0x00ff) | (x & 0xff) << 8);
}

/* SDM 29.1.3 PPR virtualization. */
static void ppr_virtualization(struct cpu *cpu, const struct vmcs *v)
{
    uint32_t vtpr = vread(cpu, v, VAPIC_TPR) & 0xff;
    uint32_t vppr = ((vtpr >> 4) >= (svi(v) >> 4)) ? vtpr : (svi(v) & 0xf0);
    vwrite(cpu, v, VAPIC_PPR, vppr);
}

/* A trap-like exit after the current instruction (vmx_nonroot_events
 * makes it before the next one). */
static void trap_exit(struct cpu *cpu, uint32_t reason, uint64_t qual)
{
    cpu->vmx->trap_exit_reason = reason;
    cpu->vmx->trap_exit_qual = qual;
    cpu->vmx->trap_exit_pending = true;
    cpu->stop_block = true;
}

/* SDM 29.1.2 TPR virtualization. */
static void tpr_virtualization(struct cpu *cpu, struct vmcs *v)
{
    if (vmx_ctl_virtual_intr_delivery(v)) {
        ppr_virtualization(cpu, v);
        cpu->stop_block = true; /* a pending virtual interrupt may now be deliverable */
    } else if (((vread(cpu, v, VAPIC_TPR) >> 4) & 15) < (v->tpr_threshold & 15)) {
        trap_exit(cpu, EXIT_REASON_TPR_BELOW_THRESHOLD, 0);
    }
}

/* SDM 29.1.4 EOI virtualization. */
static void eoi_virtualization(struct cpu *cpu, struct vmcs *v)
{
    unsigned vec = svi(v);
    vbit_set(cpu, v, VAPIC_ISR, vec, false);
    int next = vhighest(cpu, v, VAPIC_ISR);
    set_svi(v, next < 0 ? 0 : (unsigned)next);
    ppr_virtualization(cpu, v);
    const uint64_t bitmap[4] = {v->eoi_exit_bitmap0, v->eoi_exit_bitmap1, v->eoi_exit_bitmap2,
                                v->eoi_exit_bitmap3};
    if ((bitmap[vec / 64] >> (vec % 64)) & 1)
        trap_exit(cpu, EXIT_REASON_EOI_INDUCED, vec);
    else
        cpu->stop_block = true;
}

/* SDM 29.1.5 self-IPI virtualization. */
static void self_ipi_virtualization(struct cpu *cpu, struct vmcs *v, unsigned vec)
{
    vbit_set(cpu, v, VAPIC_IRR, vec, true);
    if (vec > rvi(v))
        set_rvi(v, vec);
    cpu->stop_block = true;
}

bool vmx_apicv_access_page(const struct cpu *cpu, uint64_t paddr)
{
    const struct vmcs *v = vmx_current_vmcs(cpu);
    return v && vmx_ctl_virt_apic_accesses(v) &&
           (paddr & ~0xfffull) == (v->apic_access_addr & ~0xfffull);
}

/* Registers that APIC-register virtualization reads from the virtual-APIC
 * page (SDM 29.4.2). */
static bool readable_reg(uint32_t reg)
{
    switch (reg) {
    case 0x20: case 0x30: case 0x80: case 0xb0: case 0xd0: case 0xe0: case 0xf0:
    case 0x280: case 0x300: case 0x310: case 0x380: case 0x3e0:
        return true;
    default:
        return (reg >= 0x100 && reg <= 0x270) || (reg >= 0x320 && reg <= 0x370);
    }
}

/* Registers whose writes APIC-register virtualization stores and reports
 * with an APIC-write VM exit (SDM 29.4.3.2). */
static bool write_trapped_reg(uint32_t reg)
{
    switch (reg) {
    case 0x20: case 0xd0: case 0xe0: case 0xf0: case 0x280: case 0x310: case 0x380:
    case 0x3e0:
        return true;
    default:
        return reg >= 0x320 && reg <= 0x370;
    }
}

/* SDM 27.2.1 table 27-6: offset 11:0, access type 15:12 (0 linear read,
 * 1 linear write, 2 linear instruction fetch, 3 linear access during event
 * delivery). Fault-like. */
enum { APIC_ACCESS_READ = 0, APIC_ACCESS_WRITE = 1, APIC_ACCESS_FETCH = 2,
       APIC_ACCESS_EVENT = 3 };

static _Noreturn void access_exit(struct cpu *cpu, uint32_t offset, unsigned type)
{
    /* An access made while delivering an event through the IDT (pushing
     * the frame, reading the IDT or a descriptor) is type 3 whatever its
     * direction; such an exit, and only such an exit, records
     * IDT-vectoring information (27.2.1, 27.2.4). */
    if (cpu->delivering_vector >= 0 && type != APIC_ACCESS_FETCH)
        type = APIC_ACCESS_EVENT;
    /* SDM 27.2.5 leaves the instruction length undefined here; processors
     * report the accessing instruction's length and hypervisors (KVM, its
     * unit tests) use it to skip an emulated access. */
    struct vmx_exit_info info = {0};
    if ((type == APIC_ACCESS_READ || type == APIC_ACCESS_WRITE) && cpu->cur_insn) {
        info.valid = EXITINFO_INSN_LEN;
        info.insn_len = cpu->cur_insn->len;
    }
    vmx_nonroot_exit_unwind(cpu, EXIT_REASON_APIC_ACCESS, (offset & 0xfff) | type << 12, &info);
}

/* SDM 29.4.1: an instruction fetch from the APIC-access page always
 * causes an APIC-access VM exit; nothing is virtualized for fetches. */
_Noreturn void vmx_apicv_fetch_exit(struct cpu *cpu, uint64_t paddr)
{
    access_exit(cpu, (uint32_t)(paddr & 0xfff), APIC_ACCESS_FETCH);
}

uint64_t vmx_apicv_mmio_read(struct cpu *cpu, uint32_t offset, unsigned size)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    uint32_t reg = offset & 0xff0;
    bool inside = (offset & 0xf) + size <= 4;
    if (!vmx_ctl_tpr_shadow(v) || !inside)
        access_exit(cpu, offset, APIC_ACCESS_READ);
    bool ok = vmx_ctl_apic_register_virt(v) ? readable_reg(reg) : reg == VAPIC_TPR;
    if (!ok)
        access_exit(cpu, offset, APIC_ACCESS_READ);
    uint64_t w = vread(cpu, v, reg) >> ((offset & 3) * 8);
    return size >= 4 ? (uint32_t)w : w & ((1ull << (8 * size)) - 1);
}

/* An ICR-low value that is a fixed self-IPI virtual-interrupt delivery can
 * take (SDM 29.4.3.3): reserved bits clear, shorthand self, fixed, vector
 * at least 16. */
static bool is_self_ipi(uint32_t icr)
{
    return !(icr & 0xfff3a000u) && ((icr >> 18) & 3) == 1 && ((icr >> 8) & 7) == 0 &&
           (icr & 0xff) >= 16;
}

void vmx_apicv_mmio_write(struct cpu *cpu, uint32_t offset, uint64_t value, unsigned size)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    uint32_t reg = offset & 0xff0;
    bool vid = vmx_ctl_virtual_intr_delivery(v), regvirt = vmx_ctl_apic_register_virt(v);
    /* SDM 29.4.3.1: without APIC-register virtualization only a write at
     * the register's offset is virtualized; with it, any write entirely
     * within the register's first 4 bytes. */
    bool fits = regvirt ? (offset & 0xf) + size <= 4 : (offset & 0xf) == 0;
    if (!vmx_ctl_tpr_shadow(v) || !fits)
        access_exit(cpu, offset, APIC_ACCESS_WRITE);
    bool virtualized = reg == VAPIC_TPR ||
                       ((vid || regvirt) && (reg == VAPIC_EOI || reg == VAPIC_ICR_LO)) ||
                       (regvirt && write_trapped_reg(reg));
    if (!virtualized)
        access_exit(cpu, offset, APIC_ACCESS_WRITE);
    /* The data goes to the virtual-APIC page, then APIC-write emulation
     * (29.4.3.2) for the register. */
    uint64_t page = v->virtual_apic_page_addr;
    physmem_write(cpu->bus.mem, page + offset, value, size);
    uint32_t val = vread(cpu, v, reg);
    if (reg == VAPIC_TPR) {
        vwrite(cpu, v, reg, val & 0xff); /* bytes 3:1 cleared */
        tpr_virtualization(cpu, v);
    } else if (reg == VAPIC_EOI && vid) {
        eoi_virtualization(cpu, v);
    } else if (reg == VAPIC_ICR_LO && vid && is_self_ipi(val)) {
        self_ipi_virtualization(cpu, v, val & 0xff);
    } else if (reg == VAPIC_ICR_HI) {
        vwrite(cpu, v, reg, val & 0xff000000u); /* bytes 2:0 cleared, no exit */
    } else {
        trap_exit(cpu, EXIT_REASON_APIC_WRITE, reg);
    }
}

bool vmx_apicv_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *value)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    if (!v || !vmx_ctl_virt_x2apic_mode(v) || msr < 0x800 || msr > 0x8ff)
        return false;
    uint32_t reg = (msr & 0xff) << 4;
    /* SDM 29.5: with APIC-register virtualization every RDMSR of 800H-8FFH
     * reads the 8 bytes at offset (ECX & FFH) << 4 of the virtual-APIC
     * page, whatever register (if any) lives there; without it only TPR
     * (808H) is virtualized. */
    if (!vmx_ctl_apic_register_virt(v) && reg != VAPIC_TPR)
        return false;
    *value = vread(cpu, v, reg) | (uint64_t)vread(cpu, v, reg + 4) << 32;
    return true;
}

bool vmx_apicv_msr_write(struct cpu *cpu, uint32_t msr, uint64_t value)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    if (!v || !vmx_ctl_virt_x2apic_mode(v))
        return false;
    bool vid = vmx_ctl_virtual_intr_delivery(v);
    switch (msr) {
    case 0x808: /* TPR */
        if (value >> 8)
            raise_gp(cpu, 0);
        vwrite(cpu, v, VAPIC_TPR, (uint32_t)value);
        tpr_virtualization(cpu, v);
        return true;
    case 0x80b: /* EOI */
        if (!vid)
            return false;
        if (value)
            raise_gp(cpu, 0);
        vwrite(cpu, v, VAPIC_EOI, 0);
        eoi_virtualization(cpu, v);
        return true;
    case 0x83f: /* SELF IPI */
        if (!vid)
            return false;
        if (value >> 8)
            raise_gp(cpu, 0);
        /* SDM 29.5: the value lands at offset 3F0H, then APIC-write
         * emulation of 3F0H: self-IPI virtualization for vectors 16-255,
         * an APIC-write VM exit for a vector below 16 (29.4.3.2). */
        vwrite(cpu, v, VAPIC_SELF_IPI, (uint32_t)value);
        vwrite(cpu, v, VAPIC_SELF_IPI + 4, 0);
        if ((value & 0xff) < 16)
            trap_exit(cpu, EXIT_REASON_APIC_WRITE, VAPIC_SELF_IPI);
        else
            self_ipi_virtualization(cpu, v, (unsigned)value);
        return true;
    default:
        return false;
    }
}

bool vmx_apicv_tpr_written(struct cpu *cpu)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    tpr_virtualization(cpu, v);
    return cpu->vmx->trap_exit_pending;
}

void vmx_apicv_entered(struct cpu *cpu)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    /* SDM 26.7.7 / 29.1.2: with VID, PPR virtualization; without, a VTPR
     * below the threshold exits right after the entry. */
    if (v && vmx_ctl_tpr_shadow(v))
        tpr_virtualization(cpu, v);
}

/* SDM 29.2.1: RVI[7:4] > VPPR[7:4]. */
static bool recognized(const struct cpu *cpu, const struct vmcs *v)
{
    return vmx_ctl_virtual_intr_delivery(v) &&
           (rvi(v) >> 4) > ((vread(cpu, v, VAPIC_PPR) >> 4) & 15);
}

bool vmx_apicv_pending(const struct cpu *cpu)
{
    const struct vmcs *v = vmx_current_vmcs(cpu);
    return v && (cpu->rflags & F_IF) && recognized(cpu, v);
}

bool vmx_apicv_deliver(struct cpu *cpu, bool shadow)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    if (!v || shadow || !(cpu->rflags & F_IF) || !recognized(cpu, v))
        return false;
    /* SDM 29.2.2 virtual-interrupt delivery. */
    unsigned vec = rvi(v);
    vbit_set(cpu, v, VAPIC_ISR, vec, true);
    set_svi(v, vec);
    vwrite(cpu, v, VAPIC_PPR, vec & 0xf0);
    vbit_set(cpu, v, VAPIC_IRR, vec, false);
    int next = vhighest(cpu, v, VAPIC_IRR);
    set_rvi(v, next < 0 ? 0 : (unsigned)next);
    cpu->halted = false;
    cpu_deliver_event(cpu, vec, EV_EXTINT, false, 0, cpu->rip);
    return true;
}

bool vmx_apicv_posted(struct cpu *cpu, unsigned vector)
{
    struct vmcs *v = vmx_current_vmcs(cpu);
    if (!v || !vmx_ctl_posted_interrupts(v) || vector != (v->posted_intr_nv & 0xffu))
        return false;
    /* SDM 29.6: EOI to the local APIC, clear ON, move PIR into VIRR, raise
     * RVI to the highest posted vector. */
    if (cpu->lapic)
        lapic_eoi(cpu->lapic);
    uint64_t desc = v->posted_intr_desc_addr;
    struct physmem *pm = cpu->bus.mem;
    physmem_write(pm, desc + 32, physmem_read(pm, desc + 32, 1) & ~1ull, 1);
    int high = -1;
    for (unsigned i = 0; i < 8; i++) {
        uint32_t pir = (uint32_t)physmem_read(pm, desc + 4 * i, 4);
        if (!pir)
            continue;
        physmem_write(pm, desc + 4 * i, 0, 4);
        vwrite(cpu, v, VAPIC_IRR + 16 * i, vread(cpu, v, VAPIC_IRR + 16 * i) | pir);
        high = (int)(i * 32 + 31 - (unsigned)__builtin_clz(pir));
    }
    if (high > (int)rvi(v))
        set_rvi(v, (unsigned)high);
    return true;
}

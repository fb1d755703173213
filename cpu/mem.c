/* Segmentation checks, TLB fills and slow-path memory accesses. */
#include "cpu/mem.h"

#include "cpu/cpuid.h"
#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/lapic.h"
#include "cpu/operands.h"
#include "mmu/paging.h"
#include "vmx_emul/vmx_hooks.h"

static _Noreturn void seg_fault(struct cpu *cpu, unsigned seg)
{
    /* SDM Vol.3A 6.15: limit/type violations raise #SS for SS-relative
     * accesses, #GP otherwise; error code 0. */
    if (seg == S_SS)
        raise_ss(cpu, 0);
    raise_gp(cpu, 0);
}

uint64_t seg_linear_slow(struct cpu *cpu, unsigned seg, uint64_t offset, unsigned size,
                         unsigned access)
{
    const struct segment *s = &cpu->seg[seg];
    if (cpu->mode == MODE_LONG) {
        /* SDM Vol.3A 3.4.4: in 64-bit mode only FS and GS bases apply. */
        uint64_t lin = offset + ((seg == S_FS || seg == S_GS) ? s->base : 0);
        if (!is_canonical(lin) || !is_canonical(lin + size - 1))
            seg_fault(cpu, seg);
        return lin;
    }
    if (cpu->mode != MODE_REAL && cpu->mode != MODE_V86) {
        uint32_t a = s->attr;
        if (a & SEG_UNUSABLE)
            seg_fault(cpu, seg);
        /* Type checks (SDM Vol.3A 3.4.5.1): code segments are never
         * writable and readable only with R; data segments need W to write. */
        if (a & 8) {
            if ((access & ACC_WRITE) || (!(a & 2) && !(access & ACC_EXEC)))
                seg_fault(cpu, seg);
        } else if ((access & ACC_WRITE) && !(a & 2)) {
            seg_fault(cpu, seg);
        }
        if (!(a & 8) && (a & 4)) {
            /* Expand-down: valid offsets are (limit, top]. */
            uint64_t top = (a & SEG_DB) ? 0xffffffffull : 0xffffull;
            if (offset <= s->limit || offset + size - 1 > top)
                seg_fault(cpu, seg);
        } else if (offset + size - 1 > s->limit) {
            seg_fault(cpu, seg);
        }
    } else if (offset + size - 1 > s->limit) {
        seg_fault(cpu, seg);
    }
    return (s->base + offset) & 0xffffffffull;
}

/* The xAPIC page is per vCPU: accesses from this CPU to its APIC base go to
 * its own local APIC, whatever the memory map has there (SDM Vol.3A 11.4.1). */
static bool apic_page(const struct cpu *cpu, uint64_t paddr)
{
    return cpu->lapic && (cpu->apic_base & APIC_BASE_EN) && !(cpu->apic_base & APIC_BASE_EXTD) &&
           (paddr & ~0xfffull) == (cpu->apic_base & 0xfffff000ull & ~phys_reserved_mask(cpu));
}

static uint64_t phys_read(struct cpu *cpu, uint64_t paddr, unsigned size)
{
    if (cpu->vmx_nonroot && vmx_apicv_access_page(cpu, paddr))
        return vmx_apicv_mmio_read(cpu, paddr & 0xfff, size); /* SDM Vol.3C 29.4 */
    if (apic_page(cpu, paddr))
        return size == 4 && !(paddr & 3) ? lapic_mmio_read(cpu->lapic, paddr & 0xfff) : 0;
    return physmem_read(cpu->bus.mem, paddr, size);
}

static void phys_write(struct cpu *cpu, uint64_t paddr, uint64_t value, unsigned size)
{
    if (cpu->vmx_nonroot && vmx_apicv_access_page(cpu, paddr)) {
        vmx_apicv_mmio_write(cpu, paddr & 0xfff, value, size); /* SDM Vol.3C 29.4 */
        return;
    }
    if (apic_page(cpu, paddr)) {
        if (size == 4 && !(paddr & 3))
            lapic_mmio_write(cpu->lapic, paddr & 0xfff, (uint32_t)value);
        return;
    }
    physmem_write(cpu->bus.mem, paddr, value, size);
}

static void paging_ctx_of(struct cpu *cpu, struct paging_ctx *ctx, unsigned access)
{
    *ctx = (struct paging_ctx){0}; /* fields added later default to 0/NULL */
    ctx->cr0 = cpu->cr0;
    ctx->cr3 = cpu->cr3;
    ctx->cr4 = cpu->cr4;
    ctx->efer = cpu->efer;
    ctx->phys_bits = cpu->model->phys_bits;
    ctx->implicit_super = (access & ACC_SUPER) != 0;
    ctx->user = cpu->cpl == 3 && !ctx->implicit_super;
    ctx->ac = (cpu->rflags & F_AC) != 0;
    ctx->gpa_translate = NULL;
    ctx->gpa_opaque = NULL;
    ctx->a20_masked = cpu->bus.a20 && !*cpu->bus.a20;
    /* SDM Vol.3A 4.4.1: PAE walks use the PDPTE registers, not the PDPT. */
    if (cpu->pdpte_valid && paging_mode_of(cpu->cr0, cpu->cr4, cpu->efer) == PAGING_PAE)
        ctx->pdptes = cpu->pdpte;
}

bool cpu_pdptes_read(struct cpu *cpu, uint64_t cr3, uint64_t pdpte[4])
{
    struct paging_ctx ctx;
    struct paging_result r;
    struct vmx_ept_walk ew;
    paging_ctx_of(cpu, &ctx, ACC_READ);
    ctx.cr3 = cr3;
    /* With EPT the PDPT address is guest-physical (SDM Vol.3C 28.2.1). */
    bool ept = cpu->vmx_nonroot && vmx_ept_attach(cpu, &ctx, &ew);
    enum paging_status st = paging_pdptes_load(cpu->bus.mem, &ctx, pdpte, &r);
    if (st == PAGING_NESTED_FAULT && ept)
        vmx_ept_fault_exit(cpu, &ew);
    return st == PAGING_OK;
}

/* ept_rights: EPTE_R|W|X that the second dimension allows without another
 * walk (all three outside non-root EPT operation). */
static void tlb_fill(struct cpu *cpu, uint64_t lin, const struct paging_result *r,
                     unsigned access, unsigned ept_rights)
{
    struct physmem *pm = cpu->bus.mem;
    if (cpu->tlb.map_generation != pm->map_generation) {
        tlb_flush_all(&cpu->tlb);
        cpu->tlb.map_generation = pm->map_generation;
    }
    bool user = cpu->cpl == 3 && !(access & ACC_SUPER);
    if (access & ACC_SUPER)
        return; /* implicit supervisor accesses are rare: never cached */
    bool data_fast = !(user && cpu->ac_check); /* alignment is checked on the slow path */
    uint64_t ppage = r->paddr & ~0xfffull;
    bool apicv_page = cpu->vmx_nonroot && vmx_apicv_access_page(cpu, ppage);
    bool special = apic_page(cpu, ppage) || apicv_page;
    uint8_t *host = special ? NULL : physmem_ram_page(pm, ppage);
    bool paging = (cpu->cr0 & CR0_PG) != 0;
    struct tlb_entry *e = &cpu->tlb.e[user][tlb_index(lin)];
    uint64_t page = lin & ~0xfffull;
    e->tag_read = e->tag_write = e->tag_exec = TLB_TAG_INVALID;
    tlb_note_filled(&cpu->tlb, user, tlb_index(lin));
    e->paddr_page = ppage;
    e->global = paging && r->global && (cpu->cr4 & CR4_PGE);
    e->addend = host ? (uintptr_t)host - (uintptr_t)page : 0;
    tlb_note_large_page(&cpu->tlb, e, lin, paging ? r->page_size : 4096);
    /* Rights that hold for every access of this privilege without a walk. */
    bool may_read, may_write, may_exec;
    if (!paging) {
        may_read = may_write = may_exec = true;
    } else if (user) {
        may_read = r->user;
        may_write = r->user && r->writable && r->dirty;
        may_exec = r->user && !r->nx;
    } else {
        bool smap_block = (cpu->cr4 & CR4_SMAP) && r->user;
        may_read = !smap_block;
        may_write = !smap_block && (r->writable || !(cpu->cr0 & CR0_WP)) && r->dirty;
        may_exec = !r->nx && !((cpu->cr4 & CR4_SMEP) && r->user);
    }
    may_read = may_read && (ept_rights & EPTE_R);
    may_write = may_write && (ept_rights & EPTE_W);
    may_exec = may_exec && (ept_rights & EPTE_X);
    if (host && (cpu->dbg_flags & DBG_DATA_SLOW) && debug_page_watched(cpu, page))
        host = NULL; /* a data breakpoint watches it: every access takes the slow path */
    if (host) {
        uint64_t off = physmem_ram_offset(pm, ppage);
        if (may_read && data_fast)
            e->tag_read = page;
        if (may_write && data_fast && off != UINT64_MAX && !physmem_page_has_code(pm, off))
            e->tag_write = page;
    }
    /* Fetches from the APIC-access page exit (translate() above); keep
     * them off the fast path too. */
    if (may_exec && !apicv_page)
        e->tag_exec = page;
}

/* may_exit: an EPT violation or misconfiguration (VMX non-root with EPT)
 * becomes its VM exit, which unwinds the instruction; otherwise it is
 * reported as a failed translation. */
static bool translate(struct cpu *cpu, uint64_t lin, unsigned access, uint64_t *paddr,
                      uint32_t *pfec, bool may_exit)
{
    struct paging_ctx ctx;
    struct paging_result r;
    struct vmx_ept_walk ew;
    paging_ctx_of(cpu, &ctx, access);
    bool ept = cpu->vmx_nonroot && vmx_ept_attach(cpu, &ctx, &ew);
    unsigned kind = (access & ACC_WRITE) ? PG_WRITE : (access & ACC_EXEC) ? PG_EXEC : PG_READ;
    enum paging_status st = paging_walk(cpu->bus.mem, &ctx, lin, kind, &r);
    if (st != PAGING_OK) {
        if (st == PAGING_NESTED_FAULT && ept && may_exit)
            vmx_ept_fault_exit(cpu, &ew);
        *pfec = r.pf_error;
        return false;
    }
    if ((access & ACC_EXEC) && cpu->vmx_nonroot && vmx_apicv_access_page(cpu, r.paddr)) {
        if (may_exit)
            vmx_apicv_fetch_exit(cpu, r.paddr);
        *pfec = 0; /* build_block re-fetches with may_exit to make the exit */
        return false;
    }
    *paddr = r.paddr;
    tlb_fill(cpu, lin, &r, access,
             ept ? vmx_ept_tlb_rights(&ew, kind) : (unsigned)(EPTE_R | EPTE_W | EPTE_X));
    return true;
}

uint64_t cpu_translate(struct cpu *cpu, uint64_t lin, unsigned access)
{
    uint64_t paddr;
    uint32_t pfec = 0;
    if (!translate(cpu, lin, access, &paddr, &pfec, true)) {
        if (cpu->vmx_nonroot)
            vmx_nonroot_note_pf(cpu);
        cpu->cr2 = lin;
        cpu_raise(cpu, EXC_PF, pfec);
    }
    return paddr;
}

bool cpu_translate_noexc(struct cpu *cpu, uint64_t lin, unsigned access, uint64_t *paddr)
{
    uint32_t pfec;
    return translate(cpu, lin, access, paddr, &pfec, false);
}

/* SDM Vol.3A 6.15, table 6-7: a data access of `size` bytes needs the
 * natural alignment, capped at 8 (wider operands arrive here in 8-byte
 * pieces; for MOVUPS-like accesses the SDM leaves #AC below 16 bytes to the
 * implementation). Implicit supervisor accesses are never checked. */
static void alignment_check(struct cpu *cpu, uint64_t lin, unsigned size, unsigned access)
{
    if (__builtin_expect(!cpu->ac_check, 1) || (access & (ACC_SUPER | ACC_EXEC)))
        return;
    unsigned align = size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
    if (lin & (align - 1))
        cpu_raise(cpu, EXC_AC, 0);
}

uint64_t lin_read_slow(struct cpu *cpu, uint64_t lin, unsigned size, unsigned access)
{
    if (cpu->mode != MODE_LONG)
        lin &= 0xffffffffull;
    alignment_check(cpu, lin, size, access);
    if (cpu->dbg_flags & DBG_DATA_SLOW)
        debug_data_access(cpu, lin, size, false);
    if (((lin & 0xfff) + size) > 0x1000) {
        /* Crosses a page: translate both pages before reading. */
        unsigned first = 0x1000 - (unsigned)(lin & 0xfff);
        uint64_t next = lin + first;
        if (cpu->mode != MODE_LONG)
            next &= 0xffffffffull;
        uint64_t p0 = cpu_translate(cpu, lin, access);
        uint64_t p1 = cpu_translate(cpu, next, access);
        uint64_t lo = 0, v = 0;
        (void)lo;
        for (unsigned i = 0; i < size; i++) {
            uint64_t p = i < first ? p0 + i : p1 + (i - first);
            v |= phys_read(cpu, p, 1) << (8 * i);
        }
        return v;
    }
    uint64_t p = cpu_translate(cpu, lin, access);
    return phys_read(cpu, p, size);
}

void lin_write_slow(struct cpu *cpu, uint64_t lin, uint64_t value, unsigned size,
                    unsigned access)
{
    if (cpu->mode != MODE_LONG)
        lin &= 0xffffffffull;
    access |= ACC_WRITE;
    alignment_check(cpu, lin, size, access);
    if (cpu->dbg_flags & DBG_DATA_SLOW)
        debug_data_access(cpu, lin, size, true);
    if (((lin & 0xfff) + size) > 0x1000) {
        unsigned first = 0x1000 - (unsigned)(lin & 0xfff);
        uint64_t next = lin + first;
        if (cpu->mode != MODE_LONG)
            next &= 0xffffffffull;
        uint64_t p0 = cpu_translate(cpu, lin, access);
        uint64_t p1 = cpu_translate(cpu, next, access);
        for (unsigned i = 0; i < size; i++) {
            uint64_t p = i < first ? p0 + i : p1 + (i - first);
            phys_write(cpu, p, (value >> (8 * i)) & 0xff, 1);
        }
        return;
    }
    uint64_t p = cpu_translate(cpu, lin, access);
    phys_write(cpu, p, value, size);
}

uint64_t mem_probe_write(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size)
{
    uint64_t lin = seg_linear(cpu, seg, off, size, ACC_WRITE);
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    if (e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000 - size)
        return lin;
    alignment_check(cpu, lin, size, ACC_WRITE);
    cpu_translate(cpu, lin, ACC_WRITE);
    if (((lin & 0xfff) + size) > 0x1000)
        cpu_translate(cpu, (lin + size - 1), ACC_WRITE);
    return lin;
}

uint64_t sys_read(struct cpu *cpu, uint64_t lin, unsigned size)
{
    return lin_read_slow(cpu, lin, size, ACC_READ | ACC_SUPER);
}

void sys_write(struct cpu *cpu, uint64_t lin, uint64_t value, unsigned size)
{
    lin_write_slow(cpu, lin, value, size, ACC_WRITE | ACC_SUPER);
}

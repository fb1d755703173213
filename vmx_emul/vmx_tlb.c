/* TLB contexts across VM entries and exits (see vmx_tlb.h). */
#include "vmx_emul/vmx_tlb.h"

#include <stdlib.h>

#include "cpu/debug.h"
#include "mmu/physmem.h"
#include "mmu/tlb.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

#define GUEST_CONTEXTS 4

struct tlb_item {
    uint16_t slot;
    uint8_t user;
    struct tlb_entry e;
};

struct tlb_context {
    bool valid;
    uint16_t vpid;
    uint64_t eptp;                 /* 0 without EPT */
    uint64_t cr3, cr0, cr4, efer;  /* paging state of the entries */
    uint64_t map_generation;
    uint64_t large_lo, large_hi;
    uint64_t last_use;
    unsigned n;
    struct tlb_item items[2 * TLB_ENTRIES];
};

struct vmx_tlb_store {
    uint64_t clock;
    struct tlb_context root;
    struct tlb_context guest[GUEST_CONTEXTS];
};


static struct vmx_tlb_store *store(struct cpu *cpu)
{
    struct vmx_cpu *vx = cpu->vmx;
    if (!vx->tlbs)
        vx->tlbs = calloc(1, sizeof(*vx->tlbs));
    return vx->tlbs;
}

static void save(struct cpu *cpu, struct tlb_context *c)
{
    const struct tlb *t = &cpu->tlb;
    c->n = 0;
    /* Only the slots filled since the last full flush can hold anything
     * (tlb.used); before the first full flush, every slot is looked at. */
    unsigned nslots = t->listing ? t->nused : 2 * TLB_ENTRIES;
    for (unsigned k = 0; k < nslots; k++) {
        unsigned code = t->listing ? t->used[k] : k;
        unsigned u = code >> TLB_BITS, i = code & (TLB_ENTRIES - 1);
        const struct tlb_entry *e = &t->e[u][i];
        if (e->tag_read == TLB_TAG_INVALID && e->tag_write == TLB_TAG_INVALID &&
            e->tag_exec == TLB_TAG_INVALID)
            continue;
        c->items[c->n++] = (struct tlb_item){(uint16_t)i, (uint8_t)u, *e};
    }
    c->cr3 = cpu->cr3;
    c->cr0 = cpu->cr0 & TLB_FLUSH_CR0_BITS;
    c->cr4 = cpu->cr4 & TLB_FLUSH_CR4_BITS;
    c->efer = cpu->efer & TLB_FLUSH_EFER_BITS;
    c->map_generation = t->map_generation;
    c->large_lo = t->large_lo;
    c->large_hi = t->large_hi;
    c->valid = true;
}

static bool matches_paging(const struct cpu *cpu, const struct tlb_context *c)
{
    return c->valid && c->cr3 == cpu->cr3 && c->cr0 == (cpu->cr0 & TLB_FLUSH_CR0_BITS) &&
           c->cr4 == (cpu->cr4 & TLB_FLUSH_CR4_BITS) &&
           c->efer == (cpu->efer & TLB_FLUSH_EFER_BITS) &&
           c->map_generation == cpu->bus.mem->map_generation;
}

/* Empty the TLB, then put the context's entries back. */
static void restore(struct cpu *cpu, struct tlb_context *c)
{
    struct tlb *t = &cpu->tlb;
    struct physmem *pm = cpu->bus.mem;
    tlb_flush_all(t);
    t->map_generation = pm->map_generation;
    if (!c || !matches_paging(cpu, c))
        return;
    for (unsigned k = 0; k < c->n; k++) {
        struct tlb_item *it = &c->items[k];
        struct tlb_entry *e = &t->e[it->user][it->slot];
        *e = it->e;
        e->listed = false;
        tlb_note_filled(t, it->user, it->slot);
        /* Pages that became code meanwhile must not be written through the
         * fast path (self-modifying code detection). */
        if (e->tag_write != TLB_TAG_INVALID) {
            uint64_t off = physmem_ram_offset(pm, e->paddr_page);
            if (off == UINT64_MAX || physmem_page_has_code(pm, off))
                e->tag_write = TLB_TAG_INVALID;
        }
        /* Nor may pages that a data breakpoint or a debugger watchpoint
         * armed meanwhile watches be read or written there (cpu/debug.h):
         * the context was saved before, when they were fast. */
        if (cpu->dbg_flags & DBG_DATA_SLOW) {
            uint64_t page = e->tag_read != TLB_TAG_INVALID ? e->tag_read : e->tag_write;
            if (page != TLB_TAG_INVALID && debug_page_watched(cpu, page))
                e->tag_read = e->tag_write = TLB_TAG_INVALID;
        }
    }
    t->large_lo = c->large_lo;
    t->large_hi = c->large_hi;
}

static bool vpid_on(const struct cpu *cpu, const struct vmcs **vp)
{
    const struct vmcs *v = vmx_current_vmcs(cpu);
    *vp = v;
    return v && vmx_ctl_vpid(v) && v->vpid != 0;
}

static uint64_t eptp_key(const struct vmcs *v)
{
    return vmx_ctl_ept(v) ? v->ept_pointer : 0;
}

void vmx_tlb_save_root(struct cpu *cpu)
{
    const struct vmcs *v;
    struct vmx_tlb_store *s = store(cpu);
    if (!s)
        return;
    if (vpid_on(cpu, &v))
        save(cpu, &s->root);
    else
        s->root.valid = false; /* SDM 28.3.3.3: VPID 0000H mappings go */
}

static struct tlb_context *find_guest(struct vmx_tlb_store *s, uint16_t vpid, uint64_t eptp)
{
    for (int i = 0; i < GUEST_CONTEXTS; i++)
        if (s->guest[i].valid && s->guest[i].vpid == vpid && s->guest[i].eptp == eptp)
            return &s->guest[i];
    return NULL;
}

void vmx_tlb_guest_loaded(struct cpu *cpu)
{
    const struct vmcs *v;
    struct vmx_tlb_store *s = store(cpu);
    struct tlb_context *c = NULL;
    if (s && vpid_on(cpu, &v)) {
        c = find_guest(s, v->vpid, eptp_key(v));
        if (c)
            c->last_use = ++s->clock;
    }
    restore(cpu, c);
}

void vmx_tlb_save_guest(struct cpu *cpu)
{
    const struct vmcs *v;
    struct vmx_tlb_store *s = store(cpu);
    if (!s || !vpid_on(cpu, &v))
        return;
    struct tlb_context *c = find_guest(s, v->vpid, eptp_key(v));
    if (!c) {
        c = &s->guest[0];
        for (int i = 0; i < GUEST_CONTEXTS; i++) {
            if (!s->guest[i].valid) {
                c = &s->guest[i];
                break;
            }
            if (s->guest[i].last_use < c->last_use)
                c = &s->guest[i];
        }
    }
    save(cpu, c);
    c->vpid = v->vpid;
    c->eptp = eptp_key(v);
    c->last_use = ++s->clock;
}

void vmx_tlb_host_loaded(struct cpu *cpu)
{
    struct vmx_tlb_store *s = cpu->vmx ? cpu->vmx->tlbs : NULL;
    restore(cpu, s && s->root.valid ? &s->root : NULL);
    if (s)
        s->root.valid = false;
}

void vmx_tlb_drop_guests(struct cpu *cpu)
{
    struct vmx_tlb_store *s = cpu->vmx ? cpu->vmx->tlbs : NULL;
    if (!s)
        return;
    for (int i = 0; i < GUEST_CONTEXTS; i++)
        s->guest[i].valid = false;
}

void vmx_tlb_free(struct cpu *cpu)
{
    if (cpu->vmx) {
        free(cpu->vmx->tlbs);
        cpu->vmx->tlbs = NULL;
    }
}

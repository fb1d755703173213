/* The VMCS cache: decoded VMCS structs keyed by region address. */
#include "vmx_emul/vmcs_cache.h"

#include <string.h>

#include "mmu/physmem.h"

int vmcs_cache_find(const struct vmx_cpu *v, uint64_t paddr)
{
    for (int i = 0; i < VMCS_CACHE_SLOTS; i++)
        if (v->cache[i].used && v->cache[i].paddr == paddr)
            return i;
    return -1;
}

static void region_write_fields(struct cpu *cpu, uint64_t paddr, const struct vmcs *vmcs)
{
    uint8_t buf[8 * 256];
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        uint64_t x = vmcs_field_get(vmcs, &vmcs_fields[i], false);
        for (unsigned b = 0; b < 8; b++)
            buf[i * 8 + b] = (uint8_t)(x >> (8 * b));
    }
    physmem_write_buf(cpu->bus.mem, paddr + VMCS_REGION_HEADER, buf, 8 * vmcs_field_count);
}

static void region_read_fields(struct cpu *cpu, uint64_t paddr, struct vmcs *vmcs)
{
    uint8_t buf[8 * 256];
    physmem_read_buf(cpu->bus.mem, paddr + VMCS_REGION_HEADER, buf, 8 * vmcs_field_count);
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        uint64_t x = 0;
        for (unsigned b = 0; b < 8; b++)
            x |= (uint64_t)buf[i * 8 + b] << (8 * b);
        vmcs_field_set(vmcs, &vmcs_fields[i], false, x);
    }
}

void vmcs_cache_writeback(struct cpu *cpu, int slot)
{
    struct vmcs_cache_entry *e = &cpu->vmx->cache[slot];
    physmem_write(cpu->bus.mem, e->paddr + 8, VMCS_REGION_MAGIC, 4);
    physmem_write(cpu->bus.mem, e->paddr + 12, e->launch_state, 4);
    region_write_fields(cpu, e->paddr, &e->vmcs);
}

int vmcs_cache_load(struct cpu *cpu, uint64_t paddr)
{
    struct vmx_cpu *v = cpu->vmx;
    int slot = vmcs_cache_find(v, paddr);
    if (slot < 0) {
        for (int i = 0; i < VMCS_CACHE_SLOTS; i++) {
            if (i == v->current_slot)
                continue;
            if (!v->cache[i].used) {
                slot = i;
                break;
            }
            if (slot < 0 || v->cache[i].last_use < v->cache[slot].last_use)
                slot = i;
        }
        struct vmcs_cache_entry *e = &v->cache[slot];
        if (e->used)
            vmcs_cache_writeback(cpu, slot);
        memset(e, 0, sizeof(*e));
        e->used = true;
        e->paddr = paddr;
        e->revision = (uint32_t)physmem_read(cpu->bus.mem, paddr, 4);
        /* A region turtles never initialized (no VMCLEAR yet) reads as an
         * all-zero, clear VMCS. */
        if ((uint32_t)physmem_read(cpu->bus.mem, paddr + 8, 4) == VMCS_REGION_MAGIC) {
            uint32_t ls = (uint32_t)physmem_read(cpu->bus.mem, paddr + 12, 4);
            e->launch_state = (uint8_t)(ls <= VMCS_LAUNCHED_BEFORE_VMXOFF ? ls : VMCS_CLEAR);
            region_read_fields(cpu, paddr, &e->vmcs);
        }
    }
    v->cache[slot].last_use = ++v->use_clock;
    return slot;
}

void vmcs_cache_clear(struct cpu *cpu, uint64_t paddr)
{
    struct vmx_cpu *v = cpu->vmx;
    int slot = vmcs_cache_find(v, paddr);
    if (slot >= 0) {
        v->cache[slot].launch_state = VMCS_CLEAR;
        vmcs_cache_writeback(cpu, slot);
        v->cache[slot].used = false;
        if (slot == v->current_slot)
            v->current_slot = -1;
        return;
    }
    /* Not cached: keep the data of a region written back earlier, else
     * initialize it (SDM 30.3 VMCLEAR: "initialize implementation-specific
     * data in the VMCS region"). */
    if ((uint32_t)physmem_read(cpu->bus.mem, paddr + 8, 4) != VMCS_REGION_MAGIC) {
        static const struct vmcs zero;
        region_write_fields(cpu, paddr, &zero);
        physmem_write(cpu->bus.mem, paddr + 8, VMCS_REGION_MAGIC, 4);
    }
    physmem_write(cpu->bus.mem, paddr + 12, VMCS_CLEAR, 4);
}

void vmcs_cache_flush_all(struct cpu *cpu)
{
    struct vmx_cpu *v = cpu->vmx;
    for (int i = 0; i < VMCS_CACHE_SLOTS; i++) {
        struct vmcs_cache_entry *e = &v->cache[i];
        if (!e->used)
            continue;
        if (e->launch_state == VMCS_LAUNCHED)
            e->launch_state = VMCS_LAUNCHED_BEFORE_VMXOFF;
        vmcs_cache_writeback(cpu, i);
        e->used = false;
    }
    v->current_slot = -1;
}

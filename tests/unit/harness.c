#include "tests/unit/harness.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"

static uint32_t h_in(void *opaque, uint16_t port, unsigned size)
{
    struct harness *h = opaque;
    (void)port;
    (void)size;
    return h->in_value;
}

static void h_out(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct harness *h = opaque;
    (void)size;
    h->last_out_port = port;
    h->last_out_value = value;
}

static void h_code_write(void *opaque, uint64_t page)
{
    struct harness *h = opaque;
    block_invalidate_page(h->blocks, page);
    const struct block *b = h->cpu.cur_block;
    if (b && ((b->paddr & ~0xfffull) == page || (b->straddles && b->page2 == page)))
        h->cpu.stop_block = true;
}

static void flat(struct segment *s, uint16_t sel, uint32_t attr)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = attr;
}

void harness_init(struct harness *h, unsigned bits)
{
    memset(h, 0, sizeof(*h));
    if (physmem_init(&h->mem, 16u << 20, 0xc0000000ull) < 0)
        abort();
    h->mem.on_code_write = h_code_write;
    h->mem.code_write_opaque = h;
    h->blocks = block_cache_new(BLOCK_CACHE_DEFAULT_BYTES);
    h->a20 = true;
    struct cpu *c = &h->cpu;
    c->model = cpu_models[0];
    c->blocks = h->blocks;
    c->bus = (struct cpu_bus){.mem = &h->mem, .opaque = h, .io_in = h_in, .io_out = h_out,
                              .a20 = &h->a20};
    cpu_reset(c, false);
    if (bits == 16) {
        for (int i = 0; i < 6; i++) {
            c->seg[i].sel = 0;
            c->seg[i].base = 0;
        }
    } else {
        uint32_t data = SEG_P | SEG_S | 3 | SEG_DB | SEG_G;
        for (int i = 0; i < 6; i++)
            flat(&c->seg[i], 0x10, data);
        flat(&c->seg[S_CS], 0x08, SEG_P | SEG_S | 0xb | SEG_DB | SEG_G);
        c->cr0 = CR0_PE | CR0_ET | CR0_NE;
        if (bits == 64) {
            /* PML4 at 0x1000 -> PDPT at 0x2000 -> PD at 0x3000 (2 MiB pages). */
            physmem_write(&h->mem, 0x1000, 0x2000 | 3, 8);
            physmem_write(&h->mem, 0x2000, 0x3000 | 3, 8);
            for (uint64_t i = 0; i < 512; i++)
                physmem_write(&h->mem, 0x3000 + i * 8, (i << 21) | 0x83, 8);
            c->cr3 = 0x1000;
            c->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
            c->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
            c->cr0 |= CR0_PG | CR0_WP;
            c->seg[S_CS].attr = SEG_P | SEG_S | 0xb | SEG_L | SEG_G;
        } else {
            c->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
        }
    }
    c->gpr[R_SP] = 0x80000;
    cpu_update_mode(c);
    tlb_flush_all(&c->tlb);
}

void harness_free(struct harness *h)
{
    block_cache_free(h->blocks);
    physmem_destroy(&h->mem);
}

void harness_load(struct harness *h, uint64_t addr, const void *code, size_t len)
{
    physmem_write_buf(&h->mem, addr, code, len);
}

int harness_run(struct harness *h, uint64_t addr, uint64_t max_insns)
{
    struct cpu *c = &h->cpu;
    c->rip = addr - c->seg[S_CS].base;
    c->halted = false;
    c->quantum_end = c->icount + max_insns;
    cpu_run(c);
    if (c->shutdown)
        return -1;
    if (c->halted)
        return 0;
    return -2;
}

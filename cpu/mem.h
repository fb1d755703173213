/* Guest memory accesses from the CPU: segmentation, then the TLB fast path,
 * then the page walk and physmem on a miss. Faults raise exceptions through
 * cpu_raise() and never return. */
#ifndef TURTLES_CPU_MEM_H
#define TURTLES_CPU_MEM_H

#include <stdint.h>
#include <string.h>

#include "cpu/cpu.h"

/* For the small helpers on the instruction fast path (operands, flags,
 * memory): gcc stops inlining plain `static inline` functions once a file
 * has many callers (cpu/ops_fast_alu.c), and a call there costs more than
 * the helper. */
#define FAST_INLINE static inline __attribute__((always_inline))

/* Access kinds. */
#define ACC_READ 0u
#define ACC_WRITE 1u
#define ACC_EXEC 2u
#define ACC_SUPER 4u  /* implicit supervisor access (GDT, IDT, TSS), ORed in */

/* Linear address of seg:offset after the segment checks (SDM Vol.3A 5.3
 * limit checks, 3.4.5 types; 64-bit mode: canonical check only).
 * Raises #GP(0) or #SS(0). */
uint64_t seg_linear_slow(struct cpu *cpu, unsigned seg, uint64_t offset, unsigned size,
                         unsigned access);

/* The common cases of seg_linear_slow() inline: 64-bit mode without a
 * fault, and an ordinary (usable, expand-up) data segment within its limit
 * in the other modes. Anything else, faults included, goes the slow way. */
FAST_INLINE uint64_t seg_linear(struct cpu *cpu, unsigned seg, uint64_t offset,
                                  unsigned size, unsigned access)
{
    const struct segment *s = &cpu->seg[seg];
    if (cpu->mode == MODE_LONG) {
        /* SDM Vol.3A 3.4.4: only FS and GS bases apply. */
        uint64_t lin = offset + ((seg == S_FS || seg == S_GS) ? s->base : 0);
        uint64_t last = lin + size - 1;
        if (__builtin_expect((uint64_t)((int64_t)(lin << 16) >> 16) == lin &&
                             (uint64_t)((int64_t)(last << 16) >> 16) == last, 1))
            return lin;
    } else if (cpu->mode == MODE_REAL || cpu->mode == MODE_V86) {
        if (offset + size - 1 <= s->limit)
            return (s->base + offset) & 0xffffffffull;
    } else {
        /* Data segment (type bit 3 clear), expand-up (bit 2 clear), usable,
         * and writable (bit 1) if written (SDM Vol.3A 3.4.5.1). */
        uint32_t need_clear = SEG_UNUSABLE | 8 | 4;
        if (!(s->attr & need_clear) && (!(access & ACC_WRITE) || (s->attr & 2)) &&
            offset + size - 1 <= s->limit)
            return (s->base + offset) & 0xffffffffull;
    }
    return seg_linear_slow(cpu, seg, offset, size, access);
}

/* Slow paths. */
uint64_t lin_read_slow(struct cpu *cpu, uint64_t lin, unsigned size, unsigned access);
void lin_write_slow(struct cpu *cpu, uint64_t lin, uint64_t value, unsigned size,
                    unsigned access);
/* Translate for an access, filling the TLB; raises #PF. Returns the physical address. */
uint64_t cpu_translate(struct cpu *cpu, uint64_t lin, unsigned access);
/* Like cpu_translate but never raises: returns false on a fault (for the decoder and the
 * monitor). */
bool cpu_translate_noexc(struct cpu *cpu, uint64_t lin, unsigned access, uint64_t *paddr);

static inline bool cpu_user_access(const struct cpu *cpu)
{
    return cpu->cpl == 3;
}

FAST_INLINE uint64_t lin_read(struct cpu *cpu, uint64_t lin, unsigned size)
{
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    if (__builtin_expect(e->tag_read == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000 - size, 1)) {
        uint64_t v = 0;
        memcpy(&v, (const void *)(uintptr_t)(lin + e->addend), size);
        return v; /* little-endian host (x86-64, aarch64) */
    }
    return lin_read_slow(cpu, lin, size, ACC_READ);
}

FAST_INLINE void lin_write(struct cpu *cpu, uint64_t lin, uint64_t value, unsigned size)
{
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    if (__builtin_expect(e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000 - size, 1)) {
        memcpy((void *)(uintptr_t)(lin + e->addend), &value, size);
        return;
    }
    lin_write_slow(cpu, lin, value, size, ACC_WRITE);
}

FAST_INLINE uint64_t mem_read(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size)
{
    return lin_read(cpu, seg_linear(cpu, seg, off, size, ACC_READ), size);
}

FAST_INLINE void mem_write(struct cpu *cpu, unsigned seg, uint64_t off, uint64_t v,
                             unsigned size)
{
    lin_write(cpu, seg_linear(cpu, seg, off, size, ACC_WRITE), v, size);
}

/* Check that a write would succeed (for read-modify-write instructions that
 * must not change registers before a fault): returns the linear address. */
uint64_t mem_probe_write(struct cpu *cpu, unsigned seg, uint64_t off, unsigned size);

/* Read the four PAE PDPTEs at cr3 (bits 31:5), guest-physical under EPT
 * (an EPT violation or misconfiguration exits and does not return). False
 * when a present one has a reserved bit set (SDM Vol.3A 4.4.1: #GP). */
bool cpu_pdptes_read(struct cpu *cpu, uint64_t cr3, uint64_t pdpte[4]);

/* Supervisor-implicit accesses to system tables by linear address. */
uint64_t sys_read(struct cpu *cpu, uint64_t lin, unsigned size);
void sys_write(struct cpu *cpu, uint64_t lin, uint64_t value, unsigned size);

#endif

/* Helpers for the system-architecture unit tests: descriptor builders, a
 * GDT/IDT in test memory, and running a C call that may raise an exception
 * (the handler's longjmp lands here instead of the dispatch loop). */
#ifndef TURTLES_TESTS_SYS_TEST_UTIL_H
#define TURTLES_TESTS_SYS_TEST_UTIL_H

#include <setjmp.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "mmu/physmem.h"
#include "tests/unit/harness.h"

#define GDT_BASE 0x5000u
#define IDT_BASE 0x6000u
#define TSS_BASE 0x7000u

/* A code/data descriptor: type (4 bits incl. accessed), S=1, DPL, P, and
 * flags nibble (G D/B L AVL) as bits 23:20. */
static inline uint64_t make_seg_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl,
                                     bool present, unsigned flags)
{
    uint64_t d = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16);
    d |= (uint64_t)(type | 0x10 | (dpl << 5) | (present ? 0x80 : 0)) << 40;
    d |= (uint64_t)((limit >> 16) & 0xf) << 48;
    d |= (uint64_t)(flags & 0xf) << 52;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

/* A system descriptor (S=0): TSS, LDT, gates use make_gate. */
static inline uint64_t make_sys_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl)
{
    uint64_t d = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16);
    d |= (uint64_t)(type | (dpl << 5) | 0x80) << 40;
    d |= (uint64_t)((limit >> 16) & 0xf) << 48;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

static inline uint64_t make_gate(uint16_t sel, uint32_t offset, unsigned type, unsigned dpl,
                                 bool present, unsigned params)
{
    uint64_t d = (offset & 0xffff) | ((uint64_t)sel << 16);
    d |= (uint64_t)(params & 0x1f) << 32;
    d |= (uint64_t)(type | (dpl << 5) | (present ? 0x80 : 0)) << 40;
    d |= (uint64_t)(offset >> 16) << 48;
    return d;
}

static inline void put64(struct harness *h, uint64_t addr, uint64_t v)
{
    physmem_write(&h->mem, addr, v, 8);
}

static inline uint64_t get64(struct harness *h, uint64_t addr)
{
    return physmem_read(&h->mem, addr, 8);
}

/* The GDT entries the protected-mode tests share: null, flat ring-0 code
 * (0x08) and data (0x10), flat ring-3 code (0x18) and data (0x20). Code
 * descriptors get code_flags: 0xc (32-bit) or 0xa (64-bit). */
static inline void sys_gdt_flat(struct harness *h, unsigned code_flags)
{
    put64(h, GDT_BASE + 0x00, 0);
    put64(h, GDT_BASE + 0x08, make_seg_desc(0, 0xfffff, 0xb, 0, true, code_flags));
    put64(h, GDT_BASE + 0x10, make_seg_desc(0, 0xfffff, 0x3, 0, true, 0xc));
    put64(h, GDT_BASE + 0x18, make_seg_desc(0, 0xfffff, 0xb, 3, true, code_flags));
    put64(h, GDT_BASE + 0x20, make_seg_desc(0, 0xfffff, 0x3, 3, true, 0xc));
}

/* Selector code in CS and data in the five others; the harness already
 * cached flat descriptors for them. */
static inline void sys_set_selectors(struct cpu *c, uint16_t code, uint16_t data)
{
    c->seg[S_CS].sel = code;
    for (int i = 0; i < 6; i++)
        if (i != S_CS)
            c->seg[i].sel = data;
}

/* Drop the flat state to CPL 3 without a far transfer: ring-3 selectors
 * and DPL 3 in every cached descriptor. */
static inline void sys_to_ring3(struct cpu *c, uint16_t code3, uint16_t data3)
{
    sys_set_selectors(c, code3, data3);
    for (int i = 0; i < 6; i++)
        c->seg[i].attr |= 3u << 5;
    cpu_update_mode(c);
}

/* Run `call` (which may raise through cpu_raise) and store the raised
 * vector, or -1, in vec. */
#define TRY_RAISE(cpu, vec, call)               \
    do {                                        \
        (cpu)->exc_vector = -1;                 \
        if (setjmp((cpu)->exc_jmp) == 0) {      \
            call;                               \
            (vec) = -1;                         \
        } else {                                \
            (vec) = (cpu)->exc_vector;          \
        }                                       \
    } while (0)

#endif

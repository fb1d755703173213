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

/* Segment descriptors and segment-register loads (SDM Vol.3A 3.4-3.5,
 * 5.5-5.8; Vol.2 MOV/POP/LDS). */
#ifndef TURTLES_CPU_SEGMENT_H
#define TURTLES_CPU_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* A raw descriptor: the 8 bytes of a legacy descriptor, plus the upper 8
 * bytes (base[63:32]) of a 16-byte system descriptor in IA-32e mode. */
struct descriptor {
    uint32_t lo, hi;
    uint32_t base_hi; /* 16-byte system descriptors only */
};

/* Descriptor type field values for system descriptors (S = 0). */
enum {
    SYS_TSS16_AVAIL = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALL16 = 4, SYS_TASK_GATE = 5,
    SYS_INT16 = 6, SYS_TRAP16 = 7, SYS_TSS_AVAIL = 9, SYS_TSS_BUSY = 11, SYS_CALL = 12,
    SYS_INT = 14, SYS_TRAP = 15
};

static inline uint32_t desc_attr(const struct descriptor *d)
{
    return (d->hi >> 8) & 0xf0ff;
}

static inline uint64_t desc_base(const struct descriptor *d)
{
    return (d->lo >> 16) | ((uint64_t)(d->hi & 0xff) << 16) | (d->hi & 0xff000000u);
}

static inline uint32_t desc_limit(const struct descriptor *d)
{
    uint32_t l = (d->lo & 0xffff) | (d->hi & 0xf0000);
    return (d->hi & (1u << 23)) ? (l << 12) | 0xfff : l;
}

static inline bool desc_present(const struct descriptor *d)
{
    return (d->hi >> 15) & 1;
}

static inline unsigned desc_dpl(const struct descriptor *d)
{
    return (d->hi >> 13) & 3;
}

static inline bool desc_is_code(const struct descriptor *d)
{
    return (d->hi & (1u << 12)) && (d->hi & (1u << 11));
}

static inline bool desc_is_data(const struct descriptor *d)
{
    return (d->hi & (1u << 12)) && !(d->hi & (1u << 11));
}

/* Gate fields (call, interrupt, trap, task gates). */
static inline uint16_t gate_selector(const struct descriptor *d)
{
    return (uint16_t)(d->lo >> 16);
}

static inline uint64_t gate_offset(const struct descriptor *d)
{
    return (d->lo & 0xffff) | (d->hi & 0xffff0000u) | ((uint64_t)d->base_hi << 32);
}

/* Selector error code (SDM Vol.3A 6.13). */
static inline uint32_t sel_error(uint16_t sel)
{
    return sel & 0xfffc;
}

static inline bool sel_is_null(uint16_t sel)
{
    return (sel & 0xfffc) == 0;
}

/* Read the descriptor for sel from the GDT or LDT. Returns false when the
 * selector's index is outside the table limit (or TI=1 with an unusable
 * LDT): the caller raises the fault its instruction calls for. */
bool desc_read(struct cpu *cpu, uint16_t sel, struct descriptor *d);
/* Same for a 16-byte system descriptor (IA-32e mode GDT entries). */
bool desc_read_long(struct cpu *cpu, uint16_t sel, struct descriptor *d);
/* Linear address of the descriptor of sel (no limit check). */
uint64_t desc_addr(const struct cpu *cpu, uint16_t sel);
/* Set the accessed bit of a code/data descriptor in memory (SDM 3.4.5.1). */
void desc_set_accessed(struct cpu *cpu, uint16_t sel, struct descriptor *d);

/* Fill a segment register's hidden part from a descriptor. */
void seg_from_desc(struct segment *s, uint16_t sel, const struct descriptor *d);
/* The unusable (null) segment: null selector loaded in protected mode. */
void seg_set_null(struct segment *s, uint16_t sel);

/* Load a data or stack segment register as MOV Sreg / POP Sreg / LDS and
 * friends do in the current mode, with all checks; raises on failure. Does
 * not handle CS (far transfers do) and does not set the interrupt shadow. */
void seg_load(struct cpu *cpu, unsigned sreg, uint16_t sel);
/* Real-address and virtual-8086 mode load: base = sel << 4. */
void seg_load_real(struct cpu *cpu, unsigned sreg, uint16_t sel);

/* Check a selector for SS as a privilege-changing transfer would load it
 * (far RET, IRET, call gates, interrupts): #GP/#TS style is chosen by
 * `vector`, and not-present faults raise #SS. Fills *d. */
void seg_check_stack(struct cpu *cpu, uint16_t sel, unsigned cpl, unsigned vector,
                     struct descriptor *d);

/* After a privilege-lowering return (far RET, IRET): data segment
 * registers that the new CPL may not use become null (SDM Vol.2 RET). */
void seg_invalidate_for_cpl(struct cpu *cpu, unsigned cpl);

/* Where the pushes of one frame go (interrupts, far calls). */
struct stack_target {
    const struct segment *ss;
    uint64_t sp;       /* stack pointer before the pushes */
    unsigned ssize;    /* stack address size: 2, 4 or 8 */
    bool supervisor;   /* write as an implicit supervisor access */
};

/* Whether [off, off+len) lies inside the stack segment (expand-down
 * aware; canonical in 64-bit mode). */
bool stack_offset_ok(const struct segment *ss, uint64_t off, unsigned len, unsigned ssize);
/* Push vals[0..n) (vals[0] at the highest address), each `width` bytes,
 * checking every slot first (#SS(ss_error)). Returns the new stack pointer
 * masked to the stack size; registers are not touched. */
uint64_t stack_push_frame(struct cpu *cpu, const struct stack_target *t, const uint64_t *vals,
                          unsigned n, unsigned width, uint32_t ss_error);
/* Read slot `index` (0 = top) of `width` bytes from a stack, with the
 * segment checks (#SS(0)); registers are not touched. */
uint64_t stack_pop_value(struct cpu *cpu, const struct segment *ss, uint64_t sp, unsigned ssize,
                         unsigned index, unsigned width);

#endif

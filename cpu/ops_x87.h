/* Shared pieces of the x87 handlers (cpu/ops_x87_*.c): the register stack
 * with its tag word, the availability and pending-exception checks, the
 * exception commit rule and the last-instruction pointers. */
#ifndef TURTLES_CPU_OPS_X87_H
#define TURTLES_CPU_OPS_X87_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/fpu_f80.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/operands.h"

/* FSW bits beyond the exception flags (SDM Vol.1 8.1.3). */
#define FSW_EXC 0x003f
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_C3 0x4000
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FSW_B 0x8000
#define FSW_TOP_SHIFT 11

/* Tag values (SDM Vol.1 8.1.7). */
enum { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* FNINIT's control word: all exceptions masked, 64-bit precision, nearest. */
#define FCW_INIT 0x037f

static inline unsigned x87_top(const struct cpu *cpu)
{
    return (cpu->fpu.fsw >> FSW_TOP_SHIFT) & 7;
}

static inline void x87_set_top(struct cpu *cpu, unsigned top)
{
    cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~(7u << FSW_TOP_SHIFT)) |
                              ((top & 7) << FSW_TOP_SHIFT));
}

/* Physical register number of ST(i). */
static inline unsigned x87_phys(const struct cpu *cpu, unsigned i)
{
    return (x87_top(cpu) + i) & 7;
}

static inline unsigned x87_tag_phys(const struct cpu *cpu, unsigned phys)
{
    return (cpu->fpu.ftw >> (2 * phys)) & 3;
}

static inline void x87_set_tag_phys(struct cpu *cpu, unsigned phys, unsigned tag)
{
    cpu->fpu.ftw = (uint16_t)((cpu->fpu.ftw & ~(3u << (2 * phys))) | ((tag & 3) << (2 * phys)));
}

static inline bool x87_empty(const struct cpu *cpu, unsigned i)
{
    return x87_tag_phys(cpu, x87_phys(cpu, i)) == TAG_EMPTY;
}

/* The tag a value gets when written (SDM Vol.1 8.1.7): zero, special for
 * NaN/infinity/denormal/unsupported, valid otherwise. */
static inline unsigned x87_tag_of(f80 v)
{
    unsigned exp = v.sign_exp & 0x7fff;
    if (exp == 0)
        return v.mant ? TAG_SPECIAL : TAG_ZERO;
    if (exp == 0x7fff || !(v.mant >> 63))
        return TAG_SPECIAL;
    return TAG_VALID;
}

static inline f80 x87_get_phys(const struct cpu *cpu, unsigned phys)
{
    f80 v = {cpu->fpu.st[phys].mant, cpu->fpu.st[phys].sign_exp};
    return v;
}

static inline f80 x87_get(const struct cpu *cpu, unsigned i)
{
    return x87_get_phys(cpu, x87_phys(cpu, i));
}

static inline void x87_set_phys(struct cpu *cpu, unsigned phys, f80 v)
{
    cpu->fpu.st[phys].mant = v.mant;
    cpu->fpu.st[phys].sign_exp = v.sign_exp;
    x87_set_tag_phys(cpu, phys, x87_tag_of(v));
}

static inline void x87_set(struct cpu *cpu, unsigned i, f80 v)
{
    x87_set_phys(cpu, x87_phys(cpu, i), v);
}

static inline void x87_push(struct cpu *cpu, f80 v)
{
    x87_set_top(cpu, x87_top(cpu) - 1);
    x87_set(cpu, 0, v);
}

static inline void x87_pop(struct cpu *cpu)
{
    x87_set_tag_phys(cpu, x87_phys(cpu, 0), TAG_EMPTY);
    x87_set_top(cpu, x87_top(cpu) + 1);
}

/* The arithmetic environment from FCW. */
static inline struct f80_env x87_env(const struct cpu *cpu)
{
    struct f80_env e;
    e.rc = (uint8_t)((cpu->fpu.fcw >> 10) & 3);
    e.pc = (uint8_t)((cpu->fpu.fcw >> 8) & 3);
    if (e.pc == 1)
        e.pc = F80_PC_64;
    e.flags = 0;
    e.c1 = false;
    e.masks = cpu->fpu.fcw & FSW_EXC;
    return e;
}

/* ES and B summarize the flags that are set and unmasked (SDM Vol.1 8.1.3.1). */
static inline void x87_update_es(struct cpu *cpu)
{
    if (cpu->fpu.fsw & ~cpu->fpu.fcw & FSW_EXC)
        cpu->fpu.fsw |= FSW_ES | FSW_B;
    else
        cpu->fpu.fsw &= (uint16_t)~(FSW_ES | FSW_B);
}

/* A pending unmasked exception, seen by a waiting instruction (SDM Vol.1
 * 8.7): #MF with CR0.NE, the FERR#/IRQ13 path without. */
void x87_deliver_pending(struct cpu *cpu);

/* FERR# for CR0.NE=0 (MS-DOS compatible reporting, SDM Vol.1 8.7.1 and
 * D.2.1): the chipset turns it into IRQ13. The hook is a point for the
 * machine to wire; until then the instruction proceeds as if IGNNE# were
 * asserted. */
void x87_signal_ferr(struct cpu *cpu);

/* #NM for CR0.EM/TS (SDM Vol.3A table 2-2), then the pending-exception
 * check every waiting x87 instruction makes before it runs. */
static inline void x87_check(struct cpu *cpu)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        raise_nm(cpu);
    if (cpu->fpu.fsw & FSW_ES)
        x87_deliver_pending(cpu);
}

/* Control instructions check only #NM. */
static inline void x87_check_nowait(struct cpu *cpu)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        raise_nm(cpu);
}

/* Record the instruction pointer, opcode and (for memory forms) data
 * pointer of a non-control instruction (SDM Vol.1 8.1.8, 8.1.9). */
static inline void x87_set_pointers(struct cpu *cpu, const struct insn *in)
{
    cpu->fpu.fop = (uint16_t)(((in->opcode & 7) << 8) | in->modrm);
    cpu->fpu.fip = cpu->rip;
    cpu->fpu.fcs = cpu->seg[S_CS].sel;
    if (in->mod != 3) {
        cpu->fpu.fdp = insn_ea(cpu, in);
        cpu->fpu.fds = cpu->seg[in->seg].sel;
    }
}

/* Merge exception flags (and SF) from an operation into FSW. Returns
 * whether the destination may be written: an unmasked IE, DE or ZE leaves
 * destination and stack unchanged (SDM Vol.1 8.5). */
static inline bool x87_raise_flags(struct cpu *cpu, unsigned flags)
{
    /* An unmasked pre-computation exception (IE, DE, ZE) stops the
     * operation before the post-computation ones (OE, UE, PE) can arise
     * (SDM Vol.1 8.5, 4.9.2). */
    if (flags & ~cpu->fpu.fcw & (F80_IE | F80_DE | F80_ZE))
        flags &= F80_IE | F80_DE | F80_ZE | FSW_SF;
    cpu->fpu.fsw |= (uint16_t)(flags & (FSW_EXC | FSW_SF));
    unsigned unmasked = flags & ~cpu->fpu.fcw & FSW_EXC;
    if (unmasked)
        cpu->fpu.fsw |= FSW_ES | FSW_B;
    return !(unmasked & (F80_IE | F80_DE | F80_ZE));
}

/* Set C1 (clearing it is part of most results). */
static inline void x87_set_c1(struct cpu *cpu, bool c1)
{
    if (c1)
        cpu->fpu.fsw |= FSW_C1;
    else
        cpu->fpu.fsw &= (uint16_t)~FSW_C1;
}

/* C1 of an arithmetic result: "rounded up", or 0 when an unmasked
 * pre-computation exception (IE, DE, ZE) stopped the operation (observed
 * on Intel parts). */
static inline void x87_result_c1(struct cpu *cpu, unsigned flags, bool c1)
{
    if (flags & ~cpu->fpu.fcw & (F80_IE | F80_DE | F80_ZE))
        c1 = false;
    x87_set_c1(cpu, c1);
}

static inline void x87_set_cc(struct cpu *cpu, unsigned cc)
{
    cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~FSW_CC) | (cc & FSW_CC));
}

/* Stack underflow (SDM Vol.1 8.5.1.1): IE with SF, C1 clear. Returns
 * whether the masked response (QNaN indefinite) applies. */
static inline bool x87_underflow(struct cpu *cpu)
{
    x87_set_c1(cpu, false);
    return x87_raise_flags(cpu, F80_IE | FSW_SF);
}

/* Stack overflow: IE with SF, C1 set. */
static inline bool x87_overflow(struct cpu *cpu)
{
    x87_set_c1(cpu, true);
    return x87_raise_flags(cpu, F80_IE | FSW_SF);
}

/* The memory operand's linear address, checked for the access. */
static inline uint64_t x87_linear(struct cpu *cpu, const struct insn *in, unsigned size,
                                  unsigned access)
{
    return seg_linear(cpu, in->seg, insn_ea(cpu, in), size, access);
}

static inline uint64_t x87_lin_next(const struct cpu *cpu, uint64_t lin, unsigned delta)
{
    lin += delta;
    return cpu->mode == MODE_LONG ? lin : (lin & 0xffffffffull);
}

/* 80-bit memory operands as two accesses (8 + 2 bytes). */
static inline f80 x87_read_m80(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin = x87_linear(cpu, in, 10, ACC_READ);
    f80 v;
    v.mant = lin_read(cpu, lin, 8);
    v.sign_exp = (uint16_t)lin_read(cpu, x87_lin_next(cpu, lin, 8), 2);
    return v;
}

/* Probe the whole operand for writing before anything is stored, so a
 * fault leaves memory unchanged. */
static inline uint64_t x87_probe_write(struct cpu *cpu, const struct insn *in, unsigned size)
{
    return mem_probe_write(cpu, in->seg, insn_ea(cpu, in), size);
}

static inline void x87_write_m80(struct cpu *cpu, uint64_t lin, f80 v)
{
    lin_write(cpu, lin, v.mant, 8);
    lin_write(cpu, x87_lin_next(cpu, lin, 8), v.sign_exp, 2);
}

/* The flags of converting a memory operand, as the operation sees them: a
 * NaN or unsupported ST0 takes precedence over a denormal source (no DE). */
static inline unsigned x87_source_flags(const struct cpu *cpu, unsigned conv_flags,
                                        bool divides_by_st0)
{
    f80 a = x87_get(cpu, 0);
    if ((conv_flags & F80_DE) && (f80_is_nan(a) || f80_is_unsupported(a)))
        conv_flags &= ~(unsigned)F80_DE;
    /* A denormal divided by zero is only a division by zero. */
    if ((conv_flags & F80_DE) && divides_by_st0 && f80_classify(a) == F80_CLASS_ZERO)
        conv_flags &= ~(unsigned)F80_DE;
    return conv_flags;
}

/* A real memory operand of an arithmetic or compare instruction as an f80:
 * NaNs keep their signaling bit, so the operation itself raises IE and
 * picks the NaN to return from the unquieted significands (as hardware
 * does); other values convert exactly, with DE for denormals. */
static inline f80 x87_real_operand(uint64_t bits, unsigned size, struct f80_env *e)
{
    if (size == 4) {
        uint32_t b = (uint32_t)bits;
        if ((b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu)) {
            f80 v = {(1ull << 63) | ((uint64_t)(b & 0x7fffffu) << 40),
                     (uint16_t)(((b >> 31) << 15) | 0x7fff)};
            return v;
        }
        return f80_from_f32(b, e);
    }
    if ((bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits & 0xfffffffffffffull)) {
        f80 v = {(1ull << 63) | ((bits & 0xfffffffffffffull) << 11),
                 (uint16_t)(((bits >> 63) << 15) | 0x7fff)};
        return v;
    }
    return f80_from_f64(bits, e);
}

/* The full tag word from the abridged one of FXSAVE (SDM Vol.1 10.5.1.1). */
uint16_t x87_tags_from_abridged(const struct cpu *cpu, uint8_t abridged);
uint8_t x87_abridged_tags(const struct cpu *cpu);
/* FNINIT's state (SDM Vol.1 8.1.10 table 8-2 ... data registers unchanged). */
void x87_init_state(struct cpu *cpu);
/* The FCW value a load leaves (reserved bits as hardware shows them). */
uint16_t x87_fcw_normalize(uint16_t v);

#endif

/* Shared pieces of the SSE..SSE4.2 handlers (cpu/ops_sse_*.c): the
 * availability checks, XMM/MMX operand access, 128-bit memory accesses with
 * the alignment rule, and the MXCSR exception commit. */
#ifndef TURTLES_CPU_OPS_SSE_H
#define TURTLES_CPU_OPS_SSE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/fpu_sse_float.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"
#include "cpu/ops_x87.h"

/* SDM Vol.3A 13.1.4 / Vol.2 table 2-21 ("legacy SSE"): CR0.EM or a clear
 * CR4.OSFXSR make the instruction undefined; CR0.TS defers the state to the
 * OS with #NM. */
static inline void sse_check(struct cpu *cpu)
{
    if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
        raise_ud(cpu);
    if (cpu->cr0 & CR0_TS)
        raise_nm(cpu);
}

/* Instructions on MMX registers first deliver a pending unmasked x87
 * exception (SDM Vol.2 tables 22-5 and 22-8: #MF). */
static inline void mmx_pending_check(struct cpu *cpu)
{
    if (cpu->fpu.fsw & FSW_ES)
        x87_deliver_pending(cpu);
}

/* SDM Vol.2 table 22-8 (legacy SIMD on MMX registers only): OSFXSR plays
 * no part. */
static inline void mmx_check(struct cpu *cpu)
{
    if (cpu->cr0 & CR0_EM)
        raise_ud(cpu);
    if (cpu->cr0 & CR0_TS)
        raise_nm(cpu);
    mmx_pending_check(cpu);
}

/* Entering MMX state (SDM Vol.1 9.5.1): TOP becomes 0 and every register is
 * tagged valid, for reads as well as writes. */
static inline void mmx_enter(struct cpu *cpu)
{
    cpu->fpu.fsw &= (uint16_t)~(7u << 11);
    cpu->fpu.ftw = 0;
}

static inline uint64_t mmx_reg_read(struct cpu *cpu, unsigned r)
{
    mmx_enter(cpu);
    return cpu->fpu.st[r & 7].mant;
}

/* An MMX write sets the exponent/sign field to all ones (SDM Vol.1 9.5.1). */
static inline void mmx_reg_write(struct cpu *cpu, unsigned r, uint64_t v)
{
    mmx_enter(cpu);
    cpu->fpu.st[r & 7].mant = v;
    cpu->fpu.st[r & 7].sign_exp = 0xffff;
}

/* Linear address of a memory operand; aligned forms need a 16-byte aligned
 * address (SDM Vol.1 11.4.1: #GP(0), not #AC). */
static inline uint64_t sse_linear(struct cpu *cpu, const struct insn *in, unsigned size,
                                  unsigned access, bool aligned)
{
    uint64_t off = insn_ea(cpu, in);
    uint64_t lin = seg_linear(cpu, in->seg, off, size, access);
    if (aligned && (lin & 15))
        raise_gp(cpu, 0);
    return lin;
}

static inline uint64_t sse_lin_next(const struct cpu *cpu, uint64_t lin, unsigned delta)
{
    lin += delta;
    return cpu->mode == MODE_LONG ? lin : (lin & 0xffffffffull);
}

/* Read `size` bytes (1, 2, 4, 8 or 16) of the memory operand into a zeroed
 * vector. */
static inline xmm_t sse_mem_read(struct cpu *cpu, const struct insn *in, unsigned size,
                                 bool aligned)
{
    xmm_t v = {.q = {0, 0}};
    uint64_t lin = sse_linear(cpu, in, size, ACC_READ, aligned && size == 16);
    if (size == 16) {
        v.q[0] = lin_read(cpu, lin, 8);
        v.q[1] = lin_read(cpu, sse_lin_next(cpu, lin, 8), 8);
    } else {
        v.q[0] = lin_read(cpu, lin, size);
    }
    return v;
}

/* Both halves are checked before either is stored, so a fault leaves
 * memory unchanged. */
static inline void sse_mem_write(struct cpu *cpu, const struct insn *in, unsigned size,
                                 const xmm_t *v, bool aligned)
{
    uint64_t off = insn_ea(cpu, in);
    if (aligned && size == 16) {
        uint64_t lin = seg_linear(cpu, in->seg, off, size, ACC_WRITE);
        if (lin & 15)
            raise_gp(cpu, 0);
    }
    uint64_t lin = mem_probe_write(cpu, in->seg, off, size);
    if (size == 16) {
        lin_write(cpu, lin, v->q[0], 8);
        lin_write(cpu, sse_lin_next(cpu, lin, 8), v->q[1], 8);
    } else {
        lin_write(cpu, lin, v->q[0], size);
    }
}

/* The r/m operand as a vector: XMM register, or `size` bytes of memory. */
static inline xmm_t sse_rm(struct cpu *cpu, const struct insn *in, unsigned size, bool aligned)
{
    if (in->mod == 3)
        return cpu->xmm[in->rm];
    return sse_mem_read(cpu, in, size, aligned);
}

/* The r/m operand of an MMX-register form: MM register or 8 bytes. */
static inline uint64_t mmx_rm(struct cpu *cpu, const struct insn *in, unsigned size)
{
    if (in->mod == 3)
        return mmx_reg_read(cpu, in->rm);
    return sse_mem_read(cpu, in, size, false).q[0];
}

/* Flags of one SIMD float operation, split as SDM Vol.1 11.5.1 orders
 * them: pre-computation (IE, DE, ZE) and post-computation (OE, UE, PE). */
struct sse_flags {
    uint32_t pre, post;
};

#define SSE_PRE_FLAGS (SSE_MXCSR_IE | SSE_MXCSR_DE | SSE_MXCSR_ZE)

static inline struct sse_env sse_env_of(const struct cpu *cpu)
{
    return (struct sse_env){.mxcsr = cpu->mxcsr & ~SSE_MXCSR_FLAGS};
}

/* Fold one lane's flags (env started with clear flag bits). */
static inline void sse_flags_add(struct sse_flags *f, const struct sse_env *e)
{
    f->pre |= e->mxcsr & SSE_PRE_FLAGS;
    f->post |= e->mxcsr & SSE_MXCSR_FLAGS & ~SSE_PRE_FLAGS;
}

/* Commit the flags and, when one is unmasked, fault before the destination
 * is written: #XM with CR4.OSXMMEXCPT, else #UD (SDM Vol.1 11.5.4). An
 * unmasked pre-computation exception in any lane suppresses every
 * post-computation flag (SDM Vol.1 11.5.1). */
void sse_commit_flags(struct cpu *cpu, const struct sse_flags *f);

/* Packed integer operation on n bytes (8: MMX, 16: XMM) of d and s. */
typedef void (*vec_binop)(xmm_t *d, const xmm_t *s, unsigned n);

/* Run fn on the ModRM operands: XMM with the 66 prefix (128-bit memory
 * operands aligned), MMX registers without. */
void sse_int_binop(struct cpu *cpu, const struct insn *in, vec_binop fn);

/* Integer element helpers. */
static inline int8_t sat_s8(int32_t v) { return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v); }
static inline uint8_t sat_u8(int32_t v) { return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v); }
static inline int16_t sat_s16(int32_t v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}
static inline uint16_t sat_u16(int32_t v) { return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v); }

#endif

/* x87 operations on ST0 (and ST1): FCHS, FABS, FSQRT, FRNDINT, FSCALE,
 * FXTRACT, FPREM, FPREM1 and the transcendentals FSIN, FCOS, FSINCOS,
 * FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 (SDM Vol.1 8.3.5-8.3.10). */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_x87.h"

/* A denormal result with UE unmasked is delivered normalised with its
 * exponent biased by +24576 and UE raised (SDM Vol.1 8.5.5); the library
 * leaves denormal results of FPREM and of the tiny-argument
 * trigonometric path as they are. */
static f80 bias_unmasked_tiny(const struct cpu *cpu, f80 r, struct f80_env *e)
{
    if ((r.sign_exp & 0x7fff) || !r.mant || (cpu->fpu.fcw & F80_UE))
        return r;
    int exp = 1;
    uint64_t m = r.mant;
    while (!(m >> 63)) {
        m <<= 1;
        exp--;
    }
    e->flags |= F80_UE;
    f80 v = {m, (uint16_t)((r.sign_exp & 0x8000) | (uint16_t)(exp + 24576))};
    return v;
}

/* FCHS (D9 E0), FABS (D9 E1): sign bit only, no exceptions. */
void op_fsign(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, 0)) {
        if (x87_underflow(cpu))
            x87_set(cpu, 0, f80_indefinite());
        return;
    }
    f80 v = x87_get(cpu, 0);
    if ((in->modrm & 7) == 0)
        v.sign_exp ^= 0x8000;
    else
        v.sign_exp &= 0x7fff;
    x87_set_c1(cpu, false);
    x87_set(cpu, 0, v);
}

/* One-operand operations on ST0 (D9 F0 F2XM1, FA FSQRT, FC FRNDINT,
 * FE FSIN, FF FCOS). FSIN/FCOS beyond 2^63 set C2 and leave ST0. */
void op_funary(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_pointers(cpu, in);
    unsigned rm = in->modrm & 7;
    bool trig = rm == 6 || rm == 7;
    if (x87_empty(cpu, 0)) {
        if (trig)
            cpu->fpu.fsw &= (uint16_t)~FSW_C2;
        if (x87_underflow(cpu))
            x87_set(cpu, 0, f80_indefinite());
        return;
    }
    struct f80_env e = x87_env(cpu);
    f80 a = x87_get(cpu, 0), r;
    switch (rm) {
    case 0: r = f80_2xm1(a, &e); break;
    case 2: r = f80_sqrt(a, &e); break;
    case 4: r = f80_round_to_int(a, &e); break;
    case 6:
    case 7:
        if (!(rm == 6 ? f80_sin(a, &r, &e) : f80_cos(a, &r, &e))) {
            cpu->fpu.fsw |= FSW_C2;
            return;
        }
        cpu->fpu.fsw &= (uint16_t)~FSW_C2;
        r = bias_unmasked_tiny(cpu, r, &e);
        break;
    default: r = a; break;
    }
    x87_result_c1(cpu, e.flags, e.c1);
    if (!x87_raise_flags(cpu, e.flags))
        return;
    x87_set(cpu, 0, r);
}

/* Two-operand operations on ST0 and ST1: FSCALE (D9 FD), FPREM (D9 F8),
 * FPREM1 (D9 F5) keep the stack; FPATAN (D9 F3), FYL2X (D9 F1) and
 * FYL2XP1 (D9 F9) write ST1 and pop. */
void op_fbinary(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_pointers(cpu, in);
    unsigned lowop = in->modrm & 0xff;
    bool pop = lowop == 0xf3 || lowop == 0xf1 || lowop == 0xf9;
    bool prem = lowop == 0xf8 || lowop == 0xf5;
    if (x87_empty(cpu, 0) || x87_empty(cpu, 1)) {
        if (prem)
            cpu->fpu.fsw &= (uint16_t)~FSW_C2;
        if (x87_underflow(cpu)) {
            x87_set(cpu, pop ? 1 : 0, f80_indefinite());
            if (pop)
                x87_pop(cpu);
        }
        return;
    }
    struct f80_env e = x87_env(cpu);
    f80 a = x87_get(cpu, 0), b = x87_get(cpu, 1), r;
    uint16_t cc = 0;
    switch (lowop) {
    case 0xfd: r = f80_scale(a, b, &e); break;
    case 0xf8: r = bias_unmasked_tiny(cpu, f80_prem(a, b, false, &e, &cc), &e); break;
    case 0xf5: r = bias_unmasked_tiny(cpu, f80_prem(a, b, true, &e, &cc), &e); break;
    case 0xf3: r = f80_atan2(b, a, &e); break;
    case 0xf1: r = f80_yl2x(b, a, &e); break;
    default: r = f80_yl2xp1(b, a, &e); break;
    }
    if (prem) {
        /* Without a remainder (NaN or invalid operands, or an unmasked
         * denormal) C0 and C3 keep their values and C1, C2 are cleared
         * (observed on Intel parts). */
        if ((e.flags & F80_IE) || f80_is_nan(r) ||
            (e.flags & ~cpu->fpu.fcw & (F80_DE | F80_ZE)))
            cc = (uint16_t)(cpu->fpu.fsw & (FSW_C0 | FSW_C3));
        x87_set_cc(cpu, cc);
    } else {
        x87_result_c1(cpu, e.flags, e.c1);
    }
    if (!x87_raise_flags(cpu, e.flags))
        return;
    x87_set(cpu, pop ? 1 : 0, r);
    if (pop)
        x87_pop(cpu);
}

/* Operations that replace ST0 and push a second result: FXTRACT (D9 F4:
 * exponent, then significand), FPTAN (D9 F2: tan, then 1.0), FSINCOS
 * (D9 FB: sin, then cos). Both slots must be usable. */
void op_fpush2(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    x87_set_pointers(cpu, in);
    unsigned rm = in->modrm & 7;
    bool trig = rm != 4;
    if (x87_empty(cpu, 0) || !x87_empty(cpu, 7)) {
        if (trig)
            cpu->fpu.fsw &= (uint16_t)~FSW_C2;
        bool ok = x87_empty(cpu, 0) ? x87_underflow(cpu) : x87_overflow(cpu);
        if (ok) {
            x87_set(cpu, 0, f80_indefinite());
            x87_push(cpu, f80_indefinite());
        }
        return;
    }
    struct f80_env e = x87_env(cpu);
    f80 a = x87_get(cpu, 0), r0, r1;
    if (rm == 4) {
        f80_xtract(a, &r0, &r1, &e);
    } else {
        bool done = rm == 2 ? f80_tan(a, &r0, &e) : f80_sincos(a, &r0, &r1, &e);
        if (!done) {
            cpu->fpu.fsw |= FSW_C2;
            return;
        }
        cpu->fpu.fsw &= (uint16_t)~FSW_C2;
        r0 = bias_unmasked_tiny(cpu, r0, &e);
        /* A NaN tangent is pushed in place of the 1.0 too (observed on
         * Intel parts). */
        if (rm == 2)
            r1 = f80_is_nan(r0) ? r0 : f80_one();
    }
    x87_result_c1(cpu, e.flags, e.c1);
    if (!x87_raise_flags(cpu, e.flags))
        return;
    x87_set(cpu, 0, r0);
    x87_push(cpu, r1);
}

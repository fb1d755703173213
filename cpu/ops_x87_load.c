/* x87 data transfer: FLD/FST/FSTP, FILD/FIST/FISTP/FISTTP, FBLD/FBSTP,
 * the constant loads, FXCH and FCMOVcc (SDM Vol.1 8.3.3-8.3.4, Vol.2). */
#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/opcodes.h"
#include "cpu/ops_x87.h"

/* Push with the overflow rule (SDM Vol.1 8.5.1.1): a full ST(7) gives IE
 * with SF and C1 set; masked, the real indefinite is pushed. `flags` are
 * the exceptions of producing v: an unmasked IE (SNaN source) keeps the
 * stack, while an unmasked DE still loads the value (observed on Intel
 * parts). */
static void push_checked(struct cpu *cpu, f80 v, unsigned flags, bool c1)
{
    if (!x87_empty(cpu, 7)) {
        if (x87_overflow(cpu))
            x87_push(cpu, f80_indefinite());
        return;
    }
    bool ok = x87_raise_flags(cpu, flags);
    x87_set_c1(cpu, c1);
    if (!ok && (flags & ~cpu->fpu.fcw & F80_IE))
        return;
    x87_push(cpu, v);
}

/* FLD m32 (D9 /0), m64 (DD /0), m80 (DB /5). */
void op_fld_m(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    struct f80_env e = x87_env(cpu);
    f80 v;
    if (in->opcode == 0xd9)
        v = f80_from_f32((uint32_t)mem_read(cpu, in->seg, insn_ea(cpu, in), 4), &e);
    else if (in->opcode == 0xdd)
        v = f80_from_f64(mem_read(cpu, in->seg, insn_ea(cpu, in), 8), &e);
    else
        v = x87_read_m80(cpu, in);
    push_checked(cpu, v, e.flags, false);
    x87_set_pointers(cpu, in);
}

/* FLD ST(i) (D9 C0+i): a plain copy, no exceptions besides the stack's; an
 * empty source is reported before a full stack (observed on Intel parts). */
void op_fld_sti(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned i = in->rm & 7;
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, i)) {
        if (x87_underflow(cpu))
            x87_push(cpu, f80_indefinite());
        return;
    }
    f80 v = x87_get(cpu, i);
    if (!x87_empty(cpu, 7)) {
        if (x87_overflow(cpu))
            x87_push(cpu, f80_indefinite());
        return;
    }
    x87_set_c1(cpu, false);
    x87_push(cpu, v);
}

/* FILD m16 (DF /0), m32 (DB /0), m64 (DF /5). */
void op_fild(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    f80 v;
    if (in->opcode == 0xdb)
        v = f80_from_i32((int32_t)mem_read(cpu, in->seg, insn_ea(cpu, in), 4));
    else if (((in->modrm >> 3) & 7) == 0)
        v = f80_from_i16((int16_t)mem_read(cpu, in->seg, insn_ea(cpu, in), 2));
    else
        v = f80_from_i64((int64_t)mem_read(cpu, in->seg, insn_ea(cpu, in), 8));
    push_checked(cpu, v, 0, false);
    x87_set_pointers(cpu, in);
}

/* FBLD m80 (DF /4). */
void op_fbld(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    f80 raw = x87_read_m80(cpu, in);
    uint8_t bcd[10];
    for (int b = 0; b < 8; b++)
        bcd[b] = (uint8_t)(raw.mant >> (8 * b));
    bcd[8] = (uint8_t)raw.sign_exp;
    bcd[9] = (uint8_t)(raw.sign_exp >> 8);
    push_checked(cpu, f80_from_bcd(bcd), 0, false);
    x87_set_pointers(cpu, in);
}

static bool pops(const struct insn *in)
{
    unsigned reg = (in->modrm >> 3) & 7;
    return reg == 3 || reg == 7 || (in->opcode == 0xdd && reg == 1) ||
           (in->opcode == 0xdb && reg == 1) || (in->opcode == 0xdf && reg == 1) ||
           (in->opcode == 0xdf && reg == 6) || (in->opcode == 0xdf && reg == 5);
}

/* Store ST0 to memory in `size` bytes after the conversion decided the
 * flags; nothing is stored (nor popped) on an unmasked IE, OE or UE. */
static void store_common(struct cpu *cpu, const struct insn *in, uint64_t bits, unsigned size,
                         unsigned flags, bool c1, bool pop)
{
    uint64_t lin = x87_probe_write(cpu, in, size);
    unsigned unmasked = flags & ~cpu->fpu.fcw & FSW_EXC;
    x87_set_pointers(cpu, in);
    bool ok = x87_raise_flags(cpu, flags);
    x87_set_c1(cpu, c1);
    if (!ok || (unmasked & (F80_OE | F80_UE)))
        return;
    lin_write(cpu, lin, bits, size);
    if (pop)
        x87_pop(cpu);
}

/* FST/FSTP m32 (D9 /2 /3), m64 (DD /2 /3). */
void op_fst_m(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned size = in->opcode == 0xd9 ? 4 : 8;
    bool pop = pops(in);
    if (x87_empty(cpu, 0)) {
        uint64_t lin = x87_probe_write(cpu, in, size);
        x87_set_pointers(cpu, in);
        if (!x87_underflow(cpu))
            return;
        lin_write(cpu, lin, size == 4 ? 0xffc00000u : 0xfff8000000000000ull, size);
        if (pop)
            x87_pop(cpu);
        return;
    }
    struct f80_env e = x87_env(cpu);
    uint64_t bits = size == 4 ? f80_to_f32(x87_get(cpu, 0), &e) : f80_to_f64(x87_get(cpu, 0), &e);
    store_common(cpu, in, bits, size, e.flags, e.c1, pop);
}

/* FSTP m80 (DB /7): a raw copy. */
void op_fstp_m80(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    uint64_t lin = x87_probe_write(cpu, in, 10);
    x87_set_pointers(cpu, in);
    f80 v = x87_get(cpu, 0);
    if (x87_empty(cpu, 0)) {
        if (!x87_underflow(cpu))
            return;
        v = f80_indefinite();
    } else {
        x87_set_c1(cpu, false);
    }
    x87_write_m80(cpu, lin, v);
    x87_pop(cpu);
}

/* FST ST(i) (DD D0+i), FSTP ST(i) (DD D8+i and the aliases D9 D8+i,
 * DF D0+i, DF D8+i). The D9 alias never signals a stack underflow: an
 * empty ST0 is copied as it is (observed on Intel parts). */
void op_fst_sti(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned i = in->rm & 7;
    bool pop = !(in->opcode == 0xdd && ((in->modrm >> 3) & 7) == 2);
    x87_set_pointers(cpu, in);
    f80 v = x87_get(cpu, 0);
    if (x87_empty(cpu, 0) && in->opcode == 0xd9) {
        /* The alias leaves ST(i) alone and just pops. */
        x87_set_c1(cpu, false);
        x87_pop(cpu);
        return;
    }
    if (x87_empty(cpu, 0)) {
        if (!x87_underflow(cpu))
            return;
        v = f80_indefinite();
    } else {
        x87_set_c1(cpu, false);
    }
    x87_set(cpu, i, v);
    if (pop)
        x87_pop(cpu);
}

/* FIST/FISTP m16/m32/m64 and FISTTP (SSE3): the integer indefinite on a
 * masked invalid operation. */
void op_fist(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned reg = (in->modrm >> 3) & 7;
    unsigned size = in->opcode == 0xdb ? 4 : in->opcode == 0xdd ? 8 : (reg == 7 || reg == 5) ? 8 : 2;
    bool truncate = reg == 1;
    bool pop = pops(in);
    if (x87_empty(cpu, 0)) {
        uint64_t lin = x87_probe_write(cpu, in, size);
        x87_set_pointers(cpu, in);
        if (!x87_underflow(cpu))
            return;
        lin_write(cpu, lin, 1ull << (8 * size - 1), size);
        if (pop)
            x87_pop(cpu);
        return;
    }
    struct f80_env e = x87_env(cpu);
    f80 v = x87_get(cpu, 0);
    uint64_t bits;
    if (size == 2)
        bits = (uint16_t)f80_to_i16(v, truncate, &e);
    else if (size == 4)
        bits = (uint32_t)f80_to_i32(v, truncate, &e);
    else
        bits = (uint64_t)f80_to_i64(v, truncate, &e);
    store_common(cpu, in, bits, size, e.flags, e.c1, pop);
}

/* FBSTP m80 (DF /6). */
void op_fbstp(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    uint64_t lin = x87_probe_write(cpu, in, 10);
    x87_set_pointers(cpu, in);
    uint8_t bcd[10];
    if (x87_empty(cpu, 0)) {
        if (!x87_underflow(cpu))
            return;
        static const uint8_t indefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff};
        for (int b = 0; b < 10; b++)
            bcd[b] = indefinite[b];
    } else {
        struct f80_env e = x87_env(cpu);
        f80_to_bcd(x87_get(cpu, 0), bcd, &e);
        bool ok = x87_raise_flags(cpu, e.flags);
        x87_set_c1(cpu, e.c1);
        if (!ok)
            return;
    }
    f80 v = {0, 0};
    for (int b = 0; b < 8; b++)
        v.mant |= (uint64_t)bcd[b] << (8 * b);
    v.sign_exp = (uint16_t)(bcd[8] | (bcd[9] << 8));
    x87_write_m80(cpu, lin, v);
    x87_pop(cpu);
}

/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (D9 E8..EE). The
 * stored constants are wider than 64 bits and rounded by RC (SDM Vol.1
 * 8.3.8): the mantissas below are the nearest values; `up` says the nearest
 * was rounded up (so down/chop take one less), else down (so up takes one
 * more). */
void op_fldconst(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    static const struct { uint16_t se; uint64_t mant; int nearest_was_up; } k[7] = {
        {0x3fff, 0x8000000000000000ull, -1}, /* 1 (exact) */
        {0x4000, 0xd49a784bcd1b8afeull, 0},  /* log2(10) */
        {0x3fff, 0xb8aa3b295c17f0bcull, 1},  /* log2(e) */
        {0x4000, 0xc90fdaa22168c235ull, 1},  /* pi */
        {0x3ffd, 0x9a209a84fbcff799ull, 1},  /* log10(2) */
        {0x3ffe, 0xb17217f7d1cf79acull, 1},  /* ln(2) */
        {0x0000, 0, -1},                     /* +0 (exact) */
    };
    unsigned idx = in->rm & 7;
    unsigned rc = (cpu->fpu.fcw >> 10) & 3;
    f80 v = {k[idx].mant, k[idx].se};
    if (k[idx].nearest_was_up == 1 && (rc == F80_RC_DOWN || rc == F80_RC_ZERO))
        v.mant--;
    else if (k[idx].nearest_was_up == 0 && rc == F80_RC_UP)
        v.mant++;
    x87_set_pointers(cpu, in);
    push_checked(cpu, v, 0, false);
}

/* FXCH ST(i) (D9 C8+i and aliases DD C8+i, DF C8+i). */
void op_fxch(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned i = in->rm & 7;
    x87_set_pointers(cpu, in);
    f80 a = x87_get(cpu, 0), b = x87_get(cpu, i);
    bool ea = x87_empty(cpu, 0), eb = x87_empty(cpu, i);
    if (ea || eb) {
        if (!x87_underflow(cpu))
            return;
        if (ea)
            a = f80_indefinite();
        if (eb)
            b = f80_indefinite();
    }
    x87_set_c1(cpu, false);
    x87_set(cpu, 0, b);
    x87_set(cpu, i, a);
}

/* FCMOVcc (DA/DB C0..DF): conditions on CF, ZF, PF as the integer CMOVs. */
void op_fcmov(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    unsigned i = in->rm & 7, sel = (in->modrm >> 3) & 3;
    uint64_t fl = cpu->rflags;
    bool cond;
    switch (sel) {
    case 0: cond = (fl & F_CF) != 0; break;
    case 1: cond = (fl & F_ZF) != 0; break;
    case 2: cond = (fl & (F_CF | F_ZF)) != 0; break;
    default: cond = (fl & F_PF) != 0; break;
    }
    if (in->opcode == 0xdb)
        cond = !cond;
    x87_set_pointers(cpu, in);
    if (x87_empty(cpu, 0) || x87_empty(cpu, i)) {
        if (x87_underflow(cpu))
            x87_set(cpu, 0, f80_indefinite());
        return;
    }
    if (cond)
        x87_set(cpu, 0, x87_get(cpu, i));
}

/* Saving and restoring the x87 state: FNSTENV/FLDENV and FNSAVE/FRSTOR in
 * their 16/32-bit real and protected formats (SDM Vol.1 8.1.10), FXSAVE/
 * FXRSTOR (SDM Vol.1 10.5.1) and XSAVE/XRSTOR/XSAVEOPT/XSAVEC for the x87
 * and SSE components (SDM Vol.1 13). */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_x87.h"

#define MXCSR_MASK_VALUE 0xffffu /* with DAZ, matching LDMXCSR's writable bits */

static bool x87_real_format(const struct cpu *cpu)
{
    return cpu->mode == MODE_REAL || cpu->mode == MODE_V86;
}

/* The tag word as FSTENV/FSAVE report it: recomputed from the register
 * contents for every non-empty register (SDM Vol.1 8.1.7). */
static uint16_t stored_tag_word(const struct cpu *cpu)
{
    return x87_tags_from_abridged(cpu, x87_abridged_tags(cpu));
}

/* Empty / non-empty is all a loaded tag word carries; the rest follows
 * from the register contents. */
static uint8_t abridged_from_full(uint16_t ftw)
{
    uint8_t a = 0;
    for (unsigned r = 0; r < 8; r++)
        if (((ftw >> (2 * r)) & 3) != TAG_EMPTY)
            a |= (uint8_t)(1u << r);
    return a;
}

/* The environment image: 14 bytes (16-bit operand size) or 28 bytes. */
static unsigned env_size(const struct insn *in)
{
    return in->opsize == 2 ? 14 : 28;
}

static void build_env(const struct cpu *cpu, const struct insn *in, uint8_t *img)
{
    const struct fpu_state *f = &cpu->fpu;
    uint16_t ftw = stored_tag_word(cpu);
    uint32_t fip = (uint32_t)f->fip, fdp = (uint32_t)f->fdp;
    if (x87_real_format(cpu)) {
        /* Real-mode images hold linear pointers (SDM Vol.1 figures 8-10, 8-12). */
        fip = (uint32_t)(f->fip + ((uint32_t)f->fcs << 4));
        fdp = (uint32_t)(f->fdp + ((uint32_t)f->fds << 4));
    }
    if (in->opsize == 2) {
        uint16_t w[7] = {f->fcw, f->fsw, ftw, (uint16_t)fip, f->fcs, (uint16_t)fdp, f->fds};
        if (x87_real_format(cpu)) {
            w[4] = (uint16_t)(((fip >> 4) & 0xf000) | (f->fop & 0x7ff));
            w[6] = (uint16_t)((fdp >> 4) & 0xf000);
        }
        for (int i = 0; i < 7; i++) {
            img[2 * i] = (uint8_t)w[i];
            img[2 * i + 1] = (uint8_t)(w[i] >> 8);
        }
        return;
    }
    uint32_t d[7];
    d[0] = 0xffff0000u | f->fcw;
    d[1] = 0xffff0000u | f->fsw;
    d[2] = 0xffff0000u | ftw;
    if (x87_real_format(cpu)) {
        d[3] = 0xffff0000u | (fip & 0xffff);
        d[4] = ((fip >> 4) & 0x0ffff000u) | (f->fop & 0x7ff);
        d[5] = 0xffff0000u | (fdp & 0xffff);
        d[6] = (fdp >> 4) & 0x0ffff000u;
    } else {
        d[3] = fip;
        d[4] = ((uint32_t)(f->fop & 0x7ff) << 16) | f->fcs;
        d[5] = fdp;
        d[6] = 0xffff0000u | f->fds;
    }
    for (int i = 0; i < 7; i++)
        for (int b = 0; b < 4; b++)
            img[4 * i + b] = (uint8_t)(d[i] >> (8 * b));
}

static void load_env(struct cpu *cpu, const struct insn *in, const uint8_t *img)
{
    struct fpu_state *f = &cpu->fpu;
    uint32_t d[7];
    if (in->opsize == 2) {
        for (int i = 0; i < 7; i++)
            d[i] = (uint32_t)img[2 * i] | ((uint32_t)img[2 * i + 1] << 8);
    } else {
        for (int i = 0; i < 7; i++)
            d[i] = (uint32_t)img[4 * i] | ((uint32_t)img[4 * i + 1] << 8) |
                   ((uint32_t)img[4 * i + 2] << 16) | ((uint32_t)img[4 * i + 3] << 24);
    }
    f->fcw = x87_fcw_normalize((uint16_t)d[0]);
    f->fsw = (uint16_t)d[1];
    uint8_t abridged = abridged_from_full((uint16_t)d[2]);
    if (x87_real_format(cpu)) {
        f->fip = (d[3] & 0xffff) | ((d[4] & 0x0ffff000u) << 4);
        f->fop = (uint16_t)(d[4] & 0x7ff);
        f->fdp = (d[5] & 0xffff) | ((d[6] & 0x0ffff000u) << 4);
        f->fcs = 0;
        f->fds = 0;
        if (in->opsize == 2) {
            f->fip &= 0xfffff;
            f->fdp &= 0xfffff;
        }
    } else if (in->opsize == 2) {
        f->fip = d[3] & 0xffff;
        f->fcs = (uint16_t)d[4];
        f->fdp = d[5] & 0xffff;
        f->fds = (uint16_t)d[6];
    } else {
        f->fip = d[3];
        f->fcs = (uint16_t)d[4];
        f->fop = (uint16_t)((d[4] >> 16) & 0x7ff);
        f->fdp = d[5];
        f->fds = (uint16_t)d[6];
    }
    f->ftw = x87_tags_from_abridged(cpu, abridged);
    x87_update_es(cpu);
}

static void read_block(struct cpu *cpu, uint64_t lin, uint8_t *buf, unsigned n)
{
    unsigned i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = lin_read(cpu, x87_lin_next(cpu, lin, i), 8);
        memcpy(buf + i, &v, 8);
    }
    for (; i < n; i++)
        buf[i] = (uint8_t)lin_read(cpu, x87_lin_next(cpu, lin, i), 1);
}

static void write_block(struct cpu *cpu, uint64_t lin, const uint8_t *buf, unsigned n)
{
    unsigned i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, buf + i, 8);
        lin_write(cpu, x87_lin_next(cpu, lin, i), v, 8);
    }
    for (; i < n; i++)
        lin_write(cpu, x87_lin_next(cpu, lin, i), buf[i], 1);
}

static void put_reg10(uint8_t *p, f80 v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (uint8_t)(v.mant >> (8 * b));
    p[8] = (uint8_t)v.sign_exp;
    p[9] = (uint8_t)(v.sign_exp >> 8);
}

static f80 get_reg10(const uint8_t *p)
{
    f80 v = {0, 0};
    for (int b = 0; b < 8; b++)
        v.mant |= (uint64_t)p[b] << (8 * b);
    v.sign_exp = (uint16_t)(p[8] | (p[9] << 8));
    return v;
}

/* FNSTENV (D9 /6): then masks every exception (SDM Vol.2 FSTENV). */
void op_fnstenv(struct cpu *cpu, const struct insn *in)
{
    x87_check_nowait(cpu);
    uint8_t img[28];
    unsigned n = env_size(in);
    build_env(cpu, in, img);
    uint64_t lin = x87_probe_write(cpu, in, n);
    write_block(cpu, lin, img, n);
    cpu->fpu.fcw |= FSW_EXC;
    x87_update_es(cpu);
}

/* FLDENV (D9 /4). */
void op_fldenv(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    uint8_t img[28];
    unsigned n = env_size(in);
    read_block(cpu, x87_linear(cpu, in, n, ACC_READ), img, n);
    load_env(cpu, in, img);
}

/* FNSAVE (DD /6): the environment, the registers in ST order, then the
 * FNINIT state. */
void op_fnsave(struct cpu *cpu, const struct insn *in)
{
    x87_check_nowait(cpu);
    uint8_t img[28 + 80];
    unsigned n = env_size(in);
    build_env(cpu, in, img);
    for (unsigned i = 0; i < 8; i++)
        put_reg10(img + n + 10 * i, x87_get(cpu, i));
    uint64_t lin = x87_probe_write(cpu, in, n + 80);
    write_block(cpu, lin, img, n + 80);
    x87_init_state(cpu);
}

/* FRSTOR (DD /4). */
void op_frstor(struct cpu *cpu, const struct insn *in)
{
    x87_check(cpu);
    uint8_t img[28 + 80];
    unsigned n = env_size(in);
    read_block(cpu, x87_linear(cpu, in, n + 80, ACC_READ), img, n + 80);
    /* The registers sit in ST order relative to the image's TOP. */
    unsigned fsw_off = n == 14 ? 2 : 4;
    uint16_t fsw = (uint16_t)(img[fsw_off] | (img[fsw_off + 1] << 8));
    unsigned top = (fsw >> FSW_TOP_SHIFT) & 7;
    for (unsigned i = 0; i < 8; i++) {
        f80 v = get_reg10(img + n + 10 * i);
        cpu->fpu.st[(top + i) & 7].mant = v.mant;
        cpu->fpu.st[(top + i) & 7].sign_exp = v.sign_exp;
    }
    load_env(cpu, in, img);
}

/* ---- FXSAVE / FXRSTOR ---------------------------------------------------- */

static void fx_check(struct cpu *cpu, const struct insn *in, uint64_t *lin, unsigned access)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        raise_nm(cpu);
    uint64_t off = insn_ea(cpu, in);
    *lin = seg_linear(cpu, in->seg, off, 512, access);
    /* SDM Vol.2 FXSAVE: a misaligned area is #GP(0) (not #AC). */
    if (*lin & 15)
        raise_gp(cpu, 0);
}

/* The x87 part (bytes 0..159) of an FXSAVE/XSAVE legacy area. */
static void fx_build_x87(const struct cpu *cpu, bool rex_w, uint8_t *a)
{
    const struct fpu_state *f = &cpu->fpu;
    a[0] = (uint8_t)f->fcw;
    a[1] = (uint8_t)(f->fcw >> 8);
    a[2] = (uint8_t)f->fsw;
    a[3] = (uint8_t)(f->fsw >> 8);
    a[4] = x87_abridged_tags(cpu);
    a[5] = 0;
    a[6] = (uint8_t)f->fop;
    a[7] = (uint8_t)((f->fop >> 8) & 7);
    if (rex_w) {
        for (int b = 0; b < 8; b++) {
            a[8 + b] = (uint8_t)(f->fip >> (8 * b));
            a[16 + b] = (uint8_t)(f->fdp >> (8 * b));
        }
    } else {
        for (int b = 0; b < 4; b++) {
            a[8 + b] = (uint8_t)(f->fip >> (8 * b));
            a[16 + b] = (uint8_t)(f->fdp >> (8 * b));
        }
        a[12] = (uint8_t)f->fcs;
        a[13] = (uint8_t)(f->fcs >> 8);
        a[14] = a[15] = 0;
        a[20] = (uint8_t)f->fds;
        a[21] = (uint8_t)(f->fds >> 8);
        a[22] = a[23] = 0;
    }
    for (unsigned i = 0; i < 8; i++) {
        uint8_t *p = a + 32 + 16 * i;
        put_reg10(p, x87_get(cpu, i));
        memset(p + 10, 0, 6);
    }
}

static void fx_load_x87(struct cpu *cpu, bool rex_w, const uint8_t *a)
{
    struct fpu_state *f = &cpu->fpu;
    f->fcw = x87_fcw_normalize((uint16_t)(a[0] | (a[1] << 8)));
    f->fsw = (uint16_t)(a[2] | (a[3] << 8));
    f->fop = (uint16_t)((a[6] | (a[7] << 8)) & 0x7ff);
    f->fip = f->fdp = 0;
    if (rex_w) {
        for (int b = 0; b < 8; b++) {
            f->fip |= (uint64_t)a[8 + b] << (8 * b);
            f->fdp |= (uint64_t)a[16 + b] << (8 * b);
        }
        f->fcs = f->fds = 0;
    } else {
        for (int b = 0; b < 4; b++) {
            f->fip |= (uint64_t)a[8 + b] << (8 * b);
            f->fdp |= (uint64_t)a[16 + b] << (8 * b);
        }
        f->fcs = (uint16_t)(a[12] | (a[13] << 8));
        f->fds = (uint16_t)(a[20] | (a[21] << 8));
    }
    unsigned top = (f->fsw >> FSW_TOP_SHIFT) & 7;
    for (unsigned i = 0; i < 8; i++) {
        f80 v = get_reg10(a + 32 + 16 * i);
        f->st[(top + i) & 7].mant = v.mant;
        f->st[(top + i) & 7].sign_exp = v.sign_exp;
    }
    f->ftw = x87_tags_from_abridged(cpu, a[4]);
}

static unsigned xmm_count(const struct cpu *cpu)
{
    return cpu->mode == MODE_LONG && cpu->code_size == 8 ? 16 : 8;
}

static void fx_build_sse(const struct cpu *cpu, uint8_t *a, bool with_xmm, bool with_mxcsr)
{
    if (with_mxcsr) {
        for (int b = 0; b < 4; b++) {
            a[24 + b] = (uint8_t)(cpu->mxcsr >> (8 * b));
            a[28 + b] = (uint8_t)(MXCSR_MASK_VALUE >> (8 * b));
        }
    }
    if (with_xmm)
        for (unsigned i = 0; i < xmm_count(cpu); i++)
            memcpy(a + 160 + 16 * i, cpu->xmm[i].b, 16);
}

static uint32_t area_mxcsr(const uint8_t *a)
{
    return (uint32_t)a[24] | ((uint32_t)a[25] << 8) | ((uint32_t)a[26] << 16) |
           ((uint32_t)a[27] << 24);
}

/* FXSAVE (0F AE /0): bytes 464..511 are left to software. */
void op_fxsave(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin;
    fx_check(cpu, in, &lin, ACC_WRITE);
    mem_probe_write(cpu, in->seg, insn_ea(cpu, in), 512);
    uint8_t a[464];
    memset(a, 0, sizeof(a));
    fx_build_x87(cpu, in->opsize == 8, a);
    fx_build_sse(cpu, a, true, true);
    unsigned n = 160 + 16 * xmm_count(cpu);
    write_block(cpu, lin, a, n);
}

/* FXRSTOR (0F AE /1): reserved MXCSR bits are #GP(0) (SDM Vol.2 FXRSTOR). */
void op_fxrstor(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin;
    fx_check(cpu, in, &lin, ACC_READ);
    uint8_t a[512];
    read_block(cpu, lin, a, 160 + 16 * xmm_count(cpu));
    uint32_t mxcsr = area_mxcsr(a);
    if (mxcsr & ~MXCSR_MASK_VALUE)
        raise_gp(cpu, 0);
    fx_load_x87(cpu, in->opsize == 8, a);
    cpu->mxcsr = mxcsr;
    for (unsigned i = 0; i < xmm_count(cpu); i++)
        memcpy(cpu->xmm[i].b, a + 160 + 16 * i, 16);
}

/* ---- XSAVE family, components 0 (x87) and 1 (SSE) ------------------------ */

#define XSTATE_SUPPORTED 3ull
#define XCOMP_COMPACTED (1ull << 63)

static uint64_t xsave_prologue(struct cpu *cpu, const struct insn *in, uint64_t *lin,
                               unsigned access)
{
    if (!(cpu->cr4 & CR4_OSXSAVE))
        raise_ud(cpu);
    if (cpu->cr0 & CR0_TS)
        raise_nm(cpu);
    uint64_t off = insn_ea(cpu, in);
    *lin = seg_linear(cpu, in->seg, off, 576, access);
    /* SDM Vol.1 13.7: the area must be 64-byte aligned. */
    if (*lin & 63)
        raise_gp(cpu, 0);
    uint64_t edx_eax = ((cpu->gpr[R_DX] & 0xffffffffull) << 32) | (cpu->gpr[R_AX] & 0xffffffffull);
    return cpu->xcr0 & edx_eax & XSTATE_SUPPORTED;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)p[b] << (8 * b);
    return v;
}

/* XSAVE (0F AE /4), XSAVEOPT (0F AE /6) and XSAVEC (0F C7 /4). Both
 * components are always reported in use (XINUSE = 1 is always allowed,
 * SDM Vol.1 13.6). */
static void xsave_common(struct cpu *cpu, const struct insn *in, bool compacted)
{
    uint64_t lin;
    uint64_t rfbm = xsave_prologue(cpu, in, &lin, ACC_WRITE);
    mem_probe_write(cpu, in->seg, insn_ea(cpu, in), 576);
    uint8_t a[512];
    read_block(cpu, lin, a, 512);
    if (rfbm & 1)
        fx_build_x87(cpu, in->opsize == 8, a);
    if (rfbm & 2)
        fx_build_sse(cpu, a, true, true);
    uint8_t hdr[16];
    read_block(cpu, x87_lin_next(cpu, lin, 512), hdr, 16);
    uint64_t bv = get_u64(hdr);
    if (compacted) {
        bv = rfbm;
        uint64_t comp = XCOMP_COMPACTED | rfbm;
        for (int b = 0; b < 8; b++)
            hdr[8 + b] = (uint8_t)(comp >> (8 * b));
    } else {
        bv = (bv & ~rfbm) | rfbm;
    }
    for (int b = 0; b < 8; b++)
        hdr[b] = (uint8_t)(bv >> (8 * b));
    write_block(cpu, lin, a, 512);
    write_block(cpu, x87_lin_next(cpu, lin, 512), hdr, 16);
}

void op_xsave(struct cpu *cpu, const struct insn *in)
{
    xsave_common(cpu, in, false);
}

void op_xsavec(struct cpu *cpu, const struct insn *in)
{
    xsave_common(cpu, in, true);
}

/* XRSTOR (0F AE /5): header checks of SDM Vol.1 13.8.1/13.8.2, then each
 * requested component from memory or its initial configuration. */
void op_xrstor(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin;
    uint64_t rfbm = xsave_prologue(cpu, in, &lin, ACC_READ);
    uint8_t a[512], hdr[64];
    read_block(cpu, lin, a, 512);
    read_block(cpu, x87_lin_next(cpu, lin, 512), hdr, 64);
    uint64_t bv = get_u64(hdr), comp = get_u64(hdr + 8);
    bool compacted = (comp & XCOMP_COMPACTED) != 0;
    if (compacted) {
        if ((comp & ~XCOMP_COMPACTED) & ~cpu->xcr0)
            raise_gp(cpu, 0);
        if (bv & ~comp)
            raise_gp(cpu, 0);
    } else if (comp) {
        raise_gp(cpu, 0);
    }
    if (bv & ~cpu->xcr0)
        raise_gp(cpu, 0);
    for (int i = 16; i < 64; i++)
        if (hdr[i] && (compacted || i < 24))
            raise_gp(cpu, 0);
    bool load_mxcsr = compacted ? (rfbm & bv & 2) != 0 : (rfbm & 2) != 0;
    uint32_t mxcsr = area_mxcsr(a);
    if (load_mxcsr && (mxcsr & ~MXCSR_MASK_VALUE))
        raise_gp(cpu, 0);
    if (rfbm & 1) {
        if (bv & 1) {
            fx_load_x87(cpu, in->opsize == 8, a);
        } else {
            x87_init_state(cpu);
            for (unsigned r = 0; r < 8; r++) {
                cpu->fpu.st[r].mant = 0;
                cpu->fpu.st[r].sign_exp = 0;
            }
        }
    }
    if (rfbm & 2) {
        if (bv & 2) {
            for (unsigned i = 0; i < xmm_count(cpu); i++)
                memcpy(cpu->xmm[i].b, a + 160 + 16 * i, 16);
        } else {
            for (unsigned i = 0; i < xmm_count(cpu); i++)
                memset(cpu->xmm[i].b, 0, 16);
        }
        if (load_mxcsr)
            cpu->mxcsr = mxcsr;
        else if (compacted)
            cpu->mxcsr = 0x1f80;
    }
}

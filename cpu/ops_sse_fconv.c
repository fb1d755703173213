/* SSE/SSE2 floating-point compares (CMPxx, COMIxx/UCOMIxx) and every CVT*
 * between binary32, binary64, packed int32 (XMM and MMX) and GPRs. */
#include "cpu/ops_sse.h"

#include "cpu/flags.h"

/* CMPPS/CMPPD/CMPSS/CMPSD: legacy SSE honours imm8 bits 2:0 only
 * (SDM Vol.2 CMPPS). */
void op_sse_cmp(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    unsigned pred = (unsigned)in->imm & 7;
    xmm_t d = cpu->xmm[in->reg], s;
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    unsigned lanes = in->mandatory == PFX_NP ? 4 : in->mandatory == PFX_66 ? 2 : 1;
    bool single = in->mandatory == PFX_NP || in->mandatory == PFX_F3;
    if (lanes > 1)
        s = sse_rm(cpu, in, 16, true);
    else
        s = sse_rm(cpu, in, single ? 4 : 8, false);
    for (unsigned i = 0; i < lanes; i++) {
        e = sse_env_of(cpu);
        if (single)
            d.d[i] = f32_compare(d.d[i], s.d[i], pred, &e) ? 0xffffffffu : 0;
        else
            d.q[i] = f64_compare(d.q[i], s.q[i], pred, &e) ? ~0ull : 0;
        sse_flags_add(&fl, &e);
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

/* COMISS/UCOMISS/COMISD/UCOMISD: ZF, PF, CF from the compare, OF, SF and
 * AF cleared (SDM Vol.2 COMISS). */
void op_sse_comi(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    bool dbl = in->mandatory == PFX_66;
    bool signalling = in->opcode == 0x2f;
    xmm_t s = sse_rm(cpu, in, dbl ? 8 : 4, false);
    const xmm_t *d = &cpu->xmm[in->reg];
    struct sse_env e = sse_env_of(cpu);
    struct sse_flags fl = {0, 0};
    uint32_t f;
    if (dbl)
        f = signalling ? f64_comi(d->q[0], s.q[0], &e) : f64_ucomi(d->q[0], s.q[0], &e);
    else
        f = signalling ? f32_comi(d->d[0], s.d[0], &e) : f32_ucomi(d->d[0], s.d[0], &e);
    sse_flags_add(&fl, &e);
    sse_commit_flags(cpu, &fl);
    set_arith_flags(cpu, f & (F_ZF | F_PF | F_CF));
}

/* CVTPI2PS (low two lanes, upper kept) / CVTPI2PD. A register source
 * enters MMX state, a memory source does not (SDM Vol.2 CVTPI2PS). */
void op_sse_cvtpi2p(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    mmx_pending_check(cpu);
    uint64_t src = in->mod == 3 ? mmx_reg_read(cpu, in->rm) : sse_mem_read(cpu, in, 8, false).q[0];
    xmm_t d = cpu->xmm[in->reg];
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    for (unsigned i = 0; i < 2; i++) {
        uint32_t v = (uint32_t)(src >> (32 * i));
        e = sse_env_of(cpu);
        if (in->mandatory == PFX_66)
            d.q[i] = i32_to_f64(v, &e);
        else
            d.d[i] = i32_to_f32(v, &e);
        sse_flags_add(&fl, &e);
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

/* CVTSI2SS/CVTSI2SD xmm, r/m32 or r/m64 (REX.W). */
void op_sse_cvtsi2s(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    uint64_t v = rm_read(cpu, in, in->opsize);
    xmm_t d = cpu->xmm[in->reg];
    struct sse_env e = sse_env_of(cpu);
    struct sse_flags fl = {0, 0};
    if (in->mandatory == PFX_F3)
        d.d[0] = in->opsize == 8 ? i64_to_f32(v, &e) : i32_to_f32((uint32_t)v, &e);
    else
        d.q[0] = in->opsize == 8 ? i64_to_f64(v, &e) : i32_to_f64((uint32_t)v, &e);
    sse_flags_add(&fl, &e);
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

/* CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128. */
void op_sse_cvtp2pi(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    mmx_pending_check(cpu);
    bool trunc = in->opcode == 0x2c, dbl = in->mandatory == PFX_66;
    xmm_t s = sse_rm(cpu, in, dbl ? 16 : 8, true);
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    uint64_t r = 0;
    for (unsigned i = 0; i < 2; i++) {
        uint32_t v;
        e = sse_env_of(cpu);
        if (dbl)
            v = trunc ? f64_to_i32_trunc(s.q[i], &e) : f64_to_i32(s.q[i], &e);
        else
            v = trunc ? f32_to_i32_trunc(s.d[i], &e) : f32_to_i32(s.d[i], &e);
        sse_flags_add(&fl, &e);
        r |= (uint64_t)v << (32 * i);
    }
    sse_commit_flags(cpu, &fl);
    mmx_reg_write(cpu, in->reg, r);
}

/* CVT(T)SS2SI / CVT(T)SD2SI r32/r64, xmm/m. */
void op_sse_cvts2si(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    bool trunc = in->opcode == 0x2c, dbl = in->mandatory == PFX_F2;
    xmm_t s = sse_rm(cpu, in, dbl ? 8 : 4, false);
    struct sse_env e = sse_env_of(cpu);
    struct sse_flags fl = {0, 0};
    uint64_t r;
    if (in->opsize == 8) {
        if (dbl)
            r = trunc ? f64_to_i64_trunc(s.q[0], &e) : f64_to_i64(s.q[0], &e);
        else
            r = trunc ? f32_to_i64_trunc(s.d[0], &e) : f32_to_i64(s.d[0], &e);
    } else {
        if (dbl)
            r = trunc ? f64_to_i32_trunc(s.q[0], &e) : f64_to_i32(s.q[0], &e);
        else
            r = trunc ? f32_to_i32_trunc(s.d[0], &e) : f32_to_i32(s.d[0], &e);
    }
    sse_flags_add(&fl, &e);
    sse_commit_flags(cpu, &fl);
    reg_write(cpu, in->reg, in->opsize, in->rex, r);
}

/* 0F 5A: CVTPS2PD, CVTPD2PS (upper half zeroed), CVTSS2SD, CVTSD2SS. */
void op_sse_cvt_fp(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t d = cpu->xmm[in->reg], s;
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    switch (in->mandatory) {
    case PFX_NP:
        s = sse_rm(cpu, in, 8, false);
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            d.q[i] = f32_to_f64(s.d[i], &e);
            sse_flags_add(&fl, &e);
        }
        break;
    case PFX_66:
        s = sse_rm(cpu, in, 16, true);
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            d.d[i] = f64_to_f32(s.q[i], &e);
            sse_flags_add(&fl, &e);
        }
        d.q[1] = 0;
        break;
    case PFX_F3:
        s = sse_rm(cpu, in, 4, false);
        e = sse_env_of(cpu);
        d.q[0] = f32_to_f64(s.d[0], &e);
        sse_flags_add(&fl, &e);
        break;
    default:
        s = sse_rm(cpu, in, 8, false);
        e = sse_env_of(cpu);
        d.d[0] = f64_to_f32(s.q[0], &e);
        sse_flags_add(&fl, &e);
        break;
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

/* 0F 5B: CVTDQ2PS, CVTPS2DQ, CVTTPS2DQ. */
void op_sse_cvt_dq(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true), d;
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    for (unsigned i = 0; i < 4; i++) {
        e = sse_env_of(cpu);
        if (in->mandatory == PFX_NP)
            d.d[i] = i32_to_f32(s.d[i], &e);
        else if (in->mandatory == PFX_66)
            d.d[i] = f32_to_i32(s.d[i], &e);
        else
            d.d[i] = f32_to_i32_trunc(s.d[i], &e);
        sse_flags_add(&fl, &e);
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

/* 0F E6: CVTTPD2DQ (66), CVTDQ2PD (F3, xmm/m64), CVTPD2DQ (F2). */
void op_sse_cvt_e6(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t d = {.q = {0, 0}}, s;
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    if (in->mandatory == PFX_F3) {
        s = sse_rm(cpu, in, 8, false);
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            d.q[i] = i32_to_f64(s.d[i], &e);
            sse_flags_add(&fl, &e);
        }
    } else {
        s = sse_rm(cpu, in, 16, true);
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            d.d[i] = in->mandatory == PFX_66 ? f64_to_i32_trunc(s.q[i], &e)
                                             : f64_to_i32(s.q[i], &e);
            sse_flags_add(&fl, &e);
        }
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

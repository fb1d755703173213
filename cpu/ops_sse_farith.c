/* SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic: the four-prefix
 * PS/PD/SS/SD families, approximations, bitwise logic, ADDSUB and
 * horizontal forms, ROUND, DPPS/DPPD and the blends. Every lane goes
 * through cpu/fpu_sse_float.h. */
#include "cpu/ops_sse.h"

typedef uint32_t (*f32_op)(uint32_t a, uint32_t b, struct sse_env *e);
typedef uint64_t (*f64_op)(uint64_t a, uint64_t b, struct sse_env *e);

/* PS (NP), PD (66), SS (F3), SD (F2): the scalar forms read 4 or 8 bytes
 * from memory and keep the destination's other lanes. */
static void float_binop(struct cpu *cpu, const struct insn *in, f32_op f32, f64_op f64)
{
    sse_check(cpu);
    xmm_t d = cpu->xmm[in->reg], s;
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    switch (in->mandatory) {
    case PFX_NP:
        s = sse_rm(cpu, in, 16, true);
        for (unsigned i = 0; i < 4; i++) {
            e = sse_env_of(cpu);
            d.d[i] = f32(d.d[i], s.d[i], &e);
            sse_flags_add(&fl, &e);
        }
        break;
    case PFX_66:
        s = sse_rm(cpu, in, 16, true);
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            d.q[i] = f64(d.q[i], s.q[i], &e);
            sse_flags_add(&fl, &e);
        }
        break;
    case PFX_F3:
        s = sse_rm(cpu, in, 4, false);
        e = sse_env_of(cpu);
        d.d[0] = f32(d.d[0], s.d[0], &e);
        sse_flags_add(&fl, &e);
        break;
    default:
        s = sse_rm(cpu, in, 8, false);
        e = sse_env_of(cpu);
        d.q[0] = f64(d.q[0], s.q[0], &e);
        sse_flags_add(&fl, &e);
        break;
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

static uint32_t sqrt32(uint32_t a, uint32_t b, struct sse_env *e)
{
    (void)a;
    return f32_sqrt(b, e);
}

static uint64_t sqrt64(uint64_t a, uint64_t b, struct sse_env *e)
{
    (void)a;
    return f64_sqrt(b, e);
}

void op_sse_add(struct cpu *cpu, const struct insn *in) { float_binop(cpu, in, f32_add, f64_add); }
void op_sse_sub(struct cpu *cpu, const struct insn *in) { float_binop(cpu, in, f32_sub, f64_sub); }
void op_sse_mul(struct cpu *cpu, const struct insn *in) { float_binop(cpu, in, f32_mul, f64_mul); }
void op_sse_div(struct cpu *cpu, const struct insn *in) { float_binop(cpu, in, f32_div, f64_div); }
void op_sse_min(struct cpu *cpu, const struct insn *in) { float_binop(cpu, in, f32_min, f64_min); }
void op_sse_max(struct cpu *cpu, const struct insn *in) { float_binop(cpu, in, f32_max, f64_max); }
void op_sse_sqrt(struct cpu *cpu, const struct insn *in) { float_binop(cpu, in, sqrt32, sqrt64); }

/* RCPPS/RCPSS/RSQRTPS/RSQRTSS: no exceptions, MXCSR ignored (SDM Vol.2 RCPSS). */
static void approx(struct cpu *cpu, const struct insn *in, uint32_t (*fn)(uint32_t))
{
    sse_check(cpu);
    xmm_t d = cpu->xmm[in->reg];
    if (in->mandatory == PFX_F3) {
        d.d[0] = fn(sse_rm(cpu, in, 4, false).d[0]);
    } else {
        xmm_t s = sse_rm(cpu, in, 16, true);
        for (unsigned i = 0; i < 4; i++)
            d.d[i] = fn(s.d[i]);
    }
    cpu->xmm[in->reg] = d;
}

void op_sse_rcp(struct cpu *cpu, const struct insn *in) { approx(cpu, in, f32_rcp_approx); }
void op_sse_rsqrt(struct cpu *cpu, const struct insn *in) { approx(cpu, in, f32_rsqrt_approx); }

/* 0F 54-57: AND, ANDN, OR, XOR PS/PD: plain bitwise, no float checks. */
void op_sse_logic(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true);
    xmm_t *d = &cpu->xmm[in->reg];
    for (unsigned i = 0; i < 2; i++) {
        switch (in->opcode) {
        case 0x54: d->q[i] &= s.q[i]; break;
        case 0x55: d->q[i] = ~d->q[i] & s.q[i]; break;
        case 0x56: d->q[i] |= s.q[i]; break;
        default: d->q[i] ^= s.q[i]; break;
        }
    }
}

/* ADDSUBPS/ADDSUBPD: even lanes subtract, odd lanes add (SDM Vol.2 ADDSUBPS). */
void op_sse_addsub(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t d = cpu->xmm[in->reg], s = sse_rm(cpu, in, 16, true);
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    if (in->mandatory == PFX_66) {
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            d.q[i] = (i & 1) ? f64_add(d.q[i], s.q[i], &e) : f64_sub(d.q[i], s.q[i], &e);
            sse_flags_add(&fl, &e);
        }
    } else {
        for (unsigned i = 0; i < 4; i++) {
            e = sse_env_of(cpu);
            d.d[i] = (i & 1) ? f32_add(d.d[i], s.d[i], &e) : f32_sub(d.d[i], s.d[i], &e);
            sse_flags_add(&fl, &e);
        }
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

/* HADDPS/HADDPD/HSUBPS/HSUBPD: pairs of the destination fill the low
 * lanes, pairs of the source the high lanes (SDM Vol.2 HADDPS). */
static void horizontal(struct cpu *cpu, const struct insn *in, f32_op f32, f64_op f64)
{
    sse_check(cpu);
    xmm_t d = cpu->xmm[in->reg], s = sse_rm(cpu, in, 16, true), r;
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    if (in->mandatory == PFX_66) {
        const uint64_t *src[2] = {d.q, s.q};
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            r.q[i] = f64(src[i][0], src[i][1], &e);
            sse_flags_add(&fl, &e);
        }
    } else {
        const uint32_t *src[2] = {d.d, s.d};
        for (unsigned i = 0; i < 4; i++) {
            e = sse_env_of(cpu);
            const uint32_t *p = src[i >> 1] + 2 * (i & 1);
            r.d[i] = f32(p[0], p[1], &e);
            sse_flags_add(&fl, &e);
        }
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = r;
}

void op_sse_hadd(struct cpu *cpu, const struct insn *in) { horizontal(cpu, in, f32_add, f64_add); }
void op_sse_hsub(struct cpu *cpu, const struct insn *in) { horizontal(cpu, in, f32_sub, f64_sub); }

/* ROUNDPS/PD/SS/SD (66 0F3A 08-0B). */
void op_sse_round(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    unsigned imm = (unsigned)in->imm & 0xf;
    xmm_t d = cpu->xmm[in->reg], s;
    struct sse_flags fl = {0, 0};
    struct sse_env e;
    switch (in->opcode) {
    case 0x08:
        s = sse_rm(cpu, in, 16, true);
        for (unsigned i = 0; i < 4; i++) {
            e = sse_env_of(cpu);
            d.d[i] = f32_round(s.d[i], imm, &e);
            sse_flags_add(&fl, &e);
        }
        break;
    case 0x09:
        s = sse_rm(cpu, in, 16, true);
        for (unsigned i = 0; i < 2; i++) {
            e = sse_env_of(cpu);
            d.q[i] = f64_round(s.q[i], imm, &e);
            sse_flags_add(&fl, &e);
        }
        break;
    case 0x0a:
        s = sse_rm(cpu, in, 4, false);
        e = sse_env_of(cpu);
        d.d[0] = f32_round(s.d[0], imm, &e);
        sse_flags_add(&fl, &e);
        break;
    default:
        s = sse_rm(cpu, in, 8, false);
        e = sse_env_of(cpu);
        d.q[0] = f64_round(s.q[0], imm, &e);
        sse_flags_add(&fl, &e);
        break;
    }
    sse_commit_flags(cpu, &fl);
    cpu->xmm[in->reg] = d;
}

/* DPPS/DPPD run as dependent stages (multiplies, then the additions), each
 * behaving like one SIMD operation for exceptions: an unmasked exception in
 * a stage faults before the next stage runs, as the host CPU does. The
 * operand order of each addition per destination lane follows
 * cpu/fpu_sse_float.h (it only decides which NaN propagates). */
static uint32_t f32_lane_op(f32_op op, uint32_t a, uint32_t b, const struct cpu *cpu,
                            struct sse_flags *fl)
{
    struct sse_env e = sse_env_of(cpu);
    uint32_t r = op(a, b, &e);
    sse_flags_add(fl, &e);
    return r;
}

static uint64_t f64_lane_op(f64_op op, uint64_t a, uint64_t b, const struct cpu *cpu,
                            struct sse_flags *fl)
{
    struct sse_env e = sse_env_of(cpu);
    uint64_t r = op(a, b, &e);
    sse_flags_add(fl, &e);
    return r;
}

void op_sse_dpps(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t d = cpu->xmm[in->reg], s = sse_rm(cpu, in, 16, true), r;
    unsigned imm = (unsigned)in->imm & 0xff;
    uint32_t t[4];
    struct sse_flags fl = {0, 0};
    for (unsigned i = 0; i < 4; i++)
        t[i] = (imm & (0x10u << i)) ? f32_lane_op(f32_mul, d.d[i], s.d[i], cpu, &fl) : 0;
    sse_commit_flags(cpu, &fl);
    /* Pair sums in both operand orders: [0] for even lanes, [1] for odd. */
    uint32_t s01[2], s23[2], sum[4];
    fl = (struct sse_flags){0, 0};
    s01[0] = f32_lane_op(f32_add, t[1], t[0], cpu, &fl);
    s23[0] = f32_lane_op(f32_add, t[3], t[2], cpu, &fl);
    s01[1] = f32_lane_op(f32_add, t[0], t[1], cpu, &fl);
    s23[1] = f32_lane_op(f32_add, t[2], t[3], cpu, &fl);
    sse_commit_flags(cpu, &fl);
    fl = (struct sse_flags){0, 0};
    for (unsigned k = 0; k < 4; k++)
        sum[k] = k < 2 ? f32_lane_op(f32_add, s01[k & 1], s23[k & 1], cpu, &fl)
                       : f32_lane_op(f32_add, s23[k & 1], s01[k & 1], cpu, &fl);
    sse_commit_flags(cpu, &fl);
    for (unsigned k = 0; k < 4; k++)
        r.d[k] = (imm & (1u << k)) ? sum[k] : 0;
    cpu->xmm[in->reg] = r;
}

void op_sse_dppd(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t d = cpu->xmm[in->reg], s = sse_rm(cpu, in, 16, true), r;
    unsigned imm = (unsigned)in->imm & 0xff;
    uint64_t t[2], sum[2];
    struct sse_flags fl = {0, 0};
    for (unsigned i = 0; i < 2; i++)
        t[i] = (imm & (0x10u << i)) ? f64_lane_op(f64_mul, d.q[i], s.q[i], cpu, &fl) : 0;
    sse_commit_flags(cpu, &fl);
    fl = (struct sse_flags){0, 0};
    sum[0] = f64_lane_op(f64_add, t[0], t[1], cpu, &fl);
    sum[1] = f64_lane_op(f64_add, t[1], t[0], cpu, &fl);
    sse_commit_flags(cpu, &fl);
    for (unsigned k = 0; k < 2; k++)
        r.q[k] = (imm & (1u << k)) ? sum[k] : 0;
    cpu->xmm[in->reg] = r;
}

/* BLENDPS/BLENDPD/PBLENDW: the immediate selects source lanes. */
void op_sse_blend(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true);
    xmm_t *d = &cpu->xmm[in->reg];
    unsigned imm = (unsigned)in->imm;
    switch (in->opcode) {
    case 0x0c:
        for (unsigned i = 0; i < 4; i++)
            if (imm & (1u << i))
                d->d[i] = s.d[i];
        break;
    case 0x0d:
        for (unsigned i = 0; i < 2; i++)
            if (imm & (1u << i))
                d->q[i] = s.q[i];
        break;
    default:
        for (unsigned i = 0; i < 8; i++)
            if (imm & (1u << i))
                d->w[i] = s.w[i];
        break;
    }
}

/* PBLENDVB/BLENDVPS/BLENDVPD: the top bit of each XMM0 lane selects. */
void op_sse_blendv(struct cpu *cpu, const struct insn *in)
{
    sse_check(cpu);
    xmm_t s = sse_rm(cpu, in, 16, true);
    xmm_t m = cpu->xmm[0];
    xmm_t *d = &cpu->xmm[in->reg];
    switch (in->opcode) {
    case 0x10:
        for (unsigned i = 0; i < 16; i++)
            if (m.b[i] & 0x80)
                d->b[i] = s.b[i];
        break;
    case 0x14:
        for (unsigned i = 0; i < 4; i++)
            if (m.d[i] >> 31)
                d->d[i] = s.d[i];
        break;
    default:
        for (unsigned i = 0; i < 2; i++)
            if (m.q[i] >> 63)
                d->q[i] = s.q[i];
        break;
    }
}

/* Specialized forms of the hottest integer instructions (cpu/specialize.h):
 * the ALU group, TEST, MOV, INC/DEC, LEA and Jcc, with the operation and
 * the operand size fixed at compile time so that the flag computation
 * folds to a few host instructions and the size switches disappear. Only
 * 32- and 64-bit operand sizes are specialized: byte registers (AH..BH)
 * and 16-bit merges stay with the generic handlers. Each handler computes
 * what its generic counterpart in ops_arith.c / ops_mov.c / ops_branch.c
 * computes; the unit tests and host-CPU oracles decode through
 * insn_specialize() and so check these forms too. */
#include <string.h>

#include "cpu/opcodes.h"
#include "cpu/ops_int.h"
#include "cpu/specialize.h"

#define FAST static inline __attribute__((always_inline))

/* Host pointer of a read-modify-write memory destination when the TLB
 * grants the write without a walk, else NULL (the caller then runs the
 * generic handler, which faults or takes the slow path). The segment checks
 * come first, exactly as in mem_probe_write(). A writable TLB entry is
 * always readable too (tlb_fill only grants W with R). */
FAST void *rmw_host_ptr(struct cpu *cpu, const struct insn *in, unsigned size)
{
    uint64_t lin = seg_linear(cpu, in->seg, insn_ea(cpu, in), size, ACC_WRITE);
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    if (__builtin_expect(e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000 - size, 1))
        return (void *)(uintptr_t)(lin + e->addend);
    return NULL;
}

FAST uint64_t host_load(const void *p, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, p, size); /* little-endian host (x86-64, aarch64) */
    return v;
}

FAST void host_store(void *p, uint64_t v, unsigned size)
{
    memcpy(p, &v, size);
}

FAST uint64_t ea_read(struct cpu *cpu, const struct insn *in, unsigned size)
{
    return mem_read(cpu, in->seg, insn_ea(cpu, in), size);
}

/* Register write for 32/64-bit sizes: a 32-bit write zero-extends
 * (SDM Vol.1 3.4.1.1). */
FAST void gpr_set(struct cpu *cpu, unsigned reg, unsigned size, uint64_t v)
{
    cpu->gpr[reg] = size == 4 ? (uint32_t)v : v;
}

/* ---- ALU group: ADD OR ADC SBB AND SUB XOR CMP ---- */

#define ALU_FORMS(OP, SZ)                                                                  \
    static void alu_rmr_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t r = alu_compute(cpu, OP, cpu->gpr[in->rm], cpu->gpr[in->reg], SZ);        \
        if (OP != ALU_CMP)                                                                 \
            gpr_set(cpu, in->rm, SZ, r);                                                   \
    }                                                                                      \
    static void alu_rrm_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t r = alu_compute(cpu, OP, cpu->gpr[in->reg], cpu->gpr[in->rm], SZ);        \
        if (OP != ALU_CMP)                                                                 \
            gpr_set(cpu, in->reg, SZ, r);                                                  \
    }                                                                                      \
    static void alu_rrm_mem_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t b = ea_read(cpu, in, SZ);                                                 \
        uint64_t r = alu_compute(cpu, OP, cpu->gpr[in->reg], b, SZ);                       \
        if (OP != ALU_CMP)                                                                 \
            gpr_set(cpu, in->reg, SZ, r);                                                  \
    }                                                                                      \
    static void alu_rmr_mem_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        if (OP == ALU_CMP) {                                                               \
            alu_compute(cpu, OP, ea_read(cpu, in, SZ), cpu->gpr[in->reg], SZ);             \
            return;                                                                        \
        }                                                                                  \
        void *p = rmw_host_ptr(cpu, in, SZ);                                               \
        if (!p) {                                                                          \
            op_alu_rm_r(cpu, in);                                                          \
            return;                                                                        \
        }                                                                                  \
        host_store(p, alu_compute(cpu, OP, host_load(p, SZ), cpu->gpr[in->reg], SZ), SZ);  \
    }                                                                                      \
    static void alu_rmi_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t r = alu_compute(cpu, OP, cpu->gpr[in->rm], in->imm, SZ);                  \
        if (OP != ALU_CMP)                                                                 \
            gpr_set(cpu, in->rm, SZ, r);                                                   \
    }                                                                                      \
    static void alu_rmi_mem_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        if (OP == ALU_CMP) {                                                               \
            alu_compute(cpu, OP, ea_read(cpu, in, SZ), in->imm, SZ);                       \
            return;                                                                        \
        }                                                                                  \
        void *p = rmw_host_ptr(cpu, in, SZ);                                               \
        if (!p) {                                                                          \
            op_alu_rm_imm(cpu, in);                                                        \
            return;                                                                        \
        }                                                                                  \
        host_store(p, alu_compute(cpu, OP, host_load(p, SZ), in->imm, SZ), SZ);            \
    }                                                                                      \
    static void alu_ai_##OP##_##SZ(struct cpu *cpu, const struct insn *in)                 \
    {                                                                                      \
        uint64_t r = alu_compute(cpu, OP, cpu->gpr[R_AX], in->imm, SZ);                    \
        if (OP != ALU_CMP)                                                                 \
            gpr_set(cpu, R_AX, SZ, r);                                                     \
    }

#define ALU_SIZES(OP) ALU_FORMS(OP, 4) ALU_FORMS(OP, 8)
ALU_SIZES(0) ALU_SIZES(1) ALU_SIZES(2) ALU_SIZES(3)
ALU_SIZES(4) ALU_SIZES(5) ALU_SIZES(6) ALU_SIZES(7)

enum { F_RMR_REG, F_RRM_REG, F_RRM_MEM, F_RMR_MEM, F_RMI_REG, F_RMI_MEM, F_AI, ALU_FORM_COUNT };

#define ALU_ROW(OP)                                                                        \
    {{alu_rmr_reg_##OP##_4, alu_rmr_reg_##OP##_8}, {alu_rrm_reg_##OP##_4, alu_rrm_reg_##OP##_8}, \
     {alu_rrm_mem_##OP##_4, alu_rrm_mem_##OP##_8}, {alu_rmr_mem_##OP##_4, alu_rmr_mem_##OP##_8}, \
     {alu_rmi_reg_##OP##_4, alu_rmi_reg_##OP##_8}, {alu_rmi_mem_##OP##_4, alu_rmi_mem_##OP##_8}, \
     {alu_ai_##OP##_4, alu_ai_##OP##_8}}

static const insn_handler alu_fast[8][ALU_FORM_COUNT][2] = {
    ALU_ROW(0), ALU_ROW(1), ALU_ROW(2), ALU_ROW(3),
    ALU_ROW(4), ALU_ROW(5), ALU_ROW(6), ALU_ROW(7),
};

/* ---- TEST ---- */

#define TEST_FORMS(SZ)                                                                     \
    static void test_rr_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, cpu->gpr[in->rm], cpu->gpr[in->reg], SZ);                \
    }                                                                                      \
    static void test_mr_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, ea_read(cpu, in, SZ), cpu->gpr[in->reg], SZ);            \
    }                                                                                      \
    static void test_ri_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, cpu->gpr[in->rm], in->imm, SZ);                          \
    }                                                                                      \
    static void test_mi_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, ea_read(cpu, in, SZ), in->imm, SZ);                      \
    }                                                                                      \
    static void test_ai_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, cpu->gpr[R_AX], in->imm, SZ);                            \
    }
TEST_FORMS(4)
TEST_FORMS(8)

/* ---- MOV, LEA ---- */

#define MOV_FORMS(SZ)                                                                      \
    static void mov_rr_##SZ(struct cpu *cpu, const struct insn *in)                        \
    {                                                                                      \
        gpr_set(cpu, in->rm, SZ, cpu->gpr[in->reg]);                                       \
    }                                                                                      \
    static void mov_rrm_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        gpr_set(cpu, in->reg, SZ, cpu->gpr[in->rm]);                                       \
    }                                                                                      \
    static void mov_store_##SZ(struct cpu *cpu, const struct insn *in)                     \
    {                                                                                      \
        mem_write(cpu, in->seg, insn_ea(cpu, in), cpu->gpr[in->reg], SZ);                  \
    }                                                                                      \
    static void mov_load_##SZ(struct cpu *cpu, const struct insn *in)                      \
    {                                                                                      \
        gpr_set(cpu, in->reg, SZ, ea_read(cpu, in, SZ));                                   \
    }                                                                                      \
    static void mov_ri_##SZ(struct cpu *cpu, const struct insn *in)                        \
    {                                                                                      \
        gpr_set(cpu, in->reg, SZ, in->imm);                                                \
    }                                                                                      \
    static void mov_rmi_reg_##SZ(struct cpu *cpu, const struct insn *in)                   \
    {                                                                                      \
        gpr_set(cpu, in->rm, SZ, in->imm);                                                 \
    }                                                                                      \
    static void mov_rmi_mem_##SZ(struct cpu *cpu, const struct insn *in)                   \
    {                                                                                      \
        mem_write(cpu, in->seg, insn_ea(cpu, in), in->imm, SZ);                            \
    }                                                                                      \
    static void lea_##SZ(struct cpu *cpu, const struct insn *in)                           \
    {                                                                                      \
        gpr_set(cpu, in->reg, SZ, insn_ea(cpu, in));                                       \
    }
MOV_FORMS(4)
MOV_FORMS(8)

/* ---- INC/DEC: CF unchanged (SDM Vol.2 INC, DEC) ---- */

FAST uint64_t inc_dec_fast(struct cpu *cpu, uint64_t a, bool dec, unsigned sz)
{
    uint64_t r = dec ? a - 1 : a + 1;
    uint32_t f = dec ? flags_sub(a, 1, 0, r, sz) : flags_add(a, 1, 0, r, sz);
    set_flags_masked(cpu, F_ARITH & ~F_CF, f);
    return r;
}

#define INCDEC_FORMS(SZ)                                                                   \
    static void inc_r_##SZ(struct cpu *cpu, const struct insn *in)                         \
    {                                                                                      \
        gpr_set(cpu, in->reg, SZ, inc_dec_fast(cpu, cpu->gpr[in->reg], false, SZ));        \
    }                                                                                      \
    static void dec_r_##SZ(struct cpu *cpu, const struct insn *in)                         \
    {                                                                                      \
        gpr_set(cpu, in->reg, SZ, inc_dec_fast(cpu, cpu->gpr[in->reg], true, SZ));         \
    }                                                                                      \
    static void inc_rm_reg_##SZ(struct cpu *cpu, const struct insn *in)                    \
    {                                                                                      \
        gpr_set(cpu, in->rm, SZ, inc_dec_fast(cpu, cpu->gpr[in->rm], false, SZ));          \
    }                                                                                      \
    static void dec_rm_reg_##SZ(struct cpu *cpu, const struct insn *in)                    \
    {                                                                                      \
        gpr_set(cpu, in->rm, SZ, inc_dec_fast(cpu, cpu->gpr[in->rm], true, SZ));           \
    }
INCDEC_FORMS(4)
INCDEC_FORMS(8)

/* ---- Jcc with the condition fixed ---- */

#define JCC(CC)                                                                            \
    static void jcc_##CC(struct cpu *cpu, const struct insn *in)                           \
    {                                                                                      \
        if (cond_true(cpu->rflags, CC))                                                    \
            branch_to(cpu, cpu->next_rip + in->imm, in->opsize);                           \
    }
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)

static const insn_handler jcc_fast[16] = {
    jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
    jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15,
};

#define BY_SIZE(s, name) ((s) ? name##_8 : name##_4)

insn_handler alu_specialize(const struct insn *in)
{
    insn_handler fn = in->fn;
    if (fn == op_jcc)
        return jcc_fast[in->opcode & 15];
    if (in->opsize != 4 && in->opsize != 8)
        return NULL;
    unsigned s = in->opsize == 8;
    bool reg = in->mod == 3;
    if (fn == op_alu_rm_r)
        return alu_fast[(in->opcode >> 3) & 7][reg ? F_RMR_REG : F_RMR_MEM][s];
    if (fn == op_alu_r_rm)
        return alu_fast[(in->opcode >> 3) & 7][reg ? F_RRM_REG : F_RRM_MEM][s];
    if (fn == op_alu_rm_imm)
        return alu_fast[(in->modrm >> 3) & 7][reg ? F_RMI_REG : F_RMI_MEM][s];
    if (fn == op_alu_a_imm)
        return alu_fast[(in->opcode >> 3) & 7][F_AI][s];
    if (fn == op_test_rm_r)
        return reg ? BY_SIZE(s, test_rr) : BY_SIZE(s, test_mr);
    if (fn == op_test_rm_imm)
        return reg ? BY_SIZE(s, test_ri) : BY_SIZE(s, test_mi);
    if (fn == op_test_a_imm)
        return BY_SIZE(s, test_ai);
    if (fn == op_mov_rm_r)
        return reg ? BY_SIZE(s, mov_rr) : BY_SIZE(s, mov_store);
    if (fn == op_mov_r_rm)
        return reg ? BY_SIZE(s, mov_rrm) : BY_SIZE(s, mov_load);
    if (fn == op_mov_r_imm)
        return BY_SIZE(s, mov_ri);
    if (fn == op_mov_rm_imm)
        return reg ? BY_SIZE(s, mov_rmi_reg) : BY_SIZE(s, mov_rmi_mem);
    if (fn == op_lea)
        return BY_SIZE(s, lea);
    if (fn == op_inc_r)
        return BY_SIZE(s, inc_r);
    if (fn == op_dec_r)
        return BY_SIZE(s, dec_r);
    if (fn == op_inc_rm && reg)
        return BY_SIZE(s, inc_rm_reg);
    if (fn == op_dec_rm && reg)
        return BY_SIZE(s, dec_rm_reg);
    return NULL;
}

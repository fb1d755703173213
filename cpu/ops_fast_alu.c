/* Specialized forms of the hottest integer instructions (cpu/specialize.h):
 * the ALU group, TEST, MOV, MOVZX/MOVSX, INC/DEC, LEA and Jcc, with the
 * operation and the operand size fixed at compile time so that the flag
 * computation folds to a few host instructions and the size switches
 * disappear. Each
 * handler computes what its generic counterpart in ops_arith.c / ops_mov.c /
 * ops_branch.c computes; the unit tests and host-CPU oracles decode through
 * insn_specialize() and so check these forms too. */
#include <string.h>

#include "cpu/opcodes.h"
#include "cpu/ops_int.h"
#include "cpu/specialize.h"

#define FAST FAST_INLINE

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

/* ---- ALU group: ADD OR ADC SBB AND SUB XOR CMP ---- */

#define ALU_FORMS(OP, SZ)                                                                  \
    static void alu_rmr_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t r = alu_compute(cpu, OP, reg_read(cpu, in->rm, SZ, in->rex), reg_read(cpu, in->reg, SZ, in->rex), SZ);        \
        if (OP != ALU_CMP)                                                                 \
            reg_write(cpu, in->rm, SZ, in->rex, r);                                                   \
    }                                                                                      \
    static void alu_rrm_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t r = alu_compute(cpu, OP, reg_read(cpu, in->reg, SZ, in->rex), reg_read(cpu, in->rm, SZ, in->rex), SZ);        \
        if (OP != ALU_CMP)                                                                 \
            reg_write(cpu, in->reg, SZ, in->rex, r);                                                  \
    }                                                                                      \
    static void alu_rrm_mem_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t b = ea_read(cpu, in, SZ);                                                 \
        uint64_t r = alu_compute(cpu, OP, reg_read(cpu, in->reg, SZ, in->rex), b, SZ);                       \
        if (OP != ALU_CMP)                                                                 \
            reg_write(cpu, in->reg, SZ, in->rex, r);                                                  \
    }                                                                                      \
    static void alu_rmr_mem_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        if (OP == ALU_CMP) {                                                               \
            alu_compute(cpu, OP, ea_read(cpu, in, SZ), reg_read(cpu, in->reg, SZ, in->rex), SZ);             \
            return;                                                                        \
        }                                                                                  \
        void *p = rmw_host_ptr(cpu, in, SZ);                                               \
        if (!p) {                                                                          \
            op_alu_rm_r(cpu, in);                                                          \
            return;                                                                        \
        }                                                                                  \
        host_store(p, alu_compute(cpu, OP, host_load(p, SZ), reg_read(cpu, in->reg, SZ, in->rex), SZ), SZ);  \
    }                                                                                      \
    static void alu_rmi_reg_##OP##_##SZ(struct cpu *cpu, const struct insn *in)            \
    {                                                                                      \
        uint64_t r = alu_compute(cpu, OP, reg_read(cpu, in->rm, SZ, in->rex), in->imm, SZ);                  \
        if (OP != ALU_CMP)                                                                 \
            reg_write(cpu, in->rm, SZ, in->rex, r);                                                   \
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
        uint64_t r = alu_compute(cpu, OP, reg_read(cpu, R_AX, SZ, 1), in->imm, SZ);                    \
        if (OP != ALU_CMP)                                                                 \
            reg_write(cpu, R_AX, SZ, 1, r);                                                     \
    }

#define ALU_SIZES(OP) ALU_FORMS(OP, 1) ALU_FORMS(OP, 2) ALU_FORMS(OP, 4) ALU_FORMS(OP, 8)
ALU_SIZES(0) ALU_SIZES(1) ALU_SIZES(2) ALU_SIZES(3)
ALU_SIZES(4) ALU_SIZES(5) ALU_SIZES(6) ALU_SIZES(7)

enum { F_RMR_REG, F_RRM_REG, F_RRM_MEM, F_RMR_MEM, F_RMI_REG, F_RMI_MEM, F_AI, ALU_FORM_COUNT };

#define SIZES(name) {name##_1, name##_2, name##_4, name##_8}
#define ALU_ROW(OP)                                                                        \
    {SIZES(alu_rmr_reg_##OP), SIZES(alu_rrm_reg_##OP), SIZES(alu_rrm_mem_##OP),            \
     SIZES(alu_rmr_mem_##OP), SIZES(alu_rmi_reg_##OP), SIZES(alu_rmi_mem_##OP),            \
     SIZES(alu_ai_##OP)}

static const insn_handler alu_fast[8][ALU_FORM_COUNT][4] = {
    ALU_ROW(0), ALU_ROW(1), ALU_ROW(2), ALU_ROW(3),
    ALU_ROW(4), ALU_ROW(5), ALU_ROW(6), ALU_ROW(7),
};

/* ---- TEST ---- */

#define TEST_FORMS(SZ)                                                                     \
    static void test_rr_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, reg_read(cpu, in->rm, SZ, in->rex), reg_read(cpu, in->reg, SZ, in->rex), SZ);                \
    }                                                                                      \
    static void test_mr_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, ea_read(cpu, in, SZ), reg_read(cpu, in->reg, SZ, in->rex), SZ);            \
    }                                                                                      \
    static void test_ri_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, reg_read(cpu, in->rm, SZ, in->rex), in->imm, SZ);                          \
    }                                                                                      \
    static void test_mi_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, ea_read(cpu, in, SZ), in->imm, SZ);                      \
    }                                                                                      \
    static void test_ai_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        alu_compute(cpu, ALU_AND, reg_read(cpu, R_AX, SZ, 1), in->imm, SZ);                            \
    }
TEST_FORMS(1)
TEST_FORMS(2)
TEST_FORMS(4)
TEST_FORMS(8)

/* ---- MOV, LEA ---- */

#define MOV_FORMS(SZ)                                                                      \
    static void mov_rr_##SZ(struct cpu *cpu, const struct insn *in)                        \
    {                                                                                      \
        reg_write(cpu, in->rm, SZ, in->rex, reg_read(cpu, in->reg, SZ, in->rex));                                       \
    }                                                                                      \
    static void mov_rrm_##SZ(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        reg_write(cpu, in->reg, SZ, in->rex, reg_read(cpu, in->rm, SZ, in->rex));                                       \
    }                                                                                      \
    static void mov_store_##SZ(struct cpu *cpu, const struct insn *in)                     \
    {                                                                                      \
        mem_write(cpu, in->seg, insn_ea(cpu, in), reg_read(cpu, in->reg, SZ, in->rex), SZ);                  \
    }                                                                                      \
    static void mov_load_##SZ(struct cpu *cpu, const struct insn *in)                      \
    {                                                                                      \
        reg_write(cpu, in->reg, SZ, in->rex, ea_read(cpu, in, SZ));                                   \
    }                                                                                      \
    static void mov_ri_##SZ(struct cpu *cpu, const struct insn *in)                        \
    {                                                                                      \
        reg_write(cpu, in->reg, SZ, in->rex, in->imm);                                                \
    }                                                                                      \
    static void mov_rmi_reg_##SZ(struct cpu *cpu, const struct insn *in)                   \
    {                                                                                      \
        reg_write(cpu, in->rm, SZ, in->rex, in->imm);                                                 \
    }                                                                                      \
    static void mov_rmi_mem_##SZ(struct cpu *cpu, const struct insn *in)                   \
    {                                                                                      \
        mem_write(cpu, in->seg, insn_ea(cpu, in), in->imm, SZ);                            \
    }                                                                                      \
    static void lea_##SZ(struct cpu *cpu, const struct insn *in)                           \
    {                                                                                      \
        reg_write(cpu, in->reg, SZ, in->rex, insn_ea(cpu, in));                                       \
    }
MOV_FORMS(1)
MOV_FORMS(2)
MOV_FORMS(4)
MOV_FORMS(8)

/* ---- MOVZX/MOVSX: SS is the source size (0F B6/BE byte, B7/BF word) ---- */

#define MOVX_FORMS(SS, SZ)                                                                 \
    static void movzx_reg_##SS##_##SZ(struct cpu *cpu, const struct insn *in)              \
    {                                                                                      \
        reg_write(cpu, in->reg, SZ, in->rex, reg_read(cpu, in->rm, SS, in->rex));          \
    }                                                                                      \
    static void movzx_mem_##SS##_##SZ(struct cpu *cpu, const struct insn *in)              \
    {                                                                                      \
        reg_write(cpu, in->reg, SZ, in->rex, ea_read(cpu, in, SS));                        \
    }                                                                                      \
    static void movsx_reg_##SS##_##SZ(struct cpu *cpu, const struct insn *in)              \
    {                                                                                      \
        uint64_t v = (uint64_t)sign_extend(reg_read(cpu, in->rm, SS, in->rex), SS);        \
        reg_write(cpu, in->reg, SZ, in->rex, v);                                           \
    }                                                                                      \
    static void movsx_mem_##SS##_##SZ(struct cpu *cpu, const struct insn *in)              \
    {                                                                                      \
        uint64_t v = (uint64_t)sign_extend(ea_read(cpu, in, SS), SS);                      \
        reg_write(cpu, in->reg, SZ, in->rex, v);                                           \
    }
MOVX_FORMS(1, 2)
MOVX_FORMS(1, 4)
MOVX_FORMS(1, 8)
MOVX_FORMS(2, 2)
MOVX_FORMS(2, 4)
MOVX_FORMS(2, 8)

/* [zero/sign][source word][register form][size index: 2, 4, 8] */
static const insn_handler movx_fast[2][2][2][3] = {
    {{{movzx_mem_1_2, movzx_mem_1_4, movzx_mem_1_8}, {movzx_reg_1_2, movzx_reg_1_4, movzx_reg_1_8}},
     {{movzx_mem_2_2, movzx_mem_2_4, movzx_mem_2_8}, {movzx_reg_2_2, movzx_reg_2_4, movzx_reg_2_8}}},
    {{{movsx_mem_1_2, movsx_mem_1_4, movsx_mem_1_8}, {movsx_reg_1_2, movsx_reg_1_4, movsx_reg_1_8}},
     {{movsx_mem_2_2, movsx_mem_2_4, movsx_mem_2_8}, {movsx_reg_2_2, movsx_reg_2_4, movsx_reg_2_8}}},
};

/* ---- INC/DEC: CF unchanged (SDM Vol.2 INC, DEC) ---- */

FAST uint64_t inc_dec_fast(struct cpu *cpu, uint64_t a, bool dec, unsigned sz)
{
    uint64_t r = dec ? a - 1 : a + 1;
    uint32_t f = dec ? flags_sub(a, 1, 0, r, sz) : flags_add(a, 1, 0, r, sz);
    set_flags_masked(cpu, F_ARITH & ~F_CF, f);
    return r;
}

#define INCDEC_FORM(NAME, R, DEC, SZ)                                                      \
    static void NAME##_##SZ(struct cpu *cpu, const struct insn *in)                        \
    {                                                                                      \
        uint64_t r = inc_dec_fast(cpu, reg_read(cpu, in->R, SZ, in->rex), DEC, SZ);        \
        reg_write(cpu, in->R, SZ, in->rex, r);                                             \
    }
#define INCDEC_FORMS(SZ)                                                                   \
    INCDEC_FORM(inc_r, reg, false, SZ)                                                     \
    INCDEC_FORM(dec_r, reg, true, SZ)                                                      \
    INCDEC_FORM(inc_rm_reg, rm, false, SZ)                                                 \
    INCDEC_FORM(dec_rm_reg, rm, true, SZ)
INCDEC_FORMS(1)
INCDEC_FORMS(2)
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

#define BY_SIZE(s, name) ((const insn_handler[4])SIZES(name))[s]

/* Operand size 1/2/4/8 as an index 0..3, or -1. */
static int size_index(const struct insn *in)
{
    switch (in->opsize) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    default: return -1;
    }
}


/* ---- Memory operands with 64-bit addressing, effective-address form fixed
 * at decode time: base + disp (EA_B), base + index * scale + disp (EA_BI) or
 * RIP + disp (EA_R), and no FS/GS override, so the linear address is
 * the effective address (SDM Vol.3A 3.4.4: only FS and GS bases apply in
 * 64-bit mode). The canonical check is folded into the TLB tag compare:
 * tags are canonical page addresses or TLB_TAG_INVALID, so a non-canonical
 * address never hits, and the in-page test keeps the last byte on the same
 * page. A miss runs the fast form above, which makes the checks in the
 * generic order and takes the slow path (walk, fault, MMIO, #AC, data
 * breakpoints: none of them ever has a hit in the TLB). ---- */

#define EA_B(cpu, in) ((cpu)->gpr[(in)->base] + (uint64_t)(int64_t)(in)->disp)
#define EA_BI(cpu, in) (EA_B(cpu, in) + ((cpu)->gpr[(in)->index] << (in)->scale))
/* RIP-relative: the next instruction's address + disp (SDM Vol.2 2.2.1.6). */
#define EA_R(cpu, in) ((cpu)->next_rip + (uint64_t)(int64_t)(in)->disp)

FAST const void *tlb_read_ptr(struct cpu *cpu, uint64_t lin, unsigned size)
{
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    if (__builtin_expect(e->tag_read == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000 - size, 1))
        return (const void *)(uintptr_t)(lin + e->addend);
    return NULL;
}

FAST void *tlb_write_ptr(struct cpu *cpu, uint64_t lin, unsigned size)
{
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    if (__builtin_expect(e->tag_write == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000 - size, 1))
        return (void *)(uintptr_t)(lin + e->addend);
    return NULL;
}

#define EA_MOV_FORMS(EA, SZ)                                                               \
    static void mov_load_##EA##_##SZ(struct cpu *cpu, const struct insn *in)               \
    {                                                                                      \
        const void *p = tlb_read_ptr(cpu, EA_##EA(cpu, in), SZ);                           \
        if (__builtin_expect(!p, 0)) {                                                     \
            mov_load_##SZ(cpu, in);                                                        \
            return;                                                                        \
        }                                                                                  \
        reg_write(cpu, in->reg, SZ, in->rex, host_load(p, SZ));                            \
    }                                                                                      \
    static void mov_store_##EA##_##SZ(struct cpu *cpu, const struct insn *in)              \
    {                                                                                      \
        void *p = tlb_write_ptr(cpu, EA_##EA(cpu, in), SZ);                                \
        if (__builtin_expect(!p, 0)) {                                                     \
            mov_store_##SZ(cpu, in);                                                       \
            return;                                                                        \
        }                                                                                  \
        host_store(p, reg_read(cpu, in->reg, SZ, in->rex), SZ);                            \
    }
#define EA_MOV_SIZES(EA) EA_MOV_FORMS(EA, 1) EA_MOV_FORMS(EA, 2) EA_MOV_FORMS(EA, 4) \
    EA_MOV_FORMS(EA, 8)
EA_MOV_SIZES(B)
EA_MOV_SIZES(BI)
EA_MOV_SIZES(R)

/* LEA r32/r64 (no memory access, no segment: the EA alone). */
#define EA_LEA_FORMS(EA)                                                                   \
    static void lea_##EA##_4(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        reg_write(cpu, in->reg, 4, in->rex, EA_##EA(cpu, in));                             \
    }                                                                                      \
    static void lea_##EA##_8(struct cpu *cpu, const struct insn *in)                       \
    {                                                                                      \
        reg_write(cpu, in->reg, 8, in->rex, EA_##EA(cpu, in));                             \
    }
EA_LEA_FORMS(B)
EA_LEA_FORMS(BI)
EA_LEA_FORMS(R)

/* MOVZX r32/r64, byte or word [mem] */
#define EA_MOVZX_FORMS(EA, SS, SZ)                                                         \
    static void movzx_mem_##EA##_##SS##_##SZ(struct cpu *cpu, const struct insn *in)       \
    {                                                                                      \
        const void *p = tlb_read_ptr(cpu, EA_##EA(cpu, in), SS);                           \
        if (__builtin_expect(!p, 0)) {                                                     \
            movzx_mem_##SS##_##SZ(cpu, in);                                                \
            return;                                                                        \
        }                                                                                  \
        reg_write(cpu, in->reg, SZ, in->rex, host_load(p, SS));                            \
    }
EA_MOVZX_FORMS(B, 1, 4) EA_MOVZX_FORMS(B, 2, 4) EA_MOVZX_FORMS(BI, 1, 4) EA_MOVZX_FORMS(BI, 2, 4)
EA_MOVZX_FORMS(R, 1, 4) EA_MOVZX_FORMS(R, 2, 4)

/* ALU reg, [mem] (all eight operations) and CMP [mem], reg / CMP [mem], imm */
#define EA_ALU_FORMS(EA, OP, SZ)                                                           \
    static void alu_rrm_mem_##EA##_##OP##_##SZ(struct cpu *cpu, const struct insn *in)     \
    {                                                                                      \
        const void *p = tlb_read_ptr(cpu, EA_##EA(cpu, in), SZ);                           \
        if (__builtin_expect(!p, 0)) {                                                     \
            alu_rrm_mem_##OP##_##SZ(cpu, in);                                              \
            return;                                                                        \
        }                                                                                  \
        uint64_t r = alu_compute(cpu, OP, reg_read(cpu, in->reg, SZ, in->rex),             \
                                 host_load(p, SZ), SZ);                                    \
        if (OP != ALU_CMP)                                                                 \
            reg_write(cpu, in->reg, SZ, in->rex, r);                                       \
    }
#define EA_ALU_OPS(EA, SZ) EA_ALU_FORMS(EA, 0, SZ) EA_ALU_FORMS(EA, 1, SZ)                \
    EA_ALU_FORMS(EA, 2, SZ) EA_ALU_FORMS(EA, 3, SZ) EA_ALU_FORMS(EA, 4, SZ)                \
    EA_ALU_FORMS(EA, 5, SZ) EA_ALU_FORMS(EA, 6, SZ) EA_ALU_FORMS(EA, 7, SZ)
EA_ALU_OPS(B, 4) EA_ALU_OPS(B, 8) EA_ALU_OPS(BI, 4) EA_ALU_OPS(BI, 8)
EA_ALU_OPS(R, 4) EA_ALU_OPS(R, 8)

#define EA_CMP_FORMS(EA, SZ)                                                               \
    static void cmp_mr_##EA##_##SZ(struct cpu *cpu, const struct insn *in)                 \
    {                                                                                      \
        const void *p = tlb_read_ptr(cpu, EA_##EA(cpu, in), SZ);                           \
        if (__builtin_expect(!p, 0)) {                                                     \
            alu_rmr_mem_7_##SZ(cpu, in);                                                   \
            return;                                                                        \
        }                                                                                  \
        alu_compute(cpu, ALU_CMP, host_load(p, SZ), reg_read(cpu, in->reg, SZ, in->rex), SZ); \
    }                                                                                      \
    static void cmp_mi_##EA##_##SZ(struct cpu *cpu, const struct insn *in)                 \
    {                                                                                      \
        const void *p = tlb_read_ptr(cpu, EA_##EA(cpu, in), SZ);                           \
        if (__builtin_expect(!p, 0)) {                                                     \
            alu_rmi_mem_7_##SZ(cpu, in);                                                   \
            return;                                                                        \
        }                                                                                  \
        alu_compute(cpu, ALU_CMP, host_load(p, SZ), in->imm, SZ);                          \
    }
EA_CMP_FORMS(B, 1) EA_CMP_FORMS(B, 4) EA_CMP_FORMS(B, 8)
EA_CMP_FORMS(BI, 1) EA_CMP_FORMS(BI, 4) EA_CMP_FORMS(BI, 8)
EA_CMP_FORMS(R, 1) EA_CMP_FORMS(R, 4) EA_CMP_FORMS(R, 8)

/* The EA form of a memory operand: 0 base + disp, 1 base + index * scale +
 * disp, 2 RIP + disp, -1 none of the specialized ones. */
static int ea_form(const struct insn *in)
{
    if (in->mod == 3 || in->addrsize != 8 || in->seg == S_FS || in->seg == S_GS)
        return -1;
    if (in->rip_rel)
        return in->base == NO_REG && in->index == NO_REG ? 2 : -1;
    if (in->base == NO_REG)
        return -1;
    return in->index != NO_REG;
}

/* [EA form][size index 1, 2, 4, 8] */
static const insn_handler mov_load_ea[3][4] = {
    {mov_load_B_1, mov_load_B_2, mov_load_B_4, mov_load_B_8},
    {mov_load_BI_1, mov_load_BI_2, mov_load_BI_4, mov_load_BI_8},
    {mov_load_R_1, mov_load_R_2, mov_load_R_4, mov_load_R_8}};
static const insn_handler mov_store_ea[3][4] = {
    {mov_store_B_1, mov_store_B_2, mov_store_B_4, mov_store_B_8},
    {mov_store_BI_1, mov_store_BI_2, mov_store_BI_4, mov_store_BI_8},
    {mov_store_R_1, mov_store_R_2, mov_store_R_4, mov_store_R_8}};
/* [EA form][size 4, 8] */
static const insn_handler lea_ea[3][2] = {{lea_B_4, lea_B_8}, {lea_BI_4, lea_BI_8},
                                          {lea_R_4, lea_R_8}};
static const insn_handler movzx_ea[3][2] = {{movzx_mem_B_1_4, movzx_mem_B_2_4},
                                            {movzx_mem_BI_1_4, movzx_mem_BI_2_4},
                                            {movzx_mem_R_1_4, movzx_mem_R_2_4}};
/* [EA form][op][size 4, 8] */
#define EA_ALU_ROW(EA, OP) {alu_rrm_mem_##EA##_##OP##_4, alu_rrm_mem_##EA##_##OP##_8}
static const insn_handler alu_rrm_ea[3][8][2] = {
    {EA_ALU_ROW(B, 0), EA_ALU_ROW(B, 1), EA_ALU_ROW(B, 2), EA_ALU_ROW(B, 3),
     EA_ALU_ROW(B, 4), EA_ALU_ROW(B, 5), EA_ALU_ROW(B, 6), EA_ALU_ROW(B, 7)},
    {EA_ALU_ROW(BI, 0), EA_ALU_ROW(BI, 1), EA_ALU_ROW(BI, 2), EA_ALU_ROW(BI, 3),
     EA_ALU_ROW(BI, 4), EA_ALU_ROW(BI, 5), EA_ALU_ROW(BI, 6), EA_ALU_ROW(BI, 7)},
    {EA_ALU_ROW(R, 0), EA_ALU_ROW(R, 1), EA_ALU_ROW(R, 2), EA_ALU_ROW(R, 3),
     EA_ALU_ROW(R, 4), EA_ALU_ROW(R, 5), EA_ALU_ROW(R, 6), EA_ALU_ROW(R, 7)}};

/* ---- pickers: one per group of generic handlers (fast_forms[] below) ---- */

static insn_handler pick_jcc(const struct insn *in)
{
    return jcc_fast[in->opcode & 15];
}

static insn_handler pick_movx(const struct insn *in)
{
    int s = size_index(in);
    if (s <= 0)
        return NULL;
    int ea = ea_form(in);
    if (ea >= 0 && in->fn == op_movzx && s == 2)
        return movzx_ea[ea][in->opcode & 1];
    return movx_fast[in->fn == op_movsx][in->opcode & 1][in->mod == 3][s - 1];
}

static insn_handler pick_alu(const struct insn *in)
{
    int s = size_index(in);
    if (s < 0)
        return NULL;
    bool reg = in->mod == 3;
    int ea = ea_form(in);
    unsigned op = in->fn == op_alu_rm_imm ? (in->modrm >> 3) & 7 : (in->opcode >> 3) & 7;
    if (ea >= 0 && in->fn == op_alu_r_rm && s >= 2)
        return alu_rrm_ea[ea][op][s - 2];
    if (ea >= 0 && op == ALU_CMP && (s == 0 || s >= 2)) {
        static const insn_handler cmp_mr[3][4] = {{cmp_mr_B_1, NULL, cmp_mr_B_4, cmp_mr_B_8},
                                                  {cmp_mr_BI_1, NULL, cmp_mr_BI_4, cmp_mr_BI_8},
                                                  {cmp_mr_R_1, NULL, cmp_mr_R_4, cmp_mr_R_8}};
        static const insn_handler cmp_mi[3][4] = {{cmp_mi_B_1, NULL, cmp_mi_B_4, cmp_mi_B_8},
                                                  {cmp_mi_BI_1, NULL, cmp_mi_BI_4, cmp_mi_BI_8},
                                                  {cmp_mi_R_1, NULL, cmp_mi_R_4, cmp_mi_R_8}};
        if (in->fn == op_alu_rm_r)
            return cmp_mr[ea][s];
        if (in->fn == op_alu_rm_imm)
            return cmp_mi[ea][s];
    }
    if (in->fn == op_alu_rm_r)
        return alu_fast[(in->opcode >> 3) & 7][reg ? F_RMR_REG : F_RMR_MEM][s];
    if (in->fn == op_alu_r_rm)
        return alu_fast[(in->opcode >> 3) & 7][reg ? F_RRM_REG : F_RRM_MEM][s];
    if (in->fn == op_alu_rm_imm)
        return alu_fast[(in->modrm >> 3) & 7][reg ? F_RMI_REG : F_RMI_MEM][s];
    return alu_fast[(in->opcode >> 3) & 7][F_AI][s]; /* op_alu_a_imm */
}

static insn_handler pick_test(const struct insn *in)
{
    int s = size_index(in);
    if (s < 0)
        return NULL;
    bool reg = in->mod == 3;
    if (in->fn == op_test_rm_r)
        return reg ? BY_SIZE(s, test_rr) : BY_SIZE(s, test_mr);
    if (in->fn == op_test_rm_imm)
        return reg ? BY_SIZE(s, test_ri) : BY_SIZE(s, test_mi);
    return BY_SIZE(s, test_ai); /* op_test_a_imm */
}

static insn_handler pick_mov(const struct insn *in)
{
    int s = size_index(in);
    if (s < 0)
        return NULL;
    bool reg = in->mod == 3;
    int ea = ea_form(in);
    if (ea >= 0 && in->fn == op_mov_rm_r)
        return mov_store_ea[ea][s];
    if (ea >= 0 && in->fn == op_mov_r_rm)
        return mov_load_ea[ea][s];
    if (in->fn == op_mov_rm_r)
        return reg ? BY_SIZE(s, mov_rr) : BY_SIZE(s, mov_store);
    if (in->fn == op_mov_r_rm)
        return reg ? BY_SIZE(s, mov_rrm) : BY_SIZE(s, mov_load);
    if (in->fn == op_mov_r_imm)
        return BY_SIZE(s, mov_ri);
    if (in->fn == op_mov_rm_imm)
        return reg ? BY_SIZE(s, mov_rmi_reg) : BY_SIZE(s, mov_rmi_mem);
    if (ea >= 0 && s >= 2)
        return lea_ea[ea][s - 2];
    return BY_SIZE(s, lea); /* op_lea */
}

static insn_handler pick_incdec(const struct insn *in)
{
    int s = size_index(in);
    if (s < 0)
        return NULL;
    if (in->fn == op_inc_r)
        return BY_SIZE(s, inc_r);
    if (in->fn == op_dec_r)
        return BY_SIZE(s, dec_r);
    if (in->mod != 3)
        return NULL;
    return in->fn == op_inc_rm ? BY_SIZE(s, inc_rm_reg) : BY_SIZE(s, dec_rm_reg);
}

/* Generic handler of the opcode table -> its picker. */
static const struct fast_form fast_forms[] = {
    {op_jcc, pick_jcc},
    {op_movzx, pick_movx},       {op_movsx, pick_movx},
    {op_alu_rm_r, pick_alu},     {op_alu_r_rm, pick_alu},
    {op_alu_rm_imm, pick_alu},   {op_alu_a_imm, pick_alu},
    {op_test_rm_r, pick_test},   {op_test_rm_imm, pick_test}, {op_test_a_imm, pick_test},
    {op_mov_rm_r, pick_mov},     {op_mov_r_rm, pick_mov},     {op_mov_r_imm, pick_mov},
    {op_mov_rm_imm, pick_mov},   {op_lea, pick_mov},
    {op_inc_r, pick_incdec},     {op_dec_r, pick_incdec},
    {op_inc_rm, pick_incdec},    {op_dec_rm, pick_incdec},
};

#define NAMES4(f) FAST_NAME(f##_1), FAST_NAME(f##_2), FAST_NAME(f##_4), FAST_NAME(f##_8)
#define ALU_NAMES(OP)                                                                      \
    NAMES4(alu_rmr_reg_##OP), NAMES4(alu_rrm_reg_##OP), NAMES4(alu_rrm_mem_##OP),          \
    NAMES4(alu_rmr_mem_##OP), NAMES4(alu_rmi_reg_##OP), NAMES4(alu_rmi_mem_##OP),          \
    NAMES4(alu_ai_##OP)
#define MOVX_NAMES(K, F) FAST_NAME(K##_##F##_1_2), FAST_NAME(K##_##F##_1_4),                \
    FAST_NAME(K##_##F##_1_8), FAST_NAME(K##_##F##_2_2), FAST_NAME(K##_##F##_2_4),          \
    FAST_NAME(K##_##F##_2_8)

#define EA_ALU_NAMES(EA, OP) FAST_NAME(alu_rrm_mem_##EA##_##OP##_4), \
    FAST_NAME(alu_rrm_mem_##EA##_##OP##_8)

static const struct fast_name fast_names[] = {
    ALU_NAMES(0), ALU_NAMES(1), ALU_NAMES(2), ALU_NAMES(3),
    ALU_NAMES(4), ALU_NAMES(5), ALU_NAMES(6), ALU_NAMES(7),
    NAMES4(test_rr), NAMES4(test_mr), NAMES4(test_ri), NAMES4(test_mi), NAMES4(test_ai),
    NAMES4(mov_rr), NAMES4(mov_rrm), NAMES4(mov_store), NAMES4(mov_load), NAMES4(mov_ri),
    NAMES4(mov_rmi_reg), NAMES4(mov_rmi_mem), NAMES4(lea),
    MOVX_NAMES(movzx, reg), MOVX_NAMES(movzx, mem), MOVX_NAMES(movsx, reg),
    MOVX_NAMES(movsx, mem),
    NAMES4(inc_r), NAMES4(dec_r), NAMES4(inc_rm_reg), NAMES4(dec_rm_reg),
    FAST_NAME(jcc_0), FAST_NAME(jcc_1), FAST_NAME(jcc_2), FAST_NAME(jcc_3),
    FAST_NAME(jcc_4), FAST_NAME(jcc_5), FAST_NAME(jcc_6), FAST_NAME(jcc_7),
    FAST_NAME(jcc_8), FAST_NAME(jcc_9), FAST_NAME(jcc_10), FAST_NAME(jcc_11),
    FAST_NAME(jcc_12), FAST_NAME(jcc_13), FAST_NAME(jcc_14), FAST_NAME(jcc_15),
    NAMES4(mov_load_B), NAMES4(mov_load_BI), NAMES4(mov_load_R),
    NAMES4(mov_store_B), NAMES4(mov_store_BI), NAMES4(mov_store_R),
    FAST_NAME(lea_B_4), FAST_NAME(lea_B_8), FAST_NAME(lea_BI_4), FAST_NAME(lea_BI_8),
    FAST_NAME(lea_R_4), FAST_NAME(lea_R_8),
    FAST_NAME(movzx_mem_B_1_4), FAST_NAME(movzx_mem_B_2_4), FAST_NAME(movzx_mem_BI_1_4),
    FAST_NAME(movzx_mem_BI_2_4), FAST_NAME(movzx_mem_R_1_4), FAST_NAME(movzx_mem_R_2_4),
    EA_ALU_NAMES(B, 0), EA_ALU_NAMES(B, 1), EA_ALU_NAMES(B, 2), EA_ALU_NAMES(B, 3),
    EA_ALU_NAMES(B, 4), EA_ALU_NAMES(B, 5), EA_ALU_NAMES(B, 6), EA_ALU_NAMES(B, 7),
    EA_ALU_NAMES(BI, 0), EA_ALU_NAMES(BI, 1), EA_ALU_NAMES(BI, 2), EA_ALU_NAMES(BI, 3),
    EA_ALU_NAMES(BI, 4), EA_ALU_NAMES(BI, 5), EA_ALU_NAMES(BI, 6), EA_ALU_NAMES(BI, 7),
    EA_ALU_NAMES(R, 0), EA_ALU_NAMES(R, 1), EA_ALU_NAMES(R, 2), EA_ALU_NAMES(R, 3),
    EA_ALU_NAMES(R, 4), EA_ALU_NAMES(R, 5), EA_ALU_NAMES(R, 6), EA_ALU_NAMES(R, 7),
    FAST_NAME(cmp_mr_B_1), FAST_NAME(cmp_mr_B_4), FAST_NAME(cmp_mr_B_8),
    FAST_NAME(cmp_mr_BI_1), FAST_NAME(cmp_mr_BI_4), FAST_NAME(cmp_mr_BI_8),
    FAST_NAME(cmp_mi_B_1), FAST_NAME(cmp_mi_B_4), FAST_NAME(cmp_mi_B_8),
    FAST_NAME(cmp_mi_BI_1), FAST_NAME(cmp_mi_BI_4), FAST_NAME(cmp_mi_BI_8),
    FAST_NAME(cmp_mr_R_1), FAST_NAME(cmp_mr_R_4), FAST_NAME(cmp_mr_R_8),
    FAST_NAME(cmp_mi_R_1), FAST_NAME(cmp_mi_R_4), FAST_NAME(cmp_mi_R_8),
};

FAST_FAMILY(alu_fast_family, fast_forms, fast_names);

/* Integer arithmetic and logic: the ALU group (ADD..CMP), INC/DEC, NOT,
 * NEG, TEST, XCHG, XADD, CMPXCHG, CMPXCHG8B/16B, ADCX/ADOX (SDM Vol.2). */
#include "cpu/cpuid.h"
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"

/* 00-3F: op r/m, reg. */
void op_alu_rm_r(struct cpu *cpu, const struct insn *in)
{
    unsigned op = (in->opcode >> 3) & 7, sz = in->opsize;
    uint64_t b = greg_read(cpu, in, sz);
    if (op == ALU_CMP) {
        alu_compute(cpu, op, rm_read(cpu, in, sz), b, sz);
        return;
    }
    uint64_t lin, a = rmw_read(cpu, in, sz, &lin);
    uint64_t r = alu_compute(cpu, op, a, b, sz);
    rmw_write(cpu, in, sz, lin, r);
}

/* 00-3F: op reg, r/m. */
void op_alu_r_rm(struct cpu *cpu, const struct insn *in)
{
    unsigned op = (in->opcode >> 3) & 7, sz = in->opsize;
    uint64_t b = rm_read(cpu, in, sz);
    uint64_t r = alu_compute(cpu, op, greg_read(cpu, in, sz), b, sz);
    if (op != ALU_CMP)
        greg_write(cpu, in, sz, r);
}

/* 00-3F: op AL/eAX, imm. */
void op_alu_a_imm(struct cpu *cpu, const struct insn *in)
{
    unsigned op = (in->opcode >> 3) & 7, sz = in->opsize;
    uint64_t r = alu_compute(cpu, op, reg_read(cpu, R_AX, sz, 1), in->imm, sz);
    if (op != ALU_CMP)
        reg_write(cpu, R_AX, sz, 1, r);
}

/* Group 1 (80-83): ModRM.reg selects the operation. */
void op_alu_rm_imm(struct cpu *cpu, const struct insn *in)
{
    unsigned op = (in->modrm >> 3) & 7, sz = in->opsize;
    if (op == ALU_CMP) {
        alu_compute(cpu, op, rm_read(cpu, in, sz), in->imm, sz);
        return;
    }
    uint64_t lin, a = rmw_read(cpu, in, sz, &lin);
    uint64_t r = alu_compute(cpu, op, a, in->imm, sz);
    rmw_write(cpu, in, sz, lin, r);
}

void op_test_rm_r(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    alu_compute(cpu, ALU_AND, rm_read(cpu, in, sz), greg_read(cpu, in, sz), sz);
}

void op_test_rm_imm(struct cpu *cpu, const struct insn *in)
{
    alu_compute(cpu, ALU_AND, rm_read(cpu, in, in->opsize), in->imm, in->opsize);
}

void op_test_a_imm(struct cpu *cpu, const struct insn *in)
{
    alu_compute(cpu, ALU_AND, reg_read(cpu, R_AX, in->opsize, 1), in->imm, in->opsize);
}

/* INC/DEC leave CF alone (SDM Vol.2 INC). */
static uint64_t inc_dec(struct cpu *cpu, uint64_t a, bool dec, unsigned sz)
{
    uint64_t r = dec ? a - 1 : a + 1;
    uint32_t f = dec ? flags_sub(a, 1, 0, r, sz) : flags_add(a, 1, 0, r, sz);
    set_flags_masked(cpu, F_ARITH & ~F_CF, f);
    return r & size_mask(sz);
}

void op_inc_r(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, in->reg, in->opsize, 1,
              inc_dec(cpu, reg_read(cpu, in->reg, in->opsize, 1), false, in->opsize));
}

void op_dec_r(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, in->reg, in->opsize, 1,
              inc_dec(cpu, reg_read(cpu, in->reg, in->opsize, 1), true, in->opsize));
}

void op_inc_rm(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin, a = rmw_read(cpu, in, in->opsize, &lin);
    rmw_write(cpu, in, in->opsize, lin, inc_dec(cpu, a, false, in->opsize));
}

void op_dec_rm(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin, a = rmw_read(cpu, in, in->opsize, &lin);
    rmw_write(cpu, in, in->opsize, lin, inc_dec(cpu, a, true, in->opsize));
}

void op_not(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin, a = rmw_read(cpu, in, in->opsize, &lin);
    rmw_write(cpu, in, in->opsize, lin, ~a);
}

/* NEG: CF = (source != 0), the other flags as for 0 - source. */
void op_neg(struct cpu *cpu, const struct insn *in)
{
    uint64_t lin, a = rmw_read(cpu, in, in->opsize, &lin);
    uint64_t r = alu_compute(cpu, ALU_SUB, 0, a, in->opsize);
    rmw_write(cpu, in, in->opsize, lin, r);
}

/* XCHG with memory is locked implicitly; single-threaded emulation makes
 * that automatic. */
void op_xchg_rm_r(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t lin, a = rmw_read(cpu, in, sz, &lin);
    uint64_t b = greg_read(cpu, in, sz);
    rmw_write(cpu, in, sz, lin, b);
    greg_write(cpu, in, sz, a);
}

/* 90+r: XCHG eAX, r. Plain 90 (register 0, no REX.B) is NOP even with a
 * 32-bit operand size in 64-bit mode: it does not clear RAX[63:32]. */
void op_xchg_a_r(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    if (in->reg == R_AX)
        return;
    uint64_t a = reg_read(cpu, R_AX, sz, 1), b = reg_read(cpu, in->reg, sz, 1);
    reg_write(cpu, R_AX, sz, 1, b);
    reg_write(cpu, in->reg, sz, 1, a);
}

/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so with one register
 * for both, the register ends with the sum). */
void op_xadd(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t lin, d = rmw_read(cpu, in, sz, &lin);
    uint64_t s = greg_read(cpu, in, sz);
    uint64_t r = alu_compute(cpu, ALU_ADD, d, s, sz);
    greg_write(cpu, in, sz, d);
    rmw_write(cpu, in, sz, lin, r);
}

/* CMPXCHG: the destination is always written (with its own value when the
 * comparison fails), so a memory destination needs write access either way
 * (SDM Vol.2 CMPXCHG). */
void op_cmpxchg(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t lin, d = rmw_read(cpu, in, sz, &lin);
    uint64_t acc = reg_read(cpu, R_AX, sz, 1);
    alu_compute(cpu, ALU_CMP, acc, d, sz);
    if (acc == d) {
        rmw_write(cpu, in, sz, lin, greg_read(cpu, in, sz));
    } else {
        if (in->mod != 3)
            lin_write(cpu, lin, d, sz);
        reg_write(cpu, R_AX, sz, 1, d);
    }
}

/* 0F C7 /1: CMPXCHG8B m64, or CMPXCHG16B m128 with REX.W (which must be
 * 16-byte aligned, else #GP(0)). */
void op_cmpxchg8b(struct cpu *cpu, const struct insn *in)
{
    uint64_t ea = insn_ea(cpu, in);
    if (in->rex & 8) {
        if (!(cpu->model->isa_mask & (1ull << ISA_CX16)))
            raise_ud(cpu);
        if (ea & 15)
            raise_gp(cpu, 0);
        uint64_t lo_lin = mem_probe_write(cpu, in->seg, ea, 8);
        uint64_t hi_lin = mem_probe_write(cpu, in->seg, (ea + 8) & size_mask(in->addrsize), 8);
        uint64_t lo = lin_read(cpu, lo_lin, 8), hi = lin_read(cpu, hi_lin, 8);
        if (lo == cpu->gpr[R_AX] && hi == cpu->gpr[R_DX]) {
            lin_write(cpu, lo_lin, cpu->gpr[R_BX], 8);
            lin_write(cpu, hi_lin, cpu->gpr[R_CX], 8);
            cpu->rflags |= F_ZF;
        } else {
            lin_write(cpu, lo_lin, lo, 8);
            lin_write(cpu, hi_lin, hi, 8);
            cpu->gpr[R_AX] = lo;
            cpu->gpr[R_DX] = hi;
            cpu->rflags &= ~(uint64_t)F_ZF;
        }
        return;
    }
    uint64_t lin = mem_probe_write(cpu, in->seg, ea, 8);
    uint64_t m = lin_read(cpu, lin, 8);
    uint64_t edx_eax = (cpu->gpr[R_DX] & 0xffffffffull) << 32 | (cpu->gpr[R_AX] & 0xffffffffull);
    if (m == edx_eax) {
        lin_write(cpu, lin, (cpu->gpr[R_CX] & 0xffffffffull) << 32 | (uint32_t)cpu->gpr[R_BX], 8);
        cpu->rflags |= F_ZF;
    } else {
        lin_write(cpu, lin, m, 8);
        cpu->gpr[R_AX] = (uint32_t)m;
        cpu->gpr[R_DX] = m >> 32;
        cpu->rflags &= ~(uint64_t)F_ZF;
    }
}

/* ADCX/ADOX: unsigned add with carry through CF (ADCX) or OF (ADOX) only. */
static void add_carry_flag(struct cpu *cpu, const struct insn *in, uint32_t flag)
{
    unsigned sz = in->opsize;
    uint64_t a = greg_read(cpu, in, sz), b = rm_read(cpu, in, sz);
    uint64_t c = (cpu->rflags & flag) ? 1 : 0;
    uint64_t r = (a + b + c) & size_mask(sz);
    bool carry = r < a || (c && r == a);
    greg_write(cpu, in, sz, r);
    set_flags_masked(cpu, flag, carry ? flag : 0);
}

void op_adcx(struct cpu *cpu, const struct insn *in)
{
    add_carry_flag(cpu, in, F_CF);
}

void op_adox(struct cpu *cpu, const struct insn *in)
{
    add_carry_flag(cpu, in, F_OF);
}

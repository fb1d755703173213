/* Stack instructions: PUSH/POP in their integer forms, PUSHA/POPA, ENTER,
 * LEAVE (SDM Vol.2, Vol.1 6.2). Registers change only after every access
 * that can fault has been done. */
#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"

/* Stack pointer arithmetic at the stack's address size. */
static uint64_t sp_add(const struct cpu *cpu, uint64_t sp, int64_t delta)
{
    return (sp + (uint64_t)delta) & stack_mask(cpu);
}

static void set_sp(struct cpu *cpu, uint64_t sp)
{
    uint64_t m = stack_mask(cpu);
    cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~m) | (sp & m);
}

void op_push_r(struct cpu *cpu, const struct insn *in)
{
    /* PUSH rSP pushes the value before the decrement. */
    push(cpu, reg_read(cpu, in->reg, in->opsize, 1), in->opsize);
}

void op_pop_r(struct cpu *cpu, const struct insn *in)
{
    /* POP rSP: the popped value wins over the increment. */
    uint64_t v = pop(cpu, in->opsize);
    reg_write(cpu, in->reg, in->opsize, 1, v);
}

void op_push_imm(struct cpu *cpu, const struct insn *in)
{
    push(cpu, in->imm, in->opsize);
}

void op_push_rm(struct cpu *cpu, const struct insn *in)
{
    push(cpu, rm_read(cpu, in, in->opsize), in->opsize);
}

/* 8F /0: a memory destination addressed through rSP uses the value after
 * the pop's increment (SDM Vol.2 POP). */
void op_pop_rm(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t sp = cpu->gpr[R_SP] & stack_mask(cpu);
    uint64_t v = mem_read(cpu, S_SS, sp, sz);
    uint64_t old = cpu->gpr[R_SP];
    set_sp(cpu, sp_add(cpu, sp, sz));
    uint64_t new_sp = cpu->gpr[R_SP];
    if (in->mod == 3) {
        reg_write(cpu, in->rm, sz, in->rex, v);
        return;
    }
    uint64_t ea = insn_ea(cpu, in);
    cpu->gpr[R_SP] = old;
    mem_write(cpu, in->seg, ea, v, sz);
    cpu->gpr[R_SP] = new_sp;
}

/* PUSHA pushes AX CX DX BX, the original SP, BP SI DI. */
void op_pusha(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t sp = cpu->gpr[R_SP] & stack_mask(cpu);
    for (unsigned r = 0; r < 8; r++) {
        sp = sp_add(cpu, sp, -(int64_t)sz);
        mem_write(cpu, S_SS, sp, reg_read(cpu, r, sz, 1), sz);
    }
    set_sp(cpu, sp);
}

/* POPA skips the saved SP. */
void op_popa(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t sp = cpu->gpr[R_SP] & stack_mask(cpu), v[8];
    for (int r = 7; r >= 0; r--) {
        v[r] = mem_read(cpu, S_SS, sp, sz);
        sp = sp_add(cpu, sp, sz);
    }
    for (unsigned r = 0; r < 8; r++)
        if (r != R_SP)
            reg_write(cpu, r, sz, 1, v[r]);
    set_sp(cpu, sp);
}

/* ENTER alloc, level (SDM Vol.2 ENTER): the level is taken mod 32; for
 * each level above 1 a frame pointer is copied from the display at [rBP].
 * Outside 64-bit mode the display walk uses the frame pointer at the
 * operand size (BP for a 16-bit ENTER even on a 32-bit stack), in 64-bit
 * mode all of RBP, as Intel processors do (checked by the oracle tests);
 * the stack pointer moves at the stack size. */
void op_enter(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize, level = in->imm2 & 31;
    uint64_t alloc = in->imm & 0xffff;
    uint64_t sp = cpu->gpr[R_SP] & stack_mask(cpu);
    uint64_t bp_mask = cpu->mode == MODE_LONG ? ~0ull : size_mask(sz);
    uint64_t bp = cpu->gpr[R_BP] & bp_mask;
    sp = sp_add(cpu, sp, -(int64_t)sz);
    mem_write(cpu, S_SS, sp, reg_read(cpu, R_BP, sz, 1), sz);
    uint64_t frame = sp;
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - sz) & bp_mask;
            uint64_t v = mem_read(cpu, S_SS, bp, sz);
            sp = sp_add(cpu, sp, -(int64_t)sz);
            mem_write(cpu, S_SS, sp, v, sz);
        }
        sp = sp_add(cpu, sp, -(int64_t)sz);
        mem_write(cpu, S_SS, sp, frame, sz);
    }
    sp = sp_add(cpu, sp, -(int64_t)alloc);
    /* The new frame pointer is written at the operand size. */
    reg_write(cpu, R_BP, sz, 1, frame);
    set_sp(cpu, sp);
}

/* LEAVE: rSP = rBP at the stack size, then pop rBP. */
void op_leave(struct cpu *cpu, const struct insn *in)
{
    unsigned sz = in->opsize;
    uint64_t sp = cpu->gpr[R_BP] & stack_mask(cpu);
    uint64_t v = mem_read(cpu, S_SS, sp, sz);
    set_sp(cpu, sp_add(cpu, sp, sz));
    reg_write(cpu, R_BP, sz, 1, v);
}

/* Specialized forms of PUSH/POP reg, CALL rel and RET (cpu/specialize.h)
 * for the common pairing of operand size and stack size: 64-bit in 64-bit
 * mode, 32-bit with a 32-bit stack (SS.B = 1). The stack size is state of
 * SS, not of the instruction, so each handler checks it and runs the
 * generic handler (ops_stack.c, ops_branch.c) when it differs. With both
 * sizes fixed, the stack masks fold and the memory access has a constant
 * size instead of a variable-length copy. */
#include "cpu/opcodes.h"
#include "cpu/ops_int.h"
#include "cpu/specialize.h"

/* SDM Vol.1 6.2: the stack address size is SS.B outside 64-bit mode. */
FAST_INLINE void set_sp(struct cpu *cpu, unsigned st, uint64_t sp)
{
    uint64_t m = size_mask(st);
    cpu->gpr[R_SP] = (cpu->gpr[R_SP] & ~m) | (sp & m);
}

#define STACK_FORMS(SZ)                                                                    \
    static void push_r_##SZ(struct cpu *cpu, const struct insn *in)                        \
    {                                                                                      \
        if (cpu->stack_size != SZ) {                                                       \
            op_push_r(cpu, in);                                                            \
            return;                                                                        \
        }                                                                                  \
        /* PUSH rSP stores the value before the decrement. */                              \
        uint64_t sp = (cpu->gpr[R_SP] - SZ) & size_mask(SZ);                               \
        mem_write(cpu, S_SS, sp, cpu->gpr[in->reg], SZ);                                   \
        set_sp(cpu, SZ, sp);                                                               \
    }                                                                                      \
    static void pop_r_##SZ(struct cpu *cpu, const struct insn *in)                         \
    {                                                                                      \
        if (cpu->stack_size != SZ) {                                                       \
            op_pop_r(cpu, in);                                                             \
            return;                                                                        \
        }                                                                                  \
        uint64_t sp = cpu->gpr[R_SP] & size_mask(SZ);                                      \
        uint64_t v = mem_read(cpu, S_SS, sp, SZ);                                          \
        set_sp(cpu, SZ, sp + SZ);                                                          \
        /* POP rSP: the popped value wins over the increment. */                           \
        reg_write(cpu, in->reg, SZ, 1, v);                                                 \
    }                                                                                      \
    static void call_rel_##SZ(struct cpu *cpu, const struct insn *in)                      \
    {                                                                                      \
        if (cpu->stack_size != SZ) {                                                       \
            op_call_rel(cpu, in);                                                          \
            return;                                                                        \
        }                                                                                  \
        uint64_t ret = cpu->next_rip;                                                      \
        /* Target checked before the push, as in op_call_rel(). */                         \
        branch_to(cpu, ret + in->imm, SZ);                                                 \
        uint64_t sp = (cpu->gpr[R_SP] - SZ) & size_mask(SZ);                               \
        mem_write(cpu, S_SS, sp, ret, SZ);                                                 \
        set_sp(cpu, SZ, sp);                                                               \
    }                                                                                      \
    static void ret_near_##SZ(struct cpu *cpu, const struct insn *in)                      \
    {                                                                                      \
        if (cpu->stack_size != SZ) {                                                       \
            op_ret_near(cpu, in);                                                          \
            return;                                                                        \
        }                                                                                  \
        uint64_t sp = cpu->gpr[R_SP] & size_mask(SZ);                                      \
        branch_to(cpu, mem_read(cpu, S_SS, sp, SZ), SZ);                                   \
        set_sp(cpu, SZ, sp + SZ);                                                          \
    }
STACK_FORMS(4)
STACK_FORMS(8)

static insn_handler pick_stack(const struct insn *in)
{
    bool q = in->opsize == 8;
    if (in->opsize != 4 && in->opsize != 8)
        return NULL;
    if (in->fn == op_push_r)
        return q ? push_r_8 : push_r_4;
    if (in->fn == op_pop_r)
        return q ? pop_r_8 : pop_r_4;
    if (in->fn == op_call_rel)
        return q ? call_rel_8 : call_rel_4;
    if (in->opcode == 0xc3) /* op_ret_near without an immediate */
        return q ? ret_near_8 : ret_near_4;
    return NULL;
}

/* Generic handler of the opcode table -> its picker. */
static const struct fast_form fast_forms[] = {
    {op_push_r, pick_stack}, {op_pop_r, pick_stack},
    {op_call_rel, pick_stack}, {op_ret_near, pick_stack},
};

static const struct fast_name fast_names[] = {
    FAST_NAME(push_r_4), FAST_NAME(push_r_8), FAST_NAME(pop_r_4), FAST_NAME(pop_r_8),
    FAST_NAME(call_rel_4), FAST_NAME(call_rel_8), FAST_NAME(ret_near_4), FAST_NAME(ret_near_8),
};

FAST_FAMILY(stack_fast_family, fast_forms, fast_names);

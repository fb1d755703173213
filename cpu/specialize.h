/* Decode-time handler specialization. The opcode table stays the single
 * source of truth for decoding: a row names the generic handler, and after
 * the decoder has filled a struct insn it asks insn_specialize() whether a
 * faster handler exists for this exact (handler, operation, operand size,
 * register-or-memory form). A specialized handler must behave exactly like
 * the generic one it replaces (same results, flags, faults and fault
 * order); where its fast path does not apply it calls the generic handler.
 *
 * Which generic handler has fast forms is a table (fast_forms[] in each
 * family's file, joined in cpu/specialize.c): grep the handler name of an
 * opcode row (e.g. op_alu_rm_r) to find the picker that replaces it and the
 * fast handlers it picks from. Every fast handler has a name in its
 * family's fast_names[], so `-d exec` and the tests can say what ran. */
#ifndef TURTLES_CPU_SPECIALIZE_H
#define TURTLES_CPU_SPECIALIZE_H

#include "cpu/insn.h"

/* The handler to run for a decoded instruction: in->fn or a specialized
 * equivalent. */
insn_handler insn_specialize(const struct insn *in);

/* The name of any handler: a fast form's own name, or the generic
 * handler's name from the opcode table; "?" if unknown. */
const char *handler_name(insn_handler fn);

/* One generic handler and the picker that chooses its fast form for a
 * decoded instruction (NULL: none applies, the generic handler runs). */
struct fast_form {
    insn_handler generic;
    insn_handler (*pick)(const struct insn *in);
};

struct fast_name {
    insn_handler fn;
    const char *name;
};
#define FAST_NAME(f) {f, #f}

/* A family's tables (cpu/ops_fast_alu.c, ops_shift.c, ops_fast_stack.c,
 * ops_muldiv.c). */
struct fast_family {
    const struct fast_form *forms;
    unsigned nforms;
    const struct fast_name *names;
    unsigned nnames;
};
extern const struct fast_family alu_fast_family, shift_fast_family, stack_fast_family,
    muldiv_fast_family;

#define FAST_FAMILY(var, forms, names) \
    const struct fast_family var = {forms, sizeof(forms) / sizeof(forms[0]), names, \
                                    sizeof(names) / sizeof(names[0])}

#endif

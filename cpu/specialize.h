/* Decode-time handler specialization. The opcode table stays the single
 * source of truth for decoding: a row names the generic handler, and after
 * the decoder has filled a struct insn it asks insn_specialize() whether a
 * faster handler exists for this exact (handler, operation, operand size,
 * register-or-memory form). A specialized handler must behave exactly like
 * the generic one it replaces (same results, flags, faults and fault
 * order); where its fast path does not apply it calls the generic handler. */
#ifndef TURTLES_CPU_SPECIALIZE_H
#define TURTLES_CPU_SPECIALIZE_H

#include "cpu/insn.h"

/* The handler to run for a decoded instruction: in->fn or a specialized
 * equivalent. */
insn_handler insn_specialize(const struct insn *in);

/* Per-family specializers (NULL: none for this instruction). */
insn_handler alu_specialize(const struct insn *in);   /* cpu/ops_fast_alu.c */
insn_handler shift_specialize(const struct insn *in); /* cpu/ops_shift.c */
insn_handler stack_specialize(const struct insn *in); /* cpu/ops_fast_stack.c */
insn_handler muldiv_specialize(const struct insn *in); /* cpu/ops_muldiv.c */

#endif

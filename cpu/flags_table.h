/* The status flags an instruction leaves undefined, narrowed by its
 * operands. The opcode table's EF column (cpu/opcodes.h) gives per row the
 * flags read, written with a defined value and possibly left undefined;
 * for a few rows what is undefined depends on the operands (shift and
 * rotate counts), and these functions narrow the row's superset. The
 * host-CPU oracles mask what they return, and -turtles-undefined random
 * replaces it with pseudo-random bits after each instruction. */
#ifndef TURTLES_CPU_FLAGS_TABLE_H
#define TURTLES_CPU_FLAGS_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/insn.h"

struct cpu;
struct opcode_row;

/* The row the decoder chose for `in`. */
const struct opcode_row *insn_row(const struct insn *in);

/* Whether the row's flags depend on a count operand (group-2 shifts and
 * rotates, SHLD/SHRD); if so, *count is that operand as the instruction
 * reads it before running (imm8, 1 or CL), unmasked. */
bool flags_count_operand(const struct cpu *cpu, const struct insn *in, uint64_t *count);

/* The flags the SDM leaves undefined after `in` executed with the given
 * count operand (ignored by rows without one). A subset of row->ef.undef. */
uint16_t flags_undefined(const struct opcode_row *row, const struct insn *in, uint64_t count);

/* The flags `in` certainly writes with a defined value: row->ef.out minus
 * flags_undefined(), and nothing when a count of 0 leaves the flags alone.
 * (REP string instructions with RCX = 0 write nothing either: the caller
 * knows RCX.) */
uint16_t flags_defined(const struct opcode_row *row, const struct insn *in, uint64_t count);

/* Whether the SDM leaves the destination register of `in` undefined for
 * these operands: BSF/BSR with a zero source, 16-bit SHLD/SHRD with a
 * masked count above 16, BSWAP with a 16-bit operand. `src` is the source
 * operand (BSF/BSR), `count` the count operand (SHLD/SHRD). */
bool result_undefined(const struct opcode_row *row, const struct insn *in, uint64_t src,
                      uint64_t count);

#endif

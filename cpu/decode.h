/* The decoder: bytes at a linear address -> struct insn. */
#ifndef TURTLES_CPU_DECODE_H
#define TURTLES_CPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/insn.h"

struct cpu;

/* Reads instruction bytes; returns false if the byte cannot be fetched
 * (page fault or limit), leaving the exception to the caller. */
typedef bool (*fetch_fn)(void *opaque, uint64_t offset, uint8_t *byte);

enum decode_status { DECODE_OK, DECODE_FETCH_FAULT, DECODE_UD, DECODE_TOO_LONG };

/* Decode one instruction. code_size is 2, 4 or 8 (16-bit, 32-bit, 64-bit
 * code). isa_mask has bit ISA_x set for each extension the model offers.
 * On DECODE_UD the insn is still filled (len, fn = op_ud) so the block can
 * raise #UD when it gets there. */
enum decode_status decode_insn(struct insn *in, unsigned code_size, uint64_t isa_mask,
                               fetch_fn fetch, void *opaque, uint64_t offset);

/* Build the (map, opcode) index over opcode_rows; idempotent. */
void decode_init(void);

const char *insn_name(const struct insn *in);
uint32_t insn_flags(const struct insn *in);

#endif

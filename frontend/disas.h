/* One instruction of a vCPU's code, disassembled by Capstone in the
 * vCPU's current code size (16, 32 or 64 bits), Intel syntax. */
#ifndef TURTLES_FRONTEND_DISAS_H
#define TURTLES_FRONTEND_DISAS_H

#include <stddef.h>
#include <stdint.h>

struct cpu;

/* The instruction at linear address `linear` as "mnemonic operands" in
 * out; returns its length in bytes, or 0 (out says why: "(not mapped)",
 * "(bad opcode)") when it cannot be read or decoded. */
unsigned disas_one(struct cpu *c, uint64_t linear, char *out, size_t size);

/* The same from bytes already read, decoded as code_size (2, 4 or 8)
 * code at address `addr`. */
unsigned disas_bytes(const uint8_t *bytes, size_t n, unsigned code_size, uint64_t addr,
                     char *out, size_t size);

#endif

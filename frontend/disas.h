/* x86 disassembly through Capstone, for the monitor (`disas`, `x/i`,
 * step output) and traces. One handle per code size, opened on first use. */
#ifndef TURTLES_FRONTEND_DISAS_H
#define TURTLES_FRONTEND_DISAS_H

#include <stddef.h>
#include <stdint.h>

struct disas;

struct disas *disas_new(void);
void disas_free(struct disas *d);

/* Disassemble the instruction at `addr` from `bytes` (len bytes
 * available) in 16-, 32- or 64-bit code (bits). Writes "mov rax, rbx"
 * (Intel syntax) into text and returns the instruction's length, or
 * writes "(bad)" and returns 0 when the bytes decode to nothing. */
unsigned disas_insn(struct disas *d, unsigned bits, uint64_t addr, const uint8_t *bytes,
                    size_t len, char *text, size_t size);

#endif

/* The decoded form of one instruction: a handler pointer plus its operands,
 * produced once by the decoder (cpu/decode.c) and executed many times. */
#ifndef TURTLES_CPU_INSN_H
#define TURTLES_CPU_INSN_H

#include <stdint.h>

struct cpu;
struct insn;
struct opcode_row;

typedef void (*insn_handler)(struct cpu *cpu, const struct insn *in);

/* Repeat prefixes. */
enum { REP_NONE = 0, REP_E = 1 /* F3 */, REP_NE = 2 /* F2 */ };

struct insn {
    insn_handler fn;
    int32_t disp;
    uint64_t imm;       /* first immediate (sign-extended where the row says) */
    uint16_t imm2;      /* ENTER's level byte / far pointer selector */
    uint8_t len;
    uint8_t opsize;     /* operand size in bytes: 1, 2, 4 or 8 */
    uint8_t addrsize;   /* 2, 4 or 8 */
    uint8_t seg;        /* segment of the memory operand (S_ES..S_GS) */
    uint8_t mod;        /* ModRM.mod (3 = register operand) */
    uint8_t reg;        /* ModRM.reg extended by REX.R (or opcode low bits + REX.B) */
    uint8_t rm;         /* ModRM.rm extended by REX.B (register form) */
    uint8_t base;       /* base register, NO_REG if none */
    uint8_t index;      /* index register, NO_REG if none */
    uint8_t scale;      /* 0..3 */
    uint8_t rep;        /* REP_* */
    uint8_t lock;       /* LOCK prefix present */
    uint8_t rex;        /* REX byte (0 if none): byte registers 4-7 are SPL..DIL when set */
    uint8_t rip_rel;    /* RIP-relative memory operand */
    uint8_t opcode;     /* last opcode byte */
    uint8_t map;        /* OPMAP_* */
    uint8_t mandatory;  /* PFX_* that selected the row (SSE) */
    uint8_t modrm;      /* raw ModRM byte */
    uint16_t row;       /* index into opcode_rows[] (names, flags) */
};

#define NO_REG 0xff

static inline int insn_has_mem(const struct insn *in)
{
    return in->mod != 3;
}

#endif

/* The opcode table: one row per opcode form. The decoder, the dispatch
 * handlers, the disassembler's names and CPUID gating all come from it.
 *
 * Rows live in per-family files (cpu/ops_*.def) included by cpu/opcodes.def,
 * so families can grow independently; the decoder indexes them by
 * (map, opcode) at start-up. A row:
 *
 *   OP(map, opcode, prefix, reg, mod, rm, flags, isa, EF(in, out, undef), exit,
 *      handler, "mnemonic")
 *
 * map     OPMAP_1 (one-byte), OPMAP_0F, OPMAP_0F38, OPMAP_0F3A
 * prefix  mandatory prefix: PFX_ANY (66/F2/F3 keep their usual meaning),
 *         PFX_NP (none of 66/F2/F3), PFX_66, PFX_F3, PFX_F2
 * reg     ModRM.reg for group opcodes, or ANY
 * mod     MOD_ANY, MOD_MEM (mod != 3) or MOD_REG (mod == 3)
 * rm      ModRM.rm for register forms that select by it (0F 01, x87), or ANY
 * flags   D_* below
 * isa     ISA_* the CPU model must have, else #UD
 * EF      what the instruction does to the status flags (F_CF..F_OF of
 *         cpu/cpu.h): in = flags it reads, out = flags it writes with a
 *         value the SDM defines, undef = flags the SDM leaves undefined
 *         after it (for some operands at least: flags_undefined() in
 *         cpu/flags_table.h narrows it by operand, e.g. shift counts).
 *         The host-CPU oracles mask undef, the lazy-flags work reads in/out.
 * exit    RX_* (below): the VM exit that the instruction causes in VMX
 *         non-root operation by itself or under a control bit (SDM
 *         25.1.2-25.1.3), applied by one generic step; RX_NONE if none or
 *         if the exit needs operands (I/O, MSR, CR, DR: the handler checks).
 */
#ifndef TURTLES_CPU_OPCODES_H
#define TURTLES_CPU_OPCODES_H

#include <stdint.h>

#include "cpu/insn.h"

enum { OPMAP_1, OPMAP_0F, OPMAP_0F38, OPMAP_0F3A, OPMAP_COUNT };
enum { PFX_ANY, PFX_NP, PFX_66, PFX_F3, PFX_F2 };
enum { MOD_ANY, MOD_MEM, MOD_REG };
#define ANY (-1)

/* Decoding and behaviour flags. */
#define D_MODRM    (1u << 0)  /* has a ModRM byte */
#define D_BYTE     (1u << 1)  /* 8-bit operand size */
#define D_IMM8     (1u << 2)  /* imm8, sign-extended to the operand size */
#define D_IMM8U    (1u << 3)  /* imm8, zero-extended (ports, shift counts, SSE imm) */
#define D_IMM16    (1u << 4)  /* imm16 (RET n, ENTER's size) */
#define D_IMMZ     (1u << 5)  /* imm16/imm32 by operand size, imm32 sign-extended for 64 */
#define D_IMMV     (1u << 6)  /* imm16/32/64 by operand size (MOV r, imm) */
#define D_ENTER    (1u << 7)  /* imm16 then imm8 (into imm2) */
#define D_FARPTR   (1u << 8)  /* offset16/32 then selector16 (into imm2) */
#define D_MOFFS    (1u << 9)  /* address-size offset (MOV AL, moffs) */
#define D_DEF64    (1u << 10) /* operand size defaults to 64 in 64-bit mode */
#define D_FORCE64  (1u << 11) /* operand size is 64 in 64-bit mode whatever the prefixes */
#define D_NO64     (1u << 12) /* #UD in 64-bit mode */
#define D_ONLY64   (1u << 13) /* row applies only in 64-bit mode */
#define D_LOCK     (1u << 14) /* LOCK allowed (with a memory destination) */
#define D_END      (1u << 15) /* ends the decoded block (branches, mode changes) */
#define D_REL      (1u << 16) /* relative branch: imm is the displacement */
#define D_OPREG    (1u << 17) /* register in the opcode's low 3 bits (+REX.B) -> reg */
#define D_FPU      (1u << 18) /* x87: #NM on CR0.EM or CR0.TS */
#define D_SSE      (1u << 19) /* SSE: #UD on CR0.EM or !CR4.OSFXSR, #NM on CR0.TS */
#define D_MMX      (1u << 20) /* MMX: #UD on CR0.EM, #NM on CR0.TS */
#define D_SIZE32   (1u << 21) /* operand size 32 unless REX.W (ignores 66: MOVD, CRC32 etc.) */
#define D_ONLYNO64 (1u << 22) /* row applies only outside 64-bit mode (for split rows) */
#define D_MODREG   (1u << 23) /* ModRM.mod ignored: always the register form (MOV CR/DR,
                                 SDM Vol.2 "MOV-Move to/from Control Registers") */

enum isa {
    ISA_BASE, ISA_X87, ISA_MMX, ISA_SSE, ISA_SSE2, ISA_SSE3, ISA_SSSE3, ISA_SSE41, ISA_SSE42,
    ISA_POPCNT, ISA_LZCNT, ISA_MOVBE, ISA_RDRAND, ISA_RDSEED, ISA_VMX, ISA_XSAVE, ISA_FSGSBASE,
    ISA_RDPID, ISA_RDTSCP, ISA_CX16, ISA_CLFLUSHOPT, ISA_CLWB, ISA_PCLMUL, ISA_AES, ISA_SMAP,
    ISA_INVPCID, ISA_BMI1, ISA_BMI2, ISA_ADX, ISA_LM, ISA_XSAVEOPT, ISA_XSAVEC, ISA_COUNT
};

/* Instruction-level VM-exit intercepts of the row (the exit column): the
 * instructions that exit in VMX non-root unconditionally or by one control
 * bit and need no operand to decide or to describe the exit (SDM Vol.3C
 * 25.1.2, 25.1.3). cpu/row_intercept.c applies them, after the row's checks
 * that have priority over VM exits (SDM 25.1.1), before the handler runs.
 * Intercepts that need operands (I/O, MSR, CR, DR, INVLPG, INVPCID, RDRAND/
 * RDSEED and the VMX instructions with their instruction information,
 * descriptor tables) stay in the handlers. */
enum row_exit {
    RX_NONE,
    RX_CPUID,   /* unconditional */
    RX_INVD,    /* unconditional */
    RX_XSETBV,  /* unconditional */
    RX_HLT,     /* HLT exiting */
    RX_RDTSC,   /* RDTSC exiting */
    RX_RDTSCP,  /* #UD unless enable RDTSCP; then RDTSC exiting */
    RX_RDPMC,   /* RDPMC exiting */
    RX_WBINVD,  /* WBINVD exiting */
    RX_PAUSE,   /* PAUSE exiting, or PAUSE-loop exiting at CPL 0 */
    RX_COUNT
};

/* The basic exit reason of each RX_ value (RX_NONE: 0, unused). */
extern const uint16_t row_exit_reason[RX_COUNT];

/* The handler that rows with an exit column run first (cpu/row_intercept.c):
 * checks, then the intercept, then the row's own handler. */
void op_row_intercept(struct cpu *cpu, const struct insn *in);

/* The EF column: flags read, written with a defined value, left undefined. */
struct row_eflags {
    uint16_t in, out, undef; /* F_* masks (OF is bit 11) */
};
#define EF(in, out, undef) {(in), (out), (undef)}
/* All of FLAGS (bits 15:0): rows that save or load the whole register
 * (PUSHF/POPF, IRET, SYSCALL/SYSRET, far transfers through task switches,
 * VM entries). F_* come from cpu/cpu.h, included where the table expands. */
#define EF_ALL (F_ARITH | F_TF | F_IF | F_DF | F_IOPL | F_NT)

struct opcode_row {
    uint8_t map, opcode, prefix;
    int8_t reg, rm;
    uint8_t mod;
    uint8_t isa;
    uint8_t exit;             /* enum row_exit */
    struct row_eflags ef;
    uint32_t flags;
    insn_handler fn;
    const char *fn_name;      /* the handler's C name, for -d exec */
    const char *name;
};

extern const struct opcode_row opcode_rows[];
extern const unsigned opcode_row_count;

/* Declare every handler named in the table. */
#define OP(map, opc, pfx, reg, mod, rm, flags, isa, ef, exit, fn, name) \
    void fn(struct cpu *cpu, const struct insn *in);
#include "cpu/opcodes.def"
#undef OP

#endif

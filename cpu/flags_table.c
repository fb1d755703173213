/* Operand-dependent undefined flags (SDM Vol.2 "Flags Affected" of each
 * instruction; Vol.1 Appendix A summarizes them). */
#include "cpu/flags_table.h"

#include "cpu/cpu.h"
#include "cpu/opcodes.h"

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

const struct opcode_row *insn_row(const struct insn *in)
{
    return &opcode_rows[in->row];
}

static bool is_group2(const struct opcode_row *row)
{
    return row->map == OPMAP_1 && (row->opcode == 0xc0 || row->opcode == 0xc1 ||
                                   (row->opcode >= 0xd0 && row->opcode <= 0xd3));
}

static bool is_double_shift(const struct opcode_row *row)
{
    return row->map == OPMAP_0F && (row->opcode == 0xa4 || row->opcode == 0xa5 ||
                                    row->opcode == 0xac || row->opcode == 0xad);
}

bool flags_count_operand(const struct cpu *cpu, const struct insn *in, uint64_t *count)
{
    const struct opcode_row *row = insn_row(in);
    if (is_group2(row)) {
        if (row->opcode == 0xd0 || row->opcode == 0xd1)
            *count = 1;
        else if (row->opcode == 0xd2 || row->opcode == 0xd3)
            *count = cpu->gpr[R_CX] & 0xff;
        else
            *count = in->imm & 0xff;
        return true;
    }
    if (is_double_shift(row)) {
        *count = (row->opcode & 1) ? cpu->gpr[R_CX] & 0xff : in->imm & 0xff;
        return true;
    }
    return false;
}

/* SDM Vol.2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD/SHRD: the count is
 * masked to 5 bits (6 with a 64-bit operand). */
static unsigned masked_count(const struct insn *in, uint64_t count)
{
    return (unsigned)(count & (in->opsize == 8 ? 0x3f : 0x1f));
}

uint16_t flags_undefined(const struct opcode_row *row, const struct insn *in, uint64_t count)
{
    if (is_group2(row)) {
        unsigned c = masked_count(in, count), op = (in->modrm >> 3) & 7;
        if (c == 0)
            return 0; /* "If the count is 0, the flags are not affected." */
        /* OF is defined for 1-bit shifts and rotates only. */
        uint16_t u = c == 1 ? 0 : F_OF;
        if (op <= SH_RCR)
            return u; /* rotates: SF, ZF, AF, PF unaffected */
        /* Shifts: "For a non-zero count, the AF flag is undefined"; CF is
         * undefined for SHL and SHR when the count is greater than or
         * equal to the operand size (8- and 16-bit operands only). */
        u |= F_AF;
        if (op != SH_SAR && c >= in->opsize * 8u)
            u |= F_CF;
        return u;
    }
    if (is_double_shift(row)) {
        unsigned c = masked_count(in, count);
        if (c == 0)
            return 0;
        /* "If the count is greater than the operand size, the flags are
         * undefined"; otherwise AF is, and OF for counts above 1. */
        if (c > in->opsize * 8u)
            return F_ARITH;
        return (uint16_t)(F_AF | (c == 1 ? 0 : F_OF));
    }
    return row->ef.undef;
}

uint16_t flags_defined(const struct opcode_row *row, const struct insn *in, uint64_t count)
{
    if ((is_group2(row) || is_double_shift(row)) && masked_count(in, count) == 0)
        return 0;
    return (uint16_t)(row->ef.out & ~flags_undefined(row, in, count));
}

bool result_undefined(const struct opcode_row *row, const struct insn *in, uint64_t src,
                      uint64_t count)
{
    if (row->fn == op_bsf || row->fn == op_bsr)
        return (src & (in->opsize == 8 ? ~0ull : (1ull << (in->opsize * 8)) - 1)) == 0;
    if (is_double_shift(row))
        return in->opsize == 2 && masked_count(in, count) > 16;
    if (row->fn == op_bswap)
        return in->opsize == 2; /* SDM Vol.2 BSWAP: "the result is undefined" */
    return false;
}

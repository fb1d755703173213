/* Instruction decoding (SDM Vol.2 chapter 2: prefixes, REX, ModRM/SIB,
 * displacement, immediate). */
#include "cpu/decode.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/opcodes.h"
#include "cpu/specialize.h"

const struct opcode_row opcode_rows[] = {
#define OP(map, opc, pfx, reg, mod, rm, flags, isa, ef, exit, fn, name) \
    {map, opc, pfx, reg, rm, mod, isa, exit, ef, flags, fn, #fn, name},
#include "cpu/opcodes.def"
#undef OP
};
const unsigned opcode_row_count = sizeof(opcode_rows) / sizeof(opcode_rows[0]);

/* Per (map, opcode): the first row and how many rows follow in sorted order. */
static uint16_t row_first[OPMAP_COUNT][256];
static uint16_t row_count[OPMAP_COUNT][256];
static uint16_t row_sorted[4096];
static bool decode_ready;

void op_ud(struct cpu *cpu, const struct insn *in);

void decode_init(void)
{
    if (decode_ready)
        return;
    unsigned n = 0;
    for (unsigned m = 0; m < OPMAP_COUNT; m++) {
        for (unsigned o = 0; o < 256; o++) {
            row_first[m][o] = (uint16_t)n;
            for (unsigned i = 0; i < opcode_row_count && n < 4096; i++)
                if (opcode_rows[i].map == m && opcode_rows[i].opcode == o)
                    row_sorted[n++] = (uint16_t)i;
            row_count[m][o] = (uint16_t)(n - row_first[m][o]);
        }
    }
    decode_ready = true;
}

/* Which opcodes take a ModRM byte is a property of the row, but the decoder
 * must know before it can pick a row by reg/mod/rm: every row of an opcode
 * agrees on D_MODRM, so the first row tells. */
static const struct opcode_row *first_row(unsigned map, unsigned opc)
{
    if (!row_count[map][opc])
        return NULL;
    return &opcode_rows[row_sorted[row_first[map][opc]]];
}

struct fetcher {
    fetch_fn fetch;
    void *opaque;
    uint64_t offset;
    unsigned len;
    bool fault;
    bool too_long;
};

static uint8_t next_byte(struct fetcher *f)
{
    uint8_t b = 0;
    if (f->fault || f->too_long)
        return 0;
    if (f->len >= 15) {
        f->too_long = true; /* SDM Vol.2 2.3.11: more than 15 bytes is #GP */
        return 0;
    }
    if (!f->fetch(f->opaque, f->offset + f->len, &b)) {
        f->fault = true;
        return 0;
    }
    f->len++;
    return b;
}

static uint64_t next_imm(struct fetcher *f, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)next_byte(f) << (8 * i);
    return v;
}

static int64_t sext(uint64_t v, unsigned size)
{
    switch (size) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
    }
}

/* ModRM/SIB/displacement (SDM Vol.2 tables 2-1..2-3, 2.2.1.6 for RIP-relative). */
static void decode_modrm_mem(struct insn *in, struct fetcher *f, unsigned rex, bool mode64)
{
    unsigned mod = in->mod, rm = in->modrm & 7;
    in->base = in->index = NO_REG;
    in->scale = 0;
    in->seg = S_DS;
    if (in->addrsize == 2) {
        static const uint8_t base16[8] = {R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX};
        static const uint8_t index16[8] = {R_SI, R_DI, R_SI, R_DI, NO_REG, NO_REG, NO_REG,
                                           NO_REG};
        if (mod == 0 && rm == 6) {
            in->disp = (int16_t)next_imm(f, 2);
            return;
        }
        in->base = base16[rm];
        in->index = index16[rm];
        if (in->base == R_BP)
            in->seg = S_SS;
        if (mod == 1)
            in->disp = (int8_t)next_byte(f);
        else if (mod == 2)
            in->disp = (int16_t)next_imm(f, 2);
        return;
    }
    unsigned base = rm;
    if (rm == 4) {
        uint8_t sib = next_byte(f);
        in->scale = sib >> 6;
        unsigned idx = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
        in->index = idx == R_SP ? NO_REG : (uint8_t)idx;
        base = sib & 7;
        if (base == 5 && mod == 0) {
            in->disp = (int32_t)next_imm(f, 4);
            return; /* no base */
        }
    } else if (rm == 5 && mod == 0) {
        in->disp = (int32_t)next_imm(f, 4);
        if (mode64)
            in->rip_rel = 1;
        return;
    }
    base |= (rex & 1) ? 8 : 0;
    in->base = (uint8_t)base;
    if ((base & 7) == R_SP || (base & 7) == R_BP)
        in->seg = (base == R_SP || base == R_BP) ? S_SS : S_DS;
    if (mod == 1)
        in->disp = (int8_t)next_byte(f);
    else if (mod == 2)
        in->disp = (int32_t)next_imm(f, 4);
}

static bool row_matches(const struct opcode_row *r, unsigned pfx, const struct insn *in,
                        bool mode64)
{
    if (r->prefix != PFX_ANY && r->prefix != pfx)
        return false;
    if ((r->flags & D_ONLY64) && !mode64)
        return false;
    if ((r->flags & D_ONLYNO64) && mode64)
        return false;
    if (r->flags & D_MODRM) {
        if (r->reg != ANY && r->reg != ((in->modrm >> 3) & 7))
            return false;
        if (r->mod == MOD_MEM && in->mod == 3)
            return false;
        if (r->mod == MOD_REG && in->mod != 3)
            return false;
        if (r->rm != ANY && r->rm != (in->modrm & 7))
            return false;
    }
    return true;
}

enum decode_status decode_insn(struct insn *in, unsigned code_size, uint64_t isa_mask,
                               fetch_fn fetch, void *opaque, uint64_t offset)
{
    struct fetcher f = {.fetch = fetch, .opaque = opaque, .offset = offset};
    bool mode64 = code_size == 8;
    unsigned rex = 0, seg_override = S_NONE;
    bool p66 = false, p67 = false;
    unsigned last_rep = 0; /* 0xF2 or 0xF3, the last one wins */
    uint8_t b;

    decode_init();
    memset(in, 0, sizeof(*in));
    in->base = in->index = NO_REG;

    /* Legacy prefixes, then REX (SDM Vol.2 2.1.1, 2.2.1: REX must come last;
     * a REX followed by a legacy prefix is ignored). */
    for (;;) {
        b = next_byte(&f);
        if (f.fault || f.too_long)
            goto fetch_failed;
        switch (b) {
        case 0x26: seg_override = S_ES; rex = 0; continue;
        case 0x2e: seg_override = S_CS; rex = 0; continue;
        case 0x36: seg_override = S_SS; rex = 0; continue;
        case 0x3e: seg_override = S_DS; rex = 0; continue;
        case 0x64: seg_override = S_FS; rex = 0; continue;
        case 0x65: seg_override = S_GS; rex = 0; continue;
        case 0x66: p66 = true; rex = 0; continue;
        case 0x67: p67 = true; rex = 0; continue;
        case 0xf0: in->lock = 1; rex = 0; continue;
        case 0xf2: case 0xf3: last_rep = b; rex = 0; continue;
        default: break;
        }
        if (mode64 && (b & 0xf0) == 0x40) {
            rex = b;
            continue;
        }
        break;
    }
    in->rex = (uint8_t)rex;

    unsigned map = OPMAP_1;
    if (b == 0x0f) {
        b = next_byte(&f);
        map = OPMAP_0F;
        if (b == 0x38) {
            map = OPMAP_0F38;
            b = next_byte(&f);
        } else if (b == 0x3a) {
            map = OPMAP_0F3A;
            b = next_byte(&f);
        }
    }
    if (f.fault || f.too_long)
        goto fetch_failed;
    in->map = (uint8_t)map;
    in->opcode = b;

    const struct opcode_row *first = first_row(map, b);
    if (first && (first->flags & D_MODRM)) {
        in->modrm = next_byte(&f);
        in->mod = in->modrm >> 6;
    } else {
        in->mod = 3;
    }
    if (f.fault || f.too_long)
        goto fetch_failed;

    /* Mandatory prefix for SSE rows: F2/F3 (the last) beat 66. */
    unsigned pfx = last_rep == 0xf3 ? PFX_F3 : last_rep == 0xf2 ? PFX_F2 : p66 ? PFX_66 : PFX_NP;
    const struct opcode_row *row = NULL;
    unsigned row_index = 0;
    for (unsigned i = 0; i < row_count[map][b]; i++) {
        unsigned idx = row_sorted[row_first[map][b] + i];
        if (row_matches(&opcode_rows[idx], pfx, in, mode64)) {
            row = &opcode_rows[idx];
            row_index = idx;
            break;
        }
    }
    uint32_t flags = row ? row->flags : (first ? (first->flags & D_MODRM) : 0);

    /* Sizes (SDM Vol.1 3.6, Vol.2 2.2.1.2). */
    if (mode64) {
        in->addrsize = p67 ? 4 : 8;
        if (flags & D_FORCE64)
            in->opsize = 8;
        else if (rex & 8)
            in->opsize = 8;
        else if (p66 && !(row && row->prefix == PFX_66))
            in->opsize = 2;
        else
            in->opsize = (flags & D_DEF64) ? 8 : 4;
    } else {
        unsigned def = code_size;
        in->addrsize = (uint8_t)(p67 ? (def == 2 ? 4 : 2) : def);
        bool use66 = p66 && !(row && row->prefix == PFX_66);
        in->opsize = (uint8_t)(use66 ? (def == 2 ? 4 : 2) : def);
    }
    if (flags & D_SIZE32)
        in->opsize = (rex & 8) ? 8 : 4;
    if (flags & D_BYTE)
        in->opsize = 1;
    in->rep = last_rep == 0xf3 ? REP_E : last_rep == 0xf2 ? REP_NE : REP_NONE;

    if (flags & D_MODREG)
        in->mod = 3;
    if (flags & D_MODRM) {
        in->reg = (uint8_t)(((in->modrm >> 3) & 7) | ((rex & 4) ? 8 : 0));
        in->rm = (uint8_t)((in->modrm & 7) | ((rex & 1) ? 8 : 0));
        if (in->mod != 3)
            decode_modrm_mem(in, &f, rex, mode64);
    } else if (flags & D_OPREG) {
        in->reg = (uint8_t)((b & 7) | ((rex & 1) ? 8 : 0));
    }
    if (seg_override != S_NONE)
        in->seg = (uint8_t)seg_override;
    else if (!(flags & D_MODRM) || in->mod == 3)
        in->seg = S_DS;

    /* Immediates. */
    if (flags & (D_IMM8 | D_REL)) {
        if (flags & D_IMM8)
            in->imm = (uint64_t)sext(next_byte(&f), 1);
    }
    if (flags & D_IMM8U)
        in->imm = next_byte(&f);
    if (flags & D_IMM16)
        in->imm = next_imm(&f, 2);
    if (flags & D_IMMZ) {
        unsigned sz = in->opsize == 2 ? 2 : 4;
        if (flags & D_BYTE)
            sz = 1;
        in->imm = (uint64_t)sext(next_imm(&f, sz), sz);
    }
    if (flags & D_IMMV)
        in->imm = next_imm(&f, in->opsize);
    if (flags & D_ENTER) {
        in->imm = next_imm(&f, 2);
        in->imm2 = next_byte(&f);
    }
    if (flags & D_FARPTR) {
        in->imm = next_imm(&f, in->opsize == 2 ? 2 : 4);
        in->imm2 = (uint16_t)next_imm(&f, 2);
    }
    if (flags & D_MOFFS)
        in->imm = next_imm(&f, in->addrsize);
    if (f.fault || f.too_long)
        goto fetch_failed;

    in->len = (uint8_t)f.len;
    if (!row || (row->flags & D_NO64 && mode64) ||
        (row->isa != ISA_BASE && !(isa_mask & (1ull << row->isa)))) {
        in->fn = op_ud;
        return DECODE_UD;
    }
    /* LOCK is allowed only on the listed read-modify-write forms with a
     * memory destination (SDM Vol.2 LOCK). */
    if (in->lock && (!(row->flags & D_LOCK) || in->mod == 3)) {
        in->fn = op_ud;
        return DECODE_UD;
    }
    in->fn = row->fn;
    in->row = (uint16_t)row_index;
    in->mandatory = (uint8_t)(row->prefix);
    in->fn = insn_specialize(in);
    /* Rows with an exit column run the generic intercept step first; it
     * calls the row's handler (opcode_rows[in->row].fn) when no exit. */
    if (row->exit != RX_NONE)
        in->fn = op_row_intercept;
    return DECODE_OK;

fetch_failed:
    in->len = (uint8_t)f.len;
    in->fn = op_ud;
    return f.too_long ? DECODE_TOO_LONG : DECODE_FETCH_FAULT;
}

const char *insn_name(const struct insn *in)
{
    if (in->fn == op_ud)
        return "(bad)";
    return opcode_rows[in->row].name;
}

uint32_t insn_flags(const struct insn *in)
{
    return opcode_rows[in->row].flags;
}

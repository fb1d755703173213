/* The opcode table's EF column (cpu/opcodes.h) against the handlers: for
 * every row, an encoding that selects it runs with random operands and
 * flags, in 64-bit mode (32-bit mode for the rows 64-bit mode lacks), and
 *  - the FLAGS bits that changed are within the row's out | undef;
 *  - the flags flags_defined() calls defined come out the same whatever
 *    the incoming values of the arithmetic flags the row does not read.
 * Runs that raise an exception are not counted (a fault changes no flag of
 * the instruction's own). Also: -turtles-undefined random's block loop
 * (cpu_set_undefined_random) randomizes exactly flags_undefined(). */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/flags_table.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"

#define CODE_ADDR 0x200000ull
#define DATA_ADDR 0x100000ull /* memory operands and string buffers */
#define TRIALS 48

static struct harness H;
static struct cpu_model model_all;
static uint64_t rng = 0x666c616773ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static bool fetch_phys(void *opaque, uint64_t off, uint8_t *b)
{
    struct harness *h = opaque;
    *b = (uint8_t)physmem_read(&h->mem, off & 0xffffffffull, 1);
    return true;
}

/* Bytes selecting `row`: its mandatory prefix or a random operand-size
 * prefix, REX.W sometimes (64-bit mode), the map escape, the opcode, a
 * ModRM honouring the row's reg/mod/rm (memory operands are [rbx+disp32]),
 * then random bytes for whatever immediate the row takes. */
static unsigned encode_row(const struct opcode_row *row, bool long_mode, uint8_t *b)
{
    unsigned n = 0;
    static const uint8_t mand[] = {0, 0, 0x66, 0xf3, 0xf2};
    if (row->prefix == PFX_ANY && (row->flags & D_MODRM) && rnd() % 4 == 0)
        b[n++] = 0x66;
    if (row->prefix >= PFX_66)
        b[n++] = mand[row->prefix];
    if (long_mode && rnd() % 2 && !(row->flags & D_OPREG))
        b[n++] = 0x48;
    if (row->map != OPMAP_1)
        b[n++] = 0x0f;
    if (row->map == OPMAP_0F38)
        b[n++] = 0x38;
    if (row->map == OPMAP_0F3A)
        b[n++] = 0x3a;
    b[n++] = row->opcode;
    if (row->flags & D_MODRM) {
        unsigned reg = row->reg >= 0 ? (unsigned)row->reg : (unsigned)(rnd() % 8);
        bool mem = row->mod == MOD_MEM || (row->mod == MOD_ANY && rnd() % 2);
        if (row->rm >= 0)
            mem = false;
        if (row->flags & D_MODREG)
            mem = false;
        if (mem) {
            b[n++] = (uint8_t)(0x80 | reg << 3 | 3); /* [rbx + disp32] */
            uint32_t d = (uint32_t)(rnd() % 0x800);
            for (int i = 0; i < 4; i++)
                b[n++] = (uint8_t)(d >> (8 * i));
        } else {
            unsigned rm = row->rm >= 0 ? (unsigned)row->rm : (unsigned)(rnd() % 8);
            b[n++] = (uint8_t)(0xc0 | reg << 3 | rm);
        }
    }
    for (int i = 0; i < 16; i++)
        b[n++] = (uint8_t)rnd();
    return n;
}

struct run {
    bool ok;          /* completed without an exception */
    uint64_t flags;   /* RFLAGS after */
};

/* Memory the instructions may write, restored before each run: the top
 * of the stack (below 0x80000) and the data region around RBX, RSI, RDI. */
#define STACK_SNAP 0x7f000ull
#define DATA_SNAP (DATA_ADDR - 0x1000)
#define SNAP_STACK_SIZE 0x1000u
#define SNAP_SIZE (SNAP_STACK_SIZE + 0x4000u)
static uint8_t snapshot[SNAP_SIZE];

/* One instruction from a fresh copy of the CPU state. */
static struct run run_one(const struct cpu *start, const struct insn *in)
{
    struct cpu *c = &H.cpu;
    physmem_write_buf(&H.mem, STACK_SNAP, snapshot, SNAP_STACK_SIZE);
    physmem_write_buf(&H.mem, DATA_SNAP, snapshot + SNAP_STACK_SIZE, SNAP_SIZE - SNAP_STACK_SIZE);
    *c = *start;
    c->next_rip = c->rip + in->len;
    c->stop_block = false;
    c->cur_insn = in;
    if (setjmp(c->exc_jmp))
        return (struct run){.ok = false};
    in->fn(c, in);
    return (struct run){.ok = true, .flags = c->rflags};
}

static bool is_rep_string(const struct opcode_row *row, const struct insn *in)
{
    return in->rep && (row->fn == op_cmps || row->fn == op_scas);
}

static unsigned rows_run, rows_never;
static bool row_done[4096];

/* 64-bit mode: the rows it has. 32-bit mode: the rows 64-bit mode lacks or
 * never selects (40-4F are REX prefixes there) or could not complete. */
static void walk_rows(unsigned bits)
{
    harness_init(&H, bits);
    model_all = *cpu_models[0];
    model_all.isa_mask = ~0ull;
    H.cpu.model = &model_all;
    if (bits == 64) {
        /* What the system rows need to complete: XSAVE and FSGSBASE
         * enabled, and a GDT (64-bit code at 0x08) and IDT whose
         * interrupt gates lead to 0x300000, for INT n / INT3 / INT1. */
        H.cpu.cr4 |= CR4_OSXSAVE | CR4_FSGSBASE;
        H.cpu.xcr0 = 3;
        physmem_write(&H.mem, 0x6008, 0x00209a0000000000ull, 8);
        H.cpu.gdtr.base = 0x6000;
        H.cpu.gdtr.limit = 15;
        for (unsigned v = 0; v < 256; v++) {
            uint64_t gate = 0x0000 | 0x08ull << 16 | 0xeeull << 40 | (0x300000ull >> 16) << 48;
            physmem_write(&H.mem, 0x7000 + v * 16, gate, 8);
            physmem_write(&H.mem, 0x7008 + v * 16, 0, 8);
        }
        H.cpu.idtr.base = 0x7000;
        H.cpu.idtr.limit = 0xfff;
    }
    static struct cpu base;
    base = H.cpu;
    uint64_t isa = model_all.isa_mask;
    for (unsigned r = 0; r < opcode_row_count; r++) {
        const struct opcode_row *row = &opcode_rows[r];
        if (bits == 64 && (row->flags & (D_NO64 | D_ONLYNO64)))
            continue;
        if (bits == 32 && (row_done[r] || (row->flags & D_ONLY64)))
            continue;
        const struct row_eflags ef = row->ef;
        ck_assert_msg(!(ef.out & ~0xffffu) && !(ef.undef & ~0xffffu), "row %u", r);
        unsigned completed = 0;
        for (unsigned t = 0; t < TRIALS; t++) {
            uint8_t code[40];
            unsigned len = encode_row(row, bits == 64, code);
            physmem_write_buf(&H.mem, CODE_ADDR, code, len);
            struct insn in;
            if (decode_insn(&in, bits / 8, isa, fetch_phys, &H, CODE_ADDR) != DECODE_OK ||
                in.row != r)
                continue; /* the bytes selected another row (or prefixes clashed) */
            struct cpu s = base;
            for (int g = 0; g < 16; g++)
                s.gpr[g] = rnd() % 4 ? rnd() : rnd() % 3;
            s.gpr[R_CX] = rnd() % 72;
            s.gpr[R_BX] = DATA_ADDR;
            s.gpr[R_SI] = DATA_ADDR + 0x1000;
            s.gpr[R_DI] = DATA_ADDR + 0x1800;
            s.gpr[R_SP] = 0x80000 - 8 * (rnd() % 16);
            if (row->fn == op_bt_rm_r && insn_has_mem(&in)) {
                /* a bit offset that stays inside the restored memory */
                if (in.reg == R_BX)
                    continue; /* the offset would be the base too */
                s.gpr[in.reg] = (uint64_t)((int64_t)(rnd() % 0x8000) - 0x4000);
            }
            s.rip = CODE_ADDR;
            s.rflags = 0x2 | (rnd() & (F_ARITH | F_DF));
            for (unsigned i = 0; i < SNAP_SIZE; i += 8) {
                uint64_t v = rnd() % 4 ? rnd() : rnd() % 3;
                memcpy(snapshot + i, &v, 8);
            }
            uint64_t count = 0;
            flags_count_operand(&s, &in, &count);
            uint64_t before = s.rflags;
            struct run a = run_one(&s, &in);
            if (!a.ok)
                continue;
            completed++;
            uint64_t changed = (a.flags ^ before) & 0xffff;
            ck_assert_msg(!(changed & ~(uint64_t)(ef.out | ef.undef)),
                          "row %u (%s, %u-bit code): flags %#llx changed, table says "
                          "out %#x undef %#x",
                          r, row->name, bits, (unsigned long long)changed, ef.out, ef.undef);
            /* The same operands with other values of the arithmetic flags
             * the row does not read: the defined outputs agree. */
            uint16_t defined = flags_defined(row, &in, count);
            if (!defined || (is_rep_string(row, &in) && s.gpr[R_CX] == 0))
                continue;
            s.rflags = before ^ (rnd() & F_ARITH & ~(uint64_t)ef.in);
            struct run b = run_one(&s, &in);
            ck_assert_msg(b.ok, "row %u (%s): faulted only with other flags", r, row->name);
            ck_assert_msg(!((a.flags ^ b.flags) & defined),
                          "row %u (%s, %u-bit code): defined flags %#x depend on incoming flags "
                          "(%#llx vs %#llx)",
                          r, row->name, bits, defined, (unsigned long long)a.flags,
                          (unsigned long long)b.flags);
        }
        if (completed)
            row_done[r] = true;
    }
    H.cpu = base;
    harness_free(&H);
}

START_TEST(test_every_row)
{
    rows_run = rows_never = 0;
    ck_assert_uint_le(opcode_row_count, 4096);
    walk_rows(64);
    walk_rows(32);
    printf("flags_table: rows that never completed without an exception in the bare "
           "harness:");
    for (unsigned r = 0; r < opcode_row_count; r++) {
        if (row_done[r]) {
            rows_run++;
        } else {
            rows_never++;
            printf(" %s", opcode_rows[r].name);
        }
    }
    printf("\nflags_table: %u rows ran, %u did not\n", rows_run, rows_never);
    /* The integer and most system rows run here: a table-wide check. */
    ck_assert_uint_gt(rows_run, 600);
}
END_TEST

/* The narrowing by count (SDM Vol.2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR,
 * SHLD/SHRD "Flags Affected"), and the undefined results. */
static struct insn decoded(const uint8_t *bytes, unsigned len)
{
    harness_init(&H, 64);
    physmem_write_buf(&H.mem, CODE_ADDR, bytes, len);
    struct insn in;
    ck_assert_int_eq(decode_insn(&in, 8, ~0ull, fetch_phys, &H, CODE_ADDR), DECODE_OK);
    harness_free(&H);
    return in;
}

static uint16_t undef_of(const uint8_t *bytes, unsigned len, uint64_t count)
{
    struct insn in = decoded(bytes, len);
    return flags_undefined(insn_row(&in), &in, count);
}

static bool result_undef(const uint8_t *bytes, unsigned len, uint64_t src, uint64_t count)
{
    struct insn in = decoded(bytes, len);
    return result_undefined(insn_row(&in), &in, src, count);
}

START_TEST(test_count_narrowing)
{
    static const uint8_t rol32[] = {0xd3, 0xc0};        /* rol eax, cl */
    static const uint8_t shl8[] = {0xd2, 0xe0};         /* shl al, cl */
    static const uint8_t sar8[] = {0xd2, 0xf8};         /* sar al, cl */
    static const uint8_t shld16[] = {0x66, 0x0f, 0xa5, 0xd8}; /* shld ax, bx, cl */
    static const uint8_t bsf[] = {0x0f, 0xbc, 0xc1};
    ck_assert_uint_eq(undef_of(rol32, 2, 0), 0);
    ck_assert_uint_eq(undef_of(rol32, 2, 32), 0);        /* masked to 0 */
    ck_assert_uint_eq(undef_of(rol32, 2, 1), 0);
    ck_assert_uint_eq(undef_of(rol32, 2, 30), F_OF);
    ck_assert_uint_eq(undef_of(shl8, 2, 1), F_AF);
    ck_assert_uint_eq(undef_of(shl8, 2, 7), F_AF | F_OF);
    ck_assert_uint_eq(undef_of(shl8, 2, 8), F_AF | F_OF | F_CF);
    ck_assert_uint_eq(undef_of(sar8, 2, 9), F_AF | F_OF);
    ck_assert_uint_eq(undef_of(shld16, 4, 16), F_AF | F_OF);
    ck_assert_uint_eq(undef_of(shld16, 4, 17), F_ARITH);
    ck_assert_uint_eq(undef_of(bsf, 3, 0), F_CF | F_OF | F_SF | F_AF | F_PF);

    static const uint8_t bsf16[] = {0x66, 0x0f, 0xbc, 0xc1};
    static const uint8_t bswap16[] = {0x66, 0x0f, 0xc8};
    static const uint8_t bswap32[] = {0x0f, 0xc8};
    ck_assert(result_undef(bsf, 3, 0, 0));
    ck_assert(result_undef(bsf, 3, 0x100000000ull, 0)); /* the 32-bit source is 0 */
    ck_assert(result_undef(bsf16, 4, 0x10000, 0));      /* the 16-bit source is 0 */
    ck_assert(!result_undef(bsf16, 4, 1, 0));
    ck_assert(!result_undef(shld16, 4, 0, 16));
    ck_assert(result_undef(shld16, 4, 0, 17));
    ck_assert(!result_undef(shld16, 4, 0, 33));         /* masked to 1 */
    ck_assert(result_undef(bswap16, 3, 0, 0));
    ck_assert(!result_undef(bswap32, 2, 0, 0));
}
END_TEST

/* -turtles-undefined random: after SHL by 3 the defined flags are right and
 * AF/OF (undefined) take both values over a few seeds; after ADD nothing is
 * randomized. */
START_TEST(test_random_mode)
{
    /* mov eax, 0x40000001; shl eax, 3; pushfq; pop rbx; add ecx, edx;
     * pushfq; pop rsi; hlt */
    static const uint8_t code[] = {0xb8, 0x01, 0x00, 0x00, 0x40, 0xc1, 0xe0, 0x03, 0x9c, 0x5b,
                                   0x01, 0xd1, 0x9c, 0x5e, 0xf4};
    unsigned seen_of = 0, seen_af = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        harness_init(&H, 64);
        cpu_set_undefined_random(&H.cpu, seed);
        harness_load(&H, CODE_ADDR, code, sizeof(code));
        H.cpu.gpr[R_CX] = 5;
        H.cpu.gpr[R_DX] = (uint64_t)-5;
        ck_assert_int_eq(harness_run(&H, CODE_ADDR, 100), 0);
        uint64_t f = H.cpu.gpr[R_BX];
        /* 0x40000001 << 3 = 8 (bit 30 shifted out), last bit out = bit 29 = 0 */
        ck_assert_uint_eq(f & (F_CF | F_ZF | F_SF | F_PF), 0);
        seen_of |= 1u << !!(f & F_OF);
        seen_af |= 1u << !!(f & F_AF);
        /* add 5 + -5: CF, ZF, PF, AF set; SF, OF clear: nothing random */
        ck_assert_uint_eq(H.cpu.gpr[R_SI] & F_ARITH, F_CF | F_ZF | F_PF | F_AF);
        harness_free(&H);
    }
    ck_assert_uint_eq(seen_of, 3);
    ck_assert_uint_eq(seen_af, 3);
}
END_TEST

static Suite *flags_table_suite(void)
{
    Suite *s = suite_create("flags_table");
    TCase *tc = tcase_create("table");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_row);
    tcase_add_test(tc, test_count_narrowing);
    tcase_add_test(tc, test_random_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    decode_init();
    SRunner *sr = srunner_create(flags_table_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

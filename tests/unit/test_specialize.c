/* Decode-time specialization (cpu/specialize.h): every specialized handler
 * must leave exactly the state its generic handler leaves. For each
 * encoding below, in 32- and 64-bit code and from many random register and
 * flag states, run the generic handler (the opcode row's) and the
 * specialized one (what decode_insn() picked) from the same state and
 * compare registers, RFLAGS, next RIP, stop_block, the raised exception and
 * the memory the operands can reach. Half of the specialized runs start
 * with an empty TLB so the memory fast paths' fallbacks are covered too. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/opcodes.h"
#include "cpu/specialize.h"
#include "tests/unit/harness.h"

#define CODE_ADDR 0x10000u
#define DATA_ADDR 0x200000u /* RBX points here; RSI 0x100 above */
#define DATA_LEN 0x400u
#define STACK_TOP 0x80000u
#define STACK_LEN 0x100u
/* Small random base registers (and 0xff..ff + disp, which wraps) address
 * the bottom of RAM: it is compared and restored as well. */
#define LOW_LEN 0x400u

static struct harness H;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: a fixed sequence keeps failures reproducible. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static bool fetch_phys(void *opaque, uint64_t off, uint8_t *b)
{
    struct harness *h = opaque;
    *b = (uint8_t)physmem_read(&h->mem, off & 0xffffffffffffull, 1);
    return true;
}

struct snapshot {
    uint64_t gpr[16];
    uint64_t rflags, next_rip;
    bool stop_block;
    int exc;
    uint8_t data[DATA_LEN];
    uint8_t stack[STACK_LEN];
    uint8_t low[LOW_LEN];
};

/* RAM copies through host page pointers (the harness RAM is plain memory). */
static void mem_copy_out(uint64_t addr, uint8_t *dst, unsigned len)
{
    while (len) {
        unsigned chunk = 0x1000 - (unsigned)(addr & 0xfff);
        if (chunk > len)
            chunk = len;
        memcpy(dst, physmem_ram_page(&H.mem, addr) + (addr & 0xfff), chunk);
        addr += chunk;
        dst += chunk;
        len -= chunk;
    }
}

static void mem_copy_in(uint64_t addr, const uint8_t *src, unsigned len)
{
    while (len) {
        unsigned chunk = 0x1000 - (unsigned)(addr & 0xfff);
        if (chunk > len)
            chunk = len;
        memcpy(physmem_ram_page(&H.mem, addr) + (addr & 0xfff), src, chunk);
        addr += chunk;
        src += chunk;
        len -= chunk;
    }
}

static void take(struct snapshot *s, int exc)
{
    struct cpu *c = &H.cpu;
    memcpy(s->gpr, c->gpr, sizeof(s->gpr));
    s->rflags = c->rflags;
    s->next_rip = c->next_rip;
    s->stop_block = c->stop_block;
    s->exc = exc;
    mem_copy_out(DATA_ADDR, s->data, DATA_LEN);
    mem_copy_out(STACK_TOP - STACK_LEN / 2, s->stack, STACK_LEN);
    mem_copy_out(0, s->low, LOW_LEN);
}

static void restore(const struct snapshot *s)
{
    struct cpu *c = &H.cpu;
    memcpy(c->gpr, s->gpr, sizeof(s->gpr));
    c->rflags = s->rflags;
    mem_copy_in(DATA_ADDR, s->data, DATA_LEN);
    mem_copy_in(STACK_TOP - STACK_LEN / 2, s->stack, STACK_LEN);
    mem_copy_in(0, s->low, LOW_LEN);
}

static int run_handler(insn_handler fn, const struct insn *in)
{
    struct cpu *c = &H.cpu;
    c->next_rip = c->rip + in->len;
    c->stop_block = false;
    c->exc_vector = -1;
    if (setjmp(c->exc_jmp))
        return c->exc_vector;
    fn(c, in);
    return -1;
}

static unsigned n_specialized, n_compared;

/* Compare generic and specialized runs of one encoding from 16 random
 * states. */
static void check_encoding(const uint8_t *code, unsigned len, bool mode64)
{
    struct cpu *c = &H.cpu;
    uint8_t buf[16] = {0};
    memcpy(buf, code, len);
    buf[len] = 0xf4;
    harness_load(&H, CODE_ADDR, buf, len + 1);
    c->rip = CODE_ADDR;
    struct insn in;
    enum decode_status st =
        decode_insn(&in, mode64 ? 8 : 4, c->model->isa_mask, fetch_phys, &H, c->rip);
    ck_assert_int_eq(st, DECODE_OK);
    insn_handler generic = opcode_rows[in.row].fn;
    if (in.fn == generic)
        return;
    n_specialized++;
    for (int s = 0; s < 16; s++) {
        for (int r = 0; r < 16; r++) {
            uint64_t v = rnd();
            /* Small values and boundary values make carries, zero results
             * and sign changes likely. */
            switch (rnd() % 4) {
            case 0: v &= 0xff; break;
            case 1: v = (v & 1) ? 0xffffffffffffffffull : 0x7fffffffull; break;
            default: break;
            }
            c->gpr[r] = mode64 ? v : (uint32_t)v;
        }
        if (s == 0)
            c->gpr[R_CX] = 0; /* a shift by CL of 0 (flags unchanged) */
        c->gpr[R_BX] = DATA_ADDR;
        c->gpr[R_SI] = DATA_ADDR + 0x100;
        c->gpr[R_DI] &= 0x3f; /* index register of the SIB forms */
        c->gpr[R_SP] = STACK_TOP;
        c->rflags = 2 | (rnd() & (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF));
        uint8_t fill[DATA_LEN];
        for (unsigned i = 0; i < DATA_LEN; i++)
            fill[i] = (uint8_t)rnd();
        mem_copy_in(DATA_ADDR, fill, DATA_LEN);
        for (unsigned i = 0; i < STACK_LEN; i++) {
            /* Return addresses near the code, so RET mostly succeeds. */
            fill[i] = (i % 8) == 0 ? (uint8_t)rnd() : (i % 8) == 1 ? 0x01 : 0;
        }
        mem_copy_in(STACK_TOP - STACK_LEN / 2, fill, STACK_LEN);
        struct snapshot start, a, b;
        take(&start, -1);
        int ea = run_handler(generic, &in);
        take(&a, ea);
        restore(&start);
        if (s & 1)
            tlb_flush_all(&c->tlb);
        int eb = run_handler(in.fn, &in);
        take(&b, eb);
        restore(&start);
        n_compared++;
        ck_assert_msg(a.exc == b.exc, "%s: exception %d vs %d", insn_name(&in), a.exc, b.exc);
        for (int r = 0; r < 16; r++)
            ck_assert_msg(a.gpr[r] == b.gpr[r], "%s (%02x %02x %02x %02x): r%d %#llx vs %#llx",
                          insn_name(&in), code[0], code[1], code[2], code[3], r,
                          (unsigned long long)a.gpr[r], (unsigned long long)b.gpr[r]);
        ck_assert_msg(a.rflags == b.rflags, "%s (%02x %02x %02x): rflags %#llx vs %#llx",
                      insn_name(&in), code[0], code[1], code[2],
                      (unsigned long long)a.rflags, (unsigned long long)b.rflags);
        ck_assert_msg(a.exc >= 0 || a.next_rip == b.next_rip, "%s: next_rip", insn_name(&in));
        ck_assert_msg(a.exc >= 0 || a.stop_block == b.stop_block, "%s: stop_block",
                      insn_name(&in));
        ck_assert_msg(!memcmp(a.data, b.data, DATA_LEN), "%s: data memory", insn_name(&in));
        ck_assert_msg(!memcmp(a.stack, b.stack, STACK_LEN), "%s: stack memory", insn_name(&in));
        ck_assert_msg(!memcmp(a.low, b.low, LOW_LEN), "%s: low memory", insn_name(&in));
    }
}

/* Emit prefix bytes, opcode bytes, a ModRM (with disp8 0x10 for mod 1, a
 * SIB [rbx+rdi*4+0x10] for rm 4, and for mod 0 rm 5, RIP-relative in 64-bit
 * code, a disp32 that reaches the data area) and an immediate of imm_len
 * bytes. */
static void emit(bool mode64, const uint8_t *pfx, unsigned npfx, const uint8_t *op, unsigned nop,
                 int modrm, unsigned imm_len)
{
    uint8_t code[15];
    unsigned n = 0;
    for (unsigned i = 0; i < npfx; i++)
        code[n++] = pfx[i];
    for (unsigned i = 0; i < nop; i++)
        code[n++] = op[i];
    if (modrm >= 0) {
        code[n++] = (uint8_t)modrm;
        if ((modrm >> 6) == 1) {
            if ((modrm & 7) == 4)
                code[n++] = 0xbb; /* scale 4, index RDI, base RBX */
            code[n++] = 0x10;
        } else if ((modrm & 0xc7) == 0x05) {
            /* next RIP (CODE_ADDR + at most 15) + disp lands at DATA_ADDR + 0x20..0x2f */
            uint32_t disp = DATA_ADDR + 0x20 - CODE_ADDR;
            memcpy(code + n, &disp, 4);
            n += 4;
        }
    }
    for (unsigned i = 0; i < imm_len; i++)
        code[n++] = (uint8_t)(i == 0 ? 0x85 : rnd());
    check_encoding(code, n, mode64);
}

/* ModRM bytes: register forms (including byte registers 4-7, which are
 * AH..BH without REX) and memory forms [rbx+disp8], [rbx+rdi*4+disp8]. */
static const int modrms_rm[] = {0xc1, 0xd8, 0xe5, 0xfc, 0xc0, 0x43, 0x44, 0x5e};

static void all_encodings(bool mode64)
{
    static const uint8_t pfx32[][2] = {{0}, {0x66}};
    static const uint8_t pfx64[][2] = {{0}, {0x66}, {0x48}, {0x40}, {0x4d}};
    unsigned npfx = mode64 ? 5 : 2;
    for (unsigned p = 0; p < npfx; p++) {
        const uint8_t *pf = mode64 ? pfx64[p] : pfx32[p];
        unsigned pl = pf[0] ? 1 : 0;
        unsigned immz = pf[0] == 0x66 ? 2 : 4;
        bool rex_w = mode64 && (pf[0] & 0xf8) == 0x48;
        for (unsigned m = 0; m < sizeof(modrms_rm) / sizeof(modrms_rm[0]) + mode64; m++) {
            /* and in 64-bit code a RIP-relative operand */
            int mr = m < sizeof(modrms_rm) / sizeof(modrms_rm[0]) ? modrms_rm[m] : 0x05;
            for (unsigned op = 0; op < 8; op++) {
                for (unsigned k = 0; k < 4; k++) {
                    uint8_t opc = (uint8_t)(op * 8 + k);
                    emit(mode64, pf, pl, &opc, 1, mr, 0);
                }
                uint8_t g80 = 0x80, g81 = 0x81, g83 = 0x83;
                int grp = (mr & ~0x38) | (int)(op << 3);
                emit(mode64, pf, pl, &g80, 1, grp, 1);
                emit(mode64, pf, pl, &g81, 1, grp, immz);
                emit(mode64, pf, pl, &g83, 1, grp, 1);
            }
            static const uint8_t simple[] = {0x84, 0x85, 0x88, 0x89, 0x8a, 0x8b};
            for (unsigned i = 0; i < sizeof(simple); i++)
                emit(mode64, pf, pl, &simple[i], 1, mr, 0);
            if ((mr >> 6) != 3) {
                uint8_t lea = 0x8d;
                emit(mode64, pf, pl, &lea, 1, mr, 0);
            }
            uint8_t f6 = 0xf6, f7 = 0xf7, c6 = 0xc6, c7 = 0xc7, fe = 0xfe, ff = 0xff;
            int r0 = mr & ~0x38, r1 = r0 | 0x08;
            emit(mode64, pf, pl, &f6, 1, r0, 1);
            emit(mode64, pf, pl, &f7, 1, r0, immz);
            emit(mode64, pf, pl, &c6, 1, r0, 1);
            emit(mode64, pf, pl, &c7, 1, r0, immz);
            emit(mode64, pf, pl, &fe, 1, r0, 0);
            emit(mode64, pf, pl, &fe, 1, r1, 0);
            emit(mode64, pf, pl, &ff, 1, r0, 0);
            emit(mode64, pf, pl, &ff, 1, r1, 0);
            static const uint8_t ext[][2] = {{0x0f, 0xb6}, {0x0f, 0xb7}, {0x0f, 0xbe},
                                             {0x0f, 0xbf}, {0x0f, 0xaf}};
            for (unsigned i = 0; i < 5; i++)
                emit(mode64, pf, pl, ext[i], 2, mr, 0);
            uint8_t i69 = 0x69, i6b = 0x6b;
            emit(mode64, pf, pl, &i69, 1, mr, immz);
            emit(mode64, pf, pl, &i6b, 1, mr, 1);
            if ((mr >> 6) == 3) {
                uint8_t c1 = 0xc1, d1 = 0xd1;
                for (unsigned sop = 0; sop < 8; sop++) {
                    int smr = (mr & ~0x38) | (int)(sop << 3);
                    emit(mode64, pf, pl, &d1, 1, smr, 0);
                    uint8_t d3 = 0xd3; /* count CL: random, 0 and above the mask included */
                    emit(mode64, pf, pl, &d3, 1, smr, 0);
                    static const uint8_t counts[] = {0, 1, 2, 5, 16, 31, 33, 63};
                    for (unsigned ci = 0; ci < sizeof(counts); ci++) {
                        uint8_t code[4] = {c1, (uint8_t)smr, counts[ci]};
                        if (pl) {
                            code[0] = pf[0];
                            code[1] = c1;
                            code[2] = (uint8_t)smr;
                            code[3] = counts[ci];
                        }
                        check_encoding(code, 3 + pl, mode64);
                    }
                }
            }
        }
        /* Accumulator and opcode-register forms. */
        for (unsigned op = 0; op < 8; op++) {
            uint8_t a8 = (uint8_t)(op * 8 + 4), az = (uint8_t)(op * 8 + 5);
            emit(mode64, pf, pl, &a8, 1, -1, 1);
            emit(mode64, pf, pl, &az, 1, -1, immz);
        }
        uint8_t a8 = 0xa8, a9 = 0xa9;
        emit(mode64, pf, pl, &a8, 1, -1, 1);
        emit(mode64, pf, pl, &a9, 1, -1, immz);
        for (unsigned r = 0; r < 8; r++) {
            uint8_t b0 = (uint8_t)(0xb0 + r), b8 = (uint8_t)(0xb8 + r);
            uint8_t push = (uint8_t)(0x50 + r), pop = (uint8_t)(0x58 + r);
            emit(mode64, pf, pl, &b0, 1, -1, 1);
            emit(mode64, pf, pl, &b8, 1, -1, rex_w ? 8 : immz);
            emit(mode64, pf, pl, &push, 1, -1, 0);
            emit(mode64, pf, pl, &pop, 1, -1, 0);
            if (!mode64) {
                uint8_t inc = (uint8_t)(0x40 + r), dec = (uint8_t)(0x48 + r);
                emit(mode64, pf, pl, &inc, 1, -1, 0);
                emit(mode64, pf, pl, &dec, 1, -1, 0);
            }
        }
    }
    /* Branches: Jcc rel8/rel32, CALL rel32, RET. */
    for (unsigned cc = 0; cc < 16; cc++) {
        uint8_t j8[2] = {(uint8_t)(0x70 + cc), 0x20};
        uint8_t j32[6] = {0x0f, (uint8_t)(0x80 + cc), 0x00, 0x01, 0, 0};
        check_encoding(j8, 2, mode64);
        check_encoding(j32, 6, mode64);
    }
    uint8_t call[5] = {0xe8, 0x00, 0x02, 0, 0}, ret = 0xc3;
    check_encoding(call, 5, mode64);
    check_encoding(&ret, 1, mode64);
}

/* The fast-form table: every generic handler it replaces is a handler of
 * the opcode table (so grep from the row finds it), appears once, and every
 * fast handler has a unique name that handler_name() returns (-d exec). */
START_TEST(fast_form_table_consistent)
{
    const struct fast_family *fams[] = {&alu_fast_family, &shift_fast_family,
                                        &stack_fast_family, &muldiv_fast_family};
    unsigned nforms = 0, nnames = 0;
    for (unsigned f = 0; f < 4; f++) {
        for (unsigned i = 0; i < fams[f]->nforms; i++) {
            insn_handler g = fams[f]->forms[i].generic;
            bool in_table = false;
            for (unsigned r = 0; r < opcode_row_count; r++)
                in_table |= opcode_rows[r].fn == g;
            ck_assert_msg(in_table, "family %u form %u: generic handler not in the opcode table", f, i);
            ck_assert_str_ne(handler_name(g), "?");
            for (unsigned f2 = 0; f2 < 4; f2++)
                for (unsigned j = 0; j < fams[f2]->nforms; j++)
                    if (f2 != f || j != i)
                        ck_assert_msg(fams[f2]->forms[j].generic != g, "%s listed twice",
                                      handler_name(g));
            nforms++;
        }
        for (unsigned i = 0; i < fams[f]->nnames; i++) {
            ck_assert_ptr_nonnull(fams[f]->names[i].fn);
            ck_assert_str_eq(handler_name(fams[f]->names[i].fn), fams[f]->names[i].name);
            nnames++;
        }
    }
    ck_assert_uint_ge(nforms, 20);
    ck_assert_uint_ge(nnames, 300);
    ck_assert_str_eq(handler_name(op_alu_rm_r), "op_alu_rm_r");
}
END_TEST

/* A decoded ADD r32, r/m32 (03 C1: add eax, ecx) runs a named fast form. */
START_TEST(decoded_fast_form_has_name)
{
    struct insn in = {.fn = op_alu_r_rm, .opsize = 4, .mod = 3, .opcode = 0x03, .modrm = 0xc1};
    insn_handler fast = insn_specialize(&in);
    ck_assert_ptr_ne(fast, op_alu_r_rm);
    ck_assert_str_eq(handler_name(fast), "alu_rrm_reg_0_4");
}
END_TEST

START_TEST(specialized_match_generic_32)
{
    harness_init(&H, 32);
    n_specialized = n_compared = 0;
    all_encodings(false);
    ck_assert_uint_gt(n_specialized, 400);
    harness_free(&H);
}
END_TEST

START_TEST(specialized_match_generic_64)
{
    harness_init(&H, 64);
    n_specialized = n_compared = 0;
    all_encodings(true);
    ck_assert_uint_gt(n_specialized, 1000);
    harness_free(&H);
}
END_TEST

int main(void)
{
    decode_init();
    Suite *s = suite_create("specialize");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fast_form_table_consistent);
    tcase_add_test(tc, decoded_fast_form_has_name);
    tcase_add_test(tc, specialized_match_generic_32);
    tcase_add_test(tc, specialized_match_generic_64);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

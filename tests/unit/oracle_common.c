/* Shared code of the host-CPU oracle tests; see oracle_common.h. */
#define _GNU_SOURCE
#include "tests/unit/oracle_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/flags_table.h"
#include "cpu/opcodes.h"
#include "mmu/physmem.h"

uint64_t oracle_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t oracle_env_u64(const char *name, uint64_t def)
{
    const char *env = getenv(name);
    return env ? strtoull(env, NULL, 0) : def;
}

void oracle_turtles_init(struct harness *h, struct cpu_model *model, unsigned bits)
{
    harness_init(h, bits);
    *model = *cpu_models[0];
    model->isa_mask = ~0ull;
    h->cpu.model = model;
}

bool oracle_fetch_phys(void *opaque, uint64_t addr, uint8_t *b)
{
    *b = (uint8_t)physmem_read(opaque, addr, 1);
    return true;
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

const struct oracle_host *oracle_host(void)
{
    static struct oracle_host host;
    static bool done;
    if (done)
        return &host;
    done = true;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    unsigned max = a;
    memcpy(host.vendor, &b, 4);
    memcpy(host.vendor + 4, &d, 4);
    memcpy(host.vendor + 8, &c, 4);
    host.vendor[12] = 0;
    host.intel = strcmp(host.vendor, "GenuineIntel") == 0;
    __cpuid(1, a, b, c, d);
    unsigned fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
    host.family = fam == 0xf ? fam + ((a >> 20) & 0xff) : fam;
    host.model = (fam == 0x6 || fam == 0xf) ? mod | (((a >> 16) & 0xf) << 4) : mod;
    host.stepping = a & 0xf;
    host.leaf1_ecx = c;
    host.leaf1_edx = d;
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        host.leaf7_ebx = b;
        host.leaf7_ecx = c;
    }
    __cpuid(0x80000000, a, b, c, d);
    if (a >= 0x80000001) {
        __cpuid(0x80000001, a, b, c, d);
        host.ext1_ecx = c;
        host.ext1_edx = d;
    }
#else
    strcpy(host.vendor, "none");
#endif
    return &host;
}

void oracle_print_host(const char *test)
{
    const struct oracle_host *h = oracle_host();
    printf("%s: host %s family 0x%x model 0x%x stepping %u\n", test, h->vendor, h->family,
           h->model, h->stepping);
    fflush(stdout);
}

int oracle_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#if defined(__x86_64__) && defined(__linux__)
#include <sys/mman.h>

struct oracle_fault oracle_fault;

void *oracle_map_fixed(uint64_t base, uint64_t size)
{
    void *p = mmap((void *)(uintptr_t)base, size, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    return p == (void *)(uintptr_t)base ? p : NULL;
}

static void oracle_fault_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    oracle_fault.sig = sig;
    memcpy(&oracle_fault.uc, ctx, sizeof(oracle_fault.uc));
    siglongjmp(oracle_fault.jmp, 1);
}

void oracle_catch_faults(void)
{
    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = oracle_fault_handler;
    /* NODEFER: the handler leaves by siglongjmp, and the next sequence may
     * fault with the same signal. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
}

void oracle_build_compat_call(uint64_t code64, uint64_t farptr, uint64_t code32,
                              uint64_t saved_rsp, uint64_t low_stack)
{
    struct enc b = {.n = 0};
    static const uint8_t save[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
    for (unsigned i = 0; i < sizeof(save); i++)
        e8(&b, save[i]);
    e8(&b, 0x48); e8(&b, 0x89); e8(&b, 0x24); e8(&b, 0x25); e32(&b, (uint32_t)saved_rsp);
    e8(&b, 0x48); e8(&b, 0xc7); e8(&b, 0xc4); e32(&b, (uint32_t)low_stack); /* mov rsp, imm */
    e8(&b, 0xff); e8(&b, 0x1c); e8(&b, 0x25); e32(&b, (uint32_t)farptr);    /* lcall *m16:32 */
    e8(&b, 0x31); e8(&b, 0xc0);                                             /* xor eax, eax */
    e8(&b, 0x8e); e8(&b, 0xd8); e8(&b, 0x8e); e8(&b, 0xc0);                 /* ds = es = 0 */
    e8(&b, 0xfc);                                                           /* cld */
    e8(&b, 0x48); e8(&b, 0x8b); e8(&b, 0x24); e8(&b, 0x25); e32(&b, (uint32_t)saved_rsp);
    static const uint8_t restore[] = {0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3};
    for (unsigned i = 0; i < sizeof(restore); i++)
        e8(&b, restore[i]);
    memcpy((void *)(uintptr_t)code64, b.b, b.n);
    uint32_t off = (uint32_t)code32;
    uint16_t sel = ORACLE_USER32_CS;
    memcpy((void *)(uintptr_t)farptr, &off, 4);
    memcpy((uint8_t *)(uintptr_t)farptr + 4, &sel, 2);
}
#endif

/* ---- flags of generated code ---- */

struct oracle_walk_stats oracle_walk_stats;

static bool fetch_enc(void *opaque, uint64_t off, uint8_t *b)
{
    const struct enc *e = opaque;
    if (off >= e->n)
        return false;
    *b = e->b[off];
    return true;
}

/* Whether the host's CPUID reports what the row needs. Without BMI1 or
 * LZCNT the F3 0F BC/BD encodings are BSF/BSR on the host while turtles'
 * all-extensions model decodes TZCNT/LZCNT: not generated then. */
static bool host_has(const struct opcode_row *row, const struct insn *in)
{
    const struct oracle_host *h = oracle_host();
    if (row->fn == op_tzcnt)
        return h->leaf7_ebx & (1u << 3);          /* BMI1 */
    if (row->fn == op_lzcnt)
        return h->ext1_ecx & (1u << 5);           /* LZCNT (ABM) */
    if (row->fn == op_cmpxchg8b)
        return in->opsize == 8 ? (h->leaf1_ecx & (1u << 13)) != 0  /* CMPXCHG16B */
                               : (h->leaf1_edx & (1u << 8)) != 0;  /* CMPXCHG8B */
    switch (row->isa) {
    case ISA_BASE: return true;
    case ISA_POPCNT: return h->leaf1_ecx & (1u << 23);
    case ISA_MOVBE: return h->leaf1_ecx & (1u << 22);
    case ISA_SSE42: return h->leaf1_ecx & (1u << 20); /* CRC32 */
    case ISA_ADX: return h->leaf7_ebx & (1u << 19);
    case ISA_RDRAND: return h->leaf1_ecx & (1u << 30);
    case ISA_RDSEED: return h->leaf7_ebx & (1u << 18);
    default: return false; /* not generated by the integer oracles */
    }
}

/* Near branches with a 66h prefix in 64-bit mode: Intel ignores the
 * prefix (64-bit operand), AMD truncates RIP to 16 bits. */
static bool vendor_specific(const struct opcode_row *row, const struct insn *in,
                            unsigned code_size)
{
    bool near_branch = row->fn == op_jcc || row->fn == op_jmp_rel || row->fn == op_call_rel ||
                       row->fn == op_ret_near || row->fn == op_jmp_rm || row->fn == op_call_rm ||
                       row->fn == op_loop;
    return code_size == 8 && near_branch && in->opsize == 2;
}

bool oracle_walk_flags(const struct enc *t, unsigned code_size, uint32_t *undef, uint32_t *reads,
                       unsigned base, uint16_t *off_out, uint32_t *undef_before, unsigned *n)
{
    uint64_t off = 0;
    bool maybe_skipped = false; /* after a branch: may not run */
    int known_cl = -1;          /* CL set by the instruction just before */
    uint32_t own_undef = 0;     /* left undefined by the template itself */
    *reads = 0;
    while (off < t->n) {
        struct insn in;
        ck_assert_msg(decode_insn(&in, code_size, ~0ull, fetch_enc, (void *)t, off) == DECODE_OK,
                      "the oracle generated bytes turtles cannot decode");
        const struct opcode_row *row = insn_row(&in);
        if (!host_has(row, &in)) {
            oracle_walk_stats.host_lacks++;
            return false;
        }
        if (!oracle_host()->intel && vendor_specific(row, &in, code_size)) {
            oracle_walk_stats.vendor++;
            return false;
        }
        if (row->ef.in & own_undef) {
            oracle_walk_stats.own_undef_read++;
            return false;
        }
        *reads |= row->ef.in & ~own_undef;
        /* The count operand as flags_count_operand() would read it. */
        bool by_cl = (row->map == OPMAP_1 && (row->opcode == 0xd2 || row->opcode == 0xd3)) ||
                     (row->map == OPMAP_0F && (row->opcode == 0xa5 || row->opcode == 0xad));
        bool known = !by_cl || known_cl >= 0;
        uint64_t count = by_cl ? (uint64_t)(known_cl < 0 ? 0 : known_cl)
                         : (row->map == OPMAP_1 && (row->opcode == 0xd0 || row->opcode == 0xd1))
                             ? 1
                             : in.imm & 0xff;
        uint32_t u = known ? flags_undefined(row, &in, count) : row->ef.undef;
        uint32_t d = known ? flags_defined(row, &in, count) : 0;
        /* REP CMPS/SCAS with RCX = 0 write no flags. */
        if (in.rep && (row->fn == op_cmps || row->fn == op_scas))
            d = 0;
        if (maybe_skipped)
            d = 0;
        if (off_out) {
            off_out[*n] = (uint16_t)(base + off);
            undef_before[(*n)++] = *undef;
        }
        *undef = (*undef & ~d) | u;
        own_undef = (own_undef & ~d) | u;
        known_cl = -1;
        if (in.len == 2 && t->b[off] == 0xb1)
            known_cl = t->b[off + 1];
        else if (in.len == 5 && t->b[off] == 0xb9)
            known_cl = t->b[off + 1];
        if ((row->flags & D_REL) || row->fn == op_ret_near || row->fn == op_jmp_rm ||
            row->fn == op_call_rm)
            maybe_skipped = true;
        off += in.len;
    }
    return true;
}

void oracle_print_walk_stats(const char *test)
{
    printf("%s: templates drawn again: %llu for an extension the host lacks, %llu for a form "
           "Intel and AMD define differently (66h near branches in 64-bit mode: %s), %llu for "
           "a flag read after an undefined one inside the template\n",
           test, (unsigned long long)oracle_walk_stats.host_lacks,
           (unsigned long long)oracle_walk_stats.vendor,
           oracle_host()->intel ? "allowed on this Intel host" : "skipped on this non-Intel host",
           (unsigned long long)oracle_walk_stats.own_undef_read);
}

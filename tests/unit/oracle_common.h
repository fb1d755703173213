/* Pieces shared by the host-CPU oracle tests (test_oracle_*.c): the
 * hand assembler they build code with, the seeded random source, the
 * turtles side (a harness whose model offers every decoded extension) and,
 * on x86-64 Linux hosts, the native side (a fixed executable mapping, fault
 * capture through signals, a far call into 32-bit compatibility mode). */
#ifndef TURTLES_TESTS_ORACLE_COMMON_H
#define TURTLES_TESTS_ORACLE_COMMON_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpuid.h"
#include "tests/unit/harness.h"

/* 1 in a build with AddressSanitizer (GCC's __SANITIZE_ADDRESS__, clang's
 * __has_feature), where the oracles run a shorter default so that the
 * sanitized unit run stays fast. */
#if defined(__SANITIZE_ADDRESS__)
#define ORACLE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ORACLE_UNDER_ASAN 1
#endif
#endif
#ifndef ORACLE_UNDER_ASAN
#define ORACLE_UNDER_ASAN 0
#endif

/* ---- hand assembler: little-endian bytes appended to a buffer ---- */

struct enc {
    uint8_t b[4096];
    unsigned n;
};

static inline void e8(struct enc *e, unsigned x)
{
    e->b[e->n++] = (uint8_t)x;
}

static inline void e16(struct enc *e, unsigned x)
{
    e8(e, x & 0xff);
    e8(e, (x >> 8) & 0xff);
}

static inline void e32(struct enc *e, uint32_t x)
{
    e16(e, x & 0xffff);
    e16(e, x >> 16);
}

static inline void e64(struct enc *e, uint64_t x)
{
    e32(e, (uint32_t)x);
    e32(e, (uint32_t)(x >> 32));
}

/* ---- random source ---- */

/* splitmix64 over *state: a given seed gives the same sequences on every
 * host, so a mismatch report can be replayed from its seed. */
uint64_t oracle_rand(uint64_t *state);

/* The environment variable name as a number (strtoull base 0), or def. */
uint64_t oracle_env_u64(const char *name, uint64_t def);

/* ---- turtles side ---- */

/* harness_init(h, bits) with a copy of the first CPU model in *model whose
 * ISA mask admits every extension the decoder knows: the oracle tests the
 * handlers, not the model's CPUID. */
void oracle_turtles_init(struct harness *h, struct cpu_model *model, unsigned bits);

/* Instruction fetch for decode_insn() straight from guest-physical memory;
 * opaque is the struct physmem (the oracles run with paging identity
 * mapped or off). */
bool oracle_fetch_phys(void *opaque, uint64_t addr, uint8_t *b);

/* ---- what generated code does to the flags, from the opcode table ---- */

/* Counters of oracle_walk_flags() refusals, printed by each oracle. */
struct oracle_walk_stats {
    uint64_t host_lacks;     /* an extension the host's CPUID does not report */
    uint64_t vendor;         /* a form Intel and AMD define differently (non-Intel host) */
    uint64_t own_undef_read; /* reads a flag an earlier instruction of it left undefined */
};
extern struct oracle_walk_stats oracle_walk_stats;

/* Walks the bytes of one generated template (code of code_size 4 or 8
 * bytes) with turtles' decoder and the opcode table's EF column, narrowed
 * by flags_undefined() for shift counts. *undef holds the flags undefined
 * before the template and is updated; *reads gets the flags the template
 * reads that it did not write itself. Instructions after a branch in the
 * template may be skipped: they define nothing for sure. A shift by CL
 * counts as known only right after "mov cl, imm8" or "mov ecx, imm32".
 * If off/undef_before are not NULL, each instruction's offset (plus base)
 * and the flags undefined before it are appended there (*n counts).
 * Returns false, counting why in oracle_walk_stats, if the template holds
 * an instruction the host lacks, a vendor-specific form on a non-Intel
 * host (66h near branches in 64-bit mode), or an instruction reading a
 * flag left undefined by an earlier one of the same template: the caller
 * draws another. */
bool oracle_walk_flags(const struct enc *t, unsigned code_size, uint32_t *undef, uint32_t *reads,
                       unsigned base, uint16_t *off, uint32_t *undef_before, unsigned *n);

/* The walk statistics as one line on stdout. */
void oracle_print_walk_stats(const char *test);

/* ---- the host CPU ---- */

/* What the oracles need to know of the host they compare against. */
struct oracle_host {
    char vendor[13];          /* CPUID.0 vendor string ("GenuineIntel", "AuthenticAMD", ...) */
    unsigned family, model, stepping; /* CPUID.1 EAX, display family/model */
    bool intel;               /* vendor is GenuineIntel */
    uint32_t leaf1_ecx, leaf1_edx, leaf7_ebx, leaf7_ecx, ext1_ecx, ext1_edx;
};

/* The host's identity and feature words (all zero on a non-x86 host). */
const struct oracle_host *oracle_host(void);

/* One line on stdout naming the host: "<test>: host <vendor> family F
 * model M stepping S". Every oracle prints it first, so a report says
 * which CPU it was compared against. */
void oracle_print_host(const char *test);

/* Run the suite in this process (no fork: the native side's fixed mapping
 * and signal handlers live here); the exit status for main(). */
int oracle_run_suite(Suite *s);

#if defined(__x86_64__) && defined(__linux__)
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>

/* ---- native side ---- */

/* Map size bytes read/write/execute at exactly base; NULL if that range is
 * taken. */
void *oracle_map_fixed(uint64_t base, uint64_t size);

/* The last fault in native code: oracle_catch_faults() makes SIGFPE, SIGILL,
 * SIGSEGV and SIGBUS record the signal and the interrupted context here and
 * siglongjmp to jmp (which the caller armed with sigsetjmp(jmp, 1)). The
 * handler runs on an alternate stack: the native code's RSP is arbitrary. */
struct oracle_fault {
    sigjmp_buf jmp;
    volatile int sig;
    ucontext_t uc;
};
extern struct oracle_fault oracle_fault;
void oracle_catch_faults(void);

/* Write at code64 a 64-bit routine, callable as void (*)(void), that saves
 * the callee-saved registers and RSP (at the 8-byte slot saved_rsp), moves
 * to low_stack (below 4 GiB), far-calls code32 through an m16:32 pointer it
 * stores at farptr, with Linux's 32-bit user code selector 0x23, and on the
 * far return clears DS, ES and DF and restores everything. Every address is
 * below 4 GiB and inside a mapping made by oracle_map_fixed(). */
void oracle_build_compat_call(uint64_t code64, uint64_t farptr, uint64_t code32,
                              uint64_t saved_rsp, uint64_t low_stack);
#define ORACLE_USER32_CS 0x23
#define ORACLE_USER_DS 0x2b
#endif

#endif

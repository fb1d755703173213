/* Shared code of the host-CPU oracle tests; see oracle_common.h. */
#define _GNU_SOURCE
#include "tests/unit/oracle_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

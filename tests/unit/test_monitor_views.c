/* The monitor's state views (frontend/monitor_views_*.c) run against a
 * long-mode CPU with a VMCS built by hand, through a stand-in for the
 * monitor core (output collected, errors counted): what each view prints,
 * that translations agree with the TLB's, and that every bad argument is
 * one error line. Also the address syntax (frontend/monitor_addr.c). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/machine.h"
#include "frontend/monitor_addr.h"
#include "frontend/monitor_views.h"
#include "harness.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

/* ---- a stand-in for the monitor core (frontend/monitor.h) ---- */
struct monitor {
    struct machine *m;
    char out[65536];
    size_t len;
    int errors;
    int error_lines;
};

static void put(struct monitor *mon, const char *fmt, va_list ap)
{
    if (mon->len + 1 < sizeof(mon->out)) {
        int n = vsnprintf(mon->out + mon->len, sizeof(mon->out) - mon->len, fmt, ap);
        if (n > 0)
            mon->len += (size_t)n;
        if (mon->len >= sizeof(mon->out))
            mon->len = sizeof(mon->out) - 1;
    }
}

void monitor_printf(struct monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put(mon, fmt, ap);
    va_end(ap);
}

void monitor_error(struct monitor *mon, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ck_assert_ptr_null(strchr(line, '\n')); /* one line */
    mon->errors++;
    monitor_printf(mon, "error: %s\n", line);
}

struct machine *monitor_machine(struct monitor *mon) { return mon->m; }
struct cpu *monitor_cpu(struct monitor *mon) { return &mon->m->cpus[0]; }
int monitor_cpu_index(struct monitor *mon) { (void)mon; return 0; }

bool monitor_parse_number(struct monitor *mon, const char *s, uint64_t *out)
{
    if (s[0] == '$') {
        if (strcmp(s, "$rip") == 0) {
            *out = monitor_cpu(mon)->rip;
            return true;
        }
        return false;
    }
    char *end;
    *out = strtoull(s, &end, 0);
    return *s && !*end;
}

/* frontend/disas.c's disas_one reads through the debugger; the views use
 * disas_bytes only. */
bool debugger_mem_xfer(struct cpu *c, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
    (void)c, (void)addr, (void)buf, (void)len, (void)write;
    return false;
}

/* ---- the machine under test ---- */
static struct harness h;
static struct machine *m;
static struct monitor *mon;

/* Guest-physical layout of the non-root guest (EPT tables at host 0x200000):
 * EPT maps guest-physical 0-2 MiB to host 0x400000 (a 2 MiB page). The
 * guest has paging off: its linear 0x1234 is guest-physical 0x1234. */
#define EPT_PML4 0x200000
#define VMCS_PA 0x300000

static void setup(void)
{
    harness_init(&h, 64);
    m = calloc(1, sizeof(*m));
    mon = calloc(1, sizeof(*mon));
    m->mem = h.mem;   /* the same RAM (struct copy: pointers shared) */
    m->ncpus = 1;
    m->cpus[0] = h.cpu;
    m->log = stderr;
    mon->m = m;
    struct cpu *c = &m->cpus[0];
    c->rip = 0x5000;
    static const uint8_t code[] = {0x48, 0x89, 0xd8, 0x0f, 0xa2, 0xf4}; /* mov rax,rbx; cpuid; hlt */
    physmem_write_buf(&m->mem, 0x5000, code, sizeof(code));
    physmem_write_buf(&m->mem, 0x401000, code, sizeof(code));
    physmem_write(&m->mem, 0x6000, 0x1122334455667788ull, 8);
    /* EPT: PML4E 0 -> PDPT -> PDE 0: 2 MiB page at host 0x400000, RWX WB. */
    physmem_write(&m->mem, EPT_PML4, 0x201000 | 7, 8);
    physmem_write(&m->mem, 0x201000, 0x202000 | 7, 8);
    physmem_write(&m->mem, 0x202000, 0x400000 | 7 | (6 << 3) | (1 << 7), 8);
    /* VMX root with a current VMCS whose guest runs with EPT. */
    struct vmx_cpu *vx = vmx_get(c);
    vx->vmxon = true;
    vx->vmxon_ptr = 0x310000;
    vx->current_vmcs_ptr = VMCS_PA;
    vx->current_slot = 0;
    vx->cache[0].used = true;
    vx->cache[0].paddr = VMCS_PA;
    vx->cache[0].launch_state = VMCS_LAUNCHED;
    struct vmcs *v = &vx->cache[0].vmcs;
    v->cpu_based_vm_exec_control = CPU_TRUE_DEFAULT1 | CPU_HLT_EXITING | CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT;
    v->ept_pointer = EPT_PML4 | (3 << 3) | 6;
    v->guest_cr0 = CR0_PE | CR0_ET;
    v->guest_cs_ar_bytes = SEG_P | SEG_S | 0xb | SEG_DB;
    v->guest_rip = 0x1000;
    v->vm_exit_reason = EXIT_REASON_CPUID;
    v->vm_exit_instruction_len = 2;
    v->host_cr0 = c->cr0;
    v->host_cr3 = c->cr3;
    v->host_cr4 = c->cr4;
    v->host_rip = 0x5000;
    v->vm_exit_controls = EXIT_TRUE_DEFAULT1 | EXIT_HOST_ADDR_SPACE_SIZE;
}

static void teardown(void)
{
    vmx_cpu_free(&m->cpus[0]);
    harness_free(&h);
    free(m);
    free(mon);
}

/* Run "name args..." through the tables as the monitor core would. */
static int run(const char *line)
{
    static const struct monitor_command *const tables[] = {
        monitor_views_state_commands, monitor_views_memory_commands,
        monitor_views_vmx_commands, monitor_views_machine_commands,
    };
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", line);
    char *argv[16];
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 16; t = strtok(NULL, " "))
        argv[argc++] = t;
    /* x/FMT: the command word and its /FMT come apart. */
    char *slash = strchr(argv[0], '/');
    char fmt[32] = "";
    if (slash) {
        snprintf(fmt, sizeof(fmt), "%s", slash);
        *slash = 0;
    }
    const struct monitor_command *best = NULL;
    int best_words = 0;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct monitor_command *c = tables[t]; c->name; c++) {
            char name[64];
            snprintf(name, sizeof(name), "%s", c->name);
            char *second = strchr(name, ' ');
            int words = second ? 2 : 1;
            if (second)
                *second++ = 0;
            if (strcmp(name, argv[0]) != 0)
                continue;
            if (second && (argc < 2 || strcmp(second, argv[1]) != 0))
                continue;
            if (words > best_words) {
                best = c;
                best_words = words;
            }
        }
    ck_assert_ptr_nonnull(best);
    char *args[17];
    int n = 0;
    if (fmt[0])
        args[n++] = fmt;
    for (int i = best_words; i < argc; i++)
        args[n++] = argv[i];
    mon->len = 0;
    mon->out[0] = 0;
    return best->run(mon, n, args);
}

static void has(const char *s)
{
    if (!strstr(mon->out, s)) {
        fprintf(stderr, "%s", mon->out);
        ck_abort_msg("missing \"%s\" in the output above", s);
    }
}

START_TEST(test_regs)
{
    ck_assert_int_eq(run("regs"), 0);
    has("RIP=0000000000005000");
    has("CS =");
    has("L");
    has("EFER=");
    has("VMX: root, VMXON region 0x310000, current VMCS 0x300000");
    ck_assert_int_eq(run("info registers"), 0);
    has("CR3=");
    ck_assert_int_eq(run("info cpus"), 0);
    has("* CPU #0: rip=0000000000005000 long mode, root");
}
END_TEST

START_TEST(test_memory)
{
    ck_assert_int_eq(run("x/2xg 0x6000"), 0);
    has("0000000000006000: 0x1122334455667788 0x0000000000000000");
    ck_assert_int_eq(run("x/4xb p:0x6000"), 0);
    has("0000000000006000: 0x88 0x77 0x66 0x55");
    ck_assert_int_eq(run("xp/1dw 0x6004"), 0);
    has("0000000000006004: 287454020");
    ck_assert_int_eq(run("xp/2xb nonroot:0x1003"), 0); /* guest-physical through EPT */
    has("0000000000001003: 0x0f 0xa2");
    ck_assert_int_eq(run("x/3i $rip"), 0);
    has("mov rax, rbx");
    has("cpuid");
    has("hlt");
    ck_assert_int_eq(run("disas"), 0);
    has("0000000000005003: 0fa2");
    /* The non-root guest: linear 0x1000 -> guest-physical 0x1000 -> host
     * 0x401000 through EPT, in 32-bit code. */
    ck_assert_int_eq(run("disas nonroot:0x1000 2"), 0);
    has("0000000000001000: 48                       dec eax"); /* 32-bit code */
    ck_assert_int_eq(run("x/2xb L2:p:0x1003"), 0);
    has("0x0f 0xa2");
    ck_assert_int_eq(mon->errors, 0);
}
END_TEST

START_TEST(test_walks)
{
    ck_assert_int_eq(run("pt 0x6000"), 0);
    has("4-level paging");
    has("PDE[0]");
    has("PS");
    has("linear 0x6000 -> physical 0x6000 (2048 KiB page");
    ck_assert_int_eq(run("pt nonroot:0x1234"), 0); /* paging off, through EPT */
    has("paging off, CR3 0 (guest-physical)");
    has("linear 0x1234 -> host-physical 0x401234 (4 KiB page");
    ck_assert_int_eq(run("ept p:0x1234"), 0);
    has("EPT PDE[0] at host 0x202000: 0x4000b7 R W X WB");
    has("guest-physical 0x1234 -> host-physical 0x401234 (2048 KiB page, rwx, WB)");
    ck_assert_int_eq(run("ept 0x1234"), 0);
    has("non-root (VMCS guest state)");
    has("EPT walk of guest-physical 0x1234 (the page)");
    has("linear 0x1234 -> host-physical 0x401234");
    /* Looking set no EPT or paging flag. */
    ck_assert_uint_eq(physmem_read(&m->mem, 0x202000, 8) & EPTE_A, 0);
}
END_TEST

START_TEST(test_info_mem)
{
    /* The harness maps the first 1 GiB with 2 MiB pages and nothing else. */
    ck_assert_int_eq(run("info mem"), 0);
    has("0000000000000000-0000000040000000 0000000040000000 ");
    ck_assert_ptr_null(strstr(mon->out, "ffff8"));
    ck_assert_int_eq(run("info block"), 0);
    has("no drives");
    ck_assert_int_eq(run("info irq"), -1); /* no platform in this test */
    ck_assert_int_eq(run("info mem now"), -1);
    ck_assert_int_eq(run("info mem root nonroot"), -1);
    /* The VMCS guest: paging off. */
    ck_assert_int_eq(run("info mem nonroot"), 0);
    has("paging is off");
    ck_assert_int_eq(run("info mem L1"), 0);
    has("0000000000000000-0000000040000000");
}
END_TEST

START_TEST(test_tlb_agrees)
{
    /* Fill the TLB as the CPU does (run an instruction at 0x5000), then the
     * entry for that page and `pt` give the same physical page. */
    struct cpu *c = &m->cpus[0];
    tlb_flush_all(&c->tlb);
    c->tlb.e[0][tlb_index(0x5000)] = (struct tlb_entry){
        .tag_read = 0x5000, .tag_write = TLB_TAG_INVALID, .tag_exec = 0x5000,
        .addend = 1, .paddr_page = 0x5000};
    tlb_note_filled(&c->tlb, 0, tlb_index(0x5000));
    ck_assert_int_eq(run("info tlb 0x5123"), 0);
    has("0000000000005000 -> 0000000000005000 r-x supervisor");
    has("1 entry");
}
END_TEST

START_TEST(test_vmcs)
{
    ck_assert_int_eq(run("vmcs"), 0);
    has("VMCS 0x300000 of CPU #0 (ordinary), launched");
    has("Guest-state area (SDM 24.4)");
    has("  GUEST_RIP                            681e = 0x1000");
    has("VM_EXIT_REASON                       4402 = 0xa  CPUID (10)");
    has("CPU_BASED_VM_EXEC_CONTROL            4002 = 0x840061f2  HLT_EXITING|SECONDARY_CONTROLS");
    has("SECONDARY_VM_EXEC_CONTROL            401e = 0x2  ENABLE_EPT");
    has("VM-exit information fields (SDM 24.9)");
    ck_assert_int_eq(run("vmcs guest_rip"), 0);
    has("GUEST_RIP                            681e = 0x1000");
    ck_assert_int_eq(run("vmcs 0x440c"), 0);
    has("VM_EXIT_INSTRUCTION_LEN              440c = 0x2");
    ck_assert_int_eq(run("vmcs set GUEST_RIP 0x1002"), 0);
    ck_assert_uint_eq(vmx_current_vmcs(&m->cpus[0])->guest_rip, 0x1002);
    ck_assert_int_eq(mon->errors, 0);
}
END_TEST

START_TEST(test_vmcs_diff_and_exits)
{
    struct cpu *c = &m->cpus[0];
    ck_assert_int_eq(run("vmcs diff"), 0);
    has("keeping a copy from now on");
    /* An exit and an entry as the VMX code records them. */
    c->icount = 1000;
    vmx_exit_stats_exit(c, EXIT_REASON_IO_INSTRUCTION, 0x3f80000, 0, 0x1000);
    vmx_current_vmcs(c)->guest_rip = 0x1001;
    vmx_current_vmcs(c)->vm_exit_reason = EXIT_REASON_IO_INSTRUCTION;
    c->icount = 1500;
    ck_assert_int_eq(run("vmcs diff"), 0);
    has("fields changed since the last VM exit began:");
    has("GUEST_RIP                            0x1000 -> 0x1001");
    has("VM_EXIT_REASON                       0xa -> 0x1e  IO_INSTRUCTION (30)");
    has("2 fields changed");
    ck_assert_int_eq(run("lastexits 5"), 0);
    has("last 1 of 1 VM exits");
    has("IO_INSTRUCTION (30) qual=0x3f80000 guest-rip=0x1000 vmcs=0x300000 in root now: "
        "I/O: out port 0x3f8 size 1, port in dx");
    vmx_exit_stats_entry(c);
    ck_assert_int_eq(run("lastexits"), 0);
    has("root 500 ns");
    ck_assert_int_eq(run("exits"), 0);
    has("IO_INSTRUCTION (30)               1");
    /* An exception exit: the ring keeps the interruption information. */
    vmx_exit_stats_exit(c, EXIT_REASON_EXCEPTION_NMI, 0xdead000, 0x80000b0e, 0x1001);
    vmx_exit_stats_entry(c);
    ck_assert_int_eq(run("lastexits 1"), 0);
    has("EXCEPTION_NMI (0) qual=0xdead000 guest-rip=0x1001 vmcs=0x300000 root 0 ns: "
        "#PF linear address 0xdead000");
    ck_assert_int_eq(run("exits reset"), 0);
    ck_assert_int_eq(run("exits"), 0);
    ck_assert_ptr_null(strstr(mon->out, "IO_INSTRUCTION"));
    ck_assert_int_eq(mon->errors, 0);
    /* RESET frees the VMX state; the copy comes back with the next. */
    vmx_cpu_free(c);
    ck_assert_ptr_nonnull(vmx_get(c)->stats.diff_base);
    monitor_views_detach(m);
    ck_assert_ptr_null(c->vmx->stats.diff_base);
    ck_assert(!c->vmx_keep_diff);
}
END_TEST

START_TEST(test_bad_arguments)
{
    /* Each is one error line, and the next command still works. */
    static const char *const bad[] = {
        "regs extra", "x/4q 0x1000", "x/0x 0x1000", "x 0x1000 0x2000", "x/4x foo:0x10",
        "x/4x root:", "x/4x p:p:0x10", "x/1x 0x0000800000000000", "x/4x p:root:0x10", "x/4x zz", "x/4x 0xfff00000000",
        "xp/4x 0xfee00000", "disas 0x1000 0", "pt", "pt p:0x1000", "pt 0x123456789abcdef0", "ept root:0x1000",
        "vmcs NO_SUCH_FIELD", "vmcs 0x681f", "vmcs set GUEST_RIP", "vmcs set VPID 0x10000",
        "vmcs set VIRTUAL_PROCESSOR_ID 0x10000", "lastexits 0", "lastexits 100000",
        "trace exits maybe", "trace nothing on", "trace io sideways", "trace io on /no/such/dir/f", "info tlb zz", "exits now",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int before = mon->errors;
        ck_assert_msg(run(bad[i]) == -1, "'%s' did not fail", bad[i]);
        ck_assert_msg(mon->errors == before + 1, "'%s': %d errors", bad[i],
                      mon->errors - before);
    }
    ck_assert_int_eq(run("vmcs GUEST_RIP"), 0);
    /* No current VMCS: the VMX views say so. */
    m->cpus[0].vmx->current_slot = -1;
    ck_assert_int_eq(run("vmcs"), -1);
    has("error: CPU #0 has no current VMCS");
    ck_assert_int_eq(run("ept 0x1000"), -1);
}
END_TEST

/* Random argument lists for every view (trace aside: it opens files): each
 * returns 0 or -1 with at most one error line, and nothing crashes (the
 * sanitizer build runs this too). */
START_TEST(test_random_arguments)
{
    static const char *const pool[] = {
        "0", "0x1000", "0x6000", "$rip", "$nope", "-1", "0xffffffffffffffff", "99999999999999999999",
        "root:0x5000", "nonroot:0x1000", "L2:p:0x1000", "p:0x1000", "root:p:0xfee00000", "p:",
        "root:", "x:", "::", "/4xg", "/i", "/0", "/99999", "/zz", "GUEST_RIP", "0x681e", "0x681f",
        "VM_EXIT_REASON", "diff", "set", "reset", "", "on", "off", "1", "256", "257",
        "0x0000800000000000", "0xffff800000000000", "nonroot:0x800040",
    };
    static const struct monitor_command *const tables[] = {
        monitor_views_state_commands, monitor_views_memory_commands,
        monitor_views_vmx_commands, monitor_views_machine_commands,
    };
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct monitor_command *c = tables[t]; c->name; c++) {
            if (strcmp(c->name, "trace") == 0)
                continue;
            for (int round = 0; round < 150; round++) {
                char *args[4];
                int n = (int)(rng % 4);
                for (int i = 0; i < n; i++) {
                    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                    args[i] = (char *)pool[rng % (sizeof(pool) / sizeof(pool[0]))];
                }
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                mon->len = 0;
                mon->out[0] = 0;
                int before = mon->errors;
                int r = c->run(mon, n, args);
                ck_assert_msg(r == 0 || r == -1, "%s returned %d", c->name, r);
                ck_assert_msg(mon->errors - before == (r == -1), "%s: %d errors for status %d",
                              c->name, mon->errors - before, r);
            }
        }
}
END_TEST

START_TEST(test_addr_split)
{
    struct addr_spec s;
    const char *err;
    ck_assert(addr_split("0x1000", &s, &err));
    ck_assert_int_eq(s.level, ADDR_CURRENT);
    ck_assert(!s.physical);
    ck_assert_str_eq(s.number, "0x1000");
    ck_assert(addr_split("root:$rip", &s, &err));
    ck_assert_int_eq(s.level, ADDR_ROOT);
    ck_assert_str_eq(s.number, "$rip");
    ck_assert(addr_split("L2:p:0x10", &s, &err));
    ck_assert_int_eq(s.level, ADDR_NONROOT);
    ck_assert(s.physical);
    ck_assert(addr_split("nonroot:0x10", &s, &err));
    ck_assert_int_eq(s.level, ADDR_NONROOT);
    ck_assert(addr_split("L1:0x10", &s, &err));
    ck_assert_int_eq(s.level, ADDR_ROOT);
    ck_assert(addr_split("p:16", &s, &err));
    ck_assert(s.physical);
    ck_assert_int_eq(s.level, ADDR_CURRENT);
    ck_assert(!addr_split("", &s, &err));
    ck_assert(!addr_split("root:", &s, &err));
    ck_assert(!addr_split("root:L2:0x10", &s, &err));
    ck_assert(!addr_split("p:root:0x10", &s, &err));
    ck_assert(!addr_split("p:p:0x10", &s, &err));
    ck_assert(!addr_split("q:0x10", &s, &err));
    ck_assert_ptr_nonnull(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("monitor_views");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_regs);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_walks);
    tcase_add_test(tc, test_tlb_agrees);
    tcase_add_test(tc, test_info_mem);
    tcase_add_test(tc, test_vmcs);
    tcase_add_test(tc, test_vmcs_diff_and_exits);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_addr_split);
    tcase_add_test(tc, test_random_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Register and vCPU views, and run-time tracing (see monitor_views.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpu/log.h"
#include "frontend/machine.h"
#include "frontend/monitor_views.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

static const char *mode_name(const struct cpu *cpu)
{
    switch (cpu->mode) {
    case MODE_REAL: return "real";
    case MODE_V86: return "V86";
    case MODE_PROT: return "protected";
    case MODE_COMPAT: return "compatibility";
    default: return "long";
    }
}

/* "root, VMXON 0x..., VMCS 0x..." or "non-root, VMCS 0x... EPTP 0x..." or
 * "off": the level words of every stop line and register dump. */
static void vmx_level(const struct cpu *cpu, char *buf, size_t size)
{
    if (!vmx_in_operation(cpu)) {
        snprintf(buf, size, "VMX off");
        return;
    }
    const struct vmcs *v = vmx_current_vmcs(cpu);
    char vmcs[32];
    if (cpu->vmx->current_vmcs_ptr == VMCS_PTR_INVALID)
        snprintf(vmcs, sizeof(vmcs), "none");
    else
        snprintf(vmcs, sizeof(vmcs), "%#llx", (unsigned long long)cpu->vmx->current_vmcs_ptr);
    int n = snprintf(buf, size, "%s, VMXON region %#llx, current VMCS %s",
                     cpu->vmx_nonroot ? "non-root" : "root",
                     (unsigned long long)cpu->vmx->vmxon_ptr, vmcs);
    if (v && vmx_ctl_ept(v) && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ", EPTP %#llx", (unsigned long long)v->ept_pointer);
}

static void print_segment(struct monitor *mon, const char *name, const struct segment *s)
{
    uint32_t a = s->attr;
    if (a & SEG_UNUSABLE) {
        monitor_printf(mon, "%-3s=%04x %016llx %08x %05x unusable\n", name, s->sel,
                       (unsigned long long)s->base, s->limit, a);
        return;
    }
    monitor_printf(mon, "%-3s=%04x %016llx %08x %05x type %u %s DPL%u%s%s%s%s%s\n", name,
                   s->sel, (unsigned long long)s->base, s->limit, a, SEG_TYPE(a),
                   (a & SEG_S) ? ((a & 8) ? "code" : "data") : "system", SEG_DPL(a),
                   (a & SEG_P) ? " P" : " not-present", (a & SEG_L) ? " L" : "",
                   (a & SEG_DB) ? " DB" : "", (a & SEG_G) ? " G" : "",
                   (a & SEG_AVL) ? " AVL" : "");
}

static void flag_letters(uint64_t f, char *buf)
{
    static const struct { uint32_t bit; char c; } letters[] = {
        {F_OF, 'O'}, {F_DF, 'D'}, {F_IF, 'I'}, {F_TF, 'T'}, {F_SF, 'S'},
        {F_ZF, 'Z'}, {F_AF, 'A'}, {F_PF, 'P'}, {F_CF, 'C'},
    };
    size_t i = 0;
    for (; i < sizeof(letters) / sizeof(letters[0]); i++)
        buf[i] = (f & letters[i].bit) ? letters[i].c : '-';
    buf[i] = 0;
}

static int cmd_regs(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        monitor_error(mon, "regs takes no argument");
        return -1;
    }
    const struct cpu *c = monitor_cpu(mon);
    static const char *const names[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI",
                                          "RDI", "R8", "R9", "R10", "R11", "R12", "R13",
                                          "R14", "R15"};
    for (int i = 0; i < 16; i++)
        monitor_printf(mon, "%-3s=%016llx%s", names[i], (unsigned long long)c->gpr[i],
                       (i % 4 == 3) ? "\n" : " ");
    char fl[16];
    flag_letters(c->rflags, fl);
    monitor_printf(mon, "RIP=%016llx RFL=%08llx [%s] CPL=%u IOPL=%u %s mode%s\n",
                   (unsigned long long)c->rip, (unsigned long long)c->rflags, fl, c->cpl,
                   (unsigned)((c->rflags & F_IOPL) >> 12), mode_name(c),
                   c->halted ? " HALTED" : "");
    static const char *const seg_names[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    monitor_printf(mon, "seg sel  base             limit    attr\n");
    for (int i = 0; i < 6; i++)
        print_segment(mon, seg_names[i], &c->seg[i]);
    print_segment(mon, "LDT", &c->ldtr);
    print_segment(mon, "TR", &c->tr);
    monitor_printf(mon, "GDT=     %016llx %08x\n", (unsigned long long)c->gdtr.base,
                   c->gdtr.limit);
    monitor_printf(mon, "IDT=     %016llx %08x\n", (unsigned long long)c->idtr.base,
                   c->idtr.limit);
    monitor_printf(mon, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx CR8=%llx\n",
                   (unsigned long long)c->cr0, (unsigned long long)c->cr2,
                   (unsigned long long)c->cr3, (unsigned long long)c->cr4,
                   (unsigned long long)c->cr8);
    monitor_printf(mon, "DR0=%016llx DR1=%016llx DR2=%016llx DR3=%016llx\n",
                   (unsigned long long)c->dr[0], (unsigned long long)c->dr[1],
                   (unsigned long long)c->dr[2], (unsigned long long)c->dr[3]);
    monitor_printf(mon, "DR6=%016llx DR7=%016llx\n", (unsigned long long)c->dr[6],
                   (unsigned long long)c->dr[7]);
    monitor_printf(mon, "EFER=%016llx%s%s%s%s XCR0=%llx\n", (unsigned long long)c->efer,
                   (c->efer & EFER_SCE) ? " SCE" : "", (c->efer & EFER_LME) ? " LME" : "",
                   (c->efer & EFER_LMA) ? " LMA" : "", (c->efer & EFER_NXE) ? " NXE" : "",
                   (unsigned long long)c->xcr0);
    char level[160];
    vmx_level(c, level, sizeof(level));
    monitor_printf(mon, "VMX: %s\n", level);
    return 0;
}

static int cmd_info_cpus(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        monitor_error(mon, "info cpus takes no argument");
        return -1;
    }
    struct machine *m = monitor_machine(mon);
    for (int i = 0; i < m->ncpus; i++) {
        const struct cpu *c = &m->cpus[i];
        char level[160];
        vmx_level(c, level, sizeof(level));
        monitor_printf(mon, "%c CPU #%d: rip=%016llx %s mode, %s%s%s\n",
                       i == monitor_cpu_index(mon) ? '*' : ' ', i, (unsigned long long)c->rip,
                       mode_name(c), level, c->halted ? " (halted)" : "",
                       c->wait_for_sipi ? " (waiting for SIPI)" : "");
    }
    return 0;
}

/* The items of -d that `trace` switches (cpu/log.h). */
static const struct { const char *name; uint32_t bit; } trace_items[] = {
    {"exits", LOG_VMEXIT}, {"vmexit", LOG_VMEXIT}, {"insns", LOG_EXEC},
    {"exec", LOG_EXEC}, {"int", LOG_INT}, {"irq", LOG_IRQ}, {"io", LOG_IO},
};

static int cmd_trace(struct monitor *mon, int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        monitor_error(mon, "usage: trace exits|insns|io|irq|int on|off [FILE]");
        return -1;
    }
    uint32_t bit = 0;
    for (size_t i = 0; i < sizeof(trace_items) / sizeof(trace_items[0]); i++)
        if (strcasecmp(argv[0], trace_items[i].name) == 0)
            bit = trace_items[i].bit;
    if (!bit) {
        monitor_error(mon, "unknown trace item '%s' (exits, insns, io, irq, int)", argv[0]);
        return -1;
    }
    bool on;
    if (strcasecmp(argv[1], "on") == 0)
        on = true;
    else if (strcasecmp(argv[1], "off") == 0)
        on = false;
    else {
        monitor_error(mon, "trace: say on or off, not '%s'", argv[1]);
        return -1;
    }
    struct machine *m = monitor_machine(mon);
    if (argc == 3) {
        if (!on) {
            monitor_error(mon, "trace: a FILE goes with on");
            return -1;
        }
        FILE *f = fopen(argv[2], "a");
        if (!f) {
            monitor_error(mon, "trace: cannot open %s", argv[2]);
            return -1;
        }
        /* The machine's log file is where -d writes: keep one, replacing
         * the previous trace file (never stderr). */
        if (m->log && m->log != stderr)
            fclose(m->log);
        setvbuf(f, NULL, _IOLBF, 0);
        m->log = f;
        for (int i = 0; i < m->ncpus; i++)
            m->cpus[i].log_file = f;
    }
    for (int i = 0; i < m->ncpus; i++) {
        if (on)
            m->cpus[i].log_mask |= bit;
        else
            m->cpus[i].log_mask &= ~bit;
    }
    monitor_printf(mon, "trace %s %s\n", argv[0], on ? "on" : "off");
    return 0;
}

const struct monitor_command monitor_views_state_commands[] = {
    {"regs", "", "the vCPU's registers, segments with hidden parts, CR/DR/EFER and VMX level",
     NULL, cmd_regs},
    {"info registers", "", "the same as regs", NULL, cmd_regs},
    {"info cpus", "", "every vCPU: RIP, mode, VMX level; * marks the selected one", NULL,
     cmd_info_cpus},
    {"trace", "exits|insns|io|irq|int on|off [FILE]",
     "switch a -d log item at run time, to FILE when given",
     "exits = -d vmexit, insns = -d exec (one line per block), int = -d int\n"
     "(exceptions), irq = -d irq (NMIs and external interrupts taken), io = -d io\n"
     "(port accesses). Without FILE the log goes where -d/-D send it.",
     cmd_trace},
    {NULL, NULL, NULL, NULL, NULL},
};

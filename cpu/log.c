#include "cpu/log.h"

#include <stdarg.h>
#include <stdio.h>

void cpu_log(const struct cpu *cpu, const char *fmt, ...)
{
    FILE *f = cpu->log_file ? (FILE *)cpu->log_file : stderr;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
}

void cpu_log_state(const struct cpu *c)
{
    static const char *const gpr_names[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP",
                                              "RSI", "RDI", "R8",  "R9",  "R10", "R11",
                                              "R12", "R13", "R14", "R15"};
    static const char *const seg_names[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    for (int i = 0; i < 16; i++)
        cpu_log(c, "%s=%016llx%s", gpr_names[i], (unsigned long long)c->gpr[i],
                (i & 3) == 3 ? "\n" : " ");
    cpu_log(c, "RIP=%016llx RFL=%08llx CPL=%d HLT=%d\n", (unsigned long long)c->rip,
            (unsigned long long)c->rflags, c->cpl, c->halted);
    for (int i = 0; i < 6; i++)
        cpu_log(c, "%s =%04x %016llx %08x %04x\n", seg_names[i], c->seg[i].sel,
                (unsigned long long)c->seg[i].base, (unsigned)c->seg[i].limit,
                (unsigned)c->seg[i].attr);
    cpu_log(c, "GDT=     %016llx %08x\nIDT=     %016llx %08x\n",
            (unsigned long long)c->gdtr.base, (unsigned)c->gdtr.limit,
            (unsigned long long)c->idtr.base, (unsigned)c->idtr.limit);
    cpu_log(c, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx EFER=%016llx\n",
            (unsigned long long)c->cr0, (unsigned long long)c->cr2,
            (unsigned long long)c->cr3, (unsigned long long)c->cr4,
            (unsigned long long)c->efer);
}

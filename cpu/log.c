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

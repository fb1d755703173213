/* What every block backend shares: names and log lines. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devices/block/block_impl.h"

void block_log(struct block_backend *bb, const char *fmt, ...)
{
    char line[320];
    int n = snprintf(line, sizeof line, "%s: ", bb->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (bb->log)
        bb->log(bb->log_opaque, line);
    else
        fprintf(stderr, "turtles: %s\n", line);
}

void block_set_name(struct block_backend *bb, const char *path)
{
    const char *slash = strrchr(path, '/');
    snprintf(bb->name, sizeof bb->name, "%s", slash && slash[1] ? slash + 1 : path);
}

void block_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* One line: a name with a newline in it must not split the message. */
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* The command line, in QEMU's spelling (DESIGN.md conventions). */
#ifndef TURTLES_FRONTEND_OPTIONS_H
#define TURTLES_FRONTEND_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_DEBUG_EXIT 2

struct options {
    uint64_t ram_size;
    int smp;
    const char *cpu_model;   /* -cpu NAME[,vmx=on|off] */
    bool vmx_off;
    const char *bios;        /* -bios FILE: flat ROM image ending at 4 GiB */
    const char *kernel, *initrd, *append;
    const char *serial;      /* COM1: stdio | file:PATH | null | pty | none */
    const char *serial_more[3]; /* COM2-COM4 from further -serial options (NULL: null) */
    int nserial;             /* how many -serial options were given */
    const char *display;     /* none */
    bool nographic;
    bool no_reboot;
    bool debug_exit;         /* -device isa-debug-exit */
    bool testdev;            /* -device pc-testdev */
    uint16_t debug_exit_base, debug_exit_size;
    const char *debugcon;    /* -debugcon stdio|file:PATH|null (NULL: none) */
    uint16_t debugcon_base;  /* 0xe9, or -device isa-debugcon,iobase=N */
    bool icount;             /* -icount given: QEMU's defaults (sleep=on) apply */
    unsigned icount_shift;   /* -icount shift=N: 2^N ns per instruction */
    bool icount_auto, icount_sleep;
    const char *rtc_base;    /* -rtc base=utc|localtime|DATE */
    uint64_t rtc_start_epoch; /* RTC seconds since 1970 at machine time 0; 0: default date */
    bool rtc_clock_host;     /* -rtc clock=host: the machine clock follows host time */
    const char *debug_flags; /* -d */
    uint32_t log_mask;       /* -d items as cpu/log.h LOG_* bits */
    const char *debug_log;   /* -D */
    uint64_t max_insns;      /* -turtles-max-insns N (testing aid) */
    uint64_t trace_from;     /* -turtles-trace-from N: -d exec starts at instruction N */
    bool stats;              /* -turtles-stats: instructions, MIPS, peak RSS at exit */
    bool undefined_random;   /* -turtles-undefined random: undefined flags get random bits */
    int gdb_port;            /* -gdb tcp::PORT / -s: gdb stub on 127.0.0.1 (0: none) */
    bool gdb_wait;           /* -S: the guest waits for gdb's continue */
};

/* Parse argv; on error print one line to stderr and return 2; on --help or
 * -version print and return 1; 0 on success. */
int options_parse(struct options *o, int argc, char **argv);
void options_usage(FILE *out);

#endif

/* The machine: one struct that owns vCPUs, memory, devices (DESIGN.md: no
 * globals; two machines can live in one process). */
#ifndef TURTLES_FRONTEND_MACHINE_H
#define TURTLES_FRONTEND_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bios/direct_boot.h"
#include "bios/loader_file.h"
#include "cpu/block_cache.h"
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "devices/bus.h"
#include "devices/pam_shadow.h"
#include "frontend/machine_time.h"
#include "frontend/options.h"
#include "mmu/clock.h"
#include "mmu/physmem.h"

#define MACHINE_MAX_CPUS 8

enum machine_stop {
    STOP_NONE, STOP_POWEROFF, STOP_RESET, STOP_DEBUG_EXIT, STOP_TRIPLE_FAULT, STOP_SIGNAL,
    STOP_USER_QUIT, STOP_INSN_LIMIT, STOP_ERROR,
};

/* Exit statuses that are turtles' own (documented in the README). A triple
 * fault under -no-reboot is an error a CI run must see, unlike QEMU. */
#define EXIT_TRIPLE_FAULT 3
#define EXIT_SIGNAL 4
#define EXIT_INSN_LIMIT 5
#define EXIT_DEADLOCK 6
#define EXIT_GDB_KILL 7    /* gdb's kill request (k, vKill) */
#define EXIT_RESET_STORM 8 /* RESET_STORM_COUNT resets in a row, each soon after the last */

/* A guest that resets again and again without getting anywhere (a kernel
 * that faults before its first instruction, a ROM that triple-faults) is
 * stopped: this many resets in a row, each fewer than RESET_STORM_INSNS
 * instructions after the previous one. A real reboot (firmware POST, a
 * kernel booting) retires far more between resets. */
#define RESET_STORM_COUNT 64
#define RESET_STORM_INSNS 1000000ull

struct platform;
struct gdbstub;
struct display;
struct debugger;
struct monitor;

struct machine {
    struct options opt;
    struct physmem mem;
    struct iobus io;
    struct clock clock;
    struct machine_time time;
    struct cpu cpus[MACHINE_MAX_CPUS];
    struct cpu *cpu_ptrs[MACHINE_MAX_CPUS];
    int ncpus;
    struct block_cache *blocks;
    struct platform *platform;
    bool a20;
    struct pam_shadow pam;   /* 0xC0000-0xFFFFF: RAM or ROM, per the i440FX's PAM */
    uint8_t *bios_image;
    size_t bios_size;
    bool have_boot_state;
    bool booted_once;
    bool kernel_via_firmware; /* -bios with -kernel: the firmware loads it (fw_cfg) */
    struct direct_boot_result boot;
    struct loader_cache images; /* -kernel/-initrd files, read once: resets reload from here */
    uint64_t insns_total;       /* instructions retired by all vCPUs */
    uint64_t insns_at_reset;    /* insns_total at the last reset */
    unsigned storm_resets;      /* resets in a row, each soon after the last */

    bool reset_requested;
    enum machine_stop stop;
    int exit_status;
    const char *stop_message;
    char stop_text[128]; /* stop_message when it carries a number */

    FILE *log;
    struct gdbstub *gdb; /* -gdb / -s: NULL when there is no gdb stub */
    struct display *display; /* the SDL window; NULL: none (-display none, -nographic) */
    struct monitor *mon; /* -monitor, -turtles-monitor-script, -nographic: NULL when none */
    struct debugger *dbg; /* pausing, steps, breakpoints: NULL with neither gdb nor monitor */
    /* Watchpoints of gdb (Z2-Z4) and the monitor (`watch`): one set that
     * every vCPU points at (cpu/debug.h), each tagged with its owner. */
    struct debug_watchset watches;
};

enum watch_owner { WATCH_BY_GDB = 1, WATCH_BY_MONITOR = 2 };

/* Build the machine from options; on failure print a message and return -1. */
int machine_init(struct machine *m, const struct options *opt);
void machine_destroy(struct machine *m);
/* Run until something stops the machine; returns the process exit status. */
int machine_run(struct machine *m);
/* Stop the machine with exit status `status` and the stderr line
 * "turtles: <message>" (none when NULL); a later request is ignored, so a
 * stop's status and line always belong together. */
void machine_request_stop(struct machine *m, enum machine_stop why, int status,
                          const char *message);
/* Guest-requested reset (keyboard controller, 0xCF9, triple fault): resets
 * the machine, or stops with status 0 under -no-reboot. */
void machine_request_reset(struct machine *m);
/* i440FX PAM registers changed: shadow RAM or ROM in the BIOS area. */
void machine_pam_changed(void *opaque, const uint8_t pam[7]);
/* -d guest_errors: a device's report of programming it ignored (the
 * device_env callback; opaque is the machine). */
void machine_log_guest_error(void *opaque, const char *device, const char *what);
/* m->watches changed: every vCPU re-arms (or drops) them. */
void machine_watches_changed(struct machine *m);
/* The monitor's system_reset: the machine resets now (a paused machine
 * stays paused at the reset vector); under -no-reboot it exits, as a
 * guest's reset does. */
void machine_system_reset(struct machine *m);
/* The display window (if any): events, redraw, title, at its refresh
 * rate; called by the machine loop and, while paused, by the debugger.
 * Returns true when the window was closed and the machine is stopping. */
bool machine_display_tick(struct machine *m, bool paused);
/* Asynchronous stop from a signal handler. */
void machine_signal_stop(struct machine *m, int signo);

#endif

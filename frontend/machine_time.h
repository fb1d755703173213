/* How machine time relates to host time: QEMU's -icount and -rtc clock=
 * choices applied to the one machine clock (mmu/clock.h), which every timer,
 * the TSC and the RTC read.
 *
 *   default          icount, shift 0 (1 instruction = 1 ns), idle time is
 *                    skipped: deterministic and as fast as possible
 *   -icount shift=N  2^N ns per instruction; sleep=on (QEMU's default) lets
 *                    idle time pass in host time, sleep=off skips it
 *   -icount shift=auto  the shift (0..10) is re-chosen every 100 ms of host
 *                    time so that machine time tracks host time
 *   -rtc clock=host  realtime: machine time is host time since start,
 *                    moving at most REALTIME_MAX_STEP_NS per running turn */
#ifndef TURTLES_FRONTEND_MACHINE_TIME_H
#define TURTLES_FRONTEND_MACHINE_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "frontend/options.h"
#include "mmu/clock.h"

/* The round-robin quantum: each vCPU runs this many instructions per turn
 * unless it halts, pauses or shuts down first (README: "Time"). Devices and
 * the TSC see the clock as of the last turn's end, so a turn is also the
 * step by which time moves while a vCPU runs: 20 us by default. */
#define QUANTUM_INSNS 20000
/* Realtime mode takes host time at every turn's end; a turn that the host
 * stretched (preemption, a slow stretch of code) must not show the guest a
 * jump that its "is this counter running" checks read as a stuck counter
 * (Linux's hpet_counting() gives up after 200,000 TSC cycles, 67 us at
 * 3 GHz). So turns are shorter and time moves at most REALTIME_MAX_STEP_NS
 * per running turn; idle turns catch up with host time. */
#define REALTIME_QUANTUM_INSNS 2000
#define REALTIME_MAX_STEP_NS 50000ull

/* QEMU starts shift=auto at 3 as well. */
#define ICOUNT_AUTO_INITIAL_SHIFT 3
#define ICOUNT_AUTO_MAX_SHIFT 10
#define ICOUNT_AUTO_PERIOD_NS 100000000ull
/* Longest host sleep while idle, so input and signals are seen promptly. */
#define IDLE_SLEEP_MAX_NS 10000000ull

struct machine_time {
    bool sleep;          /* idle time passes in host time */
    bool autoshift;
    uint64_t host_start_ns;
    uint64_t next_adjust_ns; /* host time of the next shift=auto decision */
    uint64_t quantum;    /* instructions per vCPU turn */
};

/* Sets up `c` (clock_init) and `t` from the options. */
void machine_time_init(struct machine_time *t, struct clock *c, const struct options *o);
/* A vCPU ran `insns` instructions: advance the clock, run expired timers. */
void machine_time_ran(struct machine_time *t, struct clock *c, uint64_t insns);
/* Every vCPU is idle and a timer is armed: bring time to it (or closer). */
void machine_time_idle(struct machine_time *t, struct clock *c);
/* Called between rounds; cheap unless shift=auto is due for a decision. */
void machine_time_adjust(struct machine_time *t, struct clock *c);

#endif

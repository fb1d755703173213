/* The machine clock and its timer queue.
 *
 * It lives in the lowest layer because both the CPU (TSC, local APIC timer,
 * VMX-preemption timer) and the devices (PIT, RTC, HPET, ACPI PM timer) read
 * it, and neither may include the other.
 *
 * By default time is derived from the executed instruction count
 * (DESIGN.md: deterministic by default): ns = icount << shift (shift 0 means
 * one instruction per nanosecond, a 1 GHz virtual CPU). When every vCPU is
 * halted, the machine loop advances the clock straight to the next deadline. */
#ifndef TURTLES_MMU_CLOCK_H
#define TURTLES_MMU_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct timer;
typedef void (*timer_fn)(void *opaque, uint64_t now_ns);

struct timer {
    uint64_t deadline_ns; /* UINT64_MAX when not armed */
    timer_fn fn;
    void *opaque;
    struct timer *next;   /* sorted list of armed timers */
    bool armed;
    const char *name;
};

struct clock {
    uint64_t now_ns;          /* current machine time */
    uint64_t next_deadline;   /* cached head deadline, UINT64_MAX if none */
    struct timer *armed;      /* sorted by deadline */
    unsigned icount_shift;    /* ns per instruction = 1 << shift */
    bool realtime;            /* -icount off / clock=host: follow host time */
    uint64_t host_start_ns;
    /* While a vCPU runs its turn, the time its turn has taken so far (the
     * clock advances only when the turn ends): devices and the local APIC
     * read clock_now(), so that counters move between two reads in one
     * turn as on hardware. NULL between turns. */
    uint64_t (*turn_elapsed_ns)(void *opaque);
    void *turn_opaque;
};

/* The present machine time as the running vCPU sees it. */
static inline uint64_t clock_now(const struct clock *c)
{
    return c->now_ns + (c->turn_elapsed_ns ? c->turn_elapsed_ns(c->turn_opaque) : 0);
}

void clock_init(struct clock *c, unsigned icount_shift, bool realtime);
void timer_init(struct timer *t, timer_fn fn, void *opaque, const char *name);
void timer_arm(struct clock *c, struct timer *t, uint64_t deadline_ns);
void timer_disarm(struct clock *c, struct timer *t);
/* Advance time by executed instructions and run expired timers. */
void clock_advance_insns(struct clock *c, uint64_t insns);
/* Set time (must not go backwards) and run expired timers. */
void clock_advance_to(struct clock *c, uint64_t now_ns);
void clock_run_expired(struct clock *c);

#endif

#define _POSIX_C_SOURCE 200809L
/* See machine_time.h. */
#include "frontend/machine_time.h"

#include <time.h>

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL); /* a signal cuts it short: the run loop then stops */
}

void machine_time_init(struct machine_time *t, struct clock *c, const struct options *o)
{
    t->sleep = o->rtc_clock_host || (o->icount && o->icount_sleep);
    t->autoshift = o->icount_auto;
    unsigned shift = o->icount_auto ? ICOUNT_AUTO_INITIAL_SHIFT : o->icount_shift;
    clock_init(c, shift, o->rtc_clock_host);
    t->host_start_ns = host_ns();
    t->next_adjust_ns = t->host_start_ns + ICOUNT_AUTO_PERIOD_NS;
    t->quantum = o->rtc_clock_host ? REALTIME_QUANTUM_INSNS : QUANTUM_INSNS;
}

/* Realtime: machine time is host time since start, taken from our own base
 * (struct clock rebases its own on every clock_advance_to), capped per
 * running turn, caught up fully whenever the machine idles. */
static uint64_t host_since_start(const struct machine_time *t)
{
    return host_ns() - t->host_start_ns;
}

void machine_time_ran(struct machine_time *t, struct clock *c, uint64_t insns)
{
    if (!c->realtime) {
        clock_advance_insns(c, insns);
        return;
    }
    uint64_t host = host_since_start(t);
    uint64_t limit = c->now_ns + REALTIME_MAX_STEP_NS;
    clock_advance_to(c, host < limit ? host : limit);
}

void machine_time_idle(struct machine_time *t, struct clock *c)
{
    uint64_t target = c->next_deadline;
    if (!t->sleep) {
        clock_advance_to(c, target);
        return;
    }
    if (c->realtime) {
        uint64_t host = host_since_start(t);
        if (target > host) {
            sleep_ns(target - host < IDLE_SLEEP_MAX_NS ? target - host : IDLE_SLEEP_MAX_NS);
            host = host_since_start(t);
        }
        clock_advance_to(c, host); /* runs what expired */
        return;
    }
    /* icount with sleep=on: idle machine time passes at host speed. */
    if (target <= c->now_ns) {
        clock_advance_to(c, target);
        return;
    }
    uint64_t wait = target - c->now_ns;
    if (wait > IDLE_SLEEP_MAX_NS)
        wait = IDLE_SLEEP_MAX_NS;
    sleep_ns(wait);
    clock_advance_to(c, c->now_ns + wait);
}

void machine_time_adjust(struct machine_time *t, struct clock *c)
{
    if (!t->autoshift)
        return;
    uint64_t now = host_ns();
    if (now < t->next_adjust_ns)
        return;
    t->next_adjust_ns = now + ICOUNT_AUTO_PERIOD_NS;
    /* Machine time ahead of host time: instructions are worth too many ns. */
    uint64_t host = now - t->host_start_ns;
    if (c->now_ns > host && c->icount_shift > 0)
        c->icount_shift--;
    else if (c->now_ns < host && c->icount_shift < ICOUNT_AUTO_MAX_SHIFT)
        c->icount_shift++;
}

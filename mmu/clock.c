/* The machine clock: icount-derived (or host-following) time and a sorted
 * list of armed timers. See clock.h for the time model. */
#define _POSIX_C_SOURCE 200809L

#include "mmu/clock.h"

#include <stddef.h>
#include <time.h>

/* Host time is read only in realtime mode; the default icount mode never
 * looks at it, which keeps runs reproducible. */
static uint64_t host_monotonic_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void update_next_deadline(struct clock *c)
{
    c->next_deadline = c->armed ? c->armed->deadline_ns : UINT64_MAX;
}

void clock_init(struct clock *c, unsigned icount_shift, bool realtime)
{
    c->now_ns = 0;
    c->next_deadline = UINT64_MAX;
    c->armed = NULL;
    c->icount_shift = icount_shift > 20 ? 20 : icount_shift;
    c->realtime = realtime;
    c->host_start_ns = realtime ? host_monotonic_ns() : 0;
}

void timer_init(struct timer *t, timer_fn fn, void *opaque, const char *name)
{
    t->deadline_ns = UINT64_MAX;
    t->fn = fn;
    t->opaque = opaque;
    t->next = NULL;
    t->armed = false;
    t->name = name;
}

static void unlink_timer(struct clock *c, struct timer *t)
{
    for (struct timer **pp = &c->armed; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
}

/* A deadline at or before now is legal: the timer runs at the next
 * clock_run_expired(), never from inside timer_arm(), so callers never see
 * re-entry. Timers with equal deadlines run in the order they were armed. */
void timer_arm(struct clock *c, struct timer *t, uint64_t deadline_ns)
{
    if (t->armed)
        unlink_timer(c, t);
    t->deadline_ns = deadline_ns;
    struct timer **pp = &c->armed;
    while (*pp && (*pp)->deadline_ns <= deadline_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
    update_next_deadline(c);
}

void timer_disarm(struct clock *c, struct timer *t)
{
    if (t->armed)
        unlink_timer(c, t);
    t->deadline_ns = UINT64_MAX;
    update_next_deadline(c);
}

void clock_run_expired(struct clock *c)
{
    /* A callback may re-arm its own timer (periodic devices) or others; the
     * list head is re-read after every call. A timer re-armed at or before
     * now runs again in this loop, so devices must always move a periodic
     * deadline strictly forward. */
    while (c->armed && c->armed->deadline_ns <= c->now_ns) {
        struct timer *t = c->armed;
        c->armed = t->next;
        t->next = NULL;
        t->armed = false;
        update_next_deadline(c);
        if (t->fn)
            t->fn(t->opaque, c->now_ns);
    }
    update_next_deadline(c);
}

void clock_advance_insns(struct clock *c, uint64_t insns)
{
    if (c->realtime) {
        uint64_t host = host_monotonic_ns() - c->host_start_ns;
        if (host > c->now_ns)
            c->now_ns = host;
    } else {
        uint64_t delta = insns << c->icount_shift;
        if ((delta >> c->icount_shift) != insns || UINT64_MAX - c->now_ns < delta)
            c->now_ns = UINT64_MAX - 1; /* saturate; never wrap backwards */
        else
            c->now_ns += delta;
    }
    if (c->now_ns >= c->next_deadline)
        clock_run_expired(c);
}

void clock_advance_to(struct clock *c, uint64_t now_ns)
{
    if (now_ns > c->now_ns)
        c->now_ns = now_ns;
    if (c->realtime)
        c->host_start_ns = host_monotonic_ns() - c->now_ns;
    if (c->now_ns >= c->next_deadline)
        clock_run_expired(c);
}

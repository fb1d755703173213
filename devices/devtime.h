/* Conversions between machine nanoseconds and device clock ticks.
 *
 * Every timer device derives its counter from struct clock (DESIGN.md:
 * deterministic by default), so these helpers are the only place where a
 * device frequency meets the nanosecond time base. */
#ifndef TURTLES_DEVICES_DEVTIME_H
#define TURTLES_DEVICES_DEVTIME_H

#include <stdint.h>

#define NS_PER_SEC 1000000000ull

/* a * b / c without a 128-bit type (portable to every 64-bit host).
 * Exact as long as (a % c) * b fits in 64 bits, which holds for every
 * frequency below 2^34 Hz combined with c = 1e9 or c = a frequency. */
static inline uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
    return (a / c) * b + (a % c) * b / c;
}

/* Rounded up: the first nanosecond at which `ticks` ticks have elapsed. */
static inline uint64_t ticks_to_ns_ceil(uint64_t ticks, uint64_t hz)
{
    uint64_t q = ticks / hz, r = ticks % hz;
    return q * NS_PER_SEC + (r * NS_PER_SEC + hz - 1) / hz;
}

static inline uint64_t ns_to_ticks(uint64_t ns, uint64_t hz)
{
    return muldiv64(ns, hz, NS_PER_SEC);
}

#endif

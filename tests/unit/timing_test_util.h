/* Shared by unit tests that need interrupt sources and time around the
 * harness vCPU: a plain INTR line (no local APIC), and a machine clock with
 * an enabled xAPIC attached to the vCPU. */
#ifndef TURTLES_TESTS_TIMING_TEST_UTIL_H
#define TURTLES_TESTS_TIMING_TEST_UTIL_H

#include <stdbool.h>

#include "cpu/lapic.h"
#include "mmu/clock.h"
#include "tests/unit/harness.h"

/* The INTR line: asserted while test_intr_line is true; the INTA cycle
 * returns test_intr_vector and drops the line. */
static bool test_intr_line;
static int test_intr_vector;

static bool test_intr_line_pending(struct cpu *cpu)
{
    (void)cpu;
    return test_intr_line;
}

static int test_intr_line_ack(struct cpu *cpu)
{
    (void)cpu;
    test_intr_line = false;
    return test_intr_vector;
}

static inline void test_intr_line_attach(struct cpu *cpu, int vector)
{
    cpu->intr_pending = test_intr_line_pending;
    cpu->intr_ack = test_intr_line_ack;
    test_intr_vector = vector;
    test_intr_line = false;
}

/* A clock at start_ns and a software-enabled xAPIC on the harness vCPU. */
static inline void test_attach_clock_lapic(struct harness *hh, struct clock *clk,
                                           struct lapic *apic, uint64_t start_ns)
{
    clock_init(clk, 0, false);
    clock_advance_to(clk, start_ns);
    hh->cpu.bus.clock = clk;
    lapic_init(apic, &hh->cpu, clk, 0);
    lapic_reset(apic, true);
    hh->cpu.lapic = apic;
    lapic_mmio_write(apic, LAPIC_SVR, 0x1ff);
}

#endif

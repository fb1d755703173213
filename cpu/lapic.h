/* The local APIC of one vCPU (SDM Vol.3A chapter 11): xAPIC (MMIO page at
 * IA32_APIC_BASE) and x2APIC (MSRs 0x800-0x8ff), timer in one-shot,
 * periodic and TSC-deadline modes, IPIs, INIT/SIPI, EOI, TPR/PPR.
 * Devices reach it only through lapic_route() with an interrupt message
 * that the machine unpacks (DESIGN.md). */
#ifndef TURTLES_CPU_LAPIC_H
#define TURTLES_CPU_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/clock.h"

struct cpu;
struct lapic;

/* Register offsets in the xAPIC page (x2APIC MSR = 0x800 + offset / 16). */
enum {
    LAPIC_ID = 0x20, LAPIC_VER = 0x30, LAPIC_TPR = 0x80, LAPIC_APR = 0x90, LAPIC_PPR = 0xa0,
    LAPIC_EOI = 0xb0, LAPIC_RRD = 0xc0, LAPIC_LDR = 0xd0, LAPIC_DFR = 0xe0, LAPIC_SVR = 0xf0,
    LAPIC_ISR = 0x100, LAPIC_TMR = 0x180, LAPIC_IRR = 0x200, LAPIC_ESR = 0x280,
    LAPIC_LVT_CMCI = 0x2f0, LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310,
    LAPIC_LVT_TIMER = 0x320, LAPIC_LVT_THERMAL = 0x330, LAPIC_LVT_PERF = 0x340,
    LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370,
    LAPIC_TIMER_INIT = 0x380, LAPIC_TIMER_CUR = 0x390, LAPIC_TIMER_DIV = 0x3e0,
    LAPIC_SELF_IPI = 0x3f0,
};

#define LAPIC_LVT_MASKED (1u << 16)
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

/* Messages leave a local APIC (IPIs) through this callback; the machine
 * hands them to lapic_route() for all vCPUs. */
typedef void (*lapic_ipi_fn)(void *opaque, struct lapic *from, uint32_t icr_lo, uint32_t dest);
/* Level-triggered EOI, broadcast to the I/O APIC (SDM Vol.3A 11.8.5). */
typedef void (*lapic_eoi_fn)(void *opaque, uint8_t vector);
/* The PIC's INTA cycle for ExtINT delivery through LINT0. */
typedef int (*lapic_extint_ack_fn)(void *opaque);

struct lapic {
    struct cpu *cpu;
    struct clock *clock;
    struct timer timer;
    uint32_t id;              /* x2APIC ID (xAPIC ID = id << 24) */
    uint32_t regs[64];        /* indexed by offset >> 4 for plain registers */
    uint32_t irr[8], isr[8], tmr[8];
    uint32_t icr_hi;
    uint64_t timer_start_ns;  /* when the current count was loaded */
    uint64_t tsc_deadline;
    bool extint_pending;      /* PIC INTR asserted and LINT0 in ExtINT mode */
    bool lint0_level;
    lapic_ipi_fn send_ipi;
    lapic_eoi_fn eoi;
    lapic_extint_ack_fn extint_ack;
    void *opaque;
};

void lapic_init(struct lapic *a, struct cpu *cpu, struct clock *clock, uint32_t id);
void lapic_reset(struct lapic *a, bool bsp);
bool lapic_enabled(const struct lapic *a);     /* globally and software enabled */
/* The LVT timer could still interrupt: enabled and unmasked (armed or
 * not: an idle vCPU cannot arm it, but a conservative answer is cheap). */
bool lapic_timer_may_fire(const struct lapic *a);
/* LINT0 passes a maskable interrupt (ExtINT or fixed, unmasked). */
bool lapic_lint0_open(const struct lapic *a);
bool lapic_x2apic(const struct lapic *a);

uint32_t lapic_mmio_read(struct lapic *a, uint32_t offset);
/* The TPR and an EOI in any APIC mode (xAPIC or x2APIC): for CR8 (SDM
 * Vol.3A 11.8.6) and posted-interrupt processing (Vol.3C 29.6), which
 * reach the registers without the MMIO page or the MSRs. */
uint8_t lapic_tpr(const struct lapic *a);
void lapic_set_tpr(struct lapic *a, uint8_t tpr);
void lapic_eoi(struct lapic *a);
void lapic_mmio_write(struct lapic *a, uint32_t offset, uint32_t value);
/* x2APIC MSR access; false means #GP. */
bool lapic_msr_read(struct lapic *a, uint32_t msr, uint64_t *value);
bool lapic_msr_write(struct lapic *a, uint32_t msr, uint64_t value);
/* IA32_APIC_BASE write with the mode-transition rules (SDM Vol.3A 11.12.5);
 * false means #GP. */
bool lapic_set_base(struct lapic *a, uint64_t value);
void lapic_set_tsc_deadline(struct lapic *a, uint64_t deadline);
uint64_t lapic_tsc(const struct lapic *a);

/* Accept a message for this APIC (fixed, lowest priority, NMI, INIT, SIPI, ExtINT). */
void lapic_accept(struct lapic *a, uint8_t vector, unsigned delivery_mode, bool level_trig);
/* Does this APIC match a destination (physical or logical, xAPIC or x2APIC)? */
bool lapic_match(const struct lapic *a, uint32_t dest, bool logical);
/* Deliver a message to every matching APIC of the machine. shorthand: 0 none, 1 self,
 * 2 all including self, 3 all excluding self (ICR bits 19:18). */
void lapic_route(struct lapic **all, int n, struct lapic *from, unsigned shorthand,
                 uint32_t dest, bool logical, uint8_t vector, unsigned delivery_mode,
                 bool level_trig);

/* The PIC's INTR line as seen on LINT0. */
void lapic_set_lint0(struct lapic *a, bool level);
/* A performance-counter overflow with its PMI enabled (cpu/pmu.c): deliver
 * through LVT PERF unless masked, and set its mask bit (SDM Vol.3A figure
 * 11-8 note; the PMI handler unmasks the entry again). */
void lapic_perf_interrupt(struct lapic *a);

/* For the CPU between blocks: is a maskable interrupt deliverable (IRR above
 * PPR, or ExtINT)? lapic_ack() performs the acknowledge and returns the vector. */
bool lapic_intr_pending(const struct lapic *a);
/* An assertion of LINT0 would deliver an NMI or INIT, which RFLAGS.IF does
 * not mask (LVT LINT0 unmasked in one of those modes, APIC enabled). */
bool lapic_lint0_ignores_if(const struct lapic *a);
int lapic_ack(struct lapic *a);

#endif

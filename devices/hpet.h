/* High Precision Event Timer (IA-PC HPET specification 1.0a) at
 * 0xFED00000: 64-bit main counter at 100 MHz, 3 timers, legacy
 * replacement routing, periodic and one-shot, 32-bit mode, FSB (MSI)
 * delivery. */
#ifndef TURTLES_DEVICES_HPET_H
#define TURTLES_DEVICES_HPET_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define HPET_BASE 0xfed00000ull
#define HPET_MMIO_SIZE 0x400ull
#define HPET_NUM_TIMERS 3
#define HPET_FREQ_HZ 100000000ull
#define HPET_PERIOD_FS 10000000u   /* femtoseconds per tick at 100 MHz */
/* I/O APIC inputs a timer may be routed to outside legacy mode. */
#define HPET_INT_ROUTE_CAP 0x00f00000u   /* GSI 20-23 */

struct hpet_timer {
    uint64_t config;      /* Tn_CONF_CAP writable part */
    uint64_t comparator;
    uint64_t period;
    uint64_t fsb;         /* Tn_FSB_INT_ROUTE: data in 31:0, address in 63:32 */
    bool line_level;      /* level driven for a level-triggered timer */
    struct timer timer;
};

struct hpet {
    uint64_t config;          /* GEN_CONF */
    uint64_t isr;             /* GINTR_STA */
    uint64_t counter_base;    /* counter value at start_ns (or the frozen value) */
    uint64_t start_ns;
    struct hpet_timer t[HPET_NUM_TIMERS];
    struct device_env env;
};

void hpet_init(struct hpet *h, const struct device_env *env, uint64_t base);
void hpet_reset(struct hpet *h);
uint64_t hpet_read_counter(const struct hpet *h);
/* True while LEG_RT_CNF is set: the machine should then ignore the PIT's
 * IRQ0 and the RTC's IRQ8, which the HPET's timers 0 and 1 replace. */
bool hpet_legacy_replacement(const struct hpet *h);
/* Some enabled timer delivers through the FSB (MSI) as an NMI or INIT. */
bool hpet_may_send_nmi_or_init(const struct hpet *h);
/* Some enabled timer delivers by FSB (MSI) with a maskable mode. Timers
 * on the I/O APIC or PIC lines count through those devices' masks. */
bool hpet_may_send_maskable(const struct hpet *h);

uint64_t hpet_mmio_read(void *opaque, uint64_t offset, unsigned size);
void hpet_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size);

#endif

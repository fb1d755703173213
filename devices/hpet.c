/* HPET. The main counter is derived from the machine clock; each timer
 * arms a clock timer at the time its comparator will be reached. */
#include "devices/hpet.h"

#include <string.h>

#include "devices/devtime.h"
#include "devices/msi.h"

#define REG_CAP 0x000
#define REG_CONFIG 0x010
#define REG_ISR 0x020
#define REG_COUNTER 0x0f0
#define REG_TIMER0 0x100
#define TIMER_STRIDE 0x20

#define CFG_ENABLE 0x1ull
#define CFG_LEGACY 0x2ull

#define TN_LEVEL (1ull << 1)
#define TN_ENABLE (1ull << 2)
#define TN_PERIODIC (1ull << 3)
#define TN_PERIODIC_CAP (1ull << 4)
#define TN_SIZE_CAP (1ull << 5)
#define TN_SETVAL (1ull << 6)
#define TN_32BIT (1ull << 8)
#define TN_ROUTE_SHIFT 9
#define TN_ROUTE_MASK (0x1full << TN_ROUTE_SHIFT)
#define TN_FSB_EN (1ull << 14)
#define TN_FSB_CAP (1ull << 15)
#define TN_WRITABLE (TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT | TN_ROUTE_MASK | TN_FSB_EN)
#define TN_RO_CAPS (TN_PERIODIC_CAP | TN_SIZE_CAP | TN_FSB_CAP | ((uint64_t)HPET_INT_ROUTE_CAP << 32))

static uint64_t now_ns(const struct hpet *h)
{
    return h->env.clock ? clock_now(h->env.clock) : 0;
}

static bool counter_running(const struct hpet *h)
{
    return h->config & CFG_ENABLE;
}

uint64_t hpet_read_counter(const struct hpet *h)
{
    if (!counter_running(h))
        return h->counter_base;
    uint64_t now = now_ns(h);
    uint64_t dt = now > h->start_ns ? now - h->start_ns : 0;
    return h->counter_base + ns_to_ticks(dt, HPET_FREQ_HZ);
}

bool hpet_legacy_replacement(const struct hpet *h)
{
    return h->config & CFG_LEGACY;
}

/* The interrupt line a timer drives: legacy replacement routes timer 0 to
 * IRQ0 (I/O APIC input 2 via the machine's ISA override) and timer 1 to
 * IRQ8 (HPET spec 2.3.8.1); otherwise Tn_INT_ROUTE_CNF names the GSI. */
static unsigned timer_line(const struct hpet *h, int n)
{
    if ((h->config & CFG_LEGACY) && n < 2)
        return n == 0 ? 0 : 8;
    return (unsigned)((h->t[n].config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
}

static void set_line(struct hpet *h, int n, bool level)
{
    struct hpet_timer *t = &h->t[n];
    if (t->line_level == level)
        return;
    t->line_level = level;
    if (h->env.set_irq)
        device_set_irq(&h->env, timer_line(h, n), level);
}

/* Some enabled timer delivers by FSB (MSI) with a delivery mode that IF
 * does (ignores_if false) or does not (true) mask. Timers on the I/O APIC
 * or PIC lines count through those devices' masks. */
static bool fsb_timer_with_mode(const struct hpet *h, bool ignores_if)
{
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        const struct hpet_timer *t = &h->t[n];
        if (!(t->config & TN_ENABLE) || !(t->config & TN_FSB_EN) ||
            ((h->config & CFG_LEGACY) && n < 2))
            continue;
        struct apic_msg msg;
        msi_decode(t->fsb >> 32, (uint32_t)t->fsb, &msg);
        if (apic_mode_ignores_if(msg.delivery_mode) == ignores_if)
            return true;
    }
    return false;
}

bool hpet_may_send_nmi_or_init(const struct hpet *h)
{
    return fsb_timer_with_mode(h, true);
}

bool hpet_may_send_maskable(const struct hpet *h)
{
    return fsb_timer_with_mode(h, false);
}

static void raise_interrupt(struct hpet *h, int n)
{
    struct hpet_timer *t = &h->t[n];
    if (!(t->config & TN_ENABLE))
        return;
    if ((t->config & TN_FSB_EN) && !((h->config & CFG_LEGACY) && n < 2)) {
        struct apic_msg msg;
        msi_decode(t->fsb >> 32, (uint32_t)t->fsb, &msg);
        if (h->env.send_msg)
            h->env.send_msg(h->env.msg_opaque, &msg);
        return;
    }
    if (t->config & TN_LEVEL) {
        /* Level: status bit set, line held until software clears it. */
        h->isr |= 1ull << n;
        set_line(h, n, true);
    } else if (h->env.set_irq) {
        unsigned line = timer_line(h, n);
        device_set_irq(&h->env, line, true);
        device_set_irq(&h->env, line, false);
    }
}

static uint64_t counter_mask(const struct hpet_timer *t)
{
    return (t->config & TN_32BIT) ? 0xffffffffull : ~0ull;
}

static void schedule_timer(struct hpet *h, int n)
{
    struct hpet_timer *t = &h->t[n];
    struct clock *clk = h->env.clock;
    if (!clk)
        return;
    if (!counter_running(h) || !(t->config & TN_ENABLE)) {
        timer_disarm(clk, &t->timer);
        return;
    }
    uint64_t mask = counter_mask(t);
    uint64_t counter = hpet_read_counter(h);
    uint64_t diff = (t->comparator - counter) & mask;
    /* A comparator equal to the counter has already matched. A 64-bit
     * comparator behind the counter matches only after a wrap, centuries
     * away: leave the timer unarmed. In 32-bit mode it matches again after
     * the counter wraps. */
    if (mask == ~0ull && (diff == 0 || diff > (1ull << 63))) {
        timer_disarm(clk, &t->timer);
        return;
    }
    if (diff == 0)
        diff = mask + 1;
    /* Time at which the counter reaches counter + diff. */
    uint64_t target_ticks = counter + diff - h->counter_base;
    uint64_t deadline = h->start_ns + ticks_to_ns_ceil(target_ticks, HPET_FREQ_HZ);
    if (deadline <= clk->now_ns)
        deadline = clk->now_ns + 1;
    timer_arm(clk, &t->timer, deadline);
}

static void timer_expired(struct hpet *h, int n)
{
    struct hpet_timer *t = &h->t[n];
    raise_interrupt(h, n);
    if ((t->config & TN_PERIODIC) && t->period) {
        uint64_t mask = counter_mask(t);
        uint64_t counter = hpet_read_counter(h) & mask;
        uint64_t period = t->period & mask;
        /* Advance to the first multiple of the period past the counter;
         * periods missed while the clock jumped are skipped, not replayed. */
        uint64_t behind = (counter - t->comparator) & mask;
        if (behind <= (mask >> 1))
            t->comparator = (t->comparator + (behind / period + 1) * period) & mask;
        else
            t->comparator = (t->comparator + period) & mask;
    }
    /* A one-shot 64-bit comparator is now behind the counter and stays
     * unarmed; a 32-bit one matches again after the counter wraps. */
    schedule_timer(h, n);
}

static void timer0_fired(void *opaque, uint64_t now)
{
    (void)now;
    timer_expired(opaque, 0);
}

static void timer1_fired(void *opaque, uint64_t now)
{
    (void)now;
    timer_expired(opaque, 1);
}

static void timer2_fired(void *opaque, uint64_t now)
{
    (void)now;
    timer_expired(opaque, 2);
}

static void schedule_all(struct hpet *h)
{
    for (int n = 0; n < HPET_NUM_TIMERS; n++)
        schedule_timer(h, n);
}

static uint64_t read_reg64(struct hpet *h, uint64_t reg)
{
    switch (reg) {
    case REG_CAP:
        return ((uint64_t)HPET_PERIOD_FS << 32) | (0x8086ull << 16) | (1ull << 15) |
               (1ull << 13) | ((uint64_t)(HPET_NUM_TIMERS - 1) << 8) | 0x01;
    case REG_CONFIG:
        return h->config;
    case REG_ISR:
        return h->isr;
    case REG_COUNTER:
        return hpet_read_counter(h);
    default:
        break;
    }
    if (reg >= REG_TIMER0 && reg < REG_TIMER0 + HPET_NUM_TIMERS * TIMER_STRIDE) {
        const struct hpet_timer *t = &h->t[(reg - REG_TIMER0) / TIMER_STRIDE];
        switch ((reg - REG_TIMER0) % TIMER_STRIDE) {
        case 0x00: return t->config | TN_RO_CAPS;
        case 0x08: return t->comparator & counter_mask(t);
        case 0x10: return t->fsb;
        default: return 0;
        }
    }
    return 0;
}

/* Apply a write of `val` under byte mask `wmask` to the 64-bit register. */
static void write_reg64(struct hpet *h, uint64_t reg, uint64_t val, uint64_t wmask)
{
    switch (reg) {
    case REG_CONFIG: {
        uint64_t old = h->config;
        uint64_t nv = ((old & ~wmask) | (val & wmask)) & (CFG_ENABLE | CFG_LEGACY);
        if ((old & CFG_ENABLE) && !(nv & CFG_ENABLE)) {
            h->counter_base = hpet_read_counter(h);   /* freeze */
        } else if (!(old & CFG_ENABLE) && (nv & CFG_ENABLE)) {
            h->start_ns = now_ns(h);
        }
        if ((old ^ nv) & CFG_LEGACY) {
            /* Release level lines on the old routing before switching. */
            for (int n = 0; n < 2; n++)
                set_line(h, n, false);
        }
        h->config = nv;
        for (int n = 0; n < 2; n++)
            if (h->isr & (1ull << n) && (h->t[n].config & TN_LEVEL))
                set_line(h, n, true);
        schedule_all(h);
        return;
    }
    case REG_ISR: {
        /* Write 1 to clear a level-triggered timer's status. */
        uint64_t clear = val & wmask & h->isr;
        h->isr &= ~clear;
        for (int n = 0; n < HPET_NUM_TIMERS; n++)
            if (clear & (1ull << n))
                set_line(h, n, false);
        return;
    }
    case REG_COUNTER: {
        uint64_t cur = hpet_read_counter(h);
        h->counter_base = (cur & ~wmask) | (val & wmask);
        h->start_ns = now_ns(h);
        schedule_all(h);
        return;
    }
    default:
        break;
    }
    if (reg < REG_TIMER0 || reg >= REG_TIMER0 + HPET_NUM_TIMERS * TIMER_STRIDE)
        return;
    int n = (int)((reg - REG_TIMER0) / TIMER_STRIDE);
    struct hpet_timer *t = &h->t[n];
    switch ((reg - REG_TIMER0) % TIMER_STRIDE) {
    case 0x00: {
        uint64_t nv = ((t->config & ~wmask) | (val & wmask)) & TN_WRITABLE;
        /* Only routes the capability advertises are accepted. */
        unsigned route = (unsigned)((nv & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
        if (!((HPET_INT_ROUTE_CAP >> route) & 1))
            nv = (nv & ~TN_ROUTE_MASK) | (t->config & TN_ROUTE_MASK);
        if ((t->config ^ nv) & (TN_LEVEL | TN_ROUTE_MASK | TN_ENABLE)) {
            set_line(h, n, false);
            if (!(nv & TN_LEVEL))
                h->isr &= ~(1ull << n);
        }
        t->config = nv;
        if (nv & TN_32BIT) {
            t->comparator &= 0xffffffffull;
            t->period &= 0xffffffffull;
        }
        if ((t->config & TN_LEVEL) && (t->config & TN_ENABLE) && (h->isr & (1ull << n)))
            set_line(h, n, true);
        schedule_timer(h, n);
        return;
    }
    case 0x08: {
        /* In periodic mode a write sets the period, and also the
         * comparator when Tn_VAL_SET_CNF is set (which then clears); in
         * one-shot mode it sets the comparator. */
        uint64_t mask = counter_mask(t);
        if (!(t->config & TN_PERIODIC) || (t->config & TN_SETVAL))
            t->comparator = ((t->comparator & ~wmask) | (val & wmask)) & mask;
        t->period = ((t->period & ~wmask) | (val & wmask)) & mask;
        t->config &= ~TN_SETVAL;
        schedule_timer(h, n);
        return;
    }
    case 0x10:
        t->fsb = (t->fsb & ~wmask) | (val & wmask);
        return;
    default:
        return;
    }
}

uint64_t hpet_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct hpet *h = opaque;
    if (size != 4 && size != 8)
        size = size < 4 ? size : 4;
    uint64_t v = read_reg64(h, offset & ~7ull) >> (8 * (offset & 7));
    if (size < 8)
        v &= (1ull << (8 * size)) - 1;
    return v;
}

void hpet_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct hpet *h = opaque;
    unsigned shift = 8 * (unsigned)(offset & 7);
    if (size > 8 || shift + 8 * size > 64) {
        /* Straddles two registers: ignored. */
        device_guest_error(&h->env, "hpet", "write straddling two registers ignored");
        return;
    }
    uint64_t wmask = (size == 8 ? ~0ull : ((1ull << (8 * size)) - 1)) << shift;
    write_reg64(h, offset & ~7ull, value << shift, wmask);
}

void hpet_reset(struct hpet *h)
{
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        struct hpet_timer *t = &h->t[n];
        set_line(h, n, false);
        if (h->env.clock)
            timer_disarm(h->env.clock, &t->timer);
        t->config = 0;
        t->comparator = ~0ull;
        t->period = 0;
        t->fsb = 0;
    }
    h->config = 0;
    h->isr = 0;
    h->counter_base = 0;
    h->start_ns = now_ns(h);
}

void hpet_init(struct hpet *h, const struct device_env *env, uint64_t base)
{
    memset(h, 0, sizeof(*h));
    if (env)
        h->env = *env;
    timer_init(&h->t[0].timer, timer0_fired, h, "hpet-t0");
    timer_init(&h->t[1].timer, timer1_fired, h, "hpet-t1");
    timer_init(&h->t[2].timer, timer2_fired, h, "hpet-t2");
    hpet_reset(h);
    if (env && env->mem)
        physmem_add_mmio(env->mem, base, HPET_MMIO_SIZE, h, hpet_mmio_read, hpet_mmio_write,
                         "hpet");
}

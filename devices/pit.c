/* 8254 PIT. Counters are not stepped: the count and OUT level of a channel
 * are computed from the ticks elapsed since its count was loaded, and
 * channel 0's interrupt comes from a clock timer armed at OUT's next rising
 * edge (8254 datasheet, Intel order no. 231164, "Modes of operation"). */
#include "devices/pit.h"

#include <string.h>

#include "devices/devtime.h"

static uint64_t now_ns(const struct pit *pit)
{
    return pit->env.clock ? clock_now(pit->env.clock) : 0;
}

static uint64_t elapsed_ticks(const struct pit *pit, const struct pit_channel *c)
{
    uint64_t now = now_ns(pit);
    return now > c->load_ns ? ns_to_ticks(now - c->load_ns, PIT_FREQ_HZ) : 0;
}

/* Counting element value after d ticks. Modes 0, 1, 4, 5 wrap through
 * 0xffff after terminal count; modes 2 and 3 reload. */
static uint16_t count_at(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->reload;
    switch (c->mode) {
    case 2:
        return (uint16_t)(n - d % n);
    case 3:
        /* Decrements by two each clock; the count read is the half-period
         * countdown from n (odd counts: an approximation). */
        return (uint16_t)(n - (2 * d) % n);
    default:
        return (uint16_t)((n - d) & 0xffff);
    }
}

static bool out_at(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->reload;
    switch (c->mode) {
    case 0: /* low until terminal count, then high */
    case 1: /* low from the trigger until terminal count */
        return d >= n;
    case 2: /* low for one clock when the count reaches 1 */
        return d % n != n - 1;
    case 3: /* high for ceil(n/2), low for floor(n/2) */
        return d % n < (n + 1) / 2;
    default: /* 4, 5: low for one clock after terminal count */
        return d != n;
    }
}

/* The first tick > d at which OUT rises, or UINT64_MAX. */
static uint64_t next_rise_after(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->reload;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : UINT64_MAX;
    case 2:
    case 3:
        return (d / n + 1) * n;
    default:
        return d < n + 1 ? n + 1 : UINT64_MAX;
    }
}

bool pit_get_out(struct pit *pit, int channel)
{
    if (channel < 0 || channel > 2)
        return false;
    const struct pit_channel *c = &pit->ch[channel];
    if (!c->loaded)
        return c->mode != 0;   /* control word: mode 0 drives OUT low, others high */
    /* Modes 2 and 3 hold OUT high while the gate is low. */
    if (!c->gate && (c->mode == 2 || c->mode == 3))
        return true;
    return out_at(c, elapsed_ticks(pit, c));
}

static void schedule_irq(struct pit *pit)
{
    struct clock *clk = pit->env.clock;
    if (!clk)
        return;
    const struct pit_channel *c = &pit->ch[0];
    if (!c->loaded || !c->gate) {
        timer_disarm(clk, &pit->irq_timer);
        return;
    }
    uint64_t d = elapsed_ticks(pit, c);
    uint64_t t = next_rise_after(c, d);
    if (t == UINT64_MAX) {
        timer_disarm(clk, &pit->irq_timer);
        return;
    }
    uint64_t deadline = c->load_ns + ticks_to_ns_ceil(t, PIT_FREQ_HZ);
    if (deadline <= clk->now_ns)
        deadline = clk->now_ns + 1;
    timer_arm(clk, &pit->irq_timer, deadline);
}

static void irq_timer_fired(void *opaque, uint64_t now)
{
    struct pit *pit = opaque;
    (void)now;
    /* IRQ0 is edge-triggered at the PIC and I/O APIC: a rising edge of OUT
     * is delivered as a pulse. Edges missed while the clock jumped are
     * coalesced, as the PIC would coalesce them. */
    if (pit->env.set_irq) {
        device_set_irq(&pit->env, PIT_IRQ, true);
        device_set_irq(&pit->env, PIT_IRQ, false);
    }
    schedule_irq(pit);
}

static uint16_t to_bcd16(uint32_t v)
{
    v %= 10000;
    return (uint16_t)((v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) |
                      ((v / 1000) << 12));
}

static uint32_t from_bcd16(uint16_t v)
{
    return (v & 0xf) % 10 + ((v >> 4) & 0xf) % 10 * 10 + ((v >> 8) & 0xf) % 10 * 100 +
           ((v >> 12) & 0xf) % 10 * 1000;
}

static uint16_t current_count(struct pit *pit, int ch)
{
    const struct pit_channel *c = &pit->ch[ch];
    uint16_t v;
    if (!c->loaded)
        v = (uint16_t)c->reload;
    else
        v = count_at(c, elapsed_ticks(pit, c));
    return c->bcd ? to_bcd16(v) : v;
}

static void load_count(struct pit *pit, int ch, uint16_t raw)
{
    struct pit_channel *c = &pit->ch[ch];
    uint32_t v = c->bcd ? from_bcd16(raw) : raw;
    if (v == 0)
        v = c->bcd ? 10000 : 0x10000;   /* 0 is the maximum count */
    /* Modes 2 and 3 need at least 2 (1 is illegal on the 8254). */
    if ((c->mode == 2 || c->mode == 3) && v < 2)
        v = 2;
    c->reload = v;
    c->load_ns = now_ns(pit);
    c->loaded = true;
    c->null_count = false;
    if (ch == 0)
        schedule_irq(pit);
}

static void latch_count(struct pit *pit, int ch)
{
    struct pit_channel *c = &pit->ch[ch];
    if (c->count_latch_state)
        return;   /* a latched count is held until read */
    c->latched_count = current_count(pit, ch);
    c->count_latch_state = c->rw_mode;
}

static void latch_status(struct pit *pit, int ch)
{
    struct pit_channel *c = &pit->ch[ch];
    if (c->status_latched)
        return;
    c->status = (uint8_t)((pit_get_out(pit, ch) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
                          (c->rw_mode << 4) | (c->mode << 1) | (c->bcd ? 1 : 0));
    c->status_latched = true;
}

static void write_control(struct pit *pit, uint8_t val)
{
    int ch = val >> 6;
    if (ch == 3) {
        /* Read-back command: bit 5 low latches counts, bit 4 low latches status. */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2u << i)))
                continue;
            if (!(val & 0x20))
                latch_count(pit, i);
            if (!(val & 0x10))
                latch_status(pit, i);
        }
        return;
    }
    unsigned access = (val >> 4) & 3;
    if (access == 0) {
        latch_count(pit, ch);
        return;
    }
    struct pit_channel *c = &pit->ch[ch];
    unsigned mode = (val >> 1) & 7;
    c->mode = (uint8_t)(mode >= 6 ? mode - 4 : mode);
    c->rw_mode = (uint8_t)access;
    c->bcd = val & 1;
    c->loaded = false;
    c->null_count = true;
    c->count_latch_state = 0;
    c->status_latched = false;
    c->read_msb_next = false;
    c->write_msb_next = false;
    if (ch == 0)
        schedule_irq(pit);
}

static void write_counter(struct pit *pit, int ch, uint8_t val)
{
    struct pit_channel *c = &pit->ch[ch];
    switch (c->rw_mode) {
    case 1:
        load_count(pit, ch, val);
        break;
    case 2:
        load_count(pit, ch, (uint16_t)(val << 8));
        break;
    case 3:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
        } else {
            c->write_msb_next = false;
            load_count(pit, ch, (uint16_t)(c->write_lsb | (val << 8)));
        }
        break;
    default:
        break;   /* channel never programmed */
    }
}

static uint8_t read_counter(struct pit *pit, int ch)
{
    struct pit_channel *c = &pit->ch[ch];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->count_latch_state) {
        uint8_t v;
        switch (c->count_latch_state) {
        case 1: v = (uint8_t)c->latched_count; c->count_latch_state = 0; break;
        case 2: v = (uint8_t)(c->latched_count >> 8); c->count_latch_state = 0; break;
        case 3: v = (uint8_t)c->latched_count; c->count_latch_state = 4; break;
        default: v = (uint8_t)(c->latched_count >> 8); c->count_latch_state = 0; break;
        }
        return v;
    }
    uint16_t count = current_count(pit, ch);
    switch (c->rw_mode) {
    case 1:
        return (uint8_t)count;
    case 2:
        return (uint8_t)(count >> 8);
    case 3:
        c->read_msb_next = !c->read_msb_next;
        return c->read_msb_next ? (uint8_t)count : (uint8_t)(count >> 8);
    default:
        return 0;
    }
}

void pit_set_gate(struct pit *pit, int channel, bool level)
{
    if (channel < 0 || channel > 2)
        return;
    struct pit_channel *c = &pit->ch[channel];
    bool rising = level && !c->gate;
    c->gate = level;
    /* Modes 1, 2, 3 and 5 (re)start counting on a rising gate. Modes 0 and 4
     * would pause while the gate is low; that is not modelled. */
    if (rising && c->loaded && c->mode != 0 && c->mode != 4)
        c->load_ns = now_ns(pit);
    if (channel == 0)
        schedule_irq(pit);
}

uint32_t pit_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct pit *pit = opaque;
    (void)size;
    if (port == PIT_PORT61) {
        /* Bit 4 toggles every 15.09 us (DRAM refresh request, 66.3 kHz/2
         * half-periods); bit 5 is OUT2. Bits 6-7 (NMI sources) read 0. */
        uint8_t refresh = (uint8_t)(((now_ns(pit) / 15085) & 1) << 4);
        return (uint32_t)((pit->port61 & 0x0f) | refresh | (pit_get_out(pit, 2) ? 0x20 : 0));
    }
    unsigned reg = port - PIT_BASE_PORT;
    if (reg >= 3)
        return 0xff;   /* the control word register is write-only */
    return read_counter(pit, (int)reg);
}

void pit_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pit *pit = opaque;
    (void)size;
    uint8_t val = (uint8_t)value;
    if (port == PIT_PORT61) {
        pit->port61 = val & 0x0f;
        pit_set_gate(pit, 2, val & 1);
        return;
    }
    unsigned reg = port - PIT_BASE_PORT;
    if (reg == 3)
        write_control(pit, val);
    else if (reg < 3)
        write_counter(pit, (int)reg, val);
}

void pit_reset(struct pit *pit)
{
    memset(pit->ch, 0, sizeof(pit->ch));
    for (int i = 0; i < 3; i++) {
        pit->ch[i].reload = 0x10000;
        pit->ch[i].gate = i != 2;   /* channel 2's gate comes from port 0x61 */
    }
    pit->port61 = 0;
    if (pit->env.clock)
        timer_disarm(pit->env.clock, &pit->irq_timer);
}

void pit_init(struct pit *pit, const struct device_env *env)
{
    memset(pit, 0, sizeof(*pit));
    if (env)
        pit->env = *env;
    timer_init(&pit->irq_timer, irq_timer_fired, pit, "pit-irq0");
    pit_reset(pit);
    if (env && env->io) {
        iobus_register(env->io, PIT_BASE_PORT, 4, pit, pit_io_read, pit_io_write, "pit");
        iobus_register(env->io, PIT_PORT61, 1, pit, pit_io_read, pit_io_write, "port61");
    }
}

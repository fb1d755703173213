/* Intel 8254 programmable interval timer (ports 0x40-0x43) and the PC's
 * port 0x61 (speaker gate, channel 2 output, refresh toggle). */
#ifndef TURTLES_DEVICES_PIT_H
#define TURTLES_DEVICES_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define PIT_FREQ_HZ 1193182u
#define PIT_BASE_PORT 0x40
#define PIT_PORT61 0x61
#define PIT_IRQ 0

struct pit_channel {
    uint32_t reload;        /* programmed count, 1..0x10000 (binary value) */
    uint64_t load_ns;       /* machine time the count was loaded (counting starts) */
    bool loaded;            /* a count has been written since the control word */
    uint8_t mode;           /* 0-5 (6 and 7 folded to 2 and 3) */
    uint8_t rw_mode;        /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;
    bool gate;
    bool null_count;
    /* read side */
    uint16_t latched_count;
    uint8_t count_latch_state; /* 0 none, else bytes left per rw_mode: 1 LSB, 2 MSB, 3 word, 4 word-MSB */
    bool status_latched;
    uint8_t status;
    bool read_msb_next;     /* rw_mode 3: next read returns the MSB */
    /* write side */
    bool write_msb_next;    /* rw_mode 3: next write is the MSB */
    uint8_t write_lsb;
};

struct pit {
    struct pit_channel ch[3];
    struct device_env env;
    struct timer irq_timer; /* next rising edge of channel 0's OUT */
    uint8_t port61;         /* bits 0-3 as written */
};

void pit_init(struct pit *pit, const struct device_env *env);
void pit_reset(struct pit *pit);
/* Current OUT pin level of a channel (0-2). */
bool pit_get_out(struct pit *pit, int channel);
/* Channel gate input (channel 2's gate is port 0x61 bit 0). */
void pit_set_gate(struct pit *pit, int channel, bool level);

uint32_t pit_io_read(void *opaque, uint16_t port, unsigned size);
void pit_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif

/* Decoding of an MSI address/data pair into an interrupt message.
 * Shared by the HPET's FSB delivery and PCI MSI. SDM Vol.3A 11.11.1/11.11.2. */
#ifndef TURTLES_DEVICES_MSI_H
#define TURTLES_DEVICES_MSI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

static inline void msi_decode(uint64_t addr, uint32_t data, struct apic_msg *msg)
{
    /* SDM 11.11.1: address bits 19:12 destination ID, bit 2 destination mode. */
    msg->dest = (uint32_t)(addr >> 12) & 0xff;
    msg->dest_logical = (addr >> 2) & 1;
    /* SDM 11.11.2: data bits 7:0 vector, 10:8 delivery mode, 14 level, 15 trigger. */
    msg->vector = (uint8_t)data;
    msg->delivery_mode = (data >> 8) & 7;
    msg->level_triggered = (data >> 15) & 1;
    msg->assert_level = msg->level_triggered ? ((data >> 14) & 1) : true;
}

#endif

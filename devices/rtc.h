/* Motorola MC146818 real-time clock and CMOS RAM (ports 0x70/0x71, IRQ8).
 *
 * Time is the configured start time plus machine time (struct clock), never
 * host time, so runs are reproducible. */
#ifndef TURTLES_DEVICES_RTC_H
#define TURTLES_DEVICES_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71
#define RTC_IRQ 8
/* 2026-01-01 00:00:00 UTC */
#define RTC_DEFAULT_START_EPOCH 1767225600ull

/* Register indices */
enum {
    RTC_SECONDS = 0x00, RTC_SECONDS_ALARM = 0x01, RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03, RTC_HOURS = 0x04, RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06, RTC_DAY_OF_MONTH = 0x07, RTC_MONTH = 0x08,
    RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};

struct rtc {
    uint8_t cmos[128];       /* time registers hold the last computed/written values */
    uint8_t index;           /* last value written to 0x70, bits 6:0 */
    bool nmi_masked;         /* bit 7 of the last write to 0x70 */
    uint64_t offset_ns;      /* guest wall time in ns since the epoch = now_ns + offset_ns */
    uint64_t last_eval_ns;   /* wall time up to which flags have been evaluated */
    bool irq_level;
    struct device_env env;
    struct timer timer;
};

/* start_epoch: seconds since 1970-01-01 UTC at machine time 0. */
void rtc_init(struct rtc *rtc, const struct device_env *env, uint64_t start_epoch);
void rtc_reset(struct rtc *rtc);
bool rtc_nmi_masked(const struct rtc *rtc);
/* Raw NVRAM access for the machine and the firmware loader (idx < 128). */
uint8_t rtc_cmos_read(const struct rtc *rtc, unsigned idx);
void rtc_cmos_write(struct rtc *rtc, unsigned idx, uint8_t val);
/* Memory size bytes the way SeaBIOS and QEMU use them: 0x15/0x16 base KiB,
 * 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (max 0xffff), 0x34/0x35 64 KiB
 * units above 16 MiB (max 0xffff), 0x5b-0x5d 64 KiB units above 4 GiB. */
void rtc_set_memory_size(struct rtc *rtc, uint64_t ram_below_4g, uint64_t ram_above_4g);
/* Guest wall-clock seconds since the epoch (for tests and the monitor). */
uint64_t rtc_wall_seconds(const struct rtc *rtc);

uint32_t rtc_io_read(void *opaque, uint16_t port, unsigned size);
void rtc_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif

/* MC146818 RTC (Motorola MC146818A datasheet). The divider chain is not
 * stepped: wall time = machine time + offset, and the flags in register C
 * are evaluated from the wall time that passed since the last evaluation.
 * The timer is armed only while an interrupt source is enabled. */
#include "devices/rtc.h"

#include <string.h>

#include "devices/devtime.h"

#define REG_A_UIP 0x80
#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_DM_BINARY 0x04
#define REG_B_24H 0x02
#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10
#define REG_D_VRT 0x80

/* The update cycle takes 1984 us after UIP rises 244 us earlier
 * (datasheet "Update Cycle"); we model UIP high during the 244 us that
 * precede each second boundary. */
#define UIP_WINDOW_NS 244000ull

static uint64_t machine_now(const struct rtc *rtc)
{
    return rtc->env.clock ? clock_now(rtc->env.clock) : 0;
}

static uint64_t wall_ns(const struct rtc *rtc)
{
    return machine_now(rtc) + rtc->offset_ns;
}

uint64_t rtc_wall_seconds(const struct rtc *rtc)
{
    return wall_ns(rtc) / NS_PER_SEC;
}

/* Civil date <-> days since 1970-01-01, proleptic Gregorian, using the
 * March-based year so that the leap day is the last day of the year. */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
    uint64_t yy = m <= 2 ? y - 1 : y;
    uint64_t era = yy / 400;
    uint64_t yoe = yy - era * 400;
    uint64_t mp = m > 2 ? m - 3 : m + 9;
    uint64_t doy = (153 * mp + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (unsigned)(yoe + era * 400 + (*m <= 2 ? 1 : 0));
}

static bool binary_mode(const struct rtc *rtc)
{
    return rtc->cmos[RTC_REG_B] & REG_B_DM_BINARY;
}

static uint8_t to_reg(const struct rtc *rtc, unsigned v)
{
    v %= 100;
    return binary_mode(rtc) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_reg(const struct rtc *rtc, uint8_t v)
{
    if (binary_mode(rtc))
        return v;
    return ((v >> 4) & 0xf) * 10u + (v & 0xf);
}

static uint8_t hour_to_reg(const struct rtc *rtc, unsigned h)
{
    if (rtc->cmos[RTC_REG_B] & REG_B_24H)
        return to_reg(rtc, h);
    unsigned h12 = h % 12 == 0 ? 12 : h % 12;
    return (uint8_t)(to_reg(rtc, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned hour_from_reg(const struct rtc *rtc, uint8_t v)
{
    if (rtc->cmos[RTC_REG_B] & REG_B_24H)
        return from_reg(rtc, v) % 24;
    unsigned h = from_reg(rtc, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Copy wall time into the time registers (unless SET freezes them). */
static void refresh_time_regs(struct rtc *rtc)
{
    if (rtc->cmos[RTC_REG_B] & REG_B_SET)
        return;
    uint64_t secs = rtc_wall_seconds(rtc);
    uint64_t days = secs / 86400;
    unsigned sod = (unsigned)(secs % 86400);
    unsigned y, m, d;
    civil_from_days(days, &y, &m, &d);
    rtc->cmos[RTC_SECONDS] = to_reg(rtc, sod % 60);
    rtc->cmos[RTC_MINUTES] = to_reg(rtc, sod / 60 % 60);
    rtc->cmos[RTC_HOURS] = hour_to_reg(rtc, sod / 3600);
    rtc->cmos[RTC_DAY_OF_WEEK] = to_reg(rtc, (unsigned)((days + 4) % 7) + 1); /* 1970-01-01 was a Thursday; Sunday = 1 */
    rtc->cmos[RTC_DAY_OF_MONTH] = to_reg(rtc, d);
    rtc->cmos[RTC_MONTH] = to_reg(rtc, m);
    rtc->cmos[RTC_YEAR] = to_reg(rtc, y % 100);
    rtc->cmos[RTC_CENTURY] = to_reg(rtc, y / 100);
}

/* The guest wrote time registers: wall time restarts from them, at the
 * start of the written second. */
static void time_from_regs(struct rtc *rtc)
{
    unsigned sec = from_reg(rtc, rtc->cmos[RTC_SECONDS]) % 60;
    unsigned min = from_reg(rtc, rtc->cmos[RTC_MINUTES]) % 60;
    unsigned hour = hour_from_reg(rtc, rtc->cmos[RTC_HOURS]);
    unsigned day = from_reg(rtc, rtc->cmos[RTC_DAY_OF_MONTH]);
    unsigned mon = from_reg(rtc, rtc->cmos[RTC_MONTH]);
    unsigned year = from_reg(rtc, rtc->cmos[RTC_YEAR]) % 100 +
                    (from_reg(rtc, rtc->cmos[RTC_CENTURY]) % 100) * 100;
    if (year < 1970)
        year += 100;   /* century register never set: assume 19xx/20xx */
    if (year < 1970)
        year = 1970;
    if (mon < 1 || mon > 12)
        mon = 1;
    if (day < 1 || day > 31)
        day = 1;
    uint64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600u + min * 60u + sec;
    rtc->offset_ns = secs * NS_PER_SEC - machine_now(rtc);
    rtc->last_eval_ns = wall_ns(rtc);
}

static uint64_t periodic_period_ns(const struct rtc *rtc)
{
    unsigned rs = rtc->cmos[RTC_REG_A] & 0x0f;
    if (rs == 0)
        return 0;
    /* Rates 1 and 2 repeat rates 8 and 9 of the 32.768 kHz time base. */
    unsigned shift = rs <= 2 ? rs + 6 : rs - 1;
    return ((uint64_t)1 << shift) * NS_PER_SEC / 32768;
}

static bool alarm_field_matches(const struct rtc *rtc, uint8_t alarm, uint8_t now)
{
    (void)rtc;
    return (alarm & 0xc0) == 0xc0 || alarm == now;   /* 11xxxxxx: don't care */
}

static void update_irq(struct rtc *rtc)
{
    uint8_t c = rtc->cmos[RTC_REG_C] & 0x70;
    uint8_t enabled = rtc->cmos[RTC_REG_B] & 0x70;
    if (c & enabled)
        rtc->cmos[RTC_REG_C] |= REG_C_IRQF;
    bool level = rtc->cmos[RTC_REG_C] & REG_C_IRQF;
    if (level != rtc->irq_level) {
        rtc->irq_level = level;
        if (rtc->env.set_irq)
            device_set_irq(&rtc->env, RTC_IRQ, level);
    }
}

/* Set PF/UF/AF for what happened between last_eval_ns and now. */
static void evaluate_flags(struct rtc *rtc)
{
    uint64_t now = wall_ns(rtc), last = rtc->last_eval_ns;
    if (now <= last)
        return;
    uint64_t period = periodic_period_ns(rtc);
    if (period && now / period != last / period)
        rtc->cmos[RTC_REG_C] |= REG_C_PF;
    if (!(rtc->cmos[RTC_REG_B] & REG_B_SET) && now / NS_PER_SEC != last / NS_PER_SEC) {
        rtc->cmos[RTC_REG_C] |= REG_C_UF;
        refresh_time_regs(rtc);
        if (alarm_field_matches(rtc, rtc->cmos[RTC_SECONDS_ALARM], rtc->cmos[RTC_SECONDS]) &&
            alarm_field_matches(rtc, rtc->cmos[RTC_MINUTES_ALARM], rtc->cmos[RTC_MINUTES]) &&
            alarm_field_matches(rtc, rtc->cmos[RTC_HOURS_ALARM], rtc->cmos[RTC_HOURS]))
            rtc->cmos[RTC_REG_C] |= REG_C_AF;
    }
    rtc->last_eval_ns = now;
}

static void schedule(struct rtc *rtc)
{
    struct clock *clk = rtc->env.clock;
    if (!clk)
        return;
    uint8_t b = rtc->cmos[RTC_REG_B];
    uint64_t now = wall_ns(rtc), next = UINT64_MAX;
    uint64_t period = periodic_period_ns(rtc);
    if ((b & REG_B_PIE) && period)
        next = (now / period + 1) * period;
    if ((b & (REG_B_UIE | REG_B_AIE)) && !(b & REG_B_SET)) {
        uint64_t sec = (now / NS_PER_SEC + 1) * NS_PER_SEC;
        if (sec < next)
            next = sec;
    }
    if (next == UINT64_MAX)
        timer_disarm(clk, &rtc->timer);
    else
        timer_arm(clk, &rtc->timer, next - rtc->offset_ns);
}

static void timer_fired(void *opaque, uint64_t now)
{
    struct rtc *rtc = opaque;
    (void)now;
    evaluate_flags(rtc);
    update_irq(rtc);
    schedule(rtc);
}

bool rtc_nmi_masked(const struct rtc *rtc)
{
    return rtc->nmi_masked;
}

uint8_t rtc_cmos_read(const struct rtc *rtc, unsigned idx)
{
    return rtc->cmos[idx & 0x7f];
}

void rtc_cmos_write(struct rtc *rtc, unsigned idx, uint8_t val)
{
    rtc->cmos[idx & 0x7f] = val;
}

void rtc_set_memory_size(struct rtc *rtc, uint64_t ram_below_4g, uint64_t ram_above_4g)
{
    const uint64_t mib = 1024 * 1024;
    rtc->cmos[0x15] = 640 & 0xff;
    rtc->cmos[0x16] = 640 >> 8;
    uint64_t ext_kib = ram_below_4g > mib ? (ram_below_4g - mib) / 1024 : 0;
    if (ext_kib > 0xffff)
        ext_kib = 0xffff;
    rtc->cmos[0x17] = rtc->cmos[0x30] = (uint8_t)ext_kib;
    rtc->cmos[0x18] = rtc->cmos[0x31] = (uint8_t)(ext_kib >> 8);
    uint64_t above16 = ram_below_4g > 16 * mib ? (ram_below_4g - 16 * mib) / 65536 : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    rtc->cmos[0x34] = (uint8_t)above16;
    rtc->cmos[0x35] = (uint8_t)(above16 >> 8);
    uint64_t high = ram_above_4g / 65536;
    if (high > 0xffffff)
        high = 0xffffff;
    rtc->cmos[0x5b] = (uint8_t)high;
    rtc->cmos[0x5c] = (uint8_t)(high >> 8);
    rtc->cmos[0x5d] = (uint8_t)(high >> 16);
}

static uint8_t read_reg(struct rtc *rtc, unsigned idx)
{
    switch (idx) {
    case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
        refresh_time_regs(rtc);
        return rtc->cmos[idx];
    case RTC_REG_A: {
        uint8_t a = rtc->cmos[RTC_REG_A] & 0x7f;
        if (!(rtc->cmos[RTC_REG_B] & REG_B_SET) &&
            wall_ns(rtc) % NS_PER_SEC >= NS_PER_SEC - UIP_WINDOW_NS)
            a |= REG_A_UIP;
        return a;
    }
    case RTC_REG_C: {
        evaluate_flags(rtc);
        update_irq(rtc);
        uint8_t c = rtc->cmos[RTC_REG_C];
        rtc->cmos[RTC_REG_C] = 0;   /* reading C clears all flags and IRQF */
        update_irq(rtc);
        schedule(rtc);
        return c;
    }
    case RTC_REG_D:
        return REG_D_VRT;
    default:
        return rtc->cmos[idx];
    }
}

static void write_reg(struct rtc *rtc, unsigned idx, uint8_t val)
{
    switch (idx) {
    case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
        refresh_time_regs(rtc);
        rtc->cmos[idx] = val;
        if (!(rtc->cmos[RTC_REG_B] & REG_B_SET))
            time_from_regs(rtc);
        break;
    case RTC_REG_A:
        evaluate_flags(rtc);
        rtc->cmos[RTC_REG_A] = val & 0x7f;   /* UIP is read-only */
        break;
    case RTC_REG_B: {
        evaluate_flags(rtc);
        /* Changing the data mode only changes how registers are shown. */
        refresh_time_regs(rtc);
        uint8_t old = rtc->cmos[RTC_REG_B];
        if (val & REG_B_SET)
            val &= (uint8_t)~REG_B_UIE;   /* SET clears UIE (datasheet, register B) */
        rtc->cmos[RTC_REG_B] = val;
        if ((old & REG_B_SET) && !(val & REG_B_SET))
            time_from_regs(rtc);
        else
            refresh_time_regs(rtc);
        update_irq(rtc);
        break;
    }
    case RTC_REG_C:
    case RTC_REG_D:
        return;   /* read-only */
    default:
        rtc->cmos[idx] = val;
        return;
    }
    schedule(rtc);
}

uint32_t rtc_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct rtc *rtc = opaque;
    (void)size;
    if (port == RTC_INDEX_PORT)
        return 0xff;   /* the index register is write-only */
    return read_reg(rtc, rtc->index);
}

void rtc_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct rtc *rtc = opaque;
    (void)size;
    if (port == RTC_INDEX_PORT) {
        rtc->index = value & 0x7f;
        rtc->nmi_masked = (value >> 7) & 1;
        return;
    }
    write_reg(rtc, rtc->index, (uint8_t)value);
}

/* RESET pin: clears the interrupt enables and flags; time and NVRAM survive. */
void rtc_reset(struct rtc *rtc)
{
    rtc->cmos[RTC_REG_B] &= (uint8_t)~(REG_B_PIE | REG_B_AIE | REG_B_UIE);
    rtc->cmos[RTC_REG_C] = 0;
    rtc->last_eval_ns = wall_ns(rtc);
    update_irq(rtc);
    schedule(rtc);
}

void rtc_init(struct rtc *rtc, const struct device_env *env, uint64_t start_epoch)
{
    memset(rtc, 0, sizeof(*rtc));
    if (env)
        rtc->env = *env;
    timer_init(&rtc->timer, timer_fired, rtc, "rtc");
    rtc->offset_ns = start_epoch * NS_PER_SEC - machine_now(rtc);
    rtc->cmos[RTC_REG_A] = 0x26;   /* 32.768 kHz time base, 1024 Hz periodic rate */
    rtc->cmos[RTC_REG_B] = REG_B_24H;
    rtc->cmos[RTC_REG_D] = REG_D_VRT;
    rtc->last_eval_ns = wall_ns(rtc);
    refresh_time_regs(rtc);
    if (env && env->io)
        iobus_register(env->io, RTC_INDEX_PORT, 2, rtc, rtc_io_read, rtc_io_write, "rtc");
}

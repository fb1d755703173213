/* ACPI fixed hardware (ACPI 6.x chapter 4.8) with PIIX4 sleep encodings.
 * Registers are byte-addressable; a wider access is split into bytes. */
#include "devices/acpi_pm.h"

#include <string.h>

#include "devices/devtime.h"

#define CNT_SCI_EN 0x0001
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_EN 0x2000
#define PM1_STS_MASK (ACPI_PM1_TMR | 0x0010 | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC | ACPI_PM1_WAK)
#define PM1_EN_MASK (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC)
#define TMR_MSB_TICKS (1ull << 23)

static uint64_t now_ns(const struct acpi_pm *pm)
{
    return pm->env.clock ? clock_now(pm->env.clock) : 0;
}

static uint64_t timer_ticks(const struct acpi_pm *pm)
{
    return ns_to_ticks(now_ns(pm), ACPI_PM_TIMER_HZ);
}

uint32_t acpi_pm_timer_value(const struct acpi_pm *pm)
{
    return (uint32_t)(timer_ticks(pm) & 0xffffff);
}

/* TMR_STS is set whenever bit 23 of the timer changes (ACPI 4.8.3.3). */
static void evaluate_tmr_sts(struct acpi_pm *pm)
{
    uint64_t now = now_ns(pm);
    uint64_t a = ns_to_ticks(pm->tmr_checked_ns, ACPI_PM_TIMER_HZ) / TMR_MSB_TICKS;
    uint64_t b = ns_to_ticks(now, ACPI_PM_TIMER_HZ) / TMR_MSB_TICKS;
    if (b != a)
        pm->pm1_sts |= ACPI_PM1_TMR;
    pm->tmr_checked_ns = now;
}

static void update_sci(struct acpi_pm *pm)
{
    bool pending = (pm->pm1_sts & pm->pm1_en & PM1_EN_MASK) || (pm->gpe_sts & pm->gpe_en);
    /* With SCI_EN clear these events would raise SMIs, which are not
     * emulated: nothing is signalled. */
    bool level = pending && (pm->pm1_cnt & CNT_SCI_EN);
    if (level != pm->sci_level) {
        pm->sci_level = level;
        if (pm->env.set_irq)
            device_set_irq(&pm->env, ACPI_SCI_IRQ, level);
    }
}

static void schedule_tmr(struct acpi_pm *pm)
{
    struct clock *clk = pm->env.clock;
    if (!clk)
        return;
    if (!(pm->pm1_en & ACPI_PM1_TMR)) {
        timer_disarm(clk, &pm->tmr_timer);
        return;
    }
    uint64_t next = (timer_ticks(pm) / TMR_MSB_TICKS + 1) * TMR_MSB_TICKS;
    timer_arm(clk, &pm->tmr_timer, ticks_to_ns_ceil(next, ACPI_PM_TIMER_HZ));
}

static void tmr_fired(void *opaque, uint64_t now)
{
    struct acpi_pm *pm = opaque;
    (void)now;
    evaluate_tmr_sts(pm);
    update_sci(pm);
    schedule_tmr(pm);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
    pm->pm1_sts |= ACPI_PM1_PWRBTN;
    update_sci(pm);
}

void acpi_pm_set_gpe(struct acpi_pm *pm, unsigned bit)
{
    if (bit < 16) {
        pm->gpe_sts |= (uint16_t)(1u << bit);
        update_sci(pm);
    }
}

static void write_cnt(struct acpi_pm *pm, uint16_t val)
{
    pm->pm1_cnt = val & (uint16_t)~CNT_SLP_EN;   /* SLP_EN is write-only */
    if (val & CNT_SLP_EN) {
        unsigned typ = (val >> CNT_SLP_TYP_SHIFT) & 7;
        if (typ == ACPI_SLP_TYP_S5) {
            if (pm->cb.poweroff)
                pm->cb.poweroff(pm->cb.opaque);
        } else if (pm->cb.sleep) {
            pm->cb.sleep(pm->cb.opaque, typ);
        }
    }
}

/* Byte view of the PM1 and timer block, offset 0-11 from ACPI_PM_BASE. */
static uint8_t pm_read_byte(struct acpi_pm *pm, unsigned off, uint32_t tmr)
{
    switch (off) {
    case 0: case 1:
        return (uint8_t)(pm->pm1_sts >> (8 * off));
    case 2: case 3:
        return (uint8_t)(pm->pm1_en >> (8 * (off - 2)));
    case 4: case 5:
        return (uint8_t)(pm->pm1_cnt >> (8 * (off - 4)));
    case 8: case 9: case 10: case 11:
        return (uint8_t)(tmr >> (8 * (off - 8)));
    default:
        return 0;
    }
}

static void pm_write_byte(struct acpi_pm *pm, unsigned off, uint8_t v)
{
    switch (off) {
    case 0: case 1: {
        uint16_t bits = (uint16_t)(v << (8 * off));
        pm->pm1_sts &= (uint16_t)~(bits & PM1_STS_MASK);   /* write 1 to clear */
        break;
    }
    case 2: case 3: {
        unsigned sh = 8 * (off - 2);
        pm->pm1_en = (uint16_t)(((pm->pm1_en & ~(0xffu << sh)) | ((unsigned)v << sh)) & PM1_EN_MASK);
        schedule_tmr(pm);
        break;
    }
    case 4: case 5: {
        unsigned sh = 8 * (off - 4);
        write_cnt(pm, (uint16_t)((pm->pm1_cnt & ~(0xffu << sh)) | ((unsigned)v << sh)));
        break;
    }
    default:
        break;   /* the timer is read-only */
    }
}

static uint8_t gpe_read_byte(const struct acpi_pm *pm, unsigned off)
{
    switch (off) {
    case 0: case 1: return (uint8_t)(pm->gpe_sts >> (8 * off));
    case 2: case 3: return (uint8_t)(pm->gpe_en >> (8 * (off - 2)));
    default: return 0;
    }
}

static void gpe_write_byte(struct acpi_pm *pm, unsigned off, uint8_t v)
{
    switch (off) {
    case 0: case 1:
        pm->gpe_sts &= (uint16_t)~(v << (8 * off));
        break;
    case 2: case 3: {
        unsigned sh = 8 * (off - 2);
        pm->gpe_en = (uint16_t)((pm->gpe_en & ~(0xffu << sh)) | ((unsigned)v << sh));
        break;
    }
    default:
        break;
    }
}

uint32_t acpi_pm_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct acpi_pm *pm = opaque;
    uint32_t v = 0;
    if (port == ACPI_SMI_CMD)
        return pm->apm_cnt;
    if (port == ACPI_SMI_CMD + 1)
        return pm->apm_sts;
    if (port >= ACPI_PM_BASE && port < ACPI_PM_BASE + 12) {
        evaluate_tmr_sts(pm);
        uint32_t tmr = acpi_pm_timer_value(pm);
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)pm_read_byte(pm, port - ACPI_PM_BASE + i, tmr) << (8 * i);
        update_sci(pm);
    } else if (port >= ACPI_GPE0_BLK && port < ACPI_GPE0_BLK + ACPI_GPE0_BLK_LEN) {
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)gpe_read_byte(pm, port - ACPI_GPE0_BLK + i) << (8 * i);
    }
    return v;
}

void acpi_pm_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct acpi_pm *pm = opaque;
    if (port == ACPI_SMI_CMD) {
        /* Without SMM, the firmware's SMI handler for ACPI enable/disable
         * is done here: it only toggles SCI_EN. */
        pm->apm_cnt = (uint8_t)value;
        if (pm->apm_cnt == ACPI_ACPI_ENABLE)
            pm->pm1_cnt |= CNT_SCI_EN;
        else if (pm->apm_cnt == ACPI_ACPI_DISABLE)
            pm->pm1_cnt &= (uint16_t)~CNT_SCI_EN;
        update_sci(pm);
        return;
    }
    if (port == ACPI_SMI_CMD + 1) {
        pm->apm_sts = (uint8_t)value;
        return;
    }
    if (port >= ACPI_PM_BASE && port < ACPI_PM_BASE + 12) {
        evaluate_tmr_sts(pm);
        for (unsigned i = 0; i < size; i++)
            pm_write_byte(pm, port - ACPI_PM_BASE + i, (uint8_t)(value >> (8 * i)));
    } else if (port >= ACPI_GPE0_BLK && port < ACPI_GPE0_BLK + ACPI_GPE0_BLK_LEN) {
        for (unsigned i = 0; i < size; i++)
            gpe_write_byte(pm, port - ACPI_GPE0_BLK + i, (uint8_t)(value >> (8 * i)));
    }
    update_sci(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
    pm->pm1_sts = 0;
    pm->pm1_en = 0;
    pm->pm1_cnt = 0;
    pm->gpe_sts = 0;
    pm->gpe_en = 0;
    pm->apm_cnt = 0;
    pm->apm_sts = 0;
    pm->tmr_checked_ns = now_ns(pm);
    if (pm->env.clock)
        timer_disarm(pm->env.clock, &pm->tmr_timer);
    update_sci(pm);
}

void acpi_pm_init(struct acpi_pm *pm, const struct device_env *env,
                  const struct acpi_pm_callbacks *cb)
{
    memset(pm, 0, sizeof(*pm));
    if (env)
        pm->env = *env;
    if (cb)
        pm->cb = *cb;
    timer_init(&pm->tmr_timer, tmr_fired, pm, "acpi-pmtmr");
    acpi_pm_reset(pm);
    if (env && env->io) {
        iobus_register(env->io, ACPI_PM_BASE, 12, pm, acpi_pm_io_read, acpi_pm_io_write, "acpi-pm");
        iobus_register(env->io, ACPI_GPE0_BLK, ACPI_GPE0_BLK_LEN, pm, acpi_pm_io_read,
                       acpi_pm_io_write, "acpi-gpe0");
        iobus_register(env->io, ACPI_SMI_CMD, 2, pm, acpi_pm_io_read, acpi_pm_io_write, "apm");
    }
}

/* PIIX4-style ACPI power management registers: PM1a event and control
 * blocks, the PM timer, GPE0, and the APM/SMI command port through which
 * the OS switches ACPI mode on. The constants are what the FADT built in
 * bios/ must report. */
#ifndef TURTLES_DEVICES_ACPI_PM_H
#define TURTLES_DEVICES_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

/* FADT values (ACPI 6.x table 5.9). The PM base is where SeaBIOS programs
 * the PIIX4 PMBA on QEMU's i440FX machine (0x600). */
#define ACPI_PM_BASE 0x600
#define ACPI_PM1A_EVT_BLK (ACPI_PM_BASE + 0x00)
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1A_CNT_BLK (ACPI_PM_BASE + 0x04)
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_BLK (ACPI_PM_BASE + 0x08)
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_TMR_32BIT 0          /* FADT flags TMR_VAL_EXT: 24-bit timer */
#define ACPI_GPE0_BLK 0xafe0
#define ACPI_GPE0_BLK_LEN 4
#define ACPI_SCI_IRQ 9
#define ACPI_SMI_CMD 0xb2
#define ACPI_ACPI_ENABLE 0xf1
#define ACPI_ACPI_DISABLE 0xf0
/* PIIX4 SUS_TYP encodings: 0 is soft-off (S5), as in QEMU's DSDT _S5. */
#define ACPI_SLP_TYP_S5 0
#define ACPI_PM_TIMER_HZ 3579545u

/* PM1 status/enable bits (ACPI 6.x 4.8.4.1) */
#define ACPI_PM1_TMR 0x0001
#define ACPI_PM1_GBL 0x0020
#define ACPI_PM1_PWRBTN 0x0100
#define ACPI_PM1_RTC 0x0400
#define ACPI_PM1_WAK 0x8000

typedef void (*acpi_poweroff_fn)(void *opaque);
typedef void (*acpi_sleep_fn)(void *opaque, unsigned slp_typ);

struct acpi_pm_callbacks {
    acpi_poweroff_fn poweroff;   /* SLP_EN with SLP_TYP = S5 */
    acpi_sleep_fn sleep;         /* SLP_EN with any other type; may be NULL */
    void *opaque;
};

struct acpi_pm {
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint8_t apm_cnt, apm_sts;
    uint64_t tmr_checked_ns;     /* time up to which TMR_STS has been evaluated */
    bool sci_level;
    struct acpi_pm_callbacks cb;
    struct device_env env;
    struct timer tmr_timer;      /* armed while TMR_EN: next bit-23 toggle */
};

void acpi_pm_init(struct acpi_pm *pm, const struct device_env *env,
                  const struct acpi_pm_callbacks *cb);
void acpi_pm_reset(struct acpi_pm *pm);
uint32_t acpi_pm_timer_value(const struct acpi_pm *pm);
/* Events from the machine: power button press, general purpose event bit. */
void acpi_pm_power_button(struct acpi_pm *pm);
void acpi_pm_set_gpe(struct acpi_pm *pm, unsigned bit);

uint32_t acpi_pm_io_read(void *opaque, uint16_t port, unsigned size);
void acpi_pm_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif

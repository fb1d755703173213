/* Every device at once under random guest accesses: any port, any MMIO
 * offset, any value, any size, with time moving. The devices must neither
 * crash nor trip the sanitizers, and the clock's timer list must stay
 * sorted. Deterministic (fixed seed). */
#include <check.h>
#include <stdlib.h>

#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/fw_cfg.h"
#include "devices/hpet.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/pic.h"
#include "devices/piix.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "device_test_env.h"

struct all_devices {
    struct pic pic;
    struct pit pit;
    struct rtc rtc;
    struct uart com1, com2;
    struct i8042 kbc;
    struct ioapic ioapic;
    struct hpet hpet;
    struct acpi_pm pm;
    struct pci_bus pci;
    struct i440fx host;
    struct piix3 isa;
    struct piix4_pm pmf;
    struct debug_exit dbg;
    struct fw_cfg fw;
};

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static void nop_cb(void *o) { (void)o; }
static void nop_exit(void *o, int s) { (void)o; (void)s; }

static const uint16_t hot_ports[] = {
    0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71,
    0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x2f8, 0x2fa, 0x60, 0x64,
    0x92, 0x600, 0x602, 0x604, 0x605, 0x608, 0xafe0, 0xafe2, 0xb2, 0xb3, 0xcf8, 0xcf9,
    0xcfc, 0xcfd, 0xcfe, 0xcff, 0x80, 0x510, 0x511, 0x514, 0x518,
};

START_TEST(test_random_accesses)
{
    struct test_env *t = test_env_new(16 << 20);
    struct all_devices *d = calloc(1, sizeof(*d));
    struct chardev sink = {0};
    pic_init(&d->pic, &t->env, NULL, NULL);
    pit_init(&d->pit, &t->env);
    rtc_init(&d->rtc, &t->env, RTC_DEFAULT_START_EPOCH);
    uart_init(&d->com1, &t->env, UART_COM1_PORT, UART_COM1_IRQ, &sink);
    uart_init(&d->com2, &t->env, UART_COM2_PORT, UART_COM2_IRQ, NULL);
    struct i8042_callbacks kcb = {.reset = nop_cb};
    i8042_init(&d->kbc, &t->env, &kcb);
    ioapic_init(&d->ioapic, &t->env, IOAPIC_BASE);
    hpet_init(&d->hpet, &t->env, HPET_BASE);
    struct acpi_pm_callbacks pcb = {.poweroff = nop_cb};
    acpi_pm_init(&d->pm, &t->env, &pcb);
    pci_bus_init(&d->pci, &t->env, nop_cb, NULL);
    i440fx_init(&d->host, &d->pci, NULL, NULL);
    piix3_init(&d->isa, &d->pci);
    piix4_pm_init(&d->pmf, &d->pci);
    debug_exit_init(&d->dbg, &t->env, 0xf4, 4, nop_exit, NULL);
    fw_cfg_init(&d->fw, &t->env);
    fw_cfg_add_file(&d->fw, "etc/x", "abc", 3);

    for (int i = 0; i < 400000; i++) {
        uint64_t r = rnd();
        unsigned size = 1u << (r & 3);          /* 1, 2, 4, 8 */
        uint32_t val = (uint32_t)rnd();
        switch ((r >> 2) & 7) {
        case 0: case 1: case 2: {
            uint16_t port = hot_ports[(r >> 8) % (sizeof(hot_ports) / sizeof(hot_ports[0]))];
            port = (uint16_t)(port + ((r >> 20) & 1));
            if (port == 0x518 && ((r >> 24) & 1)) {
                /* aim DMA descriptors into RAM half of the time */
                outl(t, 0x514, 0);
                val = (uint32_t)((rnd() & 0xfff000) >> 0);
                val = (val >> 24) | ((val >> 8) & 0xff00) | ((val << 8) & 0xff0000) | (val << 24);
            }
            if ((r >> 5) & 1)
                iobus_write(&t->io, port, val, size > 4 ? 4 : size);
            else
                (void)iobus_read(&t->io, port, size > 4 ? 4 : size);
            break;
        }
        case 3: {
            uint64_t a = ((r >> 8) & 1 ? IOAPIC_BASE : HPET_BASE) + ((r >> 9) & 0x7ff);
            if ((r >> 5) & 1)
                physmem_write(&t->mem, a, rnd(), size);
            else
                (void)physmem_read(&t->mem, a, size);
            break;
        }
        case 4:
            advance_ns(t, rnd() % 3000000);
            break;
        case 5: {
            unsigned irq = (r >> 8) % 24;
            bool lv = (r >> 13) & 1;
            pic_set_irq(&d->pic, irq, lv);
            ioapic_set_irq(&d->ioapic, irq, lv);
            if ((r >> 14) & 1)
                (void)pic_acknowledge(&d->pic);
            if ((r >> 15) & 1)
                ioapic_eoi(&d->ioapic, (uint8_t)(r >> 16));
            break;
        }
        case 6: {
            uint8_t in[8];
            for (int k = 0; k < 8; k++)
                in[k] = (uint8_t)rnd();
            uart_receive(&d->com1, in, (r >> 8) & 7);
            i8042_kbd_put(&d->kbc, in, (r >> 12) & 3);
            break;
        }
        default:
            /* a random config write to any function */
            pci_config_write(&d->pci, 0, (uint8_t)(r >> 8), (unsigned)(r >> 16) & 0xff, val,
                             size > 4 ? 4 : size);
            break;
        }
        /* timer list stays sorted and the cached deadline honest */
        if ((i & 1023) == 0) {
            uint64_t prev = 0;
            for (struct timer *tm = t->clock.armed; tm; tm = tm->next) {
                ck_assert_uint_ge(tm->deadline_ns, prev);
                ck_assert(tm->armed);
                prev = tm->deadline_ns;
            }
            ck_assert_uint_eq(t->clock.next_deadline,
                              t->clock.armed ? t->clock.armed->deadline_ns : UINT64_MAX);
        }
    }
    fw_cfg_destroy(&d->fw);
    free(d);
    test_env_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("devices_fuzz");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_accesses);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

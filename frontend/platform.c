/* Device wiring (DESIGN.md: interrupts leave a device only as a line level
 * or an interrupt message handed to a callback the machine wires). */
#include "frontend/platform.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "frontend/fw_cfg_setup.h"
#include "frontend/machine.h"

static struct platform *plat(struct machine *m) { return m->platform; }

/* ISA IRQ n reaches PIC input n and I/O APIC GSI n, except IRQ0 which the
 * MADT overrides to GSI 2 (bios/acpi_tables.c says the same). Lines 16-23
 * exist only on the I/O APIC. */
static void set_irq(void *opaque, unsigned line, bool level)
{
    struct machine *m = opaque;
    struct platform *p = plat(m);
    if (line < 16)
        pic_set_irq(&p->pic, line, level);
    unsigned gsi = line == 0 ? 2 : line;
    if (gsi < IOAPIC_NUM_PINS)
        ioapic_set_irq(&p->ioapic, gsi, level);
}

/* With the HPET in legacy-replacement mode the PIT no longer drives IRQ0 and
 * the RTC no longer drives IRQ8 (IA-PC HPET specification 2.3.9.2.2). */
static void set_irq_pit(void *opaque, unsigned line, bool level)
{
    struct machine *m = opaque;
    if (!hpet_legacy_replacement(&plat(m)->hpet))
        set_irq(m, line, level);
}

static void set_irq_rtc(void *opaque, unsigned line, bool level)
{
    struct machine *m = opaque;
    if (!hpet_legacy_replacement(&plat(m)->hpet))
        set_irq(m, line, level);
}

static void set_irq_com(void *opaque, unsigned line, bool level)
{
    struct com_source *src = opaque;
    struct platform *p = plat(src->m);
    if (line >= 16)
        return;
    uint8_t before = p->com_levels[line];
    if (level)
        p->com_levels[line] |= (uint8_t)(1u << src->bit);
    else
        p->com_levels[line] &= (uint8_t)~(1u << src->bit);
    if ((before != 0) != (p->com_levels[line] != 0))
        set_irq(src->m, line, p->com_levels[line] != 0);
}

static void send_msg(void *opaque, const struct apic_msg *msg)
{
    struct machine *m = opaque;
    struct platform *p = plat(m);
    lapic_route(p->lapic_ptrs, m->ncpus, NULL, 0, msg->dest, msg->dest_logical, msg->vector,
                msg->delivery_mode, msg->level_triggered);
}

static void pic_output(void *opaque, bool level)
{
    struct machine *m = opaque;
    /* The PIC's INTR reaches the BSP's LINT0 (virtual wire); the other
     * LINT0s are masked by every OS, and unconnected here. */
    lapic_set_lint0(&plat(m)->lapics[0], level);
}

static int extint_ack(void *opaque)
{
    struct machine *m = opaque;
    struct platform *p = plat(m);
    if (!pic_has_interrupt(&p->pic))
        return -1;
    int v = pic_acknowledge(&p->pic);
    /* The INTR level may stay up for the next request. */
    lapic_set_lint0(&p->lapics[0], p->pic.output);
    return v;
}

static void lapic_eoi_broadcast(void *opaque, uint8_t vector)
{
    struct machine *m = opaque;
    ioapic_eoi(&plat(m)->ioapic, vector);
}

/* ICR (SDM Vol.3A 11.6.1): vector 7:0, delivery mode 10:8, destination mode
 * 11, level 14, trigger 15, shorthand 19:18. */
static void lapic_ipi(void *opaque, struct lapic *from, uint32_t icr_lo, uint32_t dest)
{
    struct machine *m = opaque;
    struct platform *p = plat(m);
    bool x2 = lapic_x2apic(from);
    lapic_route(p->lapic_ptrs, m->ncpus, from, (icr_lo >> 18) & 3, x2 ? dest : (dest & 0xff),
                (icr_lo >> 11) & 1, (uint8_t)icr_lo, (icr_lo >> 8) & 7, (icr_lo >> 15) & 1);
}


static void a20_changed(void *opaque, bool enabled)
{
    struct machine *m = opaque;
    if (m->a20 == enabled)
        return;
    m->a20 = enabled;
    for (int i = 0; i < m->ncpus; i++) {
        tlb_flush_all(&m->cpus[i].tlb);
        m->cpus[i].stop_block = true;
    }
}

static void reset_request(void *opaque)
{
    machine_request_reset(opaque);
}

static void poweroff(void *opaque)
{
    struct machine *m = opaque;
    machine_request_stop(m, STOP_POWEROFF, 0, NULL);
}

static void debug_exit(void *opaque, int status)
{
    struct machine *m = opaque;
    machine_request_stop(m, STOP_DEBUG_EXIT, status, NULL);
}

/* QEMU's isa-debugcon: reads return 0xe9 so firmware (SeaBIOS) can tell
 * the console is there before it writes its log to it. */
#define DEBUGCON_READBACK 0xe9

static uint32_t debugcon_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    (void)port;
    (void)size;
    uint8_t c = (uint8_t)value;
    serial_backend_write(opaque, &c, 1);
}

static int fill_fw_cfg(struct machine *m)
{
    struct fw_cfg_pc_config cfg = {
        .ram_size = m->mem.ram_size,
        .low_ram_size = m->mem.low_ram_size,
        .ncpus = m->ncpus,
        .nographic = true,
    };
    char err[256] = "";
    /* With -bios, -kernel goes through the firmware as in QEMU (its
     * linuxboot_dma.bin option ROM); a kernel it cannot take that way is
     * loaded directly, with the firmware mapped but not run. */
    if (m->opt.bios && m->opt.kernel) {
        cfg.kernel = m->opt.kernel;
        cfg.initrd = m->opt.initrd;
        cfg.append = m->opt.append;
        if (fw_cfg_setup_pc(&m->platform->fw_cfg, &cfg, err, sizeof(err)) == 0) {
            m->kernel_via_firmware = true;
            return 0;
        }
        fprintf(stderr, "turtles: %s; loading the kernel directly instead\n", err);
        cfg.kernel = cfg.initrd = cfg.append = NULL;
    }
    if (fw_cfg_setup_pc(&m->platform->fw_cfg, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "turtles: %s\n", err);
        return -1;
    }
    return 0;
}

int platform_init(struct machine *m)
{
    struct platform *p = plat(m);
    struct device_env env = {.io = &m->io, .mem = &m->mem, .clock = &m->clock,
                             .set_irq = set_irq, .irq_opaque = m,
                             .send_msg = send_msg, .msg_opaque = m};
    p->env = env;
    p->env_pit = env;
    p->env_pit.set_irq = set_irq_pit;
    p->env_rtc = env;
    p->env_rtc.set_irq = set_irq_rtc;

    for (int i = 0; i < m->ncpus; i++) {
        struct lapic *a = &p->lapics[i];
        lapic_init(a, &m->cpus[i], &m->clock, (uint32_t)i);
        a->send_ipi = lapic_ipi;
        a->eoi = lapic_eoi_broadcast;
        a->extint_ack = extint_ack;
        a->opaque = m;
        p->lapic_ptrs[i] = a;
        /* INTR comes from the local APIC only: cpu->intr_pending stays
         * NULL, which also lets the dispatch loop trust cpu->intr_idle. */
        lapic_reset(a, i == 0);
    }
    if (serial_backend_open(&p->serial, m->opt.serial) < 0)
        return -1;
    p->com1_out = (struct chardev){.opaque = &p->serial, .write = serial_backend_write};

    pic_init(&p->pic, &p->env, pic_output, m);
    pit_init(&p->pit, &p->env_pit);
    rtc_init(&p->rtc, &p->env_rtc,
             m->opt.rtc_start_epoch ? m->opt.rtc_start_epoch : RTC_DEFAULT_START_EPOCH);
    rtc_set_memory_size(&p->rtc, m->mem.low_ram_size, m->mem.ram_size - m->mem.low_ram_size);
    for (unsigned i = 0; i < 4; i++) {
        p->com_src[i] = (struct com_source){.m = m, .bit = i};
        p->env_com[i] = env;
        p->env_com[i].set_irq = set_irq_com;
        p->env_com[i].irq_opaque = &p->com_src[i];
    }
    uart_init(&p->com1, &p->env_com[0], UART_COM1_PORT, UART_COM1_IRQ, &p->com1_out);
    /* COM2-COM4 exist on every PC; further -serial options give them a
     * backend, as in QEMU, otherwise their output is discarded. */
    static const uint16_t more_ports[3] = {UART_COM2_PORT, UART_COM3_PORT, UART_COM4_PORT};
    static const unsigned more_irqs[3] = {UART_COM2_IRQ, UART_COM3_IRQ, UART_COM4_IRQ};
    for (int i = 0; i < 3; i++) {
        const char *spec = m->opt.serial_more[i] ? m->opt.serial_more[i] : "null";
        if (serial_backend_open(&p->serial_more[i], spec) < 0)
            return -1;
        p->com_more_out[i] = (struct chardev){.opaque = &p->serial_more[i],
                                              .write = serial_backend_write};
        uart_init(&p->com_more[i], &p->env_com[i + 1], more_ports[i], more_irqs[i],
                  &p->com_more_out[i]);
    }
    struct i8042_callbacks kcb = {.set_a20 = a20_changed, .reset = reset_request, .opaque = m};
    i8042_init(&p->kbd, &p->env, &kcb);
    ioapic_init(&p->ioapic, &p->env, IOAPIC_BASE);
    hpet_init(&p->hpet, &p->env, HPET_BASE);
    struct acpi_pm_callbacks acb = {.poweroff = poweroff, .opaque = m};
    acpi_pm_init(&p->acpi, &p->env, &acb);
    pci_bus_init(&p->pci, &p->env, reset_request, m);
    if (i440fx_init(&p->host_bridge, &p->pci, machine_pam_changed, m) < 0 ||
        piix3_init(&p->isa_bridge, &p->pci) < 0 || piix4_pm_init(&p->pm_func, &p->pci) < 0) {
        fprintf(stderr, "turtles: PCI bus setup failed\n");
        return -1;
    }
    if (m->opt.debug_exit)
        debug_exit_init(&p->debug_exit, &p->env, m->opt.debug_exit_base,
                        m->opt.debug_exit_size, debug_exit, m);
    if (m->opt.testdev) {
        p->testdev = calloc(1, sizeof(*p->testdev));
        if (!p->testdev || testdev_init(p->testdev, &p->env) < 0) {
            fprintf(stderr, "turtles: pc-testdev setup failed\n");
            return -1;
        }
    }
    if (m->opt.debugcon) {
        if (serial_backend_open(&p->debugcon, m->opt.debugcon) < 0)
            return -1;
        iobus_register(&m->io, m->opt.debugcon_base, 1, &p->debugcon, debugcon_read,
                       debugcon_write, "debugcon");
    }
    fw_cfg_init(&p->fw_cfg, &p->env);
    if (fill_fw_cfg(m) < 0)
        return -1;

    return 0;
}

void platform_reset(struct machine *m)
{
    struct platform *p = plat(m);
    pic_reset(&p->pic);
    pit_reset(&p->pit);
    rtc_reset(&p->rtc);
    memset(p->com_levels, 0, sizeof(p->com_levels));
    uart_reset(&p->com1);
    for (int i = 0; i < 3; i++)
        uart_reset(&p->com_more[i]);
    i8042_reset(&p->kbd);
    ioapic_reset(&p->ioapic);
    hpet_reset(&p->hpet);
    acpi_pm_reset(&p->acpi);
    pci_bus_reset(&p->pci);
    fw_cfg_reset(&p->fw_cfg);
    for (int i = 0; i < m->ncpus; i++)
        lapic_reset(&p->lapics[i], i == 0);
}

void platform_destroy(struct machine *m)
{
    struct platform *p = plat(m);
    fw_cfg_destroy(&p->fw_cfg);
    free(p->testdev);
    p->testdev = NULL;
    serial_backend_close(&p->serial);
    for (int i = 0; i < 3; i++)
        serial_backend_close(&p->serial_more[i]);
    if (m->opt.debugcon)
        serial_backend_close(&p->debugcon);
}

bool platform_may_send_nmi_or_init(struct machine *m)
{
    struct platform *p = plat(m);
    /* Only the BSP's LINT0 is driven (by the PIC, pic_output); nothing
     * drives LINT1, the NMI input that the ACPI tables name. PCI devices
     * have no MSI here: the HPET's FSB delivery is the only MSI source. */
    return lapic_lint0_ignores_if(&p->lapics[0]) || ioapic_may_send_nmi_or_init(&p->ioapic) ||
           hpet_may_send_nmi_or_init(&p->hpet);
}

bool platform_poll_input(struct machine *m)
{
    struct platform *p = plat(m);
    size_t room = uart_can_receive(&p->com1);
    uint8_t buf[16];
    if (room > sizeof(buf))
        room = sizeof(buf);
    size_t n = serial_backend_poll(&p->serial, buf, room);
    if (n)
        uart_receive(&p->com1, buf, n);
    return p->serial.quit_requested;
}

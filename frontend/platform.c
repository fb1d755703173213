/* Device wiring (DESIGN.md: interrupts leave a device only as a line level
 * or an interrupt message handed to a callback the machine wires). */
#include "frontend/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/loader_file.h"
#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/log.h"
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
    machine_request_stop(m, STOP_POWEROFF, 0, "the guest powered off (ACPI S5)");
}

static void debug_exit(void *opaque, int status)
{
    struct machine *m = opaque;
    if (m->stop != STOP_NONE)
        return;
    snprintf(m->stop_text, sizeof(m->stop_text),
             "the guest wrote %d to isa-debug-exit: exit status %d", status >> 1, status);
    machine_request_stop(m, STOP_DEBUG_EXIT, status, m->stop_text);
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

/* -fw_cfg name=...,string=|file=: strings go in without a terminating NUL, as
 * in QEMU; files must be regular and at most 16 MiB. */
#define FW_CFG_USER_FILE_MAX (16u << 20)

static int read_user_file(const char *path, uint8_t **data, size_t *len, char *err,
                          size_t errlen)
{
    uint64_t size = 0;
    if (loader_read_whole("-fw_cfg", path, FW_CFG_USER_FILE_MAX, data, &size, err, errlen) < 0)
        return -1;
    *len = (size_t)size;
    return 0;
}

static int add_user_fw_cfg(struct machine *m)
{
    for (int i = 0; i < m->opt.nfw_cfg_user; i++) {
        const struct fw_cfg_user *u = &m->opt.fw_cfg_user[i];
        int rc;
        if (u->string) {
            rc = fw_cfg_add_file(&m->platform->fw_cfg, u->name, u->string, strlen(u->string));
        } else {
            char err[256] = "";
            uint8_t *data = NULL;
            size_t len = 0;
            if (read_user_file(u->file, &data, &len, err, sizeof(err)) < 0) {
                fprintf(stderr, "turtles: -fw_cfg %s: %s\n", u->name, err);
                return -1;
            }
            rc = fw_cfg_add_file(&m->platform->fw_cfg, u->name, data, len);
            free(data);
        }
        if (rc < 0) {
            fprintf(stderr, "turtles: -fw_cfg %s: cannot add it (too many files?)\n", u->name);
            return -1;
        }
    }
    return 0;
}

static int fill_fw_cfg(struct machine *m)
{
    uint32_t leaf1[4];
    cpuid_query(&m->cpus[0], 1, 0, leaf1);
    struct smbios_config smbios = {
        .bios_vendor = m->opt.smbios_bios_vendor, .bios_version = m->opt.smbios_bios_version,
        .bios_date = m->opt.smbios_bios_date, .manufacturer = m->opt.smbios_manufacturer,
        .product = m->opt.smbios_product, .version = m->opt.smbios_version,
        .serial = m->opt.smbios_serial, .sku = m->opt.smbios_sku,
        .family = m->opt.smbios_family, .ncpus = m->ncpus,
        .cpuid_1_eax = leaf1[0], .cpuid_1_edx = leaf1[3],
        .ram_below_4g = m->mem.low_ram_size,
        .ram_above_4g = m->mem.ram_size - m->mem.low_ram_size,
    };
    if (m->opt.uuid)
        smbios_parse_uuid(m->opt.uuid, smbios.uuid);
    struct fw_cfg_pc_config cfg = {
        .smbios = &smbios,
        .uuid = {0},
        .ram_size = m->mem.ram_size,
        .low_ram_size = m->mem.low_ram_size,
        .ncpus = m->ncpus,
        /* QEMU's FW_CFG_NOGRAPHIC: SeaBIOS then mirrors its screen on COM1.
         * A window or -display none keeps the screen to itself; without a
         * display choice (no window could open) it is -nographic. */
        .nographic = m->opt.nographic || !m->opt.display,
        .boot_menu = m->opt.boot_menu,
        .boot_splash_ms = m->opt.boot_splash_ms,
        .boot_reboot_timeout = m->opt.boot_reboot_timeout,
        .linuxboot_rom = turtles_linuxboot_rom,
        .linuxboot_rom_len = turtles_linuxboot_rom_len,
        .multiboot_rom = turtles_multiboot_rom,
        .multiboot_rom_len = turtles_multiboot_rom_len,
    };
    memcpy(cfg.uuid, smbios.uuid, sizeof(cfg.uuid));
    char err[256] = "";
    char boot_devices[MAX_DRIVES * 80];
    if (drives_boot_order(&m->platform->drives, boot_devices, sizeof(boot_devices), err,
                          sizeof(err)) < 0) {
        fprintf(stderr, "turtles: %s\n", err);
        return -1;
    }
    cfg.boot_devices = boot_devices;
    /* With -bios, -kernel goes through the firmware as in QEMU: turtles'
     * own option ROMs (roms/linuxboot.S for a bzImage, roms/multiboot.S
     * for a multiboot kernel) load it. */
    if (m->opt.bios && m->opt.kernel) {
        cfg.kernel = m->opt.kernel;
        cfg.initrd = m->opt.initrd;
        cfg.append = m->opt.append;
        m->kernel_via_firmware = true;
    }
    if (fw_cfg_setup_pc(&m->platform->fw_cfg, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "turtles: %s\n", err);
        return -1;
    }
    return add_user_fw_cfg(m);
}

/* -boot order=...: the firmware reads the first two devices from CMOS
 * 0x3D (low nibble first) and the third from 0x38 bits 7:4, as QEMU sets
 * them: 1 floppy, 2 hard disk, 3 CD-ROM, 4 network. 0x38 bit 0 set skips
 * the floppy boot-signature check, as QEMU does by default. */
static void set_cmos_boot_order(struct rtc *rtc, const char *order)
{
    uint8_t dev[3] = {0, 0, 0};
    for (int i = 0; i < 3 && order[i]; i++)
        dev[i] = order[i] == 'a' ? 1 : order[i] == 'c' ? 2 : order[i] == 'd' ? 3 : 4;
    rtc_cmos_write(rtc, 0x3d, (uint8_t)(dev[1] << 4 | dev[0]));
    rtc_cmos_write(rtc, 0x38, (uint8_t)(dev[2] << 4 | 1));
}

/* -vga std is the default, as in QEMU; -nodefaults drops it unless asked. */
static bool vga_wanted(const struct options *o)
{
    if (o->vga)
        return strcmp(o->vga, "none") != 0;
    return !o->nodefaults;
}

/* The VGA BIOS for the firmware to run: Debian's SeaBIOS package carries
 * the one QEMU's stdvga uses. Without it the VGA still works for guests
 * that program it themselves (Linux's vgacon, bochs-drm) but the firmware
 * prints nothing on it. */
#define VGA_BIOS_PATH "/usr/share/seabios/vgabios-stdvga.bin"
#define VGA_BIOS_MAX (256u << 10)

static void load_vga_bios(struct platform *p)
{
    char err[512];
    uint64_t size = 0;
    if (loader_read_whole("VGA BIOS", VGA_BIOS_PATH, VGA_BIOS_MAX, &p->vga_bios, &size, err,
                          sizeof(err)) == 0)
        p->vga_bios_len = (size_t)size;
}

static int setup_vga(struct machine *m)
{
    struct platform *p = plat(m);
    load_vga_bios(p);
    p->vga = calloc(1, sizeof(*p->vga));
    /* Slot 2, where QEMU's pc machine puts its VGA. */
    if (!p->vga || vga_init(p->vga, &p->pci, PCI_DEVFN(2, 0), &p->env, p->vga_bios,
                            p->vga_bios_len) < 0) {
        fprintf(stderr, "turtles: VGA setup failed (out of memory or address space)\n");
        return -1;
    }
    return 0;
}

/* -turtles-screen-text FILE: what a VGA text screen shows when turtles stops. */
static void write_screen_text(struct machine *m)
{
    struct platform *p = plat(m);
    FILE *f = fopen(m->opt.screen_text, "w");
    if (!f) {
        fprintf(stderr, "turtles: -turtles-screen-text: cannot write %s\n", m->opt.screen_text);
        return;
    }
    static char text[256 * 132 + 512];
    if (p->vga)
        vga_text_screen(p->vga, text, sizeof(text), NULL);
    else
        text[0] = 0;
    fputs(text, f);
    fclose(f);
}

int platform_init(struct machine *m)
{
    struct platform *p = plat(m);
    struct device_env env = {.io = &m->io, .mem = &m->mem, .clock = &m->clock,
                             .set_irq = set_irq, .irq_opaque = m,
                             .send_msg = send_msg, .msg_opaque = m};
    if (m->opt.log_mask & LOG_GUEST_ERRORS) {
        env.guest_error = machine_log_guest_error;
        env.guest_error_opaque = m;
    }
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
    if (serial_backend_open(&p->serial, "-serial", m->opt.serial) < 0)
        return -1;
    p->com1_out = (struct chardev){.opaque = &p->serial, .write = serial_backend_write};

    pic_init(&p->pic, &p->env, pic_output, m);
    pit_init(&p->pit, &p->env_pit);
    rtc_init(&p->rtc, &p->env_rtc,
             m->opt.rtc_start_epoch ? m->opt.rtc_start_epoch : RTC_DEFAULT_START_EPOCH);
    rtc_set_memory_size(&p->rtc, m->mem.low_ram_size, m->mem.ram_size - m->mem.low_ram_size);
    set_cmos_boot_order(&p->rtc, m->opt.boot_order);
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
        if (serial_backend_open(&p->serial_more[i], "-serial", spec) < 0)
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
    if (piix_ide_init(&p->ide, &p->pci, &p->env) < 0) {
        fprintf(stderr, "turtles: IDE controller setup failed\n");
        return -1;
    }
    if (drives_open(&p->drives, &m->opt, &p->ide, &p->pci, &p->env) < 0)
        return -1;
    if (vga_wanted(&m->opt) && setup_vga(m) < 0)
        return -1;
    if (netdevs_open(&p->net, &m->opt.net, &p->pci, &p->env) < 0)
        return -1;
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
        if (serial_backend_open(&p->debugcon, "-debugcon", m->opt.debugcon) < 0)
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
    if (p->vga)
        vga_reset(p->vga);
    piix_ide_reset(&p->ide);
    drives_reset(&p->drives);
    netdevs_reset(&p->net);
    fw_cfg_reset(&p->fw_cfg);
    for (int i = 0; i < m->ncpus; i++)
        lapic_reset(&p->lapics[i], i == 0);
}

void platform_destroy(struct machine *m)
{
    struct platform *p = plat(m);
    if (m->opt.screen_text)
        write_screen_text(m);
    fw_cfg_destroy(&p->fw_cfg);
    free(p->testdev);
    p->testdev = NULL;
    netdevs_close(&p->net);
    drives_close(&p->drives);
    piix_ide_destroy(&p->ide);
    if (p->vga)
        vga_destroy(p->vga);
    free(p->vga);
    p->vga = NULL;
    free(p->vga_bios);
    p->vga_bios = NULL;
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

bool platform_may_interrupt(struct machine *m, int i)
{
    struct platform *p = plat(m);
    const struct lapic *a = &p->lapics[i];
    if (lapic_timer_may_fire(a))
        return true;
    /* The PIC reaches the BSP only: through LINT0 (ExtINT or fixed,
     * unmasked) when its local APIC is enabled, or straight to INTR when
     * it is not (lapic_set_lint0). */
    if (i == 0 && pic_any_unmasked(&p->pic) &&
        (!lapic_enabled(a) || lapic_lint0_open(a)))
        return true;
    if (lapic_enabled(a) &&
        (ioapic_may_send_maskable(&p->ioapic) || hpet_may_send_maskable(&p->hpet)))
        return true;
    return false;
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

void platform_power_button(struct machine *m)
{
    acpi_pm_power_button(&plat(m)->acpi);
}

void platform_share_stdio(struct machine *m, void (*input)(void *, const char *, size_t),
                          void (*focus)(void *, bool), void *opaque, bool start_focused)
{
    struct serial_backend *s = &plat(m)->serial;
    if (s->kind != SERIAL_STDIO)
        return;
    s->monitor_input = input;
    s->monitor_focus = focus;
    s->monitor_opaque = opaque;
    s->to_monitor = start_focused;
}

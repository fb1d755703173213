/* The PC's devices and how they are wired to each other and to the local
 * APICs: interrupt lines to the PIC pair and the I/O APIC, interrupt
 * messages to the local APICs, resets, A20, power-off. */
#ifndef TURTLES_FRONTEND_PLATFORM_H
#define TURTLES_FRONTEND_PLATFORM_H

#include "cpu/lapic.h"
#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/testdev.h"
#include "devices/fw_cfg.h"
#include "devices/hpet.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/piix.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "devices/vga.h"
#include "devices/ide.h"
#include "frontend/drives.h"
#include "frontend/netdevs.h"
#include "frontend/serial_backend.h"

struct machine;

struct platform {
    struct device_env env;      /* lines -> PIC + I/O APIC */
    struct device_env env_pit;  /* IRQ0 gated by the HPET's legacy replacement */
    struct device_env env_rtc;  /* IRQ8 likewise */
    struct pic pic;
    struct pit pit;
    struct rtc rtc;
    /* COM1/COM3 share IRQ 4 and COM2/COM4 IRQ 3: each UART drives its own
     * input of a wired-OR (lines_or), so one port cannot drop another's
     * request. */
    struct com_source { struct machine *m; unsigned bit; } com_src[4];
    struct device_env env_com[4];
    uint8_t com_levels[16];     /* per ISA line: bit i set while COM(i+1) asserts it */
    struct uart com1;
    struct uart com_more[3];    /* COM2-COM4 */
    struct i8042 kbd;
    struct ioapic ioapic;
    struct hpet hpet;
    struct acpi_pm acpi;
    struct pci_bus pci;
    struct i440fx host_bridge;
    struct piix3 isa_bridge;
    struct piix4_pm pm_func;
    struct debug_exit debug_exit;
    struct testdev *testdev;  /* -device pc-testdev; NULL without */
    struct vga *vga;          /* -vga std (the default); NULL with -vga none */
    struct piix_ide ide;      /* 00:01.1, always present as on QEMU's pc */
    struct drives drives;     /* its disks and CD-ROMs */
    struct netdevs net;       /* -netdev/-nic backends and NICs */
    uint8_t *vga_bios;        /* its option ROM (SeaBIOS's vgabios-stdvga.bin) */
    size_t vga_bios_len;
    struct fw_cfg fw_cfg;
    struct lapic lapics[8];
    struct lapic *lapic_ptrs[8];
    struct serial_backend serial;
    struct chardev com1_out;
    struct serial_backend serial_more[3];
    struct chardev com_more_out[3];
    struct serial_backend debugcon;  /* -debugcon: Bochs/QEMU port 0xe9 console */
};

int platform_init(struct machine *m);
void platform_reset(struct machine *m);
void platform_destroy(struct machine *m);
/* Some device or local APIC input could still deliver an NMI or INIT to a
 * vCPU (the only events that wake a CPU halted with IF=0). */
bool platform_may_send_nmi_or_init(struct machine *m);
/* Feed host serial input to COM1; returns true when Ctrl-A x was typed. */
bool platform_poll_input(struct machine *m);
/* mon:stdio: COM1's stdio backend hands the input to the monitor on
 * Ctrl-A c (and from the start when focus is set). */
void platform_share_stdio(struct machine *m, void (*input)(void *, const char *, size_t),
                          void (*focus)(void *, bool), void *opaque, bool start_focused);
/* The monitor's system_powerdown: a press of the ACPI power button. */
void platform_power_button(struct machine *m);
/* Whether a maskable interrupt could still reach vCPU i while every vCPU
 * is idle (frontend/machine.c's wake-up test): its LVT timer is unmasked,
 * or an unmasked path leads from a device to it (PIC lines through LINT0
 * or a disabled local APIC's INTR, I/O APIC entries, HPET FSB timers, or
 * the host's input through those lines). Conservative: any open path. */
bool platform_may_interrupt(struct machine *m, int i);

#endif

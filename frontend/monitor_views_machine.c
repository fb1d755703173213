/* Views of the machine around the CPU: info irq, info devices, info block,
 * info mem (see monitor_views.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpu/lapic.h"
#include "devices/piix.h"
#include "frontend/machine.h"
#include "frontend/monitor_addr.h"
#include "frontend/monitor_views.h"
#include "frontend/platform.h"

static bool no_args(struct monitor *mon, int argc, const char *name)
{
    if (argc > 0) {
        monitor_error(mon, "%s takes no argument", name);
        return false;
    }
    return true;
}

/* Vectors set in a 256-bit APIC register (IRR, ISR, TMR). */
static void print_vectors(struct monitor *mon, const char *name, const uint32_t reg[8])
{
    monitor_printf(mon, "    %s:", name);
    bool any = false;
    for (unsigned v = 0; v < 256; v++)
        if (reg[v / 32] & (1u << (v % 32))) {
            monitor_printf(mon, " %#x", v);
            any = true;
        }
    monitor_printf(mon, any ? "\n" : " none\n");
}

static int cmd_info_irq(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, argc, "info irq"))
        return -1;
    struct machine *m = monitor_machine(mon);
    struct platform *p = m->platform;
    if (!p) {
        monitor_error(mon, "the machine has no interrupt controllers");
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        const struct pic_chip *c = &p->pic.chip[i];
        monitor_printf(mon, "PIC %s: IRR %02x ISR %02x IMR %02x ELCR %02x vectors %#x-%#x%s\n",
                       i ? "slave " : "master", c->irr, c->isr, c->imr, c->elcr,
                       c->vector_base, c->vector_base + 7, c->auto_eoi ? " auto-EOI" : "");
    }
    monitor_printf(mon, "PIC INTR output %s\n", p->pic.output ? "asserted" : "low");
    const struct ioapic *io = &p->ioapic;
    monitor_printf(mon, "I/O APIC id %u: IRR %08x, line levels %08x\n", io->id, io->irr,
                   io->line_level);
    static const char *const modes[8] = {"fixed", "lowest", "SMI", "reserved", "NMI", "INIT",
                                         "reserved", "ExtINT"};
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t r = io->redir[pin];
        if (r & (1u << 16))
            continue; /* masked: not shown */
        monitor_printf(mon, "  pin %2u: vector %#04llx %s %s %s-triggered%s dest %#llx%s\n", pin,
                       (unsigned long long)(r & 0xff), modes[(r >> 8) & 7],
                       (r & (1u << 11)) ? "logical" : "physical",
                       (r & (1u << 15)) ? "level" : "edge",
                       (r & (1u << 13)) ? " active-low" : "", (unsigned long long)(r >> 56),
                       (r & (1u << 14)) ? " remote-IRR" : "");
    }
    for (int i = 0; i < m->ncpus; i++) {
        const struct lapic *a = m->cpus[i].lapic;
        if (!a)
            continue;
        monitor_printf(mon, "Local APIC of CPU #%d: id %u, %s%s, TPR %#x%s\n", i, a->id,
                       lapic_enabled(a) ? "enabled" : "disabled",
                       lapic_x2apic(a) ? " (x2APIC)" : "", lapic_tpr(a),
                       a->extint_pending ? ", ExtINT pending" : "");
        print_vectors(mon, "IRR (pending)", a->irr);
        print_vectors(mon, "ISR (in service)", a->isr);
    }
    return 0;
}

static int cmd_info_devices(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, argc, "info devices"))
        return -1;
    struct machine *m = monitor_machine(mon);
    monitor_printf(mon, "I/O ports:\n");
    const struct iobus *bus = &m->io;
    for (unsigned port = 0; port < 65536;) {
        unsigned h = bus->map[port];
        unsigned end = port;
        while (end + 1 < 65536 && bus->map[end + 1] == h)
            end++;
        if (h)
            monitor_printf(mon, "  %04x-%04x %s\n", port, end,
                           bus->handlers[h - 1].name ? bus->handlers[h - 1].name : "?");
        port = end + 1;
    }
    monitor_printf(mon, "Memory-mapped regions:\n");
    for (int i = 0; i < m->mem.nregions; i++) {
        const struct mmio_region *r = &m->mem.regions[i];
        if (r->size)
            monitor_printf(mon, "  %016llx-%016llx %s %s\n", (unsigned long long)r->base,
                           (unsigned long long)(r->base + r->size - 1),
                           r->rom_data ? "rom " : "mmio", r->name ? r->name : "?");
    }
    if (m->platform) {
        monitor_printf(mon, "PCI bus 0:\n");
        for (unsigned devfn = 0; devfn < 256; devfn++) {
            const struct pci_device *d = m->platform->pci.devs[devfn];
            if (!d)
                continue;
            monitor_printf(mon, "  %02x.%u %04x:%04x class %02x%02x\n", devfn >> 3, devfn & 7,
                           d->config[0] | d->config[1] << 8, d->config[2] | d->config[3] << 8,
                           d->config[0xb], d->config[0xa]);
        }
    }
    return 0;
}

static int cmd_info_block(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (!no_args(mon, argc, "info block"))
        return -1;
    struct machine *m = monitor_machine(mon);
    if (!m->platform || m->platform->drives.n == 0) {
        monitor_printf(mon, "no drives\n");
        return 0;
    }
    static const char *const ide_places[4] = {"primary master", "primary slave",
                                              "secondary master", "secondary slave"};
    const struct drives *dv = &m->platform->drives;
    for (int i = 0; i < dv->n; i++) {
        const struct drive *d = &dv->d[i];
        char name[32], where[64];
        drives_name(dv, i, name, sizeof(name));
        if (d->vblk)
            snprintf(where, sizeof(where), "%s", name);
        else
            snprintf(where, sizeof(where), "%s (%s)", name,
                     d->index < 4 ? ide_places[d->index] : "?");
        if (!d->bb) {
            monitor_printf(mon, "%s: %s, no medium\n", where, d->cdrom ? "cdrom" : "disk");
            continue;
        }
        monitor_printf(mon, "%s: %s %s, %llu bytes%s\n", where, d->cdrom ? "cdrom" : "disk",
                       d->bb->name, (unsigned long long)block_length(d->bb),
                       block_read_only(d->bb) ? ", read-only" : "");
    }
    return 0;
}

/* info mem (QEMU's meaning): the linear ranges the running level maps,
 * with their rights, found with the CPU's own page walker in probe mode:
 * a mapped address advances by the page size it found, an unmapped one by
 * what the missing entry would have covered. */
/* The last entry a probe walk read. */
static void note_entry(void *opaque, const struct paging_step *step)
{
    *(struct paging_step *)opaque = *step;
}

struct mem_range {
    uint64_t start, end, phys_start;
    bool writable, user, nx;
    bool open;
};

static void flush_range(struct monitor *mon, struct mem_range *r)
{
    if (!r->open)
        return;
    monitor_printf(mon, "%016llx-%016llx %016llx %c%c%c\n", (unsigned long long)r->start,
                   (unsigned long long)r->end, (unsigned long long)(r->end - r->start),
                   r->user ? 'u' : '-', 'r', r->writable ? 'w' : '-');
    r->open = false;
}

static int cmd_info_mem(struct monitor *mon, int argc, char **argv)
{
    enum addr_level level = ADDR_CURRENT;
    if (argc > 1) {
        monitor_error(mon, "usage: info mem [root|nonroot]");
        return -1;
    }
    if (argc == 1) {
        if (!strcasecmp(argv[0], "root") || !strcasecmp(argv[0], "L1")) {
            level = ADDR_ROOT;
        } else if (!strcasecmp(argv[0], "nonroot") || !strcasecmp(argv[0], "L2")) {
            level = ADDR_NONROOT;
        } else {
            monitor_error(mon, "info mem: the level is root or nonroot (L1, L2), not '%s'",
                          argv[0]);
            return -1;
        }
    }
    struct cpu *cpu = monitor_cpu(mon);
    struct addr_space s;
    const char *err;
    if (!addr_space_of(cpu, level, &s, &err)) {
        monitor_error(mon, "%s", err);
        return -1;
    }
    enum paging_mode mode = paging_mode_of(s.paging.cr0, s.paging.cr4, s.paging.efer);
    if (mode == PAGING_OFF) {
        monitor_printf(mon, "paging is off: linear addresses are physical\n");
        return 0;
    }
    struct physmem *pm = &monitor_machine(mon)->mem;
    struct paging_ctx c = s.paging;
    struct ept_hook hook = { .pm = pm, .ctx = s.ept_ctx };
    if (s.ept) {
        c.gpa_translate = ept_gpa_translate;
        c.gpa_opaque = &hook;
    }
    struct paging_step last;
    c.on_entry = note_entry;
    c.on_entry_opaque = &last;
    /* Ranges to scan: 4 GiB outside 4-level paging, else both canonical
     * halves (48-bit). */
    struct { uint64_t lo, hi; } halves[2] = {{0, 0xffffffffull}, {1, 0}};
    if (mode == PAGING_4LEVEL) {
        halves[0].hi = 0x00007fffffffffffull;
        halves[1].lo = 0xffff800000000000ull;
        halves[1].hi = ~0ull;
    }
    monitor_printf(mon, "%s: range, size, rights (u user, w writable)\n", s.what);
    unsigned long long probes = 0;
    for (int h = 0; h < 2; h++) {
        if (halves[h].lo > halves[h].hi)
            continue;
        struct mem_range r = {0};
        uint64_t a = halves[h].lo;
        for (;;) {
            struct paging_result res;
            last.level = 1;
            enum paging_status st = paging_walk(pm, &c, a, PG_READ, &res);
            probes++;
            uint64_t step;
            if (st == PAGING_OK) {
                step = res.page_size - (a & (res.page_size - 1));
                if (!r.open || r.writable != res.writable || r.user != res.user ||
                    r.end != a) {
                    flush_range(mon, &r);
                    r = (struct mem_range){ .start = a, .writable = res.writable,
                                            .user = res.user, .nx = res.nx, .open = true };
                }
                r.end = a + step;
            } else {
                flush_range(mon, &r);
                /* Skip what the missing entry covers (the last one the
                 * walk read): 4 KiB, 2 or 4 MiB, 1 GiB or 512 GiB. */
                unsigned shift = 12;
                if (last.level == 2)
                    shift = mode == PAGING_32BIT ? 22 : 21;
                else if (last.level == 3)
                    shift = 30;
                else if (last.level == 4)
                    shift = 39;
                step = (1ull << shift) - (a & ((1ull << shift) - 1));
            }
            if (a + step - 1 >= halves[h].hi || a + step < a)
                break;
            a += step;
            if (probes > 1000000) {
                flush_range(mon, &r);
                monitor_printf(mon, "(stopped after %llu pages)\n", probes);
                return 0;
            }
        }
        flush_range(mon, &r);
    }
    return 0;
}

const struct monitor_command monitor_views_machine_commands[] = {
    {"info irq", "", "PIC, I/O APIC and local APIC state, pending and in-service vectors",
     NULL, cmd_info_irq},
    {"info devices", "", "I/O port handlers, memory-mapped regions and PCI functions", NULL,
     cmd_info_devices},
    {"info block", "", "the drives: IDE position or virtio, image, size, read-only", NULL,
     cmd_info_block},
    {"info mem", "[root|nonroot]", "the linear ranges a level (the running one) maps, with rights",
     NULL,
     cmd_info_mem},
    {NULL, NULL, NULL, NULL, NULL},
};

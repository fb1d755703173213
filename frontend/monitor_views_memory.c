/* Memory views: x, xp, disas, pt, ept, info tlb, info mtree (see
 * monitor_views.h). Reads have no side effects: RAM and ROM only (an MMIO
 * read could change a device), probe walks set no accessed/dirty flag. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/disas.h"
#include "frontend/machine.h"
#include "frontend/monitor_addr.h"
#include "frontend/monitor_views.h"
#include "frontend/platform.h"
#include "frontend/walk_explain.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

/* An address argument resolved: its translation context and value. */
struct view_addr {
    struct addr_space space;
    uint64_t addr;
    bool physical;
};

static bool resolve(struct monitor *mon, const char *arg, enum addr_level default_level,
                    struct view_addr *out)
{
    struct addr_spec spec;
    const char *err = NULL;
    if (!addr_split(arg, &spec, &err)) {
        monitor_error(mon, "bad address '%s': %s", arg, err);
        return false;
    }
    if (!monitor_parse_number(mon, spec.number, &out->addr)) {
        monitor_error(mon, "bad address '%s': not a number or register", spec.number);
        return false;
    }
    if (spec.level == ADDR_CURRENT)
        spec.level = default_level;
    if (!addr_space_of(monitor_cpu(mon), spec.level, &out->space, &err)) {
        monitor_error(mon, "%s", err);
        return false;
    }
    out->physical = spec.physical;
    return true;
}

/* Read len bytes at a (virtual or physical) address of the space, page by
 * page. Returns the bytes read; *why says why it stopped short. */
static size_t read_view(struct physmem *pm, const struct view_addr *va, uint64_t addr,
                        uint8_t *buf, size_t len, char *why, unsigned whysize)
{
    size_t done = 0;
    why[0] = 0;
    while (done < len) {
        uint64_t a = addr + done;
        size_t chunk = 4096 - (a & 0xfff);
        if (chunk > len - done)
            chunk = len - done;
        uint64_t hpa;
        if (!addr_translate(pm, &va->space, a, va->physical, &hpa, why, whysize))
            return done;
        size_t got = addr_read_host(pm, hpa, buf + done, chunk);
        done += got;
        if (got < chunk) {
            snprintf(why, whysize, "host-physical %#llx is not RAM or ROM (not read)",
                     (unsigned long long)(hpa + got));
            return done;
        }
    }
    return done;
}

/* Code size of the level for disassembly. */
static unsigned code_bits(const struct cpu *cpu, const struct addr_space *s)
{
    bool now = (s->level == ADDR_NONROOT) == cpu->vmx_nonroot;
    if (now)
        return cpu->code_size * 8u;
    const struct vmcs *v = vmx_current_vmcs(cpu);
    if (!v)
        return 64;
    if (s->level == ADDR_ROOT)
        return vmx_ctl_host_addr_space_size(v) ? 64 : 32;
    if (v->guest_cs_ar_bytes & SEG_L && vmx_ctl_ia32e_mode_guest(v))
        return 64;
    if (!(v->guest_cr0 & CR0_PE))
        return 16;
    return (v->guest_cs_ar_bytes & SEG_DB) ? 32 : 16;
}

/* The linear address that runs at this level: CS base + RIP. */
static uint64_t running_address(const struct cpu *cpu, const struct addr_space *s)
{
    bool now = (s->level == ADDR_NONROOT) == cpu->vmx_nonroot;
    if (now)
        return cpu->mode == MODE_LONG ? cpu->rip : (cpu->seg[S_CS].base + cpu->rip) & 0xffffffff;
    const struct vmcs *v = vmx_current_vmcs(cpu);
    if (s->level == ADDR_ROOT)
        return v->host_rip;
    return code_bits(cpu, s) == 64 ? v->guest_rip : (v->guest_cs_base + v->guest_rip) & 0xffffffff;
}

static void disassemble(struct monitor *mon, struct view_addr *va, unsigned count)
{
    struct cpu *cpu = monitor_cpu(mon);
    struct machine *m = monitor_machine(mon);
    unsigned bits = code_bits(cpu, &va->space);
    uint64_t a = va->addr;
    for (unsigned i = 0; i < count; i++) {
        uint8_t bytes[16];
        char why[160], text[128];
        size_t got = read_view(&m->mem, va, a, bytes, sizeof(bytes), why, sizeof(why));
        if (got == 0) {
            monitor_printf(mon, "%016llx: %s\n", (unsigned long long)a, why);
            break;
        }
        unsigned len = disas_bytes(bytes, got, bits / 8, a, text, sizeof(text));
        char hex[40] = "";
        for (unsigned k = 0; k < (len ? len : 1) && k < 12; k++)
            snprintf(hex + 2 * k, sizeof(hex) - 2 * k, "%02x", bytes[k]);
        monitor_printf(mon, "%016llx: %-24s %s\n", (unsigned long long)a, hex, text);
        a += len ? len : 1;
    }
}

/* gdb's /FMT: count, format letter (x d u i c), size letter (b h w g). */
struct xfmt {
    unsigned count;
    char format;
    unsigned size;
};

static bool parse_xfmt(const char *s, struct xfmt *f, char *err, size_t errsize)
{
    f->count = 1;
    f->format = 'x';
    f->size = 4;
    if (*s != '/') {
        snprintf(err, errsize, "expected /FMT, not '%s'", s);
        return false;
    }
    s++;
    if (isdigit((unsigned char)*s)) {
        char *end;
        unsigned long n = strtoul(s, &end, 10);
        if (n == 0 || n > 4096) {
            snprintf(err, errsize, "count must be 1..4096");
            return false;
        }
        f->count = (unsigned)n;
        s = end;
    }
    for (; *s; s++) {
        switch (*s) {
        case 'x': case 'd': case 'u': case 'i': case 'c':
            f->format = *s;
            break;
        case 'b': f->size = 1; break;
        case 'h': f->size = 2; break;
        case 'w': f->size = 4; break;
        case 'g': f->size = 8; break;
        default:
            snprintf(err, errsize, "unknown format letter '%c' (count, then x d u i c, b h w g)",
                     *s);
            return false;
        }
    }
    if (f->format == 'c')
        f->size = 1;
    return true;
}

static int examine(struct monitor *mon, int argc, char **argv, bool physical)
{
    const char *name = physical ? "xp" : "x";
    /* The monitor splits "x/4xg ADDR" into "x", "/4xg", "ADDR" (QEMU's
     * spelling); "x ADDR" alone is x/1xw. */
    struct xfmt f;
    char err[128];
    int ai = 0;
    if (argc >= 1 && argv[0][0] == '/') {
        if (!parse_xfmt(argv[0], &f, err, sizeof(err))) {
            monitor_error(mon, "%s: %s", name, err);
            return -1;
        }
        ai = 1;
    } else {
        parse_xfmt("/", &f, err, sizeof(err));
    }
    if (argc - ai != 1) {
        monitor_error(mon, "usage: %s/FMT ADDR", name);
        return -1;
    }
    struct view_addr va;
    if (!resolve(mon, argv[ai], ADDR_CURRENT, &va))
        return -1;
    /* xp: the address is physical (of the level named, or of what runs). */
    if (physical)
        va.physical = true;
    if (f.format == 'i') {
        disassemble(mon, &va, f.count);
        return 0;
    }
    struct machine *m = monitor_machine(mon);
    size_t len = (size_t)f.count * f.size;
    uint8_t *buf = malloc(len);
    if (!buf) {
        monitor_error(mon, "out of memory");
        return -1;
    }
    char why[160];
    size_t got = read_view(&m->mem, &va, va.addr, buf, len, why, sizeof(why));
    unsigned per_line = f.format == 'c' ? 16 : 16 / f.size;
    for (size_t i = 0; i + f.size <= got; i += f.size) {
        size_t n = i / f.size;
        if (n % per_line == 0)
            monitor_printf(mon, "%s%016llx:", n ? "\n" : "", (unsigned long long)(va.addr + i));
        uint64_t v = 0;
        for (unsigned k = 0; k < f.size; k++)
            v |= (uint64_t)buf[i + k] << (8 * k);
        switch (f.format) {
        case 'x':
            monitor_printf(mon, " 0x%0*llx", (int)(2 * f.size), (unsigned long long)v);
            break;
        case 'u':
            monitor_printf(mon, " %llu", (unsigned long long)v);
            break;
        case 'd': {
            unsigned shift = 64 - 8 * f.size;
            int64_t sv = (int64_t)(v << shift) >> shift;
            monitor_printf(mon, " %lld", (long long)sv);
            break;
        }
        default:
            if (isprint((int)v))
                monitor_printf(mon, " '%c'", (int)v);
            else
                monitor_printf(mon, " '\\x%02x'", (unsigned)v);
            break;
        }
    }
    if (got >= f.size)
        monitor_printf(mon, "\n");
    free(buf);
    if (got < len) {
        monitor_error(mon, "%s: %s", name, why);
        return -1;
    }
    return 0;
}

static int cmd_x(struct monitor *mon, int argc, char **argv)
{
    return examine(mon, argc, argv, false);
}

static int cmd_xp(struct monitor *mon, int argc, char **argv)
{
    return examine(mon, argc, argv, true);
}

static int cmd_disas(struct monitor *mon, int argc, char **argv)
{
    if (argc > 2) {
        monitor_error(mon, "usage: disas [ADDR [COUNT]]");
        return -1;
    }
    struct view_addr va;
    if (argc >= 1) {
        if (!resolve(mon, argv[0], ADDR_CURRENT, &va))
            return -1;
    } else {
        const char *err;
        if (!addr_space_of(monitor_cpu(mon), ADDR_CURRENT, &va.space, &err)) {
            monitor_error(mon, "%s", err);
            return -1;
        }
        va.physical = false;
        va.addr = running_address(monitor_cpu(mon), &va.space);
    }
    unsigned count = 10;
    if (argc == 2) {
        uint64_t n;
        if (!monitor_parse_number(mon, argv[1], &n) || n == 0 || n > 1000) {
            monitor_error(mon, "disas: COUNT must be 1..1000");
            return -1;
        }
        count = (unsigned)n;
    }
    disassemble(mon, &va, count);
    return 0;
}

static void print_line(void *opaque, const char *line)
{
    monitor_printf(opaque, "%s\n", line);
}

static int cmd_pt(struct monitor *mon, int argc, char **argv)
{
    if (argc != 1) {
        monitor_error(mon, "usage: pt ADDR");
        return -1;
    }
    struct view_addr va;
    if (!resolve(mon, argv[0], ADDR_CURRENT, &va))
        return -1;
    if (va.physical) {
        monitor_error(mon, "pt walks a linear address; p: has no page walk (try ept p:ADDR)");
        return -1;
    }
    if (!addr_canonical(&va.space, va.addr)) {
        monitor_error(mon, "%#llx is not a canonical address", (unsigned long long)va.addr);
        return -1;
    }
    struct machine *m = monitor_machine(mon);
    monitor_printf(mon, "%s\n", va.space.what);
    /* With EPT each entry is shown at its guest-physical and host address;
     * `ept ADDR` shows the EPT walks as well. */
    struct paging_ctx c = va.space.paging;
    struct ept_hook hook = { .pm = &m->mem, .ctx = va.space.ept_ctx };
    if (va.space.ept) {
        c.gpa_translate = ept_gpa_translate;
        c.gpa_opaque = &hook;
    }
    explain_paging_walk(&m->mem, &c, va.addr, print_line, mon, NULL);
    return 0;
}

static int cmd_ept(struct monitor *mon, int argc, char **argv)
{
    if (argc != 1) {
        monitor_error(mon, "usage: ept ADDR | ept p:GPA");
        return -1;
    }
    struct view_addr va;
    /* EPT translates the non-root guest's addresses, whatever runs now. */
    if (!resolve(mon, argv[0], ADDR_NONROOT, &va))
        return -1;
    if (va.space.level != ADDR_NONROOT) {
        monitor_error(mon, "root addresses are not translated by EPT");
        return -1;
    }
    if (!va.space.ept) {
        monitor_error(mon, "the current VMCS does not enable EPT");
        return -1;
    }
    if (!va.physical && !addr_canonical(&va.space, va.addr)) {
        monitor_error(mon, "%#llx is not a canonical address", (unsigned long long)va.addr);
        return -1;
    }
    struct machine *m = monitor_machine(mon);
    monitor_printf(mon, "%s\n", va.space.what);
    if (va.physical)
        explain_ept_walk(&m->mem, &va.space.ept_ctx, va.addr, print_line, mon, NULL);
    else
        explain_nested_walk(&m->mem, &va.space.paging, &va.space.ept_ctx, va.addr, print_line,
                            mon, NULL);
    return 0;
}

static void print_tlb_entry(struct monitor *mon, const struct tlb_entry *e, int user)
{
    uint64_t page = e->tag_read != TLB_TAG_INVALID    ? e->tag_read
                    : e->tag_write != TLB_TAG_INVALID ? e->tag_write
                                                      : e->tag_exec;
    monitor_printf(mon, "%016llx -> %016llx %c%c%c %s%s%s%s\n", (unsigned long long)page,
                   (unsigned long long)e->paddr_page,
                   e->tag_read == page ? 'r' : '-', e->tag_write == page ? 'w' : '-',
                   e->tag_exec == page ? 'x' : '-', user ? "user" : "supervisor",
                   e->global ? " global" : "", e->large ? " large" : "",
                   e->addend ? "" : " (slow path: not plain RAM)");
}

static bool tlb_valid(const struct tlb_entry *e)
{
    return e->tag_read != TLB_TAG_INVALID || e->tag_write != TLB_TAG_INVALID ||
           e->tag_exec != TLB_TAG_INVALID;
}

static int cmd_info_tlb(struct monitor *mon, int argc, char **argv)
{
    if (argc > 1) {
        monitor_error(mon, "usage: info tlb [ADDR]");
        return -1;
    }
    struct cpu *cpu = monitor_cpu(mon);
    uint64_t only = 0;
    bool one = argc == 1;
    if (one && !monitor_parse_number(mon, argv[0], &only)) {
        monitor_error(mon, "info tlb: bad address '%s'", argv[0]);
        return -1;
    }
    /* The software TLB holds translations of the level that runs; in
     * non-root the physical page is host-physical (EPT included). */
    monitor_printf(mon, "TLB of CPU #%d (%s): linear page -> %s page, rights\n",
                   monitor_cpu_index(mon), cpu->vmx_nonroot ? "non-root" : "root",
                   cpu->vmx_nonroot ? "host-physical" : "physical");
    unsigned n = 0;
    for (int u = 0; u < 2; u++) {
        for (unsigned i = 0; i < TLB_ENTRIES; i++) {
            const struct tlb_entry *e = &cpu->tlb.e[u][i];
            if (!tlb_valid(e))
                continue;
            if (one && i != tlb_index(only))
                continue;
            uint64_t page = only & ~0xfffull;
            if (one && e->tag_read != page && e->tag_write != page && e->tag_exec != page)
                continue;
            print_tlb_entry(mon, e, u);
            n++;
        }
    }
    monitor_printf(mon, "%u entr%s\n", n, n == 1 ? "y" : "ies");
    return 0;
}

static int cmd_info_mtree(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        monitor_error(mon, "info mtree takes no argument");
        return -1;
    }
    const struct physmem *pm = &monitor_machine(mon)->mem;
    monitor_printf(mon, "RAM (under the regions below, which win):\n");
    monitor_printf(mon, "  %016llx-%016llx ram\n", 0ull,
                   (unsigned long long)(pm->low_ram_size - 1));
    if (pm->ram_size > pm->low_ram_size)
        monitor_printf(mon, "  %016llx-%016llx ram\n", (unsigned long long)PHYS_4G,
                       (unsigned long long)(PHYS_4G + pm->ram_size - pm->low_ram_size - 1));
    monitor_printf(mon, "Regions (later ones win):\n");
    for (int i = 0; i < pm->nregions; i++) {
        const struct mmio_region *r = &pm->regions[i];
        if (!r->size)
            continue;
        monitor_printf(mon, "  %016llx-%016llx %s %s\n", (unsigned long long)r->base,
                       (unsigned long long)(r->base + r->size - 1),
                       r->rom_data ? "rom " : "mmio", r->name ? r->name : "?");
    }
    struct platform *p = monitor_machine(mon)->platform;
    if (!p)
        return 0;
    /* i440FX PAM (datasheet 3.2.18): PAM0 bits 5:4 hold 0xF0000-0xFFFFF,
     * PAM1-PAM6 two 16 KiB segments each from 0xC0000 (bits 1:0, 5:4). */
    static const char *const pam_modes[4] = {"off (ROM/PCI)", "read RAM, write ROM/PCI",
                                             "read ROM/PCI, write RAM", "RAM"};
    const uint8_t *pam = &p->host_bridge.pci.config[I440FX_PAM0];
    monitor_printf(mon, "PAM (shadow RAM of the BIOS area):\n");
    monitor_printf(mon, "  00000000000f0000-00000000000fffff %s\n", pam_modes[(pam[0] >> 4) & 3]);
    for (unsigned i = 1; i < I440FX_NUM_PAM; i++)
        for (unsigned half = 0; half < 2; half++) {
            uint64_t base = 0xc0000 + (i - 1) * 0x8000 + half * 0x4000;
            monitor_printf(mon, "  %016llx-%016llx %s\n", (unsigned long long)base,
                           (unsigned long long)(base + 0x3fff),
                           pam_modes[(pam[i] >> (half * 4)) & 3]);
        }
    return 0;
}

const struct monitor_command monitor_views_memory_commands[] = {
    {"x", "/FMT ADDR", "examine memory at a linear address (gdb's /FMT: count, x d u i c, b h w g)",
     "ADDR is a linear address of what runs; root:ADDR and nonroot:ADDR (L1:, L2:)\n"
     "name the level, p:ADDR a physical address. MMIO is not read.",
     cmd_x},
    {"xp", "/FMT ADDR", "examine memory at a physical address (root:p: host-physical)", NULL,
     cmd_xp},
    {"disas", "[ADDR [COUNT]]", "disassemble COUNT (10) instructions, from CS:RIP by default",
     NULL, cmd_disas},
    {"pt", "ADDR", "the page walk of a linear address, entry by entry, flags decoded",
     "With EPT (non-root) each entry is shown at its guest-physical and host address;\n"
     "ept ADDR adds each access's EPT walk.", cmd_pt},
    {"ept", "ADDR | p:GPA", "the EPT walk of the non-root guest down to the host page",
     "ept ADDR walks the guest's paging through EPT (each table access's EPT walk\n"
     "shown); ept p:GPA walks one guest-physical address.",
     cmd_ept},
    {"info tlb", "[ADDR]", "the software TLB's valid entries (or the one for ADDR)", NULL,
     cmd_info_tlb},
    {"info mtree", "", "the physical memory map: RAM, ROM and MMIO regions, PAM state", NULL,
     cmd_info_mtree},
    {NULL, NULL, NULL, NULL, NULL},
};

/* VMX views: vmcs, vmcs FIELD, vmcs diff, vmcs set, exits, exits reset,
 * lastexits (see monitor_views.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/machine.h"
#include "frontend/monitor_views.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_describe.h"

static const struct vmcs *current_vmcs(struct monitor *mon)
{
    const struct cpu *cpu = monitor_cpu(mon);
    const struct vmcs *v = vmx_current_vmcs(cpu);
    if (!v)
        monitor_error(mon, "CPU #%d has no current VMCS%s", monitor_cpu_index(mon),
                      vmx_in_operation(cpu) ? "" : " (not in VMX operation)");
    return v;
}

/* The words after a field's value: control bits, the exit reason, the
 * qualification per reason, interruption information. */
static void field_words(const struct vmcs *v, const struct vmcs_field *f, uint64_t value,
                        char *buf, size_t size)
{
    buf[0] = 0;
    switch (f->encoding) {
    case VMCS_VM_EXIT_REASON:
        vmx_exit_reason_describe((uint32_t)value, buf, size);
        return;
    case VMCS_EXIT_QUALIFICATION:
        if ((v->vm_exit_reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI)
            vmx_exception_qualification_describe(v->vm_exit_intr_info, value, buf, size);
        else
            vmx_exit_qualification_describe(v->vm_exit_reason & 0xffff, value, buf, size);
        return;
    case VMCS_VM_EXIT_INTR_INFO:
    case VMCS_IDT_VECTORING_INFO_FIELD:
    case VMCS_VM_ENTRY_INTR_INFO_FIELD:
        vmx_intr_info_describe((uint32_t)value, buf, size);
        return;
    default:
        vmx_control_bits(f->encoding, value, buf, size);
        return;
    }
}

static void print_field(struct monitor *mon, const struct vmcs *v, const struct vmcs_field *f,
                        const char *mark)
{
    uint64_t value = vmcs_field_get(v, f, false);
    char words[512];
    field_words(v, f, value, words, sizeof(words));
    monitor_printf(mon, "%s%-36s %04x = %#llx%s%s\n", mark, f->name, f->encoding,
                   (unsigned long long)value, words[0] ? "  " : "", words);
}

static void print_header(struct monitor *mon)
{
    const struct cpu *cpu = monitor_cpu(mon);
    const struct vmx_cpu *vx = cpu->vmx;
    const struct vmcs_cache_entry *e = &vx->cache[vx->current_slot];
    monitor_printf(mon, "VMCS %#llx of CPU #%d (%s), %s; the CPU is in VMX %s\n",
                   (unsigned long long)vx->current_vmcs_ptr, monitor_cpu_index(mon),
                   e->revision & (1u << 31) ? "shadow" : "ordinary",
                   e->launch_state == VMCS_CLEAR ? "clear" : "launched",
                   cpu->vmx_nonroot ? "non-root operation: guest-state fields are those of the "
                                      "last VM exit"
                                    : "root operation");
    if (vx->last_check_failed)
        monitor_printf(mon, "last failed VM-entry check: %s\n", vx->last_check_failed);
}

static int cmd_vmcs(struct monitor *mon, int argc, char **argv)
{
    if (argc > 1) {
        monitor_error(mon, "usage: vmcs [FIELD]");
        return -1;
    }
    const struct vmcs *v = current_vmcs(mon);
    if (!v)
        return -1;
    if (argc == 1) {
        const struct vmcs_field *f = vmcs_field_find(argv[0]);
        if (!f) {
            monitor_error(mon, "no VMCS field '%s' (a name such as GUEST_RIP, or an encoding)",
                          argv[0]);
            return -1;
        }
        print_field(mon, v, f, "");
        return 0;
    }
    print_header(mon);
    for (int g = 0; g < VMCS_GROUP_COUNT; g++) {
        monitor_printf(mon, "%s\n", vmcs_group_title((enum vmcs_group)g));
        for (unsigned i = 0; i < vmcs_field_count; i++)
            if (vmcs_fields[i].offered && vmcs_field_group(&vmcs_fields[i]) == (enum vmcs_group)g)
                print_field(mon, v, &vmcs_fields[i], "  ");
    }
    return 0;
}

static int cmd_vmcs_set(struct monitor *mon, int argc, char **argv)
{
    if (argc != 2) {
        monitor_error(mon, "usage: vmcs set FIELD VALUE");
        return -1;
    }
    struct vmcs *v = vmx_current_vmcs(monitor_cpu(mon));
    if (!current_vmcs(mon))
        return -1;
    const struct vmcs_field *f = vmcs_field_find(argv[0]);
    if (!f) {
        monitor_error(mon, "no VMCS field '%s'", argv[0]);
        return -1;
    }
    uint64_t value;
    if (!monitor_parse_number(mon, argv[1], &value)) {
        monitor_error(mon, "vmcs set: bad value '%s'", argv[1]);
        return -1;
    }
    static const uint64_t width_mask[4] = {0xffff, ~0ull, 0xffffffffull, ~0ull};
    if (value & ~width_mask[f->width]) {
        monitor_error(mon, "vmcs set: %s is %s bits wide", f->name,
                      f->width == VMCS_WIDTH_16 ? "16" : "32");
        return -1;
    }
    /* As VMWRITE stores it; VM-entry checks judge it at the next entry. */
    vmcs_field_set(v, f, false, value);
    print_field(mon, v, f, "");
    if (monitor_cpu(mon)->vmx_nonroot && f->type == VMCS_TYPE_GUEST)
        monitor_printf(mon, "note: the guest runs; the next VM exit overwrites guest state\n");
    return 0;
}

void monitor_views_attach(struct machine *m)
{
    for (int i = 0; i < m->ncpus; i++)
        vmx_exit_stats_keep_diff(&m->cpus[i], true);
}

void monitor_views_detach(struct machine *m)
{
    for (int i = 0; i < m->ncpus; i++)
        vmx_exit_stats_keep_diff(&m->cpus[i], false);
}

static int cmd_vmcs_diff(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        monitor_error(mon, "vmcs diff takes no argument");
        return -1;
    }
    const struct vmcs *v = current_vmcs(mon);
    if (!v)
        return -1;
    struct cpu *cpu = monitor_cpu(mon);
    const struct vmx_exit_stats *s = &cpu->vmx->stats;
    if (!s->diff_base) {
        monitor_views_attach(monitor_machine(mon));
        monitor_printf(mon, "vmcs diff: keeping a copy from now on; ask again after the next "
                            "VM exit or entry\n");
        return 0;
    }
    if (s->diff_base_vmcs_ptr != cpu->vmx->current_vmcs_ptr) {
        monitor_printf(mon, "vmcs diff: the current VMCS changed (VMPTRLD) since the copy of "
                            "%#llx\n", (unsigned long long)s->diff_base_vmcs_ptr);
        return 0;
    }
    monitor_printf(mon, "fields changed since the last VM %s began:\n",
                   s->diff_base_at_exit ? "exit" : "entry");
    unsigned n = 0;
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        const struct vmcs_field *f = &vmcs_fields[i];
        if (!f->offered)
            continue;
        uint64_t before = vmcs_field_get(s->diff_base, f, false);
        uint64_t after = vmcs_field_get(v, f, false);
        if (before == after)
            continue;
        char words[512];
        field_words(v, f, after, words, sizeof(words));
        monitor_printf(mon, "  %-36s %#llx -> %#llx%s%s\n", f->name, (unsigned long long)before,
                       (unsigned long long)after, words[0] ? "  " : "", words);
        n++;
    }
    monitor_printf(mon, "%u field%s changed\n", n, n == 1 ? "" : "s");
    return 0;
}

static const struct vmx_exit_stats *stats_of(struct monitor *mon)
{
    const struct cpu *cpu = monitor_cpu(mon);
    if (!cpu->vmx) {
        monitor_printf(mon, "CPU #%d has not used VMX: no exits\n", monitor_cpu_index(mon));
        return NULL;
    }
    return &cpu->vmx->stats;
}

static int cmd_exits(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        monitor_error(mon, "usage: exits | exits reset");
        return -1;
    }
    const struct vmx_exit_stats *s = stats_of(mon);
    if (!s)
        return 0;
    /* Most frequent first. */
    unsigned order[EXIT_REASON_COUNT], n = 0;
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        if (s->count[r])
            order[n++] = r;
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && s->count[order[j]] > s->count[order[j - 1]]; j--) {
            unsigned t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    monitor_printf(mon, "VM exits of CPU #%d since %s (emulated ns)\n", monitor_cpu_index(mon),
                   s->since_ns ? "the last exits reset" : "start");
    monitor_printf(mon, "%-24s %10s %16s %16s %12s\n", "reason", "count", "non-root ns",
                   "root ns", "root ns/exit");
    uint64_t total = 0, nonroot = 0, root = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned r = order[i];
        char name[48];
        snprintf(name, sizeof(name), "%s (%u)", vmx_exit_reason_name(r), r);
        monitor_printf(mon, "%-24s %10llu %16llu %16llu %12llu\n", name,
                       (unsigned long long)s->count[r], (unsigned long long)s->nonroot_ns[r],
                       (unsigned long long)s->root_ns[r],
                       (unsigned long long)(s->root_ns[r] / s->count[r]));
        total += s->count[r];
        nonroot += s->nonroot_ns[r];
        root += s->root_ns[r];
    }
    monitor_printf(mon, "%-24s %10llu %16llu %16llu\n", "total", (unsigned long long)total,
                   (unsigned long long)nonroot, (unsigned long long)root);
    return 0;
}

static int cmd_exits_reset(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        monitor_error(mon, "exits reset takes no argument");
        return -1;
    }
    vmx_exit_stats_reset(monitor_cpu(mon));
    monitor_printf(mon, "exit statistics of CPU #%d reset\n", monitor_cpu_index(mon));
    return 0;
}

static int cmd_lastexits(struct monitor *mon, int argc, char **argv)
{
    if (argc > 1) {
        monitor_error(mon, "usage: lastexits [N]");
        return -1;
    }
    uint64_t want = 10;
    if (argc == 1 && (!monitor_parse_number(mon, argv[0], &want) || want == 0 ||
                      want > VMX_EXIT_RING)) {
        monitor_error(mon, "lastexits: N must be 1..%u", VMX_EXIT_RING);
        return -1;
    }
    const struct vmx_exit_stats *s = stats_of(mon);
    if (!s)
        return 0;
    uint64_t have = s->total < VMX_EXIT_RING ? s->total : VMX_EXIT_RING;
    if (want > have)
        want = have;
    monitor_printf(mon, "last %llu of %llu VM exits of CPU #%d, oldest first\n",
                   (unsigned long long)want, (unsigned long long)s->total,
                   monitor_cpu_index(mon));
    for (uint64_t k = s->total - want; k < s->total; k++) {
        const struct vmx_exit_record *r = &s->ring[k & (VMX_EXIT_RING - 1)];
        char reason[64], qual[256], root[32];
        vmx_exit_reason_describe(r->reason, reason, sizeof(reason));
        if ((r->reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI)
            vmx_exception_qualification_describe(r->intr_info, r->qualification, qual,
                                                 sizeof(qual));
        else
            vmx_exit_qualification_describe(r->reason & 0xffff, r->qualification, qual,
                                            sizeof(qual));
        if (r->root_ns == ~0ull)
            snprintf(root, sizeof(root), "in root now");
        else
            snprintf(root, sizeof(root), "root %llu ns", (unsigned long long)r->root_ns);
        monitor_printf(mon, "#%llu t=%llu ns %s qual=%#llx guest-rip=%#llx vmcs=%#llx %s: %s\n",
                       (unsigned long long)k, (unsigned long long)r->when_ns, reason,
                       (unsigned long long)r->qualification, (unsigned long long)r->guest_rip,
                       (unsigned long long)r->vmcs_ptr, root, qual);
    }
    return 0;
}

const struct monitor_command monitor_views_vmx_commands[] = {
    {"vmcs", "[FIELD]", "the current VMCS grouped as the SDM does, decoded; or one FIELD",
     "FIELD is a name (GUEST_RIP, VM_EXIT_REASON) or an encoding (0x681e).\n"
     "Control bits, the exit reason and its qualification are decoded by name.",
     cmd_vmcs},
    {"vmcs diff", "", "VMCS fields changed since the last VM exit or entry began",
     "The first use starts keeping a copy at every exit and entry (only while asked).",
     cmd_vmcs_diff},
    {"vmcs set", "FIELD VALUE", "store VALUE into a field of the current VMCS, as VMWRITE would",
     NULL, cmd_vmcs_set},
    {"exits", "", "VM exits per reason: count, non-root time before, root time handling them",
     NULL, cmd_exits},
    {"exits reset", "", "restart the exit statistics from now", NULL, cmd_exits_reset},
    {"lastexits", "[N]", "the last N (10) VM exits: reason, qualification, guest RIP, root time",
     NULL, cmd_lastexits},
    {NULL, NULL, NULL, NULL, NULL},
};

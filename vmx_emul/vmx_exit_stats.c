/* VM-exit statistics (see vmx_exit_stats.h). */
#include "vmx_emul/vmx_exit_stats.h"

#include <stdlib.h>
#include <string.h>

#include "vmx_emul/vmx.h"

static uint64_t now_ns(const struct cpu *cpu)
{
    return cpu->bus.clock ? clock_now(cpu->bus.clock) : cpu->icount;
}

static void keep_diff_base(struct cpu *cpu, bool at_exit)
{
    struct vmx_exit_stats *s = &cpu->vmx->stats;
    const struct vmcs *v = vmx_current_vmcs(cpu);
    if (!s->diff_base || !v)
        return;
    *s->diff_base = *v;
    s->diff_base_vmcs_ptr = cpu->vmx->current_vmcs_ptr;
    s->diff_base_at_exit = at_exit;
}

void vmx_exit_stats_exit(struct cpu *cpu, uint32_t reason, uint64_t qualification,
                         uint32_t intr_info, uint64_t guest_rip)
{
    struct vmx_exit_stats *s = &cpu->vmx->stats;
    uint64_t now = now_ns(cpu);
    unsigned basic = reason & 0xffff;
    if (basic < EXIT_REASON_COUNT) {
        s->count[basic]++;
        /* An entry failure ran no guest code. */
        if (!(reason & EXIT_REASON_ENTRY_FAILURE))
            s->nonroot_ns[basic] += now - s->last_entry_ns;
    }
    s->ring[s->total & (VMX_EXIT_RING - 1)] = (struct vmx_exit_record){
        .reason = reason, .qualification = qualification, .intr_info = intr_info,
        .guest_rip = guest_rip,
        .vmcs_ptr = cpu->vmx->current_vmcs_ptr, .when_ns = now, .root_ns = ~0ull,
    };
    s->total++;
    s->in_root_after_exit = true;
    keep_diff_base(cpu, true);
}

void vmx_exit_stats_entry(struct cpu *cpu)
{
    struct vmx_exit_stats *s = &cpu->vmx->stats;
    uint64_t now = now_ns(cpu);
    if (s->in_root_after_exit && s->total) {
        struct vmx_exit_record *r = &s->ring[(s->total - 1) & (VMX_EXIT_RING - 1)];
        r->root_ns = now - r->when_ns;
        unsigned basic = r->reason & 0xffff;
        /* Root time after a reset counts from the reset. */
        if (basic < EXIT_REASON_COUNT)
            s->root_ns[basic] += now - (r->when_ns > s->since_ns ? r->when_ns : s->since_ns);
    }
    s->in_root_after_exit = false;
    s->last_entry_ns = now;
    keep_diff_base(cpu, false);
}

void vmx_exit_stats_reset(struct cpu *cpu)
{
    struct vmx_cpu *vx = cpu->vmx; /* nothing to keep before VMX is used */
    if (!vx)
        return;
    struct vmx_exit_stats *s = &vx->stats;
    memset(s->count, 0, sizeof(s->count));
    memset(s->nonroot_ns, 0, sizeof(s->nonroot_ns));
    memset(s->root_ns, 0, sizeof(s->root_ns));
    s->since_ns = now_ns(cpu);
    if (cpu->vmx_nonroot)
        s->last_entry_ns = s->since_ns;
}

void vmx_exit_stats_keep_diff(struct cpu *cpu, bool on)
{
    cpu->vmx_keep_diff = on;
    struct vmx_cpu *vx = cpu->vmx; /* none yet: vmx_get() starts the copy */
    if (!vx)
        return;
    struct vmx_exit_stats *s = &vx->stats;
    if (on && !s->diff_base) {
        s->diff_base = calloc(1, sizeof(*s->diff_base));
        s->diff_base_vmcs_ptr = VMCS_PTR_INVALID;
        /* Until the next exit or entry, the base is the VMCS as it is now. */
        const struct vmcs *v = vmx_current_vmcs(cpu);
        if (s->diff_base && v) {
            *s->diff_base = *v;
            s->diff_base_vmcs_ptr = vx->current_vmcs_ptr;
        }
    } else if (!on) {
        vmx_exit_stats_free(cpu);
    }
}

void vmx_exit_stats_free(struct cpu *cpu)
{
    if (!cpu->vmx)
        return;
    free(cpu->vmx->stats.diff_base);
    cpu->vmx->stats.diff_base = NULL;
}

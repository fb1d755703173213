/* EPT in non-root operation: attaching the walk, TLB rights, VM exits. */
#include "vmx_emul/vmx_ept.h"

#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_nonroot.h"

/* SDM 29.3.6 (Page-Modification Logging): a write that sets an EPT dirty
 * flag first logs its 4-KiB-aligned guest-physical address at the PML
 * index, which then decrements; an index outside 0-511 is a "PML full" VM
 * exit instead of the access. With EPT A/D on, guest paging-structure
 * accesses are writes (29.3.5), so their dirty flags are logged too. The
 * EPT walk calls this only for an allowed access that sets a clear flag. */
static void pml_log(void *opaque, uint64_t gpa)
{
    struct vmx_ept_walk *w = opaque;
    struct vmcs *v = vmx_current_vmcs(w->cpu);
    if (v->guest_pml_index >= 512)
        vmx_nonroot_exit_unwind(w->cpu, EXIT_REASON_PML_FULL, 0, NULL);
    physmem_write(w->hook.pm, v->pml_address + 8u * v->guest_pml_index, gpa & ~0xfffull, 8);
    v->guest_pml_index--;
}

/* Like ept_gpa_translate (mmu/ept.c), and also remembers the permissions of
 * the final (non-paging-structure) translation for the TLB. */
static int ept_translate_hook(void *opaque, uint64_t gpa, unsigned access, bool is_walk,
                              uint64_t lin, uint64_t *hpa)
{
    struct vmx_ept_walk *w = opaque;
    struct ept_access acc = {
        .kind = access & PG_KIND_MASK,
        .guest_paging = is_walk,
        .lin_valid = !(access & PG_NOT_LINEAR),
    };
    struct ept_result r;
    enum ept_status st = ept_walk(w->hook.pm, &w->hook.ctx, gpa, &acc, &r);
    if (st == EPT_OK) {
        *hpa = r.hpa;
        if (!is_walk)
            w->final_perms = r.perms;
        return 0;
    }
    w->hook.status = st;
    w->hook.fault = r;
    w->hook.fault_gpa = gpa;
    w->hook.fault_lin = lin;
    return 1;
}

bool vmx_ept_attach(struct cpu *cpu, struct paging_ctx *ctx, struct vmx_ept_walk *w)
{
    const struct vmcs *v = vmx_current_vmcs(cpu);
    if (!v || !vmx_ctl_ept(v))
        return false;
    uint64_t cap = cpu->vmx->caps.ept_vpid_cap;
    *w = (struct vmx_ept_walk){
        .hook = {.pm = cpu->bus.mem,
                 .ctx = {.eptp = v->ept_pointer,
                         .phys_bits = cpu->model->phys_bits,
                         .exec_only = (cap & 1) != 0,
                         .pages_1g = ((cap >> 17) & 1) != 0}},
        .cpu = cpu,
        .ad = (v->ept_pointer & EPTP_AD) != 0,
        .pml = (v->ept_pointer & EPTP_AD) && vmx_ctl_pml(v),
        .final_perms = EPTE_R | EPTE_W | EPTE_X,
    };
    if (w->pml) {
        w->hook.ctx.before_dirty = pml_log;
        w->hook.ctx.before_dirty_opaque = w;
    }
    ctx->gpa_translate = ept_translate_hook;
    ctx->gpa_opaque = w;
    return true;
}

unsigned vmx_ept_tlb_rights(const struct vmx_ept_walk *w, unsigned kind)
{
    unsigned r = w->final_perms & (unsigned)(EPTE_R | EPTE_W | EPTE_X);
    if (w->ad && kind != PG_WRITE)
        r &= ~(unsigned)EPTE_W;
    return r;
}

_Noreturn void vmx_ept_fault_exit(struct cpu *cpu, const struct vmx_ept_walk *w)
{
    struct vmx_exit_info info = {.valid = EXITINFO_GUEST_PHYS,
                                 .guest_phys = w->hook.fault_gpa};
    if (w->hook.status == EPT_MISCONFIG)
        vmx_nonroot_exit_unwind(cpu, EXIT_REASON_EPT_MISCONFIG, 0, &info);
    uint64_t qual = w->hook.fault.exit_qualification;
    if (qual & EPT_QUAL_LIN_VALID) {
        info.valid |= EXITINFO_GUEST_LINEAR;
        info.guest_linear = w->hook.fault_lin;
    }
    vmx_nonroot_exit_unwind(cpu, EXIT_REASON_EPT_VIOLATION, qual, &info);
}

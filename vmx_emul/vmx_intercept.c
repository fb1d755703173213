/* "Does L1 want this exit?" (SDM Vol.3C 25.1, 25.2): pure decisions over
 * the decoded VMCS and L1's bitmaps. */
#include "vmx_emul/vmx_intercept.h"

#include <stdio.h>

#include "cpu/cpu.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

/* The one list of reasons the controls alone decide; *known is cleared for
 * any other reason (vmx_l1_wants_exit reports those). */
static bool wants_exit_by_controls(const struct vmcs *v, unsigned reason, bool *known)
{
    *known = true;
    switch (reason) {
    /* SDM 25.1.2: unconditionally. */
    case EXIT_REASON_CPUID:
    case EXIT_REASON_GETSEC:
    case EXIT_REASON_INVD:
    case EXIT_REASON_XSETBV:
    case EXIT_REASON_VMCALL:
    case EXIT_REASON_VMCLEAR:
    case EXIT_REASON_VMLAUNCH:
    case EXIT_REASON_VMPTRLD:
    case EXIT_REASON_VMPTRST:
    case EXIT_REASON_VMRESUME:
    case EXIT_REASON_VMXOFF:
    case EXIT_REASON_VMXON:
    case EXIT_REASON_INVEPT:
    case EXIT_REASON_INVVPID:
        return true;
    /* SDM 25.1.3: by one control. */
    case EXIT_REASON_HLT:
        return vmx_ctl_hlt_exiting(v);
    case EXIT_REASON_INVLPG:
        return vmx_ctl_invlpg_exiting(v);
    case EXIT_REASON_RDPMC:
        return vmx_ctl_rdpmc_exiting(v);
    case EXIT_REASON_RDTSC:
        return vmx_ctl_rdtsc_exiting(v);
    case EXIT_REASON_RDTSCP:
        /* RDTSCP is #UD unless "enable RDTSCP"; then RDTSC exiting decides. */
        return vmx_ctl_rdtscp(v) && vmx_ctl_rdtsc_exiting(v);
    case EXIT_REASON_MWAIT:
        return vmx_ctl_mwait_exiting(v);
    case EXIT_REASON_MONITOR:
        return vmx_ctl_monitor_exiting(v);
    case EXIT_REASON_PAUSE:
        return vmx_ctl_pause_exiting(v);
    case EXIT_REASON_RDRAND:
        return vmx_ctl_rdrand_exiting(v);
    case EXIT_REASON_RDSEED:
        return vmx_ctl_rdseed_exiting(v);
    case EXIT_REASON_WBINVD:
        return vmx_ctl_wbinvd_exiting(v);
    case EXIT_REASON_INVPCID:
        /* INVPCID exits through "INVLPG exiting" once it is enabled. */
        return vmx_ctl_invpcid(v) && vmx_ctl_invlpg_exiting(v);
    case EXIT_REASON_GDTR_IDTR:
    case EXIT_REASON_LDTR_TR:
        return vmx_ctl_desc_table_exiting(v);
    case EXIT_REASON_DR_ACCESS:
        return vmx_ctl_mov_dr_exiting(v);
    default:
        *known = false;
        return true;
    }
}

bool vmx_l1_exit_reason_known(unsigned reason)
{
    static const struct vmcs no_controls;
    bool known;
    (void)wants_exit_by_controls(&no_controls, reason, &known);
    return known;
}

bool vmx_l1_wants_exit(const struct vmcs *v, unsigned reason)
{
    bool known;
    bool wants = wants_exit_by_controls(v, reason, &known);
    if (!known) {
        /* A caller passed a reason that needs an operand or that this
         * switch lacks: a bug in turtles, not in the guest. Exit to L1
         * (which sees the reason) rather than let L2 run on silently. */
        fprintf(stderr, "turtles: vmx_l1_wants_exit: exit reason %u is not decided by the "
                        "controls alone\n", reason);
    }
    return wants;
}

bool vmx_l1_wants_exception(const struct vmcs *v, unsigned vector, uint32_t error_code)
{
    if (vector > 31)
        return false;
    bool bit = (v->exception_bitmap >> vector) & 1;
    if (vector != EXC_PF)
        return bit;
    /* SDM 25.2: with bit 14 set, #PF exits when (PFEC & MASK) == MATCH;
     * with it clear, when they differ. */
    bool match = (error_code & v->page_fault_error_code_mask) == v->page_fault_error_code_match;
    return bit ? match : !match;
}

static bool bitmap_bit(struct physmem *pm, uint64_t base, uint32_t bit)
{
    uint8_t byte = (uint8_t)physmem_read(pm, base + bit / 8, 1);
    return (byte >> (bit & 7)) & 1;
}

bool vmx_l1_wants_io(const struct vmcs *v, struct physmem *pm, uint16_t port, unsigned size)
{
    if (!vmx_ctl_io_bitmaps(v))
        return vmx_ctl_uncond_io_exiting(v);
    for (unsigned i = 0; i < size; i++) {
        uint32_t p = (uint32_t)port + i;
        if (p > 0xffff)
            return true; /* wraps around the I/O space */
        uint64_t base = p < 0x8000 ? v->io_bitmap_a : v->io_bitmap_b;
        if (bitmap_bit(pm, base, p & 0x7fff))
            return true;
    }
    return false;
}

bool vmx_l1_wants_msr(const struct vmcs *v, struct physmem *pm, uint32_t msr, bool write)
{
    if (!vmx_ctl_msr_bitmaps(v))
        return true;
    uint64_t off;
    if (msr <= 0x1fff)
        off = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        off = 1024;
    else
        return true;
    if (write)
        off += 2048;
    return bitmap_bit(pm, v->msr_bitmap + off, msr & 0x1fff);
}

bool vmx_l1_wants_cr_write(const struct vmcs *v, unsigned cr, uint64_t value)
{
    switch (cr) {
    case 0:
        return ((value ^ v->cr0_read_shadow) & v->cr0_guest_host_mask) != 0;
    case 4:
        return ((value ^ v->cr4_read_shadow) & v->cr4_guest_host_mask) != 0;
    case 3: {
        if (!vmx_ctl_cr3_load_exiting(v))
            return false;
        const uint64_t targets[4] = {v->cr3_target_value0, v->cr3_target_value1,
                                     v->cr3_target_value2, v->cr3_target_value3};
        for (uint32_t i = 0; i < v->cr3_target_count && i < 4; i++)
            if (targets[i] == value)
                return false;
        return true;
    }
    case 8:
        return vmx_ctl_cr8_load_exiting(v);
    default:
        return false;
    }
}

bool vmx_l1_wants_cr_read(const struct vmcs *v, unsigned cr)
{
    if (cr == 3)
        return vmx_ctl_cr3_store_exiting(v);
    if (cr == 8)
        return vmx_ctl_cr8_store_exiting(v);
    return false;
}

bool vmx_l1_wants_clts(const struct vmcs *v)
{
    return (v->cr0_guest_host_mask & CR0_TS) && (v->cr0_read_shadow & CR0_TS);
}

bool vmx_l1_wants_lmsw(const struct vmcs *v, uint16_t source)
{
    uint64_t mask = v->cr0_guest_host_mask, shadow = v->cr0_read_shadow;
    if ((mask & CR0_PE) && !(shadow & CR0_PE) && (source & CR0_PE))
        return true;
    return ((source ^ shadow) & mask & (CR0_MP | CR0_EM | CR0_TS)) != 0;
}

uint64_t vmx_cr_guest_view(uint64_t real, uint64_t mask, uint64_t shadow)
{
    return (shadow & mask) | (real & ~mask);
}

uint64_t vmx_cr_guest_write(uint64_t real, uint64_t mask, uint64_t source)
{
    return (real & mask) | (source & ~mask);
}

bool vmx_l1_wants_pause_loop(const struct vmcs *v, struct vmx_ple_state *s, uint64_t tsc)
{
    if (!vmx_ctl_pause_loop_exiting(v))
        return false;
    /* SDM 25.1.3: a PAUSE more than PLE_Gap after the previous one (or the
     * first after VM entry) starts a new loop; a loop longer than
     * PLE_Window exits. */
    if (!s->started || tsc - s->last_tsc > v->ple_gap) {
        s->started = true;
        s->first_tsc = tsc;
        s->last_tsc = tsc;
        return false;
    }
    s->last_tsc = tsc;
    return tsc - s->first_tsc > v->ple_window;
}

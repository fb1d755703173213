/* VMX non-root operation as cpu/ sees it (SDM Vol.3C chapter 25 "VMX
 * Non-Root Operation", 27.2 "Recording VM-Exit Information"): the hooks of
 * vmx_nonroot.h decide with vmx_intercept.c and build the VM exits. */
#include "vmx_emul/vmx_nonroot.h"

#include <setjmp.h>

#include "cpu/debug.h"
#include "cpu/exception.h"
#include "cpu/lapic.h"
#include "cpu/operands.h"
#include "cpu/task_switch.h"
#include "cpu/tsc.h"
#include "mmu/physmem.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_apicv.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_intercept.h"
#include "vmx_emul/vmx_tlb.h"

/* Exit qualification layouts (SDM 27.2.1). */
#define CRQ_MOV_TO 0u      /* table 27-3, access type bits 5:4 */
#define CRQ_MOV_FROM 1u
#define CRQ_CLTS 2u
#define CRQ_LMSW 3u
#define CRQ_LMSW_MEM (1u << 6)
#define IOQ_IN (1u << 3)   /* table 27-5 */
#define IOQ_STRING (1u << 4)
#define IOQ_REP (1u << 5)
#define IOQ_IMM (1u << 6)
#define DRQ_FROM (1u << 4) /* table 27-4 */
#define QUAL_NMI_UNBLOCK_IRET (1ull << 12) /* EPT violation (table 27-7), PML full */

/* Offsets in the virtual-APIC page (SDM 29.1). */
#define VAPIC_VTPR 0x80u

static struct vmcs *cur(const struct cpu *cpu)
{
    return vmx_current_vmcs(cpu);
}

static uint64_t iret_exit_fixup(struct cpu *cpu, uint32_t reason, uint64_t qual);

/* Every exit from this file goes through here: an exit while an event was
 * being delivered through the guest IDT records that event (SDM 27.2.4),
 * the event injected by VM entry included, or whatever that one turned
 * into (an exception handled serially, a #DF) by the time of the exit. The
 * delivery is abandoned. */
static void nr_exit(struct cpu *cpu, uint32_t reason, uint64_t qual, struct vmx_exit_info *info,
                    bool with_vectoring)
{
    struct vmx_cpu *vx = cpu->vmx;
    struct vmx_exit_info local = {0};
    if (!info)
        info = &local;
    qual = iret_exit_fixup(cpu, reason, qual);
    if (with_vectoring && cpu->delivering_vector >= 0 &&
        !(info->valid & EXITINFO_IDT_VECTORING) && (vx->delivering_info & INTR_INFO_VALID)) {
        info->valid |= EXITINFO_IDT_VECTORING;
        info->idt_info = vx->delivering_info;
        info->idt_error = vx->delivering_error;
        unsigned t = INTR_INFO_TYPE(vx->delivering_info);
        if ((t == EV_SWINT || t == EV_SWEXC || t == EV_PRIVSW) &&
            !(info->valid & EXITINFO_INSN_LEN)) {
            info->valid |= EXITINFO_INSN_LEN;
            info->insn_len = vx->delivering_len;
        }
    }
    if (!with_vectoring && vx->injecting)
        vx->injecting = false;
    cpu->delivering_vector = -1;
    vx->delivering_info = 0;
    vmx_vmexit(cpu, reason, qual, info);
}

/* Fault-like exit of the instruction `in` (guest RIP stays on it). */
static bool insn_exit(struct cpu *cpu, const struct insn *in, uint32_t reason, uint64_t qual,
                      struct vmx_exit_info *extra)
{
    struct vmx_exit_info info = extra ? *extra : (struct vmx_exit_info){0};
    info.valid |= EXITINFO_INSN_LEN;
    info.insn_len = in ? in->len : (uint32_t)(cpu->next_rip - cpu->rip);
    nr_exit(cpu, reason, qual, &info, false);
    return true;
}

static unsigned addr_size_code(unsigned addrsize)
{
    return addrsize == 2 ? 0u : addrsize == 4 ? 1u : 2u;
}

/* Memory-operand part of the instruction-information field (SDM 27.2.5,
 * tables 27-10 to 27-14): scaling 1:0, address size 9:7, segment 17:15,
 * index 21:18 (22: invalid), base 26:23 (27: invalid). */
static uint32_t mem_operand_info(const struct insn *in)
{
    uint32_t info = (in->scale & 3u) | addr_size_code(in->addrsize) << 7 |
                    (uint32_t)(in->seg & 7) << 15;
    info |= in->index == NO_REG ? 1u << 22 : (uint32_t)(in->index & 15) << 18;
    info |= in->base == NO_REG ? 1u << 27 : (uint32_t)(in->base & 15) << 23;
    return info;
}

static uint64_t displacement(const struct insn *in)
{
    return in->mod == 3 ? 0 : (uint64_t)(int64_t)in->disp;
}

bool vmx_nonroot_insn(struct cpu *cpu, const struct insn *in, unsigned reason)
{
    struct vmcs *v = cur(cpu);
    /* SDM 25.3: RDTSCP is #UD in non-root unless "enable RDTSCP". */
    if (v && reason == EXIT_REASON_RDTSCP && !vmx_ctl_rdtscp(v))
        raise_ud(cpu);
    if (!v || !vmx_l1_wants_exit(v, reason))
        return false;
    return insn_exit(cpu, in, reason, 0, NULL);
}

void vmx_nonroot_rdpid(struct cpu *cpu)
{
    /* SDM Vol.2 RDPID, Vol.3C 25.3: #UD in non-root unless "enable RDTSCP"
     * (RDPID causes no VM exit). */
    struct vmcs *v = cur(cpu);
    if (v && !vmx_ctl_rdtscp(v))
        raise_ud(cpu);
}

bool vmx_nonroot_pause(struct cpu *cpu, const struct insn *in)
{
    struct vmcs *v = cur(cpu);
    if (!v)
        return false;
    if (vmx_l1_wants_exit(v, EXIT_REASON_PAUSE))
        return insn_exit(cpu, in, EXIT_REASON_PAUSE, 0, NULL);
    if (cpu->cpl == 0 && vmx_l1_wants_pause_loop(v, &cpu->vmx->ple, cpu_tsc(cpu)))
        return insn_exit(cpu, in, EXIT_REASON_PAUSE, 0, NULL);
    return false;
}

bool vmx_nonroot_rdrand(struct cpu *cpu, const struct insn *in, unsigned reason,
                        unsigned opsize)
{
    struct vmcs *v = cur(cpu);
    if (!v || !vmx_l1_wants_exit(v, reason))
        return false;
    /* SDM 27.2.5 table 27-15: destination 6:3, operand size 12:11. */
    struct vmx_exit_info info = {
        .valid = EXITINFO_INSN_INFO,
        .insn_info = (uint32_t)(in->rm & 15) << 3 |
                     (opsize == 2 ? 0u : opsize == 4 ? 1u : 2u) << 11,
    };
    return insn_exit(cpu, in, reason, 0, &info);
}

bool vmx_nonroot_io(struct cpu *cpu, const struct insn *in, uint16_t port, unsigned size)
{
    struct vmcs *v = cur(cpu);
    if (!v || !vmx_l1_wants_io(v, cpu->bus.mem, port, size))
        return false;
    uint8_t op = in ? in->opcode : 0xec; /* no decoded insn: treat as IN from DX */
    bool string = op >= 0x6c && op <= 0x6f;
    bool is_in = string ? op <= 0x6d : !(op & 2);
    bool imm = op >= 0xe4 && op <= 0xe7;
    uint64_t qual = (size - 1) | (is_in ? IOQ_IN : 0) | (string ? IOQ_STRING : 0) |
                    (string && in->rep ? IOQ_REP : 0) | (imm ? IOQ_IMM : 0) |
                    (uint64_t)port << 16;
    struct vmx_exit_info info = {0};
    if (string) {
        /* SDM 27.2.1/27.2.5: the linear address of the first byte of the
         * memory operand, and (IA32_VMX_BASIC[54]) address size and, for
         * OUTS, the segment; INS always uses ES. */
        unsigned seg = is_in ? S_ES : in->seg;
        uint64_t off = cpu->gpr[is_in ? R_DI : R_SI] & size_mask(in->addrsize);
        uint64_t base = cpu->mode == MODE_LONG && seg != S_FS && seg != S_GS
                            ? 0 : cpu->seg[seg].base;
        uint64_t lin = base + off;
        if (cpu->mode != MODE_LONG)
            lin &= 0xffffffffull;
        info.valid = EXITINFO_GUEST_LINEAR | EXITINFO_INSN_INFO;
        info.guest_linear = lin;
        info.insn_info = addr_size_code(in->addrsize) << 7 | (uint32_t)seg << 15;
    }
    return insn_exit(cpu, in, EXIT_REASON_IO_INSTRUCTION, qual, &info);
}

bool vmx_nonroot_msr(struct cpu *cpu, const struct insn *in, bool write)
{
    struct vmcs *v = cur(cpu);
    uint32_t msr = (uint32_t)cpu->gpr[R_CX];
    if (!v)
        return false;
    if (!vmx_l1_wants_msr(v, cpu->bus.mem, msr, write)) {
        uint64_t value = ((uint64_t)(uint32_t)cpu->gpr[R_DX] << 32) | (uint32_t)cpu->gpr[R_AX];
        if (write)
            return vmx_apicv_msr_write(cpu, msr, value);
        if (vmx_apicv_msr_read(cpu, msr, &value)) {
            cpu->gpr[R_AX] = (uint32_t)value;
            cpu->gpr[R_DX] = (uint32_t)(value >> 32);
            return true;
        }
        if (msr != 0x10 /* IA32_TSC */ || !vmx_ctl_tsc_offsetting(v))
            return false;
        /* SDM 25.3: RDMSR of IA32_TSC sees the offset like RDTSC does. */
        uint64_t tsc = vmx_nonroot_tsc(cpu, cpu_tsc(cpu));
        cpu->gpr[R_AX] = (uint32_t)tsc;
        cpu->gpr[R_DX] = (uint32_t)(tsc >> 32);
        return true;
    }
    return insn_exit(cpu, in, write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ, 0, NULL);
}

static uint64_t cr_qual(unsigned cr, unsigned type, unsigned gpr)
{
    return (uint64_t)(cr & 15) | (uint64_t)type << 4 | (uint64_t)(gpr & 15) << 8;
}

bool vmx_nonroot_cr_write(struct cpu *cpu, const struct insn *in, unsigned cr, uint64_t value,
                          unsigned gpr)
{
    struct vmcs *v = cur(cpu);
    if (!v || (cr == 8 && cpu->mode != MODE_LONG))
        return false;
    if (vmx_l1_wants_cr_write(v, cr, value))
        return insn_exit(cpu, in, EXIT_REASON_CR_ACCESS, cr_qual(cr, CRQ_MOV_TO, gpr), NULL);
    if (cr == 8 && vmx_ctl_tpr_shadow(v)) {
        /* SDM 29.3: MOV to CR8 writes VTPR bits 7:4, clears the rest. */
        if (value & ~0xfull)
            raise_gp(cpu, 0);
        physmem_write(cpu->bus.mem, v->virtual_apic_page_addr + VAPIC_VTPR,
                      (uint32_t)(value & 15) << 4, 4);
        vmx_apicv_tpr_written(cpu);
        cpu->stop_block = true;
        return true;
    }
    return false;
}

bool vmx_nonroot_cr_read(struct cpu *cpu, const struct insn *in, unsigned cr, unsigned gpr)
{
    struct vmcs *v = cur(cpu);
    if (!v || (cr == 8 && cpu->mode != MODE_LONG))
        return false;
    if (vmx_l1_wants_cr_read(v, cr))
        return insn_exit(cpu, in, EXIT_REASON_CR_ACCESS, cr_qual(cr, CRQ_MOV_FROM, gpr), NULL);
    if (cr == 8 && vmx_ctl_tpr_shadow(v)) {
        uint32_t vtpr =
            (uint32_t)physmem_read(cpu->bus.mem, v->virtual_apic_page_addr + VAPIC_VTPR, 4);
        cpu->gpr[gpr & 15] = (vtpr >> 4) & 15;
        return true;
    }
    return false;
}

uint64_t vmx_nonroot_cr_view(const struct cpu *cpu, unsigned cr, uint64_t real)
{
    const struct vmcs *v = cur(cpu);
    if (!v)
        return real;
    if (cr == 0)
        return vmx_cr_guest_view(real, v->cr0_guest_host_mask, v->cr0_read_shadow);
    if (cr == 4)
        return vmx_cr_guest_view(real, v->cr4_guest_host_mask, v->cr4_read_shadow);
    return real;
}

uint64_t vmx_nonroot_cr_merge(const struct cpu *cpu, unsigned cr, uint64_t value)
{
    const struct vmcs *v = cur(cpu);
    if (!v)
        return value;
    if (cr == 0)
        return vmx_cr_guest_write(cpu->cr0, v->cr0_guest_host_mask, value);
    if (cr == 4)
        return vmx_cr_guest_write(cpu->cr4, v->cr4_guest_host_mask, value);
    return value;
}

bool vmx_nonroot_clts(struct cpu *cpu, const struct insn *in)
{
    struct vmcs *v = cur(cpu);
    if (!v)
        return false;
    if (vmx_l1_wants_clts(v))
        return insn_exit(cpu, in, EXIT_REASON_CR_ACCESS, cr_qual(0, CRQ_CLTS, 0), NULL);
    /* SDM 25.3: an L1-owned TS is left alone. */
    return (v->cr0_guest_host_mask & CR0_TS) != 0;
}

bool vmx_nonroot_lmsw(struct cpu *cpu, const struct insn *in, uint16_t source, uint64_t lin)
{
    struct vmcs *v = cur(cpu);
    if (!v || !vmx_l1_wants_lmsw(v, source))
        return false;
    uint64_t qual = cr_qual(0, CRQ_LMSW, 0) | (uint64_t)source << 16;
    struct vmx_exit_info info = {0};
    if (in->mod != 3) {
        qual |= CRQ_LMSW_MEM;
        info.valid = EXITINFO_GUEST_LINEAR;
        info.guest_linear = lin;
    } else {
        qual |= (uint64_t)(in->rm & 15) << 8;
    }
    return insn_exit(cpu, in, EXIT_REASON_CR_ACCESS, qual, &info);
}

bool vmx_nonroot_mov_dr(struct cpu *cpu, const struct insn *in, bool from_dr)
{
    struct vmcs *v = cur(cpu);
    if (!v || !vmx_l1_wants_exit(v, EXIT_REASON_DR_ACCESS))
        return false;
    uint64_t qual = (in->reg & 7u) | (from_dr ? DRQ_FROM : 0) | (uint64_t)(in->rm & 15) << 8;
    return insn_exit(cpu, in, EXIT_REASON_DR_ACCESS, qual, NULL);
}

bool vmx_nonroot_debug_trap(struct cpu *cpu, uint32_t pending)
{
    struct vmcs *v = cur(cpu);
    if (!v || !vmx_ctl_monitor_trap_flag(v))
        return false;
    /* SDM 25.5.2 (monitor trap flag): the MTF VM exit after an
     * instruction has priority over its #DB traps, which are then saved as
     * pending debug exceptions (27.3.4) and delivered after the next VM
     * entry. */
    cpu->vmx->pending_dbg_exceptions = pending & (0xfu | 1u << 12 | 1u << 14);
    return true;
}

bool vmx_nonroot_invlpg(struct cpu *cpu, const struct insn *in, uint64_t lin)
{
    struct vmcs *v = cur(cpu);
    if (!v || !vmx_l1_wants_exit(v, EXIT_REASON_INVLPG))
        return false;
    return insn_exit(cpu, in, EXIT_REASON_INVLPG, lin, NULL);
}

bool vmx_nonroot_invpcid(struct cpu *cpu, const struct insn *in)
{
    struct vmcs *v = cur(cpu);
    /* SDM 25.3: INVPCID is #UD in non-root unless "enable INVPCID". */
    if (v && !vmx_ctl_invpcid(v))
        raise_ud(cpu);
    if (!v || !vmx_l1_wants_exit(v, EXIT_REASON_INVPCID))
        return false;
    /* SDM table 27-14 layout: the type register in 31:28. */
    struct vmx_exit_info info = {
        .valid = EXITINFO_INSN_INFO,
        .insn_info = mem_operand_info(in) | (uint32_t)(in->reg & 15) << 28,
    };
    return insn_exit(cpu, in, EXIT_REASON_INVPCID, displacement(in), &info);
}

bool vmx_nonroot_desc_table(struct cpu *cpu, const struct insn *in, unsigned reason,
                            unsigned identity)
{
    struct vmcs *v = cur(cpu);
    if (!v || !vmx_l1_wants_exit(v, reason))
        return false;
    uint32_t info = (identity & 3u) << 28;
    if (in->mod == 3) {
        /* LDTR/TR register operand: reg1 6:3, bit 10 set (table 27-11). */
        info |= (uint32_t)(in->rm & 15) << 3 | 1u << 10 | addr_size_code(in->addrsize) << 7;
    } else {
        info |= mem_operand_info(in);
        if (reason == EXIT_REASON_GDTR_IDTR && in->opsize != 2)
            info |= 1u << 11; /* operand size 32 (64-bit mode ignores it) */
    }
    struct vmx_exit_info x = {.valid = EXITINFO_INSN_INFO, .insn_info = info};
    return insn_exit(cpu, in, reason, displacement(in), &x);
}

uint64_t vmx_nonroot_tsc(const struct cpu *cpu, uint64_t tsc)
{
    const struct vmcs *v = cur(cpu);
    if (v && vmx_ctl_tsc_offsetting(v))
        return tsc + v->tsc_offset;
    return tsc;
}

/* --- events --- */

static uint32_t event_info(unsigned vector, enum event_type type, bool has_error)
{
    return (vector & 0xffu) | (uint32_t)type << 8 | (has_error ? INTR_INFO_DELIVER_CODE : 0) |
           INTR_INFO_VALID;
}

bool vmx_nonroot_event(struct cpu *cpu, unsigned vector, unsigned type, bool has_error,
                       uint32_t error_code, uint64_t return_rip)
{
    struct vmx_cpu *vx = cpu->vmx;
    struct vmcs *v = cur(cpu);
    if (!vx || !v)
        return false;
    bool software = type == EV_SWINT || type == EV_SWEXC || type == EV_PRIVSW;
    /* SDM 26.6.1: the event injected by VM entry is not subject to the
     * exception bitmap; a fault while delivering it is. */
    bool injected = vx->injecting && cpu->delivering_vector < 0;
    /* An exception raised by an IRET that removed NMI blocking: the IRET is
     * over either way, and the blocking stays removed (SDM Vol.3A 6.7.1,
     * Vol.3C 25.3). */
    bool iret_unblocked = vx->iret_unblocked_nmi;
    vx->iret_unblocked_nmi = false;
    /* A #DF here comes from a nested exception (cpu_deliver_event, SDM
     * Vol.3A table 6-5). If it exits, the exit is not "during event
     * delivery" (SDM 27.2.4: "the original event results in a double-fault
     * exception that causes the VM exit directly"): no IDT-vectoring
     * information. */
    bool converted_df = type == EV_HWEXC && vector == EXC_DF && cpu->delivering_vector >= 0;
    if (!injected && (type == EV_HWEXC || type == EV_SWEXC || type == EV_PRIVSW) &&
        vmx_l1_wants_exception(v, vector, error_code)) {
        struct vmx_exit_info info = {
            .valid = EXITINFO_INTR,
            .intr_info = event_info(vector, type, has_error),
            .intr_error = has_error ? error_code : 0,
        };
        /* SDM 27.2.2: bit 12, "NMI unblocking due to IRET", for a fault of
         * an IRET that removed (virtual-)NMI blocking. */
        if (iret_unblocked)
            info.intr_info |= INTR_INFO_NMI_UNBLOCK;
        uint64_t qual = 0;
        if (vector == EXC_DB && type == EV_HWEXC) {
            /* SDM 27.1, 27.2.1 table 27-1: DR6 and DR7 are left alone; the
             * qualification carries what DR6 would have received. */
            qual = debug_exit_qualification(cpu);
        }
        if (vector == EXC_PF) {
            /* SDM 27.1: the qualification carries the address; CR2 keeps
             * its old value. */
            qual = cpu->cr2;
            cpu->cr2 = vx->cr2_before_pf;
        }
        if (software) {
            info.valid |= EXITINFO_INSN_LEN;
            info.insn_len = (uint32_t)(return_rip - cpu->rip);
        }
        nr_exit(cpu, EXIT_REASON_EXCEPTION_NMI, qual, &info, !converted_df);
        return true;
    }
    vx->mtf_event = true;
    /* The event now being delivered, for an exit during its delivery (SDM
     * 27.2.4). For an injected software event the length is the VM-entry
     * instruction length (return_rip is RIP plus that length). */
    vx->delivering_info = event_info(vector, type, has_error);
    vx->delivering_error = has_error ? error_code : 0;
    vx->delivering_len = software ? (uint32_t)(return_rip - cpu->rip) : 0;
    /* SDM 27.1: when an event's delivery ends in a VM exit "there is no
     * blocking by STI or by MOV SS when the VM exit commences" (26.6.1:
     * nor after a vectoring VM entry). */
    cpu->irq_shadow = false;
    /* SDM 27.1: an NMI whose delivery is cut short by a VM exit (an
     * exception, EPT violation, task switch, APIC access during it) has
     * already blocked further NMIs: the exit saves blocking by NMI. With
     * virtual NMIs an NMI reaching here was injected, and VM entry set
     * virtual-NMI blocking. */
    if (type == EV_NMI && !vmx_ctl_virtual_nmis(v))
        cpu->nmi_blocked = true;
    return false;
}

void vmx_nonroot_triple_fault(struct cpu *cpu)
{
    if (!cpu->vmx || !cur(cpu))
        return;
    nr_exit(cpu, EXIT_REASON_TRIPLE_FAULT, 0, NULL, false);
}

static bool intr_line(struct cpu *cpu)
{
    if (cpu->intr_pending)
        return cpu->intr_pending(cpu);
    return cpu->lapic && lapic_intr_pending(cpu->lapic);
}

static int intr_acknowledge(struct cpu *cpu)
{
    if (cpu->intr_ack)
        return cpu->intr_ack(cpu);
    return cpu->lapic ? lapic_ack(cpu->lapic) : -1;
}

/* SDM 25.5.1: the timer counts down at TSC >> IA32_VMX_MISC[4:0] from the
 * value loaded at VM entry. */
static uint64_t timer_elapsed(const struct cpu *cpu)
{
    unsigned rate = (unsigned)(cpu->vmx->caps.misc & 0x1f);
    return (cpu_tsc(cpu) >> rate) - (cpu->vmx->timer_entry_tsc >> rate);
}

/* NMI exiting is on and NMIs are not blocked. SDM 26.6.1: without virtual
 * NMIs, blocking by NMI loaded by VM entry "remains in effect as long as
 * the logical processor is in VMX non-root operation" (IRET leaves it
 * alone, 25.3), so it holds NMI VM exits back; with virtual NMIs, NMIs are
 * not blocked in non-root operation (the blocking bit is virtual). */
static bool nmi_exit_unblocked(const struct cpu *cpu, const struct vmcs *v)
{
    return vmx_ctl_nmi_exiting(v) && (vmx_ctl_virtual_nmis(v) || !cpu->nmi_blocked);
}

bool vmx_nonroot_events(struct cpu *cpu)
{
    struct vmx_cpu *vx = cpu->vmx;
    struct vmcs *v = cur(cpu);
    if (!vx || !v)
        return false;
    if (vx->injecting && cpu->delivering_vector < 0)
        vx->injecting = false; /* the injected event was delivered */
    bool shadow = cpu->irq_shadow && cpu->rip == cpu->irq_shadow_rip;
    bool movss = shadow && cpu->irq_shadow_movss;

    if (vx->trap_exit_pending) {
        vx->trap_exit_pending = false;
        nr_exit(cpu, vx->trap_exit_reason, vx->trap_exit_qual, NULL, false);
        return true;
    }
    /* SDM 25.2: INIT exits at the next instruction boundary (Vol.3A table
     * 6-2 ranks it above traps, NMIs and interrupts), not only when the
     * machine loop next looks at INIT/SIPI. */
    if (cpu->init_pending)
        return vmx_nonroot_init_sipi(cpu);
    if (vx->mtf_injected) {
        vx->mtf_injected = false;
        nr_exit(cpu, EXIT_REASON_MONITOR_TRAP_FLAG, 0, NULL, false);
        return true;
    }
    if (vmx_ctl_monitor_trap_flag(v)) {
        /* SDM 25.5.2: after one instruction, or an event delivered. */
        if (vx->mtf_icount == ~0ull) {
            /* First boundary after the entry: one instruction per block
             * from here, so that the exit comes after each. (Armed here,
             * not at entry, so a failed entry leaves nothing behind.) */
            vx->mtf_icount = cpu->icount;
            vx->mtf_saved_single_step = cpu->single_step;
            cpu->single_step = true;
        }
        if (vx->mtf_event || cpu->icount != vx->mtf_icount) {
            nr_exit(cpu, EXIT_REASON_MONITOR_TRAP_FLAG, 0, NULL, false);
            return true;
        }
    }
    if (vmx_ctl_preemption_timer(v) && timer_elapsed(cpu) >= v->vmx_preemption_timer_value) {
        nr_exit(cpu, EXIT_REASON_PREEMPTION_TIMER, 0, NULL, false);
        return true;
    }
    if (cpu->shutdown || cpu->wait_for_sipi)
        return false;
    if (cpu->nmi_pending && nmi_exit_unblocked(cpu, v) && !movss) {
        /* SDM 25.2: with NMI exiting, an NMI is a VM exit. */
        cpu->nmi_pending = false;
        struct vmx_exit_info info = {.valid = EXITINFO_INTR,
                                     .intr_info = event_info(EXC_NMI, EV_NMI, false)};
        nr_exit(cpu, EXIT_REASON_EXCEPTION_NMI, 0, &info, false);
        /* SDM 27.1: "An NMI causes subsequent NMIs to be blocked, but only
         * after the VM exit completes": the host's next IRET ends it. */
        cpu->nmi_blocked = true;
        return true;
    }
    bool nmi_blocked = vmx_ctl_virtual_nmis(v) ? vx->virtual_nmi_blocked : cpu->nmi_blocked;
    if (vmx_ctl_nmi_window_exiting(v) && !nmi_blocked && !shadow) {
        nr_exit(cpu, EXIT_REASON_NMI_WINDOW, 0, NULL, false);
        return true;
    }
    /* SDM 25.3: with external-interrupt exiting, RFLAGS.IF does not block
     * external interrupts. */
    if (vmx_ctl_extint_exiting(v) && !shadow && intr_line(cpu)) {
        struct vmx_exit_info info = {0};
        if (vmx_ctl_ack_intr_on_exit(v)) {
            int vec = intr_acknowledge(cpu);
            if (vec < 0)
                return false;
            if (vmx_apicv_posted(cpu, (unsigned)vec)) {
                vmx_apicv_deliver(cpu, shadow);
                return true;
            }
            info.valid = EXITINFO_INTR;
            info.intr_info = event_info((unsigned)vec, EV_EXTINT, false);
        }
        nr_exit(cpu, EXIT_REASON_EXTERNAL_INTERRUPT, 0, &info, false);
        return true;
    }
    if (vmx_ctl_intr_window_exiting(v) && (cpu->rflags & F_IF) && !shadow) {
        nr_exit(cpu, EXIT_REASON_INTERRUPT_WINDOW, 0, NULL, false);
        return true;
    }
    return vmx_apicv_deliver(cpu, shadow);
}

bool vmx_nonroot_wakeable(struct cpu *cpu)
{
    struct vmcs *v = cur(cpu);
    if (!cpu->vmx || !v)
        return false;
    if (vmx_ctl_preemption_timer(v) && timer_elapsed(cpu) >= v->vmx_preemption_timer_value)
        return true;
    if (cpu->nmi_pending && nmi_exit_unblocked(cpu, v))
        return true;
    /* SDM 26.7.5/26.7.6: open interrupt and NMI windows exit also from the
     * HLT state a VM entry loaded. */
    bool shadow = cpu->irq_shadow && cpu->rip == cpu->irq_shadow_rip;
    bool nmi_blocked = vmx_ctl_virtual_nmis(v) ? cpu->vmx->virtual_nmi_blocked : cpu->nmi_blocked;
    if (!shadow && ((vmx_ctl_intr_window_exiting(v) && (cpu->rflags & F_IF)) ||
                    (vmx_ctl_nmi_window_exiting(v) && !nmi_blocked)))
        return true;
    return (vmx_ctl_extint_exiting(v) && intr_line(cpu)) || vmx_apicv_pending(cpu);
}

bool vmx_nonroot_may_wake_later(struct cpu *cpu)
{
    struct vmcs *v = cur(cpu);
    if (!cpu->vmx || !v)
        return false;
    return vmx_ctl_preemption_timer(v) || vmx_ctl_extint_exiting(v);
}

bool vmx_nonroot_init_sipi(struct cpu *cpu)
{
    if (!cpu->vmx || !cpu->vmx->vmxon)
        return false;
    /* SDM 23.8 "Restrictions on VMX Operation": INIT is blocked in VMX
     * root operation; it stays pending until VMXOFF or a VM entry (where
     * it exits). */
    if (!cpu->vmx_nonroot)
        return cpu->init_pending;
    if (!cur(cpu))
        return false;
    if (cpu->init_pending) {
        cpu->init_pending = false;
        nr_exit(cpu, EXIT_REASON_INIT_SIGNAL, 0, NULL, false);
        return true;
    }
    if (cpu->sipi_pending && cpu->wait_for_sipi) {
        cpu->sipi_pending = false;
        nr_exit(cpu, EXIT_REASON_SIPI_SIGNAL, cpu->sipi_vector, NULL, false);
        return true;
    }
    return false;
}

void vmx_nonroot_task_switch(struct cpu *cpu, uint16_t sel, unsigned ts_reason)
{
    if (!cpu->vmx || !cur(cpu))
        return;
    /* Qualification (SDM 27.2.1 table 27-2): selector 15:0, source 31:30
     * (0 CALL, 1 IRET, 2 JMP, 3 task gate in the IDT). */
    static const unsigned source[] = {[TS_JMP] = 2, [TS_CALL] = 0, [TS_IRET] = 1, [TS_INT] = 3};
    uint64_t qual = sel | (uint64_t)source[ts_reason & 3] << 30;
    struct vmx_exit_info info = {0};
    if (ts_reason != TS_INT && cpu->cur_insn) {
        info.valid = EXITINFO_INSN_LEN;
        info.insn_len = cpu->cur_insn->len;
    }
    vmx_nonroot_exit_unwind(cpu, EXIT_REASON_TASK_SWITCH, qual, &info);
}

void vmx_nonroot_iret_begin(struct cpu *cpu)
{
    struct vmx_cpu *vx = cpu->vmx;
    struct vmcs *v = cur(cpu);
    if (!vx || !v)
        return;
    /* SDM 25.3 IRET: virtual NMIs: IRET ends virtual-NMI blocking; NMI
     * exiting without them: NMI blocking is left alone; neither: IRET
     * unblocks NMIs as usual. "This occurs even if IRET causes a fault". */
    if (vmx_ctl_virtual_nmis(v)) {
        vx->iret_unblocked_nmi = vx->virtual_nmi_blocked;
        vx->virtual_nmi_blocked = false;
    } else if (!vmx_ctl_nmi_exiting(v)) {
        vx->iret_unblocked_nmi = cpu->nmi_blocked;
        cpu->nmi_blocked = false;
    } else {
        vx->iret_unblocked_nmi = false;
    }
}

void vmx_nonroot_iret_end(struct cpu *cpu)
{
    if (cpu->vmx)
        cpu->vmx->iret_unblocked_nmi = false;
}

/* A VM exit in the middle of an IRET that removed (virtual-)NMI blocking.
 * SDM 27.1: for a fault (exception bitmap), EPT violation, EPT
 * misconfiguration or PML-full exit the blocking stays removed, and
 * 27.2.1/27.2.2 record that in bit 12 of the qualification (EPT violation,
 * PML full) or of the VM-exit interruption information (the caller, for
 * exceptions). Other exits in the middle of IRET (a task switch through
 * the back link, an APIC access) are not in that list: they happen before
 * IRET takes effect, so the blocking is put back. */
static uint64_t iret_exit_fixup(struct cpu *cpu, uint32_t reason, uint64_t qual)
{
    struct vmx_cpu *vx = cpu->vmx;
    if (!vx->iret_unblocked_nmi)
        return qual;
    vx->iret_unblocked_nmi = false;
    switch (reason) {
    case EXIT_REASON_EPT_VIOLATION:
    case EXIT_REASON_PML_FULL:
        return qual | QUAL_NMI_UNBLOCK_IRET;
    case EXIT_REASON_EPT_MISCONFIG:
    case EXIT_REASON_EXCEPTION_NMI:
        return qual;
    default:
        break;
    }
    const struct vmcs *v = cur(cpu);
    if (v && vmx_ctl_virtual_nmis(v))
        vx->virtual_nmi_blocked = true;
    else
        cpu->nmi_blocked = true;
    return qual;
}

void vmx_nonroot_note_pf(struct cpu *cpu)
{
    if (cpu->vmx)
        cpu->vmx->cr2_before_pf = cpu->cr2;
}

void vmx_nonroot_preemption_wake(void *opaque, uint64_t now_ns)
{
    (void)opaque;
    (void)now_ns;
}

/* Arm vx->preemption_wake at the TSC value where the timer reaches 0: it
 * decrements each time TSC bit `rate` changes (SDM 25.5.1). */
static void arm_preemption_wake(struct cpu *cpu, const struct vmcs *v)
{
    struct vmx_cpu *vx = cpu->vmx;
    if (!cpu->bus.clock || !v || !vmx_ctl_preemption_timer(v))
        return;
    unsigned rate = (unsigned)(vx->caps.misc & 0x1f);
    uint64_t expiry = ((vx->timer_entry_tsc >> rate) + v->vmx_preemption_timer_value) << rate;
    timer_arm(cpu->bus.clock, &vx->preemption_wake, cpu_tsc_deadline_ns(cpu, expiry));
}

void vmx_nonroot_entered(struct cpu *cpu)
{
    struct vmx_cpu *vx = cpu->vmx;
    vx->ple.started = false;
    vx->timer_entry_tsc = cpu_tsc(cpu);
    arm_preemption_wake(cpu, cur(cpu));
    vx->delivering_info = 0;
    vx->iret_unblocked_nmi = false;
    vx->trap_exit_pending = false;
    vmx_apicv_entered(cpu);
    vx->mtf_icount = ~0ull;
    vx->mtf_event = false;
    const struct vmcs *v = cur(cpu);
    vx->mtf_injected = v && (v->vm_entry_intr_info_field & INTR_INFO_VALID) &&
                       INTR_INFO_TYPE(v->vm_entry_intr_info_field) == INTR_TYPE_OTHER;
}

void vmx_nonroot_leaving(struct cpu *cpu)
{
    if (cpu->bus.clock)
        timer_disarm(cpu->bus.clock, &cpu->vmx->preemption_wake);
    vmx_tlb_save_guest(cpu);
    struct vmcs *v = cur(cpu);
    if (v && vmx_ctl_monitor_trap_flag(v) && cpu->vmx->mtf_icount != ~0ull)
        cpu->single_step = cpu->vmx->mtf_saved_single_step;
    if (!v || !vmx_ctl_preemption_timer(v) || !vmx_ctl_save_preemption_timer(v))
        return;
    /* SDM 27.3.4: the value the timer had counted down to. */
    uint64_t e = timer_elapsed(cpu);
    v->vmx_preemption_timer_value =
        e >= v->vmx_preemption_timer_value ? 0 : (uint32_t)(v->vmx_preemption_timer_value - e);
}

_Noreturn void vmx_nonroot_exit_unwind(struct cpu *cpu, uint32_t reason, uint64_t qualification,
                                       const struct vmx_exit_info *info)
{
    struct vmx_exit_info copy = info ? *info : (struct vmx_exit_info){0};
    nr_exit(cpu, reason, qualification, &copy, true);
    vmx_nonroot_unwind(cpu);
}

_Noreturn void vmx_nonroot_unwind(struct cpu *cpu)
{
    /* Leave the handler without an exception to deliver: the dispatch
     * loop continues at the host RIP. */
    cpu->exc_vector = -1;
    longjmp(cpu->exc_jmp, 1);
}

/* The VMX instructions (SDM Vol.3C chapter 30 "VMX Instruction Reference";
 * section numbers here follow the 2016-2022 editions): VMXON, VMXOFF,
 * VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT,
 * INVVPID, VMCALL, VMFUNC, and VMCS shadowing for VMREAD/VMWRITE in
 * non-root operation (SDM 24.10, 25.1.3). */
#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"
#include "cpu/operands.h"
#include "mmu/physmem.h"
#include "vmx_emul/vmcs_cache.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"
#include "vmx_emul/vmx_internal.h"
#include "vmx_emul/vmx_tlb.h"

/* SDM 30.2: VMsucceed clears CF, PF, AF, ZF, SF, OF; VMfailInvalid sets CF;
 * VMfailValid sets ZF and records the error in the current VMCS. */
void vmx_succeed(struct cpu *cpu)
{
    cpu->rflags &= ~(uint64_t)F_ARITH;
}

void vmx_fail_invalid(struct cpu *cpu)
{
    cpu->rflags = (cpu->rflags & ~(uint64_t)F_ARITH) | F_CF;
}

void vmx_fail_valid(struct cpu *cpu, unsigned error)
{
    cpu->rflags = (cpu->rflags & ~(uint64_t)F_ARITH) | F_ZF;
    struct vmcs *v = vmx_current_vmcs(cpu);
    if (v)
        v->vm_instruction_error = error;
}

void vmx_fail(struct cpu *cpu, unsigned error)
{
    if (vmx_current_vmcs(cpu))
        vmx_fail_valid(cpu, error);
    else
        vmx_fail_invalid(cpu);
}

uint32_t vmx_insn_info_mem(const struct insn *in, int reg2)
{
    uint32_t info = in->scale & 3u;
    info |= (uint32_t)(in->addrsize == 2 ? 0 : in->addrsize == 4 ? 1 : 2) << 7;
    info |= (uint32_t)(in->seg & 7) << 15;
    if (in->index == NO_REG)
        info |= 1u << 22;
    else
        info |= (uint32_t)(in->index & 15) << 18;
    if (in->base == NO_REG)
        info |= 1u << 27;
    else
        info |= (uint32_t)(in->base & 15) << 23;
    if (reg2 >= 0)
        info |= (uint32_t)(reg2 & 15) << 28;
    return info;
}

/* The exit qualification of VMX instructions with a memory operand is the
 * instruction's displacement, sign-extended to 64 bits (SDM 27.2.1); 0 for
 * register operands. */
static uint64_t insn_displacement(const struct insn *in)
{
    return in->mod == 3 ? 0 : (uint64_t)(int64_t)in->disp;
}

/* SDM 30.3, first lines of every VMX instruction but VMXON/VMCALL/VMFUNC:
 * #UD outside VMX operation, in real mode, virtual-8086 mode and
 * compatibility mode. Returns the vCPU's VMX state. */
static struct vmx_cpu *vmx_insn_ud_checks(struct cpu *cpu)
{
    if (!vmx_available(cpu) || !vmx_in_operation(cpu))
        raise_ud(cpu);
    if (cpu->mode == MODE_REAL || cpu->mode == MODE_V86 || cpu->mode == MODE_COMPAT)
        raise_ud(cpu);
    return cpu->vmx;
}

/* Unconditional exit of a VMX instruction in non-root operation, with the
 * instruction information of its memory operand when it has one. */
static void exit_vmx_insn(struct cpu *cpu, const struct insn *in, uint32_t reason, int reg2)
{
    bool has_info = in->mod != 3 || reg2 >= 0;
    vmx_exit_insn(cpu, in, reason, insn_displacement(in),
                  in->mod != 3 ? vmx_insn_info_mem(in, reg2) : 0, has_info);
}

static uint64_t read_m64(struct cpu *cpu, const struct insn *in)
{
    return mem_read(cpu, in->seg, insn_ea(cpu, in), 8);
}

/* SDM 30.3 VMXON. */
void op_vmxon(struct cpu *cpu, const struct insn *in)
{
    if (!vmx_available(cpu))
        raise_ud(cpu);
    if (!(cpu->cr0 & CR0_PE) || !(cpu->cr4 & CR4_VMXE) || cpu->mode == MODE_V86 ||
        cpu->mode == MODE_COMPAT)
        raise_ud(cpu);
    struct vmx_cpu *v = vmx_get(cpu);
    if (!v)
        raise_ud(cpu);
    if (v->vmxon) {
        if (cpu->vmx_nonroot) {
            exit_vmx_insn(cpu, in, EXIT_REASON_VMXON, -1);
            return;
        }
        if (cpu->cpl > 0)
            raise_gp(cpu, 0);
        vmx_fail(cpu, VMXERR_VMXON_IN_ROOT);
        return;
    }
    const struct vmx_caps *c = &v->caps;
    bool a20m = cpu->bus.a20 && !*cpu->bus.a20;
    bool cr_ok = (cpu->cr0 & c->cr0_fixed0) == c->cr0_fixed0 && !(cpu->cr0 & ~c->cr0_fixed1) &&
                 (cpu->cr4 & c->cr4_fixed0) == c->cr4_fixed0 && !(cpu->cr4 & ~c->cr4_fixed1);
    /* IA32_FEATURE_CONTROL (SDM 23.7): locked, and VMX outside SMX enabled
     * (turtles has no SMX). */
    if (cpu->cpl > 0 || a20m || !cr_ok || !(cpu->feature_control & FEATURE_CONTROL_LOCKED) ||
        !(cpu->feature_control & FEATURE_CONTROL_VMX))
        raise_gp(cpu, 0);
    uint64_t addr = read_m64(cpu, in);
    if (!vmx_page_addr_ok(cpu, addr)) {
        vmx_fail_invalid(cpu);
        return;
    }
    uint32_t rev = (uint32_t)physmem_read(cpu->bus.mem, addr, 4);
    if (rev != (uint32_t)(c->basic & 0x7fffffffu)) {
        vmx_fail_invalid(cpu); /* also for bit 31 set: a VMXON region is no shadow */
        return;
    }
    v->vmxon = true;
    v->vmxon_ptr = addr;
    v->current_vmcs_ptr = VMCS_PTR_INVALID;
    v->current_slot = -1;
    vmx_succeed(cpu);
    cpu->stop_block = true;
}

/* The common start of the VMX instructions other than VMXON (SDM Vol.3C
 * chapter 30, each instruction's "Operation"): #UD outside VMX operation,
 * then a VM exit in non-root (NULL is returned: the caller stops), then
 * #GP(0) above CPL 0. `reg` is the register operand for the instruction-
 * information field, or -1. */
static struct vmx_cpu *vmx_root_insn_checks(struct cpu *cpu, const struct insn *in,
                                            uint32_t reason, int reg)
{
    struct vmx_cpu *v = vmx_insn_ud_checks(cpu);
    if (cpu->vmx_nonroot) {
        exit_vmx_insn(cpu, in, reason, reg);
        return NULL;
    }
    if (cpu->cpl > 0)
        raise_gp(cpu, 0);
    return v;
}

/* SDM 30.3 VMXOFF. */
void op_vmxoff(struct cpu *cpu, const struct insn *in)
{
    struct vmx_cpu *v = vmx_root_insn_checks(cpu, in, EXIT_REASON_VMXOFF, -1);
    if (!v)
        return;
    /* Software should VMCLEAR first; turtles keeps the data anyway, in the
     * regions, with launched VMCSs marked for error 6. */
    vmcs_cache_flush_all(cpu);
    /* Leaving VMX operation: no guest translation may survive into a later
     * VMXON with a reused VPID/EPTP (SDM Vol.3C 28.3.3.1 / 29.4.3.1). */
    vmx_tlb_drop_guests(cpu);
    v->vmxon = false;
    v->vmxon_ptr = VMCS_PTR_INVALID;
    v->current_vmcs_ptr = VMCS_PTR_INVALID;
    vmx_succeed(cpu);
    cpu->stop_block = true;
    /* An INIT held while in VMX operation (SDM 23.8) is taken right after
     * VMXOFF: end the turn so that the machine loop processes it. */
    if (cpu->init_pending)
        cpu->quantum_end = cpu->icount;
}

/* SDM 30.3 VMCLEAR. */
void op_vmclear(struct cpu *cpu, const struct insn *in)
{
    struct vmx_cpu *v = vmx_root_insn_checks(cpu, in, EXIT_REASON_VMCLEAR, -1);
    if (!v)
        return;
    uint64_t addr = read_m64(cpu, in);
    if (!vmx_page_addr_ok(cpu, addr)) {
        vmx_fail(cpu, VMXERR_VMCLEAR_INVALID_ADDRESS);
        return;
    }
    if (addr == v->vmxon_ptr) {
        vmx_fail(cpu, VMXERR_VMCLEAR_VMXON_POINTER);
        return;
    }
    vmcs_cache_clear(cpu, addr);
    if (addr == v->current_vmcs_ptr) {
        v->current_vmcs_ptr = VMCS_PTR_INVALID;
        v->current_slot = -1;
    }
    vmx_succeed(cpu);
}

/* SDM 30.3 VMPTRLD. */
void op_vmptrld(struct cpu *cpu, const struct insn *in)
{
    struct vmx_cpu *v = vmx_root_insn_checks(cpu, in, EXIT_REASON_VMPTRLD, -1);
    if (!v)
        return;
    uint64_t addr = read_m64(cpu, in);
    if (!vmx_page_addr_ok(cpu, addr)) {
        vmx_fail(cpu, VMXERR_VMPTRLD_INVALID_ADDRESS);
        return;
    }
    if (addr == v->vmxon_ptr) {
        vmx_fail(cpu, VMXERR_VMPTRLD_VMXON_POINTER);
        return;
    }
    uint32_t rev = (uint32_t)physmem_read(cpu->bus.mem, addr, 4);
    bool shadow_ok = (v->caps.procbased2 >> 32) & CPU2_VMCS_SHADOWING;
    if ((rev & 0x7fffffffu) != (uint32_t)(v->caps.basic & 0x7fffffffu) ||
        ((rev >> 31) && !shadow_ok)) {
        vmx_fail(cpu, VMXERR_VMPTRLD_INCORRECT_REVISION);
        return;
    }
    int slot = vmcs_cache_load(cpu, addr);
    v->cache[slot].revision = rev;
    v->current_vmcs_ptr = addr;
    v->current_slot = slot;
    vmx_succeed(cpu);
}

/* SDM 30.3 VMPTRST. */
void op_vmptrst(struct cpu *cpu, const struct insn *in)
{
    struct vmx_cpu *v = vmx_root_insn_checks(cpu, in, EXIT_REASON_VMPTRST, -1);
    if (!v)
        return;
    mem_write(cpu, in->seg, insn_ea(cpu, in), v->current_vmcs_ptr, 8);
    vmx_succeed(cpu);
}

/* VMREAD/VMWRITE in non-root operation (SDM 25.1.3): with VMCS shadowing,
 * a field whose bit in the VMREAD/VMWRITE bitmap is 0 is accessed in the
 * shadow VMCS (the VMCS link pointer) without an exit. */
static bool shadow_access_exits(struct cpu *cpu, uint64_t encoding, uint64_t bitmap_addr)
{
    const struct vmcs *cur = vmx_current_vmcs(cpu);
    if (!cur || !vmx_ctl_vmcs_shadowing(cur))
        return true;
    if (encoding >> 15)
        return true;
    uint8_t byte = (uint8_t)physmem_read(cpu->bus.mem, bitmap_addr + (encoding >> 3), 1);
    return (byte >> (encoding & 7)) & 1;
}

/* The VMCS that VMREAD/VMWRITE address: the current VMCS in root operation,
 * the shadow VMCS (link pointer) in non-root. NULL: VMfailInvalid. */
static struct vmcs *accessed_vmcs(struct cpu *cpu)
{
    if (!cpu->vmx_nonroot)
        return vmx_current_vmcs(cpu);
    const struct vmcs *cur = vmx_current_vmcs(cpu);
    if (!cur || cur->vmcs_link_pointer == VMCS_PTR_INVALID)
        return NULL;
    int slot = vmcs_cache_load(cpu, cur->vmcs_link_pointer);
    return &cpu->vmx->cache[slot].vmcs;
}

static uint32_t insn_info_rw(const struct insn *in)
{
    if (in->mod == 3) {
        /* Register operand: reg1 (6:3), bit 10 set, reg2 (31:28). */
        return ((uint32_t)(in->rm & 15) << 3) | (1u << 10) | ((uint32_t)(in->reg & 15) << 28);
    }
    return vmx_insn_info_mem(in, in->reg);
}

/* SDM 30.3 VMREAD. */
void op_vmread(struct cpu *cpu, const struct insn *in)
{
    vmx_insn_ud_checks(cpu);
    unsigned size = cpu->mode == MODE_LONG ? 8 : 4;
    uint64_t encoding = reg_read(cpu, in->reg, size, in->rex);
    if (cpu->vmx_nonroot &&
        shadow_access_exits(cpu, encoding, vmx_current_vmcs(cpu)->vmread_bitmap)) {
        vmx_exit_insn(cpu, in, EXIT_REASON_VMREAD, insn_displacement(in), insn_info_rw(in),
                      true);
        return;
    }
    if (cpu->cpl > 0)
        raise_gp(cpu, 0);
    struct vmcs *v = accessed_vmcs(cpu);
    if (!v) {
        vmx_fail_invalid(cpu);
        return;
    }
    bool high = false;
    const struct vmcs_field *f = vmcs_field_lookup(encoding, &high);
    if (!f) {
        vmx_fail_valid(cpu, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
        return;
    }
    uint64_t value = vmcs_field_get(v, f, high);
    if (in->mod == 3)
        reg_write(cpu, in->rm, size, in->rex, value);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), value & size_mask(size), size);
    vmx_succeed(cpu);
}

/* SDM 30.3 VMWRITE. */
void op_vmwrite(struct cpu *cpu, const struct insn *in)
{
    struct vmx_cpu *vx = vmx_insn_ud_checks(cpu);
    unsigned size = cpu->mode == MODE_LONG ? 8 : 4;
    uint64_t encoding = reg_read(cpu, in->reg, size, in->rex);
    if (cpu->vmx_nonroot &&
        shadow_access_exits(cpu, encoding, vmx_current_vmcs(cpu)->vmwrite_bitmap)) {
        vmx_exit_insn(cpu, in, EXIT_REASON_VMWRITE, insn_displacement(in), insn_info_rw(in),
                      true);
        return;
    }
    if (cpu->cpl > 0)
        raise_gp(cpu, 0);
    uint64_t value = in->mod == 3 ? reg_read(cpu, in->rm, size, in->rex)
                                  : mem_read(cpu, in->seg, insn_ea(cpu, in), size);
    struct vmcs *v = accessed_vmcs(cpu);
    if (!v) {
        vmx_fail_invalid(cpu);
        return;
    }
    bool high = false;
    const struct vmcs_field *f = vmcs_field_lookup(encoding, &high);
    if (!f) {
        vmx_fail_valid(cpu, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
        return;
    }
    /* IA32_VMX_MISC bit 29 says whether exit-information fields are
     * writable (SDM A.6). */
    if (f->type == VMCS_TYPE_EXIT_INFO && !((vx->caps.misc >> 29) & 1)) {
        vmx_fail_valid(cpu, VMXERR_VMWRITE_READ_ONLY_COMPONENT);
        return;
    }
    vmcs_field_set(v, f, high, value);
    vmx_succeed(cpu);
}

static void launch_or_resume(struct cpu *cpu, const struct insn *in, bool launch)
{
    struct vmx_cpu *v = vmx_insn_ud_checks(cpu);
    if (cpu->vmx_nonroot) {
        exit_vmx_insn(cpu, in, launch ? EXIT_REASON_VMLAUNCH : EXIT_REASON_VMRESUME, -1);
        return;
    }
    if (cpu->cpl > 0)
        raise_gp(cpu, 0);
    /* SDM 26.1 basic VM-entry checks. A shadow VMCS cannot be entered. */
    if (v->current_slot < 0 || (v->cache[v->current_slot].revision >> 31)) {
        vmx_fail_invalid(cpu);
        return;
    }
    /* Blocking by MOV SS (error 26). */
    if (cpu->irq_shadow && cpu->irq_shadow_rip == cpu->rip && cpu->irq_shadow_movss) {
        vmx_fail_valid(cpu, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
        return;
    }
    uint8_t ls = v->cache[v->current_slot].launch_state;
    if (launch && ls != VMCS_CLEAR) {
        vmx_fail_valid(cpu, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
        return;
    }
    if (!launch && ls == VMCS_LAUNCHED_BEFORE_VMXOFF) {
        vmx_fail_valid(cpu, VMXERR_VMRESUME_AFTER_VMXOFF);
        return;
    }
    if (!launch && ls != VMCS_LAUNCHED) {
        vmx_fail_valid(cpu, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
        return;
    }
    vmx_vmentry(cpu, launch);
}

/* SDM 30.3 VMLAUNCH/VMRESUME. */
void op_vmlaunch(struct cpu *cpu, const struct insn *in)
{
    launch_or_resume(cpu, in, true);
}

void op_vmresume(struct cpu *cpu, const struct insn *in)
{
    launch_or_resume(cpu, in, false);
}

/* SDM 30.3 VMCALL: an exit in non-root operation from any mode; in root
 * operation without the dual-monitor treatment of SMM it fails. */
void op_vmcall(struct cpu *cpu, const struct insn *in)
{
    if (!vmx_available(cpu) || !vmx_in_operation(cpu))
        raise_ud(cpu);
    if (cpu->vmx_nonroot) {
        vmx_exit_insn(cpu, in, EXIT_REASON_VMCALL, 0, 0, false);
        return;
    }
    if (cpu->mode == MODE_REAL || cpu->mode == MODE_V86 || cpu->mode == MODE_COMPAT)
        raise_ud(cpu);
    if (cpu->cpl > 0)
        raise_gp(cpu, 0);
    vmx_fail(cpu, VMXERR_VMCALL_IN_ROOT);
}

/* SDM 30.3 VMFUNC and 25.5.6.3 (EPTP switching). */
void op_vmfunc(struct cpu *cpu, const struct insn *in)
{
    struct vmcs *v = cpu->vmx_nonroot ? vmx_current_vmcs(cpu) : NULL;
    if (!v || !vmx_ctl_vmfunc(v))
        raise_ud(cpu);
    uint64_t fn = cpu->gpr[R_AX] & 0xffffffffull;
    if (fn > 63 || !((v->vm_function_control >> fn) & 1)) {
        vmx_exit_insn(cpu, in, EXIT_REASON_VMFUNC, 0, 0, false);
        return;
    }
    /* Function 0, EPTP switching: the only one defined. */
    uint64_t index = cpu->gpr[R_CX] & 0xffffffffull;
    if (fn != 0 || index >= 512) {
        vmx_exit_insn(cpu, in, EXIT_REASON_VMFUNC, 0, 0, false);
        return;
    }
    uint64_t eptp = physmem_read(cpu->bus.mem, v->eptp_list_address + index * 8, 8);
    if (!vmx_eptp_valid(cpu, &cpu->vmx->caps, eptp)) {
        vmx_exit_insn(cpu, in, EXIT_REASON_VMFUNC, 0, 0, false);
        return;
    }
    if (eptp != v->ept_pointer) {
        v->ept_pointer = eptp;
        /* The live TLB holds the old EPTP's translations; vmx_tlb.c tags
         * saved contexts by EPTP only at VM entry/exit. Flushing is always
         * correct. */
        tlb_flush_all(&cpu->tlb);
    }
    if (vmx_ctl_ept_violation_ve(v))
        v->eptp_index = (uint16_t)index;
    cpu->stop_block = true;
}

static bool is_canonical48(uint64_t a)
{
    /* bits 63:47 all equal (48-bit linear addresses), without signed shifts */
    uint64_t top = a >> 47;
    return top == 0 || top == 0x1ffff;
}

/* SDM 30.3 INVEPT. */
void op_invept(struct cpu *cpu, const struct insn *in)
{
    if (vmx_available(cpu) && cpu->vmx &&
        !((cpu->vmx->caps.procbased2 >> 32) & CPU2_ENABLE_EPT))
        raise_ud(cpu); /* INVEPT not supported */
    struct vmx_cpu *v = vmx_root_insn_checks(cpu, in, EXIT_REASON_INVEPT, in->reg);
    if (!v)
        return;
    uint64_t type = reg_read(cpu, in->reg, cpu->mode == MODE_LONG ? 8 : 4, in->rex);
    /* IA32_VMX_EPT_VPID_CAP bit 25: single-context, 26: all-context. */
    bool supported = (type == 1 && ((v->caps.ept_vpid_cap >> 25) & 1)) ||
                     (type == 2 && ((v->caps.ept_vpid_cap >> 26) & 1));
    if (!supported) {
        vmx_fail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
        return;
    }
    uint64_t lin = insn_ea(cpu, in);
    uint64_t eptp = mem_read(cpu, in->seg, lin, 8);
    (void)mem_read(cpu, in->seg, lin + 8, 8); /* reserved, but read (may fault) */
    if (type == 1 && !vmx_eptp_valid(cpu, &v->caps, eptp)) {
        vmx_fail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
        return;
    }
    tlb_flush_all(&cpu->tlb);
    vmx_tlb_drop_guests(cpu);
    vmx_succeed(cpu);
}

/* SDM 30.3 INVVPID. */
void op_invvpid(struct cpu *cpu, const struct insn *in)
{
    if (vmx_available(cpu) && cpu->vmx &&
        !((cpu->vmx->caps.procbased2 >> 32) & CPU2_ENABLE_VPID))
        raise_ud(cpu); /* INVVPID not supported */
    struct vmx_cpu *v = vmx_root_insn_checks(cpu, in, EXIT_REASON_INVVPID, in->reg);
    if (!v)
        return;
    uint64_t type = reg_read(cpu, in->reg, cpu->mode == MODE_LONG ? 8 : 4, in->rex);
    /* IA32_VMX_EPT_VPID_CAP bits 40-43: types 0-3. */
    if (type > 3 || !((v->caps.ept_vpid_cap >> (40 + type)) & 1)) {
        vmx_fail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
        return;
    }
    uint64_t ea = insn_ea(cpu, in);
    uint64_t lo = mem_read(cpu, in->seg, ea, 8);
    uint64_t linear = mem_read(cpu, in->seg, ea + 8, 8);
    uint16_t vpid = (uint16_t)lo;
    bool bad = (lo >> 16) != 0 || (type != 2 && vpid == 0) ||
               (type == 0 && !is_canonical48(linear));
    if (bad) {
        vmx_fail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
        return;
    }
    /* No VPID tags yet: invalidating everything is always allowed. */
    tlb_flush_all(&cpu->tlb);
    vmx_tlb_drop_guests(cpu);
    vmx_succeed(cpu);
}

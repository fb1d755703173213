/* The registers gdb sees (see gdb_regs.h): gdb's amd64 numbering, told to
 * gdb by a target description so that it is the same in every CPU mode
 * (QEMU does the same: real-mode guests are shown with 64-bit registers). */
#include "frontend/gdb_regs.h"

#include <stdio.h>
#include <string.h>

#include "cpu/ctrlreg.h"
#include "cpu/debug.h"
#include "cpu/lapic.h"
#include "vmx_emul/vmcs.h"
#include "vmx_emul/vmx.h"

enum {
    REG_RIP = 16, REG_EFLAGS, REG_CS, REG_ST0 = 24, REG_FCTRL = 32, REG_XMM0 = 40,
    REG_MXCSR = 56, REG_FS_BASE, REG_GS_BASE, REG_K_GS_BASE, REG_CR0, REG_CR2, REG_CR3,
    REG_CR4, REG_CR8, REG_EFER, REG_VMX_NONROOT, REG_VMXON_PTR, REG_VMCS_PTR, REG_EPTP
};
_Static_assert(REG_EPTP + 1 == GDB_NREGS, "GDB_NREGS counts the registers");

static const uint8_t gpr_of_reg[16] = {R_AX, R_BX, R_CX, R_DX, R_SI, R_DI, R_BP, R_SP,
                                       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15};
static const uint8_t seg_of_reg[6] = {S_CS, S_SS, S_DS, S_ES, S_FS, S_GS};

unsigned gdb_reg_size(int r)
{
    if (r == REG_VMX_NONROOT)
        return 4;
    if (r < REG_EFLAGS || (r >= REG_FS_BASE && r < GDB_NREGS))
        return 8;
    if (r >= REG_ST0 && r < REG_FCTRL)
        return 10;
    if (r >= REG_XMM0 && r < REG_MXCSR)
        return 16;
    return 4;
}

static void put_le(uint8_t *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* gdb's st0..st7 are the stack registers ST(i), i.e. physical register
 * (TOP + i) mod 8 (SDM Vol.1 8.1.2). */
static struct x87_reg *st_reg(struct cpu *c, int i)
{
    unsigned top = (c->fpu.fsw >> 11) & 7;
    return &c->fpu.st[(top + (unsigned)i) & 7];
}

static uint64_t *sys_reg(struct cpu *c, int r)
{
    switch (r) {
    case REG_FS_BASE: return &c->seg[S_FS].base;
    case REG_GS_BASE: return &c->seg[S_GS].base;
    case REG_K_GS_BASE: return &c->kernel_gs_base;
    case REG_CR0: return &c->cr0;
    case REG_CR2: return &c->cr2;
    case REG_CR3: return &c->cr3;
    case REG_CR4: return &c->cr4;
    case REG_CR8: return &c->cr8;
    default: return &c->efer;
    }
}

/* CR8 is the local APIC's TPR[7:4] when there is one (SDM Vol.3A
 * 10.8.6.1): software may have written the TPR through the APIC page. */
static uint64_t sys_value(struct cpu *c, int r)
{
    if (r == REG_CR8 && c->lapic)
        return (lapic_tpr(c->lapic) >> 4) & 0xf;
    return *sys_reg(c, r);
}

/* The VMX level (org.turtles.x86.vmx): root or non-root, and the VMXON
 * region, current VMCS and its EPT pointer that tell the levels apart
 * (all ones: none, as the SDM's invalid VMCS pointer). */
static uint64_t vmx_reg(const struct cpu *c, int r)
{
    bool on = vmx_in_operation(c);
    const struct vmcs *v = vmx_current_vmcs(c);
    switch (r) {
    case REG_VMX_NONROOT: return c->vmx_nonroot;
    case REG_VMXON_PTR: return on ? c->vmx->vmxon_ptr : ~0ull;
    case REG_VMCS_PTR: return on ? c->vmx->current_vmcs_ptr : ~0ull;
    default: return v ? v->ept_pointer : ~0ull;
    }
}

void gdb_reg_get(struct cpu *c, int r, uint8_t *b)
{
    if (r < 16) {
        put_le(b, c->gpr[gpr_of_reg[r]], 8);
    } else if (r == REG_RIP) {
        put_le(b, c->rip, 8);
    } else if (r == REG_EFLAGS) {
        put_le(b, c->rflags, 4);
    } else if (r < REG_ST0) {
        put_le(b, c->seg[seg_of_reg[r - REG_CS]].sel, 4);
    } else if (r < REG_FCTRL) {
        const struct x87_reg *x = st_reg(c, r - REG_ST0);
        put_le(b, x->mant, 8);
        put_le(b + 8, x->sign_exp, 2);
    } else if (r < REG_XMM0) {
        const struct fpu_state *f = &c->fpu;
        uint64_t v[8] = {f->fcw, f->fsw, f->ftw, f->fcs, f->fip, f->fds, f->fdp, f->fop};
        put_le(b, v[r - REG_FCTRL], 4);
    } else if (r < REG_MXCSR) {
        memcpy(b, c->xmm[r - REG_XMM0].b, 16);
    } else if (r == REG_MXCSR) {
        put_le(b, c->mxcsr, 4);
    } else if (r >= REG_VMX_NONROOT) {
        put_le(b, vmx_reg(c, r), gdb_reg_size(r));
    } else {
        put_le(b, sys_value(c, r), 8);
    }
}

/* CR0, CR3, CR4, CR8 and EFER as MOV CR / WRMSR write them, with their
 * checks and side effects (mode, PDPTEs, TLB, decoded blocks, breakpoints
 * armed by CR4.DE, the local APIC's TPR), but never an exception: a value
 * the CPU would refuse with #GP is refused. Unchanged values are left
 * alone (gdb's G writes every register back). */
static bool set_control(struct cpu *c, int r, uint64_t v)
{
    if (v == sys_value(c, r))
        return true;
    bool ok;
    switch (r) {
    case REG_CR0: ok = cpu_set_cr0(c, v); break;
    case REG_CR3: ok = cpu_set_cr3(c, v); break;
    case REG_CR4: ok = cpu_set_cr4(c, v); break;
    case REG_EFER: ok = cpu_set_efer(c, v); break;
    default: /* CR8: TPR[7:4] (SDM Vol.3A 10.8.6.1) */
        if (v & ~0xfull)
            return false;
        c->cr8 = v;
        if (c->lapic)
            lapic_set_tpr(c->lapic, (uint8_t)(v << 4));
        ok = true;
        break;
    }
    debug_update(c); /* CR4.DE arms or disarms I/O breakpoints */
    c->stop_block = true;
    return ok;
}

bool gdb_reg_set(struct cpu *c, int r, const uint8_t *b)
{
    if (r < 16) {
        c->gpr[gpr_of_reg[r]] = get_le(b, 8);
    } else if (r == REG_RIP) {
        c->rip = get_le(b, 8);
    } else if (r == REG_EFLAGS) {
        /* Bit 1 is always set (SDM Vol.1 3.4.3); VM changes the mode. */
        c->rflags = (get_le(b, 4) & 0x3f7fd5) | 2;
        cpu_update_mode(c);
    } else if (r < REG_ST0) {
        struct segment *s = &c->seg[seg_of_reg[r - REG_CS]];
        uint16_t sel = (uint16_t)get_le(b, 4);
        if (s->sel == sel)
            return true;
        s->sel = sel;
        /* Only real and virtual-8086 mode derive the base from the
         * selector; elsewhere it would take a descriptor load. */
        if (c->mode == MODE_REAL || c->mode == MODE_V86)
            s->base = (uint64_t)sel << 4;
    } else if (r < REG_FCTRL) {
        struct x87_reg *x = st_reg(c, r - REG_ST0);
        x->mant = get_le(b, 8);
        x->sign_exp = (uint16_t)get_le(b + 8, 2);
    } else if (r < REG_XMM0) {
        struct fpu_state *f = &c->fpu;
        uint32_t v = (uint32_t)get_le(b, 4);
        switch (r - REG_FCTRL) {
        case 0: f->fcw = (uint16_t)v; break;
        case 1: f->fsw = (uint16_t)v; break;
        case 2: f->ftw = (uint16_t)v; break;
        case 3: f->fcs = (uint16_t)v; break;
        case 4: f->fip = v; break;
        case 5: f->fds = (uint16_t)v; break;
        case 6: f->fdp = v; break;
        default: f->fop = (uint16_t)(v & 0x7ff); break;
        }
    } else if (r < REG_MXCSR) {
        memcpy(c->xmm[r - REG_XMM0].b, b, 16);
    } else if (r == REG_MXCSR) {
        /* As LDMXCSR: bits past MXCSR_MASK (0xffff, SDM Vol.1 10.2.3.1)
         * would be #GP(0). */
        uint32_t v = (uint32_t)get_le(b, 4);
        if (v & ~0xffffu)
            return false;
        c->mxcsr = v;
    } else if (r == REG_FS_BASE || r == REG_GS_BASE || r == REG_K_GS_BASE || r == REG_CR2) {
        *sys_reg(c, r) = get_le(b, 8);
    } else if (r >= REG_CR0 && r <= REG_EFER) {
        return set_control(c, r, get_le(b, 8));
    }
    return true;
}

/* The target description: gdb's core/sse/segments features (their names
 * and register names are what gdb's amd64 support looks for) and the
 * system registers in a feature of our own. */
static const char target_xml[] =
    "<?xml version=\"1.0\"?>"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\">"
    "<architecture>i386:x86-64</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<flags id=\"i386_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>"
    "</flags>"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "</feature>"
    "<feature name=\"org.gnu.gdb.i386.sse\">"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\">"
    "<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/>"
    "</union>"
    "<flags id=\"i386_mxcsr\" size=\"4\">"
    "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>"
    "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>"
    "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>"
    "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>"
    "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>"
    "</flags>"
    "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/>"
    "<reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>"
    "</feature>"
    "<feature name=\"org.gnu.gdb.i386.segments\">"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\" regnum=\"57\"/>"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>"
    "</feature>"
    "<feature name=\"org.turtles.x86.system\">"
    "<reg name=\"k_gs_base\" bitsize=\"64\" type=\"int\" regnum=\"59\" group=\"system\"/>"
    "<reg name=\"cr0\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr2\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr3\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr4\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"cr8\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "<reg name=\"efer\" bitsize=\"64\" type=\"int\" group=\"system\"/>"
    "</feature>"
    "<feature name=\"org.turtles.x86.vmx\">"
    "<reg name=\"vmx_nonroot\" bitsize=\"32\" type=\"int\" regnum=\"66\" group=\"vmx\"/>"
    "<reg name=\"vmxon_ptr\" bitsize=\"64\" type=\"int\" group=\"vmx\"/>"
    "<reg name=\"vmcs_ptr\" bitsize=\"64\" type=\"int\" group=\"vmx\"/>"
    "<reg name=\"eptp\" bitsize=\"64\" type=\"int\" group=\"vmx\"/>"
    "</feature>"
    "</target>";

const char *gdb_target_xml(size_t *len)
{
    *len = sizeof(target_xml) - 1;
    return target_xml;
}

void gdb_expedited_regs(const struct cpu *c, char *out, size_t size)
{
    /* Register values go in target (little-endian) byte order. */
    snprintf(out, size, "%x:%08x;%x:%016llx;", REG_VMX_NONROOT,
             c->vmx_nonroot ? 0x01000000u : 0u, REG_VMCS_PTR,
             (unsigned long long)__builtin_bswap64(vmx_reg(c, REG_VMCS_PTR)));
}

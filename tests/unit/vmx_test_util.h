/* Helpers for the VMX unit tests: a harness vCPU whose model offers VMX,
 * set up for VMXON (64-bit mode, CR4.VMXE, IA32_FEATURE_CONTROL locked with
 * VMX enabled), and one-instruction execution that reports exceptions. */
#ifndef TURTLES_TESTS_VMX_TEST_UTIL_H
#define TURTLES_TESTS_VMX_TEST_UTIL_H

#include <stdint.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"
#include "tests/unit/harness.h"
#include "tests/unit/sys_test_util.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

#define CODE_ADDR 0x10000u
#define DATA_ADDR 0x9000u
#define VMXON_ADDR 0x100000u
#define VMCS_ADDR 0x101000u
#define VMCS2_ADDR 0x102000u

static struct cpu_model vmx_test_model;

static inline void vmx_harness_init(struct harness *h)
{
    harness_init(h, 64);
    vmx_test_model = *cpu_models[0];
    vmx_test_model.vmx = true;
    vmx_test_model.isa_mask |= 1ull << ISA_VMX;
    h->cpu.model = &vmx_test_model;
    h->cpu.cr4 |= CR4_VMXE;
    h->cpu.feature_control = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX;
}

static inline void vmx_harness_free(struct harness *h)
{
    vmx_cpu_free(&h->cpu);
    harness_free(h);
}

static inline uint32_t vmx_test_revision(struct harness *h)
{
    return (uint32_t)(vmx_get(&h->cpu)->caps.basic & 0x7fffffffu);
}

static bool vmx_test_fetch(void *opaque, uint64_t off, uint8_t *b)
{
    struct harness *h = opaque;
    *b = (uint8_t)physmem_read(&h->mem, off, 1);
    return true;
}

/* Decode and run one instruction at CODE_ADDR (flat code). Returns the
 * exception vector it raised, or -1. RIP advances only without exception
 * (a handler that left to the host RIP has set next_rip itself). */
static inline int vmx_exec(struct harness *h, const uint8_t *code, size_t len)
{
    struct cpu *c = &h->cpu;
    harness_load(h, CODE_ADDR, code, len);
    static struct insn in;
    decode_insn(&in, c->code_size, c->model->isa_mask, vmx_test_fetch, h, CODE_ADDR);
    c->rip = CODE_ADDR;
    c->next_rip = CODE_ADDR + in.len;
    int v;
    TRY_RAISE(c, v, in.fn(c, &in));
    if (v < 0)
        c->rip = c->next_rip;
    return v;
}

#define VMX_EXEC(h, ...) \
    vmx_exec((h), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* The outcome of the last VMX instruction: 0 VMsucceed, -1 VMfailInvalid,
 * else the VM-instruction error of VMfailValid; -2 for an inconsistent
 * flags state. */
static inline int vmx_outcome(struct harness *h)
{
    uint64_t f = h->cpu.rflags & F_ARITH;
    if (f == 0)
        return 0;
    if (f == F_CF)
        return -1;
    if (f == F_ZF) {
        struct vmcs *v = vmx_current_vmcs(&h->cpu);
        return v ? (int)v->vm_instruction_error : -2;
    }
    return -2;
}

/* Memory-operand instructions take [rax] (ModRM 0x30 | reg << 3): the
 * operand qword sits at DATA_ADDR. */
static inline int vmx_mem_insn(struct harness *h, uint8_t prefix, uint8_t reg, uint64_t operand)
{
    put64(h, DATA_ADDR, operand);
    h->cpu.gpr[R_AX] = DATA_ADDR;
    uint8_t code[4];
    size_t n = 0;
    if (prefix)
        code[n++] = prefix;
    code[n++] = 0x0f;
    code[n++] = 0xc7;
    code[n++] = (uint8_t)(0x00 | (reg << 3)); /* mod 00, rm 000 = [rax] */
    return vmx_exec(h, code, n);
}

static inline int do_vmxon(struct harness *h, uint64_t p) { return vmx_mem_insn(h, 0xf3, 6, p); }
static inline int do_vmclear(struct harness *h, uint64_t p) { return vmx_mem_insn(h, 0x66, 6, p); }
static inline int do_vmptrld(struct harness *h, uint64_t p) { return vmx_mem_insn(h, 0, 6, p); }
static inline int do_vmptrst(struct harness *h) { return vmx_mem_insn(h, 0, 7, 0x5a5a5a5a); }

/* VMREAD rbx <- field rcx; VMWRITE field rcx <- rbx. */
static inline int do_vmread(struct harness *h, uint64_t enc, uint64_t *value)
{
    h->cpu.gpr[R_CX] = enc;
    int v = VMX_EXEC(h, 0x0f, 0x78, 0xcb);
    *value = h->cpu.gpr[R_BX];
    return v;
}

static inline int do_vmwrite(struct harness *h, uint64_t enc, uint64_t value)
{
    h->cpu.gpr[R_CX] = enc;
    h->cpu.gpr[R_BX] = value;
    return VMX_EXEC(h, 0x0f, 0x79, 0xcb);
}

static inline int do_vmlaunch(struct harness *h) { return VMX_EXEC(h, 0x0f, 0x01, 0xc2); }
static inline int do_vmresume(struct harness *h) { return VMX_EXEC(h, 0x0f, 0x01, 0xc3); }
static inline int do_vmxoff(struct harness *h) { return VMX_EXEC(h, 0x0f, 0x01, 0xc4); }
static inline int do_vmcall(struct harness *h) { return VMX_EXEC(h, 0x0f, 0x01, 0xc1); }

/* VMXON with a fresh region; VMCLEAR + VMPTRLD of a fresh VMCS at addr. */
static inline void vmx_enter_root(struct harness *h)
{
    physmem_write(&h->mem, VMXON_ADDR, vmx_test_revision(h), 4);
    do_vmxon(h, VMXON_ADDR);
}

static inline void vmx_load_fresh_vmcs(struct harness *h, uint64_t addr)
{
    physmem_write(&h->mem, addr, vmx_test_revision(h), 4);
    do_vmclear(h, addr);
    do_vmptrld(h, addr);
}

/* A VMCS that enters: 64-bit host and guest sharing the harness' page
 * tables, GDT (0x5000), IDT (0x6000), TSS (0x7000) and flat segments. */
static inline void vmx_fill_flat64_vmcs(struct vmcs *v, const struct cpu *c, uint64_t host_rip,
                                        uint64_t host_rsp, uint64_t guest_rip,
                                        uint64_t guest_rsp)
{
    v->vmcs_link_pointer = ~0ull;
    v->pin_based_vm_exec_control = PIN_DEFAULT1;
    v->cpu_based_vm_exec_control = CPU_TRUE_DEFAULT1;
    v->vm_exit_controls = EXIT_TRUE_DEFAULT1 | EXIT_SAVE_DEBUG_CONTROLS |
                          EXIT_HOST_ADDR_SPACE_SIZE;
    v->vm_entry_controls = ENTRY_TRUE_DEFAULT1 | ENTRY_LOAD_DEBUG_CONTROLS |
                           ENTRY_IA32E_MODE_GUEST;
    v->host_cr0 = c->cr0;
    v->host_cr3 = c->cr3;
    v->host_cr4 = c->cr4;
    v->host_cs_selector = 0x08;
    v->host_ss_selector = v->host_ds_selector = v->host_es_selector = 0x10;
    v->host_fs_selector = v->host_gs_selector = 0x10;
    v->host_tr_selector = 0x18;
    v->host_tr_base = 0x7000;
    v->host_gdtr_base = 0x5000;
    v->host_idtr_base = 0x6000;
    v->host_rip = host_rip;
    v->host_rsp = host_rsp;
    v->host_ia32_efer = c->efer;

    v->guest_cr0 = c->cr0;
    v->guest_cr3 = c->cr3;
    v->guest_cr4 = c->cr4;
    v->guest_dr7 = 0x400;
    v->guest_rflags = 2;
    v->guest_rip = guest_rip;
    v->guest_rsp = guest_rsp;
    v->guest_cs_selector = 0x08;
    v->guest_cs_limit = 0xffffffff;
    v->guest_cs_ar_bytes = 0xb | SEG_S | SEG_P | SEG_L | SEG_G;
    uint32_t data_ar = 3 | SEG_S | SEG_P | SEG_DB | SEG_G;
    v->guest_ss_selector = v->guest_ds_selector = v->guest_es_selector = 0x10;
    v->guest_fs_selector = v->guest_gs_selector = 0x10;
    v->guest_ss_limit = v->guest_ds_limit = v->guest_es_limit = 0xffffffff;
    v->guest_fs_limit = v->guest_gs_limit = 0xffffffff;
    v->guest_ss_ar_bytes = v->guest_ds_ar_bytes = v->guest_es_ar_bytes = data_ar;
    v->guest_fs_ar_bytes = v->guest_gs_ar_bytes = data_ar;
    v->guest_ldtr_ar_bytes = SEG_UNUSABLE;
    v->guest_tr_selector = 0x18;
    v->guest_tr_base = 0x7000;
    v->guest_tr_limit = 0x67;
    v->guest_tr_ar_bytes = 0xb | SEG_P;
    v->guest_gdtr_base = 0x5000;
    v->guest_gdtr_limit = 0x1f;
    v->guest_idtr_base = 0x6000;
    v->guest_idtr_limit = 0xfff;
    v->guest_ia32_efer = c->efer;
}

#endif

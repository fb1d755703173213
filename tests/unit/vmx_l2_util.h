/* Shared by the VMX non-root unit tests: a harness vCPU in VMX root
 * operation with a VMCS for a small 64-bit L2 that shares the harness page
 * tables behind an EPT identity map (one 2 MiB hole, one read-only 2 MiB
 * page), launched from L1 code at LAUNCH_ADDR; L1's exit handler at
 * HOST_RIP is a HLT. */
#ifndef TURTLES_TESTS_VMX_L2_UTIL_H
#define TURTLES_TESTS_VMX_L2_UTIL_H

#include "mmu/ept.h"
#include "tests/unit/vmx_test_util.h"
#include "vmx_emul/vmcs.h"
#include "vmx_emul/vmx_tlb.h"

static struct harness h;

#define LAUNCH_ADDR 0x18000u
#define HOST_RIP 0x19000u
#define HOST_RSP 0x70000u
#define GUEST_RIP 0x30000u
#define GUEST_RSP 0x60000u
#define EPT_PML4 0x200000u
#define EPT_PDPT 0x201000u
#define EPT_PD 0x202000u
#define IO_BITMAP_A 0x210000u
#define IO_BITMAP_B 0x211000u
#define MSR_BITMAP 0x212000u
#define VAPIC_PAGE 0x213000u
#define HOLE_GPA 0x600000u /* the 2 MiB page EPT leaves out */

static void setup(void)
{
    vmx_harness_init(&h);
}

static void teardown(void)
{
    vmx_harness_free(&h);
}

/* EPT identity map of the first GiB with 2 MiB WB pages, except HOLE_GPA
 * (not present) and the page above it (read-only). */
static void build_ept(void)
{
    physmem_write(&h.mem, EPT_PML4, EPT_PDPT | 7, 8);
    physmem_write(&h.mem, EPT_PDPT, EPT_PD | 7, 8);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t gpa = i << 21;
        uint64_t e = gpa | EPTE_LARGE | (6u << EPTE_MEMTYPE_SHIFT) | 7;
        if (gpa == HOLE_GPA)
            e = 0;
        else if (gpa == HOLE_GPA + (2u << 20))
            e &= ~(EPTE_W | EPTE_X);
        physmem_write(&h.mem, EPT_PD + i * 8, e, 8);
    }
}

/* A VMCS that enters a 64-bit guest at GUEST_RIP with EPT and VPID on and
 * exits to HOST_RIP, where L1 halts. */
static struct vmcs *guest_vmcs(void)
{
    struct cpu *c = &h.cpu;
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    struct vmcs *v = vmx_current_vmcs(c);
    build_ept();
    vmx_tlb_drop_guests(c); /* what L1's INVEPT after editing EPT does */
    vmx_fill_flat64_vmcs(v, c, HOST_RIP, HOST_RSP, GUEST_RIP, GUEST_RSP);
    v->cpu_based_vm_exec_control |= CPU_SECONDARY_CONTROLS;
    v->secondary_vm_exec_control = CPU2_ENABLE_EPT | CPU2_ENABLE_VPID;
    v->ept_pointer = EPT_PML4 | (3u << 3) | 6u;
    v->vpid = 1;
    uint8_t launch[] = {0x0f, 0x01, 0xc2, 0xf4}; /* vmlaunch; hlt */
    uint8_t host[] = {0xf4};
    harness_load(&h, LAUNCH_ADDR, launch, sizeof(launch));
    harness_load(&h, HOST_RIP, host, sizeof(host));
    return v;
}

/* Run L1 from the VMLAUNCH: returns true when L1 ended at its exit
 * handler (the HLT at HOST_RIP) in root operation. */
static bool run_l2(const uint8_t *code, size_t len)
{
    harness_load(&h, GUEST_RIP, code, len);
    int r = harness_run(&h, LAUNCH_ADDR, 10000);
    return r == 0 && !h.cpu.vmx_nonroot && h.cpu.rip == HOST_RIP + 1;
}

#define RUN_L2(...) \
    run_l2((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

#endif

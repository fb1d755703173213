/* VMX capability MSRs, the VMCS field table, the VMCS cache and the VMX
 * instructions' #UD/#GP conditions and VMfail error numbers (SDM Vol.3C
 * chapter 30, Appendix A, Appendix B). */
#include <check.h>
#include <stdlib.h>

#include "cpu/ctrlreg.h"
#include "tests/unit/vmx_test_util.h"
#include "vmx_emul/vmcs.h"
#include "vmx_emul/vmcs_cache.h"

static struct harness h;

static void setup(void)
{
    vmx_harness_init(&h);
}

static void teardown(void)
{
    vmx_harness_free(&h);
}

/* ---- capability MSRs ---- */

START_TEST(caps_basic_and_misc)
{
    uint64_t v;
    ck_assert(msr_read(&h.cpu, 0x480, &v));
    ck_assert_uint_eq((v >> 32) & 0x1fff, 4096);       /* region size */
    ck_assert_uint_eq((v >> 50) & 0xf, 6);             /* write-back */
    ck_assert_uint_eq((v >> 54) & 3, 3);               /* INS/OUTS info, TRUE controls */
    ck_assert_uint_eq(v & (1ull << 31), 0);
    ck_assert(msr_read(&h.cpu, 0x485, &v));
    unsigned rate = v & 0x1f;
    ck_assert_uint_le(h.cpu.model->tsc_hz >> rate, 429496729ull);
    ck_assert_uint_eq((v >> 16) & 0x1ff, 4);           /* CR3 targets */
    ck_assert(v & (1ull << 6));                         /* HLT */
    ck_assert(v & (1ull << 8));                         /* wait-for-SIPI */
    ck_assert(msr_read(&h.cpu, 0x48a, &v));
    ck_assert_uint_eq(v, 0x17u << 1);                   /* highest index: preemption timer */
    ck_assert(msr_read(&h.cpu, 0x486, &v));
    ck_assert_uint_eq(v, CR0_PE | CR0_NE | CR0_PG);
    ck_assert(msr_read(&h.cpu, 0x488, &v));
    ck_assert_uint_eq(v, CR4_VMXE);
}
END_TEST

START_TEST(caps_controls_default1_and_true)
{
    uint64_t pin, tpin, proc, tproc, exit, texit, entry, tentry, proc2;
    ck_assert(msr_read(&h.cpu, 0x481, &pin));
    ck_assert(msr_read(&h.cpu, 0x48d, &tpin));
    ck_assert(msr_read(&h.cpu, 0x482, &proc));
    ck_assert(msr_read(&h.cpu, 0x48e, &tproc));
    ck_assert(msr_read(&h.cpu, 0x483, &exit));
    ck_assert(msr_read(&h.cpu, 0x48f, &texit));
    ck_assert(msr_read(&h.cpu, 0x484, &entry));
    ck_assert(msr_read(&h.cpu, 0x490, &tentry));
    ck_assert_uint_eq((uint32_t)pin, 0x16);
    ck_assert_uint_eq((uint32_t)proc, 0x0401e172);
    ck_assert_uint_eq((uint32_t)tproc, 0x04006172);
    ck_assert_uint_eq((uint32_t)exit, 0x00036dff);
    ck_assert_uint_eq((uint32_t)texit, 0x00036dfb);
    ck_assert_uint_eq((uint32_t)entry, 0x000011ff);
    ck_assert_uint_eq((uint32_t)tentry, 0x000011fb);
    /* allowed-1 includes every default1 bit */
    ck_assert_uint_eq((pin >> 32) & 0x16, 0x16);
    ck_assert_uint_eq((tproc >> 32) & 0x0401e172, 0x0401e172);
    ck_assert(msr_read(&h.cpu, 0x48b, &proc2));
    ck_assert(proc2 >> 32 & CPU2_VMCS_SHADOWING);
    /* The EPT/VPID capability and VM-function MSRs exist (EPT, VPID and
     * VM functions are offered). */
    ck_assert(msr_read(&h.cpu, 0x48c, &proc2));
    ck_assert(msr_read(&h.cpu, 0x491, &proc2));
}
END_TEST

START_TEST(caps_read_only_and_hidden)
{
    uint64_t v;
    ck_assert(!msr_write(&h.cpu, 0x480, 0));
    ck_assert(!msr_write(&h.cpu, 0x482, 0));
    h.cpu.vmx_off = true;
    ck_assert(!msr_read(&h.cpu, 0x480, &v));
    h.cpu.vmx_off = false;
    vmx_test_model.vmx = false;
    ck_assert(!msr_read(&h.cpu, 0x480, &v));
    ck_assert(!msr_read(&h.cpu, 0x492, &v));
}
END_TEST

START_TEST(cpuid_vmx_bit_follows_vmx_off)
{
    uint32_t r[4];
    cpuid_query(&h.cpu, 1, 0, r);
    ck_assert(r[2] & (1u << 5));
    h.cpu.vmx_off = true;
    cpuid_query(&h.cpu, 1, 0, r);
    ck_assert(!(r[2] & (1u << 5)));
}
END_TEST

/* ---- field table ---- */

START_TEST(field_table_consistent)
{
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        const struct vmcs_field *f = &vmcs_fields[i];
        ck_assert_uint_eq(f->encoding & 1, 0);
        ck_assert_uint_eq(VMCS_ENC_WIDTH(f->encoding), f->width);
        bool high = true;
        const struct vmcs_field *g = vmcs_field_lookup(f->encoding, &high);
        if (f->offered) {
            ck_assert_ptr_eq(g, f);
            ck_assert(!high);
        } else {
            ck_assert_ptr_null(g);
        }
        for (unsigned j = 0; j < i; j++)
            ck_assert_uint_ne(vmcs_fields[j].encoding, f->encoding);
    }
    ck_assert_uint_ge(vmcs_field_count, 150);
}
END_TEST

START_TEST(field_high_half_and_widths)
{
    struct vmcs v;
    memset(&v, 0, sizeof(v));
    bool high = false;
    ck_assert_ptr_nonnull(vmcs_field_lookup(VMCS_TSC_OFFSET_HIGH, &high));
    ck_assert(high);
    ck_assert_ptr_null(vmcs_field_lookup(VMCS_GUEST_RIP + 1, &high));     /* natural: no high */
    ck_assert_ptr_null(vmcs_field_lookup(VMCS_GUEST_ES_LIMIT + 1, &high)); /* 32-bit */
    ck_assert_ptr_null(vmcs_field_lookup(0x1ull << 32 | VMCS_GUEST_RIP, &high));
    ck_assert_ptr_null(vmcs_field_lookup(VMCS_GUEST_RIP | 0x1000, &high)); /* bit 12 */
    ck_assert_ptr_null(vmcs_field_lookup(VMCS_GUEST_S_CET, &high));        /* not offered */
    ck_assert(vmcs_write_encoding(&v, VMCS_TSC_OFFSET, 0x1111222233334444ull));
    ck_assert(vmcs_write_encoding(&v, VMCS_TSC_OFFSET_HIGH, 0xaaaabbbbccccull));
    ck_assert_uint_eq(v.tsc_offset, 0xbbbbcccc33334444ull);
    uint64_t r;
    ck_assert(vmcs_read_encoding(&v, VMCS_TSC_OFFSET_HIGH, &r));
    ck_assert_uint_eq(r, 0xbbbbccccull);
    ck_assert(vmcs_write_encoding(&v, VMCS_GUEST_CS_SELECTOR, 0x123456));
    ck_assert_uint_eq(v.guest_cs_selector, 0x3456);
    ck_assert(vmcs_write_encoding(&v, VMCS_GUEST_CS_LIMIT, 0x1ffffffffull));
    ck_assert_uint_eq(v.guest_cs_limit, 0xffffffffu);
}
END_TEST

/* ---- VMXON ---- */

START_TEST(vmxon_requires_cr4_vmxe)
{
    h.cpu.cr4 &= ~CR4_VMXE;
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_UD);
}
END_TEST

START_TEST(vmxon_ud_in_compat_mode_and_without_vmx)
{
    h.cpu.seg[S_CS].attr &= ~SEG_L;
    h.cpu.seg[S_CS].attr |= SEG_DB;
    cpu_update_mode(&h.cpu);
    ck_assert_int_eq(h.cpu.mode, MODE_COMPAT);
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_UD);
    h.cpu.seg[S_CS].attr = SEG_P | SEG_S | 0xb | SEG_L | SEG_G;
    cpu_update_mode(&h.cpu);
    h.cpu.vmx_off = true;
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_UD);
}
END_TEST

START_TEST(vmxon_gp_conditions)
{
    physmem_write(&h.mem, VMXON_ADDR, vmx_test_revision(&h), 4);
    h.cpu.feature_control = FEATURE_CONTROL_VMX; /* not locked */
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_GP);
    h.cpu.feature_control = FEATURE_CONTROL_LOCKED; /* VMX outside SMX disabled */
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_GP);
    h.cpu.feature_control = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX;
    h.cpu.cr0 &= ~CR0_NE; /* CR0 fixed bit */
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_GP);
    h.cpu.cr0 |= CR0_NE;
    h.a20 = false;
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_GP);
    h.a20 = true;
    h.cpu.seg[S_SS].attr |= 3u << 5; /* CPL 3 */
    cpu_update_mode(&h.cpu);
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), EXC_GP);
    h.cpu.seg[S_SS].attr &= ~(3u << 5);
    cpu_update_mode(&h.cpu);
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), -1);
    ck_assert_int_eq(vmx_outcome(&h), 0);
}
END_TEST

START_TEST(vmxon_fail_invalid)
{
    physmem_write(&h.mem, VMXON_ADDR, vmx_test_revision(&h), 4);
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR + 8), -1); /* not aligned */
    ck_assert_int_eq(vmx_outcome(&h), -1);
    ck_assert_int_eq(do_vmxon(&h, 1ull << 45), -1);    /* beyond MAXPHYADDR */
    ck_assert_int_eq(vmx_outcome(&h), -1);
    physmem_write(&h.mem, VMXON_ADDR, vmx_test_revision(&h) ^ 1, 4);
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), -1);
    ck_assert_int_eq(vmx_outcome(&h), -1);
    physmem_write(&h.mem, VMXON_ADDR, vmx_test_revision(&h) | 0x80000000u, 4);
    ck_assert_int_eq(do_vmxon(&h, VMXON_ADDR), -1);
    ck_assert_int_eq(vmx_outcome(&h), -1);
    ck_assert(!vmx_in_operation(&h.cpu));
}
END_TEST

START_TEST(vmxon_in_root_fails_15)
{
    vmx_enter_root(&h);
    ck_assert(vmx_in_operation(&h.cpu));
    do_vmxon(&h, VMXON_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), -1); /* no current VMCS: VMfailInvalid */
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    do_vmxon(&h, VMXON_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMXON_IN_ROOT);
}
END_TEST

/* ---- outside VMX operation, everything else is #UD ---- */

START_TEST(vmx_insns_ud_outside_vmx_operation)
{
    uint64_t v;
    ck_assert_int_eq(do_vmclear(&h, VMCS_ADDR), EXC_UD);
    ck_assert_int_eq(do_vmptrld(&h, VMCS_ADDR), EXC_UD);
    ck_assert_int_eq(do_vmptrst(&h), EXC_UD);
    ck_assert_int_eq(do_vmread(&h, VMCS_GUEST_RIP, &v), EXC_UD);
    ck_assert_int_eq(do_vmwrite(&h, VMCS_GUEST_RIP, 0), EXC_UD);
    ck_assert_int_eq(do_vmlaunch(&h), EXC_UD);
    ck_assert_int_eq(do_vmresume(&h), EXC_UD);
    ck_assert_int_eq(do_vmxoff(&h), EXC_UD);
    ck_assert_int_eq(do_vmcall(&h), EXC_UD);
    ck_assert_int_eq(VMX_EXEC(&h, 0x0f, 0x01, 0xd4), EXC_UD); /* VMFUNC */
}
END_TEST

START_TEST(vmx_insns_gp_at_cpl3)
{
    vmx_enter_root(&h);
    h.cpu.seg[S_SS].attr |= 3u << 5;
    cpu_update_mode(&h.cpu);
    uint64_t v;
    ck_assert_int_eq(do_vmclear(&h, VMCS_ADDR), EXC_GP);
    ck_assert_int_eq(do_vmptrld(&h, VMCS_ADDR), EXC_GP);
    ck_assert_int_eq(do_vmptrst(&h), EXC_GP);
    ck_assert_int_eq(do_vmread(&h, VMCS_GUEST_RIP, &v), EXC_GP);
    ck_assert_int_eq(do_vmwrite(&h, VMCS_GUEST_RIP, 0), EXC_GP);
    ck_assert_int_eq(do_vmlaunch(&h), EXC_GP);
    ck_assert_int_eq(do_vmxoff(&h), EXC_GP);
    ck_assert_int_eq(do_vmcall(&h), EXC_GP);
}
END_TEST

/* ---- VMCLEAR, VMPTRLD, VMPTRST ---- */

START_TEST(vmclear_errors)
{
    vmx_enter_root(&h);
    do_vmclear(&h, VMCS_ADDR + 0x10);
    ck_assert_int_eq(vmx_outcome(&h), -1); /* no current VMCS yet */
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    do_vmclear(&h, VMCS2_ADDR + 0x10);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMCLEAR_INVALID_ADDRESS);
    do_vmclear(&h, 1ull << 50);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMCLEAR_INVALID_ADDRESS);
    do_vmclear(&h, VMXON_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMCLEAR_VMXON_POINTER);
    /* Clearing the current VMCS makes the pointer invalid. */
    do_vmclear(&h, VMCS_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    ck_assert_ptr_null(vmx_current_vmcs(&h.cpu));
    do_vmptrst(&h);
    ck_assert_uint_eq(get64(&h, DATA_ADDR), ~0ull);
}
END_TEST

START_TEST(vmptrld_errors)
{
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    do_vmptrld(&h, VMCS2_ADDR + 4);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMPTRLD_INVALID_ADDRESS);
    do_vmptrld(&h, VMXON_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMPTRLD_VMXON_POINTER);
    physmem_write(&h.mem, VMCS2_ADDR, 0x1234, 4);
    do_vmptrld(&h, VMCS2_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMPTRLD_INCORRECT_REVISION);
    /* A shadow VMCS (bit 31) loads: VMCS shadowing is offered. */
    physmem_write(&h.mem, VMCS2_ADDR, vmx_test_revision(&h) | 0x80000000u, 4);
    do_vmptrld(&h, VMCS2_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    /* ... but cannot be launched. */
    do_vmlaunch(&h);
    ck_assert_int_eq(vmx_outcome(&h), -1);
    /* Without shadowing it would be refused. */
    h.cpu.vmx->caps.procbased2 = 0;
    do_vmptrld(&h, VMCS2_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMPTRLD_INCORRECT_REVISION);
    do_vmptrst(&h);
    ck_assert_uint_eq(get64(&h, DATA_ADDR), VMCS2_ADDR);
}
END_TEST

/* ---- VMREAD / VMWRITE ---- */

START_TEST(vmread_vmwrite_round_trip_and_errors)
{
    uint64_t v;
    vmx_enter_root(&h);
    do_vmread(&h, VMCS_GUEST_RIP, &v);
    ck_assert_int_eq(vmx_outcome(&h), -1); /* no current VMCS */
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    do_vmwrite(&h, VMCS_GUEST_RIP, 0xffffffff81000000ull);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    do_vmread(&h, VMCS_GUEST_RIP, &v);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    ck_assert_uint_eq(v, 0xffffffff81000000ull);
    do_vmwrite(&h, VMCS_GUEST_CS_SELECTOR, 0xabcdef);
    do_vmread(&h, VMCS_GUEST_CS_SELECTOR, &v);
    ck_assert_uint_eq(v, 0xcdef);
    do_vmwrite(&h, VMCS_EPT_POINTER_HIGH, 0x12);
    do_vmread(&h, VMCS_EPT_POINTER, &v);
    ck_assert_uint_eq(v, 0x12ull << 32);
    do_vmread(&h, 0x6831, &v);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    do_vmwrite(&h, VMCS_HOST_S_CET, 1);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    do_vmwrite(&h, 1ull << 40 | VMCS_GUEST_RIP, 1);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
    /* VMWRITE to exit information: allowed while IA32_VMX_MISC[29] is 1. */
    do_vmwrite(&h, VMCS_VM_EXIT_REASON, 10);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    do_vmread(&h, VMCS_VM_EXIT_REASON, &v);
    ck_assert_uint_eq(v, 10);
    h.cpu.vmx->caps.misc &= ~(1ull << 29);
    do_vmwrite(&h, VMCS_EXIT_QUALIFICATION, 10);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMWRITE_READ_ONLY_COMPONENT);
}
END_TEST

START_TEST(vmread_memory_destination)
{
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    do_vmwrite(&h, VMCS_GUEST_RSP, 0x1234567890ull);
    /* vmread [rax], rcx: 0F 78 08 */
    h.cpu.gpr[R_AX] = DATA_ADDR;
    h.cpu.gpr[R_CX] = VMCS_GUEST_RSP;
    ck_assert_int_eq(VMX_EXEC(&h, 0x0f, 0x78, 0x08), -1);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    ck_assert_uint_eq(get64(&h, DATA_ADDR), 0x1234567890ull);
    /* vmwrite rcx, [rax]: 0F 79 08 */
    put64(&h, DATA_ADDR, 0x4242);
    ck_assert_int_eq(VMX_EXEC(&h, 0x0f, 0x79, 0x08), -1);
    ck_assert_uint_eq(vmx_current_vmcs(&h.cpu)->guest_rsp, 0x4242);
}
END_TEST

/* ---- VMCS cache and region write-back ---- */

START_TEST(vmclear_writes_back_and_vmptrld_reads_back)
{
    uint64_t v;
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    do_vmwrite(&h, VMCS_GUEST_RIP, 0x777);
    do_vmwrite(&h, VMCS_TSC_OFFSET, 0x8000000000000001ull);
    do_vmclear(&h, VMCS_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    /* Region header: revision kept, abort indicator 0. */
    ck_assert_uint_eq(physmem_read(&h.mem, VMCS_ADDR, 4), vmx_test_revision(&h));
    ck_assert_uint_eq(physmem_read(&h.mem, VMCS_ADDR + 4, 4), 0);
    ck_assert_int_lt(vmcs_cache_find(h.cpu.vmx, VMCS_ADDR), 0);
    do_vmptrld(&h, VMCS_ADDR);
    do_vmread(&h, VMCS_GUEST_RIP, &v);
    ck_assert_uint_eq(v, 0x777);
    do_vmread(&h, VMCS_TSC_OFFSET, &v);
    ck_assert_uint_eq(v, 0x8000000000000001ull);
}
END_TEST

START_TEST(every_field_survives_vmclear_and_vmptrld)
{
    uint64_t v;
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        if (!vmcs_fields[i].offered)
            continue;
        do_vmwrite(&h, vmcs_fields[i].encoding, 0x0123456789abcdefull * (i + 1));
        ck_assert_int_eq(vmx_outcome(&h), 0);
    }
    do_vmclear(&h, VMCS_ADDR);
    do_vmptrld(&h, VMCS_ADDR);
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        const struct vmcs_field *f = &vmcs_fields[i];
        if (!f->offered)
            continue;
        uint64_t want = 0x0123456789abcdefull * (i + 1);
        if (f->width == VMCS_WIDTH_16)
            want &= 0xffff;
        else if (f->width == VMCS_WIDTH_32)
            want &= 0xffffffffu;
        do_vmread(&h, f->encoding, &v);
        ck_assert_int_eq(vmx_outcome(&h), 0);
        ck_assert_msg(v == want, "%s: %#llx != %#llx", f->name, (unsigned long long)v,
                      (unsigned long long)want);
        if (f->width == VMCS_WIDTH_64) {
            do_vmread(&h, f->encoding + 1u, &v);
            ck_assert_uint_eq(v, want >> 32);
        }
    }
}
END_TEST

START_TEST(cache_eviction_keeps_data)
{
    uint64_t v;
    vmx_enter_root(&h);
    for (unsigned i = 0; i < 3 * VMCS_CACHE_SLOTS; i++) {
        uint64_t a = 0x200000 + 0x1000ull * i;
        vmx_load_fresh_vmcs(&h, a);
        do_vmwrite(&h, VMCS_GUEST_RIP, 0x1000 + i);
        ck_assert_int_eq(vmx_outcome(&h), 0);
    }
    for (unsigned i = 0; i < 3 * VMCS_CACHE_SLOTS; i++) {
        do_vmptrld(&h, 0x200000 + 0x1000ull * i);
        ck_assert_int_eq(vmx_outcome(&h), 0);
        do_vmread(&h, VMCS_GUEST_RIP, &v);
        ck_assert_uint_eq(v, 0x1000 + i);
    }
}
END_TEST

/* ---- VMLAUNCH / VMRESUME state errors, VMCALL, VMXOFF ---- */

START_TEST(launch_state_errors)
{
    vmx_enter_root(&h);
    do_vmlaunch(&h);
    ck_assert_int_eq(vmx_outcome(&h), -1);
    do_vmresume(&h);
    ck_assert_int_eq(vmx_outcome(&h), -1);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    do_vmresume(&h);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMRESUME_NONLAUNCHED_VMCS);
    /* Pretend a launch happened (entry itself is tested elsewhere). */
    h.cpu.vmx->cache[h.cpu.vmx->current_slot].launch_state = VMCS_LAUNCHED;
    do_vmlaunch(&h);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMLAUNCH_NONCLEAR_VMCS);
    /* VMXOFF then VMXON: VMRESUME of the launched VMCS fails with 6. */
    ck_assert_int_eq(do_vmxoff(&h), -1);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    ck_assert(!vmx_in_operation(&h.cpu));
    vmx_enter_root(&h);
    do_vmptrld(&h, VMCS_ADDR);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    do_vmresume(&h);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMRESUME_AFTER_VMXOFF);
    do_vmlaunch(&h);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMLAUNCH_NONCLEAR_VMCS);
    /* VMCLEAR resets the launch state. */
    do_vmclear(&h, VMCS_ADDR);
    do_vmptrld(&h, VMCS_ADDR);
    do_vmresume(&h);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMRESUME_NONLAUNCHED_VMCS);
}
END_TEST

START_TEST(vmlaunch_after_mov_ss_fails_26)
{
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    h.cpu.rflags &= ~(uint64_t)F_IF;
    h.cpu.irq_shadow = true;
    h.cpu.irq_shadow_movss = true;
    h.cpu.irq_shadow_rip = CODE_ADDR;
    do_vmlaunch(&h);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
}
END_TEST

START_TEST(fixed_cr_bits_and_init_blocking_in_vmx_operation)
{
    ck_assert(vmx_cr0_value_ok(&h.cpu, 0));   /* outside VMX operation: no limit */
    ck_assert(!vmx_blocks_init(&h.cpu));
    vmx_enter_root(&h);
    ck_assert(vmx_blocks_init(&h.cpu));
    ck_assert(vmx_cr0_value_ok(&h.cpu, h.cpu.cr0));
    ck_assert(!vmx_cr0_value_ok(&h.cpu, h.cpu.cr0 & ~CR0_NE));
    ck_assert(!vmx_cr0_value_ok(&h.cpu, h.cpu.cr0 | (1ull << 32)));
    ck_assert(vmx_cr4_value_ok(&h.cpu, h.cpu.cr4));
    ck_assert(!vmx_cr4_value_ok(&h.cpu, h.cpu.cr4 & ~CR4_VMXE));
    /* MOV to CR0/CR4 in VMX root enforces them (#GP): clearing NE or VMXE. */
    ck_assert(!cpu_set_cr0(&h.cpu, h.cpu.cr0 & ~CR0_NE));
    ck_assert(!cpu_set_cr4(&h.cpu, h.cpu.cr4 & ~CR4_VMXE));
    ck_assert(cpu_set_cr4(&h.cpu, h.cpu.cr4));
}
END_TEST

START_TEST(vmcall_in_root_fails)
{
    vmx_enter_root(&h);
    do_vmcall(&h);
    ck_assert_int_eq(vmx_outcome(&h), -1);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    do_vmcall(&h);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_VMCALL_IN_ROOT);
}
END_TEST

START_TEST(invept_invvpid_ud_when_not_offered)
{
    vmx_enter_root(&h);
    vmx_get(&h.cpu)->caps.procbased2 &= ~((uint64_t)(CPU2_ENABLE_EPT | CPU2_ENABLE_VPID) << 32); /* withdraw EPT/VPID */
    h.cpu.gpr[R_AX] = DATA_ADDR;
    h.cpu.gpr[R_CX] = 2;
    /* invept rcx, [rax]: 66 0F 38 80 08 */
    ck_assert_int_eq(VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x80, 0x08), EXC_UD);
    ck_assert_int_eq(VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x81, 0x08), EXC_UD);
}
END_TEST

START_TEST(invept_invvpid_operand_checks)
{
    struct vmx_caps *c = &vmx_get(&h.cpu)->caps;
    c->procbased2 |= (uint64_t)(CPU2_ENABLE_EPT | CPU2_ENABLE_VPID) << 32;
    c->ept_vpid_cap = (1ull << 6) | (1ull << 14) | (1ull << 20) | (1ull << 25) |
                      (1ull << 26) | (1ull << 32) | (1ull << 40) | (1ull << 41) |
                      (1ull << 42) | (1ull << 43);
    vmx_enter_root(&h);
    vmx_load_fresh_vmcs(&h, VMCS_ADDR);
    h.cpu.gpr[R_AX] = DATA_ADDR;
    /* INVEPT single-context with a good EPTP (WB, 4 levels). */
    put64(&h, DATA_ADDR, 0x300000 | (3 << 3) | 6);
    put64(&h, DATA_ADDR + 8, 0);
    h.cpu.gpr[R_CX] = 1;
    ck_assert_int_eq(VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x80, 0x08), -1);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    put64(&h, DATA_ADDR, 0x300000 | (3 << 3) | 1); /* memory type 1 */
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x80, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
    h.cpu.gpr[R_CX] = 3; /* unsupported type */
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x80, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
    h.cpu.gpr[R_CX] = 2;
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x80, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    /* INVVPID */
    put64(&h, DATA_ADDR, 5);
    put64(&h, DATA_ADDR + 8, 0x1000);
    for (unsigned t = 0; t < 4; t++) {
        h.cpu.gpr[R_CX] = t;
        VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x81, 0x08);
        ck_assert_int_eq(vmx_outcome(&h), 0);
    }
    h.cpu.gpr[R_CX] = 4;
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x81, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
    put64(&h, DATA_ADDR, 0); /* VPID 0 */
    h.cpu.gpr[R_CX] = 1;
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x81, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
    h.cpu.gpr[R_CX] = 2; /* all-context ignores the VPID */
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x81, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), 0);
    put64(&h, DATA_ADDR, 1ull << 16 | 1); /* reserved bits */
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x81, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
    put64(&h, DATA_ADDR, 1);
    put64(&h, DATA_ADDR + 8, 0x0000800000000000ull); /* non-canonical */
    h.cpu.gpr[R_CX] = 0;
    VMX_EXEC(&h, 0x66, 0x0f, 0x38, 0x81, 0x08);
    ck_assert_int_eq(vmx_outcome(&h), VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
}
END_TEST

static Suite *vmx_insn_suite(void)
{
    Suite *s = suite_create("vmx_insn");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, caps_basic_and_misc);
    tcase_add_test(tc, caps_controls_default1_and_true);
    tcase_add_test(tc, caps_read_only_and_hidden);
    tcase_add_test(tc, cpuid_vmx_bit_follows_vmx_off);
    tcase_add_test(tc, field_table_consistent);
    tcase_add_test(tc, field_high_half_and_widths);
    tcase_add_test(tc, vmxon_requires_cr4_vmxe);
    tcase_add_test(tc, vmxon_ud_in_compat_mode_and_without_vmx);
    tcase_add_test(tc, vmxon_gp_conditions);
    tcase_add_test(tc, vmxon_fail_invalid);
    tcase_add_test(tc, vmxon_in_root_fails_15);
    tcase_add_test(tc, vmx_insns_ud_outside_vmx_operation);
    tcase_add_test(tc, vmx_insns_gp_at_cpl3);
    tcase_add_test(tc, vmclear_errors);
    tcase_add_test(tc, vmptrld_errors);
    tcase_add_test(tc, vmread_vmwrite_round_trip_and_errors);
    tcase_add_test(tc, vmread_memory_destination);
    tcase_add_test(tc, vmclear_writes_back_and_vmptrld_reads_back);
    tcase_add_test(tc, every_field_survives_vmclear_and_vmptrld);
    tcase_add_test(tc, cache_eviction_keeps_data);
    tcase_add_test(tc, launch_state_errors);
    tcase_add_test(tc, vmlaunch_after_mov_ss_fails_26);
    tcase_add_test(tc, fixed_cr_bits_and_init_blocking_in_vmx_operation);
    tcase_add_test(tc, vmcall_in_root_fails);
    tcase_add_test(tc, invept_invvpid_ud_when_not_offered);
    tcase_add_test(tc, invept_invvpid_operand_checks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vmx_insn_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

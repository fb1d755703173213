/* Words for VMX state (see vmx_describe.h). Section numbers are those of
 * the SDM Vol.3C 2016-2022 editions, as in vmx_emul/vmexit.c. */
#include "vmx_emul/vmx_describe.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

enum vmcs_group vmcs_field_group(const struct vmcs_field *f)
{
    switch (f->type) {
    case VMCS_TYPE_GUEST:
        return VMCS_GROUP_GUEST;
    case VMCS_TYPE_HOST:
        return VMCS_GROUP_HOST;
    case VMCS_TYPE_EXIT_INFO:
        return VMCS_GROUP_EXIT_INFO;
    default:
        break;
    }
    /* Control fields: the encoding type (24.11.2) does not tell the three
     * control groups apart; 24.7 and 24.8 list these fields. */
    switch (f->encoding) {
    case VMCS_VM_EXIT_CONTROLS:
    case VMCS_VM_EXIT_MSR_STORE_COUNT:
    case VMCS_VM_EXIT_MSR_LOAD_COUNT:
    case VMCS_VM_EXIT_MSR_STORE_ADDR:
    case VMCS_VM_EXIT_MSR_LOAD_ADDR:
        return VMCS_GROUP_EXIT_CTL;
    case VMCS_VM_ENTRY_CONTROLS:
    case VMCS_VM_ENTRY_MSR_LOAD_COUNT:
    case VMCS_VM_ENTRY_MSR_LOAD_ADDR:
    case VMCS_VM_ENTRY_INTR_INFO_FIELD:
    case VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE:
    case VMCS_VM_ENTRY_INSTRUCTION_LEN:
        return VMCS_GROUP_ENTRY_CTL;
    default:
        return VMCS_GROUP_EXEC;
    }
}

const char *vmcs_group_title(enum vmcs_group g)
{
    static const char *const titles[VMCS_GROUP_COUNT] = {
        [VMCS_GROUP_GUEST] = "Guest-state area (SDM 24.4)",
        [VMCS_GROUP_HOST] = "Host-state area (SDM 24.5)",
        [VMCS_GROUP_EXEC] = "VM-execution control fields (SDM 24.6)",
        [VMCS_GROUP_EXIT_CTL] = "VM-exit control fields (SDM 24.7)",
        [VMCS_GROUP_ENTRY_CTL] = "VM-entry control fields (SDM 24.8)",
        [VMCS_GROUP_EXIT_INFO] = "VM-exit information fields (SDM 24.9)",
    };
    return (unsigned)g < VMCS_GROUP_COUNT ? titles[g] : "?";
}

const struct vmcs_field *vmcs_field_find(const char *s)
{
    if (!s || !*s)
        return NULL;
    const char *name = s;
    if (strncasecmp(name, "VMCS_", 5) == 0)
        name += 5;
    for (unsigned i = 0; i < vmcs_field_count; i++)
        if (vmcs_fields[i].offered && strcasecmp(vmcs_fields[i].name, name) == 0)
            return &vmcs_fields[i];
    char *end;
    unsigned long long enc = strtoull(s, &end, 0);
    if (*end || !isdigit((unsigned char)s[0]))
        return NULL;
    bool high = false;
    const struct vmcs_field *f = vmcs_field_lookup(enc, &high);
    /* The high-half encoding names no field of its own here. */
    return f && !high ? f : NULL;
}

/* Control bits by position (24.6.1 table 24-5, 24.6.2 tables 24-6 and
 * 24-7, 24.7.1 table 24-13, 24.8.1 table 24-15). */
static const char *const pin_bits[32] = {
    [0] = "EXTINT_EXITING", [3] = "NMI_EXITING", [5] = "VIRTUAL_NMIS",
    [6] = "PREEMPTION_TIMER", [7] = "POSTED_INTERRUPTS",
};
static const char *const cpu1_bits[32] = {
    [2] = "INTR_WINDOW_EXITING", [3] = "USE_TSC_OFFSETTING", [7] = "HLT_EXITING",
    [9] = "INVLPG_EXITING", [10] = "MWAIT_EXITING", [11] = "RDPMC_EXITING",
    [12] = "RDTSC_EXITING", [15] = "CR3_LOAD_EXITING", [16] = "CR3_STORE_EXITING",
    [17] = "TERTIARY_CONTROLS", [19] = "CR8_LOAD_EXITING", [20] = "CR8_STORE_EXITING",
    [21] = "TPR_SHADOW", [22] = "NMI_WINDOW_EXITING", [23] = "MOV_DR_EXITING",
    [24] = "UNCOND_IO_EXITING", [25] = "USE_IO_BITMAPS", [27] = "MONITOR_TRAP_FLAG",
    [28] = "USE_MSR_BITMAPS", [29] = "MONITOR_EXITING", [30] = "PAUSE_EXITING",
    [31] = "SECONDARY_CONTROLS",
};
static const char *const cpu2_bits[32] = {
    [0] = "VIRT_APIC_ACCESSES", [1] = "ENABLE_EPT", [2] = "DESC_TABLE_EXITING",
    [3] = "ENABLE_RDTSCP", [4] = "VIRT_X2APIC_MODE", [5] = "ENABLE_VPID",
    [6] = "WBINVD_EXITING", [7] = "UNRESTRICTED_GUEST", [8] = "APIC_REGISTER_VIRT",
    [9] = "VIRTUAL_INTR_DELIVERY", [10] = "PAUSE_LOOP_EXITING", [11] = "RDRAND_EXITING",
    [12] = "ENABLE_INVPCID", [13] = "ENABLE_VMFUNC", [14] = "VMCS_SHADOWING",
    [15] = "ENCLS_EXITING", [16] = "RDSEED_EXITING", [17] = "ENABLE_PML",
    [18] = "EPT_VIOLATION_VE", [19] = "CONCEAL_VMX_FROM_PT", [20] = "ENABLE_XSAVES",
    [22] = "MODE_BASED_EPT_EXEC", [23] = "SUBPAGE_WRITE_PERM", [24] = "PT_USE_GPA",
    [25] = "TSC_SCALING", [26] = "USER_WAIT_PAUSE", [28] = "ENCLV_EXITING",
};
static const char *const exit_bits[32] = {
    [2] = "SAVE_DEBUG_CONTROLS", [9] = "HOST_ADDR_SPACE_SIZE",
    [12] = "LOAD_PERF_GLOBAL_CTRL", [15] = "ACK_INTR_ON_EXIT", [18] = "SAVE_PAT",
    [19] = "LOAD_PAT", [20] = "SAVE_EFER", [21] = "LOAD_EFER",
    [22] = "SAVE_PREEMPTION_TIMER", [23] = "CLEAR_BNDCFGS", [24] = "CONCEAL_VMX_FROM_PT",
    [25] = "CLEAR_RTIT_CTL", [28] = "LOAD_CET_STATE", [29] = "LOAD_PKRS",
};
static const char *const entry_bits[32] = {
    [2] = "LOAD_DEBUG_CONTROLS", [9] = "IA32E_MODE_GUEST", [10] = "ENTRY_TO_SMM",
    [11] = "DEACT_DUAL_MONITOR", [13] = "LOAD_PERF_GLOBAL_CTRL", [14] = "LOAD_PAT",
    [15] = "LOAD_EFER", [16] = "LOAD_BNDCFGS", [17] = "CONCEAL_VMX_FROM_PT",
    [18] = "LOAD_RTIT_CTL", [20] = "LOAD_CET_STATE", [22] = "LOAD_PKRS",
};

/* Appends to buf with snprintf semantics, never past size. */
static void append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

const char *vmx_control_bits(uint16_t encoding, uint64_t value, char *buf, size_t size)
{
    const char *const *names;
    /* Bits every control field of this kind must hold at 1 (the "default1"
     * class of Appendix A) are not shown: they carry no choice. */
    uint32_t default1 = 0;
    switch (encoding) {
    case VMCS_PIN_BASED_VM_EXEC_CONTROL: names = pin_bits; default1 = PIN_DEFAULT1; break;
    case VMCS_CPU_BASED_VM_EXEC_CONTROL: names = cpu1_bits; default1 = CPU_TRUE_DEFAULT1; break;
    case VMCS_SECONDARY_VM_EXEC_CONTROL: names = cpu2_bits; break;
    case VMCS_VM_EXIT_CONTROLS: names = exit_bits; default1 = EXIT_TRUE_DEFAULT1; break;
    case VMCS_VM_ENTRY_CONTROLS: names = entry_bits; default1 = ENTRY_TRUE_DEFAULT1; break;
    default:
        if (size)
            buf[0] = 0;
        return buf;
    }
    if (!size)
        return buf;
    buf[0] = 0;
    for (unsigned bit = 0; bit < 32; bit++) {
        if (!(value & (1ull << bit)))
            continue;
        if (names[bit])
            append(buf, size, "%s%s", buf[0] ? "|" : "", names[bit]);
        else if (!(default1 & (1u << bit)))
            append(buf, size, "%sbit%u", buf[0] ? "|" : "", bit);
    }
    return buf;
}

struct reason_alias {
    const char *name;
    unsigned reason;
};
static const struct reason_alias reason_aliases[] = {
    {"exception", EXIT_REASON_EXCEPTION_NMI}, {"nmi", EXIT_REASON_EXCEPTION_NMI},
    {"extint", EXIT_REASON_EXTERNAL_INTERRUPT}, {"io", EXIT_REASON_IO_INSTRUCTION},
    {"rdmsr", EXIT_REASON_MSR_READ}, {"wrmsr", EXIT_REASON_MSR_WRITE},
    {"cr", EXIT_REASON_CR_ACCESS}, {"dr", EXIT_REASON_DR_ACCESS},
    {"ept", EXIT_REASON_EPT_VIOLATION}, {"mtf", EXIT_REASON_MONITOR_TRAP_FLAG},
    {"invalid_state", EXIT_REASON_INVALID_STATE}, {"triple_fault", EXIT_REASON_TRIPLE_FAULT},
};

bool vmx_exit_reason_parse(const char *s, unsigned *reason)
{
    if (!s || !*s)
        return false;
    if (isdigit((unsigned char)s[0])) {
        char *end;
        unsigned long n = strtoul(s, &end, 0);
        if (*end || n >= EXIT_REASON_COUNT)
            return false;
        *reason = (unsigned)n;
        return true;
    }
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
        const char *name = vmx_exit_reason_name(r);
        if (strcmp(name, "?") != 0 && strcasecmp(name, s) == 0) {
            *reason = r;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof(reason_aliases) / sizeof(reason_aliases[0]); i++)
        if (strcasecmp(reason_aliases[i].name, s) == 0) {
            *reason = reason_aliases[i].reason;
            return true;
        }
    return false;
}

const char *vmx_exit_reason_describe(uint32_t reason, char *buf, size_t size)
{
    snprintf(buf, size, "%s (%u)%s", vmx_exit_reason_name(reason & 0xffff), reason & 0xffff,
             (reason & EXIT_REASON_ENTRY_FAILURE) ? " entry failure" : "");
    return buf;
}

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* 27.2.1 table 27-1: #DB exits report B3-B0, BD, BS and RTM. */
static void describe_debug_bits(uint64_t q, char *buf, size_t size)
{
    for (unsigned i = 0; i < 4; i++)
        if (q & (1ull << i))
            append(buf, size, " B%u", i);
    if (q & (1ull << 13))
        append(buf, size, " BD");
    if (q & (1ull << 14))
        append(buf, size, " BS");
    if (q & (1ull << 16))
        append(buf, size, " RTM");
}

static void describe_ept_violation(uint64_t q, char *buf, size_t size)
{
    /* 27.2.1 table 27-7. */
    append(buf, size, "EPT violation:");
    if (q & (1ull << 0))
        append(buf, size, " read");
    if (q & (1ull << 1))
        append(buf, size, " write");
    if (q & (1ull << 2))
        append(buf, size, " fetch");
    append(buf, size, ", entry %c%c%c", (q & (1ull << 3)) ? 'r' : '-',
           (q & (1ull << 4)) ? 'w' : '-', (q & (1ull << 5)) ? 'x' : '-');
    if (q & (1ull << 7))
        append(buf, size, ", linear address valid, %s",
               (q & (1ull << 8)) ? "access to the translated address"
                                 : "access to a guest paging-structure entry");
    else
        append(buf, size, ", no linear address");
    if (q & (1ull << 12))
        append(buf, size, ", NMI unblocking due to IRET");
}

const char *vmx_exit_qualification_describe(unsigned reason, uint64_t q, char *buf,
                                            size_t size)
{
    if (!size)
        return buf;
    buf[0] = 0;
    switch (reason) {
    case EXIT_REASON_EXCEPTION_NMI:
        if (q == 0) {
            append(buf, size, "none (0), or #PF at linear address 0");
            break;
        }
        append(buf, size, "#PF linear address %#llx, or #DB:", (unsigned long long)q);
        describe_debug_bits(q, buf, size);
        break;
    case EXIT_REASON_SIPI_SIGNAL:
        append(buf, size, "SIPI vector %#llx", (unsigned long long)(q & 0xff));
        break;
    case EXIT_REASON_TASK_SWITCH: {
        static const char *const src[4] = {"CALL", "IRET", "JMP", "task gate in IDT"};
        append(buf, size, "task switch: selector %#llx by %s", (unsigned long long)(q & 0xffff),
               src[(q >> 30) & 3]);
        break;
    }
    case EXIT_REASON_INVLPG:
        append(buf, size, "INVLPG linear address %#llx", (unsigned long long)q);
        break;
    case EXIT_REASON_INVEPT:
    case EXIT_REASON_INVVPID:
    case EXIT_REASON_INVPCID:
    case EXIT_REASON_VMCLEAR:
    case EXIT_REASON_VMPTRLD:
    case EXIT_REASON_VMPTRST:
    case EXIT_REASON_VMREAD:
    case EXIT_REASON_VMWRITE:
    case EXIT_REASON_VMXON:
    case EXIT_REASON_GDTR_IDTR:
    case EXIT_REASON_LDTR_TR:
    case EXIT_REASON_XSAVES:
    case EXIT_REASON_XRSTORS:
        /* 27.2.1: the memory operand's displacement (0 for a register). */
        append(buf, size, "displacement %#llx", (unsigned long long)q);
        break;
    case EXIT_REASON_CR_ACCESS: {
        /* Table 27-3. */
        unsigned cr = q & 15, type = (q >> 4) & 3, gpr = (q >> 8) & 15;
        if (type == 0)
            append(buf, size, "CR access: mov to cr%u from %s", cr, gpr_names[gpr]);
        else if (type == 1)
            append(buf, size, "CR access: mov from cr%u to %s", cr, gpr_names[gpr]);
        else if (type == 2)
            append(buf, size, "CR access: clts");
        else
            append(buf, size, "CR access: lmsw %s, source data %#llx",
                   (q & (1ull << 6)) ? "memory" : "register",
                   (unsigned long long)((q >> 16) & 0xffff));
        break;
    }
    case EXIT_REASON_DR_ACCESS:
        /* Table 27-4. */
        append(buf, size, "DR access: mov %s dr%u %s %s", (q & 16) ? "from" : "to",
               (unsigned)(q & 7), (q & 16) ? "to" : "from", gpr_names[(q >> 8) & 15]);
        break;
    case EXIT_REASON_IO_INSTRUCTION:
        /* Table 27-5. */
        append(buf, size, "I/O: %s%s port %#llx size %u%s, port in %s", (q & 8) ? "in" : "out",
               (q & 16) ? "s" : "", (unsigned long long)((q >> 16) & 0xffff),
               (unsigned)(q & 7) + 1, (q & 32) ? " rep" : "", (q & 64) ? "immediate" : "dx");
        break;
    case EXIT_REASON_MSR_LOAD_FAIL:
        append(buf, size, "MSR-load area entry %llu", (unsigned long long)q);
        break;
    case EXIT_REASON_INVALID_STATE:
        append(buf, size, q == 2 ? "PDPTE loading failed" : q == 3 ? "NMI injection blocked"
                          : q == 4 ? "invalid VMCS link pointer" : "checks on guest state");
        break;
    case EXIT_REASON_APIC_ACCESS: {
        /* Table 27-6. */
        static const char *const kinds[16] = {
            [0] = "linear read", [1] = "linear write", [2] = "linear fetch",
            [3] = "linear access during event delivery",
            [10] = "guest-physical access during event delivery",
            [15] = "guest-physical fetch",
        };
        unsigned kind = (q >> 12) & 15;
        append(buf, size, "APIC access: offset %#llx, %s%s", (unsigned long long)(q & 0xfff),
               kinds[kind] ? kinds[kind] : "reserved type",
               (q & (1ull << 16)) ? ", asynchronous" : "");
        break;
    }
    case EXIT_REASON_EOI_INDUCED:
        append(buf, size, "EOI vector %#llx", (unsigned long long)(q & 0xff));
        break;
    case EXIT_REASON_APIC_WRITE:
        append(buf, size, "APIC write: offset %#llx", (unsigned long long)(q & 0xfff));
        break;
    case EXIT_REASON_EPT_VIOLATION:
        describe_ept_violation(q, buf, size);
        break;
    case EXIT_REASON_PML_FULL:
        append(buf, size, (q & (1ull << 12)) ? "NMI unblocking due to IRET" : "none");
        break;
    default:
        append(buf, size, q ? "%#llx (no qualification defined)" : "none",
               (unsigned long long)q);
        break;
    }
    return buf;
}

const char *vmx_exception_qualification_describe(uint32_t intr_info, uint64_t q, char *buf,
                                                 size_t size)
{
    if (!size)
        return buf;
    buf[0] = 0;
    bool hw_exception = (intr_info & INTR_INFO_VALID) && INTR_INFO_TYPE(intr_info) == EV_HWEXC;
    if (hw_exception && INTR_INFO_VECTOR(intr_info) == EXC_PF) {
        append(buf, size, "#PF linear address %#llx", (unsigned long long)q);
    } else if (hw_exception && INTR_INFO_VECTOR(intr_info) == EXC_DB) {
        append(buf, size, "#DB:");
        describe_debug_bits(q, buf, size);
        if (!(q & 0x1600f))
            append(buf, size, " none");
    } else {
        append(buf, size, q ? "%#llx (no qualification defined)" : "none", (unsigned long long)q);
    }
    return buf;
}

const char *vmx_intr_info_describe(uint32_t info, char *buf, size_t size)
{
    static const char *const types[8] = {
        "external interrupt", "reserved", "NMI", "hardware exception",
        "software interrupt", "privileged software exception", "software exception",
        "other event",
    };
    if (!(info & INTR_INFO_VALID)) {
        snprintf(buf, size, "invalid");
        return buf;
    }
    snprintf(buf, size, "valid, vector %u, %s%s%s", INTR_INFO_VECTOR(info),
             types[INTR_INFO_TYPE(info)], (info & INTR_INFO_DELIVER_CODE) ? ", error code" : "",
             (info & INTR_INFO_NMI_UNBLOCK) ? ", NMI unblocking due to IRET" : "");
    return buf;
}

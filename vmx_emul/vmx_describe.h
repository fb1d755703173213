/* Words for VMX state, for the monitor and traces: the SDM group of each
 * VMCS field (Vol.3C 24.4-24.9), control bits by name (24.6-24.8), exit
 * reasons by name both ways (Appendix C) and exit qualifications decoded
 * per reason (27.2.1). Pure functions of their arguments. */
#ifndef TURTLES_VMX_EMUL_VMX_DESCRIBE_H
#define TURTLES_VMX_EMUL_VMX_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx_emul/vmcs.h"

/* The groups of the SDM's VMCS chapter, in its order. */
enum vmcs_group {
    VMCS_GROUP_GUEST,      /* 24.4 guest-state area */
    VMCS_GROUP_HOST,       /* 24.5 host-state area */
    VMCS_GROUP_EXEC,       /* 24.6 VM-execution control fields */
    VMCS_GROUP_EXIT_CTL,   /* 24.7 VM-exit control fields */
    VMCS_GROUP_ENTRY_CTL,  /* 24.8 VM-entry control fields */
    VMCS_GROUP_EXIT_INFO,  /* 24.9 VM-exit information fields */
    VMCS_GROUP_COUNT
};
enum vmcs_group vmcs_field_group(const struct vmcs_field *f);
const char *vmcs_group_title(enum vmcs_group g);

/* A field by name (case-insensitive, with or without "VMCS_") or by
 * encoding (a number); NULL when neither names an offered field. */
const struct vmcs_field *vmcs_field_find(const char *name_or_encoding);

/* The named bits of a control field (pin-based, primary and secondary
 * processor-based, VM-exit, VM-entry controls), written as
 * "HLT_EXITING|USE_MSR_BITMAPS" into buf; "" when the field has no bit
 * names. Unnamed set bits are written as "bitN". Returns buf. */
const char *vmx_control_bits(uint16_t encoding, uint64_t value, char *buf, size_t size);

/* Basic exit reason (bits 15:0) by SDM name, case-insensitive ("cpuid",
 * "EPT_VIOLATION"), a short alias ("io", "msr_read", "ept"), or number.
 * Returns false when unknown. */
bool vmx_exit_reason_parse(const char *s, unsigned *reason);

/* The full exit-reason field in words: "CPUID (10)", with
 * "entry failure" when bit 31 is set. Returns buf. */
const char *vmx_exit_reason_describe(uint32_t reason, char *buf, size_t size);

/* The exit qualification of a basic exit reason decoded as the SDM's
 * tables lay it out (27.2.1): "CR access: mov to cr3 from rax", "I/O: out
 * port 0x3f8 size 1 ...", "EPT violation: write, entry r-x, linear
 * address valid". Reasons without a qualification give "none". Returns buf. */
const char *vmx_exit_qualification_describe(unsigned reason, uint64_t qual, char *buf,
                                            size_t size);

/* The qualification of an exception or NMI exit (reason 0) when the
 * VM-exit interruption information is known: the linear address of a #PF,
 * the debug conditions of a #DB, none otherwise (27.2.1 table 27-1). */
const char *vmx_exception_qualification_describe(uint32_t intr_info, uint64_t qual, char *buf,
                                                 size_t size);

/* An interruption-information field (24.8.3, 24.9.2, 24.9.3): "valid
 * vector 14 hardware exception error code" or "invalid". Returns buf. */
const char *vmx_intr_info_describe(uint32_t info, char *buf, size_t size);

#endif

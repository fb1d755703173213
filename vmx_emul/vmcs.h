/* The VMCS as a decoded C struct (SDM Vol.3C chapter 24 "Virtual Machine
 * Control Structures", Appendix B "Field Encoding in VMCS"), and the one
 * encoding -> (offset, width, type) table that VMREAD and VMWRITE look up.
 *
 * VM entry and VM exit use the struct members directly (DESIGN.md: the
 * nested fast path); only VMREAD/VMWRITE and the region write-back go
 * through the table. The members and encodings both come from
 * vmx_emul/vmcs_fields.def. */
#ifndef TURTLES_VMX_EMUL_VMCS_H
#define TURTLES_VMX_EMUL_VMCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Field encodings: VMCS_GUEST_RIP = 0x681e, ... */
enum vmcs_encoding {
#define VMCS16(N, m, e, o) VMCS_##N = e,
#define VMCS32(N, m, e, o) VMCS_##N = e,
#define VMCS64(N, m, e, o) VMCS_##N = e, VMCS_##N##_HIGH = (e) + 1,
#define VMCSNW(N, m, e, o) VMCS_##N = e,
#include "vmx_emul/vmcs_fields.def"
#undef VMCS16
#undef VMCS32
#undef VMCS64
#undef VMCSNW
};

/* The decoded VMCS. Natural-width fields are 64 bits (the processor
 * supports Intel 64). */
struct vmcs {
#define VMCS16(N, m, e, o) uint16_t m;
#define VMCS32(N, m, e, o) uint32_t m;
#define VMCS64(N, m, e, o) uint64_t m;
#define VMCSNW(N, m, e, o) uint64_t m;
#include "vmx_emul/vmcs_fields.def"
#undef VMCS16
#undef VMCS32
#undef VMCS64
#undef VMCSNW
};

/* Encoding layout (SDM 24.11.2, table 24-21): bit 0 access type (1: high
 * 32 bits of a 64-bit field), 9:1 index, 11:10 type, 14:13 width; bits 12
 * and 31:15 are reserved (0). */
#define VMCS_ENC_ACCESS_HIGH 1u
#define VMCS_ENC_INDEX(e) (((e) >> 1) & 0x1ffu)
#define VMCS_ENC_TYPE(e) (((e) >> 10) & 3u)
#define VMCS_ENC_WIDTH(e) (((e) >> 13) & 3u)
enum vmcs_field_type { VMCS_TYPE_CONTROL, VMCS_TYPE_EXIT_INFO, VMCS_TYPE_GUEST, VMCS_TYPE_HOST };
enum vmcs_field_width { VMCS_WIDTH_16, VMCS_WIDTH_64, VMCS_WIDTH_32, VMCS_WIDTH_NATURAL };

struct vmcs_field {
    uint16_t encoding;   /* the full (even) encoding */
    uint16_t offset;     /* offsetof(struct vmcs, member) */
    uint8_t width;       /* enum vmcs_field_width */
    uint8_t type;        /* enum vmcs_field_type */
    bool offered;        /* VMREAD/VMWRITE accept it (see vmcs_fields.def) */
    const char *name;    /* "GUEST_RIP": traces and the monitor */
};

extern const struct vmcs_field vmcs_fields[];
extern const unsigned vmcs_field_count;

/* The table row for an encoding (even or odd: the odd encoding of a 64-bit
 * field names its high half), or NULL when the value is not an offered
 * field (VMREAD/VMWRITE: VMfailValid(12)). *high is set for the odd form. */
const struct vmcs_field *vmcs_field_lookup(uint64_t encoding, bool *high);

/* Value of a field as VMREAD returns it (zero-extended; the high half of a
 * 64-bit field when high). */
uint64_t vmcs_field_get(const struct vmcs *v, const struct vmcs_field *f, bool high);
/* Store as VMWRITE does: truncated to the width; a high-half write keeps
 * bits 31:0. */
void vmcs_field_set(struct vmcs *v, const struct vmcs_field *f, bool high, uint64_t value);

/* By encoding, for tests and the monitor: false when not a field. */
bool vmcs_read_encoding(const struct vmcs *v, uint64_t encoding, uint64_t *value);
bool vmcs_write_encoding(struct vmcs *v, uint64_t encoding, uint64_t value);

/* Highest index of any offered field (for IA32_VMX_VMCS_ENUM bits 9:1). */
unsigned vmcs_highest_index(void);

/* Size of the VMCS region layout (vmx_emul/vmcs_cache.c): header + one
 * 8-byte slot per table row. Must not exceed the 4096 bytes that
 * IA32_VMX_BASIC reports. */
#define VMCS_REGION_HEADER 16u
#define VMCS_REGION_BYTES (VMCS_REGION_HEADER + 8u * 256u)

#endif

/* The VMCS field table (SDM Vol.3C Appendix B) and VMREAD/VMWRITE field
 * access by encoding. */
#include "vmx_emul/vmcs.h"

#include <string.h>

const struct vmcs_field vmcs_fields[] = {
#define VMCS16(N, m, e, o) {e, offsetof(struct vmcs, m), VMCS_WIDTH_16, VMCS_ENC_TYPE(e), o, #N},
#define VMCS32(N, m, e, o) {e, offsetof(struct vmcs, m), VMCS_WIDTH_32, VMCS_ENC_TYPE(e), o, #N},
#define VMCS64(N, m, e, o) {e, offsetof(struct vmcs, m), VMCS_WIDTH_64, VMCS_ENC_TYPE(e), o, #N},
#define VMCSNW(N, m, e, o) \
    {e, offsetof(struct vmcs, m), VMCS_WIDTH_NATURAL, VMCS_ENC_TYPE(e), o, #N},
#include "vmx_emul/vmcs_fields.def"
#undef VMCS16
#undef VMCS32
#undef VMCS64
#undef VMCSNW
};
const unsigned vmcs_field_count = sizeof(vmcs_fields) / sizeof(vmcs_fields[0]);

/* The width bits of each encoding must agree with the C type of its row. */
#define VMCS16(N, m, e, o) _Static_assert(VMCS_ENC_WIDTH(e) == VMCS_WIDTH_16 && \
                                          sizeof(((struct vmcs *)0)->m) == 2, #N);
#define VMCS32(N, m, e, o) _Static_assert(VMCS_ENC_WIDTH(e) == VMCS_WIDTH_32, #N);
#define VMCS64(N, m, e, o) _Static_assert(VMCS_ENC_WIDTH(e) == VMCS_WIDTH_64 && !((e) & 1), #N);
#define VMCSNW(N, m, e, o) _Static_assert(VMCS_ENC_WIDTH(e) == VMCS_WIDTH_NATURAL, #N);
#include "vmx_emul/vmcs_fields.def"
#undef VMCS16
#undef VMCS32
#undef VMCS64
#undef VMCSNW

/* Direct index: [width][type][index] -> row + 1 (0: no field). Indexes of
 * all defined fields are below 64. Built once; read-only afterwards. */
#define VMCS_MAX_INDEX 64
static uint16_t field_slot[4][4][VMCS_MAX_INDEX];
static bool field_slot_ready;

static void build_slots(void)
{
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        unsigned e = vmcs_fields[i].encoding;
        if (vmcs_fields[i].offered)
            field_slot[VMCS_ENC_WIDTH(e)][VMCS_ENC_TYPE(e)][VMCS_ENC_INDEX(e)] =
                (uint16_t)(i + 1);
    }
    field_slot_ready = true;
}

const struct vmcs_field *vmcs_field_lookup(uint64_t encoding, bool *high)
{
    if (!field_slot_ready)
        build_slots();
    /* Bits 63:15 and bit 12 are reserved: no field has them (SDM 24.11.2). */
    if (encoding & ~0x6fffull)
        return NULL;
    unsigned e = (unsigned)encoding;
    unsigned index = VMCS_ENC_INDEX(e);
    if (index >= VMCS_MAX_INDEX)
        return NULL;
    unsigned slot = field_slot[VMCS_ENC_WIDTH(e)][VMCS_ENC_TYPE(e)][index];
    if (!slot)
        return NULL;
    const struct vmcs_field *f = &vmcs_fields[slot - 1];
    bool hi = (e & VMCS_ENC_ACCESS_HIGH) != 0;
    /* Only 64-bit fields have a high-access form (SDM 24.11.2: access type
     * must be 0 for the other widths). */
    if (hi && f->width != VMCS_WIDTH_64)
        return NULL;
    if (high)
        *high = hi;
    return f;
}

uint64_t vmcs_field_get(const struct vmcs *v, const struct vmcs_field *f, bool high)
{
    const uint8_t *p = (const uint8_t *)v + f->offset;
    switch (f->width) {
    case VMCS_WIDTH_16: {
        uint16_t x;
        memcpy(&x, p, 2);
        return x;
    }
    case VMCS_WIDTH_32: {
        uint32_t x;
        memcpy(&x, p, 4);
        return x;
    }
    default: {
        uint64_t x;
        memcpy(&x, p, 8);
        return high ? x >> 32 : x;
    }
    }
}

void vmcs_field_set(struct vmcs *v, const struct vmcs_field *f, bool high, uint64_t value)
{
    uint8_t *p = (uint8_t *)v + f->offset;
    switch (f->width) {
    case VMCS_WIDTH_16: {
        uint16_t x = (uint16_t)value;
        memcpy(p, &x, 2);
        break;
    }
    case VMCS_WIDTH_32: {
        uint32_t x = (uint32_t)value;
        memcpy(p, &x, 4);
        break;
    }
    default: {
        uint64_t x;
        if (high) {
            memcpy(&x, p, 8);
            x = (x & 0xffffffffull) | (value << 32);
        } else {
            x = value;
        }
        memcpy(p, &x, 8);
        break;
    }
    }
}

bool vmcs_read_encoding(const struct vmcs *v, uint64_t encoding, uint64_t *value)
{
    bool high = false;
    const struct vmcs_field *f = vmcs_field_lookup(encoding, &high);
    if (!f)
        return false;
    *value = vmcs_field_get(v, f, high);
    return true;
}

bool vmcs_write_encoding(struct vmcs *v, uint64_t encoding, uint64_t value)
{
    bool high = false;
    const struct vmcs_field *f = vmcs_field_lookup(encoding, &high);
    if (!f)
        return false;
    vmcs_field_set(v, f, high, value);
    return true;
}

unsigned vmcs_highest_index(void)
{
    unsigned hi = 0;
    for (unsigned i = 0; i < vmcs_field_count; i++)
        if (vmcs_fields[i].offered && VMCS_ENC_INDEX(vmcs_fields[i].encoding) > hi)
            hi = VMCS_ENC_INDEX(vmcs_fields[i].encoding);
    return hi;
}

_Static_assert(sizeof(vmcs_fields) / sizeof(vmcs_fields[0]) <= 256,
               "VMCS region layout holds 256 field slots");

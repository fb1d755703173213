/* AML encoder: see aml.h. Opcode values from ACPI 6.4 section 20.3. */
#include "bios/aml.h"

#include <stdlib.h>
#include <string.h>

enum {
    AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE_PREFIX = 0x0A,
    AML_WORD_PREFIX = 0x0B, AML_DWORD_PREFIX = 0x0C, AML_STRING_PREFIX = 0x0D,
    AML_QWORD_PREFIX = 0x0E, AML_SCOPE = 0x10, AML_BUFFER = 0x11, AML_PACKAGE = 0x12,
    AML_METHOD = 0x14, AML_DUAL_NAME = 0x2E, AML_MULTI_NAME = 0x2F, AML_EXT = 0x5B,
    AML_EXT_DEVICE = 0x82, AML_ROOT = 0x5C, AML_PARENT = 0x5E, AML_ARG0 = 0x68,
    AML_STORE = 0x70, AML_IF = 0xA0, AML_ELSE = 0xA1, AML_RETURN = 0xA4,
};

/* PkgLength can describe at most 2^28 - 1 bytes (ACPI 6.4 20.2.4). */
#define AML_PKGLEN_MAX ((1u << 28) - 1)

void aml_init(struct aml *a) { memset(a, 0, sizeof *a); }

void aml_free(struct aml *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

static bool aml_reserve(struct aml *a, size_t more)
{
    if (a->failed)
        return false;
    if (more > SIZE_MAX / 2 - a->len) {
        a->failed = true;
        return false;
    }
    if (a->len + more <= a->cap)
        return true;
    size_t cap = a->cap ? a->cap : 256;
    while (cap < a->len + more)
        cap *= 2;
    uint8_t *d = realloc(a->data, cap);
    if (!d) {
        a->failed = true;
        return false;
    }
    a->data = d;
    a->cap = cap;
    return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    if (n == 0 || !aml_reserve(a, n))
        return;
    memcpy(a->data + a->len, p, n);
    a->len += n;
}

void aml_byte(struct aml *a, uint8_t b) { aml_bytes(a, &b, 1); }

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    aml_bytes(a, b, n);
}

void aml_integer(struct aml *a, uint64_t v)
{
    if (v == 0) {
        aml_byte(a, AML_ZERO);
    } else if (v == 1) {
        aml_byte(a, AML_ONE);
    } else if (v <= 0xFF) {
        aml_byte(a, AML_BYTE_PREFIX);
        aml_le(a, v, 1);
    } else if (v <= 0xFFFF) {
        aml_byte(a, AML_WORD_PREFIX);
        aml_le(a, v, 2);
    } else if (v <= 0xFFFFFFFFu) {
        aml_byte(a, AML_DWORD_PREFIX);
        aml_le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD_PREFIX);
        aml_le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    /* AML strings are ASCII 0x01-0x7F (ACPI 6.4 20.2.3 AsciiChar). */
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p > 0x7F)
            a->failed = true;
    aml_byte(a, AML_STRING_PREFIX);
    aml_bytes(a, s, strlen(s) + 1);
}

void aml_eisaid(struct aml *a, const char *id)
{
    /* Three letters of 5 bits each ('A' = 1) then four hex digits, stored
     * big endian. */
    if (strlen(id) != 7) {
        a->failed = true;
        return;
    }
    uint32_t v = 0;
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z') {
            a->failed = true;
            return;
        }
        v = v << 5 | (uint32_t)(id[i] - 0x40);
    }
    for (int i = 3; i < 7; i++) {
        char c = id[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else {
            a->failed = true;
            return;
        }
        v = v << 4 | d;
    }
    /* v now holds 15 bits of letters and 16 bits of product; bit 31 is 0. */
    uint32_t be = (v >> 24 & 0xFF) | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) | (v << 24);
    aml_byte(a, AML_DWORD_PREFIX);
    aml_le(a, be, 4);
}

static bool name_char_ok(char c, bool first)
{
    if ((c >= 'A' && c <= 'Z') || c == '_')
        return true;
    return !first && c >= '0' && c <= '9';
}

void aml_namestring(struct aml *a, const char *path)
{
    const char *p = path;
    if (*p == '\\') {
        aml_byte(a, AML_ROOT);
        p++;
    } else {
        while (*p == '^') {
            aml_byte(a, AML_PARENT);
            p++;
        }
    }
    char segs[255][4];
    unsigned nsegs = 0;
    while (*p) {
        if (nsegs == 255) {
            a->failed = true;
            return;
        }
        unsigned n = 0;
        while (p[n] && p[n] != '.') {
            if (n >= 4 || !name_char_ok(p[n], n == 0)) {
                a->failed = true;
                return;
            }
            n++;
        }
        if (n == 0) {
            a->failed = true;
            return;
        }
        memcpy(segs[nsegs], p, n);
        memset(segs[nsegs] + n, '_', 4 - n);
        nsegs++;
        p += n;
        if (*p == '.') {
            p++;
            if (!*p) {
                a->failed = true;
                return;
            }
        }
    }
    if (nsegs == 0) {
        aml_byte(a, 0x00); /* NullName */
        return;
    }
    if (nsegs == 2) {
        aml_byte(a, AML_DUAL_NAME);
    } else if (nsegs > 2) {
        aml_byte(a, AML_MULTI_NAME);
        aml_byte(a, (uint8_t)nsegs);
    }
    aml_bytes(a, segs, (size_t)nsegs * 4);
}

void aml_name(struct aml *a, const char *name)
{
    aml_byte(a, AML_NAME);
    aml_namestring(a, name);
}

/* The PkgLength counts its own bytes plus what follows it. */
void aml_end(struct aml *a, size_t mark)
{
    if (a->failed)
        return;
    if (mark > a->len) {
        a->failed = true;
        return;
    }
    size_t body = a->len - mark;
    uint8_t enc[4];
    size_t n;
    if (body + 1 < 0x40) {
        n = 1;
        enc[0] = (uint8_t)(body + 1);
    } else {
        size_t total;
        if (body + 2 < 0x1000)
            n = 2;
        else if (body + 3 < 0x100000)
            n = 3;
        else if (body + 4 <= AML_PKGLEN_MAX)
            n = 4;
        else {
            a->failed = true;
            return;
        }
        total = body + n;
        enc[0] = (uint8_t)((n - 1) << 6 | (total & 0xF));
        for (size_t i = 1; i < n; i++)
            enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    }
    if (!aml_reserve(a, n))
        return;
    memmove(a->data + mark + n, a->data + mark, body);
    memcpy(a->data + mark, enc, n);
    a->len += n;
}

static size_t aml_open(struct aml *a, const uint8_t *op, size_t oplen)
{
    aml_bytes(a, op, oplen);
    return a->len;
}

size_t aml_scope(struct aml *a, const char *name)
{
    static const uint8_t op[] = {AML_SCOPE};
    size_t mark = aml_open(a, op, sizeof op);
    aml_namestring(a, name);
    return mark;
}

size_t aml_device(struct aml *a, const char *name)
{
    static const uint8_t op[] = {AML_EXT, AML_EXT_DEVICE};
    size_t mark = aml_open(a, op, sizeof op);
    aml_namestring(a, name);
    return mark;
}

size_t aml_method(struct aml *a, const char *name, unsigned nargs, bool serialized)
{
    static const uint8_t op[] = {AML_METHOD};
    if (nargs > 7)
        a->failed = true;
    size_t mark = aml_open(a, op, sizeof op);
    aml_namestring(a, name);
    /* MethodFlags: ArgCount[2:0], SerializeFlag[3], SyncLevel[7:4] = 0. */
    aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 8 : 0)));
    return mark;
}

size_t aml_package(struct aml *a, unsigned nelements)
{
    static const uint8_t op[] = {AML_PACKAGE};
    if (nelements > 255)
        a->failed = true; /* VarPackage would be needed */
    size_t mark = aml_open(a, op, sizeof op);
    aml_byte(a, (uint8_t)nelements);
    return mark;
}

size_t aml_if(struct aml *a)
{
    static const uint8_t op[] = {AML_IF};
    return aml_open(a, op, sizeof op);
}

size_t aml_else(struct aml *a)
{
    static const uint8_t op[] = {AML_ELSE};
    return aml_open(a, op, sizeof op);
}

void aml_return(struct aml *a) { aml_byte(a, AML_RETURN); }
void aml_store(struct aml *a) { aml_byte(a, AML_STORE); }

void aml_arg(struct aml *a, unsigned n)
{
    if (n > 6)
        a->failed = true;
    aml_byte(a, (uint8_t)(AML_ARG0 + (n & 7)));
}

void aml_buffer(struct aml *a, const void *bytes, size_t n)
{
    static const uint8_t op[] = {AML_BUFFER};
    size_t mark = aml_open(a, op, sizeof op);
    aml_integer(a, n);
    aml_bytes(a, bytes, n);
    aml_end(a, mark);
}

/* Large resource items (ACPI 6.4 6.4.3): tag, 16-bit length of the rest. */
enum {
    RES_SMALL_IRQ_NOFLAGS = 0x22, RES_SMALL_IO = 0x47, RES_SMALL_END = 0x79,
    RES_LARGE_DWORD_ADDR = 0x87, RES_LARGE_WORD_ADDR = 0x88, RES_LARGE_QWORD_ADDR = 0x8A,
};
enum { RES_TYPE_MEMORY = 0, RES_TYPE_IO = 1, RES_TYPE_BUS = 2 };
/* General flags: producer, positive decode, MinFixed, MaxFixed (6.4.3.5). */
#define RES_GFLAGS_FIXED_PRODUCER 0x0C

static void res_address(struct aml *r, uint8_t tag, unsigned width, uint8_t type,
                        uint8_t type_flags, uint64_t min, uint64_t max)
{
    /* type, general flags, type flags, then granularity, min, max,
     * translation offset, length, each `width` bytes. */
    uint16_t body = (uint16_t)(3 + 5 * width);
    aml_byte(r, tag);
    aml_le(r, body, 2);
    aml_byte(r, type);
    aml_byte(r, RES_GFLAGS_FIXED_PRODUCER);
    aml_byte(r, type_flags);
    aml_le(r, 0, width);
    aml_le(r, min, width);
    aml_le(r, max, width);
    aml_le(r, 0, width);
    aml_le(r, max - min + 1, width);
}

void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max)
{
    res_address(r, RES_LARGE_WORD_ADDR, 2, RES_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max)
{
    /* Type flags: ISA and non-ISA ranges both decoded (EntireRange = 3). */
    res_address(r, RES_LARGE_WORD_ADDR, 2, RES_TYPE_IO, 0x03, min, max);
}

void aml_res_dword_mem(struct aml *r, uint32_t min, uint32_t max, bool cacheable)
{
    /* Type flags: read/write (bit 0), cacheable (bits 2:1 = 1). */
    res_address(r, RES_LARGE_DWORD_ADDR, 4, RES_TYPE_MEMORY, cacheable ? 0x03 : 0x01, min, max);
}

void aml_res_qword_mem(struct aml *r, uint64_t min, uint64_t max, bool cacheable)
{
    res_address(r, RES_LARGE_QWORD_ADDR, 8, RES_TYPE_MEMORY, cacheable ? 0x03 : 0x01, min, max);
}

void aml_res_io(struct aml *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    aml_byte(r, RES_SMALL_IO);
    aml_byte(r, 0x01); /* 16-bit decode */
    aml_le(r, min, 2);
    aml_le(r, max, 2);
    aml_byte(r, align);
    aml_byte(r, len);
}

void aml_res_irq_noflags(struct aml *r, uint16_t irq_mask)
{
    aml_byte(r, RES_SMALL_IRQ_NOFLAGS);
    aml_le(r, irq_mask, 2);
}

void aml_resource_template(struct aml *a, const struct aml *r)
{
    if (r->failed) {
        a->failed = true;
        return;
    }
    struct aml t;
    aml_init(&t);
    aml_bytes(&t, r->data, r->len);
    /* End tag with checksum 0: "treated as if the checksum operation
     * yielded zero" (ACPI 6.4 6.4.2.9). */
    aml_byte(&t, RES_SMALL_END);
    aml_byte(&t, 0);
    if (t.failed)
        a->failed = true;
    else
        aml_buffer(a, t.data, t.len);
    aml_free(&t);
}

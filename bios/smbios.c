#define _POSIX_C_SOURCE 200809L /* strnlen */
/* SMBIOS structure table and entry point (bios/smbios.h; DSP0134 2.8). */
#include "bios/smbios.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing byte buffer for the structure table. */
struct buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
    unsigned count;     /* structures */
    size_t max_struct;  /* the largest structure, strings included */
};

static uint8_t *grow(struct buf *b, size_t n)
{
    if (b->oom)
        return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    uint8_t *at = b->p + b->len;
    memset(at, 0, n);
    b->len += n;
    return at;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* One structure: formatted area of `len` bytes (type, length, handle filled
 * here), then its strings (each NUL-terminated, the set ended by an extra
 * NUL; a structure without strings ends in two NULs). Strings are numbered
 * from 1 in the order given; an empty or NULL string gets number 0. */
struct sm {
    struct buf *b;
    size_t start;
    uint8_t nstrings;
};

static uint8_t *sm_begin(struct sm *s, struct buf *b, uint8_t type, uint8_t len, uint16_t handle)
{
    s->b = b;
    s->start = b->len;
    s->nstrings = 0;
    uint8_t *f = grow(b, len);
    if (!f)
        return NULL;
    f[0] = type;
    f[1] = len;
    put16(f + 2, handle);
    return f;
}

/* Adds a string and stores its number at formatted-area offset off. */
static void sm_string(struct sm *s, uint8_t off, const char *str)
{
    if (!str || !*str || s->b->oom)
        return;
    size_t n = strnlen(str, SMBIOS_STRING_MAX);
    uint8_t *p = grow(s->b, n + 1);
    if (!p)
        return;
    memcpy(p, str, n);
    s->b->p[s->start + off] = ++s->nstrings;
}

static void sm_end(struct sm *s)
{
    grow(s->b, s->nstrings ? 1 : 2);
    if (s->b->oom)
        return;
    s->b->count++;
    size_t size = s->b->len - s->start;
    if (size > s->b->max_struct)
        s->b->max_struct = size;
}

static const char *or(const char *s, const char *def)
{
    return s ? s : def;
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

int smbios_build(const struct smbios_config *cfg, uint8_t **table, size_t *table_len,
                 uint8_t anchor[SMBIOS_ANCHOR_LEN])
{
    struct buf b = {0};
    struct sm s;
    uint8_t *f;

    /* Type 0: BIOS information (7.1). */
    if ((f = sm_begin(&s, &b, 0, 0x18, 0x0000))) {
        put16(f + 6, 0xe800);                  /* starting segment */
        f[9] = 0;                              /* ROM size: 64 KiB */
        put64(f + 0x0a, 1ull << 3);            /* characteristics not supported */
        f[0x13] = 1 << 4;                      /* ext. byte 2: VM (bit 4) */
        f[0x14] = 0;                           /* system BIOS release */
        f[0x15] = 0;
        f[0x16] = f[0x17] = 0xff;              /* no embedded controller */
        sm_string(&s, 0x04, or(cfg->bios_vendor, "turtles"));
        sm_string(&s, 0x05, or(cfg->bios_version, "turtles"));
        sm_string(&s, 0x08, or(cfg->bios_date, "01/01/2026"));
        sm_end(&s);
    }
    /* Type 1: system information (7.2). */
    if ((f = sm_begin(&s, &b, 1, 0x1b, 0x0100))) {
        /* SMBIOS 2.6+ stores time_low, time_mid and time_hi_and_version
         * little-endian (7.2.1). */
        static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
        for (unsigned i = 0; i < 16; i++)
            f[0x08 + i] = cfg->uuid[order[i]];
        f[0x18] = 6;                           /* wake-up: power switch */
        sm_string(&s, 0x04, or(cfg->manufacturer, "turtles"));
        sm_string(&s, 0x05, or(cfg->product, "turtles PC (i440FX + PIIX)"));
        sm_string(&s, 0x06, or(cfg->version, "1.0"));
        sm_string(&s, 0x07, cfg->serial);
        sm_string(&s, 0x19, cfg->sku);
        sm_string(&s, 0x1a, cfg->family);
        sm_end(&s);
    }
    /* Type 3: system enclosure (7.4), without contained elements. */
    if ((f = sm_begin(&s, &b, 3, 0x16, 0x0300))) {
        f[0x05] = 0x01;                        /* other */
        f[0x09] = f[0x0a] = f[0x0b] = 0x03;    /* boot-up, power, thermal: safe */
        f[0x0c] = 0x02;                        /* security: unknown */
        sm_string(&s, 0x04, or(cfg->manufacturer, "turtles"));
        sm_end(&s);
    }
    /* Type 4: one processor per vCPU (7.5). */
    for (int i = 0; i < cfg->ncpus && i < 256; i++) {
        if (!(f = sm_begin(&s, &b, 4, 0x28, (uint16_t)(0x0400 + i))))
            break;
        f[0x05] = 0x03;                        /* central processor */
        f[0x06] = 0x01;                        /* family: other */
        put32(f + 0x08, cfg->cpuid_1_eax);     /* processor ID: CPUID.1 EAX, EDX */
        put32(f + 0x0c, cfg->cpuid_1_edx);
        put16(f + 0x14, 3000);                 /* max speed, MHz */
        put16(f + 0x16, 3000);                 /* current speed */
        f[0x18] = 0x41;                        /* socket populated, CPU enabled */
        f[0x19] = 0x01;                        /* upgrade: other */
        put16(f + 0x1a, 0xffff);               /* no cache information */
        put16(f + 0x1c, 0xffff);
        put16(f + 0x1e, 0xffff);
        f[0x23] = f[0x24] = f[0x25] = 1;       /* cores, enabled, threads */
        put16(f + 0x26, 0x0004);               /* 64-bit capable */
        char sock[16];
        snprintf(sock, sizeof(sock), "CPU %d", i);
        sm_string(&s, 0x04, sock);
        sm_string(&s, 0x07, "turtles");        /* manufacturer */
        sm_string(&s, 0x10, "turtles-skylake"); /* version */
        sm_end(&s);
    }
    uint64_t ram = cfg->ram_below_4g + cfg->ram_above_4g;
    uint64_t kib = ram >> 10;
    /* Type 16: physical memory array (7.17). */
    if ((f = sm_begin(&s, &b, 16, 0x17, 0x1000))) {
        f[0x04] = 0x01;                        /* location: other */
        f[0x05] = 0x03;                        /* use: system memory */
        f[0x06] = 0x06;                        /* error correction: multi-bit ECC */
        put32(f + 0x07, kib < 0x80000000u ? (uint32_t)kib : 0x80000000u);
        put16(f + 0x0b, 0xfffe);               /* no error information */
        put16(f + 0x0d, 1);                    /* devices */
        put64(f + 0x0f, kib < 0x80000000u ? 0 : ram);
        sm_end(&s);
    }
    /* Type 17: the memory device (7.18). */
    if ((f = sm_begin(&s, &b, 17, 0x28, 0x1100))) {
        uint64_t mib = ram >> 20;
        put16(f + 0x04, 0x1000);               /* its array */
        put16(f + 0x06, 0xfffe);
        put16(f + 0x08, 0xffff);               /* widths unknown */
        put16(f + 0x0a, 0xffff);
        put16(f + 0x0c, mib < 0x7fff ? (uint16_t)mib : 0x7fff);
        f[0x0e] = 0x09;                        /* DIMM */
        f[0x12] = 0x07;                        /* RAM */
        put16(f + 0x13, 0x0002);               /* type detail: other */
        put32(f + 0x1c, mib < 0x7fff ? 0 : (uint32_t)mib);
        sm_string(&s, 0x10, "DIMM 0");
        sm_string(&s, 0x17, "turtles");
        sm_end(&s);
    }
    /* Type 19: memory array mapped addresses (7.20), one per RAM region. */
    struct { uint64_t start, size; } r[2] = {{0, cfg->ram_below_4g}, {1ull << 32, cfg->ram_above_4g}};
    for (int i = 0; i < 2; i++) {
        if (!r[i].size || !(f = sm_begin(&s, &b, 19, 0x1f, (uint16_t)(0x1300 + i))))
            continue;
        uint64_t start = r[i].start >> 10, end = ((r[i].start + r[i].size) >> 10) - 1;
        bool ext = end >= 0xffffffffu;
        put32(f + 0x04, ext ? 0xffffffffu : (uint32_t)start);
        put32(f + 0x08, ext ? 0xffffffffu : (uint32_t)end);
        put16(f + 0x0c, 0x1000);
        f[0x0e] = 1;
        put64(f + 0x0f, ext ? r[i].start : 0);
        put64(f + 0x17, ext ? r[i].start + r[i].size - 1 : 0);
        sm_end(&s);
    }
    /* Type 32: system boot information (7.33): no errors. */
    if ((f = sm_begin(&s, &b, 32, 0x0b, 0x2000)))
        sm_end(&s);
    /* Type 127: end of table. */
    if ((f = sm_begin(&s, &b, 127, 0x04, 0x7f00)))
        sm_end(&s);
    if (b.oom) {
        free(b.p);
        return -1;
    }

    /* The 2.1 entry point (5.2.1); the table address at 0x18 is the
     * firmware's to fill, and it recomputes both checksums then. */
    memset(anchor, 0, SMBIOS_ANCHOR_LEN);
    memcpy(anchor, "_SM_", 4);
    anchor[5] = SMBIOS_ANCHOR_LEN;
    anchor[6] = 2;
    anchor[7] = 8;
    put16(anchor + 8, (uint16_t)b.max_struct);
    memcpy(anchor + 0x10, "_DMI_", 5);
    put16(anchor + 0x16, (uint16_t)b.len);
    put16(anchor + 0x1c, (uint16_t)b.count);
    anchor[0x1e] = 0x28;
    anchor[0x15] = checksum(anchor + 0x10, 0x0f);
    anchor[0x04] = checksum(anchor, SMBIOS_ANCHOR_LEN);
    *table = b.p;
    *table_len = b.len;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int smbios_parse_uuid(const char *s, uint8_t out[16])
{
    uint8_t raw[16];
    unsigned n = 0;
    for (unsigned i = 0; s[i]; i++) {
        if (s[i] == '-') {
            if (i != 8 && i != 13 && i != 18 && i != 23)
                return -1;
            continue;
        }
        int hi = hexval(s[i]), lo = s[i + 1] ? hexval(s[i + 1]) : -1;
        if (hi < 0 || lo < 0 || n >= 16)
            return -1;
        raw[n++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    if (n != 16 || strlen(s) != 36)
        return -1;
    memcpy(out, raw, 16);
    return 0;
}

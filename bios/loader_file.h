/* Reading untrusted input files (kernels, initrds, modules) for the direct
 * loaders: sizes are checked before anything is allocated or copied, and
 * every guest write goes through physmem. */
#ifndef TURTLES_BIOS_LOADER_FILE_H
#define TURTLES_BIOS_LOADER_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/physmem.h"

struct loader_file {
    FILE *f;
    uint64_t size;
    const char *path;
};

/* Opens a regular file for reading. Returns 0, or -1 with a message in err. */
int loader_file_open(struct loader_file *lf, const char *path, char *err, size_t errlen);
void loader_file_close(struct loader_file *lf);

/* Reads exactly len bytes at offset into buf. Returns 0, or -1 with a
 * message ("truncated" when the file is shorter). */
int loader_file_read(struct loader_file *lf, uint64_t offset, void *buf, size_t len, char *err,
                     size_t errlen);

/* Copies len bytes at file offset `offset` to guest-physical `paddr`, in
 * chunks (no allocation of the whole size). Returns 0 or -1 with a message. */
int loader_file_to_guest(struct loader_file *lf, uint64_t offset, struct physmem *pm,
                         uint64_t paddr, uint64_t len, char *err, size_t errlen);

/* Writes len zero bytes at paddr (BSS). */
void loader_zero_guest(struct physmem *pm, uint64_t paddr, uint64_t len);

/* Little-endian field access on host buffers, independent of host order. */
static inline uint16_t ld_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t ld_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ld_le64(const uint8_t *p)
{
    return (uint64_t)ld_le32(p) | (uint64_t)ld_le32(p + 4) << 32;
}
static inline void st_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void st_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void st_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif

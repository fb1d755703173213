/* Reading the files options name (-bios, -kernel, -initrd, multiboot
 * modules): one loader that refuses what is not a non-empty, readable
 * regular file (directories, FIFOs, devices) with one message naming the
 * option and the file, and never blocks in open(). A file is read once,
 * whole; with a loader_cache, later opens of the same file (a guest reset
 * reloading the kernel) are served from memory. Sizes are checked before
 * anything is copied, and every guest write goes through physmem. */
#ifndef TURTLES_BIOS_LOADER_FILE_H
#define TURTLES_BIOS_LOADER_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/physmem.h"

/* Larger files are refused before anything is read: no guest can load a
 * kernel, initrd or ROM of 4 GiB or more below 4 GiB. */
#define LOADER_FILE_MAX_SIZE (4ull << 30)

struct loader_file {
    const uint8_t *data; /* the whole file */
    uint64_t size;
    const char *path;
    char name[320];      /* "-kernel 'PATH'", how messages name the file */
    uint8_t *owned;      /* freed by loader_file_close (no cache) */
};

/* Files already read, kept until loader_cache_free. */
#define LOADER_CACHE_MAX 260
struct loader_cache {
    int n;
    struct loader_cache_entry {
        char *option, *path;
        uint8_t *data;
        uint64_t size;
    } entries[LOADER_CACHE_MAX];
};
void loader_cache_free(struct loader_cache *c);

/* Reads the whole regular file `path` named by `option` ("-kernel"),
 * refusing one over max_size bytes (0: LOADER_FILE_MAX_SIZE - 1) before
 * reading it. Returns 0 with *data (malloc'ed) and *size, or -1 with a
 * message in err that names the option and the file. */
int loader_read_whole(const char *option, const char *path, uint64_t max_size, uint8_t **data,
                      uint64_t *size, char *err, size_t errlen);

/* Opens the file for the loaders: from the cache when it holds it (cache
 * may be NULL). Returns 0, or -1 with a message in err. */
int loader_file_open(struct loader_file *lf, struct loader_cache *cache, const char *option,
                     const char *path, char *err, size_t errlen);
void loader_file_close(struct loader_file *lf);

/* Reads exactly len bytes at offset into buf. Returns 0, or -1 with a
 * message ("truncated" when the file is shorter). */
int loader_file_read(struct loader_file *lf, uint64_t offset, void *buf, size_t len, char *err,
                     size_t errlen);

/* Copies len bytes at file offset `offset` to guest-physical `paddr`.
 * Returns 0 or -1 with a message. */
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

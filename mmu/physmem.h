/* Guest physical address space: RAM, ROM and MMIO dispatch.
 *
 * RAM is one host buffer. The part below the PCI hole is mapped at
 * [0, low_ram_size); the rest is mapped at [4 GiB, 4 GiB + high part), as on
 * a PC. ROM and MMIO regions overlay RAM and are looked up first. Every
 * guest-physical access, CPU or DMA, is bounds-checked here: an address that
 * maps to nothing reads as all ones and ignores writes, as on a PC bus. */
#ifndef TURTLES_MMU_PHYSMEM_H
#define TURTLES_MMU_PHYSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYS_PAGE_SHIFT 12
#define PHYS_PAGE_SIZE 4096u
#define PHYS_4G 0x100000000ull

typedef uint64_t (*mmio_read_fn)(void *opaque, uint64_t offset, unsigned size);
typedef void (*mmio_write_fn)(void *opaque, uint64_t offset, uint64_t value, unsigned size);

struct mmio_region {
    uint64_t base, size;
    void *opaque;
    mmio_read_fn read;   /* NULL for ROM: reads come from rom_data */
    mmio_write_fn write; /* NULL: writes ignored */
    const uint8_t *rom_data;
    const char *name;
};

#define PHYSMEM_MAX_REGIONS 64

/* Called when a write hits a page that holds decoded code (self-modifying
 * code): the CPU layer registers it to drop its decoded blocks. */
typedef void (*code_write_fn)(void *opaque, uint64_t page_paddr);

struct physmem {
    uint8_t *ram;
    uint64_t ram_size;      /* total RAM bytes */
    uint64_t low_ram_size;  /* RAM mapped below 4 GiB */
    struct mmio_region regions[PHYSMEM_MAX_REGIONS];
    int nregions;
    /* One byte per RAM page: non-zero when the page holds decoded code. */
    uint8_t *code_pages;
    code_write_fn on_code_write;
    void *code_write_opaque;
    /* -d guest_errors: called for an access with neither RAM nor a device
     * at paddr (NULL: not asked for). */
    void (*on_unassigned)(void *opaque, uint64_t paddr, bool write, unsigned size);
    void *unassigned_opaque;
    /* Incremented whenever the map changes (region added/removed); TLBs that
     * cache host pointers compare it to know they must flush. */
    uint64_t map_generation;
};

/* Returns 0, or -1 with errno set when the host cannot provide the memory. */
int physmem_init(struct physmem *pm, uint64_t ram_size, uint64_t low_ram_limit);
void physmem_destroy(struct physmem *pm);
/* Zero all RAM (machine reset), giving the pages back to the host. */
int physmem_clear_ram(struct physmem *pm);

/* Overlay a region (MMIO or ROM); later regions win over earlier ones. */
int physmem_add_mmio(struct physmem *pm, uint64_t base, uint64_t size, void *opaque,
                     mmio_read_fn read, mmio_write_fn write, const char *name);
int physmem_add_rom(struct physmem *pm, uint64_t base, uint64_t size, const uint8_t *data,
                    const char *name);
/* A region whose kind changes (the chipset's shadow RAM segments: ROM, a
 * read-only view of RAM, callbacks or nothing): physmem_add_region returns
 * its index (or -1), physmem_set_region replaces what it is. */
int physmem_add_region(struct physmem *pm, const struct mmio_region *r);
void physmem_set_region(struct physmem *pm, int idx, const struct mmio_region *r);
/* Move or remove (size 0) a region identified by opaque+name (PCI BAR updates). */
void physmem_remap(struct physmem *pm, void *opaque, const char *name, uint64_t base,
                   uint64_t size);

/* RAM index of a physical address, or UINT64_MAX when it is not RAM or an
 * overlay region covers it. */
uint64_t physmem_ram_offset(const struct physmem *pm, uint64_t paddr);

/* Host pointer to the page containing paddr when the whole page is plain RAM,
 * else NULL (MMIO, ROM, unmapped). Used to fill TLB entries. */
uint8_t *physmem_ram_page(const struct physmem *pm, uint64_t paddr);

/* Accesses of 1, 2, 4 or 8 bytes; may cross a page boundary. */
uint64_t physmem_read(struct physmem *pm, uint64_t paddr, unsigned size);
void physmem_write(struct physmem *pm, uint64_t paddr, uint64_t value, unsigned size);

/* DMA and loaders: byte-wise semantics, bounds-checked. */
void physmem_read_buf(struct physmem *pm, uint64_t paddr, void *buf, size_t len);
void physmem_write_buf(struct physmem *pm, uint64_t paddr, const void *buf, size_t len);

/* Self-modifying-code tracking. */
static inline bool physmem_page_has_code(const struct physmem *pm, uint64_t ram_off)
{
    return pm->code_pages[ram_off >> PHYS_PAGE_SHIFT] != 0;
}
void physmem_mark_code(struct physmem *pm, uint64_t paddr);
/* To be called by any writer that bypasses physmem_write (TLB fast path never
 * does: pages with code are not given write entries). */
void physmem_note_write(struct physmem *pm, uint64_t paddr, unsigned len);

#endif

#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "mmu/physmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Zero-filled memory the kernel commits page by page on first touch.
 * NULL with errno on failure. */
static void *reserve_zeroed(uint64_t size)
{
    if (size == 0 || size > SIZE_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void release(void *p, uint64_t size)
{
    if (p)
        munmap(p, (size_t)size);
}

int physmem_init(struct physmem *pm, uint64_t ram_size, uint64_t low_ram_limit)
{
    memset(pm, 0, sizeof(*pm));
    if (ram_size == 0 || (ram_size & (PHYS_PAGE_SIZE - 1))) {
        errno = EINVAL;
        return -1;
    }
    /* Guest RAM and its code-page map are reserved, not committed: a large
     * -m costs only the pages the guest touches, and an -m beyond host
     * RAM + swap still starts (MAP_NORESERVE: no swap is set aside). */
    pm->ram = reserve_zeroed(ram_size);
    pm->code_pages = reserve_zeroed(ram_size >> PHYS_PAGE_SHIFT);
    if (!pm->ram || !pm->code_pages) {
        int e = errno;
        release(pm->ram, ram_size);
        release(pm->code_pages, ram_size >> PHYS_PAGE_SHIFT);
        pm->ram = NULL;
        pm->code_pages = NULL;
        errno = e ? e : ENOMEM;
        return -1;
    }
    pm->ram_size = ram_size;
    pm->low_ram_size = ram_size < low_ram_limit ? ram_size : low_ram_limit;
    return 0;
}

void physmem_destroy(struct physmem *pm)
{
    release(pm->ram, pm->ram_size);
    release(pm->code_pages, pm->ram_size >> PHYS_PAGE_SHIFT);
    memset(pm, 0, sizeof(*pm));
}

int physmem_clear_ram(struct physmem *pm)
{
    uint8_t *fresh = reserve_zeroed(pm->ram_size);
    if (!fresh)
        return -1;
    release(pm->ram, pm->ram_size);
    pm->ram = fresh;
    memset(pm->code_pages, 0, pm->ram_size >> PHYS_PAGE_SHIFT);
    pm->map_generation++; /* TLB entries point into the old buffer */
    return 0;
}

static int add_region(struct physmem *pm, const struct mmio_region *r)
{
    if (pm->nregions >= PHYSMEM_MAX_REGIONS)
        return -1;
    pm->regions[pm->nregions++] = *r;
    pm->map_generation++;
    return 0;
}

int physmem_add_region(struct physmem *pm, const struct mmio_region *r)
{
    return add_region(pm, r) < 0 ? -1 : pm->nregions - 1;
}

void physmem_set_region(struct physmem *pm, int idx, const struct mmio_region *r)
{
    if (idx < 0 || idx >= pm->nregions)
        return;
    pm->regions[idx] = *r;
    pm->map_generation++;
}

int physmem_add_mmio(struct physmem *pm, uint64_t base, uint64_t size, void *opaque,
                     mmio_read_fn read, mmio_write_fn write, const char *name)
{
    struct mmio_region r = {.base = base, .size = size, .opaque = opaque,
                            .read = read, .write = write, .name = name};
    return add_region(pm, &r);
}

int physmem_add_rom(struct physmem *pm, uint64_t base, uint64_t size, const uint8_t *data,
                    const char *name)
{
    struct mmio_region r = {.base = base, .size = size, .rom_data = data, .name = name};
    return add_region(pm, &r);
}

void physmem_remap(struct physmem *pm, void *opaque, const char *name, uint64_t base,
                   uint64_t size)
{
    for (int i = 0; i < pm->nregions; i++) {
        struct mmio_region *r = &pm->regions[i];
        if (r->opaque == opaque && r->name == name) {
            r->base = base;
            r->size = size;
            pm->map_generation++;
            return;
        }
    }
}

/* Later regions win: search from the end. */
static struct mmio_region *find_region(const struct physmem *pm, uint64_t paddr)
{
    for (int i = pm->nregions - 1; i >= 0; i--) {
        const struct mmio_region *r = &pm->regions[i];
        if (r->size && paddr - r->base < r->size)
            return (struct mmio_region *)r;
    }
    return NULL;
}

static uint64_t ram_index(const struct physmem *pm, uint64_t paddr)
{
    if (paddr < pm->low_ram_size)
        return paddr;
    if (paddr >= PHYS_4G && paddr - PHYS_4G < pm->ram_size - pm->low_ram_size)
        return pm->low_ram_size + (paddr - PHYS_4G);
    return UINT64_MAX;
}

uint64_t physmem_ram_offset(const struct physmem *pm, uint64_t paddr)
{
    if (find_region(pm, paddr))
        return UINT64_MAX;
    return ram_index(pm, paddr);
}

uint8_t *physmem_ram_page(const struct physmem *pm, uint64_t paddr)
{
    uint64_t page = paddr & ~(uint64_t)(PHYS_PAGE_SIZE - 1);
    for (int i = 0; i < pm->nregions; i++) {
        const struct mmio_region *r = &pm->regions[i];
        if (r->size && r->base < page + PHYS_PAGE_SIZE && page < r->base + r->size)
            return NULL;
    }
    uint64_t off = ram_index(pm, page);
    if (off == UINT64_MAX)
        return NULL;
    return pm->ram + off;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t read_byte(struct physmem *pm, uint64_t paddr)
{
    struct mmio_region *r = find_region(pm, paddr);
    if (r) {
        if (r->rom_data)
            return r->rom_data[paddr - r->base];
        return r->read ? (uint8_t)r->read(r->opaque, paddr - r->base, 1) : 0xff;
    }
    uint64_t off = ram_index(pm, paddr);
    return off == UINT64_MAX ? 0xff : pm->ram[off];
}

static void write_byte(struct physmem *pm, uint64_t paddr, uint8_t v)
{
    struct mmio_region *r = find_region(pm, paddr);
    if (r) {
        if (!r->rom_data && r->write)
            r->write(r->opaque, paddr - r->base, v, 1);
        return;
    }
    uint64_t off = ram_index(pm, paddr);
    if (off == UINT64_MAX)
        return;
    pm->ram[off] = v;
    if (pm->code_pages[off >> PHYS_PAGE_SHIFT])
        physmem_note_write(pm, paddr, 1);
}

uint64_t physmem_read(struct physmem *pm, uint64_t paddr, unsigned size)
{
    /* A device register is accessed at its natural size when the access
     * stays inside the region; everything else goes byte by byte. */
    struct mmio_region *r = find_region(pm, paddr);
    if (r && r->read && !r->rom_data && paddr - r->base + size <= r->size)
        return r->read(r->opaque, paddr - r->base, size);
    if (!r) {
        uint64_t off = ram_index(pm, paddr);
        if (off != UINT64_MAX && ram_index(pm, paddr + size - 1) == off + size - 1)
            return load_le(pm->ram + off, size);
    }
    if (pm->on_unassigned && !r && ram_index(pm, paddr) == UINT64_MAX)
        pm->on_unassigned(pm->unassigned_opaque, paddr, false, size);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)read_byte(pm, paddr + i) << (8 * i);
    return v;
}

void physmem_write(struct physmem *pm, uint64_t paddr, uint64_t value, unsigned size)
{
    struct mmio_region *r = find_region(pm, paddr);
    if (r && r->write && !r->rom_data && paddr - r->base + size <= r->size) {
        r->write(r->opaque, paddr - r->base, value, size);
        return;
    }
    if (!r) {
        uint64_t off = ram_index(pm, paddr);
        if (off != UINT64_MAX && ram_index(pm, paddr + size - 1) == off + size - 1) {
            store_le(pm->ram + off, value, size);
            if (pm->code_pages[off >> PHYS_PAGE_SHIFT] ||
                pm->code_pages[(off + size - 1) >> PHYS_PAGE_SHIFT])
                physmem_note_write(pm, paddr, size);
            return;
        }
    }
    if (pm->on_unassigned && !r && ram_index(pm, paddr) == UINT64_MAX)
        pm->on_unassigned(pm->unassigned_opaque, paddr, true, size);
    for (unsigned i = 0; i < size; i++)
        write_byte(pm, paddr + i, (uint8_t)(value >> (8 * i)));
}

void physmem_read_buf(struct physmem *pm, uint64_t paddr, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        uint8_t *page = physmem_ram_page(pm, paddr);
        size_t in_page = PHYS_PAGE_SIZE - (paddr & (PHYS_PAGE_SIZE - 1));
        size_t n = len < in_page ? len : in_page;
        if (page) {
            memcpy(out, page + (paddr & (PHYS_PAGE_SIZE - 1)), n);
        } else {
            for (size_t i = 0; i < n; i++)
                out[i] = read_byte(pm, paddr + i);
        }
        out += n;
        paddr += n;
        len -= n;
    }
}

void physmem_write_buf(struct physmem *pm, uint64_t paddr, const void *buf, size_t len)
{
    const uint8_t *in = buf;
    while (len) {
        uint8_t *page = physmem_ram_page(pm, paddr);
        size_t in_page = PHYS_PAGE_SIZE - (paddr & (PHYS_PAGE_SIZE - 1));
        size_t n = len < in_page ? len : in_page;
        if (page) {
            memcpy(page + (paddr & (PHYS_PAGE_SIZE - 1)), in, n);
            uint64_t off = (uint64_t)(page - pm->ram);
            if (pm->code_pages[off >> PHYS_PAGE_SHIFT])
                physmem_note_write(pm, paddr, (unsigned)n);
        } else {
            for (size_t i = 0; i < n; i++)
                write_byte(pm, paddr + i, in[i]);
        }
        in += n;
        paddr += n;
        len -= n;
    }
}

void physmem_mark_code(struct physmem *pm, uint64_t paddr)
{
    uint64_t off = ram_index(pm, paddr);
    if (off != UINT64_MAX)
        pm->code_pages[off >> PHYS_PAGE_SHIFT] = 1;
}

void physmem_note_write(struct physmem *pm, uint64_t paddr, unsigned len)
{
    uint64_t first = paddr >> PHYS_PAGE_SHIFT, last = (paddr + len - 1) >> PHYS_PAGE_SHIFT;
    for (uint64_t p = first; p <= last; p++) {
        uint64_t off = ram_index(pm, p << PHYS_PAGE_SHIFT);
        if (off == UINT64_MAX || !pm->code_pages[off >> PHYS_PAGE_SHIFT])
            continue;
        pm->code_pages[off >> PHYS_PAGE_SHIFT] = 0;
        if (pm->on_code_write)
            pm->on_code_write(pm->code_write_opaque, p << PHYS_PAGE_SHIFT);
    }
}

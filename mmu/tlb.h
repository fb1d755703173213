/* The software TLB: linear page -> host pointer (RAM) or physical page (MMIO).
 *
 * Two arrays, one for supervisor and one for user accesses, so a CPL change
 * needs no flush. An entry holds one tag per access kind; a tag is the linear
 * page address when that access is allowed without a page walk, or
 * TLB_TAG_INVALID. Write tags are never given for pages holding decoded code
 * (self-modifying code must reach physmem_note_write) nor for MMIO; such
 * accesses take the slow path. */
#ifndef TURTLES_MMU_TLB_H
#define TURTLES_MMU_TLB_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TLB_BITS 10
#define TLB_ENTRIES (1u << TLB_BITS)
#define TLB_TAG_INVALID 1ull /* never a page address */

struct tlb_entry {
    uint64_t tag_read, tag_write, tag_exec;
    uintptr_t addend;     /* host address = linear address + addend (RAM only; 0 for MMIO) */
    uint64_t paddr_page;  /* physical page, for MMIO slow path and invalidation */
    bool global;
};

struct tlb {
    struct tlb_entry e[2][TLB_ENTRIES]; /* [0] supervisor, [1] user */
    uint64_t map_generation;            /* physmem map generation the entries were made under */
};

static inline unsigned tlb_index(uint64_t lin)
{
    return (unsigned)(lin >> 12) & (TLB_ENTRIES - 1);
}

void tlb_flush_all(struct tlb *t);
void tlb_flush_nonglobal(struct tlb *t);
void tlb_flush_page(struct tlb *t, uint64_t lin);
/* Remove write permission from every entry that maps this physical page. */
void tlb_drop_write_paddr(struct tlb *t, uint64_t paddr_page);

#endif

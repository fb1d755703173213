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

#include "mmu/arch_bits.h"

#define TLB_BITS 10
#define TLB_ENTRIES (1u << TLB_BITS)
#define TLB_TAG_INVALID 1ull /* never a page address */

struct tlb_entry {
    uint64_t tag_read, tag_write, tag_exec;
    uintptr_t addend;     /* host address = linear address + addend (RAM only; 0 for MMIO) */
    uint64_t paddr_page;  /* physical page, for MMIO slow path and invalidation */
    bool global;
    bool large;           /* slot of a 2M/4M/1G page (see tlb_note_large_page) */
    bool listed;          /* its slot is in tlb.used (tlb_note_filled) */
};

struct tlb {
    struct tlb_entry e[2][TLB_ENTRIES]; /* [0] supervisor, [1] user */
    uint64_t map_generation;            /* physmem map generation the entries were made under */
    /* Linear range [large_lo, large_hi] covered by the large pages whose
     * slots are cached, so INVLPG of any address inside a large page drops
     * every slot of it (SDM Vol.3A 4.10.4.1). Empty when large_lo > large_hi. */
    uint64_t large_lo, large_hi;
    /* The slots filled since the last full flush (user << TLB_BITS | index),
     * so that a full flush and a VMX context save touch those alone, not
     * every slot: a VM exit/entry pair does both. Only trusted once
     * `listing` is set by a flush over every slot (a zeroed struct tlb holds
     * tags of page 0, which only that first flush clears). */
    uint16_t used[2 * TLB_ENTRIES];
    unsigned nused;
    bool listing;
};

/* Every writer of a slot's tags calls this after filling it. */
static inline void tlb_note_filled(struct tlb *t, unsigned user, unsigned index)
{
    struct tlb_entry *e = &t->e[user][index];
    if (!e->listed) {
        e->listed = true;
        t->used[t->nused++] = (uint16_t)(user << TLB_BITS | index);
    }
}

static inline unsigned tlb_index(uint64_t lin)
{
    return (unsigned)(lin >> 12) & (TLB_ENTRIES - 1);
}

/* Invalidation policy. Entries are not tagged with a PCID: the TLB only ever
 * holds translations of the current PCID plus global ones, so a PCID switch
 * flushes the non-global entries. Entries also cache permission decisions
 * that depend on CR0.WP, CR4.SMEP/SMAP and EFER.NXE, so changing those
 * flushes too (more than the SDM requires, which is always allowed). */

void tlb_flush_all(struct tlb *t);
void tlb_flush_nonglobal(struct tlb *t);
/* INVLPG: every cached slot of the page that maps lin, global or not,
 * including all 4 KiB slots of a large page. */
void tlb_flush_page(struct tlb *t, uint64_t lin);
/* Remove write permission from every entry that maps this physical page. */
void tlb_drop_write_paddr(struct tlb *t, uint64_t paddr_page);

/* Called by the TLB filler after filling entry e (slot of lin) from a walk
 * that found a page of page_size bytes (> 4096: a large page). */
void tlb_note_large_page(struct tlb *t, struct tlb_entry *e, uint64_t lin, uint64_t page_size);

/* MOV to CR3 (SDM Vol.3A 4.10.4.1): call after the load with the old CR3
 * value, the source operand (bit 63 included: with CR4.PCIDE=1 it asks not
 * to invalidate the new PCID's entries) and CR4.PCIDE. */
void tlb_mov_cr3(struct tlb *t, uint64_t old_cr3, uint64_t operand, bool pcide);

/* MOV to CR0/CR4, WRMSR EFER, and any other write of these registers (VM
 * entry/exit, RSM): call with the old and new values of all three; flushes
 * everything when a bit that paging or the cached permissions depend on
 * changed (CR0.PG/WP/PE, CR4.PSE/PAE/PGE/PCIDE/SMEP/SMAP/LA57, EFER.NXE/LMA). */
#define TLB_FLUSH_CR0_BITS (CR0_PE | CR0_WP | CR0_PG)
#define TLB_FLUSH_CR4_BITS (CR4_PSE | CR4_PAE | CR4_PGE | CR4_LA57 | CR4_PCIDE | CR4_SMEP | CR4_SMAP)
#define TLB_FLUSH_EFER_BITS (EFER_LMA | EFER_NXE)
void tlb_paging_regs_changed(struct tlb *t, uint64_t old_cr0, uint64_t new_cr0,
                             uint64_t old_cr4, uint64_t new_cr4, uint64_t old_efer,
                             uint64_t new_efer);

/* INVPCID types (SDM Vol.2 INVPCID). The handler checks the descriptor
 * (#GP for a PCID above 4095, a non-canonical address, type 0/1 with a
 * non-zero PCID when CR4.PCIDE=0) and then calls tlb_invpcid with the
 * current PCID (CR3 bits 11:0 when CR4.PCIDE=1, else 0). */
enum { INVPCID_ADDRESS = 0, INVPCID_SINGLE = 1, INVPCID_ALL_GLOBAL = 2, INVPCID_ALL = 3 };
void tlb_invpcid(struct tlb *t, unsigned type, uint64_t pcid, uint64_t lin,
                 uint64_t current_pcid);

#endif

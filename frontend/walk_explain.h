/* The page walk and the EPT walk told entry by entry, for the monitor's
 * `pt` and `ept` commands: the walkers of mmu/ run in probe mode (no
 * accessed/dirty flag written, no fault raised) and report each entry
 * they read; this file puts each one into words. */
#ifndef TURTLES_FRONTEND_WALK_EXPLAIN_H
#define TURTLES_FRONTEND_WALK_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/ept.h"
#include "mmu/paging.h"
#include "mmu/physmem.h"

/* Each line of the explanation, without its newline. */
typedef void (*explain_out)(void *opaque, const char *line);

/* Flags of an x86 paging-structure entry in words ("P RW US A D PS XD");
 * level as in struct paging_step. Returns buf. */
const char *explain_pte_flags(uint64_t entry, unsigned level, enum paging_mode mode, char *buf,
                              unsigned size);
/* R/W/X, memory type and A/D of an EPT entry ("R W X WB ignore-PAT A"). */
const char *explain_epte_flags(uint64_t entry, unsigned level, bool leaf, char *buf,
                               unsigned size);
/* Name of a memory type (SDM Vol.3A 12.3): "WB", "UC", ... "reserved". */
const char *explain_memtype(unsigned type);

/* Walk `lin` with ctx (its probe/on_entry fields are set here). A
 * gpa_translate of ctx is kept (it must not write: an EPT hook with
 * ctx.probe set) and each entry is shown at its guest-physical and host
 * address; explain_nested_walk shows the EPT walks too. Returns the
 * walk's status; *result when non-NULL. */
enum paging_status explain_paging_walk(struct physmem *pm, const struct paging_ctx *ctx,
                                       uint64_t lin, explain_out out, void *opaque,
                                       struct paging_result *result);

/* EPT walk of a guest-physical address (a read). */
enum ept_status explain_ept_walk(struct physmem *pm, const struct ept_ctx *ctx, uint64_t gpa,
                                 explain_out out, void *opaque, struct ept_result *result);

/* A linear address of an EPT guest: its paging walked through EPT, each
 * paging-structure access's EPT walk shown before the entry, then the EPT
 * walk of the final guest-physical address, down to the host page. */
enum paging_status explain_nested_walk(struct physmem *pm, const struct paging_ctx *ctx,
                                       const struct ept_ctx *ept, uint64_t lin,
                                       explain_out out, void *opaque,
                                       struct paging_result *result);

#endif

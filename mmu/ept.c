/* The EPT walk (SDM Vol.3C "The Extended Page Table Mechanism"; section
 * numbers below are those of the 2023+ editions). Like the x86 walker it
 * reads all levels first, then checks permissions, and only then sets the
 * accessed/dirty flags, so a faulting access changes nothing. */
#include "mmu/ept.h"

/* bits: the physical-address width (MAXPHYADDR) from struct ept_ctx. */
#define EPT_PHYS_MASK(bits) ((1ull << (bits)) - 1)
#define EPT_FRAME_MASK(bits) (EPT_PHYS_MASK(bits) & ~0xfffull)
/* 29.3.2, tables 29-1 to 29-6: bits 51:MAXPHYADDR are reserved everywhere;
 * bits 7:3 in entries that reference another table (bit 7 selects a page
 * where it can); address bits below the page size in large pages. */
#define EPT_RSVD_HIGH(bits) (((1ull << 52) - 1) & ~EPT_PHYS_MASK(bits))
#define EPT_RSVD_TABLE 0xf8ull
#define EPT_RSVD_1G (((1ull << 30) - 1) & ~0xfffull)
#define EPT_RSVD_2M (((1ull << 21) - 1) & ~0xfffull)

#define EPT_LEVELS 4
#define EPT_PERMS (EPTE_R | EPTE_W | EPTE_X)

struct ept_used {
    uint64_t hpa;
    uint64_t value;
};

/* 29.3.3.1: the entry is present (bits 2:0 not 000b) and misconfigured. */
static bool misconfigured(const struct ept_ctx *ctx, uint64_t e, int level, bool leaf)
{
    unsigned perms = (unsigned)(e & EPT_PERMS);
    if ((perms & EPTE_W) && !(perms & EPTE_R))
        return true; /* write-only or write/execute */
    if (perms == EPTE_X && !ctx->exec_only)
        return true;
    if (e & EPT_RSVD_HIGH(ctx->phys_bits))
        return true;
    if (!leaf)
        return (e & EPT_RSVD_TABLE) != 0;
    if (level == 3 && (e & EPT_RSVD_1G))
        return true;
    if (level == 2 && (e & EPT_RSVD_2M))
        return true;
    unsigned mt = (unsigned)(e >> EPTE_MEMTYPE_SHIFT) & 7;
    return mt == 2 || mt == 3 || mt == 7;
}

/* Whether a present entry at this level maps a page (29.3.2): PTEs always,
 * PDEs and PDPTEs with bit 7; a PML4E's bit 7 is reserved (table check). A
 * 1 GiB mapping without CPU support is left as a table entry, whose bit 7
 * then counts as reserved. */
static bool is_leaf(const struct ept_ctx *ctx, uint64_t e, int level)
{
    if (level == 1)
        return true;
    if (level == 2)
        return (e & EPTE_LARGE) != 0;
    if (level == 3)
        return (e & EPTE_LARGE) && ctx->pages_1g;
    return false;
}

static uint64_t violation_qualification(const struct ept_access *acc, bool ad, unsigned perms)
{
    uint64_t q = 0;
    if (acc->guest_paging && ad)
        q |= EPT_QUAL_READ | EPT_QUAL_WRITE; /* 29.3.3.2: treated as a write */
    else if (acc->kind == PG_WRITE)
        q |= EPT_QUAL_WRITE;
    else if (acc->kind == PG_EXEC)
        q |= EPT_QUAL_FETCH;
    else
        q |= EPT_QUAL_READ;
    if (perms & EPTE_R)
        q |= EPT_QUAL_READABLE;
    if (perms & EPTE_W)
        q |= EPT_QUAL_WRITABLE;
    if (perms & EPTE_X)
        q |= EPT_QUAL_EXECUTABLE;
    if (acc->lin_valid) {
        q |= EPT_QUAL_LIN_VALID;
        if (!acc->guest_paging)
            q |= EPT_QUAL_LIN_TRANSLATION;
    }
    return q;
}

enum ept_status ept_walk(struct physmem *pm, const struct ept_ctx *ctx, uint64_t gpa,
                         const struct ept_access *acc, struct ept_result *out)
{
    bool ad = (ctx->eptp & EPTP_AD) != 0;
    /* With EPT A/D flags on, guest paging-structure accesses count as writes
     * for permissions and dirty flags (29.3.3.2, 29.3.5). */
    bool write = acc->kind == PG_WRITE || (acc->guest_paging && ad);
    struct ept_used used[EPT_LEVELS];
    unsigned nused = 0;
    unsigned perms = EPT_PERMS;
    uint64_t table = ctx->eptp & EPT_FRAME_MASK(ctx->phys_bits);
    out->hpa = 0;
    out->page_size = 4096;
    out->perms = 0;
    out->memtype = 0;
    out->ignore_pat = false;
    out->exit_qualification = 0;
    for (int level = EPT_LEVELS; level >= 1; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        uint64_t hpa = table + (((gpa >> shift) & 0x1ff) << 3);
        uint64_t e = physmem_read(pm, hpa, 8);
        if (ctx->on_entry)
            ctx->on_entry(ctx->on_entry_opaque, (unsigned)level, hpa, e);
        perms &= (unsigned)(e & EPT_PERMS);
        if (!(e & EPT_PERMS)) {
            out->exit_qualification = violation_qualification(acc, ad, 0);
            return EPT_VIOLATION;
        }
        bool leaf = is_leaf(ctx, e, level);
        if (misconfigured(ctx, e, level, leaf))
            return EPT_MISCONFIG;
        used[nused].hpa = hpa;
        used[nused].value = e;
        nused++;
        if (!leaf) {
            table = e & EPT_FRAME_MASK(ctx->phys_bits);
            continue;
        }
        uint64_t size = 1ull << shift;
        bool allowed = acc->kind == PG_EXEC ? (perms & EPTE_X) != 0
                       : write ? (perms & EPTE_W) != 0
                               : (perms & EPTE_R) != 0;
        if (!allowed) {
            out->exit_qualification = violation_qualification(acc, ad, perms);
            return EPT_VIOLATION;
        }
        if (ad && !ctx->probe) {
            if (write && !(e & EPTE_D) && ctx->before_dirty)
                ctx->before_dirty(ctx->before_dirty_opaque, gpa);
            for (unsigned i = 0; i < nused; i++) {
                uint64_t set = EPTE_A | ((i == nused - 1 && write) ? EPTE_D : 0);
                if ((used[i].value & set) != set)
                    physmem_write(pm, used[i].hpa, used[i].value | set, 8);
            }
        }
        out->hpa = (e & EPT_FRAME_MASK(ctx->phys_bits) & ~(size - 1)) | (gpa & (size - 1));
        out->page_size = size;
        out->perms = perms;
        out->memtype = (unsigned)(e >> EPTE_MEMTYPE_SHIFT) & 7;
        out->ignore_pat = (e & EPTE_IGNORE_PAT) != 0;
        return EPT_OK;
    }
    return EPT_MISCONFIG; /* not reached: level 1 is always a leaf */
}

bool ept_eptp_valid(uint64_t eptp, bool ad_supported, unsigned phys_bits)
{
    unsigned mt = (unsigned)(eptp & EPTP_MEMTYPE_MASK);
    if (mt != EPT_MT_UC && mt != EPT_MT_WB)
        return false;
    if (((eptp >> EPTP_WALK_LENGTH_SHIFT) & 7) != EPT_LEVELS - 1)
        return false;
    if ((eptp & EPTP_AD) && !ad_supported)
        return false;
    return (eptp & (0xf80ull | ~EPT_PHYS_MASK(phys_bits))) == 0;
}

int ept_gpa_translate(void *opaque, uint64_t gpa, unsigned access, bool is_walk, uint64_t lin,
                      uint64_t *hpa)
{
    struct ept_hook *h = opaque;
    struct ept_access acc = {
        .kind = access & PG_KIND_MASK,
        .guest_paging = is_walk,
        .lin_valid = !(access & PG_NOT_LINEAR),
    };
    struct ept_result r;
    enum ept_status st = ept_walk(h->pm, &h->ctx, gpa, &acc, &r);
    if (st == EPT_OK) {
        *hpa = r.hpa;
        return 0;
    }
    h->status = st;
    h->fault = r;
    h->fault_gpa = gpa;
    h->fault_lin = lin;
    return 1;
}

/* The page walk and the EPT walk in words (see walk_explain.h). */
#include "frontend/walk_explain.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct explain {
    explain_out out;
    void *opaque;
    enum paging_mode mode;
    /* Nested: the EPT walk in progress is indented under the entry. */
    struct ept_hook *hook;
    bool translated; /* guest-physical goes through a second dimension */
    const char *indent;
};

static void say(struct explain *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct explain *x, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    x->out(x->opaque, line);
}

static void add(char *buf, unsigned size, const char *word)
{
    size_t len = strlen(buf);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s%s", len ? " " : "", word);
}

const char *explain_pte_flags(uint64_t e, unsigned level, enum paging_mode mode, char *buf,
                              unsigned size)
{
    buf[0] = 0;
    if (!(e & PTE_P)) {
        add(buf, size, "not-present");
        return buf;
    }
    /* PAE PDPTEs hold only P, PWT and PCD (SDM Vol.3A 4.4.1, table 4-8). */
    bool pae_pdpte = mode == PAGING_PAE && level == 3;
    add(buf, size, "P");
    if (!pae_pdpte) {
        add(buf, size, (e & PTE_RW) ? "RW" : "RO");
        add(buf, size, (e & PTE_US) ? "US" : "S");
    }
    if (e & PTE_PWT)
        add(buf, size, "PWT");
    if (e & PTE_PCD)
        add(buf, size, "PCD");
    if (pae_pdpte)
        return buf;
    if (e & PTE_A)
        add(buf, size, "A");
    bool leaf_pte = level == 1;
    bool large = !leaf_pte && (e & PTE_PS) && level != 4;
    if ((leaf_pte || large) && (e & PTE_D))
        add(buf, size, "D");
    if (large)
        add(buf, size, "PS");
    if (leaf_pte && (e & PTE_PS))
        add(buf, size, "PAT"); /* bit 7 of a PTE */
    if (large && (e & (1ull << 12)))
        add(buf, size, "PAT"); /* bit 12 of a large-page entry */
    if ((leaf_pte || large) && (e & PTE_G))
        add(buf, size, "G");
    if (mode != PAGING_32BIT && (e & PTE_XD))
        add(buf, size, "XD");
    return buf;
}

const char *explain_memtype(unsigned type)
{
    switch (type) {
    case EPT_MT_UC: return "UC";
    case EPT_MT_WC: return "WC";
    case EPT_MT_WT: return "WT";
    case EPT_MT_WP: return "WP";
    case EPT_MT_WB: return "WB";
    default: return "reserved";
    }
}

const char *explain_epte_flags(uint64_t e, unsigned level, bool leaf, char *buf, unsigned size)
{
    (void)level;
    buf[0] = 0;
    if (!(e & (EPTE_R | EPTE_W | EPTE_X))) {
        add(buf, size, "not-present");
        return buf;
    }
    add(buf, size, (e & EPTE_R) ? "R" : "-");
    add(buf, size, (e & EPTE_W) ? "W" : "-");
    add(buf, size, (e & EPTE_X) ? "X" : "-");
    if (leaf) {
        add(buf, size, explain_memtype((unsigned)(e >> EPTE_MEMTYPE_SHIFT) & 7));
        if (e & EPTE_IGNORE_PAT)
            add(buf, size, "ignore-PAT");
    }
    if (e & EPTE_A)
        add(buf, size, "A");
    if (leaf && (e & EPTE_D))
        add(buf, size, "D");
    return buf;
}

static const char *mode_name(enum paging_mode m)
{
    switch (m) {
    case PAGING_OFF: return "paging off";
    case PAGING_32BIT: return "32-bit paging";
    case PAGING_PAE: return "PAE paging";
    default: return "4-level paging";
    }
}

static const char *level_name(enum paging_mode m, unsigned level)
{
    static const char *const names[5] = {"", "PTE", "PDE", "PDPTE", "PML4E"};
    (void)m;
    return level <= 4 ? names[level] : "?";
}

static uint64_t size_kib(uint64_t bytes)
{
    return bytes >> 10;
}

static void on_paging_entry(void *opaque, const struct paging_step *s)
{
    struct explain *x = opaque;
    char flags[96];
    explain_pte_flags(s->value, s->level, x->mode, flags, sizeof(flags));
    unsigned index = (unsigned)((s->gpa & 0xfff) / s->size);
    if (s->from_register)
        say(x, "%s[%u] (PDPTE register): %#llx %s", level_name(x->mode, s->level), index & 3,
            (unsigned long long)s->value, flags);
    else if (x->translated)
        say(x, "%s[%u] at gpa %#llx (host %#llx): %#llx %s", level_name(x->mode, s->level),
            index, (unsigned long long)s->gpa, (unsigned long long)s->hpa,
            (unsigned long long)s->value, flags);
    else
        say(x, "%s[%u] at %#llx: %#llx %s", level_name(x->mode, s->level), index,
            (unsigned long long)s->gpa, (unsigned long long)s->value, flags);
}

static void on_ept_entry(void *opaque, unsigned level, uint64_t hpa, uint64_t value)
{
    struct explain *x = opaque;
    static const char *const names[5] = {"", "EPT PTE", "EPT PDE", "EPT PDPTE", "EPT PML4E"};
    bool leaf = level == 1 || (level <= 3 && (value & EPTE_LARGE));
    char flags[96];
    explain_epte_flags(value, level, leaf, flags, sizeof(flags));
    say(x, "%s%s[%u] at host %#llx: %#llx %s%s", x->indent, level <= 4 ? names[level] : "?",
        (unsigned)((hpa & 0xfff) / 8), (unsigned long long)hpa, (unsigned long long)value,
        flags, leaf && level > 1 && (value & (EPTE_R | EPTE_W | EPTE_X)) ? " (large page)"
                                                                         : "");
}

static void say_paging_result(struct explain *x, enum paging_status st, uint64_t lin,
                              const struct paging_result *r)
{
    if (st == PAGING_OK)
        say(x, "linear %#llx -> %s %#llx (%llu KiB page, %s, %s, %s)", (unsigned long long)lin,
            x->translated ? "host-physical" : "physical", (unsigned long long)r->paddr,
            (unsigned long long)size_kib(r->page_size), r->writable ? "writable" : "read-only",
            r->user ? "user" : "supervisor", r->nx ? "no-execute" : "executable");
    else if (st == PAGING_PAGE_FAULT)
        say(x, "linear %#llx: not mapped (a page fault, error code %#x%s)",
            (unsigned long long)lin, r->pf_error,
            (r->pf_error & PFEC_RSVD) ? ": reserved bit set" : "");
    else
        say(x, "linear %#llx: EPT refuses guest-physical %#llx (%s)", (unsigned long long)lin,
            (unsigned long long)r->nested_fault_gpa,
            r->nested_fault_in_walk ? "paging-structure access" : "the page itself");
}

enum paging_status explain_paging_walk(struct physmem *pm, const struct paging_ctx *ctx,
                                       uint64_t lin, explain_out out, void *opaque,
                                       struct paging_result *result)
{
    struct explain x = { .out = out, .opaque = opaque, .indent = "" };
    x.mode = paging_mode_of(ctx->cr0, ctx->cr4, ctx->efer);
    x.translated = ctx->gpa_translate != NULL;
    struct paging_ctx c = *ctx;
    c.probe = true;
    c.on_entry = on_paging_entry;
    c.on_entry_opaque = &x;
    say(&x, "%s, CR3 %#llx%s", mode_name(x.mode), (unsigned long long)ctx->cr3,
        x.translated ? " (guest-physical)" : "");
    struct paging_result r;
    enum paging_status st = paging_walk(pm, &c, lin, PG_READ, &r);
    say_paging_result(&x, st, lin, &r);
    if (result)
        *result = r;
    return st;
}

static void say_ept_result(struct explain *x, enum ept_status st, uint64_t gpa,
                           const struct ept_result *r)
{
    if (st == EPT_OK)
        say(x, "%sguest-physical %#llx -> host-physical %#llx (%llu KiB page, %c%c%c, %s%s)",
            x->indent, (unsigned long long)gpa, (unsigned long long)r->hpa,
            (unsigned long long)size_kib(r->page_size), (r->perms & EPTE_R) ? 'r' : '-',
            (r->perms & EPTE_W) ? 'w' : '-', (r->perms & EPTE_X) ? 'x' : '-',
            explain_memtype(r->memtype), r->ignore_pat ? ", ignore PAT" : "");
    else if (st == EPT_VIOLATION)
        say(x, "%sguest-physical %#llx: EPT violation (qualification %#llx)", x->indent,
            (unsigned long long)gpa, (unsigned long long)r->exit_qualification);
    else
        say(x, "%sguest-physical %#llx: EPT misconfiguration", x->indent,
            (unsigned long long)gpa);
}

enum ept_status explain_ept_walk(struct physmem *pm, const struct ept_ctx *ctx, uint64_t gpa,
                                 explain_out out, void *opaque, struct ept_result *result)
{
    struct explain x = { .out = out, .opaque = opaque, .indent = "" };
    struct ept_ctx c = *ctx;
    c.probe = true;
    c.before_dirty = NULL;
    c.on_entry = on_ept_entry;
    c.on_entry_opaque = &x;
    say(&x, "EPTP %#llx (%s, %u-level walk%s)", (unsigned long long)ctx->eptp,
        explain_memtype((unsigned)(ctx->eptp & EPTP_MEMTYPE_MASK)),
        (unsigned)((ctx->eptp >> EPTP_WALK_LENGTH_SHIFT) & 7) + 1,
        (ctx->eptp & EPTP_AD) ? ", accessed/dirty flags on" : "");
    struct ept_access acc = { .kind = PG_READ };
    struct ept_result r;
    enum ept_status st = ept_walk(pm, &c, gpa, &acc, &r);
    say_ept_result(&x, st, gpa, &r);
    if (result)
        *result = r;
    return st;
}

/* The gpa_translate of a nested explanation: the EPT walk of each
 * guest-physical access, told indented before what the access reads. */
static int nested_translate(void *opaque, uint64_t gpa, unsigned access, bool is_walk,
                            uint64_t lin, uint64_t *hpa)
{
    struct explain *x = opaque;
    x->indent = "    ";
    say(x, "  EPT walk of guest-physical %#llx (%s):", (unsigned long long)gpa,
        is_walk ? "paging-structure entry" : "the page");
    int rc = ept_gpa_translate(x->hook, gpa, access, is_walk, lin, hpa);
    if (rc == 0) {
        say(x, "    -> host-physical %#llx", (unsigned long long)*hpa);
    } else {
        say_ept_result(x, x->hook->status, gpa, &x->hook->fault);
    }
    x->indent = "";
    return rc;
}

enum paging_status explain_nested_walk(struct physmem *pm, const struct paging_ctx *ctx,
                                       const struct ept_ctx *ept, uint64_t lin,
                                       explain_out out, void *opaque,
                                       struct paging_result *result)
{
    struct explain x = { .out = out, .opaque = opaque, .indent = "" };
    x.mode = paging_mode_of(ctx->cr0, ctx->cr4, ctx->efer);
    struct ept_hook hook = { .pm = pm, .ctx = *ept };
    hook.ctx.probe = true;
    hook.ctx.before_dirty = NULL;
    hook.ctx.on_entry = on_ept_entry;
    hook.ctx.on_entry_opaque = &x;
    x.hook = &hook;
    x.translated = true;
    struct paging_ctx c = *ctx;
    c.probe = true;
    c.on_entry = on_paging_entry;
    c.on_entry_opaque = &x;
    c.gpa_translate = nested_translate;
    c.gpa_opaque = &x;
    say(&x, "%s, CR3 %#llx (guest-physical), through EPTP %#llx", mode_name(x.mode),
        (unsigned long long)ctx->cr3, (unsigned long long)ept->eptp);
    struct paging_result r;
    enum paging_status st = paging_walk(pm, &c, lin, PG_READ, &r);
    say_paging_result(&x, st, lin, &r);
    if (result)
        *result = r;
    return st;
}

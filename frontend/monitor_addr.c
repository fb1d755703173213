/* Monitor addresses (see monitor_addr.h). */
#include "frontend/monitor_addr.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpu/cpuid.h"
#include "vmx_emul/vmx.h"
#include "vmx_emul/vmx_controls.h"

static bool prefix(const char **s, const char *word)
{
    size_t n = strlen(word);
    if (strncasecmp(*s, word, n) != 0)
        return false;
    *s += n;
    return true;
}

bool addr_split(const char *s, struct addr_spec *out, const char **err)
{
    out->level = ADDR_CURRENT;
    out->physical = false;
    out->number = NULL;
    if (!s || !*s) {
        *err = "missing address";
        return false;
    }
    bool have_level = false;
    for (;;) {
        const char *colon = strchr(s, ':');
        if (!colon)
            break;
        enum addr_level level = ADDR_CURRENT;
        bool is_level = false;
        const char *p = s;
        if (prefix(&p, "root:") || prefix(&p, "L1:")) {
            level = ADDR_ROOT;
            is_level = true;
        } else if (prefix(&p, "nonroot:") || prefix(&p, "non-root:") || prefix(&p, "L2:")) {
            level = ADDR_NONROOT;
            is_level = true;
        } else if (prefix(&p, "p:")) {
            if (out->physical) {
                *err = "'p:' given twice";
                return false;
            }
            out->physical = true;
            s = p;
            continue;
        } else {
            *err = "unknown address prefix (root:, nonroot:, L1:, L2:, p:)";
            return false;
        }
        if (have_level || out->physical) {
            *err = "the level (root:/nonroot:) comes once, before p:";
            return false;
        }
        (void)is_level;
        have_level = true;
        out->level = level;
        s = p;
    }
    if (!*s) {
        *err = "missing address after the prefix";
        return false;
    }
    out->number = s;
    return true;
}

static void ept_ctx_of(const struct cpu *cpu, const struct vmcs *v, struct ept_ctx *e)
{
    uint64_t cap = cpu->vmx->caps.ept_vpid_cap;
    *e = (struct ept_ctx){
        .eptp = v->ept_pointer,
        .phys_bits = cpu->model->phys_bits,
        .exec_only = (cap & 1) != 0,
        .pages_1g = ((cap >> 17) & 1) != 0,
        .probe = true,
    };
}

static void paging_base(const struct cpu *cpu, struct paging_ctx *p)
{
    *p = (struct paging_ctx){0};
    p->phys_bits = cpu->model ? cpu->model->phys_bits : 36;
    p->probe = true;
    /* A supervisor read that SMAP does not refuse: the monitor looks at
     * user pages too. */
    p->ac = true;
    p->a20_masked = cpu->bus.a20 && !*cpu->bus.a20;
}

bool addr_space_of(struct cpu *cpu, enum addr_level level, struct addr_space *s,
                   const char **err)
{
    memset(s, 0, sizeof(*s));
    const struct vmcs *v = vmx_current_vmcs(cpu);
    if (level == ADDR_CURRENT)
        level = cpu->vmx_nonroot ? ADDR_NONROOT : ADDR_ROOT;
    s->level = level;
    paging_base(cpu, &s->paging);
    struct paging_ctx *p = &s->paging;
    bool now = (level == ADDR_NONROOT) == cpu->vmx_nonroot;
    if (now) {
        /* The level that runs: its own registers. */
        p->cr0 = cpu->cr0;
        p->cr3 = cpu->cr3;
        p->cr4 = cpu->cr4;
        p->efer = cpu->efer;
        if (cpu->pdpte_valid) {
            memcpy(s->pdptes, cpu->pdpte, sizeof(s->pdptes));
            p->pdptes = s->pdptes;
        }
        s->ept = cpu->vmx_nonroot && v && vmx_ctl_ept(v);
        s->what = cpu->vmx_nonroot ? "non-root (running)" : "root (running)";
    } else if (level == ADDR_ROOT) {
        /* Non-root runs: root's paging is what the next VM exit loads from
         * the host-state area (SDM 27.5.1, 27.5.2 EFER). */
        if (!v) {
            *err = "no current VMCS to take root's paging from";
            return false;
        }
        p->cr0 = v->host_cr0;
        p->cr3 = v->host_cr3;
        p->cr4 = v->host_cr4;
        if (vmx_ctl_exit_load_efer(v))
            p->efer = v->host_ia32_efer;
        else
            p->efer = (cpu->efer & EFER_NXE) |
                      (vmx_ctl_host_addr_space_size(v) ? EFER_LME | EFER_LMA : 0);
        s->what = "root (VMCS host state)";
    } else {
        /* Root runs: the guest of the current VMCS, as the next VM entry
         * loads it (SDM 26.3.2.1, 26.3.2.4 PDPTEs with EPT). */
        if (!v) {
            *err = "no current VMCS: there is no non-root guest to look at";
            return false;
        }
        p->cr0 = v->guest_cr0;
        p->cr3 = v->guest_cr3;
        p->cr4 = v->guest_cr4;
        if (vmx_ctl_entry_load_efer(v) || vmx_ctl_save_efer(v))
            p->efer = v->guest_ia32_efer;
        else
            p->efer = (cpu->efer & EFER_NXE) |
                      (vmx_ctl_ia32e_mode_guest(v) ? EFER_LME | EFER_LMA : 0);
        s->ept = vmx_ctl_ept(v);
        if (s->ept && paging_mode_of(p->cr0, p->cr4, p->efer) == PAGING_PAE) {
            s->pdptes[0] = v->guest_pdptr0;
            s->pdptes[1] = v->guest_pdptr1;
            s->pdptes[2] = v->guest_pdptr2;
            s->pdptes[3] = v->guest_pdptr3;
            p->pdptes = s->pdptes;
        }
        s->what = "non-root (VMCS guest state)";
    }
    if (s->ept)
        ept_ctx_of(cpu, v, &s->ept_ctx);
    return true;
}

bool addr_canonical(const struct addr_space *s, uint64_t addr)
{
    return paging_mode_of(s->paging.cr0, s->paging.cr4, s->paging.efer) != PAGING_4LEVEL ||
           (uint64_t)((int64_t)(addr << 16) >> 16) == addr;
}

bool addr_translate(struct physmem *pm, const struct addr_space *s, uint64_t addr,
                    bool physical, uint64_t *hpa, char *err, unsigned errsize)
{
    struct ept_hook hook = { .pm = pm, .ctx = s->ept_ctx };
    if (physical) {
        if (!s->ept) {
            *hpa = addr;
            return true;
        }
        struct ept_access acc = { .kind = PG_READ };
        struct ept_result r;
        enum ept_status st = ept_walk(pm, &s->ept_ctx, addr, &acc, &r);
        if (st != EPT_OK) {
            snprintf(err, errsize, "guest-physical %#llx: %s", (unsigned long long)addr,
                     st == EPT_VIOLATION ? "not mapped by EPT" : "EPT misconfiguration");
            return false;
        }
        *hpa = r.hpa;
        return true;
    }
    /* SDM Vol.3A 3.3.7.1: 4-level paging translates canonical addresses
     * only (bits 63:47 all equal); anything else would alias. */
    if (!addr_canonical(s, addr)) {
        snprintf(err, errsize, "%#llx is not a canonical address", (unsigned long long)addr);
        return false;
    }
    struct paging_ctx c = s->paging;
    if (s->ept) {
        c.gpa_translate = ept_gpa_translate;
        c.gpa_opaque = &hook;
    }
    struct paging_result r;
    switch (paging_walk(pm, &c, addr, PG_READ, &r)) {
    case PAGING_OK:
        *hpa = r.paddr;
        return true;
    case PAGING_PAGE_FAULT:
        snprintf(err, errsize, "%#llx is not mapped (%s)", (unsigned long long)addr, s->what);
        return false;
    default:
        snprintf(err, errsize, "%#llx: EPT refuses guest-physical %#llx (%s)",
                 (unsigned long long)addr, (unsigned long long)r.nested_fault_gpa, s->what);
        return false;
    }
}

size_t addr_read_host(const struct physmem *pm, uint64_t hpa, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t a = hpa + i;
        const struct mmio_region *hit = NULL;
        /* Later regions win (physmem.h). */
        for (int k = pm->nregions - 1; k >= 0; k--) {
            const struct mmio_region *r = &pm->regions[k];
            if (a >= r->base && a - r->base < r->size) {
                hit = r;
                break;
            }
        }
        if (hit) {
            /* ROM reads are plain data; an MMIO read could change a
             * device's state, so the monitor does not make one. */
            if (hit->read || !hit->rom_data)
                return i;
            buf[i] = hit->rom_data[a - hit->base];
            continue;
        }
        uint64_t off = physmem_ram_offset(pm, a);
        if (off == UINT64_MAX)
            return i;
        buf[i] = pm->ram[off];
    }
    return len;
}

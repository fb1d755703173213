/* Addresses as the monitor's commands take them: a guest-virtual address
 * of what runs, or of a named level, or a guest-physical one:
 *
 *   ADDR           linear address of the code that runs now
 *   root:ADDR      linear address of VMX root (L1): in non-root, L1's
 *                  paging as the VMCS host state will load it
 *   nonroot:ADDR   linear address of the guest of the current VMCS: in
 *                  root, its paging from the VMCS guest state, through EPT
 *   p:ADDR         physical address of what runs (in non-root with EPT, a
 *                  guest-physical address translated through EPT)
 *   root:p:ADDR    host-physical (turtles' own memory map)
 *   nonroot:p:ADDR guest-physical of the current VMCS's guest
 *
 * "L1:" and "L2:" are aliases of "root:" and "nonroot:". */
#ifndef TURTLES_FRONTEND_MONITOR_ADDR_H
#define TURTLES_FRONTEND_MONITOR_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "mmu/ept.h"
#include "mmu/paging.h"

enum addr_level { ADDR_CURRENT, ADDR_ROOT, ADDR_NONROOT };

struct addr_spec {
    enum addr_level level;
    bool physical;
    const char *number; /* what follows the prefixes: for monitor_parse_number */
};

/* Split the prefixes off s. Returns false with *err set ("unknown address
 * prefix 'foo:'", "missing address", ...) on a bad prefix. */
bool addr_split(const char *s, struct addr_spec *out, const char **err);

/* How addresses of one level translate, as the CPU would (read-only). */
struct addr_space {
    enum addr_level level;  /* ADDR_ROOT or ADDR_NONROOT once resolved */
    struct paging_ctx paging;
    bool ept;               /* guest-physical goes through EPT */
    struct ept_ctx ept_ctx;
    uint64_t pdptes[4];
    const char *what;       /* "root", "non-root (current)", "non-root (VMCS guest state)" */
};

/* The translation context of a level for this vCPU. Returns false with
 * *err set when that level has nothing to translate with (no current
 * VMCS, for instance). */
bool addr_space_of(struct cpu *cpu, enum addr_level level, struct addr_space *space,
                   const char **err);

/* False for a linear address that 4-level paging does not translate
 * (bits 63:47 not all equal, SDM Vol.3A 3.3.7.1). */
bool addr_canonical(const struct addr_space *space, uint64_t addr);

/* Translate an address of the space to host-physical (turtles' memory
 * map) without side effects. Returns false with a one-line reason in err. */
bool addr_translate(struct physmem *pm, const struct addr_space *space, uint64_t addr,
                    bool physical, uint64_t *hpa, char *err, unsigned errsize);

/* Read len bytes of host-physical memory without side effects: RAM and ROM
 * only. Returns the bytes read before the first that is neither. */
size_t addr_read_host(const struct physmem *pm, uint64_t hpa, uint8_t *buf, size_t len);

#endif

/* A CPU without a machine, for unit tests of instruction handlers: flat
 * segments in the requested mode, RAM at 0, code loaded where you like,
 * run until HLT, shutdown or an instruction limit. */
#ifndef TURTLES_TESTS_HARNESS_H
#define TURTLES_TESTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/block_cache.h"
#include "cpu/cpu.h"

struct harness {
    struct physmem mem;
    struct cpu cpu;
    struct block_cache *blocks;
    bool a20;
    /* Port I/O log: the last OUT and a value for IN. */
    uint16_t last_out_port;
    uint32_t last_out_value;
    uint32_t in_value;
};

/* bits: 16 (real mode), 32 (flat protected mode, CPL 0) or 64 (long mode
 * with identity-mapped 2 MiB pages over the first 1 GiB; page tables at
 * 0x1000-0x3fff). RAM size 16 MiB; stack at 0x80000. */
void harness_init(struct harness *h, unsigned bits);
void harness_free(struct harness *h);
void harness_load(struct harness *h, uint64_t addr, const void *code, size_t len);
/* Run from addr until HLT (returns 0), shutdown (returns -1) or max_insns
 * (returns -2). */
int harness_run(struct harness *h, uint64_t addr, uint64_t max_insns);

#endif

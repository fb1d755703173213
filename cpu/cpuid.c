/* TEMPORARY bring-up model. */
#include "cpu/cpuid.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/opcodes.h"

static const struct cpu_model model_base = {
    .name = "turtles",
    .description = "bring-up model (integer only)",
    .isa_mask = 1ull << ISA_BASE,
    .signature = 0x906ea,
    .tsc_hz = 1000000000ull,
    .vmx = false,
};

const struct cpu_model *const cpu_models[] = {&model_base, NULL};

const struct cpu_model *cpu_model_find(const char *name)
{
    for (int i = 0; cpu_models[i]; i++)
        if (!strcmp(cpu_models[i]->name, name))
            return cpu_models[i];
    return NULL;
}

void cpuid_query(const struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    (void)cpu;
    (void)leaf;
    (void)subleaf;
    memset(out, 0, 4 * sizeof(uint32_t));
}

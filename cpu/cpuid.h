/* CPU models: CPUID leaves and the ISA extensions the decoder accepts, as
 * data (DESIGN.md: per-model capability masks). A model must never claim a
 * feature that is not emulated. */
#ifndef TURTLES_CPU_CPUID_H
#define TURTLES_CPU_CPUID_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

struct cpu_model {
    const char *name;
    const char *description;
    uint64_t isa_mask;   /* bit ISA_x (cpu/opcodes.h) for each extension offered */
    uint32_t signature;  /* CPUID.1.EAX */
    uint64_t tsc_hz;     /* stated TSC frequency (leaves 0x15/0x16) */
    bool vmx;            /* CPUID.1:ECX.VMX, cleared by -cpu NAME,vmx=off */
    const char *brand;   /* CPUID 0x80000002-4, at most 47 characters */
    /* Physical-address width, MAXPHYADDR (CPUID.80000008H:EAX[7:0]): the
     * page walks, EPT, MTRR/APIC-base MSRs, CR3 and the VMX address checks
     * all read it from here. */
    unsigned phys_bits;
};

const struct cpu_model *cpu_model_find(const char *name);
/* All models, NULL-terminated, for -cpu help. */
extern const struct cpu_model *const cpu_models[];

/* Whether this vCPU offers VMX: the model has it and -cpu ...,vmx=off did
 * not hide it. CPUID, CR4.VMXE and IA32_FEATURE_CONTROL follow it. */
bool cpu_vmx_offered(const struct cpu *cpu);

/* The physical-address bits at and above the model's MAXPHYADDR: set in a
 * physical address, they are reserved. */
uint64_t phys_reserved_mask(const struct cpu *cpu);

/* CPUID for this vCPU (leaf EAX, subleaf ECX) -> EAX, EBX, ECX, EDX. */
void cpuid_query(const struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif

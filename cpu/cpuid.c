/* CPU models and the CPUID instruction's answers (SDM Vol.2 CPUID). A
 * feature bit is set only when the instruction group or mechanism behind it
 * is emulated: instruction-set bits follow the model's isa_mask, so enabling
 * a group in the model is the single switch. */
#include "cpu/cpuid.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"
#include "cpu/pmu.h"

/* Instruction groups implemented by the system-instruction family. The x87,
 * SSE and integer-extension groups join as their helpers land (rows exist
 * for X87, MMX, SSE..SSE42, SSSE3, AES, PCLMUL, POPCNT, MOVBE, ADX, RDRAND,
 * RDSEED, XSAVE). Debian's kernel needs at least X87, SSE and SSE2; with
 * X87|MMX|SSE..SSE42|POPCNT|MOVBE|CX16 added it boots to userspace. */
#define ISA(x) (1ull << (x))
#define SYSTEM_ISA (ISA(ISA_BASE) | ISA(ISA_LM) | ISA(ISA_FSGSBASE) | ISA(ISA_RDPID) | \
                    ISA(ISA_RDTSCP) | ISA(ISA_CLFLUSHOPT) | ISA(ISA_CLWB) | ISA(ISA_SMAP) | \
                    ISA(ISA_INVPCID))

/* Family 6 model 0x9e stepping 10 (Coffee Lake client): not on kvm_intel's
 * VMX-preemption-timer erratum list. */
static const struct cpu_model model_skylake = {
    .name = "turtles-skylake",
    .description = "Intel Skylake-class client core (family 6, model 0x9e), 3.0 GHz TSC",
    .isa_mask = SYSTEM_ISA | ISA(ISA_X87) | ISA(ISA_MMX) | ISA(ISA_SSE) | ISA(ISA_SSE2) |
                ISA(ISA_SSE3) | ISA(ISA_SSSE3) | ISA(ISA_SSE41) | ISA(ISA_SSE42) |
                ISA(ISA_PCLMUL) | ISA(ISA_AES) | ISA(ISA_POPCNT) | ISA(ISA_LZCNT) |
                ISA(ISA_MOVBE) | ISA(ISA_RDRAND) | ISA(ISA_RDSEED) | ISA(ISA_CX16) | ISA(ISA_ADX) | ISA(ISA_XSAVE) |
                ISA(ISA_VMX),
    .signature = 0x906ea,
    .tsc_hz = 3000000000ull,
    .vmx = true,
    .brand = "Turtles Skylake-class virtual CPU @ 3.00GHz",
    .phys_bits = 39, /* Skylake client parts report 39 */
};

const struct cpu_model *const cpu_models[] = {&model_skylake, NULL};

const struct cpu_model *cpu_model_find(const char *name)
{
    for (int i = 0; cpu_models[i]; i++)
        if (!strcmp(cpu_models[i]->name, name))
            return cpu_models[i];
    return NULL;
}

uint64_t phys_reserved_mask(const struct cpu *cpu)
{
    return ~((1ull << cpu->model->phys_bits) - 1);
}

bool cpu_vmx_offered(const struct cpu *cpu)
{
    return cpu->model->vmx && !cpu->vmx_off;
}

#define MAX_BASIC_LEAF 0x16u
#define MAX_EXT_LEAF 0x80000008u
/* The TSC runs at crystal * 125 / 1 with a 24 MHz crystal: leaf 0x15 must
 * agree with tsc_hz (checked by the unit test). */
#define CRYSTAL_HZ 24000000u

static bool has(const struct cpu *cpu, unsigned isa)
{
    return (cpu->model->isa_mask >> isa) & 1;
}

static unsigned ncpus(const struct cpu *cpu)
{
    return cpu->npeers > 0 ? (unsigned)cpu->npeers : 1;
}

/* Smallest n with (1 << n) >= x. */
static unsigned order_of(unsigned x)
{
    unsigned n = 0;
    while ((1u << n) < x)
        n++;
    return n;
}

static bool nx_enabled(const struct cpu *cpu)
{
    return !(cpu->misc_enable & (1ull << 34)); /* MISC_ENABLE.XD_DISABLE */
}

static void leaf1(const struct cpu *cpu, uint32_t r[4])
{
    unsigned n = ncpus(cpu);
    r[0] = cpu->model->signature;
    /* CLFLUSH line size 8 x 8 bytes; addressable logical IDs; APIC ID. */
    r[1] = (8u << 8) | ((1u << order_of(n)) << 16) | ((uint32_t)cpu->index << 24);
    uint32_t c = 0, d = 0;
    if (has(cpu, ISA_SSE3)) c |= 1u << 0;
    if (has(cpu, ISA_PCLMUL)) c |= 1u << 1;
    if (cpu_vmx_offered(cpu)) c |= 1u << 5; /* -cpu ...,vmx=off hides it */
    if (has(cpu, ISA_SSSE3)) c |= 1u << 9;
    if (has(cpu, ISA_CX16)) c |= 1u << 13;
    c |= 1u << 17; /* PCID: CR4.PCIDE accepted; CR3 writes over-flush */
    if (has(cpu, ISA_SSE41)) c |= 1u << 19;
    if (has(cpu, ISA_SSE42)) c |= 1u << 20;
    if (has(cpu, ISA_MOVBE)) c |= 1u << 22;
    if (has(cpu, ISA_POPCNT)) c |= 1u << 23;
    if (cpu->lapic) c |= (1u << 21) | (1u << 24); /* x2APIC, TSC-deadline timer */
    if (has(cpu, ISA_AES)) c |= 1u << 25;
    if (has(cpu, ISA_XSAVE)) c |= 1u << 26;
    if (cpu->cr4 & CR4_OSXSAVE) c |= 1u << 27;
    if (has(cpu, ISA_RDRAND)) c |= 1u << 30;
    /* bit 31 (hypervisor present) stays 0: turtles is the hardware. */
    if (has(cpu, ISA_X87)) d |= 1u << 0;
    d |= 1u << 2;  /* DE: CR4.DE, DR4/DR5 #UD */
    d |= 1u << 3;  /* PSE */
    d |= 1u << 4;  /* TSC */
    d |= 1u << 5;  /* MSR */
    d |= 1u << 6;  /* PAE */
    d |= 1u << 7;  /* MCE */
    d |= 1u << 8;  /* CX8 */
    /* SDM Vol.3A 10.4.3: the APIC bit follows IA32_APIC_BASE global enable. */
    if (cpu->lapic && (cpu->apic_base & (1ull << 11))) d |= 1u << 9;
    d |= 1u << 11; /* SEP */
    d |= 1u << 12; /* MTRR */
    d |= 1u << 13; /* PGE */
    d |= 1u << 14; /* MCA */
    d |= 1u << 15; /* CMOV */
    d |= 1u << 16; /* PAT */
    d |= 1u << 17; /* PSE-36: mmu/paging.c maps 4 MiB pages above 4 GiB */
    d |= 1u << 19; /* CLFLUSH */
    if (has(cpu, ISA_MMX)) d |= 1u << 23;
    if (has(cpu, ISA_SSE)) d |= (1u << 24) | (1u << 25); /* FXSR with SSE */
    if (has(cpu, ISA_SSE2)) d |= 1u << 26;
    d |= 1u << 27; /* SS: self snoop */
    if (n > 1) d |= 1u << 28; /* HTT: EBX[23:16] is meaningful */
    r[2] = c;
    r[3] = d;
}

/* Deterministic cache parameters (leaf 4): L1D, L1I, L2 per core, L3 shared. */
static void leaf4(const struct cpu *cpu, uint32_t sub, uint32_t r[4])
{
    static const struct { uint8_t type, level; uint16_t ways; uint32_t sets; bool shared; }
    caches[] = {
        {1, 1, 8, 64, false},    /* 32 KiB data */
        {2, 1, 8, 64, false},    /* 32 KiB instruction */
        {3, 2, 4, 1024, false},  /* 256 KiB unified */
        {3, 3, 16, 8192, true},  /* 8 MiB unified */
    };
    if (sub >= sizeof(caches) / sizeof(caches[0]))
        return;
    unsigned n = ncpus(cpu);
    unsigned cores = 1u << order_of(n);
    /* EAX[31:26]: cores per package - 1 (no SMT); [25:14]: logical
     * processors sharing the cache - 1. */
    r[0] = caches[sub].type | (caches[sub].level << 5) | (1u << 8) |
           ((caches[sub].shared ? cores - 1 : 0) << 14) | ((cores - 1) << 26);
    r[1] = 63u | (0u << 12) | ((uint32_t)(caches[sub].ways - 1) << 22);
    r[2] = caches[sub].sets - 1;
    r[3] = caches[sub].level == 3 ? 2u : 0u; /* inclusive L3 */
}

static void leaf7(const struct cpu *cpu, uint32_t sub, uint32_t r[4])
{
    if (sub != 0)
        return;
    uint32_t b = 0, c = 0, d = 0;
    if (has(cpu, ISA_FSGSBASE)) b |= 1u << 0;
    b |= 1u << 1; /* IA32_TSC_ADJUST */
    if (has(cpu, ISA_BMI1)) b |= 1u << 3;
    b |= 1u << 7; /* SMEP */
    if (has(cpu, ISA_BMI2)) b |= 1u << 8;
    if (has(cpu, ISA_INVPCID)) b |= 1u << 10;
    if (has(cpu, ISA_RDSEED)) b |= 1u << 18;
    if (has(cpu, ISA_ADX)) b |= 1u << 19;
    if (has(cpu, ISA_SMAP)) b |= 1u << 20;
    if (has(cpu, ISA_CLFLUSHOPT)) b |= 1u << 23;
    if (has(cpu, ISA_CLWB)) b |= 1u << 24;
    if (has(cpu, ISA_RDPID)) c |= 1u << 22;
    /* Speculation controls are accepted no-ops (cpu/msr.c). */
    d |= (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29) | (1u << 31);
    r[1] = b;
    r[2] = c;
    r[3] = d;
}

static void leaf_xsave(const struct cpu *cpu, uint32_t sub, uint32_t r[4])
{
    if (!has(cpu, ISA_XSAVE))
        return;
    if (sub == 0) {
        r[0] = 3;   /* XCR0 may hold x87 and SSE state */
        r[1] = 576; /* legacy area 512 + header 64 for the enabled features */
        r[2] = 576;
    } else if (sub == 1) {
        /* XSAVEOPT and XSAVEC run only where the model offers them (the
         * decoder gates their rows on the same bits). */
        if (has(cpu, ISA_XSAVEOPT))
            r[0] |= 1u << 0;
        if (has(cpu, ISA_XSAVEC))
            r[0] |= 1u << 1;
    }
}

static void brand_leaf(const struct cpu *cpu, uint32_t leaf, uint32_t r[4])
{
    char buf[48] = {0};
    const char *b = cpu->model->brand ? cpu->model->brand : "";
    size_t len = strlen(b);
    memcpy(buf, b, len > 47 ? 47 : len);
    memcpy(r, buf + (leaf - 0x80000002u) * 16, 16);
}

void cpuid_query(const struct cpu *cpu, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 4 * sizeof(uint32_t));
    uint32_t max_basic = MAX_BASIC_LEAF;
    /* MISC_ENABLE.LIMIT_CPUID (bit 22) caps the basic leaves at 2. */
    if (cpu->misc_enable & (1ull << 22))
        max_basic = 2;
    /* SDM Vol.2 CPUID: leaves past the maximum return the highest basic leaf. */
    if ((leaf < 0x80000000u && leaf > max_basic) || leaf > MAX_EXT_LEAF)
        leaf = max_basic;
    unsigned n = ncpus(cpu);
    switch (leaf) {
    case 0:
        out[0] = max_basic;
        memcpy(&out[1], "Genu", 4);
        memcpy(&out[3], "ineI", 4);
        memcpy(&out[2], "ntel", 4);
        break;
    case 1: leaf1(cpu, out); break;
    case 2: out[0] = 0x00ff0001; break; /* descriptor 0xff: use leaf 4 */
    case 4: leaf4(cpu, sub, out); break;
    case 6: out[0] = 1u << 2; break;     /* ARAT: the APIC timer never stops */
    case 7: leaf7(cpu, sub, out); break;
    case 0xa:
        /* Version 2, 4 GP counters, 48 bits wide; only the architectural
         * events cpu/pmu.c counts are enumerated (cpu/pmu.h); 3 fixed
         * counters of 48 bits. */
        out[0] = 2u | (PMU_GP_COUNTERS << 8) | (PMU_COUNTER_BITS << 16) |
                 (PMU_EVENT_VECTOR_LENGTH << 24);
        out[1] = PMU_EVENTS_UNAVAILABLE;
        out[3] = PMU_FIXED_COUNTERS | (PMU_COUNTER_BITS << 5);
        break;
    case 0xb:
        /* x2APIC topology: one thread per core, n cores per package. */
        if (sub == 0) {
            out[0] = 0;
            out[1] = 1;
            out[2] = 0 | (1u << 8);
        } else if (sub == 1) {
            out[0] = order_of(n);
            out[1] = n;
            out[2] = 1 | (2u << 8);
        } else {
            out[2] = sub & 0xff;
        }
        out[3] = (uint32_t)cpu->index;
        break;
    case 0xd: leaf_xsave(cpu, sub, out); break;
    case 0x15:
        out[0] = 1;
        out[1] = (uint32_t)(cpu->model->tsc_hz / CRYSTAL_HZ);
        out[2] = CRYSTAL_HZ;
        break;
    case 0x16:
        out[0] = (uint32_t)(cpu->model->tsc_hz / 1000000u); /* base MHz */
        out[1] = out[0];                                     /* max MHz */
        out[2] = 100;                                        /* bus MHz */
        break;
    case 0x80000000: out[0] = MAX_EXT_LEAF; break;
    case 0x80000001: {
        uint32_t c = 1u << 0, d = 0; /* LAHF/SAHF in 64-bit mode */
        if (has(cpu, ISA_LZCNT)) c |= 1u << 5;
        d |= 1u << 11; /* SYSCALL/SYSRET */
        if (nx_enabled(cpu)) d |= 1u << 20;
        d |= 1u << 26; /* 1 GiB pages (mmu/paging.c) */
        if (has(cpu, ISA_RDTSCP)) d |= 1u << 27;
        if (has(cpu, ISA_LM)) d |= 1u << 29;
        out[2] = c;
        out[3] = d;
        break;
    }
    case 0x80000002: case 0x80000003: case 0x80000004: brand_leaf(cpu, leaf, out); break;
    case 0x80000006: out[2] = (256u << 16) | (4u << 12) | 64u; break; /* L2 256K 4-way */
    case 0x80000007: out[3] = 1u << 8; break; /* invariant TSC */
    case 0x80000008: out[0] = cpu->model->phys_bits | (48u << 8); break;
    default: break;
    }
}

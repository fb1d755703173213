/* Architectural performance monitoring version 2: lazy counting of the
 * events turtles can count exactly, overflow and the PMI (cpu/pmu.h). */
#include "cpu/pmu.h"

#include "cpu/block_cache.h"
#include "cpu/lapic.h"
#include "cpu/msr.h"
#include "cpu/opcodes.h"

#define NS_PER_SEC 1000000000ull
#define CTR_MASK ((1ull << PMU_COUNTER_BITS) - 1)
#define NCOUNTERS (PMU_GP_COUNTERS + PMU_FIXED_COUNTERS)
/* IA32_DEBUGCTL.FREEZE_PERFMON_ON_PMI (SDM Vol.3B 18.4.7, legacy freeze). */
#define DEBUGCTL_FREEZE_PERFMON_ON_PMI (1ull << 12)
/* IA32_PERF_GLOBAL_STATUS OvfBuffer (62) and CondChgd (63). */
#define GLOBAL_STATUS_EXTRA (3ull << 62)

/* What a counter adds per retired instruction. */
enum pmu_source {
    SRC_NONE,        /* an event turtles does not count: stays put */
    SRC_INSNS,       /* one per instruction = one per core cycle */
    SRC_REF,         /* reference (crystal) clock ticks */
    SRC_INSNS_NO_REF /* core cycles without a reference tick */
};

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Reference ticks per ns as the fraction ref_num / ref_den. */
static uint64_t ref_num(void) { return PMU_REF_HZ / gcd(PMU_REF_HZ, NS_PER_SEC); }
static uint64_t ref_den(void) { return NS_PER_SEC / gcd(PMU_REF_HZ, NS_PER_SEC); }

static unsigned icount_shift(const struct cpu *cpu)
{
    return cpu->bus.clock ? cpu->bus.clock->icount_shift : 0;
}

/* Instructions retired so far, including those of the running block that
 * have completed (the dispatch loop adds them to icount at the block end). */
static uint64_t retired(const struct cpu *cpu)
{
    uint64_t n = cpu->icount;
    if (cpu->cur_block && cpu->cur_insn)
        n += (uint64_t)(cpu->cur_insn - cpu->cur_block->insns);
    return n;
}

static uint64_t global_ctrl_valid(void)
{
    return ((1ull << PMU_GP_COUNTERS) - 1) | (((1ull << PMU_FIXED_COUNTERS) - 1) << 32);
}

/* Counters are numbered 0-3 (general purpose) and 4-6 (fixed 0-2). */
static unsigned global_bit(unsigned k)
{
    return k < PMU_GP_COUNTERS ? k : 32 + (k - PMU_GP_COUNTERS);
}

static uint64_t *counter(struct cpu *cpu, unsigned k)
{
    return k < PMU_GP_COUNTERS ? &cpu->pmc[k] : &cpu->fixed_ctr[k - PMU_GP_COUNTERS];
}

static unsigned fixed_ctrl(const struct cpu *cpu, unsigned k)
{
    return (unsigned)(cpu->fixed_ctr_ctrl >> (4 * (k - PMU_GP_COUNTERS))) & 0xf;
}

/* CMASK compares the per-cycle event count with the mask (INV: less than)
 * and counts cycles, EDGE counts the cycles where the comparison turns true
 * (SDM Vol.3B 20.2.1.1). Instructions and core cycles are exactly 1 in
 * every core cycle, so the comparison is constant: all cycles or none,
 * and no edges. A reference tick is a 1 in the cycles where it happens
 * (exact while the crystal ticks at most once per core cycle, icount
 * shift <= 5). */
static enum pmu_source gp_source(uint64_t sel)
{
    unsigned event = sel & 0xff, umask = (sel >> 8) & 0xff, cmask = (unsigned)(sel >> 24) & 0xff;
    bool inv = (sel & PMU_SEL_INV) != 0, edge = (sel & PMU_SEL_EDGE) != 0;
    bool ref;
    if ((event == 0xc0 && umask == 0x00) || (event == 0x3c && umask == 0x00))
        ref = false;
    else if (event == 0x3c && umask == 0x01)
        ref = true;
    else
        return SRC_NONE;
    if (cmask == 0)
        return ref ? SRC_REF : SRC_INSNS;
    if (!ref) {
        bool every_cycle = (cmask <= 1) != inv;
        return every_cycle && !edge ? SRC_INSNS : SRC_NONE;
    }
    if (cmask == 1) {
        if (edge)
            return SRC_REF; /* each tick, and each gap between ticks, starts once */
        return inv ? SRC_INSNS_NO_REF : SRC_REF;
    }
    return inv && !edge ? SRC_INSNS : SRC_NONE;
}

static enum pmu_source source_of(const struct cpu *cpu, unsigned k)
{
    if (k < PMU_GP_COUNTERS)
        return gp_source(cpu->perfevtsel[k]);
    return k == PMU_GP_COUNTERS + 2 ? SRC_REF : SRC_INSNS;
}

/* Enabled at this CPL: the global bit ANDed with the counter's own enable
 * for the privilege level (SDM Vol.3B 20.2.2). USR means CPL > 0. */
static bool counts_at(const struct cpu *cpu, unsigned k, unsigned cpl)
{
    if (!((cpu->perf_global_ctrl >> global_bit(k)) & 1))
        return false;
    if (k < PMU_GP_COUNTERS) {
        uint64_t sel = cpu->perfevtsel[k];
        return (sel & PMU_SEL_EN) && (sel & (cpl ? PMU_SEL_USR : PMU_SEL_OS));
    }
    return (fixed_ctrl(cpu, k) & (cpl ? 2u : 1u)) != 0;
}

static bool enabled_somewhere(const struct cpu *cpu, unsigned k)
{
    return counts_at(cpu, k, 0) || counts_at(cpu, k, 3);
}

static bool pmi_enabled(const struct cpu *cpu, unsigned k)
{
    if (k < PMU_GP_COUNTERS)
        return (cpu->perfevtsel[k] & PMU_SEL_INT) != 0;
    return (fixed_ctrl(cpu, k) & 8u) != 0;
}

/* Fewest instructions after which `remaining` events of src can have
 * happened (the next time worth looking). */
static uint64_t insns_until(const struct cpu *cpu, enum pmu_source src, uint64_t remaining)
{
    if (src != SRC_REF)
        return remaining; /* at most one event per instruction */
    uint64_t need = remaining * ref_den();
    if (need <= cpu->pmu_ref_frac)
        return 1;
    uint64_t per_insn = ref_num() << icount_shift(cpu);
    uint64_t n = (need - cpu->pmu_ref_frac + per_insn - 1) / per_insn;
    return n ? n : 1;
}

/* Derived state after any change: is anything enabled, where is the next
 * overflow; the running turn ends there. */
static void recompute(struct cpu *cpu)
{
    bool enabled = false;
    uint64_t next = UINT64_MAX;
    for (unsigned k = 0; k < NCOUNTERS; k++) {
        enum pmu_source src = source_of(cpu, k);
        if (src == SRC_NONE || !enabled_somewhere(cpu, k))
            continue;
        enabled = true;
        if (!counts_at(cpu, k, cpu->cpl))
            continue;
        uint64_t n = insns_until(cpu, src, CTR_MASK + 1 - *counter(cpu, k));
        if (n < next - cpu->pmu_sync_icount)
            next = cpu->pmu_sync_icount + n;
    }
    cpu->pmu_enabled = enabled;
    cpu->pmu_overflow_icount = next;
    if (enabled && cpu->quantum_end > next)
        cpu->quantum_end = next;
}

/* SDM Vol.3B 20.2.2: on overflow the GLOBAL_STATUS bit is set and, with
 * the counter's INT/PMI bit, the local APIC raises its performance-counter
 * interrupt. */
static void raise_pmi(struct cpu *cpu)
{
    if (cpu->lapic)
        lapic_perf_interrupt(cpu->lapic);
    if (cpu->debugctl & DEBUGCTL_FREEZE_PERFMON_ON_PMI)
        cpu->perf_global_ctrl = 0;
}

static void sync_to(struct cpu *cpu, uint64_t now)
{
    if (now > cpu->pmu_sync_icount) {
        uint64_t insns = now - cpu->pmu_sync_icount;
        /* ns * num / den in two parts, so that a long interval cannot
         * overflow the product. */
        uint64_t ns = insns << icount_shift(cpu);
        uint64_t acc = (ns % ref_den()) * ref_num() + cpu->pmu_ref_frac;
        uint64_t ref = (ns / ref_den()) * ref_num() + acc / ref_den();
        cpu->pmu_ref_frac = acc % ref_den();
        bool pmi = false;
        for (unsigned k = 0; k < NCOUNTERS; k++) {
            if (!counts_at(cpu, k, cpu->pmu_cpl))
                continue;
            uint64_t add = 0;
            switch (source_of(cpu, k)) {
            case SRC_NONE: break;
            case SRC_INSNS: add = insns; break;
            case SRC_REF: add = ref; break;
            case SRC_INSNS_NO_REF: add = insns > ref ? insns - ref : 0; break;
            }
            uint64_t *c = counter(cpu, k);
            uint64_t v = *c + add;
            if (v > CTR_MASK) {
                cpu->perf_global_status |= 1ull << global_bit(k);
                pmi |= pmi_enabled(cpu, k);
            }
            *c = v & CTR_MASK;
        }
        cpu->pmu_sync_icount = now;
        if (pmi)
            raise_pmi(cpu);
    }
    cpu->pmu_cpl = cpu->cpl;
    recompute(cpu);
}

void pmu_sync(struct cpu *cpu)
{
    sync_to(cpu, retired(cpu));
}

/* Before a WRMSR changes what counts: the WRMSR itself retires under the
 * old settings (an enabling WRMSR is not counted, a disabling one is, as on
 * hardware). Other writers (VM-entry/exit MSR loads) leave the instruction
 * that is running, if any, to the new settings. */
static void sync_before_write(struct cpu *cpu)
{
    uint64_t now = retired(cpu);
    if (cpu->cur_block && cpu->cur_insn && cpu->cur_insn->fn == op_wrmsr)
        now++;
    sync_to(cpu, now);
}

bool pmu_msr_is_pmu(uint32_t msr)
{
    return (msr >= MSR_PMC0 && msr < MSR_PMC0 + PMU_GP_COUNTERS) ||
           (msr >= MSR_PERFEVTSEL0 && msr < MSR_PERFEVTSEL0 + PMU_GP_COUNTERS) ||
           (msr >= MSR_FIXED_CTR0 && msr < MSR_FIXED_CTR0 + PMU_FIXED_COUNTERS) ||
           msr == MSR_FIXED_CTR_CTRL || msr == MSR_PERF_GLOBAL_STATUS ||
           msr == MSR_PERF_GLOBAL_CTRL || msr == MSR_PERF_GLOBAL_OVF_CTRL;
}

bool pmu_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
    if (msr >= MSR_PMC0 && msr < MSR_PMC0 + PMU_GP_COUNTERS) {
        pmu_sync(cpu);
        *val = cpu->pmc[msr - MSR_PMC0];
        return true;
    }
    if (msr >= MSR_FIXED_CTR0 && msr < MSR_FIXED_CTR0 + PMU_FIXED_COUNTERS) {
        pmu_sync(cpu);
        *val = cpu->fixed_ctr[msr - MSR_FIXED_CTR0];
        return true;
    }
    if (msr >= MSR_PERFEVTSEL0 && msr < MSR_PERFEVTSEL0 + PMU_GP_COUNTERS) {
        *val = cpu->perfevtsel[msr - MSR_PERFEVTSEL0];
        return true;
    }
    switch (msr) {
    case MSR_FIXED_CTR_CTRL: *val = cpu->fixed_ctr_ctrl; return true;
    case MSR_PERF_GLOBAL_CTRL: *val = cpu->perf_global_ctrl; return true;
    case MSR_PERF_GLOBAL_OVF_CTRL: *val = 0; return true;
    case MSR_PERF_GLOBAL_STATUS:
        pmu_sync(cpu);
        *val = cpu->perf_global_status;
        return true;
    default: return false;
    }
}

bool pmu_msr_write(struct cpu *cpu, uint32_t msr, uint64_t v)
{
    if (msr >= MSR_PMC0 && msr < MSR_PMC0 + PMU_GP_COUNTERS) {
        /* Only bits 31:0 are written, sign-extended to the counter width
         * (SDM Vol.3B 20.2.5: no full-width writes are offered). */
        sync_before_write(cpu);
        cpu->pmc[msr - MSR_PMC0] = (uint64_t)(int64_t)(int32_t)v & CTR_MASK;
    } else if (msr >= MSR_FIXED_CTR0 && msr < MSR_FIXED_CTR0 + PMU_FIXED_COUNTERS) {
        /* Fixed counters are written at full width; the bits beyond it are
         * reserved (SDM Vol.3B 20.2.2). */
        if (v & ~CTR_MASK)
            return false;
        sync_before_write(cpu);
        cpu->fixed_ctr[msr - MSR_FIXED_CTR0] = v;
    } else if (msr >= MSR_PERFEVTSEL0 && msr < MSR_PERFEVTSEL0 + PMU_GP_COUNTERS) {
        if (v >> 32)
            return false;
        sync_before_write(cpu);
        cpu->perfevtsel[msr - MSR_PERFEVTSEL0] = v;
    } else {
        switch (msr) {
        case MSR_FIXED_CTR_CTRL:
            /* 4 bits per fixed counter: enable (2 bits), AnyThread, PMI. */
            if (v & ~((1ull << (4 * PMU_FIXED_COUNTERS)) - 1))
                return false;
            sync_before_write(cpu);
            cpu->fixed_ctr_ctrl = v;
            break;
        case MSR_PERF_GLOBAL_CTRL:
            if (v & ~global_ctrl_valid())
                return false;
            sync_before_write(cpu);
            cpu->perf_global_ctrl = v;
            break;
        case MSR_PERF_GLOBAL_OVF_CTRL:
            /* Writing 1s clears the matching GLOBAL_STATUS bits; overflows
             * up to this instruction are set first. */
            if (v & ~(global_ctrl_valid() | GLOBAL_STATUS_EXTRA))
                return false;
            sync_before_write(cpu);
            cpu->perf_global_status &= ~v;
            break;
        default:
            return false; /* GLOBAL_STATUS is read-only */
        }
    }
    recompute(cpu);
    return true;
}

bool pmu_rdpmc(struct cpu *cpu, uint32_t ecx, uint64_t *val)
{
    /* ECX[30] selects the fixed counters; any other bit outside the index
     * (the "fast read" ECX[31] of older processors included) makes the
     * index invalid (SDM Vol.2B RDPMC). */
    if (ecx & (1u << 31))
        return false;
    if (ecx & (1u << 30)) {
        uint32_t idx = ecx & 0x3fffffffu;
        if (idx >= PMU_FIXED_COUNTERS)
            return false;
        pmu_sync(cpu);
        *val = cpu->fixed_ctr[idx];
        return true;
    }
    if (ecx >= PMU_GP_COUNTERS)
        return false;
    pmu_sync(cpu);
    *val = cpu->pmc[ecx];
    return true;
}

void pmu_set_global_ctrl(struct cpu *cpu, uint64_t val)
{
    pmu_sync(cpu);
    cpu->perf_global_ctrl = val;
    recompute(cpu);
}

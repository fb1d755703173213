#include "cpu/tsc.h"

#include "cpu/block_cache.h"
#include "cpu/cpu.h"
#include "cpu/cpuid.h"

#define NS_PER_SEC 1000000000ull

uint64_t tsc_at(uint64_t now_ns, uint64_t tsc_hz)
{
    return (now_ns / NS_PER_SEC) * tsc_hz + (now_ns % NS_PER_SEC) * tsc_hz / NS_PER_SEC;
}

uint64_t tsc_to_ns(uint64_t tsc, uint64_t tsc_hz)
{
    return (tsc / tsc_hz) * NS_PER_SEC + ((tsc % tsc_hz) * NS_PER_SEC + tsc_hz - 1) / tsc_hz;
}

static uint64_t tsc_hz(const struct cpu *cpu)
{
    return cpu->model ? cpu->model->tsc_hz : NS_PER_SEC;
}

/* The machine clock advances once per vCPU turn (by the instructions the
 * turn ran); within a turn the TSC must still move (SDM Vol.3B 17.17: it
 * counts every clock), so add the instructions this turn has retired so
 * far. At the end of the turn the clock has advanced by exactly that much,
 * which keeps the TSC monotonic. Realtime clocks follow the host instead. */
uint64_t cpu_turn_elapsed_ns(void *opaque)
{
    const struct cpu *cpu = opaque;
    const struct clock *c = cpu->bus.clock;
    if (!c || c->realtime)
        return 0;
    uint64_t ran = cpu->icount - cpu->turn_start_icount + cpu->turn_events;
    if (cpu->cur_block && cpu->cur_insn)
        ran += (uint64_t)(cpu->cur_insn - cpu->cur_block->insns);
    return ran << c->icount_shift;
}

static uint64_t cpu_now_ns(const struct cpu *cpu)
{
    const struct clock *c = cpu->bus.clock;
    return c ? c->now_ns + cpu_turn_elapsed_ns((void *)(uintptr_t)cpu) : 0;
}

uint64_t cpu_tsc(const struct cpu *cpu)
{
    return tsc_at(cpu_now_ns(cpu), tsc_hz(cpu)) + (uint64_t)cpu->tsc_offset;
}

uint64_t cpu_tsc_deadline_ns(const struct cpu *cpu, uint64_t tsc)
{
    uint64_t now = cpu->bus.clock ? cpu->bus.clock->now_ns : 0;
    if (tsc <= cpu_tsc(cpu))
        return now;
    uint64_t ns = tsc_to_ns(tsc - (uint64_t)cpu->tsc_offset, tsc_hz(cpu));
    return ns > now ? ns : now;
}

void cpu_set_tsc(struct cpu *cpu, uint64_t value)
{
    cpu->tsc_offset = (int64_t)(value - (cpu_tsc(cpu) - (uint64_t)cpu->tsc_offset));
}

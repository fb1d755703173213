#include "cpu/tsc.h"

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

uint64_t cpu_tsc(const struct cpu *cpu)
{
    uint64_t hz = cpu->model ? cpu->model->tsc_hz : NS_PER_SEC;
    uint64_t now = cpu->bus.clock ? cpu->bus.clock->now_ns : 0;
    return tsc_at(now, hz) + (uint64_t)cpu->tsc_offset;
}

void cpu_set_tsc(struct cpu *cpu, uint64_t value)
{
    cpu->tsc_offset = (int64_t)(value - (cpu_tsc(cpu) - (uint64_t)cpu->tsc_offset));
}

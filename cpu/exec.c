/* The dispatch loop: find or decode the block at RIP, run its handlers
 * back to back, check for interrupts and timers between blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/block_cache.h"
#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/debug.h"
#include "cpu/decode.h"
#include "cpu/specialize.h"
#include "cpu/opcodes.h"
#include "cpu/exception.h"
#include "cpu/flags_table.h"
#include "cpu/log.h"
#include "cpu/mem.h"
#include "cpu/operands.h"
#include "cpu/pmu.h"

_Noreturn void cpu_raise(struct cpu *cpu, unsigned vector, uint32_t error_code)
{
    cpu->exc_vector = (int)vector;
    cpu->exc_has_error = exception_has_error(vector);
    cpu->exc_error = error_code;
    longjmp(cpu->exc_jmp, 1);
}

_Noreturn void cpu_raise_noerr(struct cpu *cpu, unsigned vector)
{
    cpu->exc_vector = (int)vector;
    cpu->exc_has_error = false;
    cpu->exc_error = 0;
    longjmp(cpu->exc_jmp, 1);
}

void op_ud(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    raise_ud(cpu);
}

struct fetch_ctx {
    struct cpu *cpu;
    uint64_t cs_base;
    uint64_t first_page_lin;  /* linear page of the block start */
    uint64_t first_page_paddr;
    const uint8_t *host_page; /* RAM page, or NULL to read through physmem */
    bool straddled;           /* an instruction used bytes of another page */
    uint64_t page2_paddr;     /* that page (physical) */
    bool gp_fault;            /* past the CS limit or non-canonical: #GP(0) */
};

static bool fetch_byte(void *opaque, uint64_t offset, uint8_t *byte)
{
    struct fetch_ctx *fc = opaque;
    struct cpu *cpu = fc->cpu;
    if (cpu->mode != MODE_LONG) {
        offset &= 0xffffffffull;
        if (offset > cpu->seg[S_CS].limit) {
            fc->gp_fault = true;
            return false;
        }
    }
    uint64_t lin = fc->cs_base + offset;
    if (cpu->mode != MODE_LONG) {
        lin &= 0xffffffffull;
    } else if (!is_canonical(lin)) {
        /* An instruction running into the non-canonical hole: its fetch
         * faults with #GP(0), not #PF (SDM Vol.3A 6.15, interrupt 13). */
        fc->gp_fault = true;
        return false;
    }
    if ((lin & ~0xfffull) == fc->first_page_lin) {
        if (fc->host_page)
            *byte = fc->host_page[lin & 0xfff];
        else
            *byte = (uint8_t)physmem_read(cpu->bus.mem, fc->first_page_paddr | (lin & 0xfff), 1);
        return true;
    }
    uint64_t paddr;
    if (!cpu_translate_noexc(cpu, lin, ACC_EXEC, &paddr))
        return false;
    fc->straddled = true;
    fc->page2_paddr = paddr & ~0xfffull;
    *byte = (uint8_t)physmem_read(cpu->bus.mem, paddr, 1);
    return true;
}

/* From now on a write to this RAM page reaches on_code_write: no vCPU's TLB
 * may keep a direct write mapping of it. */
static void mark_code_page(struct cpu *cpu, uint64_t page)
{
    physmem_mark_code(cpu->bus.mem, page);
    for (int i = 0; i < cpu->npeers; i++)
        tlb_drop_write_paddr(&cpu->peers[i]->tlb, page);
    if (!cpu->npeers)
        tlb_drop_write_paddr(&cpu->tlb, page);
}

static struct block *scratch_block(struct cpu *cpu)
{
    static _Thread_local struct block *scratch;
    (void)cpu;
    if (!scratch)
        scratch = calloc(1, sizeof(struct block) + BLOCK_MAX_INSNS * sizeof(struct insn));
    return scratch;
}

/* Decode a block at RIP. Stops at a block-ending instruction, a page end, an
 * undecodable instruction (which stays in the block and raises #UD when
 * reached), or a fetch fault after the first instruction. An instruction
 * that straddles two pages is a block of its own. uncached: decode into the
 * scratch block (step mode, or a cached straddler whose second page now
 * maps elsewhere). */
static struct block *build_block(struct cpu *cpu, uint64_t lin, uint64_t paddr, bool step,
                                 bool uncached)
{
    struct fetch_ctx fc = {
        .cpu = cpu,
        .cs_base = cpu->mode == MODE_LONG ? 0 : cpu->seg[S_CS].base,
        .first_page_lin = lin & ~0xfffull,
        .first_page_paddr = paddr & ~0xfffull,
        .host_page = physmem_ram_page(cpu->bus.mem, paddr),
    };
    struct insn tmp[BLOCK_MAX_INSNS];
    unsigned n = 0, max = step ? 1 : BLOCK_MAX_INSNS;
    uint64_t rip = cpu->rip;
    bool straddle = false;
    while (n < max) {
        fc.straddled = false;
        fc.gp_fault = false;
        enum decode_status st = decode_insn(&tmp[n], cpu->code_size, cpu->model->isa_mask,
                                            fetch_byte, &fc, rip);
        if (st == DECODE_FETCH_FAULT || st == DECODE_TOO_LONG) {
            if (n > 0)
                break;
            if (st == DECODE_TOO_LONG)
                raise_gp(cpu, 0);
            if (fc.gp_fault)
                raise_gp(cpu, 0);
            /* Re-fetch the failing byte with exceptions on to raise the #PF. */
            uint64_t flin = fc.cs_base + rip + tmp[0].len;
            if (cpu->mode != MODE_LONG)
                flin &= 0xffffffffull;
            cpu_translate(cpu, flin, ACC_EXEC);
            raise_gp(cpu, 0); /* not reached: the translation above faulted */
        }
        if (fc.straddled) {
            if (n > 0)
                break; /* decode it again as the first of its own uncached block */
            straddle = true;
        }
        uint32_t flags = st == DECODE_OK ? insn_flags(&tmp[n]) : 0;
        rip += tmp[n].len;
        n++;
        if (st != DECODE_OK || (flags & D_END) || straddle)
            break;
        uint64_t next_lin = fc.cs_base + rip;
        if (cpu->mode != MODE_LONG)
            next_lin &= 0xffffffffull;
        if ((next_lin & ~0xfffull) != fc.first_page_lin)
            break;
    }
    /* A straddler is cached when both of its pages are RAM, where writes
     * are tracked: it is dropped by a write to either page. */
    bool cacheable = !step && !uncached &&
                     (!straddle || (fc.host_page && physmem_ram_page(cpu->bus.mem, fc.page2_paddr)));
    /* MMIO-backed code is not cacheable either: only RAM and ROM are stable. */
    if (!fc.host_page) {
        struct physmem *pm = cpu->bus.mem;
        bool rom = false;
        for (int i = 0; i < pm->nregions; i++)
            if (pm->regions[i].rom_data && paddr - pm->regions[i].base < pm->regions[i].size)
                rom = true;
        cacheable = cacheable && rom && !straddle;
    }
    struct block *b;
    if (cacheable) {
        b = block_alloc(cpu->blocks, n); /* may evict old blocks: the cache is bounded */
        if (!b)
            cacheable = false;
    }
    if (!cacheable)
        b = scratch_block(cpu);
    b->paddr = paddr;
    b->code_size = cpu->code_size;
    b->ninsns = (uint16_t)n;
    b->cached = false;
    b->valid = true;
    b->straddles = straddle;
    b->page2 = straddle ? fc.page2_paddr : 0;
    b->chain[0] = b->chain[1] = (struct chain_link){0};
    b->incoming = NULL;
    memcpy(b->insns, tmp, n * sizeof(struct insn));
    if (cacheable) {
        block_insert(cpu->blocks, b);
        if (fc.host_page) {
            mark_code_page(cpu, paddr & ~0xfffull);
            if (straddle)
                mark_code_page(cpu, fc.page2_paddr);
        }
    }
    return b;
}

/* The block at paddr, through prev's successor slots when they hold it
 * (no hash walk), else through the hash; remembers a hashed hit in prev.
 * prev is NULL or a cached block that is still in the cache. Its links never point at a dropped block (cpu/block_cache.c). */
static struct block *lookup_chained(struct cpu *cpu, struct block *prev, uint64_t paddr)
{
    unsigned cs = cpu->code_size;
    if (prev) {
        for (int i = 0; i < 2; i++) {
            struct block *c = prev->chain[i].to;
            if (c && c->paddr == paddr && c->code_size == cs)
                return c;
        }
    }
    struct block *b = block_lookup(cpu->blocks, paddr, cs);
    if (b && prev)
        block_chain_push(prev, b);
    return b;
}

/* A cached straddler decoded its last bytes from b->page2: it may run only
 * while the next linear page still maps there (page tables change without
 * writes to code) and, outside 64-bit mode, while the whole instruction is
 * within the CS limit. Otherwise the caller decodes it afresh, which also
 * raises the fault (#PF, #GP) that its fetch now meets. */
static bool straddler_still_maps(struct cpu *cpu, const struct block *b, uint64_t lin)
{
    uint64_t lin2 = (lin | 0xfffull) + 1;
    if (cpu->mode != MODE_LONG) {
        lin2 &= 0xffffffffull;
        uint64_t last = cpu->rip + b->insns[0].len - 1;
        if (last > cpu->seg[S_CS].limit || last > 0xffffffffull)
            return false;
    } else if (!is_canonical(lin2)) {
        return false;
    }
    uint64_t paddr2;
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin2)];
    if (e->tag_exec == lin2)
        paddr2 = e->paddr_page;
    else if (!cpu_translate_noexc(cpu, lin2, ACC_EXEC, &paddr2))
        return false;
    return (paddr2 & ~0xfffull) == b->page2;
}

/* The block at RIP; NULL when an instruction breakpoint there delivered
 * its #DB instead (SDM Vol.3A 6.9: before the fetch faults). In debug step
 * mode (debug_step_mode()) the block is one instruction and not cached. */
static struct block *find_block(struct cpu *cpu, struct block *prev, bool step)
{
    if (__builtin_expect(step, 0) && debug_before_insn(cpu))
        return NULL;
    uint64_t lin;
    if (cpu->mode == MODE_LONG) {
        /* Fetching from a non-canonical RIP is #GP(0) (SDM Vol.3A 6.15):
         * reached by running sequentially past 00007FFFFFFFFFFFH or by a
         * debugger writing RIP; branches, IRET, SYSRET and VM entry check
         * their targets themselves and fault at the instruction. */
        lin = cpu->rip;
        if (!is_canonical(lin))
            raise_gp(cpu, 0);
    } else {
        if (cpu->rip > cpu->seg[S_CS].limit)
            raise_gp(cpu, 0);
        lin = (cpu->seg[S_CS].base + cpu->rip) & 0xffffffffull;
    }
    uint64_t paddr;
    const struct tlb_entry *e = &cpu->tlb.e[cpu->cpl == 3][tlb_index(lin)];
    if (e->tag_exec == (lin & ~0xfffull))
        paddr = e->paddr_page | (lin & 0xfff);
    else
        paddr = cpu_translate(cpu, lin, ACC_EXEC);
    if (!step) {
        struct block *b = lookup_chained(cpu, prev, paddr);
        if (__builtin_expect(b && b->straddles, 0) && !straddler_still_maps(cpu, b, lin))
            return build_block(cpu, lin, paddr, step, true);
        if (b)
            return b;
    }
    struct block *b = build_block(cpu, lin, paddr, step, false);
    /* Link the new block at once (building it may have evicted prev). */
    if (prev && prev->valid && b->cached)
        block_chain_push(prev, b);
    return b;
}

/* The bytes at RIP, for -d int/unimp when an instruction raises #UD. */
static void log_insn_bytes(struct cpu *cpu)
{
    uint64_t lin = (cpu->mode == MODE_LONG ? 0 : cpu->seg[S_CS].base) + cpu->rip, paddr;
    char text[64] = "";
    for (int i = 0; i < 15; i++) {
        if (!cpu_translate_noexc(cpu, lin + (uint64_t)i, ACC_EXEC, &paddr))
            break;
        snprintf(text + 3 * i, sizeof(text) - 3 * (size_t)i, " %02x",
                 (unsigned)physmem_read(cpu->bus.mem, paddr, 1));
    }
    cpu_log(cpu, "cpu%d: #UD bytes:%s\n", cpu->index, text);
}

void cpu_set_undefined_random(struct cpu *cpu, uint64_t seed)
{
    /* One splitmix64 step spreads a small seed over all 64 bits (xorshift
     * alone would keep the first outputs' high flag bits at 0), and
     * xorshift needs a nonzero state. */
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    cpu->undefined_random = true;
    cpu->undefined_rng = z ? z : 1;
}

/* The block loop of -turtles-undefined random (a separate loop, so the
 * default mode pays one test per block): the same steps, and after each
 * instruction that completes, the flags the SDM leaves undefined for its
 * operands get pseudo-random values. The count operand is read before the
 * instruction runs (it may overwrite CL). Returns the instruction after the
 * last one run. */
static const struct insn *run_randomizing_undefined(struct cpu *cpu, const struct insn *in,
                                                    const struct insn *end)
{
    uint64_t rip = cpu->rip;
    do {
        cpu->cur_insn = in;
        cpu->next_rip = rip + in->len;
        uint64_t count = 0;
        flags_count_operand(cpu, in, &count);
        uint16_t undef = flags_undefined(insn_row(in), in, count);
        bool nonroot = cpu->vmx_nonroot;
        in->fn(cpu, in);
        /* After a VM exit that did not unwind the handler, RFLAGS is L1's
         * (loaded as 2, SDM 28.5.3), not this instruction's output. */
        if (undef && cpu->vmx_nonroot == nonroot) {
            uint64_t x = cpu->undefined_rng;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cpu->undefined_rng = x;
            cpu->rflags = (cpu->rflags & ~(uint64_t)undef) | (x & undef);
        }
        rip = cpu->next_rip;
        cpu->rip = rip;
        in++;
    } while (in < end && !cpu->stop_block);
    return in;
}

/* What sends every block boundary of a run down the slow path besides the
 * exit request: these change only between runs (or in the debug hook, after
 * which the loop reads them again). */
static bool run_needs_slow_path(const struct cpu *cpu)
{
    return cpu->debug_hook || cpu->intr_pending || cpu->undefined_random ||
           (cpu->log_mask & LOG_EXEC);
}

/* exit_request2 with nothing to do: intr_idle alone set (its polarity is
 * the local APIC's, cpu/cpu.h). */
static uint64_t exit_request2_quiet(struct cpu *cpu)
{
    uint64_t saved = cpu->exit_request2;
    cpu->exit_request2 = 0;
    cpu->intr_idle = true;
    uint64_t quiet = cpu->exit_request2;
    cpu->exit_request2 = saved;
    return quiet;
}

uint64_t cpu_run(struct cpu *cpu)
{
    uint64_t start = cpu->icount;
    cpu->turn_start_icount = start;
    cpu->turn_events = 0;
    pmu_turn_begin(cpu);
    if (setjmp(cpu->exc_jmp)) {
        /* An exception unwound a handler: RIP is the faulting instruction. */
        if (cpu->cur_block && cpu->cur_insn) {
            cpu->icount += (uint64_t)(cpu->cur_insn - cpu->cur_block->insns);
        }
        int v = cpu->exc_vector;
        cpu->exc_vector = -1;
        cpu->turn_events++;
        cpu->events_total++;
        if ((cpu->log_mask & LOG_INT) && v >= 0) /* v < 0: a VM exit unwound it */
            cpu_log(cpu,
                    "cpu%d: exception %d err=%#x at %04x:%016llx cr2=%#llx cpl=%d mode=%d "
                    "insn=%s\n",
                    cpu->index, v, cpu->exc_error, cpu->seg[S_CS].sel,
                    (unsigned long long)cpu->rip, (unsigned long long)cpu->cr2, cpu->cpl,
                    cpu->mode, cpu->cur_insn ? insn_name(cpu->cur_insn) : "(fetch)");
        if (v == EXC_UD && (cpu->log_mask & (LOG_INT | LOG_UNIMP)))
            log_insn_bytes(cpu);
        cpu->cur_block = NULL;
        cpu->cur_insn = NULL;
        debug_insn_unwound(cpu);
        if (v >= 0) {
            /* SDM Vol.3B 18.3.1.1: the RFLAGS image of a fault has RF set, so
             * that the instruction restarts without its breakpoint (the
             * instruction-breakpoint #DB is not raised this way). */
            cpu->rflags |= F_RF;
            cpu_deliver_event(cpu, (unsigned)v, EV_HWEXC, cpu->exc_has_error, cpu->exc_error,
                              cpu->rip);
        }
        cpu->dbg_event = 0;
        if (cpu->dbg_trap & DBG_DISCARD)
            debug_set_trap(cpu, 0); /* it was about the exception just delivered */
        if (cpu->dbg_flags & DBG_F_HELD)
            debug_deliver_held(cpu);
    }
    /* The block that ran last, for chaining. Declared after setjmp: an
     * exception starts over with none. */
    struct block *prev = NULL;
    const uint64_t quiet2 = exit_request2_quiet(cpu);
    bool always_slow = run_needs_slow_path(cpu);
    for (;;) {
        if (cpu->icount + cpu->turn_events >= cpu->quantum_end)
            break;
        /* A dropped block stays allocated until the reap below: only this
         * loop reaps while it runs. */
        if (prev && !prev->valid)
            prev = NULL;
        block_reap(cpu->blocks);
        bool tf = false, step = false, slow = false;
        /* The fast path between blocks: one test of the exit request (and
         * of TF/RF, which live in RFLAGS) stands for all of the checks
         * below, which find nothing to do while it is quiet. */
        if (__builtin_expect((cpu->exit_request | (cpu->exit_request2 ^ quiet2) |
                              (cpu->rflags & (F_TF | F_RF)) | (uint64_t)always_slow) != 0,
                             0)) {
            if (cpu->shutdown)
                break;
            if (cpu->stop_request) {
                cpu->stop_request = false;
                break;
            }
            /* cpu_check_interrupts() has nothing to do unless one of these
             * holds; skipping the call keeps the common case cheap. */
            if (cpu->vmx_nonroot || cpu->irq_shadow || cpu->nmi_pending ||
                ((cpu->rflags & F_IF) && !(cpu->intr_idle && !cpu->intr_pending)))
                cpu_check_interrupts(cpu);
            if (cpu->halted || cpu->shutdown || cpu->wait_for_sipi)
                break;
            if (cpu->debug_hook && cpu->debug_hook(cpu))
                break;
            always_slow = run_needs_slow_path(cpu);
            tf = (cpu->rflags & F_TF) != 0;
            step = debug_step_mode(cpu);
            /* The interrupt check or a VM exit may have ended the turn. */
            if (cpu->icount + cpu->turn_events >= cpu->quantum_end)
                break;
            slow = true;
        }
        struct block *b = find_block(cpu, prev, step);
        if (__builtin_expect(!b, 0)) {
            cpu->turn_events++; /* an instruction breakpoint's #DB was delivered */
            cpu->events_total++;
            continue;
        }
        prev = b->cached ? b : NULL;
        if (slow && (cpu->log_mask & LOG_EXEC) && cpu->icount >= cpu->log_exec_from)
            cpu_log(cpu, "cpu%d: exec %04x:%016llx %s (%s)\n", cpu->index, cpu->seg[S_CS].sel,
                    (unsigned long long)cpu->rip, b->ninsns ? insn_name(&b->insns[0]) : "",
                    b->ninsns ? handler_name(b->insns[0].fn) : "");
        cpu->cur_block = b;
        const struct insn *in = b->insns, *end = in + b->ninsns;
        /* The instruction in an STI / MOV SS shadow runs alone: events held
         * by the shadow are recognized right after it (SDM Vol.3A 6.8.3),
         * not at the end of the block (which may clear IF again). */
        if (slow && cpu->irq_shadow && cpu->rip == cpu->irq_shadow_rip)
            end = in + 1;
        /* The turn ends exactly at its budget, not at the end of the block
         * that crosses it: -turtles-max-insns is exact and a turn's length
         * does not depend on where blocks end. (Checked above that some
         * budget is left.) */
        uint64_t used = cpu->icount + cpu->turn_events;
        if (cpu->quantum_end - used < (uint64_t)(end - in))
            end = in + (cpu->quantum_end - used);
        cpu->stop_block = false;
        /* rip mirrors cpu->rip (every handler's effect on RIP goes through
         * next_rip), which saves reloading it after each indirect call. */
        uint64_t rip = cpu->rip;
        if (__builtin_expect(slow && cpu->undefined_random, 0)) {
            in = run_randomizing_undefined(cpu, in, end);
        } else {
            do {
                cpu->cur_insn = in;
                cpu->next_rip = rip + in->len;
                in->fn(cpu, in);
                rip = cpu->next_rip;
                cpu->rip = rip;
                in++;
            } while (in < end && !cpu->stop_block);
        }
        cpu->icount += (uint64_t)(in - b->insns);
        cpu->cur_block = NULL;
        cpu->cur_insn = NULL;
        /* TF and a held trap imply step mode; outside it a breakpoint
         * match (data, I/O) has ended the block and set DBG_F_TRAP. */
        if (__builtin_expect(step || (cpu->dbg_flags & DBG_F_TRAP), 0))
            debug_after_insn(cpu, tf); /* after HLT too: the #DB ends the halt */
    }
    pmu_turn_end(cpu);
    /* The caller now advances the clock by the instructions run: from here
     * the TSC is the clock's alone again (cpu/tsc.c). */
    uint64_t events = cpu->turn_events;
    cpu->turn_start_icount = cpu->icount;
    cpu->turn_events = 0;
    return cpu->icount - start + events;
}

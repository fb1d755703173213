/* Hardware breakpoints and debug exceptions (SDM Vol.3B 18.2 "Debug
 * Registers", 18.3 "Debug Exceptions"; Vol.3A 6.8.3 for MOV SS/POP SS).
 *
 * Reporting choices where the SDM leaves room ("may"):
 * - A #DB for breakpoint conditions replaces DR6.B3-B0 with the conditions
 *   it reports (18.2.3: "certain debug exceptions may clear bits 0-3");
 *   BD, BS and BT are only ever set by the processor.
 * - Instruction breakpoints: B0-B3 are set for every instruction
 *   breakpoint at the address, enabled or not, when an enabled one fires.
 *   Data and I/O breakpoints report the enabled ones that matched (only
 *   their pages leave the TLB fast path, so only they are seen reliably).
 * - REP INS/OUTS report an I/O breakpoint after the whole instruction.
 * - A #DB (other than INT 1) discards the debug traps pending or held by
 *   MOV SS at that point, and ICEBP (INT1) has no single-step trap of its
 *   own; DR6 then shows only the #DB's own cause. This is what Intel
 *   processors do in kvm-unit-tests' x86/debug.c (ICEBP and general
 *   detect after MOV SS with TF set).
 * - Accesses made by the delivery of an event (IDT, GDT, stack frame) do
 *   not report data breakpoints (cpu_deliver_event() drops their matches);
 *   a #DB delivered that way would otherwise loop on a watched stack. */
#include "cpu/debug.h"

#include "cpu/exception.h"
#include "mmu/tlb.h"
#include "vmx_emul/vmx_hooks.h"

/* DR7 fields of breakpoint n (SDM Vol.3B 18.2.4, figure 18-1). */
static unsigned bp_enable(uint64_t dr7, unsigned n)
{
    return (unsigned)(dr7 >> (2 * n)) & 3;
}

static unsigned bp_rw(uint64_t dr7, unsigned n)
{
    return (unsigned)(dr7 >> (16 + 4 * n)) & 3;
}

/* LEN encodings 00, 01, 11, 10 = 1, 2, 4, 8 bytes (8: IA-32e capable
 * processors, 18.2.5). */
static uint64_t bp_len(uint64_t dr7, unsigned n)
{
    static const uint8_t bytes[4] = {1, 2, 8, 4};
    return bytes[(dr7 >> (18 + 4 * n)) & 3];
}

enum { RW_EXEC = 0, RW_WRITE = 1, RW_IO = 2, RW_READWRITE = 3 };

/* Outside 64-bit mode linear addresses (and so breakpoint addresses) are
 * 32 bits wide. */
static uint64_t lin_mask(const struct cpu *cpu)
{
    return cpu->mode == MODE_LONG ? ~0ull : 0xffffffffull;
}

void debug_update(struct cpu *cpu)
{
    uint64_t dr7 = cpu->dr[7];
    uint8_t armed = 0;
    for (unsigned n = 0; n < 4; n++) {
        if (!bp_enable(dr7, n))
            continue;
        switch (bp_rw(dr7, n)) {
        case RW_EXEC: armed |= DBG_ARM_EXEC; break;
        case RW_IO:
            /* Undefined without CR4.DE (18.2.4): treated as no breakpoint. */
            if (cpu->cr4 & CR4_DE)
                armed |= DBG_ARM_IO;
            break;
        default: armed |= DBG_ARM_DATA; break;
        }
    }
    if (cpu->watches && cpu->watches->n)
        armed |= DBG_ARM_WATCH;
    cpu->dbg_flags = (uint8_t)((cpu->dbg_flags & ~(DBG_ARMED | DBG_ARM_WATCH)) | armed);
    if (armed & DBG_DATA_SLOW)
        tlb_flush_all(&cpu->tlb);
}

int debug_watch_add(struct debug_watchset *set, uint64_t addr, uint64_t len, unsigned kind,
                    int owner)
{
    const unsigned only = DEBUG_WATCH_ROOT_ONLY | DEBUG_WATCH_NONROOT_ONLY;
    kind &= DEBUG_WATCH_RW | only;
    if (!len || len > DEBUG_WATCH_MAX_LEN || !(kind & DEBUG_WATCH_RW) || (kind & only) == only)
        return -1;
    for (unsigned i = 0; i < set->n; i++) {
        const struct debug_watch *w = &set->w[i];
        if (w->addr == addr && w->len == len && w->kind == kind && w->owner == owner)
            return (int)i;
    }
    if (set->n == DEBUG_WATCH_MAX)
        return -1;
    set->w[set->n] = (struct debug_watch){.addr = addr, .len = len, .kind = kind, .owner = owner};
    return (int)set->n++;
}

static void watch_remove_at(struct debug_watchset *set, unsigned i)
{
    /* Keep the order: the monitor numbers its watchpoints by it. */
    for (; i + 1 < set->n; i++)
        set->w[i] = set->w[i + 1];
    set->n--;
}

bool debug_watch_remove(struct debug_watchset *set, uint64_t addr, uint64_t len,
                        unsigned kind, int owner)
{
    for (unsigned i = 0; i < set->n; i++) {
        const struct debug_watch *w = &set->w[i];
        if (w->addr == addr && w->len == len && w->kind == kind && w->owner == owner) {
            watch_remove_at(set, i);
            return true;
        }
    }
    return false;
}

void debug_watch_remove_owner(struct debug_watchset *set, int owner)
{
    for (unsigned i = set->n; i-- > 0;)
        if (set->w[i].owner == owner)
            watch_remove_at(set, i);
}

void debug_watch_attach(struct cpu *cpu, const struct debug_watchset *set)
{
    cpu->watches = set;
    cpu->watch_pending = cpu->watch_hit = 0;
    if (cpu->dbg_trap & DBG_WATCH_HIT)
        debug_set_trap(cpu, cpu->dbg_trap & ~DBG_WATCH_HIT);
    debug_update(cpu);
    tlb_flush_all(&cpu->tlb); /* pages no longer watched may take the fast path again */
}

/* Whether [a, a_last] and [b, b_last] (inclusive, each possibly wrapping
 * at the top of the linear address space) share a byte. */
static bool ranges_meet(uint64_t a, uint64_t a_last, uint64_t b, uint64_t b_last)
{
    bool a_wraps = a_last < a, b_wraps = b_last < b;
    if (a_wraps && b_wraps)
        return true; /* both hold the top byte */
    if (a_wraps)
        return b <= a_last || b_last >= a;
    if (b_wraps)
        return a <= b_last || a_last >= b;
    return a <= b_last && b <= a_last;
}

/* Deliver a #DB reporting `bits` (matched-condition layout), returning to
 * RIP: past the instruction for a trap, the instruction itself for an
 * instruction breakpoint. */
static void deliver_db(struct cpu *cpu, uint32_t bits)
{
    cpu->dbg_event = DBG_EVENT_VALID | (bits & (DR6_B0_3 | DR6_BD | DR6_BS));
    cpu_deliver_event(cpu, EXC_DB, EV_HWEXC, false, 0, cpu->rip);
    cpu->dbg_event = 0;
    if (cpu->dbg_trap & DBG_DISCARD)
        debug_set_trap(cpu, 0); /* only about the #DB just delivered (or its VM exit) */
}

bool debug_before_insn(struct cpu *cpu)
{
    /* SDM Vol.3A 6.8.3: after MOV SS / POP SS, debug exceptions are
     * inhibited for the next instruction; Intel processors do not report
     * an instruction breakpoint on it. */
    bool movss_shadow = cpu->irq_shadow && cpu->irq_shadow_movss && cpu->rip == cpu->irq_shadow_rip;
    if ((cpu->dbg_flags & DBG_ARM_EXEC) && !(cpu->rflags & F_RF) && !movss_shadow) {
        uint64_t mask = lin_mask(cpu);
        uint64_t lin = cpu->mode == MODE_LONG ? cpu->rip : (cpu->seg[S_CS].base + cpu->rip);
        lin &= mask;
        uint64_t dr7 = cpu->dr[7];
        uint32_t hit = 0;
        bool enabled = false;
        for (unsigned n = 0; n < 4; n++) {
            if (bp_rw(dr7, n) != RW_EXEC || (cpu->dr[n] & mask) != lin)
                continue;
            hit |= 1u << n;
            enabled = enabled || bp_enable(dr7, n);
        }
        if (enabled) {
            /* 18.3.1.1: a fault, reported before the instruction runs; the
             * RF image stays 0 (6.12.1) so the handler must set it to
             * resume. (A trap held by MOV SS goes with it, as with any
             * #DB: cpu_deliver_event().) */
            deliver_db(cpu, hit);
            return true;
        }
    }
    /* 18.3.1.1: RF is cleared at the start of the instruction, after the
     * instruction-breakpoint check. */
    cpu->rflags &= ~(uint64_t)F_RF;
    return false;
}

void debug_after_insn(struct cpu *cpu, bool tf)
{
    uint32_t trap = cpu->dbg_trap;
    debug_set_trap(cpu, 0);
    if (trap & DBG_WATCH_HIT) {
        /* The instruction completed: its watched access is the debugger's
         * to report (even past a VM entry or exit it made). */
        cpu->watch_hit = cpu->watch_pending;
        cpu->watch_hit_access = cpu->watch_pending_access;
        trap &= ~DBG_WATCH_HIT;
    }
    if (trap & DBG_DISCARD)
        return;
    uint32_t bits = trap & ~DBG_HOLD;
    bool hold = (trap & DBG_HOLD) != 0;
    if (tf)
        bits |= DBG_BS; /* 18.3.1.4 single-step trap */
    if (hold) {
        /* Vol.3A 6.8.3: MOV SS/POP SS hold their own traps (and a
         * single-step trap) until after the next instruction. */
        if (bits & (DBG_BS | DBG_ENABLED_BP))
            debug_set_held(cpu, cpu->dbg_held | bits);
        return;
    }
    bits |= cpu->dbg_held;
    debug_set_held(cpu, 0);
    if (!(bits & (DBG_BS | DBG_ENABLED_BP)))
        return;
    if (cpu->vmx_nonroot && vmx_nonroot_debug_trap(cpu, bits))
        return; /* an MTF VM exit comes first and saves it */
    deliver_db(cpu, bits);
}

void debug_deliver_held(struct cpu *cpu)
{
    uint32_t bits = cpu->dbg_held;
    if (!bits)
        return;
    debug_set_held(cpu, 0);
    deliver_db(cpu, bits);
}

/* The debugger's watchpoints met by an access (cpu/debug.h): only the
 * first is remembered, which is all a stop reports. */
static void watch_access(struct cpu *cpu, uint64_t lin, uint64_t last, bool write)
{
    const struct debug_watchset *set = cpu->watches;
    uint64_t mask = lin_mask(cpu);
    unsigned access = write ? DEBUG_WATCH_WRITE : DEBUG_WATCH_READ;
    for (unsigned i = 0; i < set->n; i++) {
        const struct debug_watch *w = &set->w[i];
        if (!(w->kind & access) ||
            (w->kind & (cpu->vmx_nonroot ? DEBUG_WATCH_ROOT_ONLY : DEBUG_WATCH_NONROOT_ONLY)))
            continue;
        uint64_t a = w->addr & mask;
        if (!ranges_meet(lin, last, a, (a + w->len - 1) & mask))
            continue;
        if (!(cpu->dbg_trap & DBG_WATCH_HIT)) {
            cpu->watch_pending = (int)i + 1;
            cpu->watch_pending_access = access;
            debug_set_trap(cpu, cpu->dbg_trap | DBG_WATCH_HIT);
        } else if (cpu->watch_pending == (int)i + 1) {
            cpu->watch_pending_access |= access; /* read-modify-write */
        }
        cpu->stop_block = true; /* stop right after this instruction */
        return;
    }
}

void debug_data_access(struct cpu *cpu, uint64_t lin, unsigned size, bool write)
{
    uint64_t dr7 = cpu->dr[7], mask = lin_mask(cpu);
    uint64_t last = (lin + size - 1) & mask;
    uint32_t hit = 0;
    if (cpu->dbg_flags & DBG_ARM_WATCH)
        watch_access(cpu, lin, last, write);
    for (unsigned n = 0; n < 4; n++) {
        unsigned rw = bp_rw(dr7, n);
        if (!bp_enable(dr7, n) || (rw != RW_WRITE && rw != RW_READWRITE) ||
            (rw == RW_WRITE && !write))
            continue;
        /* 18.2.5: the address is aligned down to the length; any access
         * touching one of the bytes matches. */
        uint64_t len = bp_len(dr7, n);
        uint64_t a = cpu->dr[n] & ~(len - 1) & mask;
        if (last >= lin ? (a <= last && lin <= a + len - 1)
                        : (a >= lin || a + len - 1 <= last)) /* wraps at the top */
            hit |= 1u << n;
    }
    if (hit) {
        debug_set_trap(cpu, cpu->dbg_trap | hit | DBG_ENABLED_BP);
        cpu->stop_block = true; /* the trap comes right after this instruction */
    }
}

bool debug_page_watched(const struct cpu *cpu, uint64_t page)
{
    uint64_t dr7 = cpu->dr[7], mask = lin_mask(cpu);
    if (cpu->dbg_flags & DBG_ARM_WATCH) {
        page &= mask;
        for (unsigned i = 0; i < cpu->watches->n; i++) {
            const struct debug_watch *w = &cpu->watches->w[i];
            uint64_t a = w->addr & mask;
            if (ranges_meet(page, page + 0xfff, a, (a + w->len - 1) & mask))
                return true;
        }
    }
    for (unsigned n = 0; n < 4; n++) {
        unsigned rw = bp_rw(dr7, n);
        if (!bp_enable(dr7, n) || (rw != RW_WRITE && rw != RW_READWRITE))
            continue;
        uint64_t len = bp_len(dr7, n);
        uint64_t a = cpu->dr[n] & ~(len - 1) & mask; /* aligned: within one page */
        if ((a & ~0xfffull) == (page & mask))
            return true;
    }
    return false;
}

void debug_io_access(struct cpu *cpu, uint16_t port, unsigned size)
{
    if (!(cpu->cr4 & CR4_DE))
        return;
    uint64_t dr7 = cpu->dr[7];
    uint32_t hit = 0;
    for (unsigned n = 0; n < 4; n++) {
        if (!bp_enable(dr7, n) || bp_rw(dr7, n) != RW_IO)
            continue;
        uint64_t len = bp_len(dr7, n);
        uint64_t a = cpu->dr[n] & 0xffff & ~(len - 1);
        if (a <= (uint64_t)port + size - 1 && port <= a + len - 1)
            hit |= 1u << n;
    }
    if (hit) {
        debug_set_trap(cpu, cpu->dbg_trap | hit | DBG_ENABLED_BP);
        cpu->stop_block = true;
    }
}

void debug_general_detect(struct cpu *cpu)
{
    if (!(cpu->dr[7] & DR7_GD))
        return;
    /* A fault: RIP stays on the MOV, which has not run. */
    cpu->dbg_event = DBG_EVENT_VALID | DR6_BD;
    cpu_raise_noerr(cpu, EXC_DB);
}

void debug_event_commit(struct cpu *cpu)
{
    uint32_t p = cpu->dbg_event;
    cpu->dbg_event = 0;
    /* 18.2.3: B3-B0 describe this #DB; BD/BS are sticky until software
     * clears them. 18.2.4: GD is cleared on entry to the handler, so it can
     * use the debug registers. */
    cpu->dr[6] = (cpu->dr[6] & ~(uint64_t)DR6_B0_3) | (p & (DR6_B0_3 | DR6_BD | DR6_BS)) |
                 DR6_FIXED;
    cpu->dr[7] &= ~(uint64_t)DR7_GD;
}

void debug_task_switch(struct cpu *cpu)
{
    cpu->dr[7] &= ~(uint64_t)(DR7_LOCAL_ENABLES | DR7_LE);
    debug_update(cpu);
}

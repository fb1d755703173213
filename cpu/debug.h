/* The debug architecture: DR0-DR7 breakpoints (instruction, data, I/O),
 * general detect, the RF flag, single-step and data traps held by MOV SS
 * blocking (SDM Vol.3B 18.2, 18.3; Vol.3A 6.8.3).
 *
 * Cost model: cpu->dbg_flags says which kinds of breakpoint DR7 enables
 * and whether a #DB trap is pending or held. With it 0 and TF/RF clear the
 * dispatch loop and the TLB fast path run as if this file did not exist.
 * Instruction breakpoints (and RF, TF, a held trap) make the loop run
 * single-instruction blocks with a check before each; data breakpoints
 * keep their pages out of the TLB's read and write fast path, so the slow
 * path sees every access to them. */
#ifndef TURTLES_CPU_DEBUG_H
#define TURTLES_CPU_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* DR6 (SDM Vol.3B 18.2.3). */
#define DR6_B0_3 0xfu
#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR6_BT (1u << 15)
#define DR6_FIXED 0xffff0ff0ull /* bits that read as 1 */
/* DR7 (SDM Vol.3B 18.2.4). */
#define DR7_LOCAL_ENABLES 0x55u
#define DR7_LE (1u << 8)
#define DR7_GD (1u << 13)

/* The matched-condition word (cpu->dbg_trap, dbg_held), laid out like the
 * VMX pending-debug-exceptions field (SDM Vol.3C 24.4.2 table 24-4). */
#define DBG_B0_3 DR6_B0_3
#define DBG_ENABLED_BP (1u << 12)
#define DBG_BS DR6_BS
/* Set in dbg_trap by MOV SS/POP SS: hold this instruction's traps. */
#define DBG_HOLD (1u << 31)
/* Set in dbg_trap when the rest of the current instruction's #DB traps are
 * void: a VM entry or exit (they belong to the level it left), or a #DB
 * delivered by the instruction (ICEBP, general detect), which takes the
 * pending debug traps with it. */
#define DBG_DISCARD (1u << 30)
/* cpu->dbg_event holds a payload. */
#define DBG_EVENT_VALID (1u << 31)

/* cpu->dbg_flags. */
#define DBG_ARM_EXEC 1u
#define DBG_ARM_DATA 2u
#define DBG_ARM_IO 4u
#define DBG_ARMED (DBG_ARM_EXEC | DBG_ARM_DATA | DBG_ARM_IO)
#define DBG_F_TRAP 8u  /* cpu->dbg_trap != 0 */
#define DBG_F_HELD 16u /* cpu->dbg_held != 0 */
#define DBG_ARM_WATCH 32u /* the debugger has watchpoints (cpu->watches) */
/* Either kind keeps watched pages off the TLB's data fast path and sends
 * every access to them through debug_data_access(). */
#define DBG_DATA_SLOW (DBG_ARM_DATA | DBG_ARM_WATCH)
/* Set in dbg_trap when an access met a debugger watchpoint: the machine
 * stops after the instruction (never a #DB: the guest does not see it). */
#define DBG_WATCH_HIT (1u << 29)

/* Debugger watchpoints: gdb's Z2-Z4 and the monitor's `watch`. They are
 * the debugger's, not the guest's (DR0-DR7 stay the guest's), so they
 * never raise #DB: an instruction whose access meets one completes, then
 * cpu->watch_hit names the watchpoint and the frontend's debug_hook stops
 * the machine before the next block. They share the data-breakpoint path:
 * the same slow-path check and the same pages kept off the TLB fast path,
 * so with none set nothing costs anything. Addresses are linear, as with
 * DR0-DR3 (32 bits wide outside 64-bit mode). */
#define DEBUG_WATCH_MAX 32
#define DEBUG_WATCH_READ 1u
#define DEBUG_WATCH_WRITE 2u
#define DEBUG_WATCH_RW (DEBUG_WATCH_READ | DEBUG_WATCH_WRITE)
/* Only accesses made in VMX root (L1, or firmware before VMXON) or only in
 * non-root: the monitor's root:/nonroot: address prefixes. */
#define DEBUG_WATCH_ROOT_ONLY 4u
#define DEBUG_WATCH_NONROOT_ONLY 8u
#define DEBUG_WATCH_MAX_LEN 4096u

struct debug_watch {
    uint64_t addr, len;
    unsigned kind;   /* DEBUG_WATCH_READ and/or _WRITE, maybe one _ONLY */
    int owner;       /* the frontend's tag (gdb or the monitor) */
};

struct debug_watchset {
    unsigned n;
    struct debug_watch w[DEBUG_WATCH_MAX];
};

/* Add a watchpoint (an identical one is not added twice). Returns its
 * index, or -1 when the set is full, len is 0 or over DEBUG_WATCH_MAX_LEN,
 * or kind has neither READ nor WRITE or both _ONLY bits. */
int debug_watch_add(struct debug_watchset *set, uint64_t addr, uint64_t len, unsigned kind,
                    int owner);
/* Remove the watchpoint with exactly these fields; false if none. */
bool debug_watch_remove(struct debug_watchset *set, uint64_t addr, uint64_t len,
                        unsigned kind, int owner);
/* Remove every watchpoint of owner (a debugger that detaches). */
void debug_watch_remove_owner(struct debug_watchset *set, int owner);
/* Point the vCPU at the set (NULL: none) after it changed: re-arms
 * DBG_ARM_WATCH and flushes the TLB so that newly watched pages leave the
 * fast path and unwatched ones may come back. */
void debug_watch_attach(struct cpu *cpu, const struct debug_watchset *set);

/* Writers of dbg_trap and dbg_held go through these, which keep the
 * summary bits of dbg_flags right. */
static inline void debug_set_trap(struct cpu *cpu, uint32_t bits)
{
    cpu->dbg_trap = bits;
    cpu->dbg_flags = (uint8_t)((cpu->dbg_flags & ~DBG_F_TRAP) | (bits ? DBG_F_TRAP : 0));
}

static inline void debug_set_held(struct cpu *cpu, uint32_t bits)
{
    cpu->dbg_held = bits;
    cpu->dbg_flags = (uint8_t)((cpu->dbg_flags & ~DBG_F_HELD) | (bits ? DBG_F_HELD : 0));
}

/* Recompute the DBG_ARM_* bits of cpu->dbg_flags after DR0-DR3, DR7 or
 * CR4.DE change (MOV DR, task switch, VM entry/exit, reset, CR4 writes),
 * and DBG_ARM_WATCH from cpu->watches. Flushes the TLB when data
 * breakpoints or watchpoints are armed, so that no page they watch stays
 * on the fast path. */
void debug_update(struct cpu *cpu);

/* The loop must run one instruction per block with the debug checks
 * around it: monitor single-step, TF, RF, instruction breakpoints armed, or
 * a trap held by MOV SS. */
static inline bool debug_step_mode(const struct cpu *cpu)
{
    return cpu->single_step || (cpu->rflags & (F_TF | F_RF)) ||
           (cpu->dbg_flags & (DBG_ARM_EXEC | DBG_F_HELD));
}

/* Before an instruction in step mode: an instruction breakpoint at CS:RIP
 * with RF clear delivers its fault-class #DB and returns true; otherwise RF
 * is cleared (SDM Vol.3B 18.3.1.1: after the instruction-breakpoint check)
 * and false is returned. */
bool debug_before_insn(struct cpu *cpu);

/* After a step-mode block (tf: TF was set when it began) or a block that
 * met a breakpoint (DBG_F_TRAP; it also set stop_block): deliver the
 * trap-class #DB, or hold it past the next instruction after MOV SS/POP SS. */
void debug_after_insn(struct cpu *cpu, bool tf);

/* An exception unwound the current instruction: its data-breakpoint
 * matches are dropped (the instruction did not complete). dbg_event stays:
 * it may be the payload of the exception (general detect). */
static inline void debug_insn_unwound(struct cpu *cpu)
{
    debug_set_trap(cpu, 0);
}

/* After an exception or software interrupt was delivered while a trap was
 * held by MOV SS blocking: the held #DB comes now, before the handler's
 * first instruction (SDM Vol.3A 6.8.3). */
void debug_deliver_held(struct cpu *cpu);

/* A linear data access of size bytes at lin, on the slow path: DR0-DR3
 * data breakpoints and the debugger's watchpoints. */
void debug_data_access(struct cpu *cpu, uint64_t lin, unsigned size, bool write);

/* Whether the 4 KiB linear page holds bytes an armed data breakpoint or a
 * debugger watchpoint watches (the TLB must not give it a read/write fast
 * path). */
bool debug_page_watched(const struct cpu *cpu, uint64_t page);

/* An IN/OUT/INS/OUTS access to port..port+size-1 (I/O breakpoints need
 * CR4.DE, SDM Vol.3B 18.2.4). */
void debug_io_access(struct cpu *cpu, uint16_t port, unsigned size);

/* MOV to/from DRn with DR7.GD set faults with #DB, DR6.BD (SDM Vol.3B
 * 18.2.4); called after the VM-exit and privilege checks. */
void debug_general_detect(struct cpu *cpu);

/* MOV SS / POP SS completed: its #DB traps and those of the next
 * instruction are delivered together after the next one. */
static inline void debug_mov_ss(struct cpu *cpu)
{
    debug_set_trap(cpu, cpu->dbg_trap | DBG_HOLD);
}

/* cpu_deliver_event() is delivering a #DB through the IDT (it did not
 * become a VM exit): DR6 receives the payload and DR7.GD is cleared. */
void debug_event_commit(struct cpu *cpu);

/* SDM Vol.3A 7.3 / Vol.3B 18.2.4: a task switch clears L0-L3 and LE. */
void debug_task_switch(struct cpu *cpu);

/* The VM-exit qualification for a #DB (SDM Vol.3C 27.2.1 table 27-1): B3-B0,
 * BD, BS of the #DB being delivered. */
static inline uint64_t debug_exit_qualification(const struct cpu *cpu)
{
    if (!(cpu->dbg_event & DBG_EVENT_VALID))
        return 0;
    return cpu->dbg_event & (DR6_B0_3 | DR6_BD | DR6_BS);
}

#endif

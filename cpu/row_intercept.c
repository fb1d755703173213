/* The generic VM-exit intercept step of the opcode table's exit column
 * (cpu/opcodes.h enum row_exit). The decoder points every row with an exit
 * column at op_row_intercept, which runs, in the priority order of SDM
 * Vol.3C 25.1.1 (exceptions before VM exits):
 *   1. the row's faults that have priority over the VM exit (#UD, then the
 *      CPL and mode checks of SDM Vol.2 for that instruction),
 *   2. in VMX non-root, the exit if L1 wants it (SDM 25.1.2, 25.1.3),
 *   3. the row's handler, which keeps only the instruction's effect.
 * Step 1 runs in root operation too: it is the instruction's own check, kept
 * here once so the handler and the intercept cannot disagree on the order. */
#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/opcodes.h"
#include "vmx_emul/vmx_hooks.h"

const uint16_t row_exit_reason[RX_COUNT] = {
    [RX_NONE] = 0,
    [RX_CPUID] = EXIT_REASON_CPUID,
    [RX_INVD] = EXIT_REASON_INVD,
    [RX_XSETBV] = EXIT_REASON_XSETBV,
    [RX_HLT] = EXIT_REASON_HLT,
    [RX_RDTSC] = EXIT_REASON_RDTSC,
    [RX_RDTSCP] = EXIT_REASON_RDTSCP,
    [RX_RDPMC] = EXIT_REASON_RDPMC,
    [RX_WBINVD] = EXIT_REASON_WBINVD,
    [RX_PAUSE] = EXIT_REASON_PAUSE,
};

/* Step 1: the faults of SDM Vol.2 that the instruction raises before it can
 * cause a VM exit. */
static void check_before_exit(struct cpu *cpu, enum row_exit rx)
{
    switch (rx) {
    case RX_HLT:
    case RX_INVD:
    case RX_WBINVD:
        /* Privileged (V86 runs at CPL 3). */
        if (cpu->cpl != 0)
            raise_gp(cpu, 0);
        break;
    case RX_RDTSC:
    case RX_RDTSCP:
        /* Time-stamp disable; RDTSCP's "enable RDTSCP" #UD is the
         * intercept's (vmx_nonroot_insn, SDM 25.3). */
        if ((cpu->cr4 & CR4_TSD) && cpu->cpl != 0)
            raise_gp(cpu, 0);
        break;
    case RX_RDPMC:
        /* The counter number is checked by the handler, after the exit. */
        if (!(cpu->cr4 & CR4_PCE) && cpu->cpl != 0)
            raise_gp(cpu, 0);
        break;
    case RX_XSETBV:
        if (!(cpu->cr4 & CR4_OSXSAVE))
            raise_ud(cpu);
        if (cpu->mode == MODE_V86 || cpu->cpl != 0)
            raise_gp(cpu, 0);
        break;
    case RX_CPUID:
    case RX_PAUSE:
    case RX_NONE:
    case RX_COUNT:
        break;
    }
}

void op_row_intercept(struct cpu *cpu, const struct insn *in)
{
    const struct opcode_row *row = &opcode_rows[in->row];
    enum row_exit rx = (enum row_exit)row->exit;
    check_before_exit(cpu, rx);
    if (cpu->vmx_nonroot) {
        /* PAUSE-loop exiting keeps a window of PAUSE times: its hook holds
         * that state, and covers PAUSE exiting too. */
        bool exited = rx == RX_PAUSE ? vmx_nonroot_pause(cpu, in)
                                     : vmx_nonroot_insn(cpu, in, row_exit_reason[rx]);
        if (exited)
            return;
    }
    row->fn(cpu, in);
}

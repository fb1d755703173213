/* -d logging: the item bits (QEMU's names where QEMU has the item) and the
 * one function that writes a log line. */
#ifndef TURTLES_CPU_LOG_H
#define TURTLES_CPU_LOG_H

#include <stdint.h>

#include "cpu/cpu.h"

#define LOG_VMEXIT (1u << 0) /* -d vmexit: VM exits and entries (vmx_emul/) */
#define LOG_INT (1u << 1)        /* -d int: exceptions and interrupts */
#define LOG_CPU_RESET (1u << 2)  /* -d cpu_reset */
#define LOG_GUEST_ERRORS (1u << 3)
#define LOG_EXEC (1u << 4)       /* -d exec: every block start */
#define LOG_UNIMP (1u << 5)      /* -d unimp: #UD from undecodable opcodes */
#define LOG_IO (1u << 6)         /* -d io: every port access (frontend's port bus) */
#define LOG_IRQ (1u << 7)        /* -d irq: NMIs and external interrupts the CPU takes */

void cpu_log(const struct cpu *cpu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The register state in a few lines (-d cpu_reset logs it at each RESET
 * and INIT, as QEMU's does). */
void cpu_log_state(const struct cpu *cpu);

#endif

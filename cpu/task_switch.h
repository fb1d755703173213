/* Hardware task switching (SDM Vol.3A 7.3). */
#ifndef TURTLES_CPU_TASK_SWITCH_H
#define TURTLES_CPU_TASK_SWITCH_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

enum task_switch_reason { TS_JMP, TS_CALL, TS_IRET, TS_INT };

/* Switch to the task whose TSS descriptor selector is `sel` (already
 * resolved through a task gate when there was one). return_rip is the EIP
 * saved in the old TSS. For TS_INT with has_error, the error code is pushed
 * on the new task's stack. `ext` is the EXT bit for error codes of faults
 * raised by the switch. Raises #TS/#NP/#GP/#SS on failure. */
void task_switch(struct cpu *cpu, uint16_t sel, enum task_switch_reason reason,
                 bool has_error, uint32_t error_code, uint64_t return_rip, uint32_t ext);

#endif

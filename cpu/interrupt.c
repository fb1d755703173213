/* TEMPORARY bring-up version: real-mode delivery only. To be replaced by the
 * full implementation (protected/long mode gates, #DF/triple fault). */
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/operands.h"

void cpu_deliver_event(struct cpu *cpu, unsigned vector, enum event_type type, bool has_error,
                       uint32_t error_code, uint64_t return_rip)
{
    (void)type;
    (void)has_error;
    (void)error_code;
    if (cpu->mode != MODE_REAL || cpu->delivering_vector >= 0) {
        cpu->shutdown = true;
        return;
    }
    cpu->delivering_vector = (int)vector;
    uint32_t ivt = (uint32_t)sys_read(cpu, cpu->idtr.base + vector * 4, 4);
    uint64_t fl = cpu->rflags;
    push(cpu, fl, 2);
    push(cpu, cpu->seg[S_CS].sel, 2);
    push(cpu, return_rip, 2);
    cpu->rflags &= ~(uint64_t)(F_IF | F_TF | F_AC | F_RF);
    cpu->seg[S_CS].sel = (uint16_t)(ivt >> 16);
    cpu->seg[S_CS].base = (uint64_t)(ivt >> 16) << 4;
    cpu->rip = ivt & 0xffff;
    cpu->delivering_vector = -1;
}

void cpu_check_interrupts(struct cpu *cpu)
{
    (void)cpu;
}

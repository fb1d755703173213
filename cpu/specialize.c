/* Decode-time handler specialization (cpu/specialize.h). */
#include "cpu/specialize.h"

insn_handler insn_specialize(const struct insn *in)
{
    insn_handler fast = alu_specialize(in);
    if (!fast)
        fast = shift_specialize(in);
    if (!fast)
        fast = stack_specialize(in);
    if (!fast)
        fast = muldiv_specialize(in);
    return fast ? fast : in->fn;
}

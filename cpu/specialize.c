/* Decode-time handler specialization (cpu/specialize.h). */
#include "cpu/specialize.h"

#include "cpu/opcodes.h"

static const struct fast_family *const families[] = {
    &alu_fast_family, &shift_fast_family, &stack_fast_family, &muldiv_fast_family,
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

insn_handler insn_specialize(const struct insn *in)
{
    for (unsigned f = 0; f < NFAMILIES; f++)
        for (unsigned i = 0; i < families[f]->nforms; i++)
            if (families[f]->forms[i].generic == in->fn) {
                insn_handler fast = families[f]->forms[i].pick(in);
                return fast ? fast : in->fn;
            }
    return in->fn;
}

const char *handler_name(insn_handler fn)
{
    for (unsigned f = 0; f < NFAMILIES; f++)
        for (unsigned i = 0; i < families[f]->nnames; i++)
            if (families[f]->names[i].fn == fn)
                return families[f]->names[i].name;
    /* Rows with an exit column run through the intercept step first. */
    if (fn == op_row_intercept)
        return "op_row_intercept";
    for (unsigned r = 0; r < opcode_row_count; r++)
        if (opcode_rows[r].fn == fn)
            return opcode_rows[r].fn_name;
    return "?";
}

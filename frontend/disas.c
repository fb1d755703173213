/* Capstone wrapper (see disas.h). */
#include "frontend/disas.h"

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct disas {
    csh handle[3]; /* 16, 32, 64 */
    bool open[3];
    bool failed[3];
};

struct disas *disas_new(void)
{
    return calloc(1, sizeof(struct disas));
}

void disas_free(struct disas *d)
{
    if (!d)
        return;
    for (int i = 0; i < 3; i++)
        if (d->open[i])
            cs_close(&d->handle[i]);
    free(d);
}

static csh *handle_for(struct disas *d, unsigned bits)
{
    int i = bits == 16 ? 0 : bits == 32 ? 1 : 2;
    static const cs_mode modes[3] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};
    if (!d->open[i] && !d->failed[i]) {
        if (cs_open(CS_ARCH_X86, modes[i], &d->handle[i]) == CS_ERR_OK)
            d->open[i] = true;
        else
            d->failed[i] = true;
    }
    return d->open[i] ? &d->handle[i] : NULL;
}

unsigned disas_insn(struct disas *d, unsigned bits, uint64_t addr, const uint8_t *bytes,
                    size_t len, char *text, size_t size)
{
    csh *h = d ? handle_for(d, bits) : NULL;
    cs_insn *insn = NULL;
    size_t n = h ? cs_disasm(*h, bytes, len, addr, 1, &insn) : 0;
    if (n == 0) {
        snprintf(text, size, "(bad)");
        return 0;
    }
    if (insn->op_str[0])
        snprintf(text, size, "%s %s", insn->mnemonic, insn->op_str);
    else
        snprintf(text, size, "%s", insn->mnemonic);
    unsigned length = insn->size;
    cs_free(insn, n);
    return length;
}

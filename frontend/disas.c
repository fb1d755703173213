/* Capstone wrapper for the monitor (see disas.h). */
#include "frontend/disas.h"

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "frontend/debugger.h"

/* An x86 instruction is at most 15 bytes long (SDM Vol.2 2.3.11). */
#define INSN_MAX 15

unsigned disas_bytes(const uint8_t *bytes, size_t n, unsigned code_size, uint64_t addr,
                     char *out, size_t size)
{
    cs_mode mode = code_size == 8 ? CS_MODE_64 : code_size == 4 ? CS_MODE_32 : CS_MODE_16;
    csh h;
    if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK) {
        snprintf(out, size, "(no disassembler)");
        return 0;
    }
    cs_insn *insn = NULL;
    unsigned len = 0;
    if (cs_disasm(h, bytes, n, addr, 1, &insn) == 1) {
        if (insn->op_str[0])
            snprintf(out, size, "%s %s", insn->mnemonic, insn->op_str);
        else
            snprintf(out, size, "%s", insn->mnemonic);
        len = insn->size;
        cs_free(insn, 1);
    } else {
        snprintf(out, size, "(bad opcode)");
    }
    cs_close(&h);
    return len;
}

unsigned disas_one(struct cpu *c, uint64_t linear, char *out, size_t size)
{
    uint8_t bytes[INSN_MAX];
    size_t n = 0;
    /* Byte by byte: an instruction at the end of a mapped page before an
     * unmapped one still decodes when it fits. */
    while (n < INSN_MAX && debugger_mem_xfer(c, linear + n, bytes + n, 1, false))
        n++;
    if (n == 0) {
        snprintf(out, size, "(not mapped)");
        return 0;
    }
    return disas_bytes(bytes, n, c->code_size, linear, out, size);
}

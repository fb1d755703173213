/* The CPU state a direct kernel loader (Linux boot protocol, multiboot)
 * wants vCPU 0 to start in. bios/ does not know the CPU's structures
 * (DESIGN.md: bios -> cpu is not an arrow), so loaders fill this plain
 * description and the machine (frontend/) applies it to vCPU 0 in place of
 * the reset state. Registers not named here keep their reset values (zero). */
#ifndef TURTLES_BIOS_BOOT_CPU_STATE_H
#define TURTLES_BIOS_BOOT_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

/* Segment access rights in the VMCS guest-state layout (SDM Vol.3C 24.4.1,
 * Table 24-2): type[3:0], S[4], DPL[6:5], P[7], AVL[12], L[13], D/B[14],
 * G[15]. The same 16 bits as descriptor bytes 5-6 with the limit nibble
 * cleared, so the machine can load its descriptor caches without reading
 * the GDT. */
#define BOOT_SEG_AR_CODE64 0xA09Bu /* execute/read, accessed, P, L=1, G=1 */
#define BOOT_SEG_AR_CODE32 0xC09Bu /* execute/read, accessed, P, D=1, G=1 */
#define BOOT_SEG_AR_DATA32 0xC093u /* read/write, accessed, P, B=1, G=1 */

struct boot_segment {
    uint16_t selector;
    uint64_t base;   /* always 0 here: flat segments */
    uint32_t limit;  /* byte-granular limit as the cache holds it: 0xFFFFFFFF */
    uint16_t ar;     /* BOOT_SEG_AR_* */
};

struct boot_cpu_state {
    /* true: IA-32e 64-bit mode (EFER.LME=LMA=1, CR0.PG=1, CR4.PAE=1, CS.L=1).
     * false: 32-bit protected mode, paging off. */
    bool long_mode;

    /* General registers the protocols define; all others are zero. */
    uint64_t rip;    /* entry point, a physical address (identity mapped) */
    uint64_t rsp;    /* a small stack in RAM the loader set aside */
    uint64_t rax;    /* multiboot: magic 0x2BADB002 */
    uint64_t rbx;    /* multiboot: physical address of the info struct */
    uint64_t rsi;    /* Linux: physical address of struct boot_params */
    uint64_t rflags; /* 0x2: IF=0, only the always-one bit set */

    /* Control registers and EFER (MSR 0xC0000080). */
    uint64_t cr0, cr3, cr4, efer;

    /* GDTR as LGDT would load it; the GDT itself is already in guest RAM. */
    uint64_t gdt_base;
    uint16_t gdt_limit;
    /* IDTR: base 0, limit 0 (interrupts stay disabled until the kernel
     * loads its own IDT). */

    /* Selector numbers (also in cs_seg/data_seg.selector). */
    uint16_t cs, ds;
    /* Descriptor caches: CS, and the one value for DS, ES, FS, GS and SS.
     * They match the GDT entries the selectors name. TR and LDTR keep their
     * reset state. */
    struct boot_segment cs_seg, data_seg;
};

#endif

/* Macros shared by the system-behaviour guests (sysmodes, sysexc, syslong,
 * sysv86, paging). Separate from guest.h because other guests that include
 * guest.h define their own CHECK and SAY.
 *
 * Unless a macro says otherwise it encodes the same in 16-, 32- and 64-bit
 * code (B0 ib, E6 ib, EE, F4, EB and Jcc rel8 have no operand-size or
 * address-size forms), so it may be used in any mode. */
#include "guest.h"

/* Exit with value code on the debug-exit port and stop; the label is unique
 * per expansion so that numeric local labels around it keep their meaning. */
.macro EXIT code
    mov $\code, %al
    out %al, $DEBUG_EXIT
exit_halt\@:
    hlt
    jmp exit_halt\@
.endm

/* Fall through when the flags satisfy cond, else exit with failure n. */
.macro CHECK cond, n
    j\cond check_ok\@
    EXIT \n
check_ok\@:
.endm

/* Print a word and a newline on COM1: mov $imm8, %al and out %al, %dx. */
.macro SAY str
    mov $COM1, %dx
    .irpc ch, \str
    .byte 0xb0
    .ascii "\ch"
    .byte 0xee
    .endr
    .byte 0xb0, 0x0a, 0xee
.endm

/* From the reset state (real mode, CS base 0xf0000) to protected mode:
 * load the GDT described at desc (in ROM, read through CS), set CR0.PE and
 * far-jump to target through the 32-bit code selector sel. */
.macro ENTER_PROTECTED desc, sel, target
    cli
    lgdtl %cs:(\desc - 0xf0000)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $\sel, $\target
.endm

/* Load DS, ES, SS, FS and GS with the data selector sel (16/32-bit code). */
.macro LOAD_DATA_SEGS sel
    mov $\sel, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
.endm

/* 32-bit code: zero bytes (a multiple of 4) at base; clobbers EAX, ECX, EDI. */
.macro ZERO32 base, bytes
    xor %eax, %eax
    mov $\base, %edi
    mov $(\bytes / 4), %ecx
    rep stosl
.endm

/* 32-bit code: copy the bytes from start to end to dst; clobbers ECX, ESI, EDI. */
.macro COPY32 start, end, dst
    mov $\start, %esi
    mov $\dst, %edi
    mov $(\end - \start), %ecx
    rep movsb
.endm

/* 16/32-bit code: set bits in a control register (cr0, cr4); clobbers EAX. */
.macro CR_OR cr, bits
    mov %\cr, %eax
    or $\bits, %eax
    mov %eax, %\cr
.endm

/* 16/32-bit code: keep only the bits of mask in a control register. */
.macro CR_AND cr, mask
    mov %\cr, %eax
    and $\mask, %eax
    mov %eax, %\cr
.endm

/* 32-bit code: set bits in IA32_EFER (MSR C000_0080H); clobbers EAX, ECX, EDX. */
.macro EFER_OR bits
    mov $0xc0000080, %ecx
    rdmsr
    or $\bits, %eax
    wrmsr
.endm

/* An available 32-bit TSS descriptor (limit 0x67, base below 16 MiB) at
 * gdt + sel. SDM Vol.3A 7.2.2 */
.macro TSSDESC32 gdt, sel, base
    movl $(((\base & 0xffff) << 16) | 0x67), \gdt + \sel
    movl $(((\base >> 16) & 0xff) | 0x8900), \gdt + \sel + 4
.endm

/* An 8-byte protected-mode IDT gate for vector vec: code selector sel,
 * handler offset, type/attribute byte attr. Clobbers EAX. SDM Vol.3A 6.11 */
.macro IDT_GATE32 idt, sel, vec, handler, attr
    mov $\handler, %eax
    mov %ax, \idt + \vec * 8
    movw $\sel, \idt + \vec * 8 + 2
    movw $(\attr << 8), \idt + \vec * 8 + 4
    shr $16, %eax
    mov %ax, \idt + \vec * 8 + 6
.endm

/* A 16-byte IA-32e IDT gate (handler below 4 GiB); ist is 0-7. Usable in
 * 32-bit code too, to prepare the IDT before entering IA-32e mode. Clobbers
 * EAX. SDM Vol.3A 6.14.1 */
.macro IDT_GATE64 idt, sel, vec, handler, attr, ist
    mov $\handler, %eax
    mov %ax, \idt + \vec * 16
    movw $\sel, \idt + \vec * 16 + 2
    movw $((\attr << 8) | \ist), \idt + \vec * 16 + 4
    shr $16, %eax
    mov %ax, \idt + \vec * 16 + 6
    movl $0, \idt + \vec * 16 + 8
    movl $0, \idt + \vec * 16 + 12
.endm

/* Run one instruction that must fault, with suffix w (l or q) for the
 * variables: the guest's handler counts faults at count and returns to the
 * address it finds at resume, just after the instruction. */
.macro TRY_FAULT w, resume, count, insn:vararg
    mov\w $resume\@, \resume
    mov\w $0, \count
    \insn
resume\@:
.endm

/* After TRY_FAULT: exactly one fault, and the handler's two recorded values
 * at a and b equal va and vb; failures n, n+1 and n+2. */
.macro EXPECT_FAULT w, count, a, va, b, vb, n
    cmp\w $1, \count
    CHECK e, \n
    cmp\w $\va, \a
    CHECK e, (\n + 1)
    cmp\w $\vb, \b
    CHECK e, (\n + 2)
.endm

/* After a guest's rom_gdt entries: the end label, the descriptors that load
 * the boot GDT (its first boot_limit+1 bytes, read from ROM), the working
 * GDT copied to gdt and the IDT at idt, and the reset vector that jumps to
 * _start. */
.macro ROM_TABLE_DESCRIPTORS boot_limit, gdt, idt
rom_gdt_end:
rom_gdt_desc:
    .word \boot_limit
    .long rom_gdt
gdt_desc:
    .word rom_gdt_end - rom_gdt - 1
    .long \gdt
idt_desc:
    .word 0x7ff
    .long \idt

    .section .reset, "ax"
    .code16
reset:
    jmp _start
.endm

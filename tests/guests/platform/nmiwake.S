/* cli; hlt with the PIT's interrupt routed by the I/O APIC as an NMI: the
 * NMI ends the HLT whatever IF says (SDM Vol.2 HLT), so turtles must not
 * stop with status 6 (tests/boot/halt-wake.sh); the NMI handler passes
 * through isa-debug-exit. */
#include "guest_sys.h"

#define IDT 0x1000
#define STACK 0x8000
#define IOAPIC_SEL 0xfec00000
#define IOAPIC_WIN 0xfec00010

    .code16
    .text
    .globl _start
_start:
    ENTER_PROTECTED gdt_desc, 0x08, pm32
    .code32
pm32:
    LOAD_DATA_SEGS 0x10
    mov $STACK, %esp
    IDT_GATE32 IDT, 0x08, 2, nmi_handler, 0x8e
    lidt idt_desc
    /* I/O APIC pin 2 (the PIT: IRQ0 after the ISA override): delivery
     * mode NMI (100b), edge, unmasked, physical destination APIC ID 0. */
    movl $0x15, IOAPIC_SEL
    movl $0, IOAPIC_WIN
    movl $0x14, IOAPIC_SEL
    movl $0x400, IOAPIC_WIN
    /* PIT channel 0, mode 2 (rate generator), about 1 kHz. */
    mov $0x34, %al
    out %al, $0x43
    mov $0xa9, %al
    out %al, $0x40
    mov $0x04, %al
    out %al, $0x40
    SAY nmiwake-halting
    hlt
    EXIT 2                   /* woken, but not through the NMI handler */
nmi_handler:
    SAY nmiwake-nmi
    EXIT 0

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x08 32-bit code */
    .quad 0x00cf93000000ffff /* 0x10 data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
idt_desc:
    .word 0x7ff
    .long IDT

    .section .reset, "ax"
    .code16
reset:
    jmp _start

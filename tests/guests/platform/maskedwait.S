/* The PIT interrupts periodically into a PIC whose lines are all masked
 * (the I/O APIC's entries are masked from reset, the local APIC is
 * software-disabled), then sti; hlt: no interrupt can ever reach the CPU,
 * so turtles stops with status 6 instead of skipping from one timer
 * deadline to the next forever (tests/boot/halt-wake.sh). */
#include "guest_sys.h"
    .code16
    .text
    .globl _start
_start:
    cli
    mov $0xff, %al
    out %al, $0x21
    out %al, $0xa1
    /* PIT channel 0, mode 2 (rate generator), about 1 kHz. */
    mov $0x34, %al
    out %al, $0x43
    mov $0xa9, %al
    out %al, $0x40
    mov $0x04, %al
    out %al, $0x40
    SAY maskedwait-halting
    sti
1:  hlt
    jmp 1b

    .section .reset, "ax"
reset:
    jmp _start

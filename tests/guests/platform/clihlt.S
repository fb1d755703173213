/* The PIT interrupts periodically, then cli; hlt: with IF=0 and no NMI or
 * INIT source, nothing can ever wake the CPU, however often the timer
 * fires. turtles must stop with status 6 (tests/boot/halt-wake.sh), not
 * skip from one timer deadline to the next forever. */
#include "guest_sys.h"
    .code16
    .text
    .globl _start
_start:
    cli
    /* PIT channel 0, mode 2 (rate generator), about 1 kHz. */
    mov $0x34, %al
    out %al, $0x43
    mov $0xa9, %al
    out %al, $0x40
    mov $0x04, %al
    out %al, $0x40
    SAY clihlt-halting
1:  hlt
    jmp 1b

    .section .reset, "ax"
reset:
    jmp _start

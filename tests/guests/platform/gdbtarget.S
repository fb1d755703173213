/* Target for tests/boot/gdbstub.sh: loads known values into registers,
 * passes a labelled instruction where the test sets a breakpoint, then
 * exits through isa-debug-exit. The far jump at the reset vector makes
 * CS base 0xF0000, so a linear breakpoint address is 0xF0000 + IP. */
#include "platform.h"
    .code16
    .text
    .globl _start
_start:
    mov $0x1234, %ax
    mov $0x5678, %bx
    mov $0x9abc, %cx
    mov $0xdef0, %dx
    mov $0x2000, %si
    inc %ax
    .globl bp_here
bp_here:
    mov $0x4242, %di
    add $1, %bx
    PRINT msg
    EXIT16 0

    PRINT_ROUTINE
msg:
    .asciz "gdbtarget: done\n"

    .section .reset, "ax"
reset:
    ljmp $0xf000, $(_start - 0xf0000)

/* Touches I/O ports no device decodes and gives the keyboard controller a
 * command it does not know, then exits through isa-debug-exit: with
 * -d guest_errors turtles logs each (tests/boot/hostile.sh). */
#include "platform.h"
    .code16
    .text
    .globl _start
_start:
    cli
    mov $0x2345, %dx
    mov $0x5a, %al
    out %al, %dx        /* write to an unassigned port */
    inc %dx
    in %dx, %al         /* read from an unassigned port: all ones */
    cmp $0xff, %al
    jne 1f
    mov $0x05, %al
    out %al, $0x64      /* no such i8042 controller command */
    PRINT msg
    EXIT16 0
1:  EXIT16 1

    PRINT_ROUTINE
msg:
    .asciz "guesterr: done\n"

    .section .reset, "ax"
reset:
    jmp _start

/* Spins forever with interrupts off: only the host can end it (the test
 * sends SIGTERM and expects turtles' clean exit, status 4). */
#include "platform.h"
    .code16
    .text
    .globl _start
_start:
    cli
    PRINT msg
1:  jmp 1b

    PRINT_ROUTINE
msg:
    .asciz "spin: spinning forever\n"

    .section .reset, "ax"
reset:
    jmp _start

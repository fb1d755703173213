/* Triple-faults on purpose: with an IDT limit of 0 the INT 3 vector is
 * outside the real-mode IVT, which raises #GP, whose delivery fails the same
 * way (#DF), and the #DF's failure shuts the CPU down (SDM Vol.3A 6.15,
 * "Interrupt 8"; 20.1.4 for the real-mode limit check). Under -no-reboot
 * turtles must exit with status 3 and say "triple fault". */
#include "platform.h"
    .code16
    .text
    .globl _start
_start:
    cli
    PRINT msg
    lidt %cs:(empty_idt - 0xf0000)
    int $3
    /* Not reached: report failure if the CPU somehow carried on. */
    PRINT survived
    EXIT16 1

    PRINT_ROUTINE
empty_idt:
    .word 0
    .long 0
msg:
    .asciz "triplefault: about to triple fault\n"
survived:
    .asciz "triplefault: FAIL the CPU survived\n"

    .section .reset, "ax"
reset:
    jmp _start

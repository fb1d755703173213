/* Powers the machine off through ACPI: SLP_TYP S5 with SLP_EN in PM1a_CNT
 * (ACPI 6.4 4.8.3.2.1; the block at 0x604 as the FADT says). turtles must
 * exit 0 and print its "powered off" line (tests/boot/hostile.sh). */
#include "platform.h"
    .code16
    .text
    .globl _start
_start:
    cli
    PRINT msg
    mov $0x604, %dx
    mov $0x2000, %ax    /* SLP_EN, SLP_TYP 0 (S5) */
    out %ax, %dx
    PRINT survived
    EXIT16 1

    PRINT_ROUTINE
msg:
    .asciz "poweroff: powering off\n"
survived:
    .asciz "poweroff: FAIL still running\n"

    .section .reset, "ax"
reset:
    jmp _start

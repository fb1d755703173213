/* The smallest guest: real mode, prints a line on COM1, exits with pass. */
#include "guest.h"
    .code16
    .text
    .globl _start
_start:
    mov $COM1, %dx
    mov $'h', %al
    out %al, %dx
    mov $'i', %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    EXIT16 0

    .section .reset, "ax"
reset:
    jmp _start

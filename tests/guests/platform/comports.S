/* Writes one line to each of COM1-COM4 (ports 0x3f8, 0x2f8, 0x3e8, 0x2e8),
 * checks each UART's scratch register answers (the chip is there), then
 * exits through isa-debug-exit. tests/boot/serial.sh checks which backend
 * received which line. */
#include "platform.h"
    .code16
    .text
    .globl _start
_start:
    cli
    mov $0x3f8, %dx
    mov $'1', %bl
    call port_line
    mov $0x2f8, %dx
    mov $'2', %bl
    call port_line
    mov $0x3e8, %dx
    mov $'3', %bl
    call port_line
    mov $0x2e8, %dx
    mov $'4', %bl
    call port_line
    EXIT16 0

/* %dx = base port, %bl = digit: scratch-register probe, then "comN\n". */
port_line:
    push %dx
    add $7, %dx             /* SCR */
    mov $0x5a, %al
    out %al, %dx
    in %dx, %al
    cmp $0x5a, %al
    jne absent
    pop %dx
    mov $'c', %al
    out %al, %dx
    mov $'o', %al
    out %al, %dx
    mov $'m', %al
    out %al, %dx
    mov %bl, %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    ret
absent:
    EXIT16 9

    .section .reset, "ax"
reset:
    jmp _start

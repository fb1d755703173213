/* Counts its boots in CMOS NVRAM (which survives a machine reset, as on a
 * PC) and resets the machine a different way each time:
 *   boot 1: keyboard controller pulse (0xFE to port 0x64)
 *   boot 2: PIIX reset control register (0x06 to port 0xCF9)
 *   boot 3: triple fault
 *   boot 4: pass (isa-debug-exit, value 0)
 * Without -no-reboot the test expects status 1 and four "boot N" lines;
 * with -no-reboot the first reset must end the run with status 0. */
#include "platform.h"
    .code16
    .text
    .globl _start
_start:
    cli
    mov $CMOS_RESET_COUNT, %al
    out %al, $CMOS_INDEX
    in $CMOS_DATA, %al
    inc %al
    mov %al, %bl
    mov $CMOS_RESET_COUNT, %al
    out %al, $CMOS_INDEX
    mov %bl, %al
    out %al, $CMOS_DATA

    PRINT boot_msg
    mov $COM1, %dx
    mov %bl, %al
    add $'0', %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx

    cmp $1, %bl
    je by_keyboard
    cmp $2, %bl
    je by_cf9
    cmp $3, %bl
    je by_triple_fault
    cmp $4, %bl
    je passed
    PRINT bad_count
    EXIT16 1

by_keyboard:
    mov $0xfe, %al
    out %al, $0x64
    jmp not_reset
by_cf9:
    /* Bit 1 selects a hard reset, bit 2 triggers it (PIIX3 RCR). */
    mov $0x02, %al
    mov $0xcf9, %dx
    out %al, %dx
    mov $0x06, %al
    out %al, %dx
    jmp not_reset
by_triple_fault:
    lidt %cs:(empty_idt - 0xf0000)
    int $3
    jmp not_reset
passed:
    PRINT pass_msg
    EXIT16 0
not_reset:
    PRINT no_reset
    EXIT16 1

    PRINT_ROUTINE
empty_idt:
    .word 0
    .long 0
boot_msg:
    .asciz "resetcount: boot "
pass_msg:
    .asciz "resetcount: all three resets worked\n"
no_reset:
    .asciz "resetcount: FAIL the reset request did nothing\n"
bad_count:
    .asciz "resetcount: FAIL unexpected boot count\n"

    .section .reset, "ax"
reset:
    jmp _start

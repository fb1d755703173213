/* Prints the RTC date and time at start, after a busy loop of 10,000,000
 * instructions and after about one second of idle time (19 PIT interrupts
 * at 18.2 Hz, waited for with HLT). tests/boot/clock-options.sh compares
 * the lines with what -icount and -rtc promise. */
#include "platform.h"
#define TICKS 0x500 /* IRQ0 counter in low RAM */

    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    PRINT start_msg
    call print_rtc

    mov $5000000, %ecx
1:  dec %ecx
    jnz 1b
    PRINT busy_msg
    call print_rtc

    movw $(irq0 - 0xf0000), 0x20
    movw $0xf000, 0x22
    movw $0, TICKS
    /* 8259A: ICW1 edge/cascade/ICW4, ICW2 vector 8, ICW3 slave on 2, ICW4
     * 8086 mode; then only IRQ0 unmasked. */
    mov $0x11, %al
    out %al, $0x20
    mov $0x08, %al
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    mov $0xfe, %al
    out %al, $0x21
    /* 8254 channel 0, mode 2, count 65536: 18.2 Hz. */
    mov $0x34, %al
    out %al, $0x43
    xor %al, %al
    out %al, $0x40
    out %al, $0x40
    sti
2:  hlt
    cmpw $19, TICKS
    jb 2b
    cli
    PRINT idle_msg
    call print_rtc
    EXIT16 0

irq0:
    push %ax
    incw TICKS
    mov $0x20, %al
    out %al, $0x20
    pop %ax
    iret

/* "YYYY-MM-DD HH:MM:SS\n" from the BCD registers, read outside an update
 * cycle (register A bit 7: update in progress). */
print_rtc:
1:  mov $0x0a, %al
    out %al, $CMOS_INDEX
    in $CMOS_DATA, %al
    test $0x80, %al
    jnz 1b
    mov $0x32, %bl
    call print_reg
    mov $0x09, %bl
    call print_reg
    mov $'-', %al
    call putc
    mov $0x08, %bl
    call print_reg
    mov $'-', %al
    call putc
    mov $0x07, %bl
    call print_reg
    mov $' ', %al
    call putc
    mov $0x04, %bl
    call print_reg
    mov $':', %al
    call putc
    mov $0x02, %bl
    call print_reg
    mov $':', %al
    call putc
    mov $0x00, %bl
    call print_reg
    mov $'\n', %al
    call putc
    ret

/* Two hex digits of CMOS register %bl (BCD reads as decimal). */
print_reg:
    mov %bl, %al
    out %al, $CMOS_INDEX
    in $CMOS_DATA, %al
    mov %al, %bh
    shr $4, %al
    call put_digit
    mov %bh, %al
    and $0x0f, %al
    call put_digit
    ret

put_digit:
    add $'0', %al
    cmp $'9', %al
    jbe putc
    add $('a' - '0' - 10), %al
putc:
    push %dx
    mov $COM1, %dx
    out %al, %dx
    pop %dx
    ret

    PRINT_ROUTINE
start_msg:
    .asciz "rtctime: start "
busy_msg:
    .asciz "rtctime: busy "
idle_msg:
    .asciz "rtctime: idle "

    .section .reset, "ax"
reset:
    jmp _start

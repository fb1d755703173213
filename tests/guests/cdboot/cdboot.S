/* A no-emulation El Torito boot image: the firmware loads it at 0:7C00 and
 * jumps to it. It prints a line on COM1 and reports through isa-debug-exit
 * (port 0xf4, value 0x10: turtles exits with status 33), the way a CI test
 * ISO reports its verdict. A file that includes this one may name another
 * verdict and line first (cdboot_second.S: two bootable media that the
 * boot order tests tell apart). */
#ifndef CDBOOT_VERDICT
#define CDBOOT_VERDICT 0x10
#define CDBOOT_LINE "cdboot: El Torito image running\r\n"
#endif
    .code16
    .text
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw $msg, %si
1:  lodsb
    testb %al, %al
    jz 3f
    movb %al, %ah
    movw $0x3fd, %dx
2:  inb %dx, %al             /* wait for the transmitter holding register */
    testb $0x20, %al
    jz 2b
    movw $0x3f8, %dx
    movb %ah, %al
    outb %al, %dx
    jmp 1b
3:  movb $CDBOOT_VERDICT, %al
    outb %al, $0xf4
4:  hlt
    jmp 4b
msg:
    .asciz CDBOOT_LINE

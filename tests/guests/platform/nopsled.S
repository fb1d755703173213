/* Runs a lot of distinct code once: 64 MiB of one-byte NOPs from 1 MiB,
 * ending in "out %al, $0xf4" with AL = 0 (isa-debug-exit: status 1). Each
 * 4 KiB of the sled decodes into 64 new blocks, so without a bound on the
 * decoded-block cache the host memory grows about 50 times faster than the
 * code (tests/boot/bounded-memory.sh). Needs -m 128M. */
#include "platform.h"

#define SLED_START 0x100000
#define SLED_BYTES 0x4000000

    .code16
    .text
    .globl _start
_start:
    cli
    PRINT msg
    lgdtl %cs:(gdt_desc - 0xf0000)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $flat32

    .code32
flat32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    cld
    mov $SLED_START, %edi
    mov $SLED_BYTES, %ecx
    mov $0x90, %al              /* NOP */
    rep stosb
    /* B0 00: mov $0, %al; E6 F4: out %al, $0xf4 */
    movl $0xf4e600b0, (%edi)
    mov $SLED_START, %eax
    jmp *%eax

    .code16
    PRINT_ROUTINE
msg:
    .asciz "nopsled: running 64 MiB of NOPs\n"

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff    /* 0x08 flat 32-bit code */
    .quad 0x00cf93000000ffff    /* 0x10 flat data */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt

    .section .reset, "ax"
reset:
    jmp _start

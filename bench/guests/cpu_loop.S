/* CPU-bound benchmark guest: real mode -> flat 32-bit protected mode, then a
 * loop of integer work (ALU, shifts, multiply, loads and stores, branches)
 * for a fixed number of iterations; exits through isa-debug-exit (0). */
#include "guest.h"
#define ITERATIONS 20000000

    .code16
    .text
    .globl _start
_start:
    cli
    lgdtl %cs:gdt_ptr - 0xf0000
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $pm32

    .code32
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x80000, %esp
    mov $ITERATIONS, %ecx
    xor %eax, %eax
    mov $0x12345678, %ebx
    mov $0x100000, %esi
1:
    add %ecx, %eax
    xor %ebx, %eax
    rol $5, %eax
    mov %eax, (%esi)
    imul $31, %eax, %edx
    add (%esi), %edx
    mov %ecx, %edi
    and $0xff, %edi
    mov %edx, (%esi,%edi,4)
    shr $1, %ebx
    jnz 2f
    mov $0x12345678, %ebx
2:  dec %ecx
    jnz 1b
    mov $0, %al
    out %al, $DEBUG_EXIT
3:  hlt
    jmp 3b

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff  /* 0x08: flat 32-bit code */
    .quad 0x00cf93000000ffff  /* 0x10: flat data */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .long gdt

    .section .reset, "ax"
    .code16
reset:
    jmp _start

/* The BSP sends INIT to its own APIC ID: it must start over at the reset
 * vector in the INIT state, as on hardware and KVM; only APs wait for a SIPI
 * (SDM Vol.3A 9.1, 11.6.1). RAM survives INIT, so a counter at BOOTS tells
 * the first start from the second; a register set before the INIT must read
 * as its INIT value (0) after it.
 *   failure 1: the BSP ran on after the INIT
 *   failure 2: EBX survived the INIT
 *   failure 3: EDX does not hold the processor signature
 *   failure 4: a third start */
#include "guest_sys.h"

#define BOOTS 0x500
#define LAPIC_ID 0xfee00020
#define LAPIC_ICR_LO 0xfee00300
#define LAPIC_ICR_HI 0xfee00310

    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    incb BOOTS
    cmpb $1, BOOTS
    je first_start
    cmpb $2, BOOTS
    jne third_start
    /* Second start, after the INIT: GPRs are 0 but EDX (SDM Vol.3A table 9-1). */
    test %ebx, %ebx
    CHECK z, 2
    test %edx, %edx
    CHECK nz, 3
    SAY initself-restarted
    EXIT 0
third_start:
    EXIT 4

first_start:
    SAY initself-first
    mov $0x12345678, %ebx
    ENTER_PROTECTED gdt_desc, 0x08, pm32
    .code32
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    /* INIT, physical destination = our own APIC ID (ICR: delivery mode
     * 101b in bits 10:8, level assert bit 14). */
    mov LAPIC_ID, %eax
    mov %eax, LAPIC_ICR_HI
    movl $0x00004500, LAPIC_ICR_LO
    mov $1000000, %ecx
1:  loop 1b
    EXIT 1

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x08 32-bit code */
    .quad 0x00cf93000000ffff /* 0x10 data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .section .reset, "ax"
    .code16
reset:
    jmp _start

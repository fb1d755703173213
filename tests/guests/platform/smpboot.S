/* Brings up every AP the way an OS does: INIT, then SIPI twice, to all
 * excluding self through the x2APIC ICR (SDM Vol.3A 9.4.4.1, 11.12.9). The
 * SIPI vector 0xF0 starts each AP at F000:0000, this ROM's first byte; an AP
 * tells itself apart by IA32_APIC_BASE.BSP clear, counts itself in low RAM
 * and halts. The BSP compares the count with the CPU count from fw_cfg
 * (QEMU's FW_CFG_NB_CPUS) and prints "smpboot: N of M cpus up". */
#include "platform.h"
#define AP_COUNT 0x500
#define IA32_APIC_BASE 0x1b
#define X2APIC_ICR 0x830
#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_NB_CPUS 0x05

    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $IA32_APIC_BASE, %ecx
    rdmsr
    test $0x100, %eax
    jnz bsp
    lock incw AP_COUNT
1:  cli
    hlt
    jmp 1b

bsp:
    mov %ax, %ss
    mov $0x7000, %sp
    movw $0, AP_COUNT
    /* IA32_APIC_BASE: EN (bit 11) and EXTD (bit 10) select x2APIC mode. */
    or $0xc00, %eax
    wrmsr

    mov $FW_CFG_NB_CPUS, %ax
    mov $FW_CFG_SELECTOR, %dx
    out %ax, %dx
    mov $FW_CFG_DATA, %dx
    in %dx, %al
    mov %al, %bl
    in %dx, %al
    mov %al, %bh
    PRINT start_msg

    /* ICR: shorthand 11 (all excluding self), level assert, INIT (101). */
    mov $X2APIC_ICR, %ecx
    xor %edx, %edx
    mov $0x000c4500, %eax
    wrmsr
    call delay
    /* Start-up (110), vector 0xF0, twice as the SDM's MP protocol does. */
    mov $0x000c46f0, %eax
    wrmsr
    call delay
    mov $0x000c46f0, %eax
    wrmsr

    /* Wait for bl - 1 APs, for at most ~40M instructions. */
    mov $20000000, %esi
2:  mov AP_COUNT, %ax
    inc %ax
    cmp %bx, %ax
    jae 3f
    pause
    dec %esi
    jnz 2b
3:  call delay
    mov AP_COUNT, %ax
    inc %ax
    mov %ax, %di
    PRINT count_msg
    mov %di, %ax
    call print_dec
    PRINT of_msg
    mov %bx, %ax
    call print_dec
    PRINT cpus_msg
    cmp %bx, %di
    jne 4f
    EXIT16 0
4:  EXIT16 1

/* About 200,000 instructions: lets the APs run their start-up code. */
delay:
    push %ecx
    mov $100000, %ecx
1:  dec %ecx
    jnz 1b
    pop %ecx
    ret

/* %ax (< 100) in decimal on COM1. */
print_dec:
    push %dx
    push %bx
    mov $10, %bl
    div %bl
    mov %ah, %bh
    mov $COM1, %dx
    test %al, %al
    jz 1f
    add $'0', %al
    out %al, %dx
1:  mov %bh, %al
    add $'0', %al
    out %al, %dx
    pop %bx
    pop %dx
    ret

    PRINT_ROUTINE
start_msg:
    .asciz "smpboot: sending INIT and SIPI to all APs\n"
count_msg:
    .asciz "smpboot: "
of_msg:
    .asciz " of "
cpus_msg:
    .asciz " cpus up\n"

    .section .reset, "ax"
reset:
    jmp _start

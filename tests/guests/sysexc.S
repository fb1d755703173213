/* Protected-mode exceptions and privilege transitions: #DE, #UD, #GP, #NP,
 * #SS, #TS, #PF (error codes, CR2), #DF escalation, ring 3 entered by IRET
 * and left by INT (trap gate), a call gate, SYSENTER/SYSEXIT, #GP from
 * ring 3, a hardware task switch (JMP to a TSS and back), and a #DF
 * handled by a task gate (as 32-bit kernels do). Progress goes to COM1;
 * failure N exits with value N on port 0xf4. */
#include "guest_sys.h"

#define VARS 0x4000
#define EXC_VEC (VARS + 0x00)
#define EXC_ERR (VARS + 0x04)
#define EXC_EIP (VARS + 0x08)
#define RESUME (VARS + 0x0c)
#define EXC_COUNT (VARS + 0x10)
#define EXC_CS (VARS + 0x14)
#define R3_FRAME_CS (VARS + 0x18)
#define R3_HANDLER_CS (VARS + 0x1c)
#define GATE_CS (VARS + 0x20)
#define SYSENTER_HIT (VARS + 0x24)
#define TASK2_HIT (VARS + 0x28)
#define DF_HIT (VARS + 0x2c)
#define DF_ERR (VARS + 0x30)

#define GDT 0x5000
#define IDT 0x6000
#define TSS1 0x7000
#define TSS2 0x7100
#define TSS3 0x7200
#define STACK0 0x9000
#define STACK_TSS0 0xa000
#define STACK3 0xb000
#define STACK_T2 0xc000
#define STACK_DF 0xd000
#define PD32 0x10000

#define SEL_CODE0 0x08
#define SEL_DATA0 0x10
#define SEL_CODE3 0x1b
#define SEL_DATA3 0x23
#define SEL_NP 0x28
#define SEL_TSS1 0x30
#define SEL_TSS2 0x38
#define SEL_TSS3 0x40
#define SEL_GATE 0x4b

/* Run one faulting instruction; the handler resumes after it. */
.macro TRY insn:vararg
    TRY_FAULT l, RESUME, EXC_COUNT, \insn
.endm

.macro EXPECT vec, err, n
    EXPECT_FAULT l, EXC_COUNT, EXC_VEC, \vec, EXC_ERR, \err, \n
.endm

.macro GATE vec, handler, attr
    IDT_GATE32 IDT, SEL_CODE0, \vec, \handler, \attr
.endm

/* A ring-0 task starting at eip on its own stack. */
.macro TASK base, eip, esp
    movl $\eip, \base + 0x20
    movl $2, \base + 0x24
    movl $\esp, \base + 0x38
    movl $SEL_CODE0, \base + 0x4c
    movl $SEL_DATA0, \base + 0x48
    movl $SEL_DATA0, \base + 0x50
    movl $SEL_DATA0, \base + 0x54
    movl $SEL_DATA0, \base + 0x58
    movl $SEL_DATA0, \base + 0x5c
.endm

    .code16
    .text
    .globl _start
_start:
    ENTER_PROTECTED rom_gdt_desc, SEL_CODE0, pm32

    .code32
pm32:
    LOAD_DATA_SEGS SEL_DATA0
    mov $STACK0, %esp
    cld
    /* Zero variables, GDT, IDT, TSSs. */
    ZERO32 VARS, 0x4000
    /* The GDT lives in RAM (busy and accessed bits are written). */
    COPY32 rom_gdt, rom_gdt_end, GDT
    TSSDESC32 GDT, SEL_TSS1, TSS1
    TSSDESC32 GDT, SEL_TSS2, TSS2
    TSSDESC32 GDT, SEL_TSS3, TSS3
    /* Call gate (DPL 3, no parameters) to callgate_target. */
    mov $callgate_target, %eax
    mov %ax, GDT + 0x48
    movw $SEL_CODE0, GDT + 0x4a
    movw $0xec00, GDT + 0x4c
    shr $16, %eax
    mov %ax, GDT + 0x4e
    lgdt gdt_desc
    /* Exception gates (interrupt gates, DPL 0). */
    GATE 0, exc0, 0x8e
    GATE 6, exc6, 0x8e
    GATE 8, exc8, 0x8e
    GATE 10, exc10, 0x8e
    GATE 11, exc11, 0x8e
    GATE 12, exc12, 0x8e
    GATE 13, exc13, 0x8e
    GATE 14, exc14, 0x8e
    GATE 0x80, int80, 0xef   /* trap gate, DPL 3 */
    GATE 0x81, int81, 0xee   /* interrupt gate, DPL 3 */
    lidt idt_desc
    /* TSS1: the current task; ring-0 stack for interrupts from ring 3. */
    movl $STACK_TSS0, TSS1 + 4
    movl $SEL_DATA0, TSS1 + 8
    movw $0x68, TSS1 + 0x66
    mov $SEL_TSS1, %ax
    ltr %ax
    /* SYSENTER: CS 0x08 (SYSEXIT returns to 0x1b/0x23). */
    xor %edx, %edx
    mov $0x174, %ecx
    mov $SEL_CODE0, %eax
    wrmsr
    mov $0x175, %ecx
    mov $STACK_TSS0, %eax
    wrmsr
    mov $0x176, %ecx
    mov $sysenter_target, %eax
    wrmsr
    SAY setup

    /* ---- exceptions with and without error codes ---- */
    xor %ecx, %ecx
    TRY div %ecx
    EXPECT 0, 0, 10
    TRY ud2
    EXPECT 6, 0, 13
    mov $0x1230, %ax
    TRY mov %ax, %ds
    EXPECT 13, 0x1230, 16
    mov $SEL_NP, %ax
    TRY mov %ax, %ds
    EXPECT 11, SEL_NP, 19
    TRY mov %ax, %ss
    EXPECT 12, SEL_NP, 22
    SAY faults

    /* #TS: IRET with NT set to a task that is not busy. */
    movl $SEL_TSS2, TSS1
    pushf
    orl $0x4000, (%esp)
    popf
    TRY iret
    EXPECT 10, SEL_TSS2, 25
    pushf
    andl $~0x4000, (%esp)
    popf
    SAY ts

    /* #PF: 4 MiB identity page, nothing mapped at 4-8 MiB. */
    ZERO32 PD32, 0x1000
    movl $0x83, PD32
    CR_OR cr4, 0x10
    mov $PD32, %eax
    mov %eax, %cr3
    CR_OR cr0, 0x80000000
    TRY movl 0x400010, %eax
    EXPECT 14, 0, 28
    mov %cr2, %eax
    cmp $0x400010, %eax
    CHECK e, 31
    TRY movl %eax, 0x500020
    EXPECT 14, 2, 32
    mov %cr2, %eax
    cmp $0x500020, %eax
    CHECK e, 35
    CR_AND cr0, 0x7fffffff
    SAY pf

    /* #DF: #GP whose gate is not present raises #NP while delivering. */
    movb $0x0e, IDT + 13 * 8 + 5
    mov $0x1230, %ax
    TRY mov %ax, %ds
    EXPECT 8, 0, 36
    movb $0x8e, IDT + 13 * 8 + 5
    SAY df

    /* ---- ring 3 ---- */
    pushl $SEL_DATA3
    pushl $STACK3
    pushf
    pushl $SEL_CODE3
    pushl $ring3
    iret

ring3:
    mov $SEL_DATA3, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %cs, %ax
    and $3, %ax
    cmp $3, %ax
    CHECK e, 40
    /* INT through a DPL-3 trap gate and back. */
    int $0x80
    cmpl $SEL_CODE3, R3_FRAME_CS
    CHECK e, 41
    cmpl $SEL_CODE0, R3_HANDLER_CS
    CHECK e, 42
    /* Call gate to ring 0 and far return. */
    lcall $SEL_GATE, $0
    cmpl $SEL_CODE0, GATE_CS
    CHECK e, 43
    mov %cs, %ax
    cmp $SEL_CODE3, %ax
    CHECK e, 44
    /* A privileged instruction in ring 3. */
    TRY hlt
    EXPECT 13, 0, 45
    mov EXC_CS, %eax
    cmp $SEL_CODE3, %eax
    CHECK e, 48
    /* SYSENTER to ring 0, SYSEXIT back. */
    mov $STACK3, %ecx
    mov $after_sysexit, %edx
    sysenter
after_sysexit:
    cmpl $1, SYSENTER_HIT
    CHECK e, 49
    mov %ss, %ax
    cmp $SEL_DATA3, %ax
    CHECK e, 50
    /* Back to ring 0 for good. */
    int $0x81

ring0_again:
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    SAY rings

    /* ---- hardware task switch: JMP to TSS2, which JMPs back ---- */
    TASK TSS2, task2, STACK_T2
    ljmp $SEL_TSS2, $0
    cmpl $1, TASK2_HIT
    CHECK e, 51
    str %ax
    cmp $SEL_TSS1, %ax
    CHECK e, 52
    SAY taskswitch

    /* ---- #DF through a task gate ---- */
    TASK TSS3, df_task, STACK_DF
    movl $0, IDT + 8 * 8
    movl $((SEL_TSS3 << 16)), IDT + 8 * 8
    movl $0x8500, IDT + 8 * 8 + 4
    movb $0x0e, IDT + 13 * 8 + 5
    mov $0x1230, %ax
    mov %ax, %ds          /* #GP -> #NP -> #DF -> task switch */
df_resume:
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    cmpl $1, DF_HIT
    CHECK e, 53
    cmpl $0, DF_ERR
    CHECK e, 54
    str %ax
    cmp $SEL_TSS1, %ax
    CHECK e, 55
    SAY dftask
    SAY pass
    EXIT 0

/* ---- handlers ---- */
exc0:   pushl $0
        pushl $0
        jmp exc_common
exc6:   pushl $0
        pushl $6
        jmp exc_common
exc8:   pushl $8
        jmp exc_common
exc10:  pushl $10
        jmp exc_common
exc11:  pushl $11
        jmp exc_common
exc12:  pushl $12
        jmp exc_common
exc13:  pushl $13
        jmp exc_common
exc14:  pushl $14
        jmp exc_common
exc_common:
    push %eax
    push %ds
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    mov 8(%esp), %eax
    mov %eax, EXC_VEC
    mov 12(%esp), %eax
    mov %eax, EXC_ERR
    mov 16(%esp), %eax
    mov %eax, EXC_EIP
    mov 20(%esp), %eax
    mov %eax, EXC_CS
    incl EXC_COUNT
    mov RESUME, %eax
    mov %eax, 16(%esp)
    pop %ds
    pop %eax
    add $8, %esp
    iret

int80:
    push %eax
    push %ds
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    mov 12(%esp), %eax
    mov %eax, R3_FRAME_CS
    mov %cs, %eax
    mov %eax, R3_HANDLER_CS
    pop %ds
    pop %eax
    iret

int81:
    mov $STACK0, %esp
    jmp ring0_again

callgate_target:
    push %ds
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    mov %cs, %eax
    mov %eax, GATE_CS
    pop %ds
    lret

sysenter_target:
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    movl $1, SYSENTER_HIT
    mov $SEL_DATA3, %ax
    mov %ax, %ds
    sysexit

task2:
    movl $1, TASK2_HIT
    ljmp $SEL_TSS1, $0

df_task:
    pop %eax
    mov %eax, DF_ERR
    movl $1, DF_HIT
    movb $0x8e, IDT + 13 * 8 + 5
    movl $df_resume, TSS1 + 0x20
    iret                  /* NT: back to the interrupted task */

    .balign 8
rom_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x08 ring-0 code */
    .quad 0x00cf93000000ffff /* 0x10 ring-0 data */
    .quad 0x00cffb000000ffff /* 0x18 ring-3 code */
    .quad 0x00cff3000000ffff /* 0x20 ring-3 data */
    .quad 0x00cf13000000ffff /* 0x28 data, not present */
    .quad 0                  /* 0x30 TSS1 */
    .quad 0                  /* 0x38 TSS2 */
    .quad 0                  /* 0x40 TSS3 */
    .quad 0                  /* 0x48 call gate */
    ROM_TABLE_DESCRIPTORS 0x27, GDT, IDT

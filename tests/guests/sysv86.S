/* Virtual-8086 mode without VME: entry by IRET with EFLAGS.VM, real-mode
 * style segments at CPL 3, INT n (IOPL 3) through a protected-mode
 * interrupt gate with the V86 frame (ES, DS, FS, GS pushed, data segments
 * nulled), IRET back to V86, and #GP for an IOPL-sensitive instruction
 * once IOPL is lowered. Failure N exits with value N on port 0xf4. */
#include "guest_sys.h"

#define VARS 0x4000
#define V86_MARK 0x5000     /* linear 0x5000 = 0x0500:0000 in V86 */
#define FRAME_EFLAGS (VARS + 0x00)
#define FRAME_DS (VARS + 0x04)
#define HANDLER_DS (VARS + 0x08)
#define INT_HITS (VARS + 0x0c)
#define GP_HITS (VARS + 0x10)
#define GDT 0x6000
#define IDT 0x7000
#define TSS 0x6800
#define STACK0 0x9000
#define STACK_TSS0 0xa000

#define SEL_CODE0 0x08
#define SEL_DATA0 0x10
#define SEL_TSS 0x18

.macro GATE vec, handler, attr
    IDT_GATE32 IDT, SEL_CODE0, \vec, \handler, \attr
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
    ZERO32 VARS, 0x4000
    COPY32 rom_gdt, rom_gdt_end, GDT
    TSSDESC32 GDT, SEL_TSS, TSS
    lgdt gdt_desc
    movl $STACK_TSS0, TSS + 4
    movl $SEL_DATA0, TSS + 8
    movw $0x68, TSS + 0x66
    mov $SEL_TSS, %ax
    ltr %ax
    GATE 0x82, v86_int, 0xee
    GATE 0x83, leave_v86, 0xee
    GATE 13, gp_handler, 0x8e
    lidt idt_desc
    SAY prot32

    /* IRET to V86 at F000:v86_code, SS:SP 0000:7000, DS 0500, IOPL 3. */
    pushl $0            /* GS */
    pushl $0            /* FS */
    pushl $0x0500       /* DS */
    pushl $0            /* ES */
    pushl $0            /* SS */
    pushl $0x7000       /* ESP */
    pushl $0x23002      /* VM | IOPL 3 | reserved bit 1 */
    pushl $0xf000       /* CS */
    pushl $(v86_code - 0xf0000)
    iret

    .code16
v86_code:
    movw $0x1234, 0      /* DS base 0x5000 */
    mov %ds, %ax
    cmp $0x0500, %ax
    jne v86_fail
    cli                  /* IOPL 3: allowed */
    int $0x82            /* to the ring-0 handler and back */
    cmpw $0x0500, %ds:0  /* DS restored by the IRET to V86 */
    jne v86_fail2
    pushf
    pop %ax
    and $0x3000, %ax
    cmp $0x3000, %ax
    jne v86_fail3
    int $0x83
v86_fail:
    EXIT 20
v86_fail2:
    EXIT 21
v86_fail3:
    EXIT 22

    .code32
v86_int:
    /* Frame: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS; DS is null now. */
    mov %ds, %ax
    movzwl %ax, %eax
    push %eax
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    pop %eax
    mov %eax, HANDLER_DS
    mov 8(%esp), %eax
    mov %eax, FRAME_EFLAGS
    mov 24(%esp), %eax
    mov %eax, FRAME_DS
    incl INT_HITS
    movw $0x0500, V86_MARK   /* seen by V86 code as ds:0 */
    iret

leave_v86:
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    mov %ax, %es
    mov $STACK0, %esp
    cmpl $1, INT_HITS
    CHECK e, 1
    testl $0x20000, FRAME_EFLAGS
    CHECK nz, 2
    cmpl $0x0500, FRAME_DS
    CHECK e, 3
    cmpl $0, HANDLER_DS
    CHECK e, 4
    SAY v86
    /* IOPL 0 V86: CLI raises #GP(0). */
    pushl $0
    pushl $0
    pushl $0x0500
    pushl $0
    pushl $0
    pushl $0x7000
    pushl $0x20002      /* VM, IOPL 0 */
    pushl $0xf000
    pushl $(v86_cli - 0xf0000)
    iret

    .code16
v86_cli:
    cli
    EXIT 23

    .code32
gp_handler:
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    cmpl $0, (%esp)           /* error code 0 */
    CHECK e, 5
    testl $0x20000, 12(%esp)  /* from V86 */
    CHECK nz, 6
    SAY iopl
    SAY pass
    EXIT 0

    .balign 8
rom_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x08 code */
    .quad 0x00cf93000000ffff /* 0x10 data */
    .quad 0                  /* 0x18 TSS */
    ROM_TABLE_DESCRIPTORS 0x17, GDT, IDT

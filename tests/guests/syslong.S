/* IA-32e mode system behaviour: #GP for a non-canonical address (data, and
 * instruction fetch: running off the top of the lower canonical half, an
 * instruction straddling into the hole, a jump into it), #PF at a
 * high canonical address delivered on an IST stack, #DF escalation on its
 * own IST stack, ring 3 entered by IRETQ, INT from ring 3 (null SS on the
 * ring-0 side), a 64-bit call gate with far RET back to ring 3, SYSCALL/
 * SYSRET with SWAPGS, and a return to ring 0. Failure N exits with value N
 * on port 0xf4. */
#include "guest_sys.h"

#define VARS 0x4000
#define EXC_VEC (VARS + 0x00)
#define EXC_ERR (VARS + 0x08)
#define RESUME (VARS + 0x10)
#define EXC_COUNT (VARS + 0x18)
#define EXC_RSP (VARS + 0x20)
#define FRAME_CS (VARS + 0x28)
#define FRAME_SS (VARS + 0x30)
#define HANDLER_SS (VARS + 0x38)
#define GATE_CS (VARS + 0x40)
#define SYSCALL_HIT (VARS + 0x48)
#define EXC_RIP (VARS + 0x50)
#define GS_MAGIC (VARS + 0x100)

#define GDT 0x5000
#define IDT 0x6000
#define TSS 0x7000
#define STACK0 0x9000
#define STACK_RSP0 0xa000
#define STACK_IST1 0xb000
#define STACK_IST2 0xc000
#define STACK3 0xd000
#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
/* The last page of the lower canonical half, 00007FFFFFFFF000H, maps the
 * physical page EDGE_CODE through these tables. */
#define EDGE_PDPT 0x13000
#define EDGE_PD 0x14000
#define EDGE_PT 0x15000
#define EDGE_CODE 0x16000
#define EDGE_LIN 0x00007ffffffff000

#define SEL_CODE32 0x08
#define SEL_CODE0 0x08
#define SEL_DATA0 0x10
#define SEL_DATA3 0x1b
#define SEL_CODE3 0x23
#define SEL_TSS 0x28
#define SEL_GATE 0x3b

.macro TRY insn:vararg
    TRY_FAULT q, RESUME, EXC_COUNT, \insn
.endm

.macro EXPECT vec, err, n
    EXPECT_FAULT q, EXC_COUNT, EXC_VEC, \vec, EXC_ERR, \err, \n
.endm

.macro GATE64 vec, handler, attr, ist
    IDT_GATE64 IDT, SEL_CODE0, \vec, \handler, \attr, \ist
.endm

    .code16
    .text
    .globl _start
_start:
    /* boot GDT: 0x08 is 32-bit code */
    ENTER_PROTECTED boot_gdt_desc, SEL_CODE32, pm32

    .code32
pm32:
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $STACK0, %esp
    cld
    ZERO32 VARS, 0x4000
    ZERO32 PML4, 0x7000
    /* Identity map the first GiB, user-accessible 2 MiB pages. */
    movl $(PDPT | 7), PML4
    movl $(PD | 7), PDPT
    mov $PD, %edi
    mov $0x87, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    movl $0, 4(%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b
    movl $(EDGE_PDPT | 3), PML4 + 255 * 8
    movl $(EDGE_PD | 3), EDGE_PDPT + 511 * 8
    movl $(EDGE_PT | 3), EDGE_PD + 511 * 8
    movl $(EDGE_CODE | 3), EDGE_PT + 511 * 8
    CR_OR cr4, 0x20
    mov $PML4, %eax
    mov %eax, %cr3
    EFER_OR 0x101            /* LME, SCE */
    CR_OR cr0, 0x80000000
    ljmp $0x18, $lm64        /* boot GDT: 0x18 is 64-bit code */

    .code64
lm64:
    /* The real GDT in RAM, with the TSS and the call gate. */
    mov $rom_gdt, %rsi
    mov $GDT, %rdi
    mov $(rom_gdt_end - rom_gdt), %ecx
    rep movsb
    mov $TSS, %eax
    movw $0x67, GDT + SEL_TSS
    mov %ax, GDT + SEL_TSS + 2
    shr $16, %eax
    mov %al, GDT + SEL_TSS + 4
    movb $0x89, GDT + SEL_TSS + 5
    movb $0, GDT + SEL_TSS + 6
    mov %ah, GDT + SEL_TSS + 7
    movq $0, GDT + SEL_TSS + 8
    /* 64-bit call gate, DPL 3, to gate_target. */
    mov $gate_target, %eax
    mov %ax, GDT + 0x38
    movw $SEL_CODE0, GDT + 0x3a
    movw $0xec00, GDT + 0x3c
    shr $16, %eax
    mov %ax, GDT + 0x3e
    movq $0, GDT + 0x40
    lgdt gdt_desc
    /* Reload CS from the new GDT. */
    pushq $SEL_CODE0
    pushq $reloaded
    lretq
reloaded:
    mov $SEL_DATA0, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $STACK0, %rsp
    /* TSS: RSP0, IST1, IST2. */
    movq $STACK_RSP0, TSS + 4
    movq $STACK_IST1 + 8, TSS + 0x24   /* misaligned: the CPU aligns to 16 */
    movq $STACK_IST2, TSS + 0x2c
    movw $0x68, TSS + 0x66
    mov $SEL_TSS, %ax
    ltr %ax
    GATE64 13, exc13, 0x8e, 0
    GATE64 14, exc14, 0x8e, 1
    GATE64 8, exc8, 0x8e, 2
    GATE64 11, exc11, 0x8e, 0
    GATE64 0x80, int80, 0xee, 0
    GATE64 0x81, int81, 0xee, 0
    lidt idt_desc
    SAY long64

    /* #GP(0) for a non-canonical address. */
    movabs $0x0000800000000000, %rax
    TRY movq (%rax), %rbx
    EXPECT 13, 0, 10
    /* #PF at a high canonical address, on IST1. */
    movabs $0xffff800000001000, %rax
    TRY movq (%rax), %rbx
    EXPECT 14, 0, 13
    mov %cr2, %rbx
    cmp %rax, %rbx
    CHECK e, 16
    movq EXC_RSP, %rax
    cmp $STACK_IST1 - 48, %rax   /* 16-aligned top, 5 slots + error code */
    CHECK e, 17
    SAY faults
    /* #DF on IST2: the #GP gate is missing. */
    movb $0x0e, IDT + 13 * 16 + 5
    movabs $0x0000800000000000, %rax
    TRY movq (%rax), %rbx
    EXPECT 8, 0, 18
    movq EXC_RSP, %rax
    cmp $STACK_IST2 - 48, %rax
    CHECK e, 21
    movb $0x8e, IDT + 13 * 16 + 5
    SAY df

    /* Instruction fetch from a non-canonical RIP is #GP(0), never #PF
     * (SDM Vol.3A 6.15, interrupt 13). Running sequentially off the last
     * canonical page: the fault names the first non-canonical byte.
     * (tests/boot/gdbstub.sh stops at fetch_checks and writes a
     * non-canonical RIP through gdb.) */
fetch_checks:
    mov $EDGE_CODE, %edi
    mov $0x1000, %ecx
    mov $0x90, %al
    rep stosb
    movabs $EDGE_LIN, %rax
    TRY jmp *%rax
    EXPECT 13, 0, 50
    movabs $0x0000800000000000, %rax
    cmp %rax, EXC_RIP
    CHECK e, 53
    /* An instruction that starts at 00007FFFFFFFFFFEH and needs a byte
     * beyond it (MOV r/m64, r64: REX.W, opcode, ModRM): #GP(0) at its start. */
    movw $0x8948, EDGE_CODE + 0xffe
    movabs $EDGE_LIN, %rax
    TRY jmp *%rax
    EXPECT 13, 0, 54
    movabs $0x00007ffffffffffe, %rax
    cmp %rax, EXC_RIP
    CHECK e, 57
    /* A jump to a non-canonical target faults at the jump (SDM Vol.2 JMP). */
    movabs $0x8000000000000000, %rax
    TRY jmp_nc: jmp *%rax
    EXPECT 13, 0, 58
    cmpq $jmp_nc, EXC_RIP
    CHECK e, 61
    SAY fetch

    /* SYSCALL/SYSRET setup: STAR, LSTAR, SFMASK, GS bases. */
    mov $0xc0000081, %ecx
    xor %eax, %eax
    mov $((0x13 << 16) | SEL_CODE0), %edx
    wrmsr
    mov $0xc0000082, %ecx
    mov $syscall_entry, %eax
    xor %edx, %edx
    wrmsr
    mov $0xc0000084, %ecx
    mov $0x4700, %eax        /* TF, IF, DF, NT */
    wrmsr
    movq $0x600dcafe, GS_MAGIC
    mov $0xc0000102, %ecx    /* KERNEL_GS_BASE */
    mov $GS_MAGIC, %eax
    wrmsr

    /* ---- to ring 3 by IRETQ ---- */
    pushq $SEL_DATA3
    pushq $STACK3
    pushfq
    pushq $SEL_CODE3
    pushq $ring3
    iretq

ring3:
    mov %cs, %ax
    cmp $SEL_CODE3, %ax
    CHECK e, 30
    int $0x80
    cmpq $SEL_CODE3, FRAME_CS
    CHECK e, 31
    cmpq $SEL_DATA3, FRAME_SS
    CHECK e, 32
    cmpq $0, HANDLER_SS      /* null SS with RPL 0 after the privilege change */
    CHECK e, 33
    mov %ss, %ax
    cmp $SEL_DATA3, %ax
    CHECK e, 34
    /* 64-bit call gate to ring 0, far return to ring 3. */
    lcall *gate_ptr
    cmpq $SEL_CODE0, GATE_CS
    CHECK e, 35
    mov %cs, %ax
    cmp $SEL_CODE3, %ax
    CHECK e, 36
    /* SYSCALL to ring 0 and SYSRET back. */
    mov $0x77, %r12
    syscall
    cmpq $1, SYSCALL_HIT
    CHECK e, 37
    mov %cs, %ax
    cmp $SEL_CODE3, %ax
    CHECK e, 38
    cmp $0x600dcafe, %r12    /* read through GS after SWAPGS */
    CHECK e, 39
    int $0x81

ring0_again:
    mov %cs, %ax
    cmp $SEL_CODE0, %ax
    CHECK e, 40
    SAY rings
    SAY pass
    EXIT 0

/* ---- handlers ---- */
exc8:   pushq $8
        jmp exc_common
exc11:  pushq $11
        jmp exc_common
exc13:  pushq $13
        jmp exc_common
exc14:  pushq $14
        jmp exc_common
exc_common:
    push %rax
    lea 16(%rsp), %rax       /* RSP at entry (error code on top) */
    mov %rax, EXC_RSP
    mov 8(%rsp), %rax
    mov %rax, EXC_VEC
    mov 16(%rsp), %rax
    mov %rax, EXC_ERR
    incq EXC_COUNT
    mov 24(%rsp), %rax
    mov %rax, EXC_RIP
    mov RESUME, %rax
    mov %rax, 24(%rsp)
    pop %rax
    add $16, %rsp
    iretq

int80:
    push %rax
    mov 16(%rsp), %rax
    mov %rax, FRAME_CS
    mov 40(%rsp), %rax
    mov %rax, FRAME_SS
    mov %ss, %ax
    movzwq %ax, %rax
    mov %rax, HANDLER_SS
    pop %rax
    iretq

int81:
    mov $STACK0, %rsp
    jmp ring0_again

gate_target:
    mov %cs, %ax
    movzwq %ax, %rax
    mov %rax, GATE_CS
    lretq

syscall_entry:
    swapgs
    mov %gs:0, %r12
    swapgs
    movq $1, SYSCALL_HIT
    sysretq

    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x08 32-bit code */
    .quad 0x00cf93000000ffff /* 0x10 data */
    .quad 0x00af9b000000ffff /* 0x18 64-bit code */
boot_gdt_end:
boot_gdt_desc:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
rom_gdt:
    .quad 0
    .quad 0x00af9b000000ffff /* 0x08 ring-0 64-bit code */
    .quad 0x00cf93000000ffff /* 0x10 ring-0 data */
    .quad 0x00cff3000000ffff /* 0x18 ring-3 data */
    .quad 0x00affb000000ffff /* 0x20 ring-3 64-bit code */
    .quad 0, 0               /* 0x28 TSS */
    .quad 0, 0               /* 0x38 call gate */
rom_gdt_end:
gdt_desc:
    .word rom_gdt_end - rom_gdt - 1
    .quad GDT
idt_desc:
    .word 0xfff
    .quad IDT
gate_ptr:
    .long 0
    .word SEL_GATE

    .section .reset, "ax"
    .code16
reset:
    jmp _start

/* The debug architecture in 32-bit protected mode (SDM Vol.3B 18.2-18.3,
 * Vol.3A 6.8.3): an instruction breakpoint resumed with RF, data
 * breakpoints of every length on MOV and PUSH (write, read/write), REP MOVSB
 * trapping after the iteration that hit, an I/O breakpoint, general detect,
 * single-step across MOV SS, a data breakpoint held by MOV SS, and a task
 * switch clearing the local enables. The #DB handler logs each #DB (DR6,
 * DR7, the pushed EIP and EFLAGS, ECX) and clears DR6. Progress goes to
 * COM1; failure N exits with value N on port 0xf4.
 *
 * QEMU TCG (the reference this guest is also run on) differs in a few
 * places, which are skipped or adapted when CPUID says "TCGTCGTCGTCG":
 * it (7.2) has no I/O breakpoints no general detect, no MOV SS hold of data breakpoints, and does not align data-breakpoint addresses
 * down to their length. */
#include "guest_sys.h"

#define VARS 0x4000
#define DB_COUNT (VARS + 0x00)
#define DB_DR6 (VARS + 0x04)   /* of the first #DB since DB_COUNT was zeroed */
#define DB_EIP (VARS + 0x08)
#define DB_EFL (VARS + 0x0c)
#define DB_DR7 (VARS + 0x10)
#define DB_ECX (VARS + 0x14)
#define DB_ACTION (VARS + 0x18) /* ACT_* */
#define RESUME (VARS + 0x1c)
#define COUNTER (VARS + 0x20)
#define IS_QEMU (VARS + 0x24)
#define TASK2_DR7 (VARS + 0x28)
#define SSVAR (VARS + 0x30)
#define EIP_LOG (VARS + 0x40)  /* pushed EIP of each #DB, 16 entries */
#define DR6_LOG (VARS + 0x80)  /* DR6 of each #DB, 16 entries */
#define DATA (VARS + 0x100)    /* watched bytes, 8-aligned */
#define SRC (VARS + 0x200)
#define DST (VARS + 0x300)

#define GDT 0x5000
#define IDT 0x6000
#define TSS1 0x7000
#define TSS2 0x7100
#define STACK0 0x9000
#define STACK_T2 0xc000

#define SEL_CODE0 0x08
#define SEL_DATA0 0x10
#define SEL_TSS1 0x18
#define SEL_TSS2 0x20

/* What the #DB handler does to the frame before IRET. */
#define ACT_NONE 0
#define ACT_RF 1     /* set RF in the EFLAGS image (resume an instruction breakpoint) */
#define ACT_SKIP 2   /* return to RESUME (past a faulting instruction) */

#define DR6_BD (1 << 13)
#define DR6_BS (1 << 14)
#define DR7_GD (1 << 13)
#define EFL_TF 0x100
#define EFL_RF 0x10000

/* DR7 value arming breakpoint n locally with rw and len fields. */
#define DR7_BP(n, rw, len) ((1 << (2 * (n))) | ((rw) << (16 + 4 * (n))) | ((len) << (18 + 4 * (n))))
#define RW_EXEC 0
#define RW_W 1
#define RW_IO 2
#define RW_RW 3
/* LEN encodings for 1, 2, 4, 8 bytes. */
#define LEN1 0
#define LEN2 1
#define LEN4 3
#define LEN8 2

.macro SET_DR n, value
    mov $\value, %eax
    mov %eax, %dr\n
.endm

.macro DB_RESET action
    movl $0, DB_COUNT
    movl $\action, DB_ACTION
.endm

/* Exactly `count` #DBs since DB_RESET; failure n. */
.macro EXPECT_DB count, n
    cmpl $\count, DB_COUNT
    CHECK e, \n
.endm

/* The first #DB's pushed EIP is label; failure n. */
.macro EXPECT_EIP label, n
    cmpl $\label, DB_EIP
    CHECK e, \n
.endm

/* The first #DB's DR6 & mask == value; failure n. */
.macro EXPECT_DR6 mask, value, n
    mov DB_DR6, %eax
    and $\mask, %eax
    cmp $\value, %eax
    CHECK e, \n
.endm

/* One data-breakpoint length case: breakpoint 1 at DATA + 8 + len - 1
 * (aligned down to DATA + 8 by the processor, 18.2.5), write-only. A byte
 * write to its last byte traps (trap: EIP after the MOV), bytes just
 * outside do not, a dword straddling its first byte does, a read does not.
 * QEMU does not align the address down: it gets DATA + 8. */
.macro LEN_CASE len, lenenc, n
    SET_DR 7, 0
    mov $(DATA + 8 + \len - 1), %eax
    cmpl $0, IS_QEMU
    je len_addr\@
    mov $(DATA + 8), %eax
len_addr\@:
    mov %eax, %dr1
    SET_DR 7, DR7_BP(1, RW_W, \lenenc)
    DB_RESET ACT_NONE
    movb $1, DATA + 8 + \len - 1
after_hit\@:
    EXPECT_DB 1, \n
    EXPECT_EIP after_hit\@, (\n + 1)
    EXPECT_DR6 0xf, 2, (\n + 2)
    DB_RESET ACT_NONE
    movb $1, DATA + 8 + \len
    movb $1, DATA + 7
    mov DATA + 8, %eax
    EXPECT_DB 0, (\n + 3)
    movl $0, DATA + 6
    EXPECT_DB 1, (\n + 4)
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
    ZERO32 VARS, 0x1000
    COPY32 rom_gdt, rom_gdt_end, GDT
    TSSDESC32 GDT, SEL_TSS1, TSS1
    TSSDESC32 GDT, SEL_TSS2, TSS2
    lgdt gdt_desc
    IDT_GATE32 IDT, SEL_CODE0, 1, db_handler, 0x8e
    IDT_GATE32 IDT, SEL_CODE0, 6, unexpected, 0x8e
    IDT_GATE32 IDT, SEL_CODE0, 8, unexpected, 0x8e
    IDT_GATE32 IDT, SEL_CODE0, 13, unexpected, 0x8e
    IDT_GATE32 IDT, SEL_CODE0, 14, unexpected, 0x8e
    lidt idt_desc
    mov $SEL_TSS1, %ax
    ltr %ax
    /* QEMU TCG says "TCGTCGTCGTCG" at CPUID 40000000H. */
    mov $0x40000000, %eax
    cpuid
    cmp $0x54474354, %ebx
    jne 1f
    movl $1, IS_QEMU
1:  SAY setup

    /* ---- instruction breakpoint, resumed with RF (18.3.1.1) ---- */
    SET_DR 0, bp_insn
    SET_DR 7, DR7_BP(0, RW_EXEC, LEN1)
    DB_RESET ACT_RF
    movl $0, COUNTER
bp_insn:
    incl COUNTER
    SET_DR 7, 0
    EXPECT_DB 1, 10
    EXPECT_EIP bp_insn, 11
    EXPECT_DR6 0xf, 1, 12
    cmpl $1, COUNTER          /* ran once, after the IRET with RF set */
    CHECK e, 13
    testl $EFL_RF, DB_EFL     /* the image of an instruction-breakpoint #DB has RF = 0 */
    CHECK z, 14
    /* Disabled (L0 = G0 = 0): no #DB. */
    SET_DR 0, bp_insn_call
    SET_DR 7, (DR7_BP(0, RW_EXEC, LEN1) & ~3)
    DB_RESET ACT_NONE
    call bp_insn_call
    EXPECT_DB 0, 15
    SET_DR 7, 0
    SAY execbp

    /* ---- data breakpoints on MOV, every length (18.3.1.2) ---- */
    LEN_CASE 1, LEN1, 20
    LEN_CASE 2, LEN2, 25
    LEN_CASE 4, LEN4, 30
    LEN_CASE 8, LEN8, 35
    /* Read/write breakpoint: a read traps too. */
    SET_DR 1, (DATA + 0x20)
    SET_DR 7, DR7_BP(1, RW_RW, LEN4)
    DB_RESET ACT_NONE
    mov DATA + 0x22, %al
after_read:
    EXPECT_DB 1, 40
    EXPECT_EIP after_read, 41
    EXPECT_DR6 0xf, 2, 42
    testl $EFL_RF, DB_EFL     /* a trap pushes the current RF (0) */
    CHECK z, 43
    SET_DR 7, 0
    SAY databp

    /* ---- a PUSH hitting a write breakpoint on the stack slot ---- */
    lea -4(%esp), %eax
    mov %eax, %dr3
    SET_DR 7, DR7_BP(3, RW_W, LEN4)
    DB_RESET ACT_NONE
    push %eax
after_push:
    pop %ecx
    SET_DR 7, 0
    EXPECT_DB 1, 45
    EXPECT_EIP after_push, 46
    EXPECT_DR6 0xf, 8, 47
    SAY pushbp

    /* ---- REP MOVSB: the trap comes after the iteration that wrote
     * DST + 8, with EIP on the REP MOVSB and ECX counting the rest ---- */
    SET_DR 2, (DST + 8)
    SET_DR 7, DR7_BP(2, RW_W, LEN1)
    DB_RESET ACT_NONE
    mov $SRC, %esi
    mov $DST, %edi
    mov $16, %ecx
rep_insn:
    rep movsb
    SET_DR 7, 0
    EXPECT_DB 1, 50
    EXPECT_EIP rep_insn, 51
    cmpl $7, DB_ECX
    CHECK e, 52
    EXPECT_DR6 0xf, 4, 53
    test %ecx, %ecx           /* and the string completed after the IRET */
    CHECK z, 54
    cmp $(DST + 16), %edi
    CHECK e, 55
    cmpl $0, IS_QEMU
    jne 1f
    testl $EFL_RF, DB_EFL     /* not the last iteration: RF = 1 in the image */
    CHECK nz, 56
1:  SAY repmovs

    /* ---- I/O breakpoint (CR4.DE) ---- */
    cmpl $0, IS_QEMU
    jne 1f
    CR_OR cr4, 8
    SET_DR 2, 0x80
    SET_DR 7, DR7_BP(2, RW_IO, LEN2)
    DB_RESET ACT_NONE
    mov $0x81, %dx
    out %al, %dx
after_out:
    inb $0x70, %al            /* outside the range */
    SET_DR 7, 0
    CR_AND cr4, ~8
    EXPECT_DB 1, 60
    EXPECT_EIP after_out, 61
    EXPECT_DR6 0xf, 4, 62
    SAY iobp
1:

    /* ---- general detect (18.2.4): a fault before the MOV DR, BD set,
     * GD clear in the handler (QEMU 7.2 has no general detect) ---- */
    cmpl $0, IS_QEMU
    jne skip_gd
    SET_DR 7, DR7_GD
    DB_RESET ACT_SKIP
    movl $after_gd, RESUME
gd_insn:
    mov %dr0, %eax
    movl $0xbad, COUNTER      /* skipped by the handler */
after_gd:
    EXPECT_DB 1, 65
    EXPECT_EIP gd_insn, 66
    EXPECT_DR6 DR6_BD, DR6_BD, 67
    testl $EFL_RF, DB_EFL     /* a fault-class #DB: RF = 1 in the image */
    CHECK nz, 64
    testl $DR7_GD, DB_DR7
    CHECK z, 68
    mov %dr7, %eax            /* GD stays clear */
    test $DR7_GD, %eax
    CHECK z, 69
    SAY gd
skip_gd:

    /* ---- single-step across MOV SS (Vol.3A 6.8.3): no trap after MOV
     * SS, one after the next instruction, with BS ---- */
    DB_RESET ACT_NONE
    mov $SEL_DATA0, %eax
    pushf
    orl $EFL_TF, (%esp)
    popf
ss_i1:
    nop
ss_i2:
    mov %ax, %ss
ss_i3:
    nop
ss_i4:
    pushf
ss_i5:
    andl $~EFL_TF, (%esp)
ss_i6:
    popf
ss_i7:
    EXPECT_DB 5, 70
    cmpl $ss_i2, EIP_LOG
    CHECK e, 71
    cmpl $ss_i4, EIP_LOG + 4
    CHECK e, 72
    cmpl $ss_i5, EIP_LOG + 8
    CHECK e, 73
    cmpl $ss_i7, EIP_LOG + 16
    CHECK e, 74
    testl $DR6_BS, DR6_LOG + 4
    CHECK nz, 75
    SAY movsstf

    /* ---- a data breakpoint met by MOV SS is held until after the next
     * instruction ---- */
    movw $SEL_DATA0, SSVAR
    SET_DR 0, SSVAR
    SET_DR 7, DR7_BP(0, RW_RW, LEN2)
    DB_RESET ACT_NONE
    mov SSVAR, %ss
    nop
after_ss_nop:
    SET_DR 7, 0
    EXPECT_DB 1, 80
    EXPECT_DR6 0xf, 1, 82
    cmpl $0, IS_QEMU          /* QEMU 7.2 delivers it right after the MOV SS */
    jne skip_popss
    EXPECT_EIP after_ss_nop, 81
skip_popss:
    /* POP SS holds a single-step trap likewise. (A data breakpoint on the
     * popped slot would also watch the #DB frame pushed right there.) */
    DB_RESET ACT_NONE
    push $SEL_DATA0
    pushf
    orl $EFL_TF, (%esp)
    popf
    nop
    pop %ss
    nop
after_popss_nop:
    pushf
    andl $~EFL_TF, (%esp)
    popf
    cmpl $after_popss_nop, EIP_LOG + 4
    CHECK e, 84
    EXPECT_DB 5, 83
    SAY movssdata

    /* ---- a task switch clears L0-L3 and LE, keeps G0-G3 ---- */
    movl $task2, TSS2 + 0x20
    movl $2, TSS2 + 0x24
    movl $STACK_T2, TSS2 + 0x38
    movl $SEL_CODE0, TSS2 + 0x4c
    movl $SEL_DATA0, TSS2 + 0x48
    movl $SEL_DATA0, TSS2 + 0x50
    movl $SEL_DATA0, TSS2 + 0x54
    movl $SEL_DATA0, TSS2 + 0x58
    movl $SEL_DATA0, TSS2 + 0x5c
    SET_DR 0, 0xfffff0
    SET_DR 1, 0xfffff0
    SET_DR 7, (DR7_BP(0, RW_EXEC, LEN1) | (2 << 2) | 0x100)
    ljmp $SEL_TSS2, $0
    mov %dr7, %eax
    SET_DR 7, 0
    mov TASK2_DR7, %eax       /* LE: cleared by turtles, kept by QEMU */
    and $0xff, %eax
    cmp $8, %eax
    CHECK e, 90
    SAY taskswitch

    SAY pass
    EXIT 0

task2:
    mov %dr7, %eax
    mov %eax, TASK2_DR7
    ljmp $SEL_TSS1, $0

bp_insn_call:
    incl COUNTER
    ret

/* ---- handlers ---- */
db_handler:
    push %eax
    push %ecx
    mov DB_COUNT, %ecx
    cmp $16, %ecx
    jae 2f
    mov 8(%esp), %eax
    mov %eax, EIP_LOG(,%ecx,4)
    mov %dr6, %eax
    mov %eax, DR6_LOG(,%ecx,4)
2:  test %ecx, %ecx
    jnz 1f
    mov %dr6, %eax
    mov %eax, DB_DR6
    mov %dr7, %eax
    mov %eax, DB_DR7
    mov 8(%esp), %eax
    mov %eax, DB_EIP
    mov 16(%esp), %eax
    mov %eax, DB_EFL
    mov (%esp), %eax
    mov %eax, DB_ECX
1:  incl DB_COUNT
    xor %eax, %eax
    mov %eax, %dr6
    cmpl $ACT_RF, DB_ACTION
    jne 1f
    orl $EFL_RF, 16(%esp)
1:  cmpl $ACT_SKIP, DB_ACTION
    jne 1f
    mov RESUME, %eax
    mov %eax, 8(%esp)
1:  pop %ecx
    pop %eax
    iret

unexpected:
    EXIT 99

    .balign 8
rom_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 0x08 ring-0 code */
    .quad 0x00cf93000000ffff /* 0x10 ring-0 data */
    .quad 0                  /* 0x18 TSS1 */
    .quad 0                  /* 0x20 TSS2 */
    ROM_TABLE_DESCRIPTORS 0x27, GDT, IDT

/* Paging from inside a guest: 32-bit paging (4 KiB and 4 MiB pages), PAE
 * paging (2 MiB pages, execute-disable, reserved bits) and 4-level paging
 * (high canonical mappings, 1 GiB pages when CPUID has them). Checks
 * translations, accessed/dirty flags, INVLPG of 4 KiB and large pages, and
 * #PF error codes and CR2. Failure N exits with value N on port 0xf4.
 *
 * Everything the guest touches physically stays below 1 MiB, so the A20
 * gate does not matter. */
#include "guest_sys.h"

#define VARS 0x7000
#define PF_RESUME (VARS + 0x00) /* where the #PF handler returns to */
#define PF_COUNT (VARS + 0x08)
#define PF_ERR (VARS + 0x10)
#define PF_CR2 (VARS + 0x18)
#define STACK_TOP 0x9000
#define IDT32 0xa000
#define IDT64 0xb000

/* Paging structures. */
#define PD32 0x10000
#define PT32_LOW 0x11000  /* identity map of 0-4 MiB */
#define PT32_4M 0x12000   /* linear 0x400000-0x7fffff */
#define PDPT_PAE 0x13000
#define PD_PAE 0x14000
#define PT_PAE 0x15000    /* linear 0x200000-0x3fffff */
#define PML4 0x16000
#define PDPT_LOW 0x17000
#define PD_LOW 0x18000
#define PT_LOW 0x19000    /* linear 0x200000-0x3fffff */
#define PDPT_HIGH 0x1a000 /* linear 0xffffff8000000000 up */
#define PD_HIGH 0x1b000   /* linear 0xffffffff80000000 up */

/* Data pages. */
#define DATA_A 0x30000
#define DATA_B 0x31000
#define CODE_PAGE 0x32000

#define PTE_P 0x1
#define PTE_RW 0x2
#define PTE_A 0x20
#define PTE_D 0x40
#define PTE_PS 0x80
#define PTE_AD 0x60

#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18

/* Check that a paging-structure entry's A and D flags are exactly `ad`. */
.macro CHECK_AD addr, ad, n
    mov \addr, %eax
    and $PTE_AD, %eax
    cmp $\ad, %eax
    CHECK e, \n
.endm

/* Run one instruction that must page-fault; execution resumes after it. */
.macro TRY_PF32 insn:vararg
    TRY_FAULT l, PF_RESUME, PF_COUNT, \insn
.endm

.macro TRY_PF64 insn:vararg
    TRY_FAULT q, PF_RESUME, PF_COUNT, \insn
.endm

/* After TRY_PF*: exactly one #PF with this error code and CR2 (low 32 bits). */
.macro EXPECT_PF err, cr2, n
    EXPECT_FAULT l, PF_COUNT, PF_ERR, \err, PF_CR2, \cr2, \n
.endm

/* Reserved-bit faults: real processors report P=1 with RSVD (SDM Vol.3A
 * 4.7), QEMU 7.2's TCG reports P=0, so P is not compared. */
.macro EXPECT_PF_RSVD err, cr2, n
    cmpl $1, PF_COUNT
    CHECK e, \n
    mov PF_ERR, %eax
    and $~1, %eax
    cmpl $(\err & ~1), %eax
    CHECK e, (\n + 1)
    cmpl $\cr2, PF_CR2
    CHECK e, (\n + 2)
.endm

    .code16
    .text
    .globl _start
_start:
    ENTER_PROTECTED gdt_desc, SEL_CODE32, pm32

    .code32
pm32:
    LOAD_DATA_SEGS SEL_DATA
    mov $STACK_TOP, %esp
    cld
    /* Clear the variables, the structures and the data pages. */
    ZERO32 VARS, 0x1000
    ZERO32 IDT32, 0x2000
    ZERO32 PD32, 0x10000
    ZERO32 DATA_A, 0x3000

    /* #PF gate in both IDTs. */
    IDT_GATE32 IDT32, SEL_CODE32, 14, pf32, 0x8e
    IDT_GATE64 IDT64, SEL_CODE64, 14, pf64, 0x8e, 0
    lidt idt32_desc

/* ---------------- 32-bit paging ---------------- */
    /* Identity map 0-4 MiB with 4 KiB pages. */
    mov $PT32_LOW, %edi
    mov $(PTE_P | PTE_RW), %eax
    mov $1024, %ecx
1:  mov %eax, (%edi)
    add $0x1000, %eax
    add $4, %edi
    loop 1b
    movl $(PT32_LOW | PTE_P | PTE_RW), PD32
    /* 0x400000 -> DATA_A writable, 0x401000 -> DATA_A read-only. */
    movl $(PT32_4M | PTE_P | PTE_RW), PD32 + 1 * 4
    movl $(DATA_A | PTE_P | PTE_RW), PT32_4M
    movl $(DATA_A | PTE_P), PT32_4M + 4
    mov $PD32, %eax
    mov %eax, %cr3
    CR_OR cr0, 0x80010000 /* PG | WP */

    movl $0x12345678, 0x400010
    cmpl $0x12345678, DATA_A + 0x10
    CHECK e, 1
    CHECK_AD PT32_4M, PTE_AD, 2
    /* A on the PDE; its D bit is not used for a table pointer. */
    CHECK_AD PD32+4, PTE_A, 3
    cmpl $0x12345678, 0x401010
    CHECK e, 4
    CHECK_AD PT32_4M+4, PTE_A, 5

    /* Supervisor write to a read-only page with CR0.WP=1. */
    TRY_PF32 movl $1, 0x401020
    EXPECT_PF 0x3, 0x401020, 6
    CHECK_AD PT32_4M+4, PTE_A, 9
    /* Not-present PDE: read, then write. */
    TRY_PF32 movl 0xc00000, %eax
    EXPECT_PF 0x0, 0xc00000, 10
    TRY_PF32 movl %eax, 0xc00004
    EXPECT_PF 0x2, 0xc00004, 13
    /* Not-present PTE. */
    TRY_PF32 movl 0x402000, %eax
    EXPECT_PF 0x0, 0x402000, 16

    /* Remapping a 4 KiB page: INVLPG, then a CR3 reload. */
    movl $0xabcdef01, DATA_B + 0x10
    movl $(DATA_B | PTE_P | PTE_RW), PT32_4M
    invlpg 0x400000
    cmpl $0xabcdef01, 0x400010
    CHECK e, 19
    movl $(DATA_A | PTE_P | PTE_RW), PT32_4M
    mov %cr3, %eax
    mov %eax, %cr3
    cmpl $0x12345678, 0x400010
    CHECK e, 20

    /* 4 MiB page (CR4.PSE): 0x800000-0xbfffff -> 0-4 MiB. */
    CR_OR cr4, 0x10
    movl $(0 | PTE_PS | PTE_P | PTE_RW), PD32 + 2 * 4
    cmpl $0x12345678, 0x800000 + DATA_A + 0x10
    CHECK e, 21
    CHECK_AD PD32+2*4, PTE_A, 22
    movl $0x5a5a5a5a, 0x800000 + DATA_A + 0x14
    cmpl $0x5a5a5a5a, DATA_A + 0x14
    CHECK e, 23
    CHECK_AD PD32+2*4, PTE_AD, 24
    /* INVLPG of another address inside the large page drops all of it. */
    movl $0, PD32 + 2 * 4
    invlpg 0x900000
    TRY_PF32 movl 0x800000 + DATA_A + 0x10, %eax
    EXPECT_PF 0x0, 0x800000+DATA_A+0x10, 25

/* ---------------- PAE paging ---------------- */
    CR_AND cr0, 0x7fffffff
    movl $(PD_PAE | PTE_P), PDPT_PAE
    movl $(0 | PTE_PS | PTE_P | PTE_RW), PD_PAE                 /* 0-2 MiB identity */
    movl $(PT_PAE | PTE_P | PTE_RW), PD_PAE + 1 * 8
    movl $(DATA_A | PTE_P | PTE_RW), PT_PAE                     /* 0x200000 */
    movl $(CODE_PAGE | PTE_P | PTE_RW), PT_PAE + 1 * 8          /* 0x201000, XD below */
    movl $0x80000000, PT_PAE + 1 * 8 + 4
    movl $(CODE_PAGE | PTE_P | PTE_RW), PT_PAE + 2 * 8          /* 0x202000 */
    movl $(DATA_A | PTE_P | PTE_RW), PT_PAE + 3 * 8             /* 0x203000, bit 51 */
    movl $0x00080000, PT_PAE + 3 * 8 + 4
    movl $(DATA_A | PTE_P | PTE_RW), PD_PAE + 2 * 8             /* 0x400000: bit 13 */
    orl $(PTE_PS | 0x2000), PD_PAE + 2 * 8
    mov $PDPT_PAE, %eax
    mov %eax, %cr3
    CR_OR cr4, 0x20
    /* EFER.NXE when CPUID has execute-disable. */
    mov $0x80000001, %eax
    cpuid
    xor %ebx, %ebx
    bt $20, %edx
    jnc 1f
    EFER_OR 0x800
    mov $1, %ebx
1:  mov %ebx, VARS + 0x20 /* NX available */
    CR_OR cr0, 0x80000000

    cmpl $0x12345678, 0x200010
    CHECK e, 30
    movl $0x11112222, 0x200020
    cmpl $0x11112222, DATA_A + 0x20
    CHECK e, 31
    CHECK_AD PT_PAE, PTE_AD, 32
    CHECK_AD PD_PAE+1*8, PTE_A, 33
    CHECK_AD PD_PAE, PTE_A, 34 /* code fetches */
    movl $1, VARS + 0x28
    CHECK_AD PD_PAE, PTE_AD, 35
    /* Not checked: PDPTEs have no accessed flag (SDM Vol.3A 4.4.1), but QEMU
     * 7.2 sets bit 5 in them anyway. */
    /* Reserved bit 51 in a PTE; bit 13 in a 2 MiB PDE. */
    TRY_PF32 movl 0x203000, %eax
    EXPECT_PF_RSVD 0x9, 0x203000, 36
    TRY_PF32 movl %eax, 0x400000
    EXPECT_PF_RSVD 0xb, 0x400000, 39
    /* Not-present PDPTE. */
    TRY_PF32 movl 0x40000000, %eax
    EXPECT_PF 0x0, 0x40000000, 42
    /* Execute-disable. */
    movb $0xc3, CODE_PAGE /* ret */
    mov $0x202000, %eax
    call *%eax
    CHECK_AD PT_PAE+2*8, PTE_A, 45
    cmpl $0, VARS + 0x20
    je 1f
    mov $0x201000, %eax
    TRY_PF32 jmp *%eax
    EXPECT_PF 0x11, 0x201000, 46
    CHECK_AD PT_PAE+1*8, 0, 49
    /* Not-present fetch with NXE: I/D set, P clear. */
    mov $0x204000, %eax
    TRY_PF32 jmp *%eax
    EXPECT_PF 0x10, 0x204000, 50
1:

/* ---------------- 4-level paging ---------------- */
    CR_AND cr0, 0x7fffffff
    movl $(PDPT_LOW | PTE_P | PTE_RW), PML4
    movl $(PDPT_HIGH | PTE_P | PTE_RW), PML4 + 511 * 8
    movl $(PD_LOW | PTE_P | PTE_RW), PDPT_LOW
    movl $(0 | PTE_PS | PTE_P | PTE_RW), PD_LOW                 /* 0-2 MiB identity */
    movl $(PT_LOW | PTE_P | PTE_RW), PD_LOW + 1 * 8
    movl $(DATA_A | PTE_P | PTE_RW), PT_LOW                     /* 0x200000 */
    movl $(DATA_A | PTE_P), PT_LOW + 1 * 8                      /* 0x201000 read-only */
    movl $(DATA_A | PTE_P | PTE_RW), PT_LOW + 2 * 8             /* 0x202000, bit 51 */
    movl $0x00080000, PT_LOW + 2 * 8 + 4
    movl $(PD_HIGH | PTE_P | PTE_RW), PDPT_HIGH + 510 * 8
    movl $(0 | PTE_PS | PTE_P | PTE_RW), PD_HIGH                /* 0xffffffff80000000 -> 0 */
    mov $PML4, %eax
    mov %eax, %cr3
    EFER_OR 0x100 /* LME */
    CR_OR cr0, 0x80000000
    ljmpl $SEL_CODE64, $lm64

    .code64
lm64:
    lidt idt64_desc
    mov $STACK_TOP, %rsp
    movabs $0xffffffff80000000 + DATA_A + 0x10, %rbx
    cmpl $0x12345678, (%rbx)
    CHECK e, 60
    movl $0x33334444, 0x30(%rbx)
    cmpl $0x33334444, DATA_A + 0x40
    CHECK e, 61
    CHECK_AD PML4+511*8, PTE_A, 62
    CHECK_AD PDPT_HIGH+510*8, PTE_A, 63
    CHECK_AD PD_HIGH, PTE_AD, 64
    cmpl $0x33334444, 0x200040
    CHECK e, 65
    CHECK_AD PT_LOW, PTE_A, 66
    /* Faults in long mode. */
    TRY_PF64 movl %eax, 0x201000
    EXPECT_PF 0x3, 0x201000, 67
    TRY_PF64 movl 0x202000, %eax
    EXPECT_PF_RSVD 0x9, 0x202000, 70
    movabs $0xffffff0000000000, %rbx
    TRY_PF64 movl %eax, (%rbx)
    EXPECT_PF 0x2, 0x00000000, 73
    cmpl $0xffffff00, PF_CR2 + 4
    CHECK e, 76
    /* PS in a PML4E is reserved. */
    movq $(PTE_PS | PTE_P | PTE_RW), PML4 + 256 * 8
    movabs $0xffff800000000000, %rbx
    TRY_PF64 movl (%rbx), %eax
    EXPECT_PF_RSVD 0x9, 0x00000000, 77
    /* 1 GiB page when CPUID has it: 0xffffffffc0000000 -> 0. */
    mov $0x80000001, %eax
    cpuid
    bt $26, %edx
    jnc 1f
    movq $(0 | PTE_PS | PTE_P | PTE_RW), PDPT_HIGH + 511 * 8
    movabs $0xffffffffc0000000 + DATA_A + 0x40, %rbx
    cmpl $0x33334444, (%rbx)
    CHECK e, 80
    CHECK_AD PDPT_HIGH+511*8, PTE_A, 81
    movl $0, (%rbx)
    CHECK_AD PDPT_HIGH+511*8, PTE_AD, 82
    /* A 1 GiB page is dropped by INVLPG of any address inside it. */
    movq $0, PDPT_HIGH + 511 * 8
    movabs $0xffffffffd0000000, %rax
    invlpg (%rax)
    TRY_PF64 movl (%rbx), %eax
    EXPECT_PF 0x0, 0xc0030040, 83
1:
    EXIT 0

/* ---------------- #PF handlers: record, skip to PF_RESUME ---------------- */
    .code32
pf32:
    push %eax
    mov 4(%esp), %eax
    mov %eax, PF_ERR
    mov %cr2, %eax
    mov %eax, PF_CR2
    mov PF_RESUME, %eax
    mov %eax, 8(%esp)
    incl PF_COUNT
    pop %eax
    add $4, %esp
    iret

    .code64
pf64:
    push %rax
    mov 8(%rsp), %rax
    mov %rax, PF_ERR
    mov %cr2, %rax
    mov %rax, PF_CR2
    mov PF_RESUME, %rax
    mov %rax, 16(%rsp)
    incl PF_COUNT
    pop %rax
    add $8, %rsp
    iretq

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff /* 32-bit code, flat */
    .quad 0x00cf93000000ffff /* data, flat */
    .quad 0x00af9b000000ffff /* 64-bit code */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
idt32_desc:
    .word 0x7ff
    .long IDT32
idt64_desc:
    .word 0xfff
    .quad IDT64

    .section .reset, "ax"
    .code16
reset:
    jmp _start

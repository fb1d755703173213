/* Mode transitions, each checked and reported on COM1:
 * real -> 16-bit protected -> 32-bit protected -> 32-bit paging (4 MiB
 * page) -> PAE paging -> IA-32e 64-bit mode -> compatibility mode ->
 * IA-32e off (protected) -> 16-bit protected -> real mode again.
 * Failure N exits with value N on port 0xf4. */
#include "guest_sys.h"

#define STACK_TOP 0x8000
#define PD32 0x10000
#define PDPT 0x11000
#define PD_PAE 0x12000
#define PML4 0x13000
#define SCRATCH 0x20000

#define SEL_CODE16 0x08
#define SEL_DATA16 0x10
#define SEL_CODE32 0x18
#define SEL_DATA32 0x20
#define SEL_CODE64 0x28

    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $STACK_TOP, %sp
    SAY real
    /* Real mode: CR0.PE clear, segment arithmetic. */
    mov %cr0, %eax
    test $1, %eax
    CHECK z, 1
    mov $0x1234, %ax
    mov %ax, %es
    movw $0xbeef, %es:0x10
    mov $0x1000, %ax
    mov %ax, %fs
    cmpw $0xbeef, %fs:0x2350 /* 0x1234:0x10 == 0x1000:0x2350 */
    CHECK e, 2

    lgdtl %cs:(gdt_desc - 0xf0000)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmp $SEL_CODE16, $(pm16 - 0xf0000)

pm16:
    /* 16-bit protected mode: code base 0xf0000, data base 0. */
    mov $SEL_DATA16, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov %ax, %es
    SAY prot16
    str %ax
    smsw %ax
    test $1, %ax
    CHECK nz, 3
    ljmpl $SEL_CODE32, $pm32

    .code32
pm32:
    LOAD_DATA_SEGS SEL_DATA32
    mov $STACK_TOP, %esp
    SAY prot32
    /* A 32-bit stack push/pop and a flat access above 1 MiB. */
    movl $0x11223344, 0x200000
    pushl 0x200000
    popl %eax
    cmp $0x11223344, %eax
    CHECK e, 4

    /* ---- 32-bit paging: one 4 MiB identity page, one alias ---- */
    cld
    ZERO32 PD32, 0x4000
    movl $0x00000083, PD32               /* 0-4 MiB, PS */
    movl $0x00000083, PD32 + 4 * 2       /* 8-12 MiB -> 0-4 MiB */
    CR_OR cr4, 0x10                      /* PSE */
    mov $PD32, %eax
    mov %eax, %cr3
    CR_OR cr0, 0x80000000
    movl $0xcafe0001, SCRATCH
    cmpl $0xcafe0001, 0x800000 + SCRATCH
    CHECK e, 5
    SAY paging32
    CR_AND cr0, 0x7fffffff

    /* ---- PAE paging: 2 MiB pages, alias at 1 GiB ---- */
    ZERO32 PDPT, 0x3000
    movl $(PD_PAE | 1), PDPT
    movl $(PD_PAE | 1), PDPT + 8         /* 1-2 GiB: same directory */
    movl $0x83, PD_PAE                   /* 0-2 MiB */
    movl $0x200083, PD_PAE + 8           /* 2-4 MiB */
    CR_OR cr4, 0x20                      /* PAE */
    mov $PDPT, %eax
    mov %eax, %cr3
    CR_OR cr0, 0x80000000
    movl $0xcafe0002, SCRATCH
    cmpl $0xcafe0002, 0x40000000 + SCRATCH
    CHECK e, 6
    SAY pae
    CR_AND cr0, 0x7fffffff

    /* ---- IA-32e mode ---- */
    movl $(PDPT | 3), PML4
    movl $0, PML4 + 4
    movl $(PD_PAE | 3), PDPT
    movl $(PD_PAE | 3), PDPT + 8
    mov $PML4, %eax
    mov %eax, %cr3
    EFER_OR 0x100                        /* LME */
    CR_OR cr0, 0x80000000
    /* Paging on with LME: LMA is set, still in compatibility mode. */
    rdmsr
    test $0x400, %eax
    CHECK nz, 7
    ljmp $SEL_CODE64, $lm64

    .code64
lm64:
    SAY long64
    movabs $0x1122334455667788, %rax
    mov %rax, %rbx
    shr $32, %rbx
    cmp $0x11223344, %ebx
    CHECK e, 8
    /* 64-bit addressing through the 1 GiB alias. */
    movabs $0x40000000 + SCRATCH, %rdi
    movq $0x55aa, (%rdi)
    cmpq $0x55aa, SCRATCH
    CHECK e, 9
    /* To compatibility mode through an indirect far jump (m16:32). */
    ljmpl *compat_ptr

    .code32
compat:
    SAY compat
    mov $0xc0000080, %ecx
    rdmsr
    test $0x400, %eax
    CHECK nz, 10
    /* Leave IA-32e mode: paging off clears LMA, then LME may be cleared. */
    CR_AND cr0, 0x7fffffff
    rdmsr
    test $0x400, %eax
    CHECK z, 11
    and $~0x100, %eax
    wrmsr
    CR_AND cr4, ~0x30
    SAY prot32again
    /* Back to 16-bit protected mode, then real mode. */
    ljmp $SEL_CODE16, $(back16 - 0xf0000)

    .code16
back16:
    LOAD_DATA_SEGS SEL_DATA16
    CR_AND cr0, ~1
    ljmp $0xf000, $(real_again - 0xf0000)
real_again:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov %ax, %es
    mov $STACK_TOP, %sp
    SAY realagain
    /* Real-mode far call and interrupt through the IVT. */
    movw $(int_handler - 0xf0000), 0x80 * 4
    movw $0xf000, 0x80 * 4 + 2
    xor %bx, %bx
    int $0x80
    cmp $0x4242, %bx
    CHECK e, 12
    SAY pass
    EXIT 0

int_handler:
    mov $0x4242, %bx
    iret

    .balign 8
gdt:
    .quad 0
    .quad 0x000f9b0f0000ffff /* 16-bit code, base 0xf0000 */
    .quad 0x000093000000ffff /* 16-bit data, base 0 */
    .quad 0x00cf9b000000ffff /* 32-bit code, flat */
    .quad 0x00cf93000000ffff /* 32-bit data, flat */
    .quad 0x00af9b000000ffff /* 64-bit code */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
compat_ptr:
    .long compat
    .word SEL_CODE32

    .section .reset, "ax"
    .code16
reset:
    jmp _start

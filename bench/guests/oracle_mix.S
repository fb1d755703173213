/* Instruction-mix benchmark guest: real mode -> 64-bit long mode, then a loop
 * whose body mixes the instruction classes the host-oracle tests cover
 * (tests/unit/test_oracle_int.c, _x87.c, _sse.c): about 40% integer (ALU,
 * shifts and rotates, IMUL/DIV, LEA, MOVZX/MOVSX, BT/SETcc/CMOVcc, BSWAP,
 * CALL/RET, loads and stores), 20% x87 (FILD/FLD, arithmetic, FSQRT,
 * FCOMIP, FST/FISTP) and 40% SSE/SSE2 (scalar double, packed single,
 * packed integer, conversions). Operands are reloaded every iteration so that
 * no value drifts into denormals, infinities or NaNs (slow paths that a
 * typical program rarely takes). Exits through isa-debug-exit (0). */
#include "guest.h"
#define ITERATIONS 2000000

#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define DATA 0x200000
#define STACK_TOP 0x80000

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
    mov $STACK_TOP, %esp
    cld
    mov $PML4, %edi
    mov $(3 * 4096 / 4), %ecx
    xor %eax, %eax
    rep stosl
    /* Identity map the first GiB with 2 MiB pages (SDM Vol.3 4.5). */
    movl $(PDPT | 3), PML4
    movl $(PD | 3), PDPT
    mov $PD, %edi
    mov $0x83, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b
    /* CR4: PAE, OSFXSR, OSXMMEXCPT (SSE usable, SDM Vol.3 13.1.3). */
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax
    mov %eax, %cr4
    mov $PML4, %eax
    mov %eax, %cr3
    /* EFER.LME, then paging on: IA-32e mode (SDM Vol.3 10.8.5). */
    mov $0xc0000080, %ecx
    rdmsr
    or $(1 << 8), %eax
    wrmsr
    /* CR0: PG, MP; EM and TS clear so that x87 and SSE run without #NM/#UD. */
    mov %cr0, %eax
    and $~((1 << 2) | (1 << 3)), %eax
    or $((1 << 31) | (1 << 1)), %eax
    mov %eax, %cr0
    ljmp $0x18, $lm64

    .code64
lm64:
    mov $STACK_TOP, %rsp
    fninit
    mov $DATA, %rsi
    movabs $0x3ff4000000000000, %rax   /* 1.25 */
    mov %rax, 48(%rsi)
    movabs $0x400000003fc00000, %rax   /* 1.5f, 2.0f */
    mov %rax, 64(%rsi)
    movabs $0x404000003f400000, %rax   /* 0.75f, 3.0f */
    mov %rax, 72(%rsi)
    movabs $0x3f8000003e800000, %rax   /* 0.25f, 1.0f */
    mov %rax, 80(%rsi)
    mov %rax, 88(%rsi)
    mov $ITERATIONS, %ecx
    xor %eax, %eax
    mov $0x12345678, %ebx
    xor %r9d, %r9d
    pxor %xmm5, %xmm5
    pxor %xmm6, %xmm6
    pxor %xmm7, %xmm7

    .p2align 4
loop:
    /* integer */
    add %rcx, %rax
    xor %rbx, %rax
    rol $5, %rax
    mov %rax, (%rsi)
    imul $31, %rax, %rdx
    add (%rsi), %rdx
    lea 8(%rdx,%rax,2), %r8
    sub %r8, %r9
    adc $3, %r9
    mov %ecx, %edi
    and $0xff, %edi
    mov %edx, 128(%rsi,%rdi,4)
    movzbl %al, %r10d
    movsbq %dl, %r11
    bt $3, %r10
    setc %r12b
    test %r10, %r10
    cmovnz %r11, %r13
    bswap %r13
    shr %cl, %r13
    mov %eax, %r14d
    and $0xffff, %r14d
    inc %r14d
    mov %r14d, 24(%rsi)
    mov %rax, %r15
    xor %edx, %edx
    div %r14d
    mov %r15, %rax
    call leaf
    /* x87: stack balanced over the iteration */
    fildl 24(%rsi)
    fldl 48(%rsi)
    fmul %st(1), %st
    fadd %st(1), %st
    fxch %st(1)
    fld1
    faddp
    fdivp
    fsqrt
    fld %st(0)
    fmul %st(0), %st
    fcomip %st(1), %st
    fstl 32(%rsi)
    fistpl 40(%rsi)
    /* SSE/SSE2 */
    cvtsi2sd %eax, %xmm0
    movsd 48(%rsi), %xmm1
    mulsd %xmm1, %xmm0
    addsd %xmm1, %xmm0
    sqrtsd %xmm1, %xmm3
    divsd %xmm3, %xmm0
    cvttsd2si %xmm0, %edx
    comisd %xmm1, %xmm0
    movaps 64(%rsi), %xmm2
    mulps %xmm2, %xmm2
    addps 80(%rsi), %xmm2
    shufps $0x1b, %xmm2, %xmm2
    movaps %xmm2, 96(%rsi)
    movd %eax, %xmm4
    pshufd $0, %xmm4, %xmm4
    paddd %xmm4, %xmm5
    pmullw %xmm4, %xmm5
    pxor %xmm5, %xmm6
    pcmpeqb %xmm6, %xmm7
    pmovmskb %xmm7, %edx
    punpcklbw %xmm4, %xmm7
    movdqa %xmm6, 112(%rsi)
    shr $1, %ebx
    jnz 2f
    mov $0x12345678, %ebx
2:  dec %ecx
    jnz loop

    /* A digest of the final state, printed on COM1 so that bench/oracle_mix.sh can check that
     * turtles computed what QEMU computed (the figures count only if the work was right). */
    movdqa %xmm0, 1152(%rsi)
    movdqa %xmm5, 1168(%rsi)
    movdqa %xmm7, 1184(%rsi)
    mov %rax, 1200(%rsi)
    mov %r9, 1208(%rsi)
    mov %r13, 1216(%rsi)
    mov %r12, 1224(%rsi)
    mov %rdx, 1232(%rsi)
    xor %r8d, %r8d
    mov $(1240 / 8), %ecx
4:  rol $7, %r8
    xor (%rsi), %r8
    add $8, %rsi
    loop 4b
    mov $COM1, %dx
    mov $digest_label, %rsi
5:  lodsb
    test %al, %al
    jz 6f
    out %al, (%dx)
    jmp 5b
6:  mov $16, %ecx
7:  rol $4, %r8
    mov %r8d, %eax
    and $0xf, %eax
    mov hex_digits(%rax), %al
    out %al, (%dx)
    loop 7b
    mov $'\n', %al
    out %al, (%dx)

    mov $0, %al
    out %al, $DEBUG_EXIT
3:  hlt
    jmp 3b

leaf:
    push %rbx
    lea 1(%rbx), %rbx
    pop %rbx
    ret

digest_label:
    .asciz "oracle_mix: digest "
hex_digits:
    .ascii "0123456789abcdef"

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff  /* 0x08: flat 32-bit code */
    .quad 0x00cf93000000ffff  /* 0x10: flat data */
    .quad 0x00af9b000000ffff  /* 0x18: 64-bit code */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .long gdt

    .section .reset, "ax"
    .code16
reset:
    jmp _start

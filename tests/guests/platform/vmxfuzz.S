/* VMX fuzzing, for the bounded-memory test (tests/boot/bounded-memory.sh):
 * in long mode after VMXON, loop forever:
 *   VMPTRLD a random page of RAM (sometimes VMCLEAR it first, sometimes a
 *   random unaligned or out-of-range address), write a valid VMCS template
 *   (a 64-bit L2 behind EPT), flip bits in or write random values to a few
 *   random fields, point guest RIP at a random byte of RAM, arm the
 *   VMX-preemption timer so that any L2 ends, then VMLAUNCH or VMRESUME.
 * Every VM exit, VM-entry failure, VMfail and L1 exception goes back to the
 * top of the loop; only -turtles-max-insns (or a triple fault that a
 * corrupted EPT let L2 cause, which resets into the same loop) ends it.
 * Random numbers: xorshift64 with a fixed seed, so every run is the same.
 *
 * L1 keeps its tables in the first 2 MiB of RAM; L2's EPT maps guest-
 * physical 0-2 MiB to 2-4 MiB, so L2 never reaches them. Needs -m 64M. */
#include "platform.h"

#define IDT 0x1000
#define GDT 0x5000
#define TSS 0x7000
#define HOST_STACK 0xa000
#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define VMXON_REGION 0x20000
#define TEMPLATE 0x22000          /* (encoding, value) pairs, encoding -1 ends */
#define EPT_PML4 0x30000
#define EPT_PDPT 0x31000
#define EPT_PD 0x32000
#define VARS 0x40000           /* kept across resets: the seed goes on */
#define SEED (VARS + 0)
#define VMPTR (VARS + 8)
#define REVISION (VARS + 16)
#define ITERATIONS (VARS + 24)
#define L2_LOW 0x200000           /* host-physical home of L2's first 2 MiB */

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

/* Append the pair (enc, value) to the template at %rdi; clobbers %rax. */
.macro TPL enc, value
    movq $\enc, (%rdi)
    movq \value, %rax
    mov %rax, 8(%rdi)
    add $16, %rdi
.endm

    .code16
    .text
    .globl _start
_start:
    cli
    PRINT msg
    lgdtl %cs:(boot_gdt_desc - 0xf0000)
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
    mov $HOST_STACK, %esp
    cld
    xor %eax, %eax
    mov $PML4, %edi
    mov $(0x25000 / 4), %ecx
    rep stosl
    movl $(PDPT | 3), PML4
    movl $(PD | 3), PDPT
    mov $PD, %edi
    mov $0x83, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b
    mov %cr4, %eax
    or $0x20, %eax            /* PAE */
    mov %eax, %cr4
    mov $PML4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax           /* LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000020, %eax      /* PG, NE */
    mov %eax, %cr0
    ljmp $0x18, $lm64

    .code64
lm64:
    mov $rom_gdt, %rsi
    mov $GDT, %rdi
    mov $(rom_gdt_end - rom_gdt), %ecx
    rep movsb
    movw $0x67, GDT + SEL_TSS
    movw $TSS, GDT + SEL_TSS + 2
    movb $0x89, GDT + SEL_TSS + 5
    lgdt gdt_desc
    pushq $SEL_CODE
    pushq $reloaded
    lretq
reloaded:
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $HOST_STACK, %rsp
    mov $SEL_TSS, %ax
    ltr %ax
    /* Every exception vector of L1 restarts the loop. */
    mov $IDT, %rdi
    mov $l1_exception, %rax
    mov $32, %ecx
1:  mov %ax, (%rdi)
    movw $SEL_CODE, 2(%rdi)
    movw $0x8e00, 4(%rdi)     /* present 64-bit interrupt gate */
    mov %rax, %rdx
    shr $16, %rdx
    mov %dx, 6(%rdi)
    shr $16, %rdx
    mov %edx, 8(%rdi)
    movl $0, 12(%rdi)
    add $16, %rdi
    loop 1b
    lidt idt_desc
    cmpq $0, SEED
    jne 1f
    movq $0x2545f4914f6cdd1d, %rax
    mov %rax, SEED
1:

    /* IA32_FEATURE_CONTROL, CR4.VMXE, VMXON. */
    mov $0x3a, %ecx
    rdmsr
    test $1, %al
    jnz 1f
    mov $5, %eax
    xor %edx, %edx
    wrmsr
1:  mov %cr4, %rax
    or $0x2000, %rax
    mov %rax, %cr4
    mov $0x480, %ecx
    rdmsr
    and $0x7fffffff, %eax
    mov %eax, REVISION
    mov %eax, VMXON_REGION
    movq $VMXON_REGION, VMPTR
    vmxon VMPTR
    jbe vmx_unavailable

    /* EPT: guest-physical 2 MiB pages identity-mapped over 1 GiB (RWX,
     * WB), except the first, which is host-physical L2_LOW. */
    movq $(EPT_PDPT | 7), EPT_PML4
    movq $(EPT_PD | 7), EPT_PDPT
    mov $EPT_PD, %rdi
    mov $0xb7, %rax
    mov $512, %ecx
1:  mov %rax, (%rdi)
    add $0x200000, %rax
    add $8, %rdi
    loop 1b
    movq $(L2_LOW | 0xb7), EPT_PD

    /* The template. */
    mov $TEMPLATE, %rdi
    mov $0x481, %ecx
    mov $(1 << 6), %ebx                            /* preemption timer */
    call adjust_ctl
    TPL 0x4000, %rax
    mov $0x482, %ecx
    mov $((1 << 7) | (1 << 24) | (1 << 31)), %ebx  /* HLT, uncond. I/O, secondary */
    call adjust_ctl
    TPL 0x4002, %rax
    mov $0x48b, %ecx
    mov $((1 << 1) | (1 << 5)), %ebx               /* EPT, VPID */
    call adjust_ctl
    TPL 0x401e, %rax
    mov $0x483, %ecx
    mov $(1 << 9), %ebx                            /* host address-space size */
    call adjust_ctl
    TPL 0x400c, %rax
    mov $0x484, %ecx
    mov $(1 << 9), %ebx                            /* IA-32e mode guest */
    call adjust_ctl
    TPL 0x4012, %rax
    TPL 0x201a, $(EPT_PML4 | (3 << 3) | 6)
    TPL 0x0000, $1                                 /* VPID */
    TPL 0x2800, $-1                                /* link pointer */
    TPL 0x4004, $0                                 /* exception bitmap */
    TPL 0x482e, $0x20000                           /* preemption timer value */
    mov %cr0, %rax
    TPL 0x6c00, %rax
    TPL 0x6800, %rax
    mov %cr3, %rax
    TPL 0x6c02, %rax
    TPL 0x6802, %rax
    mov %cr4, %rax
    TPL 0x6c04, %rax
    TPL 0x6804, %rax
    TPL 0x0c00, $SEL_DATA
    TPL 0x0c02, $SEL_CODE
    TPL 0x0c04, $SEL_DATA
    TPL 0x0c06, $SEL_DATA
    TPL 0x0c08, $SEL_DATA
    TPL 0x0c0a, $SEL_DATA
    TPL 0x0c0c, $SEL_TSS
    TPL 0x6c06, $0
    TPL 0x6c08, $0
    TPL 0x6c0a, $TSS
    TPL 0x6c0c, $GDT
    TPL 0x6c0e, $IDT
    TPL 0x6c14, $HOST_STACK
    TPL 0x6c16, $vm_exit
    TPL 0x681a, $0x400                             /* guest DR7 */
    TPL 0x681c, $0x100000                          /* guest RSP */
    TPL 0x6820, $2                                 /* guest RFLAGS */
    TPL 0x0802, $SEL_CODE
    TPL 0x4802, $0xffffffff
    TPL 0x4816, $0xa09b
    .irp seg, 0x0800, 0x0804, 0x0806, 0x0808, 0x080a
    TPL \seg, $SEL_DATA
    TPL (\seg + 0x4000), $0xffffffff
    TPL (\seg + 0x4014), $0xc093
    .endr
    TPL 0x080c, $0
    TPL 0x4820, $0x10000                           /* LDTR unusable */
    TPL 0x080e, $SEL_TSS
    TPL 0x6814, $TSS
    TPL 0x480e, $0x67
    TPL 0x4822, $0x8b
    TPL 0x6816, $GDT
    TPL 0x4810, $(rom_gdt_end - rom_gdt - 1)
    TPL 0x6818, $0
    TPL 0x4812, $0xfff
    TPL 0x4824, $0                                 /* interruptibility */
    TPL 0x4826, $0                                 /* activity: active */
    movq $-1, (%rdi)

fuzz_loop:
    mov $HOST_STACK, %rsp
    incq ITERATIONS
    /* L2's copy of the paging structures and GDT at L2_LOW (L2 may have
     * overwritten them last time). */
    mov $(L2_LOW + PML4), %rdi
    movq $(PDPT | 3), (%rdi)
    movq $(PD | 3), L2_LOW + PDPT
    mov $(L2_LOW + PD), %rdi
    mov $0x83, %eax
    mov $32, %ecx
1:  mov %rax, (%rdi)
    add $0x200000, %rax
    add $8, %rdi
    loop 1b
    mov $rom_gdt, %rsi
    mov $(L2_LOW + GDT), %rdi
    mov $(rom_gdt_end - rom_gdt), %ecx
    rep movsb
    movw $0x67, L2_LOW + GDT + SEL_TSS
    movw $TSS, L2_LOW + GDT + SEL_TSS + 2
    movb $0x8b, L2_LOW + GDT + SEL_TSS + 5

    /* Which VMCS: a random page of RAM above 4 MiB with the revision
     * identifier in it (1 in 16: a random address, which must VMfail). */
    call rand
    mov %rax, %rbx
    and $0x3bff000, %rbx
    add $0x400000, %rbx
    test $0xf00, %eax
    jnz 1f
    mov %rax, %rbx
    ror $13, %rbx
    jmp 2f
1:  mov REVISION, %ecx
    mov %ecx, (%rbx)
2:  mov %rbx, VMPTR
    test $0x30, %al           /* 1 in 4: VMCLEAR it first */
    jnz 3f
    vmclear VMPTR
3:  vmptrld VMPTR
    jbe fuzz_loop

    /* The template, then guest RIP anywhere in RAM. */
    mov $TEMPLATE, %rsi
1:  mov (%rsi), %rdx
    cmp $-1, %rdx
    je 2f
    mov 8(%rsi), %rax
    vmwrite %rax, %rdx
    add $16, %rsi
    jmp 1b
2:  call rand
    and $0x3ffffff, %rax
    mov $0x681e, %rdx
    vmwrite %rax, %rdx

    /* 0-3 mutations: a bit flipped (or a random value written) in a random
     * field of the table below. */
    call rand
    mov %rax, %r12
    and $3, %r12
mutate:
    test %r12, %r12
    jz mutated
    dec %r12
    call rand
    mov %rax, %r13
    xor %edx, %edx
    mov $((fields_end - fields) / 2), %ecx
    div %rcx
    movzwl fields(,%rdx,2), %edx
    call rand
    test $0x40, %r13b
    jz 1f
    mov %rax, %rcx            /* flip bit rand % 64 */
    vmread %rdx, %rax
    btc %rcx, %rax
    vmwrite %rax, %rdx
    jmp mutate
1:  test $0x80, %r13b
    jz 2f
    movzwl %ax, %eax          /* small values reach more interesting checks */
2:  vmwrite %rax, %rdx
    jmp mutate
mutated:
    /* L2 starts with L1's registers: with RAX = 0 the zeros that fill most
     * of RAM ("add %al, (%rax)") run without faulting, like a NOP sled
     * through RAM, until the preemption timer ends it. */
    call rand
    mov %rax, %rcx
    xor %eax, %eax
    test $1, %cl
    jz 1f
    vmresume
    jmp fuzz_loop
1:  vmlaunch
    jmp fuzz_loop

vm_exit:
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    jmp fuzz_loop

l1_exception:
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    jmp fuzz_loop

vmx_unavailable:
    mov $0x3f, %al
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b

/* rax <- the next xorshift64 number (SEED in memory: L2 shares the GPRs). */
rand:
    mov SEED, %rax
    mov %rax, %rcx
    shl $13, %rcx
    xor %rcx, %rax
    mov %rax, %rcx
    shr $7, %rcx
    xor %rcx, %rax
    mov %rax, %rcx
    shl $17, %rcx
    xor %rcx, %rax
    mov %rax, SEED
    ret

/* %eax <- (wanted %ebx | must-be-1) & may-be-1 from capability MSR %ecx. */
adjust_ctl:
    rdmsr
    or %ebx, %eax
    and %edx, %eax
    ret

    .code16
    PRINT_ROUTINE
msg:
    .asciz "vmxfuzz: start\n"

/* The fields mutated: controls, guest state, exit/entry MSR areas, EPTP,
 * VPID, the link pointer, event injection, and host CR0, CR4 and CS (not
 * the host CR3, RSP or IDTR: L1 would reset too often to get anywhere). */
    .p2align 1
fields:
    .word 0x4000, 0x4002, 0x401e, 0x400c, 0x4012, 0x4004, 0x4016, 0x4018, 0x401a
    .word 0x400e, 0x2006, 0x4010, 0x2008, 0x4014, 0x200a, 0x2000, 0x2002, 0x2004
    .word 0x201a, 0x0000, 0x2800, 0x6000, 0x6002, 0x6004, 0x6006, 0x400a, 0x401c
    .word 0x2012, 0x2014, 0x0002, 0x2016, 0x482e, 0x4826, 0x4824, 0x6822, 0x2802
    .word 0x2804, 0x2806, 0x6800, 0x6802, 0x6804, 0x681c, 0x6820, 0x0802, 0x4802
    .word 0x4816, 0x6808, 0x0804, 0x4818, 0x080e, 0x4822, 0x6816, 0x4810, 0x4812
    .word 0x6c00, 0x6c04, 0x0c02
fields_end:

    .p2align 3
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
    .quad 0x00af9b000000ffff /* 0x08 64-bit code */
    .quad 0x00cf93000000ffff /* 0x10 data */
    .quad 0, 0               /* 0x18 TSS */
rom_gdt_end:
gdt_desc:
    .word rom_gdt_end - rom_gdt - 1
    .quad GDT
idt_desc:
    .word 32 * 16 - 1
    .quad IDT

    .section .reset, "ax"
reset:
    jmp _start

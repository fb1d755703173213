/* Benchmark (bench/vmx_exits.sh): the cost of a VM exit/entry round trip.
 * L1 (long mode, VMXON, EPT) runs a 64-bit L2 that executes CPUID in a loop
 * EXITS times (100000); each CPUID exits to L1, which skips it and
 * VMRESUMEs; L2's final HLT exits and L1 passes through isa-debug-exit
 * (value 0). Built from tests/guests/vmx_basic.S's set-up. */
#include "guest.h"

#define GDT 0x5000
#define TSS 0x7000
#define STACK0 0x9000
#define HOST_STACK 0xa000
#define GUEST_STACK 0xb000
#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define VMXON_REGION 0x20000
#define VMCS_REGION 0x21000
#define EPT_PML4 0x30000
#define EPT_PDPT 0x31000
#define EPT_PD 0x32000
#define INVEPT_DESC 0x33000
#define STAGE 0x34000
#define HOLE 0x800000
#define EXITS 100000

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

/* VMCS field encodings (SDM Vol.3C appendix B). */
#define F_VPID 0x0000
#define F_EPTP 0x201a
#define F_LINK 0x2800
#define F_PIN 0x4000
#define F_PROC 0x4002
#define F_EXIT_CTL 0x400c
#define F_ENTRY_CTL 0x4012
#define F_PROC2 0x401e
#define F_INSN_ERROR 0x4400
#define F_REASON 0x4402
#define F_INSN_LEN 0x440c
#define F_GPA 0x2400
#define F_QUAL 0x6400
#define F_ACTIVITY 0x4826
#define F_TIMER 0x482e

.macro FAIL n
    mov $\n, %al
    out %al, $DEBUG_EXIT
8:  hlt
    jmp 8b
.endm

.macro CHECK cond, n
    j\cond 9f
    FAIL \n
9:
.endm

/* VMWRITE field <- value (any operand movq accepts). */
.macro VMW field, value
    movq \value, %rax
    mov $\field, %rdx
    vmwrite %rax, %rdx
.endm

/* %rax <- VMREAD field */
.macro VMR field
    mov $\field, %rdx
    vmread %rdx, %rax
.endm

.macro SAY str
    mov $COM1, %dx
    .irpc ch, \str
    .byte 0xb0
    .ascii "\ch"
    .byte 0xee
    .endr
    .byte 0xb0, 0x0a, 0xee
.endm

    .code16
    .text
    .globl _start
_start:
    cli
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
    mov $STACK0, %esp
    cld
    /* Clear the page tables, VMX regions, EPT and variables. */
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
    or $0x80000020, %eax      /* PG, NE (VMX requires NE) */
    mov %eax, %cr0
    ljmp $0x18, $lm64

    .code64
lm64:
    /* GDT in RAM with a 64-bit TSS: VM entry wants a usable TR. */
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
    mov $STACK0, %rsp
    mov $SEL_TSS, %ax
    ltr %ax
    SAY long64

    /* VMX offered? CPUID.1:ECX.VMX[5] */
    mov $1, %eax
    cpuid
    bt $5, %ecx
    jc have_vmx
    SAY no-vmx
    FAIL 0x3f
have_vmx:
    /* IA32_FEATURE_CONTROL: lock with VMX outside SMX if firmware did not. */
    mov $0x3a, %ecx
    rdmsr
    test $1, %al
    jnz 1f
    mov $5, %eax
    xor %edx, %edx
    wrmsr
1:  mov $0x3a, %ecx
    rdmsr
    test $4, %al
    CHECK nz, 1
    mov %cr4, %rax
    or $0x2000, %rax          /* VMXE */
    mov %rax, %cr4
    /* Revision identifier into both regions. */
    mov $0x480, %ecx
    rdmsr
    and $0x7fffffff, %eax
    mov %eax, VMXON_REGION
    mov %eax, VMCS_REGION
    movq $VMXON_REGION, STAGE + 8
    vmxon STAGE + 8
    CHECK nbe, 2
    movq $VMCS_REGION, STAGE + 8
    vmclear STAGE + 8
    CHECK nbe, 3
    vmptrld STAGE + 8
    CHECK nbe, 4
    SAY vmxon

    /* EPT: identity map of the first GiB in 2 MiB WB pages, RWX, minus
     * HOLE. */
    movq $(EPT_PDPT | 7), EPT_PML4
    movq $(EPT_PD | 7), EPT_PDPT
    mov $EPT_PD, %rdi
    mov $(0xb7), %rax         /* R W X, WB (6 << 3), large */
    mov $512, %ecx
1:  mov %rax, (%rdi)
    add $0x200000, %rax
    add $8, %rdi
    loop 1b

    /* Controls: adjusted by the capability MSRs (allowed-0 / allowed-1). */
    mov $0x481, %ecx
    xor %ebx, %ebx
    call adjust_ctl
    VMW F_PIN, %rax
    mov $0x482, %ecx
    mov $((1 << 7) | (1 << 24) | (1 << 31)), %ebx /* HLT, uncond. I/O, secondary */
    call adjust_ctl
    VMW F_PROC, %rax
    mov $0x48b, %ecx
    mov $((1 << 1) | (1 << 5)), %ebx               /* EPT, VPID */
    call adjust_ctl
    VMW F_PROC2, %rax
    mov $0x483, %ecx
    mov $(1 << 9), %ebx                            /* host address-space size */
    call adjust_ctl
    VMW F_EXIT_CTL, %rax
    mov $0x484, %ecx
    mov $(1 << 9), %ebx                            /* IA-32e mode guest */
    call adjust_ctl
    VMW F_ENTRY_CTL, %rax
    VMW F_EPTP, $(EPT_PML4 | (3 << 3) | 6)
    VMW F_VPID, $1
    VMW F_LINK, $-1

    /* Host state: this CPU as it is, returning to vm_exit. */
    mov %cr0, %rax
    VMW 0x6c00, %rax
    mov %cr3, %rax
    VMW 0x6c02, %rax
    mov %cr4, %rax
    VMW 0x6c04, %rax
    VMW 0x0c00, $SEL_DATA     /* ES */
    VMW 0x0c02, $SEL_CODE     /* CS */
    VMW 0x0c04, $SEL_DATA     /* SS */
    VMW 0x0c06, $SEL_DATA     /* DS */
    VMW 0x0c08, $SEL_DATA     /* FS */
    VMW 0x0c0a, $SEL_DATA     /* GS */
    VMW 0x0c0c, $SEL_TSS      /* TR */
    VMW 0x6c06, $0            /* FS base */
    VMW 0x6c08, $0            /* GS base */
    VMW 0x6c0a, $TSS          /* TR base */
    VMW 0x6c0c, $GDT          /* GDTR base */
    VMW 0x6c0e, $0            /* IDTR base */
    VMW 0x6c14, $HOST_STACK   /* RSP */
    VMW 0x6c16, $vm_exit      /* RIP */

    /* Guest state: a 64-bit L2 with the same paging and flat segments. */
    mov %cr0, %rax
    VMW 0x6800, %rax
    mov %cr3, %rax
    VMW 0x6802, %rax
    mov %cr4, %rax
    VMW 0x6804, %rax
    VMW 0x681a, $0x400        /* DR7 */
    VMW 0x681c, $GUEST_STACK  /* RSP */
    VMW 0x681e, $l2_code      /* RIP */
    VMW 0x6820, $2            /* RFLAGS */
    VMW 0x0802, $SEL_CODE     /* CS selector */
    VMW 0x4802, $0xffffffff   /* CS limit */
    VMW 0x4816, $0xa09b       /* CS access rights: 64-bit code */
    mov $0x0800, %rbx         /* ES, then SS, DS, FS, GS (not CS) */
1:  cmp $0x0802, %rbx
    je 2f
    mov %rbx, %rdx
    mov $SEL_DATA, %rax
    vmwrite %rax, %rdx
    lea 0x4000(%rbx), %rdx    /* limit: 0x4800 + index */
    mov $0xffffffff, %rax
    vmwrite %rax, %rdx
    lea 0x4014(%rbx), %rdx    /* access rights: 0x4814 + index */
    mov $0xc093, %rax
    vmwrite %rax, %rdx
2:  add $2, %rbx
    cmp $0x080c, %rbx
    jb 1b
    VMW 0x080c, $0            /* LDTR: unusable */
    VMW 0x4820, $0x10000
    VMW 0x080e, $SEL_TSS      /* TR: busy 64-bit TSS */
    VMW 0x6814, $TSS
    VMW 0x480e, $0x67
    VMW 0x4822, $0x8b
    VMW 0x6816, $GDT          /* GDTR */
    VMW 0x4810, $(rom_gdt_end - rom_gdt - 1)
    VMW 0x6818, $0            /* IDTR */
    VMW 0x4812, $0xfff

    vmlaunch
    /* Falling through: VMfail. */
    VMR F_INSN_ERROR
    SAY vmlaunch-failed
    FAIL 5

/* L1's exit handler: CPUID -> skip it and resume; HLT -> done. */
vm_exit:
    mov $SEL_DATA, %ax
    VMR F_REASON
    cmp $10, %rax
    je skip_insn
    cmp $12, %rax
    CHECK e, 6
    xor %al, %al
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b

skip_insn:
    VMR 0x681e
    mov %rax, %rbx
    VMR F_INSN_LEN
    add %rax, %rbx
    VMW 0x681e, %rbx
    vmresume
    FAIL 7

/* %eax <- (wanted %ebx | must-be-1) & may-be-1 from capability MSR %ecx. */
adjust_ctl:
    rdmsr
    or %ebx, %eax
    and %edx, %eax
    ret

/* L2: EXITS CPUIDs (r8 counts: L1 leaves it alone), then HLT. */
l2_code:
    mov $EXITS, %r8d
1:  xor %eax, %eax
    cpuid
    dec %r8d
    jnz 1b
    hlt
    FAIL 8

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

    .section .reset, "ax"
    .code16
reset:
    jmp _start

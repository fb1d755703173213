/* Entry of the multiboot v1 test kernel: the header (Multiboot 0.6.96,
 * section 3.1.1) and a stack, then mb_main(magic, info) in C. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* modules page aligned, memory info wanted */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    mov $stack_top, %esp
    push %ebx
    push %eax
    call mb_main
1:  hlt
    jmp 1b

    .bss
    .align 16
    .space 8192
stack_top:
    .section .note.GNU-stack, "", @progbits

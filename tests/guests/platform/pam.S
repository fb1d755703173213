/* The i440FX's PAM shadow modes as firmware uses them (tests/boot/pam.sh;
 * devices/pam_shadow.h). Runs from its 64 KiB ROM at 0xF0000:
 *   0xF0000 (PAM0 bits 5:4), a ROM behind it, marker byte 0xA5 in ROM:
 *     WE only  copy the ROM onto its shadow RAM in place (reads ROM, writes
 *              RAM), write 0x5A to the marker: it still reads 0xA5
 *     RE+WE    the marker reads 0x5A; the code now runs from the copy
 *     RE only  a write of 0x33 is dropped: 0x5A
 *     off      the ROM again: 0xA5; a write of 0x44 is dropped
 *     RE+WE    0x5A
 *   0xC0000 (PAM1 bits 1:0), nothing behind it:
 *     off 0xFF, writes dropped; RE+WE RAM; RE only writes dropped;
 *     WE only reads 0xFF while the write reaches RAM.
 * Exits through isa-debug-exit with 0 (status 1), or with the number of
 * the first check that failed. */
#include "platform.h"

#define PCI_ADDR 0xcf8
#define PAM0 0x59
#define PAM1 0x5a
#define MARKER (marker - 0xf0000)
#define PROBE 0x10 /* offset in 0xC000:0 */

/* PAM register \reg := \value */
.macro PAM reg, value
    mov $\reg, %cl
    mov $\value, %ch
    call set_pam
.endm

/* Byte at \where must be \value, else exit with \code. */
.macro EXPECT where, value, code
    cmpb $\value, \where
    je 1f
    mov $\code, %bl
    jmp failed
1:
.endm

    .code16
    .text
    .globl _start
_start:
    cli
    mov $0xf000, %ax
    mov %ax, %ds
    mov %ax, %es
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7000, %sp
    PRINT start_msg

    PAM PAM0, 0x20
    xor %si, %si
    xor %di, %di
    mov $0x8000, %cx
    cld
    rep movsw
    movb $0x5a, %ds:MARKER
    EXPECT %ds:MARKER, 0xa5, 1
    PAM PAM0, 0x30
    EXPECT %ds:MARKER, 0x5a, 2
    PAM PAM0, 0x10
    movb $0x33, %ds:MARKER
    EXPECT %ds:MARKER, 0x5a, 3
    PAM PAM0, 0x00
    EXPECT %ds:MARKER, 0xa5, 4
    movb $0x44, %ds:MARKER
    PAM PAM0, 0x30
    EXPECT %ds:MARKER, 0x5a, 5
    PRINT bios_area_msg

    mov $0xc000, %ax
    mov %ax, %es
    PAM PAM1, 0x00
    EXPECT %es:PROBE, 0xff, 6
    movb $0x12, %es:PROBE
    EXPECT %es:PROBE, 0xff, 7
    PAM PAM1, 0x03
    EXPECT %es:PROBE, 0x00, 8
    movb $0x12, %es:PROBE
    EXPECT %es:PROBE, 0x12, 9
    PAM PAM1, 0x01
    movb $0x34, %es:PROBE
    EXPECT %es:PROBE, 0x12, 10
    PAM PAM1, 0x02
    EXPECT %es:PROBE, 0xff, 11
    movb $0x56, %es:PROBE
    EXPECT %es:PROBE, 0xff, 12
    PAM PAM1, 0x03
    EXPECT %es:PROBE, 0x56, 13
    PRINT pass_msg
    EXIT16 0

failed:
    PRINT fail_msg
    mov %bl, %al
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b

/* %cl: a PAM register of the host bridge (00:00.0), %ch: its new value
 * (PCI configuration mechanism #1). */
set_pam:
    push %eax
    push %dx
    movzbl %cl, %eax
    and $0xfc, %al
    or $0x80000000, %eax
    mov $PCI_ADDR, %dx
    out %eax, %dx
    mov %cl, %dl
    and $3, %dl
    add $0xfc, %dl
    mov $0x0c, %dh
    mov %ch, %al
    out %al, %dx
    pop %dx
    pop %eax
    ret

    PRINT_ROUTINE
start_msg:
    .asciz "pam: start\n"
bios_area_msg:
    .asciz "pam: 0xF0000 ok (WE copy, RE+WE, RE, off)\n"
pass_msg:
    .asciz "pam: 0xC0000 ok (off, RE+WE, RE, WE)\n"
fail_msg:
    .asciz "pam: FAIL (the check number is the exit value)\n"
marker:
    .byte 0xa5

    .section .reset, "ax"
reset:
    jmp _start

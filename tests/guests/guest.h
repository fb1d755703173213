/* Shared macros for bare-metal test guests (GNU as, AT&T syntax).
 * Pass/fail go through QEMU's isa-debug-exit at port 0xf4: writing V exits
 * with status (V << 1) | 1, so 0 means pass (status 1). */
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

/* 16-bit: print the NUL-terminated string at %si (CS-relative data in ROM). */
.macro PUTS16 label
    mov $\label, %si
    call puts16
.endm

.macro EXIT16 code
    mov $\code, %al
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b
.endm

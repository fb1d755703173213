/* Macros shared by the platform test guests (real mode, 64 KiB ROM at
 * F000:0000). These guests are not run by tests/run-guest.sh: each one has
 * its own script in tests/boot/ because its outcome is not isa-debug-exit. */
#include "../guest.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
/* An NVRAM byte that neither SeaBIOS nor QEMU's pc machine uses. */
#define CMOS_RESET_COUNT 0x5f

/* Print the NUL-terminated string at \label on COM1 (polled; reads through CS). */
.macro PRINT label
    mov $(\label - 0xf0000), %si
    call print_si
.endm

/* Needs to be assembled once per guest: the routine PRINT calls. */
.macro PRINT_ROUTINE
print_si:
    push %ax
    push %dx
    mov $COM1, %dx
1:  cs lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  pop %dx
    pop %ax
    ret
.endm

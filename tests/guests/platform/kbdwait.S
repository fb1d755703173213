/* The PIT interrupts periodically into a masked IRQ 0 while the keyboard's
 * IRQ 1 stays open, then sti; hlt: the CPU waits for a key that no one
 * types while machine time runs. The keyboard line could still wake it, so
 * turtles keeps going; -turtles-max-insns must still end the run (it counts
 * the machine's idle steps; tests/boot/halt-wake.sh). */
#include "guest_sys.h"
    .code16
    .text
    .globl _start
_start:
    cli
    mov $0xfd, %al          /* master: only IRQ 1 (keyboard) unmasked */
    out %al, $0x21
    mov $0xff, %al
    out %al, $0xa1
    /* PIT channel 0, mode 2 (rate generator), about 1 kHz. */
    mov $0x34, %al
    out %al, $0x43
    mov $0xa9, %al
    out %al, $0x40
    mov $0x04, %al
    out %al, $0x40
    SAY kbdwait-halting
    sti
1:  hlt
    jmp 1b

    .section .reset, "ax"
reset:
    jmp _start

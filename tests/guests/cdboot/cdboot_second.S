/* The second boot image of tests/boot/bootindex.sh: cdboot.S with its own
 * line and verdict 0x11 (turtles exits with status 35). Linked at 0:7C00,
 * it also serves as a disk's boot sector once 55 AA ends its 512 bytes. */
#define CDBOOT_VERDICT 0x11
#define CDBOOT_LINE "cdboot: second image running\r\n"
#include "cdboot.S"

/* Image locks shared with QEMU (block_lock.c). */
#ifndef TURTLES_DEVICES_BLOCK_BLOCK_LOCK_H
#define TURTLES_DEVICES_BLOCK_BLOCK_LOCK_H

#include <stdbool.h>
#include <stddef.h>

/* Lock the image open on fd for reading (writable false) or reading and
 * writing. Returns 0, or -1 with one line in err when another process (a
 * turtles or a QEMU) holds the image in a conflicting way. The locks go
 * away when fd is closed. */
int block_lock_image(int fd, bool writable, char *err, size_t errlen);

#endif

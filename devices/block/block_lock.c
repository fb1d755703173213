/* Image locking, compatible with QEMU's.
 *
 * QEMU (block/file-posix.c) takes open-file-description locks (F_OFD_SETLK,
 * so they conflict between two opens in one process too) on single bytes of
 * the image: byte 100 + i while it holds permission i, and byte 200 + i while
 * it refuses to share permission i with others. All are read (shared) locks;
 * a conflict is found by testing whether a write lock could be taken
 * (F_OFD_GETLK). Permission bits: 0 consistent read, 1 write, 2 write
 * unchanged, 3 resize. We take the same bytes with the same meaning, so a
 * QEMU and a turtles see each other's opens:
 * - writable open: holds read, write, write-unchanged, resize; shares only
 *   read and write-unchanged;
 * - read-only open: holds read; shares everything but write (as a QEMU
 *   read-only drive or backing file does).
 * The locks are released when the descriptor is closed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/block/block_lock.h"

enum {
    LOCK_PERM_BASE = 100,
    LOCK_SHARED_BASE = 200,
    PERM_CONSISTENT_READ = 1u << 0,
    PERM_WRITE = 1u << 1,
    PERM_WRITE_UNCHANGED = 1u << 2,
    PERM_RESIZE = 1u << 3,
    PERM_ALL = 0xf,
    PERM_COUNT = 4,
};

static const char *const perm_names[PERM_COUNT] = {
    "consistent read", "write", "write unchanged", "resize",
};

static int lock_byte(int fd, int byte)
{
    struct flock fl = {
        .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1,
    };
    return fcntl(fd, F_OFD_SETLK, &fl);
}

/* 1 when another open file description holds a lock on byte, 0 when not,
 * -1 on error. */
static int byte_taken(int fd, int byte)
{
    struct flock fl = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1,
    };
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
        return -1;
    return fl.l_type != F_UNLCK;
}

int block_lock_image(int fd, bool writable, char *err, size_t errlen)
{
    unsigned perm = writable ? PERM_CONSISTENT_READ | PERM_WRITE | PERM_WRITE_UNCHANGED | PERM_RESIZE
                             : PERM_CONSISTENT_READ;
    unsigned shared = writable ? PERM_CONSISTENT_READ | PERM_WRITE_UNCHANGED
                               : PERM_ALL & ~PERM_WRITE;
    /* Lock first, then test, as QEMU does: two processes opening at the same
     * moment then see each other. F_OFD_GETLK ignores the locks of our own
     * open file description; on a refusal the caller closes fd, which drops
     * what we took. */
    for (int i = 0; i < PERM_COUNT; i++) {
        unsigned p = 1u << i;
        if (((perm & p) && lock_byte(fd, LOCK_PERM_BASE + i) < 0) ||
            (!(shared & p) && lock_byte(fd, LOCK_SHARED_BASE + i) < 0)) {
            if (errno == EINVAL || errno == ENOLCK || errno == EOPNOTSUPP)
                return 0;
            snprintf(err, errlen, "cannot lock the image: %s", strerror(errno));
            return -1;
        }
    }
    for (int i = 0; i < PERM_COUNT; i++) {
        unsigned p = 1u << i;
        int taken = 0;
        const char *what = NULL;
        if ((perm & p) && (taken = byte_taken(fd, LOCK_SHARED_BASE + i)) != 0)
            what = "another process does not share";
        else if (!(shared & p) && (taken = byte_taken(fd, LOCK_PERM_BASE + i)) != 0)
            what = "another process holds";
        if (taken < 0) {
            /* No OFD locks on this file system (some network file systems):
             * go on unlocked, as QEMU does when locking is unsupported. */
            if (errno == EINVAL || errno == ENOLCK || errno == EOPNOTSUPP)
                return 0;
            snprintf(err, errlen, "cannot test the image lock: %s", strerror(errno));
            return -1;
        }
        if (what) {
            snprintf(err, errlen, "image is in use: %s the \"%s\" permission "
                     "(is another turtles or QEMU using it?)", what, perm_names[i]);
            return -1;
        }
    }
    return 0;
}

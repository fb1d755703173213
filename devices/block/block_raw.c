/* A host file as a block backend: raw images, and the file under a qcow2
 * image (growable). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block/block_impl.h"
#include "devices/block/block_lock.h"

struct block_raw {
    struct block_backend bb;
    int fd;
    bool read_only;
    bool growable;
    bool probed;   /* block_raw_set_probed() */
    uint64_t size;
    /* A failed fdatasync leaves pages marked clean that never reached the
     * disk (Linux forgets the error after reporting it once): every later
     * flush fails too, so the guest cannot believe its data is safe. */
    int flush_error;
};

static struct block_raw *raw_of(struct block_backend *bb)
{
    return (struct block_raw *)bb;
}

static int raw_read(struct block_backend *bb, uint64_t off, void *buf, size_t len)
{
    struct block_raw *r = raw_of(bb);
    if (!r->growable && !block_range_ok(r->size, off, len))
        return -EINVAL;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(r->fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0) {
            /* Past the end of a growable file reads as zeros (a qcow2 file
             * whose last cluster was never written out in full); a raw
             * image that shrank under us is an I/O error. */
            if (!r->growable)
                return -EIO;
            memset(p, 0, len);
            return 0;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Would writing len bytes at off make the first sector look like an image
 * format to the next probe? */
static bool changes_probe(struct block_raw *r, uint64_t off, const void *buf, size_t len)
{
    enum { PROBE_BYTES = 512 };
    if (off >= PROBE_BYTES)
        return false;
    uint8_t head[PROBE_BYTES] = {0};
    size_t have = r->size < PROBE_BYTES ? (size_t)r->size : PROBE_BYTES;
    if (raw_read(&r->bb, 0, head, have) < 0)
        return true;   /* cannot tell: refuse rather than risk it */
    size_t n = len < PROBE_BYTES - off ? len : PROBE_BYTES - (size_t)off;
    memcpy(head + off, buf, n);
    return block_probe_format(head, have) != NULL;
}

static int raw_write(struct block_backend *bb, uint64_t off, const void *buf, size_t len)
{
    struct block_raw *r = raw_of(bb);
    if (r->read_only)
        return -EROFS;
    if (!r->growable && !block_range_ok(r->size, off, len))
        return -EINVAL;
    if (r->probed && changes_probe(r, off, buf, len)) {
        block_log(bb, "refused a write that would make the first sector look like an image "
                  "format (give format=raw to allow it)");
        return -EPERM;
    }
    const uint8_t *p = buf;
    uint64_t end = off + len;
    while (len) {
        ssize_t n = pwrite(r->fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    if (end > r->size)
        r->size = end;
    return 0;
}

static int raw_flush(struct block_backend *bb)
{
    struct block_raw *r = raw_of(bb);
    if (r->flush_error)
        return -r->flush_error;
    if (r->read_only)
        return 0;
    while (fdatasync(r->fd) < 0) {
        if (errno == EINTR)
            continue;
        r->flush_error = errno;
        return -errno;
    }
    return 0;
}

static int raw_discard(struct block_backend *bb, uint64_t off, uint64_t len)
{
    struct block_raw *r = raw_of(bb);
    if (r->read_only)
        return -EROFS;
    if (!block_range_ok(r->size, off, len))
        return -EINVAL;
    if (len == 0)
        return 0;
    /* A hole reads as zeros; a file system without hole punching simply
     * keeps the data, which DISCARD allows. */
    if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0 &&
        errno != EOPNOTSUPP && errno != ENOSYS)
        return -errno;
    return 0;
}

static uint64_t raw_length(struct block_backend *bb)
{
    return raw_of(bb)->size;
}

static bool raw_read_only(struct block_backend *bb)
{
    return raw_of(bb)->read_only;
}

static void raw_close(struct block_backend *bb)
{
    struct block_raw *r = raw_of(bb);
    close(r->fd);
    free(r);
}

static struct block_backend *raw_new(int fd, const char *name, bool read_only, bool growable,
                                     char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        block_err(err, errlen, "%s: %s", name, strerror(errno));
        close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        block_err(err, errlen, "%s: is a directory", name);
        close(fd);
        return NULL;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0) {
            block_err(err, errlen, "%s: %s", name, strerror(errno));
            close(fd);
            return NULL;
        }
        size = (uint64_t)end;
    } else if (!S_ISREG(st.st_mode)) {
        block_err(err, errlen, "%s: not a regular file or block device", name);
        close(fd);
        return NULL;
    }
    struct block_raw *r = calloc(1, sizeof *r);
    if (!r) {
        block_err(err, errlen, "%s: out of memory", name);
        close(fd);
        return NULL;
    }
    r->fd = fd;
    r->read_only = read_only;
    r->growable = growable;
    r->size = size;
    r->bb.read = raw_read;
    r->bb.write = raw_write;
    r->bb.flush = raw_flush;
    r->bb.discard = raw_discard;
    r->bb.length = raw_length;
    r->bb.read_only = raw_read_only;
    r->bb.close = raw_close;
    block_set_name(&r->bb, name);
    return &r->bb;
}

struct block_backend *block_raw_open(const char *path, bool read_only, bool growable,
                                     char *err, size_t errlen)
{
    int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        block_err(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct block_backend *bb = raw_new(fd, path, read_only, growable, err, errlen);
    if (!bb)
        return NULL;
    char why[200];
    if (block_lock_image(raw_of(bb)->fd, !read_only, why, sizeof why) < 0) {
        block_err(err, errlen, "%s: %s", path, why);
        raw_close(bb);
        return NULL;
    }
    return bb;
}

struct block_backend *block_raw_from_fd(int fd, const char *name, bool growable,
                                        char *err, size_t errlen)
{
    return raw_new(fd, name, false, growable, err, errlen);
}

void block_raw_set_growable(struct block_backend *bb, bool growable)
{
    raw_of(bb)->growable = growable;
}

void block_raw_set_probed(struct block_backend *bb, bool probed)
{
    raw_of(bb)->probed = probed;
}

/* See loader_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "bios/loader_file.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int loader_file_open(struct loader_file *lf, const char *path, char *err, size_t errlen)
{
    lf->f = NULL;
    lf->size = 0;
    lf->path = path ? path : "(null)";
    if (!path || !*path) {
        snprintf(err, errlen, "no file name given");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    lf->f = f;
    lf->size = (uint64_t)st.st_size;
    return 0;
}

void loader_file_close(struct loader_file *lf)
{
    if (lf->f)
        fclose(lf->f);
    lf->f = NULL;
}

int loader_file_read(struct loader_file *lf, uint64_t offset, void *buf, size_t len, char *err,
                     size_t errlen)
{
    if (offset > lf->size || len > lf->size - offset) {
        snprintf(err, errlen, "%s: truncated (need %llu bytes at offset %llu, file has %llu)",
                 lf->path, (unsigned long long)len, (unsigned long long)offset,
                 (unsigned long long)lf->size);
        return -1;
    }
    if (len == 0)
        return 0;
    if (fseeko(lf->f, (off_t)offset, SEEK_SET) != 0 || fread(buf, 1, len, lf->f) != len) {
        snprintf(err, errlen, "%s: read error at offset %llu", lf->path,
                 (unsigned long long)offset);
        return -1;
    }
    return 0;
}

int loader_file_to_guest(struct loader_file *lf, uint64_t offset, struct physmem *pm,
                         uint64_t paddr, uint64_t len, char *err, size_t errlen)
{
    if (offset > lf->size || len > lf->size - offset) {
        snprintf(err, errlen, "%s: truncated (need %llu bytes at offset %llu, file has %llu)",
                 lf->path, (unsigned long long)len, (unsigned long long)offset,
                 (unsigned long long)lf->size);
        return -1;
    }
    uint8_t buf[65536];
    uint64_t done = 0;
    if (len && fseeko(lf->f, (off_t)offset, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: seek error", lf->path);
        return -1;
    }
    while (done < len) {
        size_t n = len - done < sizeof buf ? (size_t)(len - done) : sizeof buf;
        if (fread(buf, 1, n, lf->f) != n) {
            snprintf(err, errlen, "%s: read error at offset %llu", lf->path,
                     (unsigned long long)(offset + done));
            return -1;
        }
        physmem_write_buf(pm, paddr + done, buf, n);
        done += n;
    }
    return 0;
}

void loader_zero_guest(struct physmem *pm, uint64_t paddr, uint64_t len)
{
    static const uint8_t zeros[4096];
    while (len) {
        size_t n = len < sizeof zeros ? (size_t)len : sizeof zeros;
        physmem_write_buf(pm, paddr, zeros, n);
        paddr += n;
        len -= n;
    }
}

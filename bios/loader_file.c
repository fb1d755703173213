/* See loader_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "bios/loader_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

int loader_read_whole(const char *option, const char *path, uint64_t max_size, uint8_t **data,
                      uint64_t *size, char *err, size_t errlen)
{
    if (max_size == 0 || max_size >= LOADER_FILE_MAX_SIZE)
        max_size = LOADER_FILE_MAX_SIZE - 1;
    *data = NULL;
    *size = 0;
    if (!path || !*path) {
        snprintf(err, errlen, "%s: no file name given", option);
        return -1;
    }
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; the file type
     * is checked before anything is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s '%s': %s", option, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s '%s': %s", option, path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s '%s': %s, not a regular file", option, path,
                 file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s '%s': the file is empty", option, path);
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > max_size) {
        snprintf(err, errlen, "%s '%s': too large (%llu bytes, at most %llu)", option, path,
                 (unsigned long long)st.st_size, (unsigned long long)max_size);
        close(fd);
        return -1;
    }
    uint64_t len = (uint64_t)st.st_size;
    uint8_t *buf = malloc((size_t)len);
    if (!buf) {
        snprintf(err, errlen, "%s '%s': out of host memory for %llu bytes", option, path,
                 (unsigned long long)len);
        close(fd);
        return -1;
    }
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, buf + done, (size_t)(len - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s '%s': %s at offset %llu", option, path,
                     n < 0 ? strerror(errno) : "file shrank while being read",
                     (unsigned long long)done);
            free(buf);
            close(fd);
            return -1;
        }
        done += (uint64_t)n;
    }
    close(fd);
    *data = buf;
    *size = len;
    return 0;
}

void loader_cache_free(struct loader_cache *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->entries[i].option);
        free(c->entries[i].path);
        free(c->entries[i].data);
    }
    c->n = 0;
}

int loader_file_open(struct loader_file *lf, struct loader_cache *cache, const char *option,
                     const char *path, char *err, size_t errlen)
{
    memset(lf, 0, sizeof(*lf));
    lf->path = path ? path : "";
    snprintf(lf->name, sizeof(lf->name), "%s '%s'", option, lf->path);
    if (cache) {
        for (int i = 0; i < cache->n; i++) {
            struct loader_cache_entry *e = &cache->entries[i];
            if (!strcmp(e->path, lf->path) && !strcmp(e->option, option)) {
                lf->data = e->data;
                lf->size = e->size;
                return 0;
            }
        }
    }
    uint8_t *data;
    uint64_t size;
    if (loader_read_whole(option, path, 0, &data, &size, err, errlen) < 0)
        return -1;
    if (cache && cache->n < LOADER_CACHE_MAX) {
        struct loader_cache_entry *e = &cache->entries[cache->n];
        e->option = strdup(option);
        e->path = strdup(lf->path);
        if (e->option && e->path) {
            e->data = data;
            e->size = size;
            cache->n++;
            lf->data = data;
            lf->size = size;
            return 0;
        }
        free(e->option);
        free(e->path);
        e->option = e->path = NULL;
    }
    lf->owned = data;
    lf->data = data;
    lf->size = size;
    return 0;
}

void loader_file_close(struct loader_file *lf)
{
    free(lf->owned);
    lf->owned = NULL;
    lf->data = NULL;
}

static int check_range(struct loader_file *lf, uint64_t offset, uint64_t len, char *err,
                       size_t errlen)
{
    if (offset > lf->size || len > lf->size - offset) {
        snprintf(err, errlen, "%s: truncated (need %llu bytes at offset %llu, file has %llu)",
                 lf->name, (unsigned long long)len, (unsigned long long)offset,
                 (unsigned long long)lf->size);
        return -1;
    }
    return 0;
}

int loader_file_read(struct loader_file *lf, uint64_t offset, void *buf, size_t len, char *err,
                     size_t errlen)
{
    if (check_range(lf, offset, len, err, errlen) < 0)
        return -1;
    if (len)
        memcpy(buf, lf->data + offset, len);
    return 0;
}

int loader_file_to_guest(struct loader_file *lf, uint64_t offset, struct physmem *pm,
                         uint64_t paddr, uint64_t len, char *err, size_t errlen)
{
    if (check_range(lf, offset, len, err, errlen) < 0)
        return -1;
    if (len)
        physmem_write_buf(pm, paddr, lf->data + offset, (size_t)len);
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

/* Scratch files for the boot-loader unit tests (linux_boot, multiboot,
 * direct_boot): a temporary directory per test and files written into it.
 * The loaders read kernels, initrds and modules by path, so the tests
 * write their synthetic images to disk. */
#ifndef TURTLES_TESTS_BOOT_TEST_UTIL_H
#define TURTLES_TESTS_BOOT_TEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define SCRATCH_PATH_MAX 300

/* Create a fresh directory $TMPDIR/<prefix>.XXXXXX (TMPDIR defaults to
 * /tmp) and store its path in dir. */
static inline void scratch_dir_create(char *dir, size_t size, const char *prefix)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, size, "%s/%s.XXXXXX", t ? t : "/tmp", prefix);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static inline void scratch_dir_remove(const char *dir)
{
    char cmd[SCRATCH_PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write len bytes of data to path (an empty file when len is 0). */
static inline void scratch_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (len)
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Write data to a new numbered file in dir and return its path. The paths
 * come from a pool, so that several stay valid at once (a kernel, its
 * initrd and modules). */
static inline const char *scratch_file(const char *dir, const void *data, size_t len)
{
    static char paths[64][SCRATCH_PATH_MAX];
    static int seq;
    char *path = paths[seq % 64];
    snprintf(path, sizeof paths[0], "%s/f%d", dir, seq);
    seq++;
    scratch_write(path, data, len);
    return path;
}

#endif

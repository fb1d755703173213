/* Helpers for the block layer's tests (tests/unit/test_block_*.c): a
 * scratch directory, files of known content, qemu-img/qemu-io runs, and
 * file comparisons. Images are made by Debian's qemu-img (qemu-utils);
 * without it the tests that need it report themselves skipped. */
#ifndef TURTLES_TESTS_BLOCK_TEST_UTIL_H
#define TURTLES_TESTS_BLOCK_TEST_UTIL_H

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "devices/block/block.h"

#define BT_PATH 400
#define BT_SKIP 77   /* ctest's SKIP_RETURN_CODE for unit tests */

static char bt_dir[256];

/* A fresh $TMPDIR/turtles-block.XXXXXX per test (a checked fixture). */
static inline void bt_setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(bt_dir, sizeof bt_dir, "%s/turtles-block.XXXXXX", t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(bt_dir));
}

static inline void bt_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", bt_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A path in the scratch directory (from a pool of 16). */
static inline const char *bt_path(const char *name)
{
    static char paths[16][BT_PATH];
    static int seq;
    char *p = paths[seq++ % 16];
    snprintf(p, BT_PATH, "%s/%s", bt_dir, name);
    return p;
}

static inline bool bt_have_qemu_img(void)
{
    return system("qemu-img --version >/dev/null 2>&1") == 0 &&
           system("qemu-io --version >/dev/null 2>&1") == 0;
}

/* Run a shell command (cwd: the scratch directory); returns its exit status. */
static inline int bt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int bt_sh(const char *fmt, ...)
{
    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd, "cd '%s' && ( ", bt_dir);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    snprintf(cmd + n, sizeof cmd - (size_t)n, " ) >>'%s/log' 2>&1", bt_dir);
    int st = system(cmd);
    return st == -1 ? -1 : WEXITSTATUS(st);
}
#define BT_SH_OK(...) ck_assert_msg(bt_sh(__VA_ARGS__) == 0, "command failed: see log")

/* Byte i of the known pattern of a test disk: distinct per 512-byte
 * sector, so a misplaced sector is noticed. */
static inline uint8_t bt_pattern(uint64_t i, unsigned seed)
{
    uint64_t s = i / 512 * 2654435761u + seed * 40503u;
    return (uint8_t)(s >> 8 ^ i);
}

static inline void bt_write_pattern(const char *path, uint64_t size, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (uint64_t i = 0; i < size; i++)
        fputc(bt_pattern(i, seed), f);
    fclose(f);
}

/* Write len bytes to path (an empty file when len is 0). */
static inline void bt_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (len)
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Read a whole file into memory (*len its size). */
static inline uint8_t *bt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n ? (size_t)n : 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Read the whole disk behind bb and compare with the file at raw_path. */
static inline void bt_assert_same_as_file(struct block_backend *bb, const char *raw_path)
{
    size_t len;
    uint8_t *want = bt_slurp(raw_path, &len);
    ck_assert_uint_eq(block_length(bb), len);
    uint8_t *got = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(block_read(bb, 0, got, len), 0);
    for (size_t i = 0; i < len; i++)
        if (got[i] != want[i])
            ck_abort_msg("byte 0x%zx differs: got 0x%02x, want 0x%02x", i, got[i], want[i]);
    free(got);
    free(want);
}

static inline struct block_backend *bt_open(const char *path, const char *format, bool ro)
{
    char err[512];
    struct block_options o = {.format = format, .read_only = ro};
    struct block_backend *bb = block_open(path, &o, err, sizeof err);
    ck_assert_msg(bb != NULL, "open %s: %s", path, err);
    return bb;
}

/* Open must fail; returns the error line. */
static inline const char *bt_open_fails(const char *path, const struct block_options *o)
{
    static char err[512];
    err[0] = 0;
    struct block_backend *bb = block_open(path, o, err, sizeof err);
    ck_assert_msg(bb == NULL, "open %s succeeded", path);
    ck_assert_msg(err[0] && !strchr(err, '\n'), "error is not one line: '%s'", err);
    return err;
}

/* A small random generator for reproducible write patterns. */
static inline uint64_t bt_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Open, read, write and discard n randomly damaged copies of the image at
 * good (one to four bytes changed, the first mostly within its first hot
 * bytes). Whatever the damage, every call returns 0 or a negative errno,
 * nothing crashes (the sanitizers watch), and a refused open leaves the
 * file as it was. Returns how many damaged images opened. */
static inline unsigned bt_fuzz_image(const char *good, int iterations, size_t hot, uint64_t seed)
{
    size_t n;
    uint8_t *img = bt_slurp(good, &n);
    uint8_t *mut = malloc(n);
    ck_assert_ptr_nonnull(mut);
    unsigned opened = 0;
    static uint8_t buf[128 * 1024];
    for (int it = 0; it < iterations; it++) {
        memcpy(mut, img, n);
        int flips = 1 + (int)(bt_rand(&seed) % 4);
        for (int k = 0; k < flips; k++) {
            size_t at = bt_rand(&seed) % (k == 0 && hot < n ? hot : n);
            mut[at] ^= (uint8_t)(1u << (bt_rand(&seed) % 8));
            if (bt_rand(&seed) % 4 == 0)
                mut[at] = (uint8_t)bt_rand(&seed);
        }
        const char *p = bt_path("fuzz.qcow2");
        bt_write_file(p, mut, n);
        char err[512];
        struct block_options o = {.format = "qcow2"};
        struct block_backend *bb = block_open(p, &o, err, sizeof err);
        if (!bb) {
            ck_assert(err[0] && !strchr(err, '\n'));
            size_t n2;
            uint8_t *after = bt_slurp(p, &n2);
            ck_assert(n2 == n && !memcmp(after, mut, n));
            free(after);
            continue;
        }
        opened++;
        uint64_t len = block_length(bb);
        if (len > sizeof buf)
            len = sizeof buf;
        ck_assert_int_le(block_read(bb, 0, buf, len), 0);
        for (int w = 0; w < 8; w++) {
            uint64_t off = bt_rand(&seed) % (len ? len : 1), wl = 1 + bt_rand(&seed) % 3000;
            if (off + wl > len)
                wl = len - off;
            ck_assert_int_le(block_write(bb, off, buf, wl), 0);
        }
        ck_assert_int_le(block_discard(bb, 0, len), 0);
        if (it % 16 == 0)   /* fdatasync is slow on a busy disk */
            ck_assert_int_le(block_flush(bb), 0);
        block_close(bb);
    }
    free(mut);
    free(img);
    return opened;
}

#endif

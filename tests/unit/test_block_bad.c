/* Bad input to the block layer: each gives block_open one line of error
 * and leaves the file untouched; corruption found while the guest runs
 * gives an error return and a log line. Images come from qcow2_create
 * (no qemu-img needed), then are patched field by field. */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block_test_util.h"
#include "devices/block/block_impl.h"
#include "devices/block/qcow2.h"

/* A valid qcow2 v3 image at path: size bytes, 512-byte clusters, with
 * one byte written every 32 KiB so that it has many L2 tables (each covers
 * 32 KiB) and refcount blocks. */
static void make_image(const char *path, uint64_t size)
{
    bt_write_file(path, "", 0);
    char err[256];
    struct block_backend *f = block_raw_open(path, false, true, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    ck_assert_int_eq(qcow2_create(f, size, 9, NULL, NULL), 0);
    block_close(f);
    struct block_backend *bb = bt_open(path, "qcow2", false);
    for (uint64_t off = 0; off < size; off += 32 * 1024) {
        uint8_t v = (uint8_t)(off >> 15 | 1);
        ck_assert_int_eq(block_write(bb, off, &v, 1), 0);
    }
    ck_assert_int_eq(block_flush(bb), 0);
    block_close(bb);
}

static uint64_t get_be(const char *path, uint64_t off, unsigned bytes)
{
    uint8_t b[8];
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, b, bytes, (off_t)off), (ssize_t)bytes);
    close(fd);
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v = v << 8 | b[i];
    return v;
}

static void put_be(const char *path, uint64_t off, unsigned bytes, uint64_t v)
{
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, b, bytes, (off_t)off), (ssize_t)bytes);
    close(fd);
}

/* Open (read-write) must fail with a line containing want, and the file
 * must be byte-identical afterwards. */
static void assert_refused(const char *path, const char *format, const char *want)
{
    size_t n0, n1;
    uint8_t *before = bt_slurp(path, &n0);
    struct block_options o = {.format = format};
    char err[512] = "";
    struct block_backend *bb = block_open(path, &o, err, sizeof err);
    ck_assert_msg(bb == NULL, "open %s succeeded (expected '%s')", path, want);
    ck_assert_msg(err[0] && !strchr(err, '\n'), "error is not one line: '%s'", err);
    ck_assert_msg(strstr(err, want), "error '%s' does not say '%s'", err, want);
    uint8_t *after = bt_slurp(path, &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert_msg(!memcmp(before, after, n0), "%s changed on a refused open", path);
    free(before);
    free(after);
}

START_TEST(test_files)
{
    struct block_options o = {0};
    ck_assert_ptr_nonnull(strstr(bt_open_fails(bt_path("missing"), &o), "No such file"));
    ck_assert_ptr_nonnull(strstr(bt_open_fails(bt_dir, &o), "directory"));
    o.read_only = true;
    ck_assert_ptr_nonnull(strstr(bt_open_fails(bt_dir, &o), "directory"));
    bt_write_file(bt_path("disk.raw"), "hello", 5);
    assert_refused(bt_path("disk.raw"), "vmdk", "unknown image format 'vmdk'");
    assert_refused(bt_path("disk.raw"), "qcow2", "not a qcow2 image");
    uint8_t vmdk[512] = "KDMV";
    bt_write_file(bt_path("x.vmdk"), vmdk, sizeof vmdk);
    assert_refused(bt_path("x.vmdk"), NULL, "vmdk images are not supported");
    /* format=raw shows any file as it is. */
    struct block_backend *bb = bt_open(bt_path("x.vmdk"), "raw", true);
    ck_assert_uint_eq(block_length(bb), 512);
    block_close(bb);
}
END_TEST

START_TEST(test_truncated)
{
    const char *img = bt_path("t.qcow2");
    make_image(img, 256 * 1024);
    size_t n;
    uint8_t *all = bt_slurp(img, &n);
    bt_write_file(img, all, 60);
    assert_refused(img, NULL, "truncated qcow2 image");
    bt_write_file(img, all, 512);   /* only the header cluster */
    assert_refused(img, NULL, "past the end of the file");
    bt_write_file(img, all, n / 2);   /* tables present, later clusters missing */
    assert_refused(img, NULL, "past the end of the file");
    free(all);
}
END_TEST

START_TEST(test_corrupt_header)
{
    static const struct {
        unsigned off, bytes;
        uint64_t value;
        const char *want;
    } cases[] = {
        {QH_VERSION, 4, 1, "version 1 is not supported"},
        {QH_VERSION, 4, 4, "version 4 is not supported"},
        {QH_CLUSTER_BITS, 4, 8, "cluster_bits 8"},
        {QH_CLUSTER_BITS, 4, 31, "cluster_bits 31"},
        {QH_HEADER_LENGTH, 4, 50, "header length 50"},
        {QH_REFCOUNT_ORDER, 4, 7, "refcount order 7"},
        {QH_CRYPT, 4, 1, "encrypted"},
        {QH_SIZE, 8, 1ull << 60, "disk size"},
        {QH_L1_SIZE, 4, 1, "L1 table of 1 entries"},
        {QH_L1_SIZE, 4, 0x10000000, "L1 table of"},
        {QH_L1_OFFSET, 8, 0x3 * 512 + 8, "misaligned"},
        {QH_L1_OFFSET, 8, 1ull << 40, "past the end of the file"},
        {QH_REFTABLE_OFFSET, 8, 1ull << 40, "past the end of the file"},
        {QH_REFTABLE_CLUSTERS, 4, 0, "refcount table of 0 clusters"},
        {QH_BACKING_OFFSET, 8, 4096, "bad backing file name"},
        {QH_NB_SNAPSHOTS, 4, 1, "snapshot table"},
        {QH_INCOMPAT, 8, QCOW2_INCOMPAT_DIRTY, "dirty bit"},
        {QH_INCOMPAT, 8, QCOW2_INCOMPAT_CORRUPT, "marked corrupt"},
        {QH_INCOMPAT, 8, QCOW2_INCOMPAT_DATA_FILE, "external data file"},
        {QH_INCOMPAT, 8, QCOW2_INCOMPAT_EXTL2, "extended L2"},
        {QH_INCOMPAT, 8, 1ull << 40, "unknown incompatible features 0x10000000000"},
        /* The first extension claims to run past the first cluster. */
        {QH_V3_MIN_LENGTH, 8, 0x12345678ull << 32 | 4096, "runs past the first cluster"},
    };
    const char *good = bt_path("good.qcow2");
    make_image(good, 256 * 1024);
    size_t n;
    uint8_t *img = bt_slurp(good, &n);
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = bt_path("bad.qcow2");
        bt_write_file(p, img, n);
        put_be(p, cases[i].off, cases[i].bytes, cases[i].value);
        assert_refused(p, NULL, cases[i].want);
    }
    /* zstd: the compression-type bit with type 1 in header byte 104 (the
     * header grows to 112 bytes to hold it). */
    const char *p = bt_path("zstd.qcow2");
    bt_write_file(p, img, n);
    put_be(p, QH_HEADER_LENGTH, 4, 112);
    put_be(p, QH_COMPRESSION_TYPE, 1, 1);
    put_be(p, QH_INCOMPAT, 8, QCOW2_INCOMPAT_COMPRESSION);
    assert_refused(p, NULL, "compression type 1 (zstd)");
    /* An unknown header extension is skipped. */
    p = bt_path("ext.qcow2");
    bt_write_file(p, img, n);
    put_be(p, QH_V3_MIN_LENGTH, 8, 0x12345678ull << 32 | 5);
    put_be(p, QH_V3_MIN_LENGTH + 8, 8, 0x4142434445000000ull);
    put_be(p, QH_V3_MIN_LENGTH + 16, 8, 0);
    struct block_backend *ext = bt_open(p, NULL, false);
    uint8_t one;
    ck_assert_int_eq(block_read(ext, 32 * 1024, &one, 1), 0);
    ck_assert_uint_eq(one, 1 | 1);
    block_close(ext);
    /* An old version 2 image: no extensions, the backing file name right
     * after the 72-byte header. */
    p = bt_path("old.qcow2");
    bt_write_file(p, img, n);
    put_be(p, QH_VERSION, 4, 2);
    put_be(p, QH_BACKING_OFFSET, 8, QH_V2_LENGTH);
    put_be(p, QH_BACKING_SIZE, 4, 8);
    put_be(p, QH_V2_LENGTH, 8, 0x626173652e726177ull);   /* "base.raw" */
    uint8_t base[64 * 1024];
    memset(base, 0x42, sizeof base);
    bt_write_file(bt_path("base.raw"), base, sizeof base);
    struct block_backend *old = bt_open(p, NULL, true);
    ck_assert_int_eq(block_read(old, 32 * 1024, &one, 1), 0);   /* written in the image */
    ck_assert_uint_eq(one, 1);
    ck_assert_int_eq(block_read(old, 32 * 1024 + 512, &one, 1), 0);   /* from base.raw */
    ck_assert_uint_eq(one, 0x42);
    block_close(old);
    /* A corrupt-marked image may still be read. */
    bt_write_file(p, img, n);
    put_be(p, QH_INCOMPAT, 8, QCOW2_INCOMPAT_CORRUPT);
    struct block_backend *bb = bt_open(p, NULL, true);
    block_close(bb);
    free(img);
}
END_TEST

START_TEST(test_bad_table_entries)
{
    const char *good = bt_path("good.qcow2");
    make_image(good, 256 * 1024);
    uint64_t l1 = get_be(good, QH_L1_OFFSET, 8), rt = get_be(good, QH_REFTABLE_OFFSET, 8);
    uint64_t l2 = get_be(good, l1, 8) & QCOW2_OFFSET_MASK;
    uint64_t data = get_be(good, l2, 8) & QCOW2_OFFSET_MASK;
    ck_assert_uint_ne(l2, 0);
    ck_assert_uint_ne(data, 0);
    size_t n;
    uint8_t *img = bt_slurp(good, &n);
    static const struct {
        int table;   /* 0 L1, 1 L2, 2 refcount table */
        uint64_t value;
        const char *want;
    } cases[] = {
        {0, QCOW2_OFLAG_COPIED | 1ull << 40, "L1 entry 0 points to an L2 table at 0x10000000000 (past the end"},
        {0, QCOW2_OFLAG_COPIED | 0x1000 | 0x100, "reserved bits"},
        {1, QCOW2_OFLAG_COPIED | 1ull << 40, "(past the end of the file)"},
        {1, QCOW2_OFLAG_COMPRESSED | 1ull << 40, "(past the end of the file)"},
        {1, QCOW2_OFLAG_COPIED | 0x1000 | 0x2, "reserved bits set"},
        {1, QCOW2_OFLAG_COPIED | 0x600, "(the L1 table)"},
        {0, QCOW2_OFLAG_COPIED | 0x200, "points into the refcount table"},
        {2, 1ull << 40, "refcount table entry 0 points to 0x10000000000 (past the end"},
        {2, 0x200 + 8, "reserved bits"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = bt_path("bad.qcow2");
        bt_write_file(p, img, n);
        uint64_t at = cases[i].table == 0 ? l1 : cases[i].table == 1 ? l2 : rt;
        put_be(p, at, 8, cases[i].value);
        assert_refused(p, NULL, cases[i].want);
    }
    /* A data cluster and the header that the refcounts call free. */
    uint64_t rb = get_be(good, rt, 8);
    const char *p0 = bt_path("free.qcow2");
    bt_write_file(p0, img, n);
    put_be(p0, rb + (data / 512) * 2, 2, 0);
    assert_refused(p0, NULL, "a data cluster at");
    bt_write_file(p0, img, n);
    put_be(p0, rb, 2, 0);
    assert_refused(p0, NULL, "the header at 0x0 has refcount 0");
    /* A misaligned table with 4 KiB clusters. */
    const char *p = bt_path("c4k.qcow2");
    bt_write_file(p, "", 0);
    char err[256];
    struct block_backend *f = block_raw_open(p, false, true, err, sizeof err);
    ck_assert_int_eq(qcow2_create(f, 1 << 20, 12, NULL, NULL), 0);
    block_close(f);
    struct block_backend *bb = bt_open(p, NULL, false);
    ck_assert_int_eq(block_write(bb, 0, "x", 1), 0);
    block_close(bb);
    l1 = get_be(p, QH_L1_OFFSET, 8);
    l2 = get_be(p, l1, 8) & QCOW2_OFFSET_MASK;
    size_t n4k;
    uint8_t *c4k = bt_slurp(p, &n4k);
    put_be(p, l1, 8, (l2 + 512) | QCOW2_OFLAG_COPIED);
    assert_refused(p, NULL, "misaligned");
    bt_write_file(p, c4k, n4k);
    data = get_be(p, l2, 8) & QCOW2_OFFSET_MASK;
    put_be(p, l2, 8, (data + 1024) | QCOW2_OFLAG_COPIED);
    assert_refused(p, NULL, "(misaligned)");
    free(c4k);
    free(img);
}
END_TEST

/* A backing chain that loops (an image whose backing file is itself, and
 * two that name each other) ends in one line, not in a hang or a crash. */
START_TEST(test_backing_loops)
{
    char err[256];
    const char *names[][2] = {{"self.qcow2", "self.qcow2"}, {"a.qcow2", "b.qcow2"},
                              {"b.qcow2", "a.qcow2"}};
    for (int i = 0; i < 3; i++) {
        const char *p = bt_path(names[i][0]);
        bt_write_file(p, "", 0);
        struct block_backend *f = block_raw_open(p, false, true, err, sizeof err);
        ck_assert_msg(f != NULL, "%s", err);
        ck_assert_int_eq(qcow2_create(f, 1 << 20, 16, names[i][1], "qcow2"), 0);
        block_close(f);
    }
    struct block_options ro = {.read_only = true};
    ck_assert_ptr_nonnull(strstr(bt_open_fails(bt_path("self.qcow2"), &ro), "deeper than 16"));
    ck_assert_ptr_nonnull(strstr(bt_open_fails(bt_path("a.qcow2"), &ro), "deeper than 16"));
    /* Opened for writing, the image's own lock stops the loop at once. */
    assert_refused(bt_path("self.qcow2"), NULL, "in use");
    /* A missing backing file names both files. */
    const char *p = bt_path("orphan.qcow2");
    bt_write_file(p, "", 0);
    struct block_backend *f = block_raw_open(p, false, true, err, sizeof err);
    ck_assert_int_eq(qcow2_create(f, 1 << 20, 16, "gone.raw", "raw"), 0);
    block_close(f);
    const char *e = bt_open_fails(p, &ro);
    ck_assert_msg(strstr(e, "orphan.qcow2") && strstr(e, "gone.raw") && strstr(e, "No such file"),
                  "%s", e);
}
END_TEST

/* Random damage to the metadata of a small image: whatever open, reads
 * and writes make of it, they return (no crash, no out-of-bounds access
 * under the sanitizers), every result is 0 or a negative errno, and a
 * refused open leaves the file as it was. */
START_TEST(test_fuzzed_images)
{
    const char *good = bt_path("good.qcow2");
    make_image(good, 128 * 1024);
    unsigned opened = bt_fuzz_image(good, 400, 2048, 0x9e3779b97f4a7c15ull);
    /* Most flips hit bytes that matter to nothing (padding, unused
     * entries): a good share of the images still open. */
    ck_assert_uint_gt(opened, 40);
}
END_TEST

static char logged[512];
static int nlogged;

static void capture_log(void *opaque, const char *line)
{
    (void)opaque;
    snprintf(logged, sizeof logged, "%s", line);
    nlogged++;
}

/* Metadata broken after open (here by another program writing the file):
 * the access that finds it fails with -EIO and logs one line; later writes
 * are refused, reads elsewhere still work. */
START_TEST(test_runtime_corruption)
{
    const char *p = bt_path("run.qcow2");
    make_image(p, 1024 * 1024);   /* 32 L2 tables: more than the cache holds */
    uint64_t l1 = get_be(p, QH_L1_OFFSET, 8);
    uint64_t l2 = get_be(p, l1, 8) & QCOW2_OFFSET_MASK;   /* guest 0..32K */
    struct block_options o = {.log = capture_log};
    char err[256];
    struct block_backend *bb = block_open(p, &o, err, sizeof err);
    ck_assert_msg(bb != NULL, "%s", err);
    put_be(p, l2, 8, QCOW2_OFLAG_COPIED | 1ull << 40);
    uint8_t b[16];
    nlogged = 0;
    ck_assert_int_eq(block_read(bb, 0, b, 16), -EIO);
    ck_assert_int_eq(nlogged, 1);
    ck_assert_ptr_nonnull(strstr(logged, "corrupt"));
    ck_assert_ptr_nonnull(strstr(logged, "run.qcow2"));
    ck_assert_int_eq(block_write(bb, 512 * 1024, b, 16), -EIO);
    ck_assert_int_eq(block_read(bb, 512 * 1024, b, 1), 0);
    ck_assert_uint_eq(b[0], 16 | 1);
    block_close(bb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("block_bad");
    TCase *tc = tcase_create("bad");
    tcase_add_checked_fixture(tc, bt_setup, bt_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_files);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_corrupt_header);
    tcase_add_test(tc, test_bad_table_entries);
    tcase_add_test(tc, test_runtime_corruption);
    tcase_add_test(tc, test_backing_loops);
    tcase_add_test(tc, test_fuzzed_images);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

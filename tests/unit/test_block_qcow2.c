/* qcow2 images made by Debian's qemu-img, read and written through
 * devices/block/: versions 2 and 3, compressed clusters, backing files,
 * zero clusters, every refcount width, copy-on-write of clusters shared
 * with an internal snapshot, refcount table growth, discard. After writes
 * qemu-img check must find nothing and qemu-img compare must match a raw
 * file that received the same writes. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdlib.h>
#include <unistd.h>

#include "block_test_util.h"
#include "devices/block/block_fault.h"
#include "devices/block/block_impl.h"

#define MiB (1024u * 1024u)

/* Open the raw twin of an image and an image; apply the same n random
 * writes (byte-granular offsets and lengths up to maxlen) to both. */
static void random_writes(struct block_backend *img, struct block_backend *twin, int n,
                          uint64_t maxlen, uint64_t seed)
{
    uint64_t size = block_length(img);
    ck_assert_uint_eq(size, block_length(twin));
    uint8_t *buf = malloc(maxlen + 512);   /* sector rounding */
    ck_assert_ptr_nonnull(buf);
    for (int i = 0; i < n; i++) {
        uint64_t len = 1 + bt_rand(&seed) % maxlen;
        if (i % 3 == 0)   /* sector-aligned, as disk devices write */
            len = (len + 511) & ~511ull;
        if (len > size)
            len = size;
        uint64_t off = bt_rand(&seed) % (size - len + 1);
        if (i % 3 == 0)
            off &= ~511ull;
        for (uint64_t k = 0; k < len; k++)
            buf[k] = (uint8_t)(bt_rand(&seed) | 1);
        ck_assert_int_eq(block_write(img, off, buf, len), 0);
        ck_assert_int_eq(block_write(twin, off, buf, len), 0);
    }
    free(buf);
    ck_assert_int_eq(block_flush(img), 0);
}

/* qemu-img check finds no error and no leak; compare matches the twin;
 * our own reopen reads the same bytes. */
static void assert_consistent(const char *img, const char *twin)
{
    BT_SH_OK("qemu-img check '%s'", img);
    BT_SH_OK("qemu-img compare -f qcow2 -F raw '%s' '%s'", img, twin);
    struct block_backend *bb = bt_open(img, NULL, true);
    bt_assert_same_as_file(bb, twin);
    block_close(bb);
}

START_TEST(test_read_versions)
{
    /* A size that is not a whole number of clusters. */
    bt_write_pattern(bt_path("base.raw"), 3 * MiB + 4096 + 512, 1);
    BT_SH_OK("qemu-img convert -O qcow2 base.raw v3.qcow2");
    BT_SH_OK("qemu-img convert -O qcow2 -o compat=0.10 base.raw v2.qcow2");
    BT_SH_OK("qemu-img convert -O qcow2 -o cluster_size=512 base.raw c512.qcow2");
    BT_SH_OK("qemu-img convert -O qcow2 -o cluster_size=2M base.raw c2m.qcow2");
    const char *names[] = {"v3.qcow2", "v2.qcow2", "c512.qcow2", "c2m.qcow2"};
    for (int i = 0; i < 4; i++) {
        struct block_backend *bb = bt_open(bt_path(names[i]), NULL, true);
        ck_assert(block_read_only(bb));
        bt_assert_same_as_file(bb, bt_path("base.raw"));
        /* Unaligned reads across cluster boundaries. */
        uint8_t b[70000];
        ck_assert_int_eq(block_read(bb, 65536 - 7, b, sizeof b), 0);
        for (size_t k = 0; k < sizeof b; k++)
            ck_assert_uint_eq(b[k], bt_pattern(65536 - 7 + k, 1));
        ck_assert_int_eq(block_read(bb, block_length(bb) - 10, b, 11), -EINVAL);
        ck_assert_int_eq(block_write(bb, 0, b, 1), -EROFS);
        block_close(bb);
    }
    /* format=qcow2 given explicitly; format=raw shows the container. */
    struct block_backend *bb = bt_open(bt_path("v3.qcow2"), "qcow2", true);
    block_close(bb);
    bb = bt_open(bt_path("v3.qcow2"), "raw", true);
    uint8_t magic[4];
    ck_assert_int_eq(block_read(bb, 0, magic, 4), 0);
    ck_assert_mem_eq(magic, "QFI\xfb", 4);
    block_close(bb);
}
END_TEST

START_TEST(test_compressed)
{
    bt_write_pattern(bt_path("base.raw"), 2 * MiB, 2);
    /* Half the disk zeros (compresses to almost nothing), half pattern. */
    BT_SH_OK("dd if=/dev/zero of=base.raw bs=64k count=8 seek=4 conv=notrunc status=none");
    BT_SH_OK("qemu-img convert -c -O qcow2 base.raw c.qcow2");
    BT_SH_OK("qemu-img convert -c -O qcow2 -o cluster_size=4096,compat=0.10 base.raw c4k.qcow2");
    BT_SH_OK("cp base.raw twin.raw && cp base.raw twin4k.raw");
    struct block_backend *bb = bt_open(bt_path("c.qcow2"), NULL, true);
    bt_assert_same_as_file(bb, bt_path("base.raw"));
    block_close(bb);
    bb = bt_open(bt_path("c4k.qcow2"), NULL, true);
    bt_assert_same_as_file(bb, bt_path("base.raw"));
    block_close(bb);
    /* Writes into compressed clusters copy them out first. */
    const char *imgs[] = {"c.qcow2", "c4k.qcow2"}, *twins[] = {"twin.raw", "twin4k.raw"};
    for (int i = 0; i < 2; i++) {
        struct block_backend *img = bt_open(bt_path(imgs[i]), NULL, false);
        struct block_backend *twin = bt_open(bt_path(twins[i]), "raw", false);
        random_writes(img, twin, 60, 20000, 11 + i);
        block_close(img);
        block_close(twin);
        assert_consistent(bt_path(imgs[i]), bt_path(twins[i]));
    }
}
END_TEST

START_TEST(test_backing_files)
{
    bt_write_pattern(bt_path("base.raw"), 1 * MiB, 3);
    /* Relative names, resolved against the image's directory (the test's
     * working directory is elsewhere). */
    BT_SH_OK("qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 2M");
    BT_SH_OK("qemu-io -c 'write -P 0xab 512k 64k' -c 'write -P 0xcd 1536k 4k' mid.qcow2");
    BT_SH_OK("qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 2M");
    BT_SH_OK("qemu-io -c 'write -P 0xef 520k 1k' top.qcow2");
    BT_SH_OK("qemu-img convert -O raw top.qcow2 expect.raw");
    ck_assert_int_ne(chdir("/"), -1);
    struct block_backend *bb = bt_open(bt_path("top.qcow2"), NULL, true);
    bt_assert_same_as_file(bb, bt_path("expect.raw"));
    uint8_t b[4];
    ck_assert_int_eq(block_read(bb, 520 * 1024, b, 4), 0);
    ck_assert_uint_eq(b[0], 0xef);
    ck_assert_int_eq(block_read(bb, 600 * 1024, b, 4), 0);
    ck_assert_uint_eq(b[0], bt_pattern(600 * 1024, 3));
    ck_assert_int_eq(block_read(bb, 1536 * 1024 + 4096, b, 4), 0);   /* past the base: zeros */
    ck_assert_uint_eq(b[0], 0);
    block_close(bb);
    /* Writes over backing data: partial clusters merge the backing file. */
    BT_SH_OK("cp expect.raw twin.raw");
    struct block_backend *img = bt_open(bt_path("top.qcow2"), NULL, false);
    struct block_backend *twin = bt_open(bt_path("twin.raw"), "raw", false);
    random_writes(img, twin, 40, 30000, 5);
    block_close(img);
    block_close(twin);
    assert_consistent(bt_path("top.qcow2"), bt_path("twin.raw"));
    /* The backing files were only read. */
    BT_SH_OK("qemu-img check mid.qcow2 && cmp -s base.raw expect.raw || true");
    size_t n;
    uint8_t *base = bt_slurp(bt_path("base.raw"), &n);
    ck_assert_uint_eq(n, 1 * MiB);
    for (size_t i = 0; i < n; i += 4099)
        ck_assert_uint_eq(base[i], bt_pattern(i, 3));
    free(base);
}
END_TEST

START_TEST(test_zero_clusters)
{
    bt_write_pattern(bt_path("base.raw"), 1 * MiB, 4);
    BT_SH_OK("qemu-img convert -O qcow2 base.raw z.qcow2");
    /* Zero clusters with their space kept (-z) and given back (-z -u). */
    BT_SH_OK("qemu-io -c 'write -z 64k 128k' -c 'write -z -u 512k 64k' z.qcow2");
    BT_SH_OK("qemu-img convert -O raw z.qcow2 twin.raw");
    struct block_backend *bb = bt_open(bt_path("z.qcow2"), NULL, false);
    bt_assert_same_as_file(bb, bt_path("twin.raw"));
    uint8_t b[16];
    ck_assert_int_eq(block_read(bb, 100 * 1024, b, 16), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(b[i], 0);
    block_close(bb);
    /* Partial writes into zero clusters: the rest of the cluster stays zero. */
    struct block_backend *img = bt_open(bt_path("z.qcow2"), NULL, false);
    struct block_backend *twin = bt_open(bt_path("twin.raw"), "raw", false);
    uint8_t data[1000];
    memset(data, 0x5a, sizeof data);
    ck_assert_int_eq(block_write(img, 70 * 1024, data, sizeof data), 0);
    ck_assert_int_eq(block_write(twin, 70 * 1024, data, sizeof data), 0);
    ck_assert_int_eq(block_write(img, 520 * 1024, data, sizeof data), 0);
    ck_assert_int_eq(block_write(twin, 520 * 1024, data, sizeof data), 0);
    random_writes(img, twin, 20, 5000, 9);
    block_close(img);
    block_close(twin);
    assert_consistent(bt_path("z.qcow2"), bt_path("twin.raw"));
}
END_TEST

/* Random writes to empty images of every refcount width, with small
 * clusters so that refcount blocks fill and the refcount table grows. */
START_TEST(test_random_writes_refcount_widths)
{
    static const struct {
        const char *opts;
        unsigned size_mib;
    } cases[] = {
        {"compat=0.10", 8},
        {"refcount_bits=1,cluster_size=4096", 8},
        {"refcount_bits=2,cluster_size=512", 4},
        {"refcount_bits=4,cluster_size=1024", 4},
        {"refcount_bits=8", 8},
        {"refcount_bits=16,cluster_size=512", 4},
        {"refcount_bits=32,cluster_size=2048", 8},
        {"refcount_bits=64,cluster_size=512", 8},
        {"lazy_refcounts=on", 8},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        BT_SH_OK("rm -f img.qcow2 twin.raw && qemu-img create -q -f qcow2 -o %s img.qcow2 %uM && "
                 "truncate -s %uM twin.raw", cases[i].opts, cases[i].size_mib, cases[i].size_mib);
        struct block_backend *img = bt_open(bt_path("img.qcow2"), NULL, false);
        struct block_backend *twin = bt_open(bt_path("twin.raw"), "raw", false);
        random_writes(img, twin, 50, 40000, 100 + i);
        /* One big write over the whole disk: allocates every cluster. */
        if (i == 7) {
            uint64_t size = block_length(img);
            uint8_t *all = malloc(size);
            ck_assert_ptr_nonnull(all);
            for (uint64_t k = 0; k < size; k++)
                all[k] = bt_pattern(k, 7);
            ck_assert_int_eq(block_write(img, 0, all, size), 0);
            ck_assert_int_eq(block_write(twin, 0, all, size), 0);
            free(all);
            random_writes(img, twin, 30, 3000, 8);
        }
        block_close(img);
        block_close(twin);
        assert_consistent(bt_path("img.qcow2"), bt_path("twin.raw"));
    }
}
END_TEST

/* A cluster (and an L2 table) shared with an internal snapshot is copied
 * before it is written: the snapshot keeps the old data. */
START_TEST(test_snapshot_cow)
{
    bt_write_pattern(bt_path("base.raw"), 2 * MiB, 6);
    BT_SH_OK("qemu-img convert -O qcow2 base.raw s.qcow2 && qemu-img snapshot -c snap1 s.qcow2");
    BT_SH_OK("qemu-img convert -c -O qcow2 base.raw sc.qcow2 && qemu-img snapshot -c snap1 sc.qcow2");
    BT_SH_OK("cp base.raw twin.raw && cp base.raw twinc.raw");
    const char *imgs[] = {"s.qcow2", "sc.qcow2"}, *twins[] = {"twin.raw", "twinc.raw"};
    for (int i = 0; i < 2; i++) {
        struct block_backend *img = bt_open(bt_path(imgs[i]), NULL, false);
        struct block_backend *twin = bt_open(bt_path(twins[i]), "raw", false);
        random_writes(img, twin, 80, 40000, 21 + i);
        block_close(img);
        block_close(twin);
        assert_consistent(bt_path(imgs[i]), bt_path(twins[i]));
        BT_SH_OK("rm -f snap.raw && qemu-img convert -l snapshot.name=snap1 -O raw %s snap.raw && "
                 "cmp base.raw snap.raw", imgs[i]);
    }
    /* A second snapshot on top of our writes, more writes, both intact. */
    BT_SH_OK("qemu-img snapshot -c snap2 s.qcow2 && cp twin.raw twin2.raw");
    struct block_backend *img = bt_open(bt_path("s.qcow2"), NULL, false);
    struct block_backend *twin = bt_open(bt_path("twin.raw"), "raw", false);
    random_writes(img, twin, 40, 40000, 33);
    block_close(img);
    block_close(twin);
    assert_consistent(bt_path("s.qcow2"), bt_path("twin.raw"));
    BT_SH_OK("qemu-img convert -l snapshot.name=snap2 -O raw s.qcow2 snap2.raw && cmp twin2.raw snap2.raw");
    BT_SH_OK("qemu-img snapshot -d snap1 s.qcow2 && qemu-img check s.qcow2");
}
END_TEST

START_TEST(test_discard)
{
    bt_write_pattern(bt_path("base.raw"), 1 * MiB, 8);
    BT_SH_OK("qemu-img convert -O qcow2 base.raw d.qcow2 && qemu-img snapshot -c s d.qcow2");
    BT_SH_OK("qemu-img convert -O qcow2 -o compat=0.10 base.raw d2.qcow2");
    struct block_backend *bb = bt_open(bt_path("d.qcow2"), NULL, false);
    /* Whole clusters in [100k, 400k) become zeros; the partial ones at the
     * edges keep their data. */
    ck_assert_int_eq(block_discard(bb, 100 * 1024, 300 * 1024), 0);
    uint8_t b[4];
    ck_assert_int_eq(block_read(bb, 128 * 1024, b, 4), 0);
    ck_assert_uint_eq(b[0] | b[1] | b[2] | b[3], 0);
    ck_assert_int_eq(block_read(bb, 100 * 1024, b, 1), 0);
    ck_assert_uint_eq(b[0], bt_pattern(100 * 1024, 8));
    ck_assert_int_eq(block_discard(bb, 0, block_length(bb)), 0);
    ck_assert_int_eq(block_read(bb, 1000, b, 4), 0);
    ck_assert_uint_eq(b[0] | b[1] | b[2] | b[3], 0);
    ck_assert_int_eq(block_discard(bb, 0, block_length(bb) + 1), -EINVAL);
    ck_assert_int_eq(block_flush(bb), 0);
    block_close(bb);
    BT_SH_OK("qemu-img check d.qcow2");
    BT_SH_OK("qemu-img convert -l snapshot.name=s -O raw d.qcow2 snap.raw && cmp base.raw snap.raw");
    /* Version 2 has no zero clusters: discard keeps the data. */
    bb = bt_open(bt_path("d2.qcow2"), NULL, false);
    ck_assert_int_eq(block_discard(bb, 0, 512 * 1024), 0);
    block_close(bb);
    BT_SH_OK("qemu-img check d2.qcow2 && qemu-img compare d2.qcow2 base.raw");
}
END_TEST

/* A host write that never happens stands for a crash at that point: the
 * guest write stops there. Stopping at each step of a write that creates
 * L2 tables, refcount blocks and a bigger refcount table must leave an
 * image in which qemu-img check finds at most leaked clusters (status 3),
 * never an error, and the data written before intact. */
#define TRACE_MAX 4096
static struct {
    uint64_t offset[TRACE_MAX];
    unsigned long n;
} trace;

static void trace_write(void *opaque, const struct block_fault_record *rec)
{
    (void)opaque;
    if (rec->op == BLOCK_OP_WRITE && trace.n < TRACE_MAX)
        trace.offset[trace.n++] = rec->offset;
}

static int write_with_fault(const char *p, long k)
{
    char err[256];
    struct block_backend *file = block_raw_open(p, false, true, err, sizeof err);
    ck_assert_msg(file != NULL, "%s", err);
    struct block_fault *f = block_fault_new(file, 0);
    struct block_backend *bb = block_qcow2_open(&f->bb, p, false, NULL, 0, err, sizeof err);
    ck_assert_msg(bb != NULL, "%s", err);
    if (k >= 0)
        block_fault_arm(f, BLOCK_OP_WRITE, k, -1, EIO);
    trace.n = 0;
    f->on_record = trace_write;
    uint8_t buf[192 * 1024];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = bt_pattern(i, 9);
    int r = block_write(bb, 6 * MiB, buf, sizeof buf);
    block_close(bb);
    return r;
}

START_TEST(test_interrupted_writes)
{
    /* 512-byte clusters with 64-bit refcounts: a refcount block covers
     * 32 KiB and the first refcount table 2 MiB of file, which the
     * prefill almost reaches, so the write below grows the table. */
    BT_SH_OK("qemu-img create -q -f qcow2 -o refcount_bits=64,cluster_size=512 clean.qcow2 8M && "
             "qemu-io -c 'write -P 0x11 0 1900k' clean.qcow2");
    size_t clean_len;
    uint8_t *clean = bt_slurp(bt_path("clean.qcow2"), &clean_len);
    bt_write_file(bt_path("img.qcow2"), clean, clean_len);
    ck_assert_int_eq(write_with_fault(bt_path("img.qcow2"), -1), 0);
    BT_SH_OK("qemu-img check img.qcow2");
    unsigned long total = trace.n, header_at = 0;
    ck_assert_uint_gt(total, 3 * 384);   /* data, refcount and L2 entry per cluster */
    for (unsigned long i = 0; i < total; i++)
        if (trace.offset[i] < 512)
            header_at = i;
    ck_assert_msg(header_at > 24, "the refcount table did not grow");
    /* Each of the first steps (new L2 table, new refcount block), each step
     * around the refcount table switch, then a sample. */
    for (unsigned long k = 0; k < total;) {
        bt_write_file(bt_path("img.qcow2"), clean, clean_len);
        ck_assert_int_eq(write_with_fault(bt_path("img.qcow2"), (long)k), -EIO);
        int st = bt_sh("qemu-img check img.qcow2");
        ck_assert_msg(st == 0 || st == 3, "qemu-img check status %d after stopping at host write %lu",
                      st, k);
        struct block_backend *bb = bt_open(bt_path("img.qcow2"), NULL, true);
        uint8_t b[4096];
        ck_assert_int_eq(block_read(bb, 1900 * 1024 - sizeof b, b, sizeof b), 0);
        for (size_t i = 0; i < sizeof b; i++)
            ck_assert_uint_eq(b[i], 0x11);
        block_close(bb);
        if (k < 8 || (k + 8 >= header_at && k < header_at + 2))
            k++;
        else if (k < header_at - 8)
            k = k + 211 < header_at - 8 ? k + 211 : header_at - 8;
        else
            k += 211;
    }
    free(clean);
}
END_TEST

/* Damaged copies of an image with compressed clusters, an internal
 * snapshot and a backing file (test_block_bad fuzzes a plain one). */
START_TEST(test_fuzzed_images)
{
    bt_write_pattern(bt_path("base.raw"), 256 * 1024, 12);
    BT_SH_OK("qemu-img convert -c -O qcow2 -o cluster_size=4096 base.raw c.qcow2 && "
             "qemu-img snapshot -c s c.qcow2 && "
             "qemu-img create -q -f qcow2 -o cluster_size=4096 -b base.raw -F raw b.qcow2 && "
             "qemu-io -c 'write -P 7 8k 20k' b.qcow2");
    ck_assert_uint_gt(bt_fuzz_image(bt_path("c.qcow2"), 250, 4 * 4096, 5), 20);
    ck_assert_uint_gt(bt_fuzz_image(bt_path("b.qcow2"), 150, 4 * 4096, 6), 20);
}
END_TEST

int main(void)
{
    if (!bt_have_qemu_img()) {
        printf("test_block_qcow2: SKIPPED (qemu-img and qemu-io from qemu-utils are missing)\n");
        return BT_SKIP;
    }
    Suite *s = suite_create("block_qcow2");
    TCase *tc = tcase_create("qcow2");
    tcase_add_checked_fixture(tc, bt_setup, bt_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_read_versions);
    tcase_add_test(tc, test_compressed);
    tcase_add_test(tc, test_backing_files);
    tcase_add_test(tc, test_zero_clusters);
    tcase_add_test(tc, test_random_writes_refcount_widths);
    tcase_add_test(tc, test_snapshot_cow);
    tcase_add_test(tc, test_discard);
    tcase_add_test(tc, test_interrupted_writes);
    tcase_add_test(tc, test_fuzzed_images);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

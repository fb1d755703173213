/* Raw images, image locks (between two opens and against QEMU), the
 * -snapshot overlay, and fault injection through the recording/failing
 * backend (devices/block/block_fault.h). */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block_test_util.h"
#include "devices/block/block_fault.h"
#include "devices/block/block_impl.h"

START_TEST(test_raw_io)
{
    const char *p = bt_path("disk.raw");
    bt_write_pattern(p, 100000, 1);   /* not a whole number of sectors */
    struct block_backend *bb = bt_open(p, NULL, false);
    ck_assert_uint_eq(block_length(bb), 100000);
    ck_assert(!block_read_only(bb));
    uint8_t b[3000];
    ck_assert_int_eq(block_read(bb, 99000, b, 1000), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(b[i], bt_pattern(99000 + i, 1));
    ck_assert_int_eq(block_read(bb, 99001, b, 1000), -EINVAL);
    ck_assert_int_eq(block_read(bb, UINT64_MAX - 10, b, 100), -EINVAL);
    memset(b, 0x77, sizeof b);
    ck_assert_int_eq(block_write(bb, 512 * 3 + 5, b, sizeof b), 0);
    ck_assert_int_eq(block_write(bb, 100000 - 10, b, 11), -EINVAL);
    ck_assert_int_eq(block_flush(bb), 0);
    ck_assert_int_eq(block_discard(bb, 8192, 8192), 0);
    ck_assert_int_eq(block_read(bb, 8192, b, 8192 > sizeof b ? sizeof b : 8192), 0);
    for (size_t i = 0; i < sizeof b; i++)   /* a hole, or the old data */
        ck_assert(b[i] == 0 || b[i] == bt_pattern(8192 + i, 1));
    block_close(bb);
    size_t n;
    uint8_t *f = bt_slurp(p, &n);
    ck_assert_uint_eq(n, 100000);
    ck_assert_uint_eq(f[512 * 3 + 4], bt_pattern(512 * 3 + 4, 1));
    ck_assert_uint_eq(f[512 * 3 + 5], 0x77);
    ck_assert_uint_eq(f[512 * 3 + 5 + 2999], 0x77);
    free(f);
    /* Read-only. */
    bb = bt_open(p, "raw", true);
    ck_assert(block_read_only(bb));
    ck_assert_int_eq(block_write(bb, 0, b, 1), -EROFS);
    ck_assert_int_eq(block_discard(bb, 0, 512), -EROFS);
    ck_assert_int_eq(block_flush(bb), 0);
    block_close(bb);
    /* An empty file is a disk of no sectors. */
    bt_write_file(bt_path("empty"), "", 0);
    bb = bt_open(bt_path("empty"), NULL, false);
    ck_assert_uint_eq(block_length(bb), 0);
    block_close(bb);
}
END_TEST

static int nlog;
static void count_log(void *opaque, const char *line)
{
    (void)opaque;
    (void)line;
    nlog++;
}

/* A probed raw image: the guest cannot write a first sector that the next
 * probe would take for a qcow2 (or other) image; format=raw allows it. */
START_TEST(test_probed_raw_first_sector)
{
    const char *p = bt_path("disk.raw");
    bt_write_pattern(p, 65536, 5);
    char err[256];
    struct block_options o = {.log = count_log};
    struct block_backend *bb = block_open(p, &o, err, sizeof err);
    ck_assert_msg(bb != NULL, "%s", err);
    uint8_t sector[512] = "QFI\xfb\0\0\0\3";
    nlog = 0;
    ck_assert_int_eq(block_write(bb, 0, sector, sizeof sector), -EPERM);
    ck_assert_int_eq(nlog, 1);
    ck_assert_int_eq(block_write(bb, 0, "QFI\xfb", 4), -EPERM);
    ck_assert_int_eq(block_write(bb, 0x40, "\x7f\x10\xda\xbe", 4), -EPERM);   /* vdi */
    ck_assert_int_eq(block_write(bb, 0, "QFI\xfa", 4), 0);
    /* Merged with the bytes already there: "Q" + "FI\xfb" is the magic. */
    ck_assert_int_eq(block_write(bb, 1, "FI\xfb", 3), -EPERM);
    ck_assert_int_eq(block_write(bb, 1, "FI\xfc", 3), 0);
    block_close(bb);
    /* The file never held the qcow2 magic, so it still probes as raw. */
    bb = bt_open(p, NULL, false);
    uint8_t b[4];
    ck_assert_int_eq(block_read(bb, 0, b, 4), 0);
    ck_assert(memcmp(b, "QFI\xfb", 4) != 0);
    block_close(bb);
    bb = bt_open(p, "raw", false);
    ck_assert_int_eq(block_write(bb, 0, sector, sizeof sector), 0);
    block_close(bb);
    /* Now it is a (broken) qcow2 to the probe: refused, not shown as raw. */
    struct block_options probe = {0};
    bt_open_fails(p, &probe);
}
END_TEST

static void assert_locked(const char *p, bool ro)
{
    struct block_options o = {.read_only = ro};
    const char *err = bt_open_fails(p, &o);
    ck_assert_msg(strstr(err, "in use"), "unexpected error '%s'", err);
}

START_TEST(test_locks)
{
    const char *p = bt_path("disk.raw");
    bt_write_pattern(p, 65536, 2);
    /* Writer first: no second writer, no reader. OFD locks make this hold
     * within one process too. */
    struct block_backend *w = bt_open(p, NULL, false);
    assert_locked(p, false);
    assert_locked(p, true);
    struct block_options snap = {.snapshot = true};
    ck_assert_ptr_nonnull(strstr(bt_open_fails(p, &snap), "in use"));
    block_close(w);
    /* Readers share; a writer is refused while one reads. */
    struct block_backend *r1 = bt_open(p, NULL, true);
    struct block_backend *r2 = bt_open(p, NULL, true);
    char err[256];
    struct block_backend *s1 = block_open(p, &snap, err, sizeof err);
    ck_assert_msg(s1 != NULL, "%s", err);
    assert_locked(p, false);
    block_close(r1);
    block_close(r2);
    block_close(s1);
    w = bt_open(p, NULL, false);
    block_close(w);
    /* qcow2 images lock their file the same way; a backing file is held
     * as a reader. */
    if (!bt_have_qemu_img())
        return;
    BT_SH_OK("qemu-img create -q -f qcow2 -b disk.raw -F raw top.qcow2");
    w = bt_open(bt_path("top.qcow2"), NULL, false);
    assert_locked(bt_path("top.qcow2"), true);
    assert_locked(p, false);
    struct block_backend *r = bt_open(p, NULL, true);
    block_close(r);
    /* QEMU sees our lock ... */
    ck_assert_int_ne(bt_sh("qemu-img info top.qcow2"), 0);
    ck_assert_int_ne(bt_sh("qemu-io -c 'write 0 512' disk.raw"), 0);
    block_close(w);
    BT_SH_OK("qemu-img info top.qcow2");
    /* ... and we see QEMU's: qemu-io holds the image open for writing
     * until its standard input ends. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);   /* one group: the shell, sleep and qemu-io end together */
        execlp("sh", "sh", "-c", "sleep 20 | qemu-io -f raw \"$0\" >/dev/null 2>&1", p, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    bool refused = false;
    for (int i = 0; i < 300 && !refused; i++) {
        usleep(50000);
        struct block_options o = {0};
        struct block_backend *bb = block_open(p, &o, err, sizeof err);
        if (bb)
            block_close(bb);
        else
            refused = strstr(err, "in use") != NULL;
    }
    kill(-pid, SIGTERM);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(refused, "a writable open beside QEMU's was not refused");
    /* qemu-io may outlive the shell by a moment: wait for its lock to go. */
    for (int i = 0; i < 100; i++) {
        struct block_options o = {0};
        struct block_backend *bb = block_open(p, &o, err, sizeof err);
        if (bb) {
            block_close(bb);
            break;
        }
        usleep(50000);
    }
    w = bt_open(p, NULL, false);
    block_close(w);
}
END_TEST

static unsigned dir_entries(const char *d)
{
    DIR *dir = opendir(d);
    ck_assert_ptr_nonnull(dir);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(dir));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(dir);
    return n;
}

/* -snapshot: the guest sees its writes, the image stays byte-identical,
 * and the overlay file is never visible in the temporary directory. */
static void snapshot_round(const char *img, const char *format)
{
    size_t n0, n1;
    uint8_t *before = bt_slurp(img, &n0);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/tmp", bt_dir);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    setenv("TMPDIR", tmp, 1);
    char err[512];
    struct block_options o = {.format = format, .snapshot = true};
    struct block_backend *bb = block_open(img, &o, err, sizeof err);
    ck_assert_msg(bb != NULL, "%s", err);
    unsetenv("TMPDIR");
    ck_assert_uint_eq(dir_entries(tmp), 0);
    ck_assert(!block_read_only(bb));
    uint64_t size = block_length(bb), seed = 77;
    uint8_t *shadow = malloc(size);
    ck_assert_ptr_nonnull(shadow);
    ck_assert_int_eq(block_read(bb, 0, shadow, size), 0);
    uint8_t buf[9000];
    for (int i = 0; i < 50; i++) {
        uint64_t len = 1 + bt_rand(&seed) % sizeof buf;
        uint64_t off = bt_rand(&seed) % (size - len);
        memset(buf, (int)(i + 1), len);
        ck_assert_int_eq(block_write(bb, off, buf, len), 0);
        memcpy(shadow + off, buf, len);
    }
    ck_assert_int_eq(block_discard(bb, 65536, 65536), 0);
    memset(shadow + 65536, 0, 65536);
    ck_assert_int_eq(block_flush(bb), 0);
    uint8_t *got = malloc(size);
    ck_assert_int_eq(block_read(bb, 0, got, size), 0);
    ck_assert(!memcmp(got, shadow, size));
    block_close(bb);
    uint8_t *after = bt_slurp(img, &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert_msg(!memcmp(before, after, n0), "-snapshot changed the image");
    ck_assert_uint_eq(dir_entries(tmp), 0);
    rmdir(tmp);
    free(before);
    free(after);
    free(got);
    free(shadow);
}

START_TEST(test_snapshot_overlay)
{
    bt_write_pattern(bt_path("disk.raw"), 1 << 20, 3);
    snapshot_round(bt_path("disk.raw"), NULL);
    snapshot_round(bt_path("disk.raw"), "raw");
    if (!bt_have_qemu_img())
        return;
    BT_SH_OK("qemu-img convert -c -O qcow2 disk.raw disk.qcow2");
    snapshot_round(bt_path("disk.qcow2"), NULL);
    BT_SH_OK("qemu-img check disk.qcow2");
}
END_TEST

/* A memory disk behind the recording/failing backend. */
START_TEST(test_fault_backend)
{
    struct block_fault *f = block_fault_new(NULL, 4096);
    struct block_backend *bb = &f->bb;
    uint8_t b[512];
    memset(b, 0xaa, sizeof b);
    ck_assert_int_eq(block_write(bb, 512, b, 512), 0);
    block_fault_arm(f, BLOCK_OP_WRITE, 1, 2, EIO);   /* the 2nd and 3rd writes from now */
    ck_assert_int_eq(block_write(bb, 0, b, 512), 0);
    ck_assert_int_eq(block_write(bb, 0, b, 512), -EIO);
    ck_assert_int_eq(block_write(bb, 0, b, 512), -EIO);
    ck_assert_int_eq(block_write(bb, 0, b, 512), 0);
    block_fault_arm(f, BLOCK_OP_FLUSH, 0, -1, ENOSPC);
    ck_assert_int_eq(block_flush(bb), -ENOSPC);
    ck_assert_int_eq(block_flush(bb), -ENOSPC);
    ck_assert_int_eq(block_read(bb, 4000, b, 512), -EINVAL);
    ck_assert_uint_eq(f->calls[BLOCK_OP_WRITE], 5);
    ck_assert_uint_eq(f->nlog, 8);
    ck_assert_int_eq(f->log[2].op, BLOCK_OP_WRITE);
    ck_assert_int_eq(f->log[2].result, -EIO);
    ck_assert_int_eq(f->log[5].op, BLOCK_OP_FLUSH);
    ck_assert_uint_eq(f->log[0].offset, 512);
    block_close(bb);
}
END_TEST

/* qcow2 over a failing file: every host error comes back to the caller,
 * never a silent success, and the image on disk stays free of errors. */
START_TEST(test_qcow2_host_errors)
{
    if (!bt_have_qemu_img())
        return;
    BT_SH_OK("qemu-img create -q -f qcow2 -o cluster_size=4096 img.qcow2 4M");
    const char *p = bt_path("img.qcow2");
    char err[256];
    uint8_t b[8192];
    memset(b, 0x3c, sizeof b);
    for (int k = 0; k < 12; k++) {
        struct block_backend *file = block_raw_open(p, false, true, err, sizeof err);
        ck_assert_msg(file != NULL, "%s", err);
        struct block_fault *f = block_fault_new(file, 0);
        struct block_backend *bb = block_qcow2_open(&f->bb, p, false, NULL, 0, err, sizeof err);
        ck_assert_msg(bb != NULL, "%s", err);
        /* Fail the k-th host write of a guest write that allocates a new
         * L2 table, refcount entries and data clusters. */
        block_fault_arm(f, BLOCK_OP_WRITE, k, 1, EIO);
        uint64_t off = (uint64_t)k * 300 * 1024 + 1000;
        int r = block_write(bb, off, b, sizeof b);
        bool failed = f->fault[BLOCK_OP_WRITE].fail_after < (long)f->calls[BLOCK_OP_WRITE];
        if (failed)
            ck_assert_int_eq(r, -EIO);
        else
            ck_assert_int_eq(r, 0);
        block_fault_arm(f, BLOCK_OP_FLUSH, 0, 1, EIO);
        ck_assert_int_eq(block_flush(bb), -EIO);
        ck_assert_int_eq(block_flush(bb), 0);
        /* The flush reached the file: the last call the file saw. */
        ck_assert_int_eq(f->log[(f->nlog - 1) % BLOCK_FAULT_LOG].op, BLOCK_OP_FLUSH);
        /* Data written is read from the file each time (no data cache). */
        block_fault_arm(f, BLOCK_OP_READ, 0, 1, EIO);
        if (!failed)
            ck_assert_int_eq(block_read(bb, off, b, 100), -EIO);
        block_close(bb);
        /* An interrupted allocation may leak a cluster (status 3) but
         * never leaves an error (status 2). */
        int st = bt_sh("qemu-img check img.qcow2");
        ck_assert_msg(st == 0 || (failed && st == 3), "qemu-img check: status %d at k=%d", st, k);
        BT_SH_OK("qemu-img check -q -r leaks img.qcow2 >/dev/null; true");
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("block_raw");
    TCase *tc = tcase_create("raw");
    tcase_add_checked_fixture(tc, bt_setup, bt_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_raw_io);
    tcase_add_test(tc, test_locks);
    tcase_add_test(tc, test_probed_raw_first_sector);
    tcase_add_test(tc, test_snapshot_overlay);
    tcase_add_test(tc, test_fault_backend);
    tcase_add_test(tc, test_qcow2_host_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (!bt_have_qemu_img())
        printf("test_block_raw: qemu-img missing: the QEMU parts were skipped\n");
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

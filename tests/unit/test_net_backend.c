/* Tests for the net backend layer (devices/net/net.c) and the pcap filter
 * (devices/net/filter_dump.c) with a recording backend: frames from
 * outside wait in order until delivery, a receiver that cannot take a
 * frame keeps it queued, runts, giants and a full queue are dropped and
 * counted; filter-dump passes frames both ways and writes a pcap file with
 * machine-time stamps, recording a received frame only once the NIC took
 * it. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/net/filter_dump.h"
#include "devices/net/net.h"
#include "net_record.h"

static struct rec_backend rec;
static uint8_t got[8][64];
static size_t got_len[8];
static unsigned ngot, accept_limit;

static bool receiver(void *opaque, const uint8_t *frame, size_t len)
{
    (void)opaque;
    if (ngot >= accept_limit)
        return false;
    memcpy(got[ngot], frame, len < 64 ? len : 64);
    got_len[ngot++] = len;
    return true;
}

static void setup(void)
{
    rec_init(&rec);
    ngot = 0;
    accept_limit = 8;
}

static void teardown(void)
{
    net_backend_destroy(&rec.nb);
}

static void frame(uint8_t *f, size_t len, uint8_t tag)
{
    memset(f, tag, len);
}

START_TEST(test_queue_and_deliver)
{
    uint8_t f[60];
    net_backend_attach(&rec.nb, receiver, NULL);
    for (uint8_t i = 0; i < 3; i++) {
        frame(f, sizeof(f), i);
        net_backend_input(&rec.nb, f, sizeof(f));
    }
    ck_assert_uint_eq(ngot, 0); /* nothing before the turn boundary */
    accept_limit = 2;
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 2);
    ck_assert_uint_eq(rec.nb.queue_len, 1);
    accept_limit = 8;
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 1);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_uint_eq(got[i][0], i); /* in order */
    /* Runts and giants never reach the NIC. */
    net_backend_input(&rec.nb, f, 13);
    uint8_t *big = calloc(1, NET_FRAME_MAX + 1);
    net_backend_input(&rec.nb, big, NET_FRAME_MAX + 1);
    free(big);
    ck_assert_uint_eq(rec.nb.queue_len, 0);
    ck_assert_uint_eq(rec.nb.dropped, 2);
    /* A full queue drops the newest. */
    accept_limit = 0;
    for (unsigned i = 0; i < NET_RX_QUEUE_MAX + 5; i++)
        net_backend_input(&rec.nb, f, sizeof(f));
    ck_assert_uint_eq(rec.nb.queue_len, NET_RX_QUEUE_MAX);
    ck_assert_uint_eq(rec.nb.dropped, 7);
    /* Sending goes to the backend; bad lengths are refused. */
    ck_assert_int_eq(net_send(&rec.nb, f, sizeof(f)), 0);
    ck_assert_int_eq(net_send(&rec.nb, f, 5), -1);
    ck_assert_uint_eq(rec.n, 1);
}
END_TEST

START_TEST(test_no_receiver_drops)
{
    uint8_t f[60] = {0};
    net_backend_input(&rec.nb, f, sizeof(f));
    ck_assert_uint_eq(rec.nb.queue_len, 0);
    ck_assert_uint_eq(rec.nb.dropped, 1);
}
END_TEST

START_TEST(test_filter_dump)
{
    char path[] = "/tmp/turtles-pcap-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct clock clk;
    memset(&clk, 0, sizeof(clk)); /* clock_init leaves turn_elapsed_ns to the caller */
    clock_init(&clk, 0, false);
    char err[128];
    struct net_backend *f = filter_dump_new(&rec.nb, "f0", path, &clk, err, sizeof(err));
    ck_assert_ptr_nonnull(f);
    net_backend_attach(f, receiver, NULL);
    uint8_t out[70], in[80];
    frame(out, sizeof(out), 0xaa);
    frame(in, sizeof(in), 0xbb);
    clock_advance_to(&clk, 1500000000ull); /* 1.5 s */
    ck_assert_int_eq(net_send(f, out, sizeof(out)), 0);
    ck_assert_uint_eq(rec.n, 1);
    ck_assert_uint_eq(rec.len[0], sizeof(out));
    /* A frame the NIC cannot take yet is recorded when it takes it. */
    accept_limit = 0;
    net_backend_input(&rec.nb, in, sizeof(in));
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 0);
    clock_advance_to(&clk, 2000002000ull);
    accept_limit = 8;
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 1);
    ck_assert_uint_eq(got_len[0], sizeof(in));
    net_backend_destroy(f);
    FILE *fp = fopen(path, "rb");
    uint8_t buf[512];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    unlink(path);
    ck_assert_uint_eq(n, 24 + 16 + 70 + 16 + 80);
    uint32_t w[6];
    memcpy(w, buf, 24);
    ck_assert_uint_eq(w[0], 0xa1b2c3d4u);
    ck_assert_uint_eq(w[4], 65535);
    ck_assert_uint_eq(w[5], 1);
    uint32_t r[4];
    memcpy(r, buf + 24, 16);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 500000);
    ck_assert_uint_eq(r[2], 70);
    ck_assert_uint_eq(r[3], 70);
    ck_assert_uint_eq(buf[24 + 16], 0xaa);
    memcpy(r, buf + 24 + 16 + 70, 16);
    ck_assert_uint_eq(r[0], 2);
    ck_assert_uint_eq(r[1], 2);
    ck_assert_uint_eq(r[2], 80);
    ck_assert_uint_eq(buf[24 + 16 + 70 + 16], 0xbb);
    /* An unwritable file: an error, no filter. */
    ck_assert_ptr_null(filter_dump_new(&rec.nb, "f1", "/nonexistent/dir/x.pcap", &clk, err,
                                       sizeof(err)));
    ck_assert(strstr(err, "/nonexistent/dir/x.pcap") != NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net_backend");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_queue_and_deliver);
    tcase_add_test(tc, test_no_receiver_drops);
    tcase_add_test(tc, test_filter_dump);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

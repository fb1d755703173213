/* Unit tests for frontend/gdb_packet.c: the gdb stub's framing. A packet
 * is served only with a correct checksum, a bad one asks for a resend, an
 * oversized one is reported (not dropped, not overflowing), Ctrl-C counts
 * only between packets. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gdb_packet.h"

static struct gdb_framer f;

/* Feeds s; returns the first event that is not GDB_FRAME_MORE (or MORE),
 * with *used the bytes fed. */
static enum gdb_frame_event feed(const char *s, size_t len, size_t *used)
{
    for (size_t i = 0; i < len; i++) {
        enum gdb_frame_event e = gdb_framer_feed(&f, (uint8_t)s[i]);
        if (e != GDB_FRAME_MORE) {
            if (used)
                *used = i + 1;
            return e;
        }
    }
    if (used)
        *used = len;
    return GDB_FRAME_MORE;
}

static enum gdb_frame_event feed_str(const char *s)
{
    return feed(s, strlen(s), NULL);
}

static void setup(void)
{
    gdb_framer_reset(&f);
}

START_TEST(test_good_packets)
{
    ck_assert_int_eq(feed_str("$g#67"), GDB_FRAME_PACKET);
    ck_assert_str_eq(f.payload, "g");
    /* Acknowledgements and noise before a packet are skipped; upper-case
     * checksum digits are accepted. */
    ck_assert_int_eq(feed_str("++-xyz$qSupported#37"), GDB_FRAME_PACKET);
    ck_assert_str_eq(f.payload, "qSupported");
    ck_assert_int_eq(feed_str("$m0,4#FD"), GDB_FRAME_PACKET);
    ck_assert_str_eq(f.payload, "m0,4");
    /* Split across reads. */
    ck_assert_int_eq(feed_str("$?"), GDB_FRAME_MORE);
    ck_assert_int_eq(feed_str("#3"), GDB_FRAME_MORE);
    ck_assert_int_eq(feed_str("f"), GDB_FRAME_PACKET);
    ck_assert_str_eq(f.payload, "?");
    /* The empty packet. */
    ck_assert_int_eq(feed_str("$#00"), GDB_FRAME_PACKET);
    ck_assert_str_eq(f.payload, "");
}
END_TEST

START_TEST(test_bad_checksums)
{
    /* The reproducer: "$k#00" must not kill (sum of "k" is 6b). */
    ck_assert_int_eq(feed_str("$k#00"), GDB_FRAME_BAD_CHECKSUM);
    ck_assert_int_eq(feed_str("$g#68"), GDB_FRAME_BAD_CHECKSUM);
    ck_assert_int_eq(feed_str("$g#zz"), GDB_FRAME_BAD_CHECKSUM);
    ck_assert_int_eq(feed_str("$g#6z"), GDB_FRAME_BAD_CHECKSUM);
    /* After a bad one the next good packet is served. */
    ck_assert_int_eq(feed_str("$k#6b"), GDB_FRAME_PACKET);
    ck_assert_str_eq(f.payload, "k");
}
END_TEST

START_TEST(test_interrupt_and_restart)
{
    ck_assert_int_eq(feed_str("\x03"), GDB_FRAME_INTERRUPT);
    /* 0x03 inside a packet is payload. */
    char p[] = "$a\x03#64";
    ck_assert_int_eq(feed(p, sizeof p - 1, NULL), GDB_FRAME_PACKET);
    ck_assert_int_eq(f.payload[1], 3);
    /* A '$' in the middle starts over. */
    ck_assert_int_eq(feed_str("$garbage$g#67"), GDB_FRAME_PACKET);
    ck_assert_str_eq(f.payload, "g");
}
END_TEST

START_TEST(test_oversized)
{
    size_t n = GDB_PACKET_MAX + 100;
    char *pkt = malloc(n + 5);
    ck_assert_ptr_nonnull(pkt);
    unsigned sum = 0;
    pkt[0] = '$';
    for (size_t i = 0; i < n; i++) {
        pkt[1 + i] = 'a';
        sum += 'a';
    }
    snprintf(pkt + 1 + n, 4, "#%02x", sum & 0xff);
    size_t used;
    ck_assert_int_eq(feed(pkt, n + 4, &used), GDB_FRAME_TOO_LONG);
    ck_assert_uint_eq(used, n + 4);
    ck_assert_uint_le(f.len, GDB_PACKET_MAX);
    /* With a wrong checksum it is a bad checksum first (gdb resends). */
    pkt[n + 3] = pkt[n + 3] == '0' ? '1' : '0';
    ck_assert_int_eq(feed(pkt, n + 4, NULL), GDB_FRAME_BAD_CHECKSUM);
    /* Exactly GDB_PACKET_MAX bytes still fit. */
    sum = 0;
    for (size_t i = 0; i < GDB_PACKET_MAX; i++)
        sum += 'a';
    snprintf(pkt + 1 + GDB_PACKET_MAX, 4, "#%02x", sum & 0xff);
    ck_assert_int_eq(feed(pkt, GDB_PACKET_MAX + 4, NULL), GDB_FRAME_PACKET);
    ck_assert_uint_eq(strlen(f.payload), GDB_PACKET_MAX);
    free(pkt);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gdb_packet");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_good_packets);
    tcase_add_test(tc, test_bad_checksums);
    tcase_add_test(tc, test_interrupt_and_restart);
    tcase_add_test(tc, test_oversized);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

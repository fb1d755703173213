/* Tests for bios/smbios.c: the entry point's checksums and counts, every
 * structure well formed (type, length, handle, string set), the strings of
 * -smbios type=0/1, the UUID in SMBIOS byte order, one processor per vCPU,
 * the memory ranges, and UUID parsing. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bios/smbios.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* The n-th string (1-based) of the structure at p, or NULL. */
static const char *str(const uint8_t *p, unsigned n)
{
    if (!n)
        return NULL;
    const char *s = (const char *)p + p[1];
    while (--n) {
        if (!*s)
            return NULL;
        s += strlen(s) + 1;
    }
    return *s ? s : NULL;
}

START_TEST(test_table)
{
    struct smbios_config cfg = {.manufacturer = "Acme", .product = "Turtle9000",
                                .serial = "S123", .bios_vendor = "V", .ncpus = 3,
                                .cpuid_1_eax = 0x906ea, .cpuid_1_edx = 0x178bfbff,
                                .ram_below_4g = 3ull << 30, .ram_above_4g = 5ull << 30};
    ck_assert_int_eq(smbios_parse_uuid("12345678-9abc-def0-1234-56789abcdef0", cfg.uuid), 0);
    uint8_t *t = NULL, a[SMBIOS_ANCHOR_LEN];
    size_t len = 0;
    ck_assert_int_eq(smbios_build(&cfg, &t, &len, a), 0);
    ck_assert(memcmp(a, "_SM_", 4) == 0 && memcmp(a + 16, "_DMI_", 5) == 0);
    ck_assert_uint_eq(sum(a, SMBIOS_ANCHOR_LEN), 0);
    ck_assert_uint_eq(sum(a + 16, 15), 0);
    ck_assert_uint_eq(a[6], 2);
    ck_assert_uint_eq(a[7], 8);
    ck_assert_uint_eq(a[0x16] | a[0x17] << 8, len);
    unsigned count = 0, cpus = 0, ranges = 0, maxsize = 0;
    bool seen[128] = {false};
    const uint8_t *end_struct = NULL;
    for (size_t off = 0; off < len;) {
        const uint8_t *p = t + off;
        ck_assert_uint_ge(p[1], 4);
        /* The string set ends in two NULs. */
        size_t s = off + p[1];
        while (s + 1 < len && (t[s] || t[s + 1]))
            s++;
        ck_assert_uint_lt(s + 1, len + 1);
        size_t size = s + 2 - off;
        if (size > maxsize)
            maxsize = (unsigned)size;
        seen[p[0] & 0x7f] = true;
        if (p[0] == 1) {
            ck_assert_str_eq(str(p, p[4]), "Acme");
            ck_assert_str_eq(str(p, p[5]), "Turtle9000");
            ck_assert_str_eq(str(p, p[7]), "S123");
            /* 12345678-9abc-def0-...: first three fields little-endian. */
            static const uint8_t want[16] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
                                             0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
            ck_assert(memcmp(p + 8, want, 16) == 0);
        }
        if (p[0] == 0)
            ck_assert_str_eq(str(p, p[4]), "V");
        if (p[0] == 4) {
            cpus++;
            ck_assert_uint_eq(p[8] | p[9] << 8 | p[10] << 16, 0x906ea);
        }
        if (p[0] == 19) {
            ranges++;
            uint32_t start_kib, end_kib;
            memcpy(&start_kib, p + 4, 4);
            memcpy(&end_kib, p + 8, 4);
            if (ranges == 1) {
                ck_assert_uint_eq(start_kib, 0);
                ck_assert_uint_eq(end_kib, (3u << 20) - 1);
            } else { /* 5 GiB from 4 GiB, in KiB */
                ck_assert_uint_eq(start_kib, 4u << 20);
                ck_assert_uint_eq(end_kib, (9u << 20) - 1);
            }
        }
        if (p[0] == 127)
            end_struct = p;
        count++;
        off += size;
    }
    ck_assert_uint_eq(count, (unsigned)(a[0x1c] | a[0x1d] << 8));
    ck_assert_uint_eq(maxsize, (unsigned)(a[8] | a[9] << 8));
    ck_assert_uint_eq(cpus, 3);
    ck_assert_uint_eq(ranges, 2);
    ck_assert(seen[0] && seen[1] && seen[3] && seen[16] && seen[17] && seen[32]);
    ck_assert_ptr_eq(end_struct, t + len - 6); /* type 127 is last: 4 bytes + 2 NULs */
    free(t);
}
END_TEST

START_TEST(test_uuid_parse)
{
    uint8_t u[16];
    ck_assert_int_eq(smbios_parse_uuid("00000000-0000-0000-0000-000000000000", u), 0);
    ck_assert_int_eq(smbios_parse_uuid("12345678-9ABC-DEF0-1234-56789abcdef0", u), 0);
    ck_assert_uint_eq(u[0], 0x12);
    ck_assert_uint_eq(u[15], 0xf0);
    ck_assert_int_eq(smbios_parse_uuid("12345678-9abc-def0-1234-56789abcdef", u), -1);
    ck_assert_int_eq(smbios_parse_uuid("12345678-9abc-def0-1234-56789abcdef00", u), -1);
    ck_assert_int_eq(smbios_parse_uuid("123456789-abc-def0-1234-56789abcdef0", u), -1);
    ck_assert_int_eq(smbios_parse_uuid("1234567g-9abc-def0-1234-56789abcdef0", u), -1);
    ck_assert_int_eq(smbios_parse_uuid("", u), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("smbios");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_uuid_parse);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

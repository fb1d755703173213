/* Tests for devices/fw_cfg.c: signature and ID, selector/data reads, the
 * file directory, DMA read/skip/select/write and errors, e820 file. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "device_test_env.h"

static struct test_env *t;
static struct fw_cfg fw;

static void setup(void)
{
    t = test_env_new(1 << 20);
    fw_cfg_init(&fw, &t->env);
}

static void teardown(void)
{
    fw_cfg_destroy(&fw);
    test_env_free(t);
}

static void read_key(uint16_t key, uint8_t *buf, size_t n)
{
    outw(t, 0x510, key);
    for (size_t i = 0; i < n; i++)
        buf[i] = inb(t, 0x511);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* Write a DMA descriptor at `desc` and kick it as a guest would. */
static uint32_t dma(uint64_t desc, uint32_t control, uint32_t len, uint64_t addr)
{
    uint8_t d[16];
    uint32_t words[4] = {control, len, (uint32_t)(addr >> 32), (uint32_t)addr};
    for (int i = 0; i < 4; i++) {
        d[4 * i] = (uint8_t)(words[i] >> 24);
        d[4 * i + 1] = (uint8_t)(words[i] >> 16);
        d[4 * i + 2] = (uint8_t)(words[i] >> 8);
        d[4 * i + 3] = (uint8_t)words[i];
    }
    physmem_write_buf(&t->mem, desc, d, sizeof(d));
    outl(t, 0x514, bswap32((uint32_t)(desc >> 32)));
    outl(t, 0x518, bswap32((uint32_t)desc));
    uint8_t st[4];
    physmem_read_buf(&t->mem, desc, st, 4);
    return be32(st);
}

START_TEST(test_signature_and_id)
{
    uint8_t buf[8];
    read_key(FW_CFG_SIGNATURE, buf, 4);
    ck_assert(memcmp(buf, "QEMU", 4) == 0);
    ck_assert_uint_eq(inb(t, 0x511), 0);   /* past the end */
    read_key(FW_CFG_ID, buf, 4);
    ck_assert_uint_eq(buf[0], 0x03);
    /* reset selects the signature */
    outw(t, 0x510, FW_CFG_ID);
    fw_cfg_reset(&fw);
    ck_assert_uint_eq(inb(t, 0x511), 'Q');
    /* DMA register reads the "QEMU CFG" signature */
    ck_assert_uint_eq(inl(t, 0x514), 0x554d4551);   /* "QEMU" in port order */
    /* unknown key reads zeros */
    read_key(0x3fff, buf, 4);
    ck_assert_uint_eq(buf[0] | buf[1] | buf[2] | buf[3], 0);
}
END_TEST

START_TEST(test_standard_keys)
{
    fw_cfg_add_i64(&fw, FW_CFG_RAM_SIZE, 0x40000000ull);
    fw_cfg_add_i16(&fw, FW_CFG_NB_CPUS, 2);
    fw_cfg_add_i16(&fw, FW_CFG_MAX_CPUS, 4);
    uint8_t buf[8];
    read_key(FW_CFG_RAM_SIZE, buf, 8);
    ck_assert_uint_eq(buf[3], 0x40);
    read_key(FW_CFG_NB_CPUS, buf, 2);
    ck_assert_uint_eq(buf[0], 2);
    read_key(FW_CFG_MAX_CPUS, buf, 2);
    ck_assert_uint_eq(buf[0], 4);
    /* arch-local keys */
    fw_cfg_add_i32(&fw, FW_CFG_IRQ0_OVERRIDE, 1);
    read_key(FW_CFG_IRQ0_OVERRIDE, buf, 4);
    ck_assert_uint_eq(buf[0], 1);
    ck_assert_int_eq(fw_cfg_add_i32(&fw, 0x8000 + 0x100, 1), -1);
    ck_assert_int_eq(fw_cfg_add_i32(&fw, 0x3000, 1), -1);
    /* cmdline as a string */
    fw_cfg_add_string(&fw, FW_CFG_CMDLINE_DATA, "console=ttyS0");
    fw_cfg_add_i32(&fw, FW_CFG_CMDLINE_SIZE, 14);
    char s[14];
    read_key(FW_CFG_CMDLINE_DATA, (uint8_t *)s, 14);
    ck_assert_str_eq(s, "console=ttyS0");
}
END_TEST

START_TEST(test_file_dir)
{
    ck_assert_int_eq(fw_cfg_add_file(&fw, "etc/boot-fail-wait", "\x05\0\0\0", 4), 0x20);
    struct fw_cfg_e820_entry e[2] = {{0, 0x9fc00, FW_CFG_E820_RAM}, {0x100000, 0x3ff00000, FW_CFG_E820_RAM}};
    ck_assert_int_eq(fw_cfg_set_e820(&fw, e, 2), 0);
    ck_assert_int_eq(fw_cfg_find_file(&fw, "etc/e820"), 0x21);
    /* replacing keeps the key */
    ck_assert_int_eq(fw_cfg_add_file(&fw, "etc/boot-fail-wait", "\x07\0\0\0\0", 5), 0x20);
    uint8_t dir[4 + 2 * 64];
    read_key(FW_CFG_FILE_DIR, dir, sizeof(dir));
    ck_assert_uint_eq(be32(dir), 2);
    ck_assert_uint_eq(be32(dir + 4), 5);
    ck_assert_uint_eq(dir[8] << 8 | dir[9], 0x20);
    ck_assert_str_eq((char *)dir + 12, "etc/boot-fail-wait");
    ck_assert_uint_eq(be32(dir + 68), 40);
    ck_assert_uint_eq(dir[72] << 8 | dir[73], 0x21);
    ck_assert_str_eq((char *)dir + 76, "etc/e820");
    uint8_t rec[20];
    read_key(0x21, rec, 20);
    ck_assert_uint_eq(rec[0] | rec[1] << 8 | rec[2] << 16, 0);
    ck_assert_uint_eq(rec[8] | rec[9] << 8 | rec[10] << 16, 0x9fc00);
    ck_assert_uint_eq(rec[16], 1);
    /* name too long */
    char longname[80];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[79] = 0;
    ck_assert_int_eq(fw_cfg_add_file(&fw, longname, "x", 1), -1);
}
END_TEST

START_TEST(test_dma)
{
    int key = fw_cfg_add_file(&fw, "etc/test", "0123456789", 10);
    /* select + read 4 */
    uint32_t st = dma(0x1000, ((uint32_t)key << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                      4, 0x2000);
    ck_assert_uint_eq(st, 0);
    uint8_t buf[16];
    physmem_read_buf(&t->mem, 0x2000, buf, 4);
    ck_assert(memcmp(buf, "0123", 4) == 0);
    /* skip 2, then read past the end: zeros fill */
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_SKIP, 2, 0), 0);
    memset(buf, 0xee, sizeof(buf));
    physmem_write_buf(&t->mem, 0x3000, buf, sizeof(buf));
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_READ, 8, 0x3000), 0);
    physmem_read_buf(&t->mem, 0x3000, buf, 9);
    ck_assert(memcmp(buf, "6789\0\0\0\0", 8) == 0);
    ck_assert_uint_eq(buf[8], 0xee);
    /* the data port continues at the same offset (at the end now) */
    ck_assert_uint_eq(inb(t, 0x511), 0);
    /* write to a read-only entry: error */
    ck_assert_uint_eq(dma(0x1000, ((uint32_t)key << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
                          2, 0x2000), FW_CFG_DMA_CTL_ERROR);
    /* writable file */
    uint8_t init[4] = {0};
    int wkey = fw_cfg_add_file_writable(&fw, "etc/wr", init, 4);
    physmem_write_buf(&t->mem, 0x2000, "abcdef", 6);
    ck_assert_uint_eq(dma(0x1000, ((uint32_t)wkey << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
                          6, 0x2000), 0);
    ck_assert(memcmp(fw_cfg_entry(&fw, (uint16_t)wkey)->data, "abcd", 4) == 0);
    /* DMA to and from addresses outside RAM is harmless */
    dma(0x1000, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 100000, 0xfffffffffff00000ull);
    outl(t, 0x514, 0xffffffff);
    outl(t, 0x518, 0xffffffff);
    /* a huge length finishes (zero fill) */
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_READ, 0x100000, 0x80000), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_and_id);
    tcase_add_test(tc, test_standard_keys);
    tcase_add_test(tc, test_file_dir);
    tcase_add_test(tc, test_dma);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

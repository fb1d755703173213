/* Tests for devices/ide.c and devices/atapi.c: the ATA register protocol
 * (IDENTIFY, PIO reads and writes, LBA48, DMA through a PRD table, disk_bb.flushes
 * and media errors reaching the guest as ATA errors), interrupts (nIEN,
 * status read acknowledges), an absent slave, and the ATAPI CD-ROM
 * (signature, PACKET phases by PIO and DMA, sense data, unit attention). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ide.h"
#include "device_test_env.h"
#include "mem_block.h"

#define RAM (4u << 20)
#define DISK_SECTORS 4096u
#define CD_BLOCKS 64u

static struct test_env *t;
static struct pci_bus bus;
static struct piix_ide ide;
static uint8_t *disk, *cd;

static struct mem_bb disk_bb, cd_bb;


static void on_reset(void *o) { (void)o; }

static void setup(void)
{
    t = test_env_new(RAM);
    pci_bus_init(&bus, &t->env, on_reset, NULL);
    ck_assert_int_eq(piix_ide_init(&ide, &bus, &t->env), 0);
    disk = calloc(DISK_SECTORS, IDE_SECTOR_SIZE);
    cd = calloc(CD_BLOCKS, ATAPI_SECTOR_SIZE);
    for (unsigned i = 0; i < DISK_SECTORS * IDE_SECTOR_SIZE; i++)
        disk[i] = (uint8_t)(i * 7 + (i >> 9));
    for (unsigned i = 0; i < CD_BLOCKS * ATAPI_SECTOR_SIZE; i++)
        cd[i] = (uint8_t)(i * 13 + (i >> 11));
    mem_bb_init(&disk_bb, disk, DISK_SECTORS * IDE_SECTOR_SIZE, false);
    mem_bb_init(&cd_bb, cd, CD_BLOCKS * ATAPI_SECTOR_SIZE, true);
    ck_assert_int_eq(ide_attach(&ide, 0, 0, IDE_DISK, &disk_bb.bb, "SERIAL1"), 0);
    ck_assert_int_eq(ide_attach(&ide, 1, 0, IDE_CDROM, &cd_bb.bb, "SERIAL2"), 0);
    /* BAR4 at 0xc000 with I/O decoding. */
    pci_config_write(&bus, 0, PIIX3_IDE_DEVFN, PCI_BAR0 + 16, 0xc000, 4);
    pci_config_write(&bus, 0, PIIX3_IDE_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
}

static void teardown(void)
{
    piix_ide_destroy(&ide);
    physmem_destroy(&t->mem);
    free(t);
    free(disk);
    free(cd);
}

static void out8(uint16_t p, uint8_t v) { iobus_write(&t->io, p, v, 1); }
static uint8_t in8(uint16_t p) { return (uint8_t)iobus_read(&t->io, p, 1); }
static uint16_t in16(uint16_t p) { return (uint16_t)iobus_read(&t->io, p, 2); }
static void out16(uint16_t p, uint16_t v) { iobus_write(&t->io, p, v, 2); }

static void lba28(uint16_t base, uint32_t lba, uint8_t count)
{
    out8(base + 6, (uint8_t)(0xe0 | ((lba >> 24) & 0xf)));
    out8(base + 2, count);
    out8(base + 3, (uint8_t)lba);
    out8(base + 4, (uint8_t)(lba >> 8));
    out8(base + 5, (uint8_t)(lba >> 16));
}

START_TEST(test_identify_and_pio)
{
    out8(0x1f6, 0xa0);
    out8(0x1f7, 0xec);
    ck_assert(t->level[14]);
    uint8_t st = in8(0x1f7);
    ck_assert_uint_eq(st & (IDE_ST_DRQ | IDE_ST_ERR | IDE_ST_BSY), IDE_ST_DRQ);
    ck_assert(!t->level[14]); /* the status read acknowledged it */
    uint16_t w[256];
    for (unsigned i = 0; i < 256; i++)
        w[i] = in16(0x1f0);
    ck_assert_uint_eq(w[0], 0x0040);
    ck_assert_uint_eq(w[27], ('T' << 8) | 'U');
    ck_assert_uint_eq((uint32_t)w[60] | (uint32_t)w[61] << 16, DISK_SECTORS);
    ck_assert_uint_eq(w[100], DISK_SECTORS);
    ck_assert(w[83] & (1 << 10)); /* LBA48 */
    ck_assert_uint_eq(in8(0x1f7) & IDE_ST_DRQ, 0);

    /* WRITE SECTORS: two sectors at LBA 100. */
    lba28(0x1f0, 100, 2);
    out8(0x1f7, 0x30);
    for (unsigned s = 0; s < 2; s++) {
        ck_assert(in8(0x3f6) & IDE_ST_DRQ);
        for (unsigned i = 0; i < 256; i++)
            out16(0x1f0, (uint16_t)(0xa500 + s * 256 + i));
    }
    ck_assert_uint_eq(in8(0x1f7) & (IDE_ST_DRQ | IDE_ST_ERR), 0);
    ck_assert_uint_eq(disk[100 * 512], 0x00);
    ck_assert_uint_eq(disk[100 * 512 + 1], 0xa5);
    ck_assert_uint_eq(disk[101 * 512 + 2], 0x01);
    /* READ SECTORS reads them back. */
    lba28(0x1f0, 100, 2);
    out8(0x1f7, 0x20);
    for (unsigned s = 0; s < 2; s++)
        for (unsigned i = 0; i < 256; i++)
            ck_assert_uint_eq(in16(0x1f0), 0xa500 + s * 256 + i);
    ck_assert_uint_eq(in8(0x1f7) & (IDE_ST_DRQ | IDE_ST_ERR), 0);
    /* Past the end: IDNF|ABRT. */
    lba28(0x1f0, DISK_SECTORS - 1, 2);
    out8(0x1f7, 0x20);
    ck_assert(in8(0x1f7) & IDE_ST_ERR);
    ck_assert_uint_eq(in8(0x1f1), IDE_ERR_IDNF | IDE_ERR_ABRT);
}
END_TEST

START_TEST(test_lba48_dma_flush_and_errors)
{
    /* PRD table at 0x1000: 1024 bytes at 0x10000, then 512 at 0x20000 (EOT). */
    uint8_t prd[16] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00,
                       0x00, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x80};
    physmem_write_buf(&t->mem, 0x1000, prd, sizeof(prd));
    iobus_write(&t->io, 0xc004, 0x1000, 4);
    /* READ DMA EXT of 3 sectors at LBA 7: HOB bytes first. */
    out8(0x1f6, 0x40);
    out8(0x1f2, 0); out8(0x1f3, 0); out8(0x1f4, 0); out8(0x1f5, 0);
    out8(0x1f2, 3); out8(0x1f3, 7); out8(0x1f4, 0); out8(0x1f5, 0);
    out8(0x1f7, 0x25);
    ck_assert_uint_eq(in8(0x3f6) & IDE_ST_ERR, 0);
    iobus_write(&t->io, 0xc000, 0x09, 1); /* start, bus master writes memory */
    uint8_t bst = (uint8_t)iobus_read(&t->io, 0xc002, 1);
    ck_assert(bst & 0x04);      /* interrupt */
    ck_assert(!(bst & 0x01));   /* the table was used up exactly: not active */
    ck_assert(t->level[14]);
    uint8_t got[1536];
    physmem_read_buf(&t->mem, 0x10000, got, 1024);
    physmem_read_buf(&t->mem, 0x20000, got + 1024, 512);
    ck_assert(memcmp(got, disk + 7 * 512, sizeof(got)) == 0);
    ck_assert_uint_eq(in8(0x1f7) & (IDE_ST_ERR | IDE_ST_DRQ), 0);
    iobus_write(&t->io, 0xc002, 0x04, 1); /* write 1 clears the interrupt bit */
    ck_assert_uint_eq(iobus_read(&t->io, 0xc002, 1) & 0x04, 0);
    iobus_write(&t->io, 0xc000, 0x00, 1);

    /* FLUSH CACHE reaches the media; a failing flush is an error. */
    out8(0x1f7, 0xe7);
    ck_assert_int_eq(disk_bb.flushes, 1);
    ck_assert_uint_eq(in8(0x1f7) & IDE_ST_ERR, 0);
    disk_bb.fail_flush = true;
    out8(0x1f7, 0xea);
    ck_assert(in8(0x1f7) & IDE_ST_ERR);
    ck_assert_uint_eq(in8(0x1f1), IDE_ERR_ABRT);
    /* A media read error: ERR with UNC, never data. */
    disk_bb.fail_reads = true;
    lba28(0x1f0, 1, 1);
    out8(0x1f7, 0x20);
    ck_assert(in8(0x1f7) & IDE_ST_ERR);
    ck_assert_uint_eq(in8(0x1f1), IDE_ERR_UNC);
}
END_TEST

START_TEST(test_irq_mask_and_absent_slave)
{
    out8(0x3f6, 0x02); /* nIEN */
    out8(0x1f6, 0xa0);
    out8(0x1f7, 0xe5); /* CHECK POWER MODE */
    ck_assert(!t->level[14]);
    out8(0x3f6, 0x00);
    ck_assert(t->level[14]); /* still pending: shows once unmasked */
    (void)in8(0x1f7);
    ck_assert(!t->level[14]);
    ck_assert_uint_eq(in8(0x1f2), 0xff);
    /* The slave does not exist: status 0, commands ignored. */
    out8(0x1f6, 0xb0);
    ck_assert_uint_eq(in8(0x1f7), 0);
    out8(0x1f7, 0xec);
    ck_assert(!t->level[14]);
    /* Soft reset leaves the signature: disk 00/00. */
    out8(0x1f6, 0xa0);
    out8(0x3f6, 0x04);
    ck_assert(in8(0x3f6) & IDE_ST_BSY);
    out8(0x3f6, 0x00);
    ck_assert_uint_eq(in8(0x1f2), 1);
    ck_assert_uint_eq(in8(0x1f4), 0);
    ck_assert_uint_eq(in8(0x1f7) & IDE_ST_DRDY, IDE_ST_DRDY);
}
END_TEST

/* Send a 12-byte packet to the secondary master; byte count limit lim. */
static void packet(const uint8_t cdb[12], uint16_t lim, bool dma)
{
    out8(0x176, 0xa0);
    out8(0x171, dma ? 1 : 0);
    out8(0x174, (uint8_t)lim);
    out8(0x175, (uint8_t)(lim >> 8));
    out8(0x177, 0xa0);
    ck_assert(in8(0x376) & IDE_ST_DRQ);
    ck_assert_uint_eq(in8(0x172) & 3, 1); /* CoD, host to device */
    for (unsigned i = 0; i < 12; i += 2)
        out16(0x170, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
}

/* Read a PIO data-in phase into buf; returns the bytes read. */
static unsigned read_data_in(uint8_t *buf, unsigned max)
{
    unsigned n = 0;
    while (in8(0x177) & IDE_ST_DRQ) {
        ck_assert_uint_eq(in8(0x172) & 3, 2); /* IO, data */
        unsigned len = in8(0x174) | in8(0x175) << 8;
        for (unsigned i = 0; i < len; i += 2) {
            uint16_t w = in16(0x170);
            if (n + 1 < max) {
                buf[n] = (uint8_t)w;
                buf[n + 1] = (uint8_t)(w >> 8);
            }
            n += 2;
        }
    }
    ck_assert_uint_eq(in8(0x172) & 3, 3); /* status phase */
    return n;
}

START_TEST(test_atapi)
{
    /* The packet device's signature; ATA IDENTIFY aborts and leaves it. */
    out8(0x176, 0xa0);
    ck_assert_uint_eq(in8(0x174), 0x14);
    ck_assert_uint_eq(in8(0x175), 0xeb);
    out8(0x177, 0xec);
    ck_assert(in8(0x177) & IDE_ST_ERR);
    ck_assert_uint_eq(in8(0x175), 0xeb);
    out8(0x177, 0xa1); /* IDENTIFY PACKET DEVICE */
    uint16_t w0 = in16(0x170);
    ck_assert_uint_eq(w0 >> 14, 2); /* ATAPI */
    ck_assert_uint_eq((w0 >> 8) & 0x1f, 5); /* CD-ROM */
    for (unsigned i = 1; i < 256; i++)
        (void)in16(0x170);

    uint8_t buf[8192];
    static const uint8_t inquiry[12] = {0x12, 0, 0, 0, 36, 0};
    packet(inquiry, 0xfffe, false);
    ck_assert_uint_eq(read_data_in(buf, sizeof(buf)), 36);
    ck_assert_uint_eq(buf[0], 0x05);
    ck_assert(memcmp(buf + 16, "TURTLES DVD-ROM", 15) == 0);

    /* READ(10) of 2 blocks at LBA 3 by PIO with a 1000-byte limit:
     * windows of at most 1000 bytes, 4096 bytes in all. */
    static const uint8_t read10[12] = {0x28, 0, 0, 0, 0, 3, 0, 0, 2, 0};
    packet(read10, 1000, false);
    ck_assert_uint_eq(read_data_in(buf, sizeof(buf)), 4096);
    ck_assert(memcmp(buf, cd + 3 * 2048, 4096) == 0);
    ck_assert_uint_eq(in8(0x177) & IDE_ST_ERR, 0);

    /* The same by DMA. */
    uint8_t prd[8] = {0x00, 0x00, 0x03, 0x00, 0x00, 0x10, 0x00, 0x80};
    physmem_write_buf(&t->mem, 0x2000, prd, sizeof(prd));
    iobus_write(&t->io, 0xc00c, 0x2000, 4);
    packet(read10, 0xfffe, true);
    iobus_write(&t->io, 0xc008, 0x09, 1);
    ck_assert(iobus_read(&t->io, 0xc00a, 1) & 0x04);
    uint8_t got[4096];
    physmem_read_buf(&t->mem, 0x30000, got, sizeof(got));
    ck_assert(memcmp(got, cd + 3 * 2048, sizeof(got)) == 0);
    ck_assert_uint_eq(in8(0x177) & IDE_ST_ERR, 0);
    ck_assert_uint_eq(in8(0x172) & 3, 3);
    iobus_write(&t->io, 0xc008, 0x00, 1);

    /* READ CAPACITY: last LBA and 2048-byte blocks. */
    static const uint8_t cap[12] = {0x25};
    packet(cap, 0xfffe, false);
    ck_assert_uint_eq(read_data_in(buf, sizeof(buf)), 8);
    ck_assert_uint_eq(buf[3], CD_BLOCKS - 1);
    ck_assert_uint_eq(buf[6], 0x08);

    /* Out of range: CHECK CONDITION, ILLEGAL REQUEST / LBA out of range. */
    static const uint8_t bad[12] = {0x28, 0, 0, 0, 0, CD_BLOCKS, 0, 0, 1, 0};
    packet(bad, 0xfffe, false);
    ck_assert(in8(0x177) & IDE_ST_ERR);
    ck_assert_uint_eq(in8(0x171) >> 4, 0x05);
    static const uint8_t sense[12] = {0x03, 0, 0, 0, 18, 0};
    packet(sense, 0xfffe, false);
    ck_assert_uint_eq(read_data_in(buf, sizeof(buf)), 18);
    ck_assert_uint_eq(buf[2], 0x05);
    ck_assert_uint_eq(buf[12], 0x21);

    /* Eject (not locked): no medium; a new disc: unit attention once. */
    ck_assert_int_eq(ide_cdrom_change(&ide, 1, 0, NULL, false), 0);
    static const uint8_t tur[12] = {0x00};
    packet(tur, 0xfffe, false);
    ck_assert(in8(0x177) & IDE_ST_ERR); /* unit attention */
    packet(tur, 0xfffe, false);
    ck_assert(in8(0x177) & IDE_ST_ERR);
    ck_assert_uint_eq(in8(0x171) >> 4, 0x02); /* NOT READY: no medium */
    ck_assert_int_eq(ide_cdrom_change(&ide, 1, 0, &cd_bb.bb, false), 0);
    packet(tur, 0xfffe, false);
    ck_assert_uint_eq(in8(0x171) >> 4, 0x06); /* UNIT ATTENTION */
    packet(tur, 0xfffe, false);
    ck_assert_uint_eq(in8(0x177) & IDE_ST_ERR, 0);
    /* A locked tray refuses the eject. */
    static const uint8_t lock[12] = {0x1e, 0, 0, 0, 1, 0};
    packet(lock, 0xfffe, false);
    ck_assert(ide_cdrom_locked(&ide, 1, 0));
    ck_assert_int_eq(ide_cdrom_change(&ide, 1, 0, NULL, false), -1);
    ck_assert_int_eq(ide_cdrom_change(&ide, 1, 0, &cd_bb.bb, false), -1);
    /* eject -f drops the guest's lock; the disc goes. */
    ck_assert_int_eq(ide_cdrom_change(&ide, 1, 0, NULL, true), 0);
    ck_assert(!ide_cdrom_locked(&ide, 1, 0));
    packet(tur, 0xfffe, false);
    ck_assert(in8(0x177) & IDE_ST_ERR); /* unit attention, then no medium */
    packet(tur, 0xfffe, false);
    ck_assert_uint_eq(in8(0x171) >> 4, 0x02);
    ck_assert_int_eq(ide_cdrom_change(&ide, 1, 0, &cd_bb.bb, false), 0);
    packet(tur, 0xfffe, false);
    ck_assert_uint_eq(in8(0x171) >> 4, 0x06); /* the new disc: UNIT ATTENTION */
    packet(tur, 0xfffe, false);
    ck_assert_uint_eq(in8(0x177) & IDE_ST_ERR, 0);
    /* A hard disk is not removable. */
    ck_assert_int_eq(ide_cdrom_change(&ide, 0, 0, NULL, true), -1);
    /* Unknown opcode: ILLEGAL REQUEST. */
    static const uint8_t unk[12] = {0xff};
    packet(unk, 0xfffe, false);
    ck_assert_uint_eq(in8(0x171) >> 4, 0x05);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ide");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identify_and_pio);
    tcase_add_test(tc, test_lba48_dma_flush_and_errors);
    tcase_add_test(tc, test_irq_mask_and_absent_slave);
    tcase_add_test(tc, test_atapi);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* PIIX3 IDE: the ATA side, the task-file registers, PIO and bus-master DMA
 * (devices/ide.h). ATAPI packet commands are in devices/atapi.c. */
#include "devices/ide.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ATA commands (ATA/ATAPI-7 Vol. 1, chapter 6) */
#define CMD_NOP 0x00
#define CMD_DEVICE_RESET 0x08
#define CMD_READ_SECTORS 0x20
#define CMD_READ_SECTORS_NORETRY 0x21
#define CMD_READ_SECTORS_EXT 0x24
#define CMD_READ_DMA_EXT 0x25
#define CMD_READ_MULTIPLE_EXT 0x29
#define CMD_WRITE_SECTORS 0x30
#define CMD_WRITE_SECTORS_NORETRY 0x31
#define CMD_WRITE_SECTORS_EXT 0x34
#define CMD_WRITE_DMA_EXT 0x35
#define CMD_WRITE_MULTIPLE_EXT 0x39
#define CMD_READ_VERIFY 0x40
#define CMD_READ_VERIFY_NORETRY 0x41
#define CMD_READ_VERIFY_EXT 0x42
#define CMD_SEEK 0x70
#define CMD_EXEC_DIAGNOSTIC 0x90
#define CMD_INIT_DEV_PARAMS 0x91
#define CMD_PACKET 0xa0
#define CMD_IDENTIFY_PACKET 0xa1
#define CMD_READ_MULTIPLE 0xc4
#define CMD_WRITE_MULTIPLE 0xc5
#define CMD_SET_MULTIPLE 0xc6
#define CMD_READ_DMA 0xc8
#define CMD_READ_DMA_NORETRY 0xc9
#define CMD_WRITE_DMA 0xca
#define CMD_WRITE_DMA_NORETRY 0xcb
#define CMD_STANDBY_IMMEDIATE 0xe0
#define CMD_IDLE_IMMEDIATE 0xe1
#define CMD_STANDBY 0xe2
#define CMD_IDLE 0xe3
#define CMD_CHECK_POWER_MODE 0xe5
#define CMD_SLEEP 0xe6
#define CMD_FLUSH_CACHE 0xe7
#define CMD_FLUSH_CACHE_EXT 0xea
#define CMD_IDENTIFY 0xec
#define CMD_SET_FEATURES 0xef

/* Device/head register */
#define SEL_DEV 0x10
#define SEL_LBA 0x40
/* Device control register */
#define CTL_NIEN 0x02
#define CTL_SRST 0x04
#define CTL_HOB 0x80
/* Bus master command / status */
#define BM_CMD_START 0x01
#define BM_CMD_READ 0x08 /* the bus master writes memory (device -> memory) */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INTR 0x04
#define BM_ST_CAPS 0x60 /* drive 0/1 DMA capable (software-set bits) */
#define PRD_MAX_ENTRIES 8192u /* a table holds at most 64 KiB / 8 descriptors */

static const uint16_t legacy_base[2] = {0x1f0, 0x170};
static const uint16_t legacy_ctl[2] = {0x3f6, 0x376};
static const unsigned legacy_irq[2] = {14, 15};

static struct ide_drive *cur_drive(struct ide_channel *c)
{
    return &c->drive[c->cur];
}

static bool channel_empty(const struct ide_channel *c)
{
    return c->drive[0].kind == IDE_NONE && c->drive[1].kind == IDE_NONE;
}

/* ---- interrupts ---- */

static void update_irq(struct ide_channel *c)
{
    bool level = c->irq_pending && !(c->devctl & CTL_NIEN);
    device_set_irq(&c->ide->env, c->irq, level);
}

void ide_set_irq(struct ide_channel *c)
{
    c->irq_pending = true;
    if (c->bm_status & BM_ST_ACTIVE || c->bm_cmd & BM_CMD_START)
        c->bm_status |= BM_ST_INTR;
    update_irq(c);
}

static void clear_irq(struct ide_channel *c)
{
    c->irq_pending = false;
    update_irq(c);
}

/* ---- task file helpers ---- */

static uint64_t taskfile_lba(const struct ide_drive *d, bool lba48)
{
    if (lba48)
        return (uint64_t)d->hob_hcyl << 40 | (uint64_t)d->hob_lcyl << 32 |
               (uint64_t)d->hob_sector << 24 | (uint64_t)d->hcyl << 16 |
               (uint64_t)d->lcyl << 8 | d->sector;
    if (d->select & SEL_LBA)
        return (uint64_t)(d->select & 0xf) << 24 | (uint64_t)d->hcyl << 16 |
               (uint64_t)d->lcyl << 8 | d->sector;
    /* CHS, with the geometry INITIALIZE DEVICE PARAMETERS set. */
    uint64_t cyl = (uint64_t)d->hcyl << 8 | d->lcyl;
    unsigned head = d->select & 0xf;
    if (d->sector == 0 || d->chs_secs == 0)
        return UINT64_MAX;
    return (cyl * d->chs_heads + head) * d->chs_secs + d->sector - 1;
}

static void set_taskfile_lba(struct ide_drive *d, uint64_t lba, bool lba48)
{
    if (lba48) {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        d->hob_sector = (uint8_t)(lba >> 24);
        d->hob_lcyl = (uint8_t)(lba >> 32);
        d->hob_hcyl = (uint8_t)(lba >> 40);
    } else if (d->select & SEL_LBA) {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        d->select = (uint8_t)((d->select & 0xf0) | ((lba >> 24) & 0xf));
    } else if (d->chs_secs && d->chs_heads) {
        uint64_t cyl = lba / ((uint64_t)d->chs_heads * d->chs_secs);
        uint64_t r = lba % ((uint64_t)d->chs_heads * d->chs_secs);
        d->hcyl = (uint8_t)(cyl >> 8);
        d->lcyl = (uint8_t)cyl;
        d->select = (uint8_t)((d->select & 0xf0) | (r / d->chs_secs));
        d->sector = (uint8_t)(r % d->chs_secs + 1);
    }
}

static uint32_t taskfile_count(const struct ide_drive *d, bool lba48)
{
    if (lba48) {
        uint32_t n = (uint32_t)d->hob_nsector << 8 | d->nsector;
        return n ? n : 65536;
    }
    return d->nsector ? d->nsector : 256;
}

/* The signature a device leaves after reset or diagnostics (ATA/ATAPI-7
 * 9.12): ATAPI devices 14h/EBh in the cylinder registers. */
static void set_signature(struct ide_drive *d)
{
    d->select &= SEL_DEV;
    d->nsector = 1;
    d->sector = 1;
    d->lcyl = d->kind == IDE_CDROM ? 0x14 : 0;
    d->hcyl = d->kind == IDE_CDROM ? 0xeb : 0;
}

static void cmd_ok(struct ide_channel *c, struct ide_drive *d)
{
    d->status = IDE_ST_DRDY | IDE_ST_DSC;
    d->error = 0;
    d->pio = PIO_NONE;
    ide_set_irq(c);
}

static void cmd_abort(struct ide_channel *c, struct ide_drive *d, uint8_t err)
{
    d->status = IDE_ST_DRDY | IDE_ST_ERR;
    d->error = err;
    d->pio = PIO_NONE;
    d->dma_pending = false;
    ide_set_irq(c);
}

/* ---- IDENTIFY ---- */

static void put_string(uint16_t *w, const char *s, unsigned words)
{
    /* ATA strings: two characters a word, the first in the high byte. */
    for (unsigned i = 0; i < words; i++) {
        uint8_t a = *s ? (uint8_t)*s++ : ' ';
        uint8_t b = *s ? (uint8_t)*s++ : ' ';
        w[i] = (uint16_t)(a << 8 | b);
    }
}

static void put_identify_common(struct ide_drive *d, uint16_t *w)
{
    put_string(w + 10, d->serial, 10);
    put_string(w + 23, "1.0", 4);
    put_string(w + 27, d->model, 20);
    w[53] = 0x0007; /* words 54-58, 64-70 and 88 valid */
    /* Multiword DMA 0-2 and Ultra DMA 0-5 supported; the selected mode
     * (SET FEATURES 03h) in the high byte. */
    w[63] = 0x0007 | ((d->xfer_mode >> 3) == 4 ? (uint16_t)(0x100 << (d->xfer_mode & 7)) : 0);
    w[64] = 0x0003; /* PIO modes 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x00f0; /* ATA/ATAPI-4 to -7 */
    w[81] = 0x0016;
    w[88] = 0x003f | ((d->xfer_mode >> 3) == 8 ? (uint16_t)(0x100 << (d->xfer_mode & 7)) : 0);
    w[93] = 0x6000 | 0x4000 | 0x0b; /* hardware reset result: device 0 passed */
}

static void identify_disk(struct ide_drive *d)
{
    uint16_t w[256];
    memset(w, 0, sizeof(w));
    w[0] = 0x0040; /* fixed device */
    w[1] = d->cyls;
    w[3] = d->heads;
    w[4] = (uint16_t)(IDE_SECTOR_SIZE * d->secs);
    w[5] = IDE_SECTOR_SIZE;
    w[6] = d->secs;
    put_identify_common(d, w);
    w[47] = 0x8000 | IDE_MAX_MULTIPLE;
    w[48] = 1;                       /* 32-bit PIO */
    w[49] = (1 << 11) | (1 << 9) | (1 << 8); /* IORDY, LBA, DMA */
    w[51] = 0x0200;
    w[52] = 0x0200;
    uint64_t cur_chs = (uint64_t)d->cyls * d->chs_heads * d->chs_secs;
    w[54] = d->chs_heads && d->chs_secs ? (uint16_t)(cur_chs / ((uint64_t)d->chs_heads * d->chs_secs)) : 0;
    w[55] = d->chs_heads;
    w[56] = d->chs_secs;
    w[57] = (uint16_t)cur_chs;
    w[58] = (uint16_t)(cur_chs >> 16);
    w[59] = d->mult_sectors ? (uint16_t)(0x100 | d->mult_sectors) : 0;
    uint64_t lba28 = d->nsectors < 0x0fffffff ? d->nsectors : 0x0fffffff;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    /* Supported / enabled: write cache, power management; FLUSH CACHE,
     * FLUSH CACHE EXT, 48-bit addressing. */
    w[82] = 0x4000 | (1 << 5) | (1 << 3);
    w[83] = 0x4000 | (1 << 13) | (1 << 12) | (1 << 10);
    w[84] = 0x4000;
    w[85] = (uint16_t)((d->write_cache ? 1 << 5 : 0) | (1 << 3));
    w[86] = (1 << 13) | (1 << 12) | (1 << 10);
    w[87] = 0x4000;
    w[100] = (uint16_t)d->nsectors;
    w[101] = (uint16_t)(d->nsectors >> 16);
    w[102] = (uint16_t)(d->nsectors >> 32);
    w[103] = (uint16_t)(d->nsectors >> 48);
    for (unsigned i = 0; i < 256; i++) {
        d->io_buf[2 * i] = (uint8_t)w[i];
        d->io_buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
}

void ide_atapi_identify(struct ide_drive *d)
{
    uint16_t w[256];
    memset(w, 0, sizeof(w));
    /* ATAPI, CD-ROM device (type 5), removable, DRQ within 50 us, 12-byte
     * packets (ATA/ATAPI-7 Vol. 1 7.17.7.1). */
    w[0] = 0x8000 | (5 << 8) | 0x80 | (2 << 5);
    put_identify_common(d, w);
    w[49] = (1 << 11) | (1 << 9) | (1 << 8); /* IORDY, LBA, DMA */
    w[51] = 0x0200;
    w[71] = 30;
    w[72] = 30;
    w[82] = (1 << 4) | (1 << 14);    /* PACKET feature set, NOP */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = 1 << 4;
    w[87] = 0x4000;
    for (unsigned i = 0; i < 256; i++) {
        d->io_buf[2 * i] = (uint8_t)w[i];
        d->io_buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
}

/* ---- sector transfers ---- */

static int media_read(struct ide_drive *d, uint64_t lba, uint8_t *buf, uint32_t sectors)
{
    uint64_t off = lba * IDE_SECTOR_SIZE, len = (uint64_t)sectors * IDE_SECTOR_SIZE;
    if (lba >= d->nsectors || sectors > d->nsectors - lba)
        return -ERANGE;
    return block_read(d->blk, off, buf, (size_t)len);
}

static int media_write(struct ide_drive *d, uint64_t lba, const uint8_t *buf, uint32_t sectors)
{
    uint64_t off = lba * IDE_SECTOR_SIZE, len = (uint64_t)sectors * IDE_SECTOR_SIZE;
    if (lba >= d->nsectors || sectors > d->nsectors - lba)
        return -ERANGE;
    if (d->read_only)
        return -EROFS;
    return block_write(d->blk, off, buf, (size_t)len);
}

static bool cmd_is_lba48(uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_SECTORS_EXT: case CMD_READ_DMA_EXT: case CMD_READ_MULTIPLE_EXT:
    case CMD_WRITE_SECTORS_EXT: case CMD_WRITE_DMA_EXT: case CMD_WRITE_MULTIPLE_EXT:
    case CMD_READ_VERIFY_EXT:
        return true;
    default:
        return false;
    }
}

static uint8_t media_error_bits(int rc)
{
    return rc == -ERANGE ? (IDE_ERR_IDNF | IDE_ERR_ABRT) : rc == -EROFS ? IDE_ERR_ABRT : IDE_ERR_UNC;
}

/* A media error ends the command: the task file names the failing sector. */
static void media_failed(struct ide_channel *c, struct ide_drive *d, int rc)
{
    set_taskfile_lba(d, d->lba, cmd_is_lba48(d->cmd));
    cmd_abort(c, d, media_error_bits(rc));
}

/* n sectors moved: advance the command. */
static void sectors_done(struct ide_drive *d, uint32_t n)
{
    d->lba += n;
    d->remaining -= n;
}

/* Fill io_buf with the next PIO block of a read, raise DRQ and the IRQ. */
static void pio_read_block(struct ide_channel *c, struct ide_drive *d)
{
    uint32_t n = d->remaining < d->block_sectors ? d->remaining : d->block_sectors;
    int rc = media_read(d, d->lba, d->io_buf, n);
    if (rc < 0) {
        media_failed(c, d, rc);
        return;
    }
    sectors_done(d, n);
    d->io_pos = 0;
    d->io_end = n * IDE_SECTOR_SIZE;
    d->pio = PIO_READ_SECTORS;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
    ide_set_irq(c);
}

static void pio_write_expect(struct ide_drive *d)
{
    uint32_t n = d->remaining < d->block_sectors ? d->remaining : d->block_sectors;
    d->io_pos = 0;
    d->io_end = n * IDE_SECTOR_SIZE;
    d->pio = PIO_WRITE_SECTORS;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
}

/* The PIO window was used up. */
static void pio_done(struct ide_channel *c, struct ide_drive *d)
{
    switch (d->pio) {
    case PIO_READ_SECTORS:
        if (d->remaining) {
            pio_read_block(c, d);
        } else {
            set_taskfile_lba(d, d->lba - 1, cmd_is_lba48(d->cmd));
            d->pio = PIO_NONE;
            d->status = IDE_ST_DRDY | IDE_ST_DSC;
        }
        break;
    case PIO_WRITE_SECTORS: {
        uint32_t n = d->io_end / IDE_SECTOR_SIZE;
        int rc = media_write(d, d->lba, d->io_buf, n);
        if (rc < 0) {
            media_failed(c, d, rc);
            break;
        }
        sectors_done(d, n);
        if (d->remaining) {
            pio_write_expect(d);
            ide_set_irq(c);
        } else {
            set_taskfile_lba(d, d->lba - 1, cmd_is_lba48(d->cmd));
            cmd_ok(c, d);
        }
        break;
    }
    case PIO_DATA_IN_DONE:
        d->pio = PIO_NONE;
        d->status = IDE_ST_DRDY | IDE_ST_DSC;
        break;
    case PIO_ATAPI_PACKET:
        ide_atapi_packet(c, d);
        break;
    case PIO_ATAPI_DATA_IN:
        ide_atapi_continue(c, d);
        break;
    case PIO_NONE:
        break;
    }
}

/* ---- bus-master DMA ---- */

void prd_start(struct prd_cursor *pc, uint32_t table)
{
    *pc = (struct prd_cursor){.next = table & ~3u};
}

static bool prd_load(struct ide_channel *c, struct prd_cursor *pc)
{
    if (pc->eot || pc->count >= PRD_MAX_ENTRIES)
        return false;
    uint8_t e[8];
    physmem_read_buf(c->ide->env.mem, pc->next, e, sizeof(e));
    pc->addr = (uint32_t)(e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24) & ~1u;
    uint32_t n = (uint32_t)(e[4] | e[5] << 8) & ~1u;
    pc->left = n ? n : 0x10000;
    pc->eot = (e[7] & 0x80) != 0;
    pc->next += 8;
    pc->count++;
    return true;
}

size_t prd_move(struct ide_channel *c, struct prd_cursor *pc, uint8_t *buf, size_t len,
                bool to_guest)
{
    size_t done = 0;
    while (done < len) {
        if (pc->left == 0 && !prd_load(c, pc))
            break;
        size_t n = len - done < pc->left ? len - done : pc->left;
        /* DMA goes through the physical memory map like any access:
         * MMIO and unmapped addresses get what the bus gives them. */
        if (to_guest)
            physmem_write_buf(c->ide->env.mem, pc->addr, buf + done, n);
        else
            physmem_read_buf(c->ide->env.mem, pc->addr, buf + done, n);
        pc->addr += (uint32_t)n;
        pc->left -= (uint32_t)n;
        done += n;
    }
    return done;
}

bool prd_exhausted(const struct prd_cursor *pc)
{
    return pc->left == 0 && (pc->eot || pc->count >= PRD_MAX_ENTRIES);
}

void ide_dma_finish(struct ide_channel *c, bool table_left, bool error)
{
    if (!table_left)
        c->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    if (error)
        c->bm_status |= BM_ST_ERROR;
    c->bm_status |= BM_ST_INTR;
}

static void ata_dma_run(struct ide_channel *c, struct ide_drive *d)
{
    bool write = d->cmd == CMD_WRITE_DMA || d->cmd == CMD_WRITE_DMA_NORETRY ||
                 d->cmd == CMD_WRITE_DMA_EXT;
    struct prd_cursor pc;
    prd_start(&pc, c->bm_prd);
    uint32_t per_chunk = IDE_BUF_SIZE / IDE_SECTOR_SIZE;
    while (d->remaining) {
        uint32_t n = d->remaining < per_chunk ? d->remaining : per_chunk;
        size_t len = (size_t)n * IDE_SECTOR_SIZE;
        int rc = 0;
        if (!write)
            rc = media_read(d, d->lba, d->io_buf, n);
        if (rc == 0 && prd_move(c, &pc, d->io_buf, len, !write) < len) {
            /* The table ended before the data: the transfer stops there. */
            ide_dma_finish(c, false, true);
            set_taskfile_lba(d, d->lba, cmd_is_lba48(d->cmd));
            cmd_abort(c, d, IDE_ERR_ABRT);
            return;
        }
        if (rc == 0 && write)
            rc = media_write(d, d->lba, d->io_buf, n);
        if (rc < 0) {
            ide_dma_finish(c, false, true);
            media_failed(c, d, rc);
            return;
        }
        sectors_done(d, n);
    }
    set_taskfile_lba(d, d->lba - 1, cmd_is_lba48(d->cmd));
    ide_dma_finish(c, !prd_exhausted(&pc), false);
    cmd_ok(c, d);
}

void ide_dma_run(struct ide_channel *c, struct ide_drive *d)
{
    d->dma_pending = false;
    if (d->kind == IDE_CDROM)
        ide_atapi_continue(c, d);
    else
        ata_dma_run(c, d);
}

/* A DMA command: run now if the bus master is already started, else when
 * it is. */
static void start_dma(struct ide_channel *c, struct ide_drive *d)
{
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
    d->dma_pending = true;
    if (c->bm_cmd & BM_CMD_START)
        ide_dma_run(c, d);
}

/* ---- command dispatch ---- */

static void start_rw(struct ide_channel *c, struct ide_drive *d, bool write, bool dma,
                     uint32_t block)
{
    bool lba48 = cmd_is_lba48(d->cmd);
    uint64_t lba = taskfile_lba(d, lba48);
    uint32_t count = taskfile_count(d, lba48);
    if (lba == UINT64_MAX || lba >= d->nsectors || count > d->nsectors - lba) {
        cmd_abort(c, d, IDE_ERR_IDNF | IDE_ERR_ABRT);
        return;
    }
    if (write && d->read_only) {
        cmd_abort(c, d, IDE_ERR_ABRT);
        return;
    }
    d->lba = lba;
    d->remaining = count;
    d->block_sectors = block;
    if (dma)
        start_dma(c, d);
    else if (write)
        pio_write_expect(d);
    else
        pio_read_block(c, d);
}

static void set_features(struct ide_channel *c, struct ide_drive *d)
{
    switch (d->feature) {
    case 0x02: d->write_cache = true; break;
    case 0x82: d->write_cache = false; break;
    case 0x03: /* set transfer mode: PIO (0x08+n), MWDMA (0x20+n), UDMA (0x40+n) */
        if ((d->nsector >> 3) != 1 && (d->nsector >> 3) != 0 && (d->nsector >> 3) != 4 &&
            (d->nsector >> 3) != 8) {
            cmd_abort(c, d, IDE_ERR_ABRT);
            return;
        }
        d->xfer_mode = d->nsector;
        break;
    case 0x55: case 0xaa: case 0x66: case 0xcc: case 0x05: case 0x85: case 0x31: case 0x42:
    case 0xc2:
        break; /* read look-ahead, reverting to defaults, APM, media status: accepted */
    default:
        cmd_abort(c, d, IDE_ERR_ABRT);
        return;
    }
    cmd_ok(c, d);
}

static void flush_cache(struct ide_channel *c, struct ide_drive *d)
{
    /* Data the guest flushed is on the host disk before the command ends. */
    if (d->kind == IDE_DISK && !d->read_only && block_flush(d->blk) < 0) {
        cmd_abort(c, d, IDE_ERR_ABRT);
        return;
    }
    cmd_ok(c, d);
}

/* IDENTIFY (PACKET) DEVICE: the 256 words in io_buf are one PIO data-in
 * block; the command ends when the host has read it. */
static void identify_data_in(struct ide_channel *c, struct ide_drive *d)
{
    d->io_pos = 0;
    d->io_end = 512;
    d->pio = PIO_DATA_IN_DONE;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
    ide_set_irq(c);
}

static void exec_command(struct ide_channel *c, uint8_t cmd)
{
    struct ide_drive *d = cur_drive(c);
    /* A command to an absent device 1 is ignored (device 0 answers for
     * it with status 0); to an absent channel likewise. */
    if (d->kind == IDE_NONE)
        return;
    if ((d->status & IDE_ST_BSY) && cmd != CMD_DEVICE_RESET)
        return;
    d->cmd = cmd;
    d->error = 0;
    d->dma_pending = false;
    if (d->kind == IDE_CDROM) {
        switch (cmd) {
        case CMD_PACKET:
            d->byte_limit = (uint16_t)(d->hcyl << 8 | d->lcyl);
            d->io_pos = 0;
            d->io_end = sizeof(d->packet);
            d->pio = PIO_ATAPI_PACKET;
            d->nsector = (uint8_t)((d->nsector & 0xf8) | 0x01); /* CoD=1, IO=0 */
            d->status = IDE_ST_DRDY | IDE_ST_DRQ;
            return;
        case CMD_IDENTIFY_PACKET:
            ide_atapi_identify(d);
            identify_data_in(c, d);
            return;
        case CMD_DEVICE_RESET:
            set_signature(d);
            d->status = 0;
            d->error = 1;
            d->pio = PIO_NONE;
            return;
        case CMD_EXEC_DIAGNOSTIC:
            set_signature(d);
            d->status = 0;
            d->error = 1;
            ide_set_irq(c);
            return;
        case CMD_SET_FEATURES:
            set_features(c, d);
            return;
        case CMD_CHECK_POWER_MODE:
            d->nsector = 0xff;
            cmd_ok(c, d);
            return;
        case CMD_IDLE_IMMEDIATE: case CMD_STANDBY_IMMEDIATE: case CMD_SLEEP:
            cmd_ok(c, d);
            return;
        default:
            /* ATA commands abort on a packet device, with the signature in
             * place so that drivers recognise it (ATA/ATAPI-7 6.17). */
            set_signature(d);
            cmd_abort(c, d, IDE_ERR_ABRT);
            return;
        }
    }
    switch (cmd) {
    case CMD_IDENTIFY:
        identify_disk(d);
        identify_data_in(c, d);
        return;
    case CMD_READ_SECTORS: case CMD_READ_SECTORS_NORETRY: case CMD_READ_SECTORS_EXT:
        start_rw(c, d, false, false, 1);
        return;
    case CMD_WRITE_SECTORS: case CMD_WRITE_SECTORS_NORETRY: case CMD_WRITE_SECTORS_EXT:
        start_rw(c, d, true, false, 1);
        return;
    case CMD_READ_MULTIPLE: case CMD_READ_MULTIPLE_EXT:
    case CMD_WRITE_MULTIPLE: case CMD_WRITE_MULTIPLE_EXT:
        if (!d->mult_sectors) {
            cmd_abort(c, d, IDE_ERR_ABRT);
            return;
        }
        start_rw(c, d, cmd == CMD_WRITE_MULTIPLE || cmd == CMD_WRITE_MULTIPLE_EXT, false,
                 d->mult_sectors);
        return;
    case CMD_READ_DMA: case CMD_READ_DMA_NORETRY: case CMD_READ_DMA_EXT:
        start_rw(c, d, false, true, 1);
        return;
    case CMD_WRITE_DMA: case CMD_WRITE_DMA_NORETRY: case CMD_WRITE_DMA_EXT:
        start_rw(c, d, true, true, 1);
        return;
    case CMD_READ_VERIFY: case CMD_READ_VERIFY_NORETRY: case CMD_READ_VERIFY_EXT: {
        bool lba48 = cmd == CMD_READ_VERIFY_EXT;
        uint64_t lba = taskfile_lba(d, lba48);
        uint32_t count = taskfile_count(d, lba48);
        if (lba == UINT64_MAX || lba >= d->nsectors || count > d->nsectors - lba) {
            cmd_abort(c, d, IDE_ERR_IDNF | IDE_ERR_ABRT);
            return;
        }
        set_taskfile_lba(d, lba + count - 1, lba48);
        cmd_ok(c, d);
        return;
    }
    case CMD_SET_MULTIPLE:
        if (d->nsector > IDE_MAX_MULTIPLE || (d->nsector & (d->nsector - 1))) {
            cmd_abort(c, d, IDE_ERR_ABRT);
            return;
        }
        d->mult_sectors = d->nsector;
        cmd_ok(c, d);
        return;
    case CMD_INIT_DEV_PARAMS:
        d->chs_heads = (uint16_t)((d->select & 0xf) + 1);
        d->chs_secs = d->nsector;
        cmd_ok(c, d);
        return;
    case CMD_SET_FEATURES:
        set_features(c, d);
        return;
    case CMD_FLUSH_CACHE: case CMD_FLUSH_CACHE_EXT:
        flush_cache(c, d);
        return;
    case CMD_SEEK:
        cmd_ok(c, d);
        return;
    case CMD_CHECK_POWER_MODE:
        d->nsector = 0xff; /* active or idle */
        cmd_ok(c, d);
        return;
    case CMD_IDLE: case CMD_IDLE_IMMEDIATE: case CMD_STANDBY: case CMD_STANDBY_IMMEDIATE:
    case CMD_SLEEP:
        cmd_ok(c, d);
        return;
    case CMD_EXEC_DIAGNOSTIC:
        set_signature(d);
        d->status = IDE_ST_DRDY | IDE_ST_DSC;
        d->error = 1; /* device 0 passed */
        ide_set_irq(c);
        return;
    default:
        cmd_abort(c, d, IDE_ERR_ABRT);
        return;
    }
}

/* ---- registers ---- */

static void soft_reset(struct ide_channel *c)
{
    for (unsigned i = 0; i < 2; i++) {
        struct ide_drive *d = &c->drive[i];
        if (d->kind == IDE_NONE)
            continue;
        set_signature(d);
        d->status = d->kind == IDE_CDROM ? 0 : IDE_ST_DRDY | IDE_ST_DSC;
        d->error = 1;
        d->pio = PIO_NONE;
        d->dma_pending = false;
        d->mult_sectors = 0;
    }
    c->cur = 0;
}

static uint32_t data_read(struct ide_drive *d, unsigned size)
{
    if (d->pio == PIO_NONE || d->pio == PIO_WRITE_SECTORS || d->pio == PIO_ATAPI_PACKET ||
        d->io_pos + size > d->io_end)
        return 0;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)d->io_buf[d->io_pos + i] << (8 * i);
    d->io_pos += size;
    return v;
}

static bool data_write(struct ide_drive *d, uint32_t v, unsigned size)
{
    if ((d->pio != PIO_WRITE_SECTORS && d->pio != PIO_ATAPI_PACKET) || d->io_pos + size > d->io_end)
        return false;
    uint8_t *dst = d->pio == PIO_ATAPI_PACKET ? d->packet : d->io_buf;
    for (unsigned i = 0; i < size; i++)
        dst[d->io_pos + i] = (uint8_t)(v >> (8 * i));
    d->io_pos += size;
    return true;
}

static uint32_t ide_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide_channel *c = opaque;
    struct ide_drive *d = cur_drive(c);
    unsigned reg = port & 7;
    bool hob = c->devctl & CTL_HOB;
    if (port == legacy_ctl[c - c->ide->ch]) /* alternate status: no IRQ side effect */
        return channel_empty(c) || d->kind == IDE_NONE ? 0 : d->status;
    if (reg == 0) {
        uint32_t v = data_read(d, size);
        if (d->io_pos >= d->io_end && d->pio != PIO_NONE && d->pio != PIO_WRITE_SECTORS &&
            d->pio != PIO_ATAPI_PACKET)
            pio_done(c, d);
        return v;
    }
    if (channel_empty(c) || d->kind == IDE_NONE)
        return reg == 6 ? (uint32_t)(d->select | 0xa0) : 0;
    switch (reg) {
    case 1: return hob ? d->hob_feature : d->error;
    case 2: return hob ? d->hob_nsector : d->nsector;
    case 3: return hob ? d->hob_sector : d->sector;
    case 4: return hob ? d->hob_lcyl : d->lcyl;
    case 5: return hob ? d->hob_hcyl : d->hcyl;
    case 6: return d->select | 0xa0;
    default: /* 7: status; reading it acknowledges the interrupt */
        clear_irq(c);
        return d->status;
    }
}

static void write_taskfile(struct ide_channel *c, unsigned reg, uint8_t v)
{
    /* Writes go to both devices; the previous value moves to the HOB. */
    for (unsigned i = 0; i < 2; i++) {
        struct ide_drive *d = &c->drive[i];
        switch (reg) {
        case 1: d->hob_feature = d->feature; d->feature = v; break;
        case 2: d->hob_nsector = d->nsector; d->nsector = v; break;
        case 3: d->hob_sector = d->sector; d->sector = v; break;
        case 4: d->hob_lcyl = d->lcyl; d->lcyl = v; break;
        case 5: d->hob_hcyl = d->hcyl; d->hcyl = v; break;
        default: break;
        }
    }
}

static void ide_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct ide_channel *c = opaque;
    unsigned reg = port & 7;
    if (port == legacy_ctl[c - c->ide->ch]) {
        uint8_t old = c->devctl;
        c->devctl = (uint8_t)value;
        if ((value & CTL_SRST) && !(old & CTL_SRST)) {
            for (unsigned i = 0; i < 2; i++)
                if (c->drive[i].kind != IDE_NONE)
                    c->drive[i].status = IDE_ST_BSY;
        } else if (!(value & CTL_SRST) && (old & CTL_SRST)) {
            soft_reset(c);
        }
        update_irq(c);
        return;
    }
    struct ide_drive *d = cur_drive(c);
    if (reg == 0) {
        if (data_write(d, value, size) && d->io_pos >= d->io_end)
            pio_done(c, d);
        return;
    }
    /* Any task-file write clears the HOB bit (ATA/ATAPI-7 6.12). */
    c->devctl &= (uint8_t)~CTL_HOB;
    uint8_t v = (uint8_t)value;
    switch (reg) {
    case 6:
        c->drive[0].select = c->drive[1].select = (uint8_t)(v & ~0xa0);
        c->cur = (v & SEL_DEV) ? 1 : 0;
        break;
    case 7:
        clear_irq(c);
        exec_command(c, v);
        break;
    default:
        write_taskfile(c, reg, v);
        break;
    }
}

/* ---- bus master registers (BAR4) ---- */

static uint32_t bm_read(void *opaque, uint16_t port, unsigned size)
{
    struct piix_ide *ide = opaque;
    uint64_t base = ide->pci.bars[4].mapped;
    unsigned off = (unsigned)(port - base);
    struct ide_channel *c = &ide->ch[(off >> 3) & 1];
    uint32_t v;
    switch (off & 7) {
    case 0: v = c->bm_cmd; break;
    case 2: v = c->bm_status; break;
    case 4: case 5: case 6: case 7:
        v = c->bm_prd >> (8 * ((off & 7) - 4));
        break;
    default: v = 0; break;
    }
    if (size == 4 && (off & 7) == 0)
        v = c->bm_cmd | (uint32_t)c->bm_status << 16;
    return v & (size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu);
}

static void bm_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct piix_ide *ide = opaque;
    uint64_t base = ide->pci.bars[4].mapped;
    unsigned off = (unsigned)(port - base);
    struct ide_channel *c = &ide->ch[(off >> 3) & 1];
    switch (off & 7) {
    case 0: {
        uint8_t old = c->bm_cmd;
        c->bm_cmd = (uint8_t)(value & (BM_CMD_START | BM_CMD_READ));
        if ((c->bm_cmd & BM_CMD_START) && !(old & BM_CMD_START)) {
            c->bm_status |= BM_ST_ACTIVE;
            struct ide_drive *d = cur_drive(c);
            if (d->dma_pending)
                ide_dma_run(c, d);
        } else if (!(c->bm_cmd & BM_CMD_START)) {
            c->bm_status &= (uint8_t)~BM_ST_ACTIVE;
        }
        if (size >= 2) /* a wider write reaches the status byte too */
            bm_write(opaque, (uint16_t)(port + 2), value >> 16, 1);
        break;
    }
    case 2:
        /* Interrupt and error are cleared by writing 1; the capability
         * bits are plain read/write. */
        c->bm_status = (uint8_t)((c->bm_status & ~(value & (BM_ST_INTR | BM_ST_ERROR)) &
                                  ~BM_ST_CAPS) | (value & BM_ST_CAPS));
        break;
    case 4: case 5: case 6: case 7: {
        unsigned sh = 8 * ((off & 7) - 4);
        uint32_t mask = (size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu) << sh;
        c->bm_prd = ((c->bm_prd & ~mask) | ((value << sh) & mask)) & ~3u;
        break;
    }
    default:
        break;
    }
}

static void ide_bar_remap(struct pci_device *dev, int bar, uint64_t addr)
{
    struct piix_ide *ide = dev->opaque;
    if (bar != 4)
        return;
    if (addr == PCI_BAR_UNMAPPED)
        iobus_set_range(ide->env.io, ide->bm_io_handler, 0, 0);
    else
        iobus_set_range(ide->env.io, ide->bm_io_handler, (uint16_t)addr, 16);
}

/* ---- life cycle ---- */

static void drive_reset(struct ide_drive *d)
{
    d->mult_sectors = 0;
    d->xfer_mode = 0;
    d->write_cache = true;
    d->chs_heads = d->heads;
    d->chs_secs = d->secs;
    d->pio = PIO_NONE;
    d->dma_pending = false;
    d->feature = d->hob_feature = d->hob_nsector = d->hob_sector = 0;
    d->hob_lcyl = d->hob_hcyl = 0;
    d->select = 0;
    set_signature(d);
    d->error = 1;
    d->status = d->kind == IDE_DISK ? IDE_ST_DRDY | IDE_ST_DSC : 0;
    d->sense_key = d->asc = d->ascq = 0;
    d->locked = false;
}

void piix_ide_reset(struct piix_ide *ide)
{
    /* IDETIM primary/secondary: IDE decode enable (bit 15) set, as the
     * chipset comes up on QEMU's pc; Linux's ata_piix probes a channel only
     * when it is set (no firmware runs before a -kernel boot). */
    ide->pci.config[0x40] = 0x00;
    ide->pci.config[0x41] = 0x80;
    ide->pci.config[0x42] = 0x00;
    ide->pci.config[0x43] = 0x80;
    for (unsigned ch = 0; ch < 2; ch++) {
        struct ide_channel *c = &ide->ch[ch];
        for (unsigned i = 0; i < 2; i++)
            drive_reset(&c->drive[i]);
        c->cur = 0;
        c->devctl = 0;
        c->bm_cmd = 0;
        c->bm_status = 0;
        c->bm_prd = 0;
        c->irq_pending = false;
        update_irq(c);
    }
}

int piix_ide_init(struct piix_ide *ide, struct pci_bus *bus, const struct device_env *env)
{
    memset(ide, 0, sizeof(*ide));
    ide->env = *env;
    /* Class 01 01 80: IDE, bus master, both channels in compatibility mode. */
    pci_device_init(&ide->pci, 0x8086, 0x7010, 0x00, 0x010180, ide);
    pci_register_bar(&ide->pci, 4, 16, PCI_BAR_IO, false);
    ide->pci.bar_remap = ide_bar_remap;
    /* IDETIM (40h, 42h): read/write, decode enable in bit 15. */
    ide->pci.wmask[0x40] = ide->pci.wmask[0x41] = ide->pci.wmask[0x42] = 0xff;
    ide->pci.wmask[0x43] = 0xff;
    ide->pci.wmask[0x44] = 0xff; /* SIDETIM */
    for (unsigned ch = 0; ch < 2; ch++) {
        struct ide_channel *c = &ide->ch[ch];
        c->ide = ide;
        c->irq = legacy_irq[ch];
        for (unsigned i = 0; i < 2; i++) {
            c->drive[i].io_buf = calloc(1, IDE_BUF_SIZE);
            if (!c->drive[i].io_buf)
                return -1;
        }
        if (iobus_register(env->io, legacy_base[ch], 8, c, ide_io_read, ide_io_write,
                           ch ? "ide1" : "ide0") < 0 ||
            iobus_register(env->io, legacy_ctl[ch], 1, c, ide_io_read, ide_io_write,
                           ch ? "ide1-ctl" : "ide0-ctl") < 0)
            return -1;
    }
    /* Registered unmapped: BAR4 places it (ide_bar_remap). */
    ide->bm_io_handler = iobus_register(env->io, 0, 0, ide, bm_read, bm_write, "ide-bmdma");
    if (ide->bm_io_handler < 0 || iobus_set_range(env->io, ide->bm_io_handler, 0, 0) < 0 ||
        pci_register_device(bus, &ide->pci, PIIX3_IDE_DEVFN) < 0)
        return -1;
    piix_ide_reset(ide);
    return 0;
}

void piix_ide_destroy(struct piix_ide *ide)
{
    for (unsigned ch = 0; ch < 2; ch++)
        for (unsigned i = 0; i < 2; i++) {
            free(ide->ch[ch].drive[i].io_buf);
            ide->ch[ch].drive[i].io_buf = NULL;
        }
}

static void default_geometry(struct ide_drive *d)
{
    /* The usual translation: 16 heads, 63 sectors, as many cylinders as
     * fit (at most 16383). */
    uint64_t cyls = d->nsectors / (16 * 63);
    d->heads = 16;
    d->secs = 63;
    d->cyls = (uint16_t)(cyls > 16383 ? 16383 : cyls < 1 ? 1 : cyls);
}

int ide_attach(struct piix_ide *ide, unsigned ch, unsigned unit, enum ide_kind kind,
               struct block_backend *blk, const char *serial)
{
    if (ch > 1 || unit > 1 || kind == IDE_NONE || (kind == IDE_DISK && !blk))
        return -1;
    struct ide_drive *d = &ide->ch[ch].drive[unit];
    if (d->kind != IDE_NONE)
        return -1;
    d->kind = kind;
    d->blk = blk;
    d->has_media = blk != NULL;
    d->media_size = blk ? block_length(blk) : 0;
    d->read_only = kind == IDE_CDROM || (blk && block_read_only(blk));
    d->nsectors = d->media_size / IDE_SECTOR_SIZE;
    snprintf(d->serial, sizeof(d->serial), "%s", serial ? serial : "TURTLES0000");
    snprintf(d->model, sizeof(d->model), "%s",
             kind == IDE_CDROM ? "TURTLES DVD-ROM" : "TURTLES HARDDISK");
    if (kind == IDE_DISK)
        default_geometry(d);
    drive_reset(d);
    return 0;
}

bool ide_cdrom_locked(const struct piix_ide *ide, unsigned ch, unsigned unit)
{
    if (ch > 1 || unit > 1)
        return false;
    const struct ide_drive *d = &ide->ch[ch].drive[unit];
    return d->kind == IDE_CDROM && d->locked;
}

int ide_cdrom_change(struct piix_ide *ide, unsigned ch, unsigned unit,
                     struct block_backend *blk, bool force)
{
    if (ch > 1 || unit > 1)
        return -1;
    struct ide_drive *d = &ide->ch[ch].drive[unit];
    if (d->kind != IDE_CDROM || (d->locked && !force))
        return -1;
    d->locked = false;
    d->blk = blk;
    d->has_media = blk != NULL;
    d->media_size = blk ? block_length(blk) : 0;
    d->unit_attention = true;
    d->media_event = true;
    return 0;
}

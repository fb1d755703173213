/* ATAPI CD-ROM: the PACKET command's phases (ATA/ATAPI-7 Vol. 2, 11.8:
 * command packet, data-in by PIO windows of at most the byte count limit
 * or by DMA, status) and the MMC commands that firmware, bootloaders and
 * Linux's sr driver send (MMC-3/SPC-3 command descriptions). */
#include <errno.h>
#include <string.h>

#include "devices/ide.h"

/* SCSI/MMC operation codes */
#define SC_TEST_UNIT_READY 0x00
#define SC_REQUEST_SENSE 0x03
#define SC_INQUIRY 0x12
#define SC_MODE_SENSE_6 0x1a
#define SC_START_STOP_UNIT 0x1b
#define SC_PREVENT_ALLOW 0x1e
#define SC_READ_CAPACITY 0x25
#define SC_READ_10 0x28
#define SC_SEEK_10 0x2b
#define SC_VERIFY_10 0x2f
#define SC_READ_TOC 0x43
#define SC_GET_CONFIGURATION 0x46
#define SC_GET_EVENT_STATUS 0x4a
#define SC_READ_DISC_INFO 0x51
#define SC_MODE_SENSE_10 0x5a
#define SC_READ_12 0xa8
#define SC_SET_CD_SPEED 0xbb
#define SC_MECHANISM_STATUS 0xbd
#define SC_READ_CD 0xbe

/* Sense keys and additional sense codes */
#define SK_NOT_READY 0x02
#define SK_MEDIUM_ERROR 0x03
#define SK_ILLEGAL_REQUEST 0x05
#define SK_UNIT_ATTENTION 0x06
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x28
#define ASC_MEDIUM_NOT_PRESENT 0x3a
#define ASC_READ_ERROR 0x11
#define ASC_MEDIUM_REMOVAL_PREVENTED 0x53

/* Interrupt reason (sector count register) */
#define IR_COD 0x01
#define IR_IO 0x02

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

static uint32_t disc_blocks(const struct ide_drive *d)
{
    uint64_t n = d->media_size / ATAPI_SECTOR_SIZE;
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* LBA to minutes/seconds/frames, with the 2-second lead-in (MMC 4.2.3). */
static void put_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = 0;
    p[1] = (uint8_t)(lba / (75 * 60));
    p[2] = (uint8_t)(lba / 75 % 60);
    p[3] = (uint8_t)(lba % 75);
}

/* ---- the status phase ---- */

static void finish_ok(struct ide_channel *c, struct ide_drive *d)
{
    d->sense_key = d->asc = d->ascq = 0;
    d->status = IDE_ST_DRDY | IDE_ST_DSC;
    d->error = 0;
    d->nsector = (uint8_t)((d->nsector & 0xf8) | IR_IO | IR_COD);
    d->pio = PIO_NONE;
    d->dma_pending = false;
    ide_set_irq(c);
}

static void finish_check(struct ide_channel *c, struct ide_drive *d, uint8_t key, uint8_t asc)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = 0;
    d->status = IDE_ST_DRDY | IDE_ST_ERR;
    d->error = (uint8_t)(key << 4 | IDE_ERR_ABRT);
    d->nsector = (uint8_t)((d->nsector & 0xf8) | IR_IO | IR_COD);
    d->pio = PIO_NONE;
    d->dma_pending = false;
    ide_set_irq(c);
}

/* ---- the data-in phase ---- */

/* Stage the next blocks of a READ in io_buf. Returns false on a media error
 * (the command has then ended). */
static bool stage_blocks(struct ide_channel *c, struct ide_drive *d)
{
    uint32_t n = d->remaining < IDE_BUF_SIZE / ATAPI_SECTOR_SIZE ? d->remaining
                                                                  : IDE_BUF_SIZE / ATAPI_SECTOR_SIZE;
    int rc = block_read(d->blk, d->lba * ATAPI_SECTOR_SIZE, d->io_buf,
                        (size_t)n * ATAPI_SECTOR_SIZE);
    if (rc < 0) {
        finish_check(c, d, SK_MEDIUM_ERROR, ASC_READ_ERROR);
        return false;
    }
    d->lba += n;
    d->remaining -= n;
    d->stage_len = n * ATAPI_SECTOR_SIZE;
    d->io_pos = 0;
    return true;
}

/* Offer the next PIO window of the staged data: at most the byte count
 * limit (even), raise DRQ and the interrupt. */
static void next_window(struct ide_channel *c, struct ide_drive *d)
{
    uint32_t limit = d->byte_limit & ~1u;
    if (limit == 0)
        limit = 0xfffe;
    uint32_t n = d->stage_len - d->io_pos;
    if (n > limit)
        n = limit;
    d->io_end = d->io_pos + n;
    d->lcyl = (uint8_t)n;
    d->hcyl = (uint8_t)(n >> 8);
    d->nsector = (uint8_t)((d->nsector & 0xf8) | IR_IO);
    d->pio = PIO_ATAPI_DATA_IN;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
    ide_set_irq(c);
}

static void dma_data_in(struct ide_channel *c, struct ide_drive *d)
{
    struct prd_cursor pc;
    prd_start(&pc, c->bm_prd);
    for (;;) {
        uint32_t n = d->stage_len - d->io_pos;
        if (n && prd_move(c, &pc, d->io_buf + d->io_pos, n, true) < n) {
            ide_dma_finish(c, false, true);
            finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            return;
        }
        d->io_pos = d->stage_len;
        if (!d->remaining)
            break;
        if (!stage_blocks(c, d)) {
            ide_dma_finish(c, false, true);
            return;
        }
    }
    ide_dma_finish(c, !prd_exhausted(&pc), false);
    finish_ok(c, d);
}

/* Start the data-in phase with len staged bytes (and, for READ, the blocks
 * in d->lba/d->remaining still to come). */
static void data_in(struct ide_channel *c, struct ide_drive *d, uint32_t len)
{
    d->stage_len = len;
    d->io_pos = 0;
    if (len == 0 && d->remaining == 0) {
        finish_ok(c, d);
        return;
    }
    if (d->atapi_dma) {
        d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
        d->dma_pending = true;
        if (c->bm_cmd & 0x01)
            ide_dma_run(c, d);
        return;
    }
    if (len == 0 && !stage_blocks(c, d))
        return;
    next_window(c, d);
}

void ide_atapi_continue(struct ide_channel *c, struct ide_drive *d)
{
    if (d->atapi_dma) {
        dma_data_in(c, d);
        return;
    }
    if (d->io_pos < d->stage_len) {
        next_window(c, d);
        return;
    }
    if (d->remaining) {
        if (stage_blocks(c, d))
            next_window(c, d);
        return;
    }
    finish_ok(c, d);
}

/* Reply with up to alloc bytes of what is in io_buf[0, len). */
static void reply(struct ide_channel *c, struct ide_drive *d, uint32_t len, uint32_t alloc)
{
    d->remaining = 0;
    data_in(c, d, len < alloc ? len : alloc);
}

/* ---- commands ---- */

static bool need_media(struct ide_channel *c, struct ide_drive *d)
{
    if (!d->has_media) {
        finish_check(c, d, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
        return false;
    }
    return true;
}

static void cmd_read(struct ide_channel *c, struct ide_drive *d, uint32_t lba, uint32_t count)
{
    if (!need_media(c, d))
        return;
    uint32_t total = disc_blocks(d);
    if (lba > total || count > total - lba) {
        finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        return;
    }
    d->lba = lba;
    d->remaining = count;
    data_in(c, d, 0);
}

static uint32_t build_toc(struct ide_drive *d, const uint8_t *cdb, uint8_t *b)
{
    bool msf = cdb[1] & 2;
    unsigned format = cdb[2] & 0xf;
    if (format == 0 && (cdb[9] >> 6))
        format = cdb[9] >> 6; /* the older location of the format field */
    uint32_t total = disc_blocks(d);
    uint32_t n = 4;
    switch (format) {
    case 0: /* formatted TOC: track 1 (data) and the lead-out */
        if (cdb[6] > 1 && cdb[6] != 0xaa)
            return 0;
        b[2] = 1;
        b[3] = 1;
        if (cdb[6] <= 1) {
            memset(b + n, 0, 8);
            b[n + 1] = 0x14; /* ADR 1, data track, copy permitted */
            b[n + 2] = 1;
            if (msf)
                put_msf(b + n + 4, 0);
            n += 8;
        }
        memset(b + n, 0, 8);
        b[n + 1] = 0x16;
        b[n + 2] = 0xaa;
        if (msf)
            put_msf(b + n + 4, total);
        else
            put_be32(b + n + 4, total);
        n += 8;
        break;
    case 1: /* session information: one complete session */
        b[2] = 1;
        b[3] = 1;
        memset(b + n, 0, 8);
        b[n + 1] = 0x14;
        b[n + 2] = 1;
        if (msf)
            put_msf(b + n + 4, 0);
        n += 8;
        break;
    case 2: { /* raw TOC: points A0, A1, A2 and track 1 of session 1 */
        b[2] = 1;
        b[3] = 1;
        static const uint8_t points[4] = {0xa0, 0xa1, 0xa2, 0x01};
        for (unsigned i = 0; i < 4; i++) {
            uint8_t *e = b + n;
            memset(e, 0, 11);
            e[0] = 1;            /* session */
            e[1] = 0x14;
            e[3] = points[i];
            if (points[i] == 0xa0)
                e[8] = 1;        /* first track */
            else if (points[i] == 0xa1)
                e[8] = 1;        /* last track */
            else if (points[i] == 0xa2)
                put_msf(e + 7, total);
            else
                put_msf(e + 7, 0);
            n += 11;
        }
        break;
    }
    default:
        return 0;
    }
    put_be16(b, (uint16_t)(n - 2));
    return n;
}

static uint32_t build_mode_sense(struct ide_drive *d, unsigned page, uint8_t *b)
{
    uint32_t n = 8;
    memset(b, 0, 8);
    b[2] = d->has_media ? 0x01 : 0x70; /* medium type: 120 mm data disc / no disc */
    bool all = page == 0x3f;
    if (page == 0x01 || all) { /* read error recovery */
        static const uint8_t p[8] = {0x01, 0x06, 0x00, 0x05, 0, 0, 0, 0};
        memcpy(b + n, p, sizeof(p));
        n += sizeof(p);
    }
    if (page == 0x0e || all) { /* CD audio control */
        static const uint8_t p[16] = {0x0e, 0x0e, 0x04, 0, 0, 0, 0, 0x4b,
                                      0x01, 0xff, 0x02, 0xff, 0, 0, 0, 0};
        memcpy(b + n, p, sizeof(p));
        n += sizeof(p);
    }
    if (page == 0x2a || all) { /* CD capabilities and mechanical status */
        uint8_t p[22];
        memset(p, 0, sizeof(p));
        p[0] = 0x2a;
        p[1] = 0x14;
        p[2] = 0x3b;  /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
        p[4] = 0x71;  /* audio play, composite, digital ports, multisession */
        p[5] = 0x60;  /* CD-DA commands, stream accurate */
        p[6] = (uint8_t)(0x29 | (d->locked ? 0x02 : 0)); /* tray, eject, lock */
        put_be16(p + 8, 706);  /* 4x in kB/s */
        put_be16(p + 10, 255); /* volume levels */
        put_be16(p + 12, 512); /* buffer size */
        put_be16(p + 14, 706);
        memcpy(b + n, p, sizeof(p));
        n += sizeof(p);
    }
    if (n == 8)
        return 0;
    put_be16(b, (uint16_t)(n - 2));
    return n;
}

static uint32_t build_configuration(struct ide_drive *d, const uint8_t *cdb, uint8_t *b)
{
    unsigned rt = cdb[1] & 3;
    uint16_t start = be16(cdb + 2);
    /* A CD-ROM profile with a disc, none without (MMC-3 5.3.1). */
    uint16_t profile = d->has_media ? 0x0008 : 0x0000;
    uint32_t n = 8;
    memset(b, 0, 8);
    put_be16(b + 6, profile);
    /* Feature 0000h: the profile list. */
    if (start == 0 || rt == 0) {
        if (start <= 0x0000 && (rt != 2 || start == 0x0000)) {
            uint8_t *f = b + n;
            memset(f, 0, 8);
            f[2] = 0x03; /* persistent, current */
            f[3] = 4;
            put_be16(f + 4, 0x0008);
            f[6] = profile == 0x0008;
            n += 8;
        }
    }
    /* Feature 0001h: core (ATAPI physical interface). */
    if (start <= 0x0001 && (rt != 2 || start == 0x0001)) {
        uint8_t *f = b + n;
        memset(f, 0, 12);
        put_be16(f, 0x0001);
        f[2] = 0x0b; /* version 2, persistent, current */
        f[3] = 8;
        put_be32(f + 4, 2); /* ATAPI */
        n += 12;
    }
    /* Feature 0003h: removable medium (tray, eject, lock). */
    if (start <= 0x0003 && (rt != 2 || start == 0x0003)) {
        uint8_t *f = b + n;
        memset(f, 0, 8);
        put_be16(f, 0x0003);
        f[2] = 0x03;
        f[3] = 4;
        f[4] = (uint8_t)(0x29 | (d->locked ? 0x04 : 0));
        n += 8;
    }
    put_be32(b, n - 4);
    return n;
}

static uint32_t build_event_status(struct ide_drive *d, const uint8_t *cdb, uint8_t *b)
{
    memset(b, 0, 8);
    b[3] = 0x10; /* supported classes: media */
    if (!(cdb[4] & 0x10)) {
        b[2] = 0x80; /* no event available */
        put_be16(b, 2);
        return 4;
    }
    b[2] = 0x04; /* media class */
    uint8_t event = 0;
    if (d->media_event) {
        event = d->has_media ? 2 : 3; /* new media / media removal */
        d->media_event = false;
    }
    b[4] = event;
    b[5] = d->has_media ? 0x02 : 0x00; /* media present, door closed */
    put_be16(b, 6);
    return 8;
}

void ide_atapi_packet(struct ide_channel *c, struct ide_drive *d)
{
    const uint8_t *cdb = d->packet;
    uint8_t *b = d->io_buf;
    d->atapi_dma = (d->feature & 1) != 0;
    d->remaining = 0;
    /* A changed disc is reported once, to any command but INQUIRY, REQUEST
     * SENSE and GET EVENT STATUS NOTIFICATION (SPC-3 5.6.5). */
    if (d->unit_attention && cdb[0] != SC_INQUIRY && cdb[0] != SC_REQUEST_SENSE &&
        cdb[0] != SC_GET_EVENT_STATUS) {
        d->unit_attention = false;
        finish_check(c, d, SK_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
        return;
    }
    switch (cdb[0]) {
    case SC_TEST_UNIT_READY:
        if (need_media(c, d))
            finish_ok(c, d);
        return;
    case SC_REQUEST_SENSE:
        memset(b, 0, 18);
        b[0] = 0x70; /* current error, fixed format */
        b[2] = d->sense_key;
        b[7] = 10;
        b[12] = d->asc;
        b[13] = d->ascq;
        if (d->unit_attention) {
            b[2] = SK_UNIT_ATTENTION;
            b[12] = ASC_MEDIUM_MAY_HAVE_CHANGED;
            d->unit_attention = false;
        }
        d->sense_key = d->asc = d->ascq = 0;
        reply(c, d, 18, cdb[4]);
        return;
    case SC_INQUIRY:
        memset(b, 0, 36);
        b[0] = 0x05; /* CD/DVD device */
        b[1] = 0x80; /* removable */
        b[2] = 0x00;
        b[3] = 0x21; /* ATAPI transport, response format 1 */
        b[4] = 31;
        memcpy(b + 8, "TURTLES ", 8);
        memcpy(b + 16, "TURTLES DVD-ROM ", 16);
        memcpy(b + 32, "1.0 ", 4);
        reply(c, d, 36, be16(cdb + 3));
        return;
    case SC_START_STOP_UNIT:
        /* LoEj with Start clear ejects, unless the guest locked the tray. */
        if ((cdb[4] & 3) == 2) {
            if (d->locked) {
                finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED);
                return;
            }
            d->has_media = false;
            d->media_event = true;
        }
        finish_ok(c, d);
        return;
    case SC_PREVENT_ALLOW:
        d->locked = cdb[4] & 1;
        finish_ok(c, d);
        return;
    case SC_READ_CAPACITY:
        if (!need_media(c, d))
            return;
        put_be32(b, disc_blocks(d) ? disc_blocks(d) - 1 : 0);
        put_be32(b + 4, ATAPI_SECTOR_SIZE);
        reply(c, d, 8, 8);
        return;
    case SC_READ_10:
        cmd_read(c, d, be32(cdb + 2), be16(cdb + 7));
        return;
    case SC_READ_12:
        cmd_read(c, d, be32(cdb + 2), be32(cdb + 6));
        return;
    case SC_READ_CD:
        /* User data only (sync/header/EDC off, user data on): as READ. */
        if ((cdb[9] & 0xf8) != 0x10) {
            finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            return;
        }
        cmd_read(c, d, be32(cdb + 2), (uint32_t)cdb[6] << 16 | be16(cdb + 7));
        return;
    case SC_SEEK_10:
    case SC_VERIFY_10:
        if (!need_media(c, d))
            return;
        if (be32(cdb + 2) >= disc_blocks(d)) {
            finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
            return;
        }
        finish_ok(c, d);
        return;
    case SC_READ_TOC: {
        if (!need_media(c, d))
            return;
        uint32_t n = build_toc(d, cdb, b);
        if (!n) {
            finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            return;
        }
        reply(c, d, n, be16(cdb + 7));
        return;
    }
    case SC_GET_CONFIGURATION:
        reply(c, d, build_configuration(d, cdb, b), be16(cdb + 7));
        return;
    case SC_GET_EVENT_STATUS:
        if (!(cdb[1] & 1)) { /* only polled operation is supported */
            finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            return;
        }
        reply(c, d, build_event_status(d, cdb, b), be16(cdb + 7));
        return;
    case SC_READ_DISC_INFO:
        if (!need_media(c, d))
            return;
        memset(b, 0, 34);
        put_be16(b, 32);
        b[2] = 0x0e; /* last session complete, disc finalized */
        b[3] = 1;    /* first track */
        b[4] = 1;    /* sessions */
        b[5] = 1;
        b[6] = 1;
        b[7] = 0x20; /* unrestricted use */
        reply(c, d, 34, be16(cdb + 7));
        return;
    case SC_MODE_SENSE_10: {
        uint32_t n = build_mode_sense(d, cdb[2] & 0x3f, b);
        if (!n || (cdb[2] >> 6) == 3) { /* unknown page, or saved values */
            finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            return;
        }
        reply(c, d, n, be16(cdb + 7));
        return;
    }
    case SC_MECHANISM_STATUS:
        memset(b, 0, 8);
        b[5] = 1; /* one slot */
        reply(c, d, 8, be16(cdb + 8));
        return;
    case SC_SET_CD_SPEED:
        finish_ok(c, d);
        return;
    default:
        finish_check(c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
        return;
    }
}

/* PIIX3 IDE (PCI 8086:7010 at 00:01.1, as on QEMU's pc machine): two
 * channels in ISA compatibility mode (ports 1F0-1F7/3F6 with IRQ 14,
 * 170-177/376 with IRQ 15), each with a master and a slave that is an ATA
 * disk, an ATAPI CD-ROM or absent, and PCI bus-master DMA through BAR4
 * (Programming Interface for Bus Master IDE Controller 1.0).
 *
 * ATA (ATA/ATAPI-7, T13/1532D): IDENTIFY, READ/WRITE SECTORS, MULTIPLE and
 * DMA in 28- and 48-bit forms, READ VERIFY, FLUSH CACHE (EXT), SET
 * FEATURES, SET MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, CHECK POWER
 * MODE, IDLE/STANDBY, EXECUTE DEVICE DIAGNOSTIC, DEVICE RESET and the soft
 * reset bit. ATAPI (the PACKET command, devices/atapi.c) carries the MMC
 * commands a CD-ROM needs.
 *
 * A drive reads and writes through a block backend (devices/block/block.h):
 * the device never knows what file or format is behind it. A write that the
 * guest flushed (FLUSH CACHE) is on the host disk (block_flush) before the
 * command completes; a backend error becomes an ATA error (ABRT/UNC) or
 * ATAPI sense, never a silent success. */
#ifndef TURTLES_DEVICES_IDE_H
#define TURTLES_DEVICES_IDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/block/block.h"
#include "devices/bus.h"
#include "devices/pci.h"

#define PIIX3_IDE_DEVFN PCI_DEVFN(1, 1)
#define IDE_SECTOR_SIZE 512u
#define ATAPI_SECTOR_SIZE 2048u
#define IDE_MAX_MULTIPLE 16u
#define IDE_BUF_SIZE (IDE_MAX_MULTIPLE * IDE_SECTOR_SIZE > 65536 ? IDE_MAX_MULTIPLE * IDE_SECTOR_SIZE : 65536)

/* Status register bits */
#define IDE_ST_ERR 0x01
#define IDE_ST_DRQ 0x08
#define IDE_ST_DSC 0x10
#define IDE_ST_DF 0x20
#define IDE_ST_DRDY 0x40
#define IDE_ST_BSY 0x80
/* Error register bits */
#define IDE_ERR_ABRT 0x04
#define IDE_ERR_IDNF 0x10
#define IDE_ERR_UNC 0x40

enum ide_kind { IDE_NONE, IDE_DISK, IDE_CDROM };

/* What happens when the PIO data window [io_pos, io_end) is used up. */
enum ide_pio {
    PIO_NONE,
    PIO_READ_SECTORS,   /* ATA data-in: load the next block or finish */
    PIO_WRITE_SECTORS,  /* ATA data-out: commit the block, then the next or finish */
    PIO_DATA_IN_DONE,   /* a one-block data-in command (IDENTIFY): finish */
    PIO_ATAPI_PACKET,   /* the 12 command bytes of a PACKET command arrived */
    PIO_ATAPI_DATA_IN,  /* ATAPI data-in: the next chunk or the status phase */
};

struct ide_drive {
    enum ide_kind kind;
    struct block_backend *blk; /* not owned; NULL: no medium (an empty CD-ROM) */
    uint64_t media_size;     /* bytes */
    bool read_only;
    bool has_media;          /* CD-ROM: a disc is inserted */
    uint64_t nsectors;       /* in 512-byte sectors (disk) */
    uint16_t cyls, heads, secs; /* the default CHS translation of a disk */
    char serial[21], model[41];

    /* Task file (current and, for 48-bit commands, previous "HOB" values). */
    uint8_t feature, nsector, sector, lcyl, hcyl, select, status, error;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint16_t chs_heads, chs_secs; /* INITIALIZE DEVICE PARAMETERS */
    uint8_t mult_sectors;    /* SET MULTIPLE MODE: 0 = multiple commands disabled */
    uint8_t xfer_mode;       /* SET FEATURES 03h: the selected transfer mode */
    bool write_cache;        /* SET FEATURES 02h/82h */

    /* The command in progress. */
    uint8_t cmd;
    uint64_t lba;            /* next sector (ATA) or 2048-byte block (ATAPI) */
    uint32_t remaining;      /* sectors/blocks still to move */
    uint32_t block_sectors;  /* sectors per PIO block (DRQ data block) */
    bool dma_pending;        /* a DMA command waits for the bus master's start bit */
    enum ide_pio pio;
    uint32_t io_pos, io_end;
    uint8_t *io_buf;         /* IDE_BUF_SIZE bytes */

    /* ATAPI */
    uint8_t packet[12];
    uint8_t sense_key, asc, ascq;
    bool unit_attention;     /* the disc changed since the host last looked */
    bool media_event;        /* a media change not yet reported by GET EVENT STATUS */
    bool locked;             /* PREVENT ALLOW MEDIUM REMOVAL */
    uint32_t stage_len;      /* data-in bytes staged in io_buf (windows come from it) */
    bool atapi_dma;          /* the PACKET command's data goes by DMA */
    uint16_t byte_limit;     /* byte count limit of the PACKET command */
};

struct ide_channel {
    struct ide_drive drive[2];
    unsigned cur;            /* the selected drive (DEV bit) */
    uint8_t devctl;          /* device control: nIEN (bit 1), SRST (bit 2) */
    unsigned irq;            /* ISA IRQ 14 or 15 */
    bool irq_pending;        /* the drive's INTRQ (before nIEN) */
    /* Bus master registers of this channel (BAR4 + 0 / + 8). */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
    struct piix_ide *ide;
};

struct piix_ide {
    struct pci_device pci;
    struct ide_channel ch[2];
    struct device_env env;
    int bm_io_handler;       /* iobus handler index of BAR4 */
};

/* Registers the PIIX3 IDE function at PIIX3_IDE_DEVFN with its legacy
 * ports; no drives yet. Returns 0 or -1. */
int piix_ide_init(struct piix_ide *ide, struct pci_bus *bus, const struct device_env *env);
void piix_ide_reset(struct piix_ide *ide);
void piix_ide_destroy(struct piix_ide *ide);

/* Attach a drive at channel ch (0 primary, 1 secondary), unit 0 master or
 * 1 slave. A CD-ROM may have no medium (blk NULL). The backend stays the
 * caller's. Returns 0 or -1. */
int ide_attach(struct piix_ide *ide, unsigned ch, unsigned unit, enum ide_kind kind,
               struct block_backend *blk, const char *serial);

/* CD-ROM media change (monitor `change`/`eject`): blk NULL ejects.
 * Returns -1 when the unit is not a CD-ROM, or when the guest locked the
 * tray (PREVENT ALLOW MEDIUM REMOVAL) and force is false: a locked tray
 * neither opens nor takes a new disc. force drops the guest's lock, as
 * QEMU's `eject -f` does. */
int ide_cdrom_change(struct piix_ide *ide, unsigned ch, unsigned unit,
                     struct block_backend *blk, bool force);
/* The guest holds the tray shut (false for anything but a CD-ROM). */
bool ide_cdrom_locked(const struct piix_ide *ide, unsigned ch, unsigned unit);

/* ---- shared with devices/atapi.c ---- */
void ide_set_irq(struct ide_channel *c);
void ide_atapi_identify(struct ide_drive *d);
void ide_atapi_packet(struct ide_channel *c, struct ide_drive *d);
void ide_atapi_continue(struct ide_channel *c, struct ide_drive *d);
/* Run the selected drive's DMA command now (the bus master is started). */
void ide_dma_run(struct ide_channel *c, struct ide_drive *d);

/* A walk over a channel's PRD table (physical region descriptors: 32-bit
 * address, 16-bit byte count with 0 meaning 64 KiB, bit 31 of the second
 * dword ends the table). */
struct prd_cursor {
    uint32_t next;           /* address of the next descriptor */
    uint32_t addr, left;     /* the current region */
    bool eot;                /* the current region is the last one */
    unsigned count;          /* descriptors read (bounded) */
};
void prd_start(struct prd_cursor *pc, uint32_t table);
/* Move up to len bytes between buf and the regions (to_guest: buf -> guest
 * memory). Returns the bytes moved: less than len when the table ended. */
size_t prd_move(struct ide_channel *c, struct prd_cursor *pc, uint8_t *buf, size_t len,
                bool to_guest);
/* The table has been used up exactly. */
bool prd_exhausted(const struct prd_cursor *pc);
/* End a DMA transfer in the bus-master status: interrupt, and active
 * cleared unless the table had room left (as the spec says). */
void ide_dma_finish(struct ide_channel *c, bool table_left, bool error);

#endif

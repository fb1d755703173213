/* Intel 82540EM: registers, EEPROM, PHY, interrupts and the receive path
 * (devices/e1000.h; section numbers are the 8254x SDM's). The transmit
 * path is in e1000_tx.c. */
#include "devices/e1000.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char mmio_name[] = "e1000";

/* EEPROM words (5.6, table 5-2) */
#define EE_INIT_CONTROL1 0x0a
#define EE_SUBSYSTEM_ID 0x0b
#define EE_SUBSYSTEM_VENDOR 0x0c
#define EE_DEVICE_ID 0x0d
#define EE_VENDOR_ID 0x0e
#define EE_INIT_CONTROL2 0x0f
#define EE_CHECKSUM 0x3f
#define EE_CHECKSUM_SUM 0xbabau /* words 00h-3Fh add up to this (5.6.21) */
#define EE_READ_OPCODE 0x6u     /* microwire READ: start bit 1, opcode 10b */
#define EE_ADDR_BITS 6          /* 64-word part: EECD.EE_SIZE reads 0 */

/* PHY: the M88E1011 on the 82540EM's reference design (8.2), at MDI
 * address 1. */
#define PHY_ADDR 1
#define PHY_CTRL 0x00
#define PHY_STATUS 0x01
#define PHY_ID1 0x02
#define PHY_ID2 0x03
#define PHY_CTRL_RESET 0x8000u
#define PHY_CTRL_RESTART_AN 0x0200u

/* STATUS (13.4.2): full duplex, link up, 1000 Mb/s. */
#define E1000_STATUS_FD 0x1u
#define E1000_STATUS_LU 0x2u
#define E1000_STATUS_SPEED_1000 0x80u

#define RX_MIN_FRAME 60u  /* without FCS: shorter frames are padded */
#define FCS_LEN 4u
#define VLAN_TAG_LEN 4u
#define RX_MAX_STD 1518u  /* 1514 + a VLAN tag, without FCS */

static uint32_t *reg(struct e1000 *e, uint32_t off)
{
    return &e->regs[(off & (E1000_MMIO_SIZE - 1)) / 4];
}

/* ---- interrupts (13.4.17-13.4.21) ---- */

static void update_irq(struct e1000 *e)
{
    pci_set_irq(&e->pci, (*reg(e, E1000_ICR) & *reg(e, E1000_IMS)) != 0);
}

void e1000_raise(struct e1000 *e, uint32_t causes)
{
    *reg(e, E1000_ICR) |= causes;
    update_irq(e);
}

/* ---- DMA ---- */

bool e1000_ring_usable(struct e1000 *e, uint64_t base, uint64_t bytes, const char *ring)
{
    if (!(e->pci.config[PCI_COMMAND] & PCI_COMMAND_MASTER))
        return false;
    uint64_t first = physmem_ram_offset(e->env.mem, base);
    uint64_t last = bytes ? physmem_ram_offset(e->env.mem, base + bytes - 1) : first;
    if (bytes && first != UINT64_MAX && last != UINT64_MAX && last - first == bytes - 1)
        return true;
    if (device_logs_guest_errors(&e->env)) {
        char what[96];
        snprintf(what, sizeof(what), "%s ring at 0x%llx (+0x%llx) is not in RAM: not used", ring,
                 (unsigned long long)base, (unsigned long long)bytes);
        device_guest_error(&e->env, "e1000", what);
    }
    return false;
}

/* ---- EEPROM (5.3: microwire interface through EECD) ---- */

static void eeprom_fill(struct e1000 *e)
{
    uint16_t *w = e->eeprom;
    memset(w, 0, sizeof(e->eeprom));
    for (unsigned i = 0; i < 3; i++)
        w[i] = (uint16_t)(e->mac[2 * i] | e->mac[2 * i + 1] << 8);
    w[EE_INIT_CONTROL1] = 0x0000;
    w[EE_SUBSYSTEM_ID] = 0x001e;
    w[EE_SUBSYSTEM_VENDOR] = 0x8086;
    w[EE_DEVICE_ID] = 0x100e;
    w[EE_VENDOR_ID] = 0x8086;
    w[EE_INIT_CONTROL2] = 0x0000; /* no PAUSE capability: no flow control */
    uint16_t sum = 0;
    for (unsigned i = 0; i < EE_CHECKSUM; i++)
        sum = (uint16_t)(sum + w[i]);
    w[EE_CHECKSUM] = (uint16_t)(EE_CHECKSUM_SUM - sum);
}

static uint32_t eecd_read(struct e1000 *e)
{
    /* Software owns the EEPROM whenever it asks (GNT follows REQ); the
     * part is present; DO carries the bit being read, and idles high. */
    uint32_t v = (e->eecd & (E1000_EECD_SK | E1000_EECD_CS | E1000_EECD_DI | E1000_EECD_REQ)) |
                 E1000_EECD_PRES;
    if (e->eecd & E1000_EECD_REQ)
        v |= E1000_EECD_GNT;
    if (e->ee_reading) {
        uint32_t word = (e->ee_bit_out >> 4) % E1000_EEPROM_WORDS;
        if ((e->eeprom[word] >> (15 - (e->ee_bit_out & 15))) & 1)
            v |= E1000_EECD_DO;
    } else {
        v |= E1000_EECD_DO;
    }
    return v;
}

static void eecd_write(struct e1000 *e, uint32_t val)
{
    uint32_t old = e->eecd;
    e->eecd = val;
    if (!(val & E1000_EECD_CS)) {
        /* Deselected: the next selection starts a new command. */
        e->ee_bits_in = 0;
        e->ee_shift_in = 0;
        e->ee_reading = false;
        return;
    }
    if (!((old ^ val) & E1000_EECD_SK))
        return;
    if (!(val & E1000_EECD_SK)) {
        /* Falling edge: a reading part presents its next data bit. */
        if (e->ee_reading)
            e->ee_bit_out++;
        return;
    }
    /* Rising edge: the part samples DI. */
    if (e->ee_reading)
        return;
    e->ee_shift_in = (e->ee_shift_in << 1) | ((val & E1000_EECD_DI) ? 1 : 0);
    if (++e->ee_bits_in == 3 + EE_ADDR_BITS) {
        uint32_t opcode = e->ee_shift_in >> EE_ADDR_BITS;
        uint32_t addr = e->ee_shift_in & ((1u << EE_ADDR_BITS) - 1);
        if (opcode == EE_READ_OPCODE) {
            /* A dummy zero bit, then bit 15 of the word on the next
             * falling edge; reads continue into the following words. */
            e->ee_reading = true;
            e->ee_bit_out = addr * 16 - 1;
        }
        /* Writes and erases (EWEN, WRITE) are not accepted: the EEPROM is
         * read-only, as an EEPROM with its write-protect pin set. */
    }
}

static void eerd_write(struct e1000 *e, uint32_t val)
{
    /* EERD (13.4.4): START bit 0, address 15:8; DONE bit 4, data 31:16. */
    if (!(val & 1)) {
        *reg(e, E1000_EERD) = val;
        return;
    }
    uint32_t addr = (val >> 8) & 0xff;
    uint32_t data = addr < E1000_EEPROM_WORDS ? e->eeprom[addr] : 0xffff;
    *reg(e, E1000_EERD) = (val & 0xff00) | (data << 16) | 0x10;
}

/* ---- PHY (8.2, through MDIC 13.4.7) ---- */

static void phy_reset(struct e1000 *e)
{
    uint16_t *p = e->phy;
    memset(e->phy, 0, sizeof(e->phy));
    p[PHY_CTRL] = 0x1140;   /* auto-negotiation on, full duplex, 1000 Mb/s */
    p[PHY_STATUS] = 0x796d; /* capabilities; link up; auto-negotiation complete */
    p[PHY_ID1] = 0x0141;    /* Marvell M88E1011: OUI and model 0C2h */
    p[PHY_ID2] = 0x0c20;
    p[0x04] = 0x01e1;       /* advertisement: 10/100 half and full */
    p[0x05] = 0x45e1;       /* link partner: the same, acknowledged */
    p[0x06] = 0x0001;       /* partner can auto-negotiate */
    p[0x09] = 0x0300;       /* 1000BASE-T advertisement: half and full */
    p[0x0a] = 0x3c00;       /* 1000BASE-T status: partner 1000 full/half, receivers OK */
    p[0x0f] = 0x3000;       /* extended status: 1000BASE-T full and half */
    p[0x10] = 0x0068;       /* PHY specific control */
    p[0x11] = 0xbc00;       /* PHY specific status: 1000, full duplex, resolved, link */
    p[0x14] = 0x0c60;       /* extended PHY specific control */
}

static void mdic_write(struct e1000 *e, uint32_t val)
{
    unsigned phy_addr = (val >> 21) & 0x1f, r = (val >> 16) & 0x1f;
    uint32_t data = val & 0xffff;
    uint32_t res = val & ~(E1000_MDIC_READY | E1000_MDIC_ERROR);
    if (phy_addr != PHY_ADDR) {
        res |= E1000_MDIC_ERROR; /* nothing answers at that MDI address */
    } else if (val & E1000_MDIC_OP_READ) {
        res = (res & 0xffff0000u) | e->phy[r];
    } else if (val & E1000_MDIC_OP_WRITE) {
        switch (r) {
        case PHY_STATUS: case PHY_ID1: case PHY_ID2: case 0x05: case 0x06: case 0x0a:
        case 0x0f: case 0x11:
            break; /* read-only */
        case PHY_CTRL:
            if (data & PHY_CTRL_RESET)
                phy_reset(e);
            /* Reset and restart complete at once: the link comes straight back. */
            e->phy[PHY_CTRL] = (uint16_t)(data & ~(PHY_CTRL_RESET | PHY_CTRL_RESTART_AN));
            break;
        default:
            e->phy[r] = (uint16_t)data;
            break;
        }
    }
    *reg(e, E1000_MDIC) = res | E1000_MDIC_READY;
    if (val & E1000_MDIC_IE)
        e1000_raise(e, E1000_ICR_MDAC);
}

/* ---- registers ---- */

static void regs_reset(struct e1000 *e)
{
    memset(e->regs, 0, sizeof(e->regs));
    *reg(e, E1000_CTRL) = 0x00000240u;   /* ASDE, SLU after the EEPROM load */
    *reg(e, E1000_LEDCTL) = 0x07068302u;
    *reg(e, E1000_PBA) = 0x00000030u;    /* 48 KiB receive, 16 KiB transmit */
    *reg(e, E1000_VET) = 0x8100u;
    /* The EEPROM load puts the MAC address in receive address 0 (5.6.1). */
    *reg(e, E1000_RA) = (uint32_t)e->mac[0] | (uint32_t)e->mac[1] << 8 |
                        (uint32_t)e->mac[2] << 16 | (uint32_t)e->mac[3] << 24;
    *reg(e, E1000_RA + 4) = (uint32_t)e->mac[4] | (uint32_t)e->mac[5] << 8 | E1000_RAH_AV;
    e->eecd = 0;
    e->ee_bits_in = 0;
    e->ee_shift_in = 0;
    e->ee_reading = false;
    memset(&e->ctx, 0, sizeof(e->ctx));
    e->tx_len = 0;
    e->tx_overflow = false;
    e->tx_first_data = true;
    phy_reset(e);
}

void e1000_reset(struct e1000 *e)
{
    regs_reset(e);
    e->ioaddr = 0;
    update_irq(e);
}

static bool is_stat(uint32_t off)
{
    return off >= E1000_STATS_FIRST && off <= E1000_STATS_LAST;
}

uint32_t e1000_reg_read(struct e1000 *e, uint32_t off)
{
    off &= (E1000_MMIO_SIZE - 1) & ~3u;
    uint32_t v;
    switch (off) {
    case E1000_STATUS:
        v = E1000_STATUS_FD | E1000_STATUS_SPEED_1000 | (e->nb ? E1000_STATUS_LU : 0);
        return v;
    case E1000_EECD:
        return eecd_read(e);
    case E1000_ICR:
        /* Reading ICR clears it (13.4.17). */
        v = *reg(e, E1000_ICR);
        *reg(e, E1000_ICR) = 0;
        update_irq(e);
        return v;
    case E1000_ICS:
    case E1000_IMC:
        return 0; /* write-only */
    default:
        v = *reg(e, off);
        /* Statistics clear on read (13.4.36ff); the high halves of the
         * octet counters go with their low halves' reads. */
        if (is_stat(off))
            *reg(e, off) = 0;
        return v;
    }
}

static void stat_add(struct e1000 *e, uint32_t off, uint32_t n)
{
    uint32_t *r = reg(e, off);
    *r = *r + n < *r ? UINT32_MAX : *r + n; /* the counters stick at their maximum */
}

static void stat_add64(struct e1000 *e, uint32_t lo, uint64_t n)
{
    uint64_t v = *reg(e, lo) | (uint64_t)*reg(e, lo + 4) << 32;
    v += n;
    *reg(e, lo) = (uint32_t)v;
    *reg(e, lo + 4) = (uint32_t)(v >> 32);
}

void e1000_reg_write(struct e1000 *e, uint32_t off, uint32_t val)
{
    off &= (E1000_MMIO_SIZE - 1) & ~3u;
    switch (off) {
    case E1000_CTRL:
        if (val & E1000_CTRL_RST) {
            /* Global reset (13.4.1): everything but the PCI configuration. */
            regs_reset(e);
            update_irq(e);
            return;
        }
        if (val & E1000_CTRL_PHY_RST)
            phy_reset(e);
        *reg(e, off) = val & ~(E1000_CTRL_RST | E1000_CTRL_PHY_RST);
        return;
    case E1000_STATUS:
        return;
    case E1000_EECD:
        eecd_write(e, val);
        return;
    case E1000_EERD:
        eerd_write(e, val);
        return;
    case E1000_MDIC:
        mdic_write(e, val);
        return;
    case E1000_ICR:
        /* Writing 1s clears causes. */
        *reg(e, E1000_ICR) &= ~val;
        update_irq(e);
        return;
    case E1000_ICS:
        e1000_raise(e, val);
        return;
    case E1000_IMS:
        *reg(e, E1000_IMS) |= val;
        update_irq(e);
        return;
    case E1000_IMC:
        *reg(e, E1000_IMS) &= ~val;
        update_irq(e);
        return;
    case E1000_RDLEN:
    case E1000_TDLEN:
        *reg(e, off) = val & 0x000fff80u; /* multiples of 128 bytes */
        return;
    case E1000_RDH:
    case E1000_RDT:
    case E1000_TDH:
        *reg(e, off) = val & 0xffff;
        return;
    case E1000_TDT:
        *reg(e, off) = val & 0xffff;
        e1000_transmit(e);
        return;
    case E1000_TCTL:
        *reg(e, off) = val;
        e1000_transmit(e);
        return;
    default:
        if (is_stat(off))
            return; /* read-only counters */
        *reg(e, off) = val;
        return;
    }
}

/* ---- receive (3.2) ---- */

static bool rx_address_accepted(struct e1000 *e, const uint8_t *dst)
{
    uint32_t rctl = *reg(e, E1000_RCTL);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (dst[0] & 1) {
        if (rctl & E1000_RCTL_MPE)
            return true;
        if (!memcmp(dst, bcast, 6))
            return (rctl & E1000_RCTL_BAM) != 0;
        /* The multicast table (13.5.1): 12 bits of the address chosen by
         * RCTL.MO index a 4096-bit table. */
        unsigned mo = (rctl >> E1000_RCTL_MO_SHIFT) & 3;
        static const unsigned shift[4] = {4, 3, 2, 0};
        uint32_t hash = ((uint32_t)dst[4] >> shift[mo] | (uint32_t)dst[5] << (8 - shift[mo])) & 0xfff;
        return (*reg(e, E1000_MTA + 4 * (hash >> 5)) >> (hash & 31)) & 1;
    }
    if (rctl & E1000_RCTL_UPE)
        return true;
    for (unsigned i = 0; i < E1000_RA_ENTRIES; i++) {
        uint32_t lo = *reg(e, E1000_RA + 8 * i), hi = *reg(e, E1000_RA + 8 * i + 4);
        if (!(hi & E1000_RAH_AV))
            continue;
        uint8_t a[6] = {(uint8_t)lo, (uint8_t)(lo >> 8), (uint8_t)(lo >> 16), (uint8_t)(lo >> 24),
                        (uint8_t)hi, (uint8_t)(hi >> 8)};
        if (!memcmp(a, dst, 6))
            return true;
    }
    return false;
}

static uint32_t rx_buffer_size(uint32_t rctl)
{
    unsigned bsize = (rctl >> E1000_RCTL_BSIZE_SHIFT) & 3;
    if (rctl & E1000_RCTL_BSEX)
        return bsize ? 32768u >> bsize : 2048u; /* 16384, 8192, 4096 (00b is reserved) */
    return 2048u >> bsize;                      /* 2048, 1024, 512, 256 */
}

bool e1000_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct e1000 *e = opaque;
    uint32_t rctl = *reg(e, E1000_RCTL);
    /* A receiver that is off, or cannot master the bus, drops what comes. */
    if (!(rctl & E1000_RCTL_EN) || !(e->pci.config[PCI_COMMAND] & PCI_COMMAND_MASTER))
        return true;
    if (len < NET_FRAME_MIN_HEADER || !rx_address_accepted(e, frame))
        return true;
    uint16_t vet = (uint16_t)*reg(e, E1000_VET);
    bool tagged = len >= NET_FRAME_MIN_HEADER + VLAN_TAG_LEN && (frame[12] << 8 | frame[13]) == vet;
    size_t max = (rctl & E1000_RCTL_LPE) ? NET_FRAME_MAX : RX_MAX_STD;
    if (len > max) {
        stat_add(e, E1000_MPC, 1); /* oversize without long packets enabled */
        return true;
    }
    /* What reaches memory: the frame, its VLAN tag stripped into the
     * descriptor when CTRL.VME asks (3.2.5), padded to the minimum, and the
     * FCS unless RCTL.SECRC strips it (13.4.22). */
    uint8_t *buf = e->rx_buf;
    size_t n;
    uint16_t special = 0;
    bool vp = false;
    if (tagged && (*reg(e, E1000_CTRL) & E1000_CTRL_VME)) {
        memcpy(buf, frame, 12);
        special = (uint16_t)(frame[14] << 8 | frame[15]);
        memcpy(buf + 12, frame + 16, len - 16);
        n = len - VLAN_TAG_LEN;
        vp = true;
    } else {
        memcpy(buf, frame, len);
        n = len;
    }
    if (n < RX_MIN_FRAME) {
        memset(buf + n, 0, RX_MIN_FRAME - n);
        n = RX_MIN_FRAME;
    }
    if (!(rctl & E1000_RCTL_SECRC)) {
        uLong crc = crc32(0L, buf, (uInt)n);
        for (unsigned i = 0; i < FCS_LEN; i++)
            buf[n + i] = (uint8_t)(crc >> (8 * i));
        n += FCS_LEN;
    }
    uint64_t base = (uint64_t)*reg(e, E1000_RDBAH) << 32 | (*reg(e, E1000_RDBAL) & ~15u);
    uint32_t count = *reg(e, E1000_RDLEN) / 16;
    uint32_t head = *reg(e, E1000_RDH), tail = *reg(e, E1000_RDT);
    if (!count || head >= count || tail >= count)
        return false; /* no ring yet: the frame waits in the FIFO */
    uint32_t bufsize = rx_buffer_size(rctl);
    uint32_t need = (uint32_t)((n + bufsize - 1) / bufsize);
    uint32_t avail = (tail + count - head) % count;
    if (need > count - 1) {
        stat_add(e, E1000_MPC, 1); /* can never fit this ring */
        return true;
    }
    if (avail < need)
        return false; /* the driver has not given enough buffers yet */
    if (!e1000_ring_usable(e, base, (uint64_t)count * 16, "receive")) {
        stat_add(e, E1000_MPC, 1);
        e1000_raise(e, E1000_ICR_RXO);
        return true;
    }
    struct physmem *pm = e->env.mem;
    size_t done = 0;
    while (done < n) {
        uint64_t d = base + 16ull * head;
        uint64_t addr = physmem_read(pm, d, 8);
        size_t chunk = n - done < bufsize ? n - done : bufsize;
        physmem_write_buf(pm, addr, buf + done, chunk);
        done += chunk;
        /* length, checksum, status, errors, special (3.2.3); IXSM: no
         * checksum was checked, the driver's stack does it. */
        uint8_t status = E1000_RXD_STAT_DD | E1000_RXD_STAT_IXSM |
                         (done == n ? E1000_RXD_STAT_EOP : 0) | (vp ? E1000_RXD_STAT_VP : 0);
        uint8_t wb[8] = {(uint8_t)chunk, (uint8_t)(chunk >> 8), 0, 0, status, 0,
                         (uint8_t)special, (uint8_t)(special >> 8)};
        physmem_write_buf(pm, d + 8, wb, sizeof(wb));
        head = (head + 1) % count;
    }
    *reg(e, E1000_RDH) = head;
    stat_add(e, E1000_GPRC, 1);
    stat_add(e, E1000_TPR, 1);
    stat_add64(e, E1000_GORCL, n);
    stat_add64(e, E1000_TORL, n);
    if (frame[0] & 1)
        stat_add(e, !memcmp(frame, "\xff\xff\xff\xff\xff\xff", 6) ? E1000_BPRC : E1000_MPRC, 1);
    uint32_t causes = E1000_ICR_RXT0;
    /* Free descriptors fell to the minimum threshold (RCTL.RDMTS: 1/2,
     * 1/4, 1/8 of the ring). */
    uint32_t left = (tail + count - head) % count;
    unsigned rdmts = (rctl >> E1000_RCTL_RDMTS_SHIFT) & 3;
    if (rdmts < 3 && left <= (count >> (rdmts + 1)))
        causes |= E1000_ICR_RXDMT0;
    e1000_raise(e, causes);
    return true;
}

/* ---- PCI glue ---- */

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    struct e1000 *e = opaque;
    uint32_t v = e1000_reg_read(e, (uint32_t)off & ~3u);
    unsigned shift = (unsigned)(off & 3) * 8;
    return size >= 4 ? v : (v >> shift) & ((1u << (8 * size)) - 1);
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct e1000 *e = opaque;
    if (size == 8) {
        e1000_reg_write(e, (uint32_t)off, (uint32_t)val);
        e1000_reg_write(e, (uint32_t)off + 4, (uint32_t)(val >> 32));
        return;
    }
    if (size < 4) {
        /* Partial writes merge with the register's stored value. */
        unsigned shift = (unsigned)(off & 3) * 8;
        uint32_t mask = ((1u << (8 * size)) - 1) << shift;
        uint32_t old = *reg(e, (uint32_t)off & ~3u);
        val = (old & ~mask) | (((uint32_t)val << shift) & mask);
    }
    e1000_reg_write(e, (uint32_t)off & ~3u, (uint32_t)val);
}

/* I/O BAR (13.2.2): IOADDR at 0, IODATA at 4 reaches the register at IOADDR. */
static uint32_t io_read(void *opaque, uint16_t port, unsigned size)
{
    struct e1000 *e = opaque;
    unsigned off = (unsigned)(port - e->pci.bars[1].mapped);
    uint32_t v;
    if (off < 4)
        v = e->ioaddr >> (8 * off);
    else if (off < 8)
        v = e1000_reg_read(e, e->ioaddr) >> (8 * (off - 4));
    else
        return 0xffffffffu;
    return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct e1000 *e = opaque;
    unsigned off = (unsigned)(port - e->pci.bars[1].mapped);
    if (off == 0 && size == 4)
        e->ioaddr = val & (E1000_MMIO_SIZE - 1);
    else if (off == 4 && size == 4)
        e1000_reg_write(e, e->ioaddr, val);
}

static void bar_remap(struct pci_device *dev, int bar, uint64_t addr)
{
    struct e1000 *e = dev->opaque;
    bool off = addr == PCI_BAR_UNMAPPED;
    if (bar == 0)
        physmem_remap(e->env.mem, e, mmio_name, off ? 0 : addr, off ? 0 : E1000_MMIO_SIZE);
    else if (bar == 1)
        iobus_set_range(e->env.io, e->io_handler, off ? 0 : (uint16_t)addr, off ? 0 : E1000_IO_SIZE);
}

int e1000_init(struct e1000 *e, struct pci_bus *bus, uint8_t devfn, const struct device_env *env,
               struct net_backend *nb, const uint8_t mac[6])
{
    memset(e, 0, sizeof(*e));
    e->env = *env;
    e->nb = nb;
    memcpy(e->mac, mac, 6);
    e->tx_buf = malloc(E1000_TX_BUF_MAX);
    e->rx_buf = malloc(NET_FRAME_MAX + FCS_LEN);
    e->seg_buf = malloc(E1000_TX_BUF_MAX);
    if (!e->tx_buf || !e->rx_buf || !e->seg_buf)
        return -1;
    eeprom_fill(e);
    /* 82540EM, revision 3; Ethernet controller (class 02 00 00). */
    pci_device_init(&e->pci, 0x8086, 0x100e, 0x03, 0x020000, e);
    e->pci.config[PCI_SUBSYSTEM_VENDOR_ID] = 0x86;
    e->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 1] = 0x80;
    e->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 2] = 0x1e;
    e->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 3] = 0x00;
    pci_register_bar(&e->pci, 0, E1000_MMIO_SIZE, PCI_BAR_MEM32, false);
    pci_register_bar(&e->pci, 1, E1000_IO_SIZE, PCI_BAR_IO, false);
    pci_set_interrupt_pin(&e->pci, 1);
    e->pci.bar_remap = bar_remap;
    e->io_handler = iobus_register(env->io, 0, 0, e, io_read, io_write, "e1000-io");
    if (e->io_handler < 0 || iobus_set_range(env->io, e->io_handler, 0, 0) < 0 ||
        physmem_add_mmio(env->mem, 0, 0, e, mmio_read, mmio_write, mmio_name) < 0 ||
        pci_register_device(bus, &e->pci, devfn) < 0)
        return -1;
    if (nb)
        net_backend_attach(nb, e1000_receive, e);
    e1000_reset(e);
    return 0;
}

void e1000_destroy(struct e1000 *e)
{
    free(e->tx_buf);
    free(e->rx_buf);
    free(e->seg_buf);
    e->tx_buf = e->rx_buf = e->seg_buf = NULL;
}

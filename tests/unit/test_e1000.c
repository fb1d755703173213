/* Tests for devices/e1000.c and e1000_tx.c, driven as Linux's e1000 driver
 * drives the 82540EM: the microwire EEPROM read bit by bit through EECD
 * (MAC address, checksum 0xBABA), EERD, the PHY through MDIC, the interrupt
 * cause and mask registers, legacy transmit descriptors, a TSO context with
 * checksum insertion (every segment's IP and TCP checksums verified), the
 * receive ring (padding, FCS, descriptor write-back), the receive address
 * filters with promiscuous, all-multicast and broadcast modes, a full
 * ring holding frames back, and rings outside RAM or without bus mastering
 * (nothing transferred, no crash: the sanitizers watch). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "devices/e1000.h"
#include "devices/net/checksum.h"
#include "device_test_env.h"
#include "net_record.h"

#define RAM (4u << 20)
#define DEVFN (3u << 3)
#define MMIO_BASE 0xfe000000u
#define TX_RING 0x10000u
#define RX_RING 0x11000u
#define TX_BUF 0x20000u
#define RX_BUF 0x40000u
#define RING_LEN 8u

static struct test_env *t;
static struct pci_bus bus;
static struct e1000 e;
static struct rec_backend rec;
static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void on_reset(void *o) { (void)o; }

static void setup(void)
{
    t = test_env_new(RAM);
    ck_assert(t->have_mem);
    pci_bus_init(&bus, &t->env, on_reset, NULL);
    rec_init(&rec);
    ck_assert_int_eq(e1000_init(&e, &bus, DEVFN, &t->env, &rec.nb, mac), 0);
    pci_config_write(&bus, 0, DEVFN, PCI_BAR0, MMIO_BASE, 4);
    pci_config_write(&bus, 0, DEVFN, PCI_COMMAND,
                     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

static void teardown(void)
{
    net_backend_destroy(&rec.nb);
    e1000_destroy(&e);
    test_env_free(t);
}

static uint32_t rd(uint32_t off) { return (uint32_t)physmem_read(&t->mem, MMIO_BASE + off, 4); }
static void wr(uint32_t off, uint32_t v) { physmem_write(&t->mem, MMIO_BASE + off, v, 4); }

/* ---- EEPROM, as e1000_read_eeprom's microwire path does it ---- */

static void ee_clock(uint32_t *eecd)
{
    wr(E1000_EECD, *eecd | E1000_EECD_SK);
    wr(E1000_EECD, *eecd);
}

static uint16_t ee_read_word(unsigned addr)
{
    uint32_t eecd = rd(E1000_EECD) & ~(E1000_EECD_SK | E1000_EECD_DI);
    eecd |= E1000_EECD_REQ;
    wr(E1000_EECD, eecd);
    ck_assert(rd(E1000_EECD) & E1000_EECD_GNT);
    eecd |= E1000_EECD_CS;
    wr(E1000_EECD, eecd);
    /* READ opcode 110b, then 6 address bits, most significant first. */
    uint32_t out = (0x6u << 6) | addr;
    for (int b = 8; b >= 0; b--) {
        eecd = (eecd & ~E1000_EECD_DI) | (((out >> b) & 1) ? E1000_EECD_DI : 0);
        wr(E1000_EECD, eecd);
        ee_clock(&eecd);
    }
    eecd &= ~E1000_EECD_DI;
    uint16_t w = 0;
    for (int b = 0; b < 16; b++) {
        wr(E1000_EECD, eecd | E1000_EECD_SK);
        w = (uint16_t)(w << 1 | ((rd(E1000_EECD) & E1000_EECD_DO) ? 1 : 0));
        wr(E1000_EECD, eecd);
    }
    wr(E1000_EECD, eecd & ~(E1000_EECD_CS | E1000_EECD_REQ));
    return w;
}

START_TEST(test_eeprom)
{
    uint16_t sum = 0, words[64];
    for (unsigned i = 0; i < 64; i++) {
        words[i] = ee_read_word(i);
        sum = (uint16_t)(sum + words[i]);
    }
    ck_assert_uint_eq(sum, 0xbaba);
    ck_assert_uint_eq(words[0], 0x5452);
    ck_assert_uint_eq(words[1], 0x1200);
    ck_assert_uint_eq(words[2], 0x5634);
    ck_assert_uint_eq(words[0x0d], 0x100e);
    ck_assert_uint_eq(words[0x0e], 0x8086);
    /* EERD: start with the address, DONE and the data come back. */
    wr(E1000_EERD, (2u << 8) | 1);
    uint32_t v = rd(E1000_EERD);
    ck_assert(v & 0x10);
    ck_assert_uint_eq(v >> 16, 0x5634);
    /* The MAC address is in receive address 0 after reset, valid. */
    ck_assert_uint_eq(rd(E1000_RA), 0x12005452u);
    ck_assert_uint_eq(rd(E1000_RA + 4), 0x80005634u);
    /* PCI identity */
    ck_assert_uint_eq(pci_config_read(&bus, 0, DEVFN, 0, 4), 0x100e8086u);
    ck_assert_uint_eq(pci_config_read(&bus, 0, DEVFN, 8, 4) >> 8, 0x020000u);
}
END_TEST

static uint32_t mdic(uint32_t v)
{
    wr(E1000_MDIC, v);
    uint32_t r = rd(E1000_MDIC);
    ck_assert(r & E1000_MDIC_READY);
    return r;
}

START_TEST(test_phy_and_link)
{
    ck_assert_uint_eq(mdic(E1000_MDIC_OP_READ | 1u << 21 | 2u << 16) & 0xffff, 0x0141);
    ck_assert_uint_eq(mdic(E1000_MDIC_OP_READ | 1u << 21 | 3u << 16) & 0xffff, 0x0c20);
    uint32_t st = mdic(E1000_MDIC_OP_READ | 1u << 21 | 1u << 16);
    ck_assert(st & 0x4);  /* link up */
    ck_assert(st & 0x20); /* auto-negotiation complete */
    /* Nothing answers at another MDI address. */
    ck_assert(mdic(E1000_MDIC_OP_READ | 2u << 21 | 2u << 16) & E1000_MDIC_ERROR);
    /* Writable registers read back; the reset bit clears itself. */
    mdic(E1000_MDIC_OP_WRITE | 1u << 21 | 4u << 16 | 0x0de1);
    ck_assert_uint_eq(mdic(E1000_MDIC_OP_READ | 1u << 21 | 4u << 16) & 0xffff, 0x0de1);
    mdic(E1000_MDIC_OP_WRITE | 1u << 21 | 0u << 16 | 0x9140);
    ck_assert_uint_eq(mdic(E1000_MDIC_OP_READ | 1u << 21 | 0u << 16) & 0x8000, 0);
    /* STATUS: link up, full duplex, 1000 Mb/s. */
    ck_assert_uint_eq(rd(E1000_STATUS) & 0x83, 0x83);
}
END_TEST

START_TEST(test_interrupt_registers)
{
    ck_assert(!e.pci.irq_level);
    wr(E1000_ICS, E1000_ICR_LSC);
    ck_assert(!e.pci.irq_level); /* masked */
    wr(E1000_IMS, E1000_ICR_LSC | E1000_ICR_RXT0);
    ck_assert(e.pci.irq_level);
    ck_assert_uint_eq(rd(E1000_IMS), E1000_ICR_LSC | E1000_ICR_RXT0);
    wr(E1000_IMC, E1000_ICR_LSC);
    ck_assert(!e.pci.irq_level);
    ck_assert_uint_eq(rd(E1000_IMS), E1000_ICR_RXT0);
    wr(E1000_IMS, E1000_ICR_LSC);
    ck_assert_uint_eq(rd(E1000_ICR), E1000_ICR_LSC); /* read clears */
    ck_assert(!e.pci.irq_level);
    ck_assert_uint_eq(rd(E1000_ICR), 0);
    /* Moderation registers read back what the driver wrote. */
    wr(E1000_ITR, 976);
    wr(E1000_RDTR, 32);
    ck_assert_uint_eq(rd(E1000_ITR), 976);
    ck_assert_uint_eq(rd(E1000_RDTR), 32);
    /* A global reset clears the mask and causes. */
    wr(E1000_CTRL, E1000_CTRL_RST);
    ck_assert_uint_eq(rd(E1000_IMS), 0);
    ck_assert_uint_eq(rd(E1000_CTRL) & E1000_CTRL_RST, 0);
}
END_TEST

/* ---- transmit ---- */

static void tx_setup(void)
{
    wr(E1000_TDBAL, TX_RING);
    wr(E1000_TDBAH, 0);
    wr(E1000_TDLEN, RING_LEN * 16);
    wr(E1000_TDH, 0);
    wr(E1000_TDT, 0);
    wr(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
}

static void put_desc(uint32_t ring, unsigned i, uint64_t addr, uint32_t dw2, uint32_t dw3)
{
    physmem_write(&t->mem, ring + 16 * i, addr, 8);
    physmem_write(&t->mem, ring + 16 * i + 8, dw2, 4);
    physmem_write(&t->mem, ring + 16 * i + 12, dw3, 4);
}

START_TEST(test_tx_legacy)
{
    tx_setup();
    uint8_t f[42];
    memset(f, 0xff, 6);
    memcpy(f + 6, "\x02\x11\x22\x33\x44\x55", 6); /* a source address not the NIC's own */
    f[12] = 0x08;
    f[13] = 0x06;
    for (unsigned i = 14; i < sizeof(f); i++)
        f[i] = (uint8_t)i;
    physmem_write_buf(&t->mem, TX_BUF, f, sizeof(f));
    uint32_t cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    put_desc(TX_RING, 0, TX_BUF, sizeof(f) | cmd << 24, 0);
    wr(E1000_IMS, E1000_ICR_TXDW);
    wr(E1000_TDT, 1);
    ck_assert_uint_eq(rec.n, 1);
    ck_assert_uint_eq(rec.len[0], 60); /* TCTL.PSP pads */
    ck_assert(memcmp(rec.frame[0], f, sizeof(f)) == 0);
    ck_assert_uint_eq(rec.frame[0][59], 0);
    ck_assert_uint_eq(rd(E1000_TDH), 1);
    ck_assert(physmem_read(&t->mem, TX_RING + 12, 1) & E1000_TXD_STAT_DD);
    ck_assert(e.pci.irq_level);
    ck_assert(rd(E1000_ICR) & E1000_ICR_TXDW);
    ck_assert_uint_eq(rd(E1000_GPTC), 1);
    ck_assert_uint_eq(rd(E1000_GPTC), 0); /* statistics clear on read */
}
END_TEST

/* An Ethernet + IPv4 + TCP header (54 bytes), with the TCP checksum field
 * seeded with the pseudo-header sum without length as Linux's e1000_tso
 * does. */
static void build_tcp_header(uint8_t *h)
{
    memset(h, 0, 54);
    memcpy(h, "\x52\x55\x0a\x00\x02\x02", 6);
    memcpy(h + 6, mac, 6);
    h[12] = 0x08;
    uint8_t *ip = h + 14, *tcp = h + 34;
    ip[0] = 0x45;
    put_be16(ip + 4, 0x1234); /* identification */
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\x00\x02\x0f", 4);
    memcpy(ip + 16, "\x0a\x00\x02\x02", 4);
    put_be16(tcp, 40000);
    put_be16(tcp + 2, 80);
    tcp[4] = 0x10; /* sequence 0x10000000 */
    tcp[12] = 0x50;
    tcp[13] = 0x18 | 0x01; /* ACK PSH FIN */
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    pseudo[10] = pseudo[11] = 0;
    put_be16(tcp + 16, (uint16_t)~inet_fold(inet_sum(pseudo, 12, 0)));
}

static bool tcp_checksum_ok(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t tcplen = len - 34;
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put_be16(pseudo + 10, (uint16_t)tcplen);
    return inet_fold(inet_sum(f + 34, tcplen, inet_sum(pseudo, 12, 0))) == 0;
}

START_TEST(test_tx_tso)
{
    tx_setup();
    enum { PAY = 2500, MSS = 1000 };
    uint8_t pkt[54 + PAY];
    build_tcp_header(pkt);
    for (unsigned i = 0; i < PAY; i++)
        pkt[54 + i] = (uint8_t)(i * 7);
    /* Header and payload in two data descriptors, as skb fragments are. */
    physmem_write_buf(&t->mem, TX_BUF, pkt, 54);
    physmem_write_buf(&t->mem, TX_BUF + 0x1000, pkt + 54, PAY);
    /* Context: IPCSS 14, IPCSO 24, IPCSE 33; TUCSS 34, TUCSO 50, TUCSE 0;
     * TUCMD IP|TCP|TSE|DEXT, HDRLEN 54, MSS. */
    uint32_t tucmd = E1000_TUCMD_IP | E1000_TUCMD_TCP | E1000_TXD_CMD_TSE | E1000_TXD_CMD_DEXT;
    physmem_write(&t->mem, TX_RING, 14u | 24u << 8 | 33u << 16, 4);
    physmem_write(&t->mem, TX_RING + 4, 34u | 50u << 8, 4);
    physmem_write(&t->mem, TX_RING + 8, PAY | tucmd << 24, 4);
    physmem_write(&t->mem, TX_RING + 12, 54u << 8 | (uint32_t)MSS << 16, 4);
    uint32_t dcmd = E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TSE | E1000_TXD_CMD_IFCS;
    uint32_t popts = (E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM) << 8;
    put_desc(TX_RING, 1, TX_BUF, 54 | 1u << 20 | dcmd << 24, popts);
    put_desc(TX_RING, 2, TX_BUF + 0x1000, PAY | 1u << 20 | (dcmd | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS) << 24,
             popts);
    wr(E1000_TDT, 3);
    ck_assert_uint_eq(rd(E1000_TDH), 3);
    ck_assert_uint_eq(rec.n, 3);
    unsigned off = 0;
    for (unsigned s = 0; s < 3; s++) {
        const uint8_t *f = rec.frame[s];
        unsigned chunk = PAY - off < MSS ? PAY - off : MSS;
        ck_assert_uint_eq(rec.len[s], 54 + chunk);
        ck_assert_uint_eq(get_be16(f + 16), 40 + chunk);       /* IP total length */
        ck_assert_uint_eq(get_be16(f + 18), 0x1234 + s);       /* IP identification */
        ck_assert_uint_eq(inet_fold(inet_sum(f + 14, 20, 0)), 0); /* IP header checksum */
        uint32_t seq = (uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 | (uint32_t)f[40] << 8 | f[41];
        ck_assert_uint_eq(seq, 0x10000000u + off);
        ck_assert_uint_eq(f[47] & 0x09, s == 2 ? 0x09 : 0);   /* FIN, PSH on the last only */
        ck_assert(tcp_checksum_ok(f, rec.len[s]));
        ck_assert(memcmp(f + 54, pkt + 54 + off, chunk) == 0);
        off += chunk;
    }
    ck_assert(physmem_read(&t->mem, TX_RING + 2 * 16 + 12, 1) & E1000_TXD_STAT_DD);
}
END_TEST

START_TEST(test_tx_checksum_offload)
{
    /* Without TSE: TXSM completes the TCP checksum from the pseudo-header
     * sum (with the length) the driver seeded. */
    tx_setup();
    uint8_t pkt[54 + 100];
    build_tcp_header(pkt);
    put_be16(pkt + 16, 40 + 100);
    uint8_t pseudo[12];
    memcpy(pseudo, pkt + 26, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put_be16(pseudo + 10, 120);
    put_be16(pkt + 50, (uint16_t)~inet_fold(inet_sum(pseudo, 12, 0)));
    memset(pkt + 54, 0x5a, 100);
    physmem_write_buf(&t->mem, TX_BUF, pkt, sizeof(pkt));
    uint32_t tucmd = E1000_TUCMD_IP | E1000_TUCMD_TCP | E1000_TXD_CMD_DEXT;
    physmem_write(&t->mem, TX_RING, 14u | 24u << 8 | 33u << 16, 4);
    physmem_write(&t->mem, TX_RING + 4, 34u | 50u << 8, 4);
    physmem_write(&t->mem, TX_RING + 8, tucmd << 24, 4);
    physmem_write(&t->mem, TX_RING + 12, 0, 4);
    uint32_t dcmd = E1000_TXD_CMD_DEXT | E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS;
    put_desc(TX_RING, 1, TX_BUF, sizeof(pkt) | 1u << 20 | dcmd << 24, E1000_TXD_POPTS_TXSM << 8);
    wr(E1000_TDT, 2);
    ck_assert_uint_eq(rec.n, 1);
    ck_assert(tcp_checksum_ok(rec.frame[0], rec.len[0]));
}
END_TEST

/* ---- receive ---- */

static void rx_setup(uint32_t rctl)
{
    for (unsigned i = 0; i < RING_LEN; i++)
        put_desc(RX_RING, i, RX_BUF + 0x800 * i, 0, 0);
    wr(E1000_RDBAL, RX_RING);
    wr(E1000_RDBAH, 0);
    wr(E1000_RDLEN, RING_LEN * 16);
    wr(E1000_RDH, 0);
    wr(E1000_RDT, RING_LEN - 1);
    wr(E1000_RCTL, E1000_RCTL_EN | rctl);
    wr(E1000_IMS, E1000_ICR_RXT0);
}

static void make_frame(uint8_t *f, const uint8_t *dst, size_t len)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, "\x52\x55\x0a\x00\x02\x02", 6);
    f[12] = 0x08;
    f[13] = 0x00;
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(i ^ 0x3c);
}

/* Offers a frame; returns how many descriptors the NIC used. */
static unsigned offer(const uint8_t *f, size_t len)
{
    uint32_t before = rd(E1000_RDH);
    net_backend_input(&rec.nb, f, len);
    net_backend_deliver(&rec.nb);
    return (rd(E1000_RDH) + RING_LEN - before) % RING_LEN;
}

START_TEST(test_rx_ring)
{
    rx_setup(E1000_RCTL_BAM);
    uint8_t f[1514];
    make_frame(f, mac, 42);
    ck_assert_uint_eq(offer(f, 42), 1);
    /* Padded to 60 and the FCS appended (RCTL.SECRC clear). */
    ck_assert_uint_eq(physmem_read(&t->mem, RX_RING + 8, 2), 64);
    uint8_t st = (uint8_t)physmem_read(&t->mem, RX_RING + 12, 1);
    ck_assert(st & E1000_RXD_STAT_DD);
    ck_assert(st & E1000_RXD_STAT_EOP);
    uint8_t got[64];
    physmem_read_buf(&t->mem, RX_BUF, got, 64);
    ck_assert(memcmp(got, f, 42) == 0);
    ck_assert_uint_eq(got[59], 0);
    uLong crc = crc32(0L, got, 60);
    ck_assert_uint_eq(got[60] | got[61] << 8 | got[62] << 16 | (uint32_t)got[63] << 24, crc);
    ck_assert(e.pci.irq_level);
    ck_assert(rd(E1000_ICR) & E1000_ICR_RXT0);
    ck_assert_uint_eq(rd(E1000_GPRC), 1);
    /* SECRC: no FCS; a full-size frame. */
    wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC);
    make_frame(f, mac, sizeof(f));
    ck_assert_uint_eq(offer(f, sizeof(f)), 1);
    ck_assert_uint_eq(physmem_read(&t->mem, RX_RING + 16 + 8, 2), 1514);
    /* 1024-byte buffers: the frame spans two descriptors, EOP on the second. */
    wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC | 1u << E1000_RCTL_BSIZE_SHIFT);
    ck_assert_uint_eq(offer(f, sizeof(f)), 2);
    ck_assert_uint_eq(physmem_read(&t->mem, RX_RING + 2 * 16 + 8, 2), 1024);
    ck_assert_uint_eq(physmem_read(&t->mem, RX_RING + 2 * 16 + 12, 1) & E1000_RXD_STAT_EOP, 0);
    ck_assert_uint_eq(physmem_read(&t->mem, RX_RING + 3 * 16 + 8, 2), 490);
    ck_assert(physmem_read(&t->mem, RX_RING + 3 * 16 + 12, 1) & E1000_RXD_STAT_EOP);
}
END_TEST

START_TEST(test_rx_filters)
{
    rx_setup(0);
    uint8_t f[64];
    static const uint8_t other[6] = {0x52, 0x54, 0x00, 0x99, 0x99, 0x99};
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    make_frame(f, other, 60);
    ck_assert_uint_eq(offer(f, 60), 0);     /* someone else's unicast */
    make_frame(f, bcast, 60);
    ck_assert_uint_eq(offer(f, 60), 0);     /* broadcast without BAM */
    make_frame(f, mcast, 60);
    ck_assert_uint_eq(offer(f, 60), 0);     /* multicast not in the table */
    /* The multicast table, MO = 00: bits 47:36 of the address. */
    uint32_t hash = ((uint32_t)mcast[4] >> 4 | (uint32_t)mcast[5] << 4) & 0xfff;
    wr(E1000_MTA + 4 * (hash >> 5), 1u << (hash & 31));
    ck_assert_uint_eq(offer(f, 60), 1);
    /* A second exact address (RA[1]), as a bridge or macvlan adds. */
    wr(E1000_RA + 8, 0x99005452u);
    wr(E1000_RA + 12, 0x9999u | E1000_RAH_AV);
    make_frame(f, other, 60);
    ck_assert_uint_eq(offer(f, 60), 1);
    wr(E1000_RA + 12, 0x9999u); /* no longer valid */
    ck_assert_uint_eq(offer(f, 60), 0);
    /* Promiscuous (UPE) takes every unicast; MPE every multicast; BAM broadcast. */
    wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE);
    ck_assert_uint_eq(offer(f, 60), 1);
    wr(E1000_MTA + 4 * (hash >> 5), 0);
    make_frame(f, mcast, 60);
    ck_assert_uint_eq(offer(f, 60), 0);
    wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_MPE);
    ck_assert_uint_eq(offer(f, 60), 1);
    wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
    make_frame(f, bcast, 60);
    ck_assert_uint_eq(offer(f, 60), 1);
}
END_TEST

START_TEST(test_rx_full_ring_holds_frames)
{
    rx_setup(0);
    uint8_t f[100];
    make_frame(f, mac, sizeof(f));
    /* 7 free descriptors (one is always left empty): the 8th frame waits. */
    for (unsigned i = 0; i < RING_LEN; i++)
        net_backend_input(&rec.nb, f, sizeof(f));
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), RING_LEN - 1);
    ck_assert_uint_eq(rec.nb.queue_len, 1);
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 0);
    wr(E1000_RDT, 0); /* the driver returns one buffer */
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 1);
    ck_assert_uint_eq(rec.nb.queue_len, 0);
    /* Receiver off: frames are dropped, not held. */
    wr(E1000_RCTL, 0);
    net_backend_input(&rec.nb, f, sizeof(f));
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 1);
}
END_TEST

START_TEST(test_rings_outside_ram)
{
    /* A transmit ring beyond RAM: nothing is sent, the head stays. */
    wr(E1000_TDBAL, 0xf0000000u);
    wr(E1000_TDLEN, RING_LEN * 16);
    wr(E1000_TCTL, E1000_TCTL_EN);
    wr(E1000_TDT, 3);
    ck_assert_uint_eq(rec.n, 0);
    ck_assert_uint_eq(rd(E1000_TDH), 0);
    /* A ring with its base in RAM and its end past it. */
    wr(E1000_TDBAL, RAM - 64);
    wr(E1000_TDT, 2);
    ck_assert_uint_eq(rec.n, 0);
    /* A 64-bit base far above RAM. */
    wr(E1000_TDBAL, 0);
    wr(E1000_TDBAH, 0xffffffffu);
    wr(E1000_TDT, 1);
    ck_assert_uint_eq(rec.n, 0);
    /* Receive ring outside RAM: the frame is dropped and RXO raised. */
    wr(E1000_RDBAL, 0xf0000000u);
    wr(E1000_RDLEN, RING_LEN * 16);
    wr(E1000_RDT, 5);
    wr(E1000_RCTL, E1000_RCTL_EN);
    uint8_t f[60];
    make_frame(f, mac, sizeof(f));
    net_backend_input(&rec.nb, f, sizeof(f));
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 1);
    ck_assert(rd(E1000_ICR) & E1000_ICR_RXO);
    ck_assert_uint_eq(rd(E1000_RDH), 0);
    /* Head and tail past the ring's end: the frame waits, nothing is written. */
    wr(E1000_RDBAL, RX_RING);
    wr(E1000_RDH, 100);
    net_backend_input(&rec.nb, f, sizeof(f));
    ck_assert_uint_eq(net_backend_deliver(&rec.nb), 0);
}
END_TEST

START_TEST(test_no_bus_master_no_dma)
{
    pci_config_write(&bus, 0, DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    tx_setup();
    put_desc(TX_RING, 0, TX_BUF, 60 | (E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS) << 24, 0);
    wr(E1000_TDT, 1);
    ck_assert_uint_eq(rec.n, 0);
    ck_assert_uint_eq(physmem_read(&t->mem, TX_RING + 12, 1), 0);
}
END_TEST

static uint32_t dummy_read(void *o, uint16_t port, unsigned size)
{
    (void)o; (void)size;
    return port;
}

START_TEST(test_io_bar_leaves_legacy_ports)
{
    /* Before its BAR is placed the NIC decodes no port: the PIC, PIT and
     * RTC below 0x80 stay where they are (a registration of the BAR's size
     * at port 0 once took them away). */
    struct test_env *t2 = test_env_new(RAM);
    struct pci_bus bus2;
    pci_bus_init(&bus2, &t2->env, on_reset, NULL);
    iobus_register(&t2->io, 0x20, 2, NULL, dummy_read, NULL, "pic");
    iobus_register(&t2->io, 0x70, 2, NULL, dummy_read, NULL, "rtc");
    struct e1000 *e2 = calloc(1, sizeof(*e2));
    ck_assert_int_eq(e1000_init(e2, &bus2, DEVFN, &t2->env, NULL, mac), 0);
    ck_assert_uint_eq(iobus_read(&t2->io, 0x20, 1), 0x20);
    ck_assert_uint_eq(iobus_read(&t2->io, 0x71, 1), 0x71);
    ck_assert_uint_eq(iobus_read(&t2->io, 0x00, 1), 0xff);
    /* Placed and enabled: IOADDR/IODATA reach the registers. */
    pci_config_write(&bus2, 0, DEVFN, PCI_BAR0 + 4, 0xc000, 4);
    pci_config_write(&bus2, 0, DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
    iobus_write(&t2->io, 0xc000, E1000_STATUS, 4);
    ck_assert_uint_eq(iobus_read(&t2->io, 0xc004, 4) & 0x81, 0x81); /* full duplex, 1000 Mb/s */
    ck_assert_uint_eq(iobus_read(&t2->io, 0x70, 1), 0x70);
    e1000_destroy(e2);
    free(e2);
    test_env_free(t2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e1000");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_eeprom);
    tcase_add_test(tc, test_phy_and_link);
    tcase_add_test(tc, test_interrupt_registers);
    tcase_add_test(tc, test_tx_legacy);
    tcase_add_test(tc, test_tx_tso);
    tcase_add_test(tc, test_tx_checksum_offload);
    tcase_add_test(tc, test_rx_ring);
    tcase_add_test(tc, test_rx_filters);
    tcase_add_test(tc, test_rx_full_ring_holds_frames);
    tcase_add_test(tc, test_rings_outside_ram);
    tcase_add_test(tc, test_no_bus_master_no_dma);
    tcase_add_test(tc, test_io_bar_leaves_legacy_ports);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Intel 82540EM Gigabit Ethernet controller (PCI 8086:100E), the "e1000"
 * that Linux's e1000 driver and iPXE drive. References are to Intel's
 * "PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
 * Manual" (8254x SDM, rev. 4.0): sections 3.2 (receive descriptors), 3.3
 * (transmit descriptors, context and data descriptors, TCP segmentation),
 * 5 (EEPROM), 8 (PHY registers through MDIC), 13 (registers).
 *
 * What is emulated: the microwire EEPROM (EECD bit-banging and EERD) with
 * the MAC address and a valid checksum; the M88E1011 PHY's registers; legacy
 * receive descriptors; legacy transmit descriptors and TCP/IP context and
 * data descriptors with IP/TCP/UDP checksum insertion and TCP segmentation
 * (TSO, which Linux uses on this controller); VLAN tag insertion and
 * stripping; the receive address filters (16 exact addresses, the 4096-bit
 * multicast hash), broadcast, promiscuous (RCTL.UPE) and all-multicast
 * (RCTL.MPE) modes; the interrupt cause and mask registers; statistics.
 * The link is always up at 1000 Mb/s full duplex. Interrupt delay and
 * throttling registers (RDTR, RADV, TIDV, TADV, ITR) read back what was
 * written; interrupts are not delayed. Frames leave with whatever source
 * address the driver put in them (a bridge in the guest relies on it).
 *
 * DMA goes through the physical memory map; a ring that does not lie in
 * RAM stops that direction of the device (a guest error is logged), and
 * nothing is transferred while PCI bus mastering is off. */
#ifndef TURTLES_DEVICES_E1000_H
#define TURTLES_DEVICES_E1000_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/net/net.h"
#include "devices/pci.h"

#define E1000_MMIO_SIZE 0x20000u
#define E1000_IO_SIZE 0x40u
#define E1000_EEPROM_WORDS 64
#define E1000_PHY_REGS 32
/* The largest packet a TSO context may describe that we assemble. */
#define E1000_TX_BUF_MAX (65536u + 256u)

struct e1000_tx_context {
    uint8_t ipcss, ipcso, tucss, tucso;
    uint16_t ipcse, tucse;
    uint32_t paylen;
    uint8_t tucmd, hdr_len;
    uint16_t mss;
};

struct e1000 {
    struct pci_device pci;
    struct device_env env;
    struct net_backend *nb;      /* not owned; NULL: an unplugged cable */
    uint8_t mac[6];
    uint32_t regs[E1000_MMIO_SIZE / 4];
    uint16_t eeprom[E1000_EEPROM_WORDS];
    uint16_t phy[E1000_PHY_REGS];
    /* Microwire EEPROM interface state (8254x SDM 5.3). */
    uint32_t eecd;               /* the SK, CS, DI bits the driver wrote */
    unsigned ee_bits_in;
    uint32_t ee_shift_in;
    bool ee_reading;
    uint32_t ee_bit_out;         /* bit position in the EEPROM, word * 16 + bit */
    uint32_t ioaddr;             /* I/O BAR: IOADDR (8254x SDM 13.2.2) */
    int io_handler;
    /* The packet being assembled from transmit descriptors. */
    struct e1000_tx_context ctx;
    uint8_t *tx_buf;
    uint32_t tx_len;
    bool tx_overflow;            /* longer than E1000_TX_BUF_MAX: dropped at EOP */
    bool tx_first_data;          /* the next data descriptor starts a packet */
    bool tx_tse, tx_vle;
    uint8_t tx_popts;
    uint16_t tx_vlan;
    uint8_t tx_legacy_css, tx_legacy_cso;
    bool tx_legacy_ic;
    uint8_t *rx_buf;             /* a received frame as written to memory */
    uint8_t *seg_buf;            /* one TSO segment */
};

/* Creates the function at devfn with the given MAC address, attached to
 * nb (may be NULL). Returns 0 or -1. */
int e1000_init(struct e1000 *e, struct pci_bus *bus, uint8_t devfn, const struct device_env *env,
               struct net_backend *nb, const uint8_t mac[6]);
void e1000_reset(struct e1000 *e);
void e1000_destroy(struct e1000 *e);

/* Register access at a BAR0 offset (what the MMIO region and the I/O
 * window call; the unit tests too). */
uint32_t e1000_reg_read(struct e1000 *e, uint32_t offset);
void e1000_reg_write(struct e1000 *e, uint32_t offset, uint32_t value);
/* Frame from the wire (the net backend's receive callback). */
bool e1000_receive(void *opaque, const uint8_t *frame, size_t len);

/* Shared by e1000.c and e1000_tx.c. */
/* Sets interrupt causes and updates the INTx line. */
void e1000_raise(struct e1000 *e, uint32_t causes);
/* Whether a descriptor ring (base, bytes) lies in RAM and bus mastering is
 * on; logs a guest error naming `ring` when the ring is outside RAM. */
bool e1000_ring_usable(struct e1000 *e, uint64_t base, uint64_t bytes, const char *ring);
/* TDT moved or TCTL.EN was set: send what the driver queued. */
void e1000_transmit(struct e1000 *e);

/* Register offsets (8254x SDM 13.3). */
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_EECD 0x0010
#define E1000_EERD 0x0014
#define E1000_CTRL_EXT 0x0018
#define E1000_MDIC 0x0020
#define E1000_VET 0x0038
#define E1000_ICR 0x00c0
#define E1000_ITR 0x00c4
#define E1000_ICS 0x00c8
#define E1000_IMS 0x00d0
#define E1000_IMC 0x00d8
#define E1000_RCTL 0x0100
#define E1000_TCTL 0x0400
#define E1000_LEDCTL 0x0e00
#define E1000_PBA 0x1000
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_RDTR 0x2820
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define E1000_STATS_FIRST 0x4000
#define E1000_STATS_LAST 0x40fc
#define E1000_MPC 0x4010
#define E1000_GPRC 0x4074
#define E1000_BPRC 0x4078
#define E1000_MPRC 0x407c
#define E1000_GPTC 0x4080
#define E1000_GORCL 0x4088
#define E1000_GORCH 0x408c
#define E1000_GOTCL 0x4090
#define E1000_GOTCH 0x4094
#define E1000_TORL 0x40c0
#define E1000_TORH 0x40c4
#define E1000_TOTL 0x40c8
#define E1000_TOTH 0x40cc
#define E1000_TPR 0x40d0
#define E1000_TPT 0x40d4
#define E1000_MTA 0x5200
#define E1000_RA 0x5400
#define E1000_RA_ENTRIES 16
#define E1000_RAH_AV 0x80000000u

/* Interrupt causes (8254x SDM 13.4.17) */
#define E1000_ICR_TXDW 0x00000001u
#define E1000_ICR_TXQE 0x00000002u
#define E1000_ICR_LSC 0x00000004u
#define E1000_ICR_RXDMT0 0x00000010u
#define E1000_ICR_RXO 0x00000040u
#define E1000_ICR_RXT0 0x00000080u
#define E1000_ICR_MDAC 0x00000200u

/* RCTL (13.4.22) */
#define E1000_RCTL_EN 0x00000002u
#define E1000_RCTL_UPE 0x00000008u
#define E1000_RCTL_MPE 0x00000010u
#define E1000_RCTL_LPE 0x00000020u
#define E1000_RCTL_RDMTS_SHIFT 8
#define E1000_RCTL_MO_SHIFT 12
#define E1000_RCTL_BAM 0x00008000u
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_BSEX 0x02000000u
#define E1000_RCTL_SECRC 0x04000000u
/* TCTL (13.4.33) */
#define E1000_TCTL_EN 0x00000002u
#define E1000_TCTL_PSP 0x00000008u
/* CTRL (13.4.1) */
#define E1000_CTRL_RST 0x04000000u
#define E1000_CTRL_VME 0x40000000u
#define E1000_CTRL_PHY_RST 0x80000000u

/* EECD (13.4.3) */
#define E1000_EECD_SK 0x001u
#define E1000_EECD_CS 0x002u
#define E1000_EECD_DI 0x004u
#define E1000_EECD_DO 0x008u
#define E1000_EECD_REQ 0x040u
#define E1000_EECD_GNT 0x080u
#define E1000_EECD_PRES 0x100u

/* MDIC (13.4.7) */
#define E1000_MDIC_OP_WRITE 0x04000000u
#define E1000_MDIC_OP_READ 0x08000000u
#define E1000_MDIC_READY 0x10000000u
#define E1000_MDIC_IE 0x20000000u
#define E1000_MDIC_ERROR 0x40000000u

/* Descriptor bits (3.2.3, 3.3.3) */
#define E1000_RXD_STAT_DD 0x01u
#define E1000_RXD_STAT_EOP 0x02u
#define E1000_RXD_STAT_IXSM 0x04u
#define E1000_RXD_STAT_VP 0x08u
#define E1000_TXD_CMD_EOP 0x01u
#define E1000_TXD_CMD_IFCS 0x02u
#define E1000_TXD_CMD_IC 0x04u
#define E1000_TXD_CMD_TSE 0x04u
#define E1000_TXD_CMD_RS 0x08u
#define E1000_TXD_CMD_DEXT 0x20u
#define E1000_TXD_CMD_VLE 0x40u
#define E1000_TXD_STAT_DD 0x01u
#define E1000_TXD_POPTS_IXSM 0x01u
#define E1000_TXD_POPTS_TXSM 0x02u
#define E1000_TUCMD_TCP 0x01u
#define E1000_TUCMD_IP 0x02u

#endif

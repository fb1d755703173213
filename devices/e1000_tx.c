/* Intel 82540EM transmit path (devices/e1000.h; 8254x SDM 3.3): legacy
 * descriptors, TCP/IP context and data descriptors, checksum insertion and
 * TCP segmentation. */
#include "devices/e1000.h"

#include <string.h>

#include "devices/net/checksum.h"

#define TX_MIN_FRAME 60u  /* TCTL.PSP pads shorter packets to this */
#define VLAN_TAG_LEN 4u
#define IPV6_HEADER_LEN 40u
#define TCP_FLAG_FIN 0x01u
#define TCP_FLAG_PSH 0x08u

static uint32_t *reg(struct e1000 *e, uint32_t off)
{
    return &e->regs[off / 4];
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Inserts a checksum over [start, end] (end 0: to the packet's end) at
 * `at`, the field's present value included (3.3.6: for the TCP/UDP
 * checksum the driver seeds it with the pseudo-header sum). `extra` is
 * added to the sum (TSO: the segment's TCP length, 3.5.4). */
static void insert_checksum(uint8_t *pkt, size_t len, unsigned start, unsigned end, unsigned at,
                            uint32_t extra)
{
    if (start >= len || at + 2 > len)
        return; /* offsets outside the packet: nothing to insert (as hardware, garbage out) */
    size_t stop = end && end < len ? (size_t)end + 1 : len;
    if (stop <= start)
        return;
    put_be16(pkt + at, inet_fold(inet_sum(pkt + start, stop - start, extra) ));
}

static void stats_sent(struct e1000 *e, size_t len)
{
    uint32_t *r;
    r = reg(e, E1000_GPTC);
    if (*r != UINT32_MAX)
        (*r)++;
    r = reg(e, E1000_TPT);
    if (*r != UINT32_MAX)
        (*r)++;
    uint64_t v = *reg(e, E1000_GOTCL) | (uint64_t)*reg(e, E1000_GOTCH) << 32;
    v += len;
    *reg(e, E1000_GOTCL) = (uint32_t)v;
    *reg(e, E1000_GOTCH) = (uint32_t)(v >> 32);
    v = *reg(e, E1000_TOTL) | (uint64_t)*reg(e, E1000_TOTH) << 32;
    v += len;
    *reg(e, E1000_TOTL) = (uint32_t)v;
    *reg(e, E1000_TOTH) = (uint32_t)(v >> 32);
}

/* One finished frame onto the wire: VLAN tag insertion (3.3.3.1, when
 * CTRL.VME is set), short-packet padding (TCTL.PSP). */
static void send_frame(struct e1000 *e, uint8_t *pkt, size_t len)
{
    uint8_t tagged[NET_FRAME_MAX];
    if (e->tx_vle && (*reg(e, E1000_CTRL) & E1000_CTRL_VME) && len >= 12 &&
        len + VLAN_TAG_LEN <= sizeof(tagged)) {
        memcpy(tagged, pkt, 12);
        put_be16(tagged + 12, (uint16_t)*reg(e, E1000_VET));
        put_be16(tagged + 14, e->tx_vlan);
        memcpy(tagged + 16, pkt + 12, len - 12);
        pkt = tagged;
        len += VLAN_TAG_LEN;
    }
    if (len < TX_MIN_FRAME && (*reg(e, E1000_TCTL) & E1000_TCTL_PSP)) {
        memset(pkt + len, 0, TX_MIN_FRAME - len); /* tx_buf and seg_buf have the room */
        len = TX_MIN_FRAME;
    }
    if (len > NET_FRAME_MAX)
        return; /* larger than any receiver takes: lost on the wire */
    stats_sent(e, len);
    if (e->nb)
        net_send(e->nb, pkt, len);
}

/* TCP segmentation (3.5): the header of hdr_len bytes is repeated before
 * every mss bytes of payload, with the IP length and identification, the
 * TCP sequence number and flags, and the checksums fixed up per segment. */
static void send_tso(struct e1000 *e)
{
    const struct e1000_tx_context *c = &e->ctx;
    uint32_t hdr = c->hdr_len, mss = c->mss;
    if (hdr > e->tx_len || !mss || hdr + mss > E1000_TX_BUF_MAX || c->ipcss + 20u > hdr ||
        (c->tucmd & E1000_TUCMD_TCP && c->tucss + 20u > hdr)) {
        if (device_logs_guest_errors(&e->env))
            device_guest_error(&e->env, "e1000", "TSO context does not fit the packet: dropped");
        return;
    }
    uint32_t payload = e->tx_len - hdr;
    bool ipv4 = (c->tucmd & E1000_TUCMD_IP) != 0;
    uint16_t ip_id = get_be16(e->tx_buf + c->ipcss + 4);
    uint32_t seq = 0;
    if (c->tucmd & E1000_TUCMD_TCP) {
        const uint8_t *s = e->tx_buf + c->tucss + 4;
        seq = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
    }
    uint32_t off = 0;
    unsigned n = 0;
    do {
        uint32_t chunk = payload - off < mss ? payload - off : mss;
        bool last = off + chunk >= payload;
        uint8_t *p = e->seg_buf;
        memcpy(p, e->tx_buf, hdr);
        memcpy(p + hdr, e->tx_buf + hdr + off, chunk);
        size_t len = hdr + chunk;
        if (ipv4) {
            put_be16(p + c->ipcss + 2, (uint16_t)(len - c->ipcss));
            put_be16(p + c->ipcss + 4, (uint16_t)(ip_id + n));
        } else {
            put_be16(p + c->ipcss + 4, (uint16_t)(len - c->ipcss - IPV6_HEADER_LEN));
        }
        uint32_t l4len = (uint32_t)(len - c->tucss);
        if (c->tucmd & E1000_TUCMD_TCP) {
            uint32_t s = seq + off;
            p[c->tucss + 4] = (uint8_t)(s >> 24);
            p[c->tucss + 5] = (uint8_t)(s >> 16);
            p[c->tucss + 6] = (uint8_t)(s >> 8);
            p[c->tucss + 7] = (uint8_t)s;
            if (!last)
                p[c->tucss + 13] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
        } else {
            put_be16(p + c->tucss + 4, (uint16_t)l4len); /* UDP length */
        }
        if (ipv4 && (e->tx_popts & E1000_TXD_POPTS_IXSM)) {
            put_be16(p + c->ipcso, 0);
            insert_checksum(p, len, c->ipcss, c->ipcse, c->ipcso, 0);
        }
        if (e->tx_popts & E1000_TXD_POPTS_TXSM)
            insert_checksum(p, len, c->tucss, c->tucse, c->tucso, l4len);
        send_frame(e, p, len);
        off += chunk;
        n++;
    } while (off < payload);
}

static void packet_done(struct e1000 *e)
{
    if (e->tx_overflow) {
        if (device_logs_guest_errors(&e->env))
            device_guest_error(&e->env, "e1000", "transmit packet longer than 64 KiB: dropped");
    } else if (e->tx_tse) {
        send_tso(e);
    } else {
        if (e->tx_legacy_ic)
            insert_checksum(e->tx_buf, e->tx_len, e->tx_legacy_css, 0, e->tx_legacy_cso, 0);
        if (e->tx_popts & E1000_TXD_POPTS_IXSM) {
            put_be16(e->tx_buf + e->ctx.ipcso, 0);
            insert_checksum(e->tx_buf, e->tx_len, e->ctx.ipcss, e->ctx.ipcse, e->ctx.ipcso, 0);
        }
        if (e->tx_popts & E1000_TXD_POPTS_TXSM)
            insert_checksum(e->tx_buf, e->tx_len, e->ctx.tucss, e->ctx.tucse, e->ctx.tucso, 0);
        send_frame(e, e->tx_buf, e->tx_len);
    }
    e->tx_len = 0;
    e->tx_overflow = false;
    e->tx_first_data = true;
    e->tx_legacy_ic = false;
    e->tx_popts = 0;
    e->tx_tse = false;
    e->tx_vle = false;
}

static void append(struct e1000 *e, uint64_t addr, uint32_t len)
{
    if (e->tx_overflow || len > E1000_TX_BUF_MAX - e->tx_len) {
        e->tx_overflow = true;
        return;
    }
    physmem_read_buf(e->env.mem, addr, e->tx_buf + e->tx_len, len);
    e->tx_len += len;
}

static void process_descriptor(struct e1000 *e, const uint8_t d[16])
{
    uint64_t addr = (uint64_t)get_le32(d) | (uint64_t)get_le32(d + 4) << 32;
    uint32_t dw2 = get_le32(d + 8);
    uint8_t cmd = d[11];
    if (!(cmd & E1000_TXD_CMD_DEXT)) {
        /* Legacy descriptor (3.3.3): length 15:0, CSO, CMD, STA, CSS, special. */
        if (e->tx_first_data) {
            e->tx_first_data = false;
            e->tx_vle = (cmd & E1000_TXD_CMD_VLE) != 0;
            e->tx_vlan = (uint16_t)(d[14] | d[15] << 8);
        }
        if (cmd & E1000_TXD_CMD_IC) {
            e->tx_legacy_ic = true;
            e->tx_legacy_cso = d[10];
            e->tx_legacy_css = d[13];
        }
        append(e, addr, dw2 & 0xffff);
        if (cmd & E1000_TXD_CMD_EOP)
            packet_done(e);
        return;
    }
    unsigned dtyp = (dw2 >> 20) & 0xf;
    if (dtyp == 0) {
        /* Context descriptor (3.3.6). */
        struct e1000_tx_context *c = &e->ctx;
        c->ipcss = d[0];
        c->ipcso = d[1];
        c->ipcse = (uint16_t)(d[2] | d[3] << 8);
        c->tucss = d[4];
        c->tucso = d[5];
        c->tucse = (uint16_t)(d[6] | d[7] << 8);
        c->paylen = dw2 & 0xfffff;
        c->tucmd = cmd;
        c->hdr_len = d[13];
        c->mss = (uint16_t)(d[14] | d[15] << 8);
        return;
    }
    if (dtyp != 1)
        return; /* reserved descriptor type: skipped */
    /* Data descriptor (3.3.7): options come with the packet's first one. */
    if (e->tx_first_data) {
        e->tx_first_data = false;
        e->tx_tse = (cmd & E1000_TXD_CMD_TSE) != 0;
        e->tx_popts = d[13];
        e->tx_vle = (cmd & E1000_TXD_CMD_VLE) != 0;
        e->tx_vlan = (uint16_t)(d[14] | d[15] << 8);
    }
    append(e, addr, dw2 & 0xfffff);
    if (cmd & E1000_TXD_CMD_EOP)
        packet_done(e);
}

void e1000_transmit(struct e1000 *e)
{
    if (!(*reg(e, E1000_TCTL) & E1000_TCTL_EN))
        return;
    uint64_t base = (uint64_t)*reg(e, E1000_TDBAH) << 32 | (*reg(e, E1000_TDBAL) & ~15u);
    uint32_t count = *reg(e, E1000_TDLEN) / 16;
    uint32_t head = *reg(e, E1000_TDH), tail = *reg(e, E1000_TDT);
    if (!count || head >= count || tail >= count || head == tail)
        return;
    if (!e1000_ring_usable(e, base, (uint64_t)count * 16, "transmit"))
        return;
    struct physmem *pm = e->env.mem;
    /* At most one lap of the ring per doorbell. */
    for (uint32_t n = 0; head != tail && n < count; n++) {
        uint64_t at = base + 16ull * head;
        uint8_t d[16];
        physmem_read_buf(pm, at, d, sizeof(d));
        process_descriptor(e, d);
        /* Report status (RS): DD written back into the descriptor. */
        if (d[11] & E1000_TXD_CMD_RS)
            physmem_write(pm, at + 12, d[12] | E1000_TXD_STAT_DD, 1);
        head = (head + 1) % count;
        *reg(e, E1000_TDH) = head;
    }
    e1000_raise(e, E1000_ICR_TXDW | E1000_ICR_TXQE);
}

/* See gdb_packet.h. */
#include "frontend/gdb_packet.h"

void gdb_framer_reset(struct gdb_framer *f)
{
    f->state = GDB_FRAMER_IDLE;
    f->len = 0;
    f->overflow = false;
    f->sum = 0;
    f->given = 0;
    f->payload[0] = '\0';
}

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void start_packet(struct gdb_framer *f)
{
    gdb_framer_reset(f);
    f->state = GDB_FRAMER_BODY;
}

enum gdb_frame_event gdb_framer_feed(struct gdb_framer *f, uint8_t byte)
{
    switch (f->state) {
    case GDB_FRAMER_IDLE:
        if (byte == 0x03)
            return GDB_FRAME_INTERRUPT;
        if (byte == '$')
            start_packet(f);
        return GDB_FRAME_MORE;
    case GDB_FRAMER_BODY:
        if (byte == '#') {
            f->state = GDB_FRAMER_SUM_HI;
        } else if (byte == '$') {
            start_packet(f);
        } else {
            f->sum = (uint8_t)(f->sum + byte);
            if (f->len < GDB_PACKET_MAX)
                f->payload[f->len++] = (char)byte;
            else
                f->overflow = true;
        }
        return GDB_FRAME_MORE;
    case GDB_FRAMER_SUM_HI: {
        int v = hex_digit(byte);
        if (v < 0) {
            gdb_framer_reset(f);
            return GDB_FRAME_BAD_CHECKSUM;
        }
        f->given = (uint8_t)(v << 4);
        f->state = GDB_FRAMER_SUM_LO;
        return GDB_FRAME_MORE;
    }
    case GDB_FRAMER_SUM_LO: {
        int v = hex_digit(byte);
        bool good = v >= 0 && (uint8_t)(f->given | v) == f->sum;
        bool overflow = f->overflow;
        f->state = GDB_FRAMER_IDLE;
        f->payload[f->len] = '\0';
        if (!good) {
            gdb_framer_reset(f);
            return GDB_FRAME_BAD_CHECKSUM;
        }
        if (overflow) {
            gdb_framer_reset(f);
            return GDB_FRAME_TOO_LONG;
        }
        return GDB_FRAME_PACKET;
    }
    }
    return GDB_FRAME_MORE;
}

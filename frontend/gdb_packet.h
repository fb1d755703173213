/* Framing of the GDB remote serial protocol (gdb's "Overview" of the
 * remote protocol): `$payload#cc`, cc the two hex digits of the payload's
 * byte sum mod 256, or a lone 0x03 (Ctrl-C). Bytes arrive one at a time;
 * nothing is kept beyond GDB_PACKET_MAX payload bytes, so an oversized
 * packet is reported, never overflows, and is never dropped silently. */
#ifndef TURTLES_FRONTEND_GDB_PACKET_H
#define TURTLES_FRONTEND_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_PACKET_MAX 16384 /* advertised as PacketSize (hex 4000) */

enum gdb_frame_event {
    GDB_FRAME_MORE,         /* nothing complete yet */
    GDB_FRAME_PACKET,       /* a packet with a good checksum: in payload, NUL-terminated */
    GDB_FRAME_INTERRUPT,    /* Ctrl-C outside a packet */
    GDB_FRAME_BAD_CHECKSUM, /* reply '-': gdb sends the packet again */
    GDB_FRAME_TOO_LONG,     /* good checksum, payload over GDB_PACKET_MAX: an error reply */
};

struct gdb_framer {
    enum { GDB_FRAMER_IDLE, GDB_FRAMER_BODY, GDB_FRAMER_SUM_HI, GDB_FRAMER_SUM_LO } state;
    size_t len;    /* payload bytes kept */
    bool overflow; /* more than GDB_PACKET_MAX bytes came: the rest were counted, not kept */
    uint8_t sum;   /* running sum of every payload byte */
    uint8_t given; /* the checksum the packet carries */
    char payload[GDB_PACKET_MAX + 1];
};

void gdb_framer_reset(struct gdb_framer *f);

/* Takes the next byte from gdb. Outside a packet, acknowledgements and
 * stray bytes are skipped; a '$' inside a packet starts a new one (the
 * incomplete packet is dropped, as gdb would resend it). */
enum gdb_frame_event gdb_framer_feed(struct gdb_framer *f, uint8_t byte);

#endif

/* Net backends: how a NIC meets the outside world (DESIGN.md: backends are
 * small structs of function pointers; a NIC never knows which one sits
 * behind it).
 *
 * A NIC sends a frame with net_send(); the backend (slirp, a recording
 * backend in the tests, a pcap filter over another backend) carries it out.
 * Frames from outside are queued by net_backend_input() and handed to the
 * NIC only by net_backend_deliver(), which the machine calls between vCPU
 * turns: a guest sees received frames at turn boundaries, never in the
 * middle of one of its own register writes. The frames are Ethernet frames
 * without the frame check sequence. */
#ifndef TURTLES_DEVICES_NET_NET_H
#define TURTLES_DEVICES_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest frame carried: a 16 KiB e1000 jumbo buffer (RCTL.LPE) holds
 * less, and so does any frame Linux builds without GSO features. */
#define NET_FRAME_MAX 16384u
/* An Ethernet frame without its FCS: destination, source, type. */
#define NET_FRAME_MIN_HEADER 14u
/* Frames waiting for the guest beyond this many are dropped, as a switch
 * port drops what a full receive FIFO cannot take. */
#define NET_RX_QUEUE_MAX 512u

struct net_backend;

struct net_backend_ops {
    /* Carry a frame from the guest out. Returns 0, or -1 when it was lost. */
    int (*send)(struct net_backend *nb, const uint8_t *frame, size_t len);
    /* Look at host file descriptors, waiting at most timeout_ms (0: do not
     * wait); frames that came in are queued with net_backend_input. Returns
     * true when anything happened. NULL: nothing to poll. */
    bool (*poll)(struct net_backend *nb, int timeout_ms);
    /* Whether poll has host descriptors that outside events can wake. */
    bool (*has_io)(struct net_backend *nb);
    /* Whether an answer from outside may be on its way: the guest sent a
     * frame moments ago (host time) and a socket is open. */
    bool (*awaits_reply)(struct net_backend *nb);
    void (*destroy)(struct net_backend *nb);
};

/* The receiving side above a backend (a NIC, or a filter). Returns true
 * when the frame was taken (received, or dropped by the NIC's address
 * filter), false when the NIC cannot take it now (no receive buffers): it
 * stays queued for the next delivery. */
typedef bool (*net_receive_fn)(void *opaque, const uint8_t *frame, size_t len);

struct net_queued_frame {
    uint8_t *data;
    size_t len;
};

struct net_backend {
    const struct net_backend_ops *ops;
    char id[32];
    /* Who receives this backend's frames (net_backend_attach). */
    net_receive_fn receive;
    void *receive_opaque;
    /* Frames from outside, oldest first (a ring). */
    struct net_queued_frame queue[NET_RX_QUEUE_MAX];
    unsigned queue_head, queue_len;
    uint64_t dropped;            /* frames lost to a full queue or no receiver */
};

/* For a backend's constructor: ops, id, an empty queue. */
void net_backend_init(struct net_backend *nb, const struct net_backend_ops *ops, const char *id);
/* Frees the queued frames and calls ops->destroy. NULL is allowed. */
void net_backend_destroy(struct net_backend *nb);
/* The NIC (or a filter) that receives what the backend brings in. */
void net_backend_attach(struct net_backend *nb, net_receive_fn receive, void *opaque);
/* A frame from outside: queued (copied) for the next net_backend_deliver.
 * Frames without an Ethernet header or larger than NET_FRAME_MAX are
 * dropped, as a NIC drops runts and giants. */
void net_backend_input(struct net_backend *nb, const uint8_t *frame, size_t len);
/* Hand queued frames to the receiver, oldest first, until it refuses one.
 * Returns how many were taken. */
unsigned net_backend_deliver(struct net_backend *nb);
/* A frame from the guest out through the backend. Returns 0 or -1. */
int net_send(struct net_backend *nb, const uint8_t *frame, size_t len);

#endif

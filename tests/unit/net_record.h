/* A recording net backend for the NIC tests: what the NIC sends is kept,
 * frames from outside are given with net_backend_input. */
#ifndef TURTLES_TESTS_NET_RECORD_H
#define TURTLES_TESTS_NET_RECORD_H

#include <string.h>

#include "devices/net/net.h"

#define REC_MAX_FRAMES 32
#define REC_MAX_LEN 2048

struct rec_backend {
    struct net_backend nb; /* first */
    uint8_t frame[REC_MAX_FRAMES][REC_MAX_LEN];
    size_t len[REC_MAX_FRAMES];
    unsigned n;
};

static inline int rec_send(struct net_backend *nb, const uint8_t *frame, size_t len)
{
    struct rec_backend *r = (struct rec_backend *)nb;
    if (r->n == REC_MAX_FRAMES || len > REC_MAX_LEN)
        return -1;
    memcpy(r->frame[r->n], frame, len);
    r->len[r->n++] = len;
    return 0;
}

static const struct net_backend_ops rec_ops = {.send = rec_send};

static inline void rec_init(struct rec_backend *r)
{
    memset(r, 0, sizeof(*r));
    net_backend_init(&r->nb, &rec_ops, "rec");
}

#endif

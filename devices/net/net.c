/* Net backends: the frame queue and the calls every backend shares
 * (devices/net/net.h). */
#include "devices/net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void net_backend_init(struct net_backend *nb, const struct net_backend_ops *ops, const char *id)
{
    memset(nb, 0, sizeof(*nb));
    nb->ops = ops;
    snprintf(nb->id, sizeof(nb->id), "%s", id ? id : "");
}

static void queue_pop(struct net_backend *nb)
{
    free(nb->queue[nb->queue_head].data);
    nb->queue[nb->queue_head].data = NULL;
    nb->queue_head = (nb->queue_head + 1) % NET_RX_QUEUE_MAX;
    nb->queue_len--;
}

void net_backend_destroy(struct net_backend *nb)
{
    if (!nb)
        return;
    while (nb->queue_len)
        queue_pop(nb);
    if (nb->ops && nb->ops->destroy)
        nb->ops->destroy(nb);
}

void net_backend_attach(struct net_backend *nb, net_receive_fn receive, void *opaque)
{
    nb->receive = receive;
    nb->receive_opaque = opaque;
}

void net_backend_input(struct net_backend *nb, const uint8_t *frame, size_t len)
{
    if (len < NET_FRAME_MIN_HEADER || len > NET_FRAME_MAX || !nb->receive ||
        nb->queue_len == NET_RX_QUEUE_MAX) {
        nb->dropped++;
        return;
    }
    uint8_t *copy = malloc(len);
    if (!copy) {
        nb->dropped++;
        return;
    }
    memcpy(copy, frame, len);
    unsigned tail = (nb->queue_head + nb->queue_len) % NET_RX_QUEUE_MAX;
    nb->queue[tail] = (struct net_queued_frame){copy, len};
    nb->queue_len++;
}

unsigned net_backend_deliver(struct net_backend *nb)
{
    unsigned n = 0;
    while (nb->queue_len && nb->receive) {
        const struct net_queued_frame *f = &nb->queue[nb->queue_head];
        if (!nb->receive(nb->receive_opaque, f->data, f->len))
            break;
        queue_pop(nb);
        n++;
    }
    return n;
}

int net_send(struct net_backend *nb, const uint8_t *frame, size_t len)
{
    if (!nb || len < NET_FRAME_MIN_HEADER || len > NET_FRAME_MAX)
        return -1;
    return nb->ops->send(nb, frame, len);
}

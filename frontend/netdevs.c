/* The machine's networks and NICs (frontend/netdevs.h). */
#define _POSIX_C_SOURCE 200809L
#include "frontend/netdevs.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "devices/net/filter_dump.h"
#include "frontend/net_slirp.h"

static int free_slot(const struct pci_bus *bus)
{
    for (unsigned slot = NETDEVS_FIRST_SLOT; slot < 32; slot++)
        if (!bus->devs[PCI_DEVFN(slot, 0)])
            return (int)slot;
    return -1;
}

int netdevs_open(struct netdevs *nd, const struct net_options *o, struct pci_bus *bus,
                 const struct device_env *env)
{
    for (int i = 0; i < o->nnetdevs; i++) {
        struct net_backend *nb = net_slirp_new(&o->netdevs[i], env->clock);
        if (!nb)
            return -1;
        nd->backend[nd->nbackends] = nd->top[nd->nbackends] = nb;
        nd->nbackends++;
    }
    for (int i = 0; i < o->ndumps; i++) {
        const struct filter_dump_opt *f = &o->dumps[i];
        char err[256];
        struct net_backend *fb = filter_dump_new(nd->top[f->netdev], f->id, f->file, env->clock,
                                                 err, sizeof(err));
        if (!fb) {
            fprintf(stderr, "turtles: -object filter-dump,id=%s: %s\n", f->id, err);
            return -1;
        }
        nd->filters[nd->nfilters++] = fb;
        nd->top[f->netdev] = fb; /* a second filter on the same netdev stacks over the first */
    }
    for (int i = 0; i < o->nnics; i++) {
        const struct nic_opt *c = &o->nics[i];
        int slot = free_slot(bus);
        if (slot < 0) {
            fprintf(stderr, "turtles: no free PCI slot for NIC %d\n", i);
            return -1;
        }
        struct net_backend *nb = nd->top[c->netdev];
        int r;
        if (c->model == NIC_E1000) {
            nd->e1000[i] = calloc(1, sizeof(struct e1000));
            r = nd->e1000[i] ? e1000_init(nd->e1000[i], bus, PCI_DEVFN(slot, 0), env, nb, c->mac)
                             : -1;
        } else {
            nd->vnet[i] = calloc(1, sizeof(struct virtio_net));
            r = nd->vnet[i] ? virtio_net_init(nd->vnet[i], bus, PCI_DEVFN(slot, 0), env, nb, c->mac)
                            : -1;
        }
        nd->nnics = i + 1;
        if (r < 0) {
            fprintf(stderr, "turtles: cannot create NIC %d (%s)\n", i,
                    c->model == NIC_E1000 ? "e1000" : "virtio-net-pci");
            return -1;
        }
    }
    return 0;
}

void netdevs_reset(struct netdevs *nd)
{
    for (int i = 0; i < nd->nnics; i++) {
        if (nd->e1000[i])
            e1000_reset(nd->e1000[i]);
        if (nd->vnet[i])
            virtio_net_reset(nd->vnet[i]);
    }
}

void netdevs_close(struct netdevs *nd)
{
    for (int i = 0; i < nd->nnics; i++) {
        if (nd->e1000[i]) {
            e1000_destroy(nd->e1000[i]);
            free(nd->e1000[i]);
        }
        if (nd->vnet[i]) {
            virtio_net_destroy(nd->vnet[i]);
            free(nd->vnet[i]);
        }
        nd->e1000[i] = NULL;
        nd->vnet[i] = NULL;
    }
    nd->nnics = 0;
    for (int i = nd->nfilters - 1; i >= 0; i--)
        net_backend_destroy(nd->filters[i]);
    nd->nfilters = 0;
    for (int i = 0; i < nd->nbackends; i++)
        net_backend_destroy(nd->backend[i]);
    nd->nbackends = 0;
}

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool netdevs_poll(struct netdevs *nd, int timeout_ms)
{
    bool delivered = false;
    /* The machine loop comes here between every two rounds, thousands of
     * times a second when the guest idles: the sockets are looked at
     * (system calls) at most every NETDEVS_POLL_INTERVAL_NS of host time
     * unless the caller means to wait; queued frames go out every time. */
    uint64_t now = host_ns();
    if (timeout_ms == 0 && now - nd->last_poll_ns < NETDEVS_POLL_INTERVAL_NS) {
        for (int i = 0; i < nd->nbackends; i++)
            if (net_backend_deliver(nd->backend[i]))
                delivered = true;
        return delivered;
    }
    nd->last_poll_ns = now;
    for (int i = 0; i < nd->nbackends; i++)
        if (nd->backend[i]->queue_len)
            timeout_ms = 0; /* frames are waiting already: no reason to sleep */
    for (int i = 0; i < nd->nbackends; i++) {
        struct net_backend *nb = nd->backend[i];
        /* Only the first backend waits: the others are looked at right after. */
        if (nb->ops->poll)
            nb->ops->poll(nb, i == 0 ? timeout_ms : 0);
        if (net_backend_deliver(nb))
            delivered = true;
    }
    return delivered;
}

bool netdevs_have_io(const struct netdevs *nd)
{
    for (int i = 0; i < nd->nbackends; i++)
        if (nd->backend[i]->ops->has_io && nd->backend[i]->ops->has_io(nd->backend[i]))
            return true;
    return false;
}

bool netdevs_await_reply(const struct netdevs *nd)
{
    for (int i = 0; i < nd->nbackends; i++)
        if (nd->backend[i]->ops->awaits_reply && nd->backend[i]->ops->awaits_reply(nd->backend[i]))
            return true;
    return false;
}

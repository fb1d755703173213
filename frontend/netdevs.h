/* The machine's networks and NICs from the command line: -netdev/-nic
 * backends, -object filter-dump captures, and the e1000 and virtio-net
 * devices on the PCI bus. */
#ifndef TURTLES_FRONTEND_NETDEVS_H
#define TURTLES_FRONTEND_NETDEVS_H

#include <stdbool.h>

#include "devices/e1000.h"
#include "devices/net/net.h"
#include "devices/pci.h"
#include "devices/virtio_net.h"
#include "frontend/options.h"

/* NICs take the first free PCI slot from here on (QEMU's first NIC sits
 * at 00:03.0 too). */
#define NETDEVS_FIRST_SLOT 3
/* Host sockets are looked at no more often than this without a wait. */
#define NETDEVS_POLL_INTERVAL_NS 200000ull

struct netdevs {
    struct net_backend *backend[MAX_NETDEVS]; /* what carries the frames (slirp) */
    struct net_backend *top[MAX_NETDEVS];     /* what the NIC talks to (a filter, or backend) */
    int nbackends;
    struct net_backend *filters[MAX_NET_FILTERS];
    int nfilters;
    struct e1000 *e1000[MAX_NICS];
    struct virtio_net *vnet[MAX_NICS];
    int nnics;
    uint64_t last_poll_ns;   /* host time of the last socket poll */
};

/* Creates everything the options ask for. On failure prints one line and
 * returns -1 (netdevs_close releases what was made). */
int netdevs_open(struct netdevs *nd, const struct net_options *o, struct pci_bus *bus,
                 const struct device_env *env);
void netdevs_reset(struct netdevs *nd);
void netdevs_close(struct netdevs *nd);
/* Between turns: poll the backends' host sockets (waiting at most
 * timeout_ms) and hand received frames to the NICs. Returns true when a
 * frame reached a NIC. */
bool netdevs_poll(struct netdevs *nd, int timeout_ms);
/* Whether the outside world can still send something (an open socket, a
 * listening host forward). */
bool netdevs_have_io(const struct netdevs *nd);
/* Whether an answer to the guest's recent frames may be on its way. */
bool netdevs_await_reply(const struct netdevs *nd);

#endif

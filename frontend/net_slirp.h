/* -netdev user: a net backend over libslirp (user-mode networking: DHCP,
 * a DNS forwarder, NAT to host sockets, host port forwarding). */
#ifndef TURTLES_FRONTEND_NET_SLIRP_H
#define TURTLES_FRONTEND_NET_SLIRP_H

#include "devices/net/net.h"
#include "frontend/net_options.h"
#include "mmu/clock.h"

/* Creates the network and its host forwards. On failure (a host port that
 * cannot be listened on, say) prints one line and returns NULL. */
struct net_backend *net_slirp_new(const struct netdev_opt *d, struct clock *clock);

#endif

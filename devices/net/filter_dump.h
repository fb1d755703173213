/* -object filter-dump,id=F,netdev=N,file=PATH: a net backend that sits
 * between a NIC and another backend and writes every frame, both ways, to
 * a pcap file (link type Ethernet). Time stamps are machine time (struct
 * clock), so two runs of the same guest give the same capture. */
#ifndef TURTLES_DEVICES_NET_FILTER_DUMP_H
#define TURTLES_DEVICES_NET_FILTER_DUMP_H

#include <stddef.h>

#include "devices/net/net.h"
#include "mmu/clock.h"

/* Creates the filter over `lower` (which it attaches to; not owned) and
 * writes the pcap file header. Returns NULL with a reason in err when the
 * file cannot be created. */
struct net_backend *filter_dump_new(struct net_backend *lower, const char *id, const char *path,
                                    const struct clock *clock, char *err, size_t errlen);

#endif

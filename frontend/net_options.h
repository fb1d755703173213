/* The networking options, in QEMU's spelling:
 *   -netdev user,id=ID[,net=ADDR[/MASK]][,host=ADDR][,dhcpstart=ADDR][,dns=ADDR]
 *          [,restrict=on|off][,ipv6=on|off][,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 *   -nic none | -nic user[,model=e1000|virtio-net-pci][,mac=MAC][,<-netdev user options>]
 *   -device e1000,netdev=ID[,mac=MAC]   -device virtio-net-pci,netdev=ID[,mac=MAC]
 *   -object filter-dump,id=F,netdev=ID,file=PATH
 * Everything is checked while parsing (bad input: one line, status 2);
 * names are resolved at the end, so the options may come in any order. */
#ifndef TURTLES_FRONTEND_NET_OPTIONS_H
#define TURTLES_FRONTEND_NET_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_NETDEVS 4
#define MAX_NICS 4
#define MAX_HOSTFWD 8
#define MAX_NET_FILTERS 4
#define NET_ID_MAX 32

enum nic_model { NIC_E1000, NIC_VIRTIO_NET };

struct hostfwd_opt {
    bool udp;
    uint32_t host_addr;      /* host byte order; 0: any address */
    uint16_t host_port;
    uint32_t guest_addr;     /* 0: the first DHCP address */
    uint16_t guest_port;
};

struct netdev_opt {
    char id[NET_ID_MAX];
    uint32_t net, mask, host, dhcp_start, dns; /* host byte order */
    bool restricted;         /* restrict=on: the guest reaches only the host side */
    bool ipv6;
    struct hostfwd_opt fwd[MAX_HOSTFWD];
    int nfwd;
};

struct nic_opt {
    enum nic_model model;
    char netdev_id[NET_ID_MAX];
    int netdev;              /* index into netdevs, resolved at the end */
    uint8_t mac[6];
    bool mac_given;
};

struct filter_dump_opt {
    char id[NET_ID_MAX];
    char netdev_id[NET_ID_MAX];
    int netdev;
    const char *file;
};

struct net_options {
    struct netdev_opt netdevs[MAX_NETDEVS];
    int nnetdevs;
    struct nic_opt nics[MAX_NICS];
    int nnics;
    struct filter_dump_opt dumps[MAX_NET_FILTERS];
    int ndumps;
};

/* Each returns 0, or prints one line and returns 2. */
int net_parse_netdev(struct net_options *n, const char *spec);
int net_parse_nic(struct net_options *n, const char *spec);
/* -device e1000,... / virtio-net-pci,...; returns 1 when spec names
 * neither (not a NIC: the caller goes on looking). */
int net_parse_nic_device(struct net_options *n, const char *spec);
int net_parse_object(struct net_options *n, const char *spec);
/* After the whole command line: every netdev= names a -netdev, no netdev
 * has two NICs, default MAC addresses are given out. */
int net_options_finish(struct net_options *n);

#endif

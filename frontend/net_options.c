/* Parsing of -netdev, -nic, -device e1000/virtio-net-pci and -object
 * filter-dump (frontend/net_options.h). */
#define _POSIX_C_SOURCE 200809L
#include "frontend/net_options.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QEMU's user-network defaults: 10.0.2.0/24, the host (gateway) at .2,
 * the DNS forwarder at .3, DHCP from .15. */
#define DEFAULT_NET 0x0a000200u
#define DEFAULT_MASK 0xffffff00u
#define HOST_OFFSET 2u
#define DNS_OFFSET 3u
#define DHCP_OFFSET 15u

static int bad(const char *what, const char *val)
{
    fprintf(stderr, "turtles: %s: '%s'\n", what, val ? val : "(missing)");
    return 2;
}

/* The next comma-separated item of *p into item (NUL-terminated); false at
 * the end or when the item does not fit. */
static bool next_item(const char **p, char *item, size_t size, bool *too_long)
{
    *too_long = false;
    if (!**p)
        return false;
    size_t len = strcspn(*p, ",");
    if (len >= size) {
        *too_long = true;
        return false;
    }
    memcpy(item, *p, len);
    item[len] = 0;
    *p += len;
    if (**p == ',')
        (*p)++;
    return true;
}

static bool parse_ipv4(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    *out = ntohl(a.s_addr);
    return true;
}

static bool parse_port(const char *s, size_t len, uint16_t *out)
{
    if (!len || len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (!v || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

static bool parse_id(const char *s, char *out)
{
    size_t len = strlen(s);
    if (!len || len >= NET_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    memcpy(out, s, len + 1);
    return true;
}

/* MAC as six hex octets separated by ':' or '-'; a group (multicast)
 * address cannot be a NIC's own. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
    if (strlen(s) != 17)
        return false;
    for (unsigned i = 0; i < 6; i++) {
        const char *o = s + 3 * i;
        char hex[3] = {o[0], o[1], 0};
        if (i < 5 && o[2] != ':' && o[2] != '-')
            return false;
        for (unsigned k = 0; k < 2; k++) {
            char c = hex[k];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return false;
        }
        mac[i] = (uint8_t)strtoul(hex, NULL, 16);
    }
    return !(mac[0] & 1);
}

/* net=ADDR[/BITS|/MASK] */
static bool parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
    char addr[32];
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    if (len >= sizeof(addr))
        return false;
    memcpy(addr, s, len);
    addr[len] = 0;
    if (!parse_ipv4(addr, net))
        return false;
    *mask = DEFAULT_MASK;
    if (slash) {
        const char *m = slash + 1;
        if (strchr(m, '.')) {
            if (!parse_ipv4(m, mask))
                return false;
            /* contiguous ones, then zeros */
            if (*mask & (~*mask >> 1))
                return false;
        } else {
            char *end;
            long bits = strtol(m, &end, 10);
            if (!*m || *end || bits < 8 || bits > 30)
                return false;
            *mask = ~0u << (32 - bits);
        }
        if ((*mask & 0xff000000u) != 0xff000000u || (*mask & 3))
            return false; /* /8 to /30 */
    }
    *net &= *mask;
    return true;
}

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static bool parse_hostfwd(const char *s, struct hostfwd_opt *f)
{
    memset(f, 0, sizeof(*f));
    const char *c1 = strchr(s, ':');
    if (!c1)
        return false;
    size_t plen = (size_t)(c1 - s);
    if (plen == 3 && !strncmp(s, "udp", 3))
        f->udp = true;
    else if (!(plen == 0 || (plen == 3 && !strncmp(s, "tcp", 3))))
        return false;
    const char *hp = c1 + 1;
    const char *c2 = strchr(hp, ':');
    const char *dash = strchr(hp, '-');
    if (!c2 || !dash || c2 > dash)
        return false;
    char addr[32];
    size_t alen = (size_t)(c2 - hp);
    if (alen >= sizeof(addr))
        return false;
    memcpy(addr, hp, alen);
    addr[alen] = 0;
    if (alen && !parse_ipv4(addr, &f->host_addr))
        return false;
    if (!parse_port(c2 + 1, (size_t)(dash - c2 - 1), &f->host_port))
        return false;
    const char *gp = dash + 1;
    const char *c3 = strchr(gp, ':');
    if (!c3)
        return false;
    alen = (size_t)(c3 - gp);
    if (alen >= sizeof(addr))
        return false;
    memcpy(addr, gp, alen);
    addr[alen] = 0;
    if (alen && !parse_ipv4(addr, &f->guest_addr))
        return false;
    return parse_port(c3 + 1, strlen(c3 + 1), &f->guest_port);
}

static bool in_net(const struct netdev_opt *d, uint32_t a)
{
    uint32_t host_bits = a & ~d->mask;
    return (a & d->mask) == d->net && host_bits && host_bits != ~d->mask;
}

/* Which addresses a user netdev's items set; the others get defaults. */
struct user_given {
    bool net, host, dhcp, dns;
};

/* The items that -netdev user and -nic user share. Returns 0 when taken,
 * 1 when the item is not a netdev item, 2 after an error line. */
static int netdev_item(struct netdev_opt *d, const char *item, struct user_given *given)
{
    const char *eq = strchr(item, '=');
    if (!eq)
        return 1;
    size_t klen = (size_t)(eq - item);
    const char *v = eq + 1;
#define KEY(k) (klen == strlen(k) && !strncmp(item, k, klen))
    if (KEY("net")) {
        if (!parse_net(v, &d->net, &d->mask))
            return bad("-netdev user: net= takes ADDR[/BITS] (8-30 bits)", v);
        given->net = true;
    } else if (KEY("host")) {
        if (!parse_ipv4(v, &d->host))
            return bad("-netdev user: host= takes an IPv4 address", v);
        given->host = true;
    } else if (KEY("dhcpstart")) {
        if (!parse_ipv4(v, &d->dhcp_start))
            return bad("-netdev user: dhcpstart= takes an IPv4 address", v);
        given->dhcp = true;
    } else if (KEY("dns")) {
        if (!parse_ipv4(v, &d->dns))
            return bad("-netdev user: dns= takes an IPv4 address", v);
        given->dns = true;
    } else if (KEY("restrict")) {
        if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "yes") && strcmp(v, "no"))
            return bad("-netdev user: restrict= takes on or off", v);
        d->restricted = !strcmp(v, "on") || !strcmp(v, "yes");
    } else if (KEY("ipv6")) {
        if (strcmp(v, "on") && strcmp(v, "off"))
            return bad("-netdev user: ipv6= takes on or off", v);
        d->ipv6 = !strcmp(v, "on");
    } else if (KEY("ipv4")) {
        if (strcmp(v, "on"))
            return bad("-netdev user: IPv4 cannot be turned off", v);
    } else if (KEY("hostfwd")) {
        if (d->nfwd == MAX_HOSTFWD)
            return bad("-netdev user: too many hostfwd= (at most 8)", v);
        if (!parse_hostfwd(v, &d->fwd[d->nfwd]))
            return bad("-netdev user: hostfwd= takes [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
                       v);
        d->nfwd++;
    } else {
        return 1;
    }
#undef KEY
    return 0;
}

static int netdev_finish(struct netdev_opt *d, const struct user_given *given, const char *spec)
{
    if (!given->host)
        d->host = d->net | HOST_OFFSET;
    if (!given->dns)
        d->dns = d->net | DNS_OFFSET;
    if (!given->dhcp)
        d->dhcp_start = d->net | DHCP_OFFSET;
    if (!in_net(d, d->host))
        return bad("-netdev user: host= is not an address of net=", spec);
    if (!in_net(d, d->dns))
        return bad("-netdev user: dns= is not an address of net=", spec);
    if (!in_net(d, d->dhcp_start))
        return bad("-netdev user: dhcpstart= is not an address of net=", spec);
    if (d->host == d->dns || d->host == d->dhcp_start || d->dns == d->dhcp_start)
        return bad("-netdev user: host=, dns= and dhcpstart= must differ", spec);
    for (int i = 0; i < d->nfwd; i++)
        if (d->fwd[i].guest_addr && !in_net(d, d->fwd[i].guest_addr))
            return bad("-netdev user: a hostfwd= guest address is not an address of net=", spec);
    return 0;
}

static struct netdev_opt *new_netdev(struct net_options *n, const char *spec)
{
    if (n->nnetdevs == MAX_NETDEVS) {
        bad("too many -netdev/-nic (at most 4)", spec);
        return NULL;
    }
    struct netdev_opt *d = &n->netdevs[n->nnetdevs++];
    memset(d, 0, sizeof(*d));
    d->net = DEFAULT_NET;
    d->mask = DEFAULT_MASK;
    d->ipv6 = true;
    return d;
}

static int find_netdev(const struct net_options *n, const char *id)
{
    for (int i = 0; i < n->nnetdevs; i++)
        if (!strcmp(n->netdevs[i].id, id))
            return i;
    return -1;
}

static bool type_is(const char *spec, const char *type)
{
    size_t len = strlen(type);
    return !strncmp(spec, type, len) && (!spec[len] || spec[len] == ',');
}

/* The properties of "-netdev user,..." or "-nic user,..." (option, for
 * the error lines): each item goes first to own_item (0 taken, 1 not its
 * item, 2 after an error line), then to the items both options share.
 * Returns 0 or 2 after an error line. */
static int parse_user_items(struct netdev_opt *d, const char *spec, const char *option,
                            int (*own_item)(void *ctx, const char *item), void *ctx,
                            struct user_given *given)
{
    const char *p = spec + 4; /* after "user" */
    if (*p == ',')
        p++;
    char item[256], what[64];
    bool too_long;
    while (next_item(&p, item, sizeof(item), &too_long)) {
        int r = own_item(ctx, item);
        if (r == 1)
            r = netdev_item(d, item, given);
        if (r == 1) {
            snprintf(what, sizeof(what), "unknown %s user property", option);
            return bad(what, item);
        }
        if (r)
            return r;
    }
    if (too_long) {
        snprintf(what, sizeof(what), "%s: property too long", option);
        return bad(what, p);
    }
    return 0;
}

/* -netdev user's own item: id=. */
static int netdev_own_item(void *ctx, const char *item)
{
    struct netdev_opt *d = ctx;
    if (strncmp(item, "id=", 3))
        return 1;
    if (!parse_id(item + 3, d->id))
        return bad("-netdev: id= takes up to 31 letters, digits, '-', '_', '.'", item);
    return 0;
}

int net_parse_netdev(struct net_options *n, const char *spec)
{
    if (!type_is(spec, "user"))
        return bad("unsupported -netdev type (only user)", spec);
    struct netdev_opt *d = new_netdev(n, spec);
    if (!d)
        return 2;
    struct user_given given = {0};
    int r = parse_user_items(d, spec, "-netdev", netdev_own_item, d, &given);
    if (r)
        return r;
    if (!d->id[0])
        return bad("-netdev user needs id=", spec);
    for (int i = 0; i < n->nnetdevs - 1; i++)
        if (!strcmp(n->netdevs[i].id, d->id))
            return bad("-netdev: duplicate id", d->id);
    return netdev_finish(d, &given, spec);
}

static int parse_model(const char *v, enum nic_model *m)
{
    if (!strcmp(v, "e1000") || !strcmp(v, "e1000-82540em"))
        *m = NIC_E1000;
    else if (!strcmp(v, "virtio-net-pci") || !strcmp(v, "virtio"))
        *m = NIC_VIRTIO_NET;
    else
        return bad("unknown NIC model (e1000, virtio-net-pci)", v);
    return 0;
}

static struct nic_opt *new_nic(struct net_options *n, const char *spec)
{
    if (n->nnics == MAX_NICS) {
        bad("too many NICs (at most 4)", spec);
        return NULL;
    }
    struct nic_opt *c = &n->nics[n->nnics++];
    memset(c, 0, sizeof(*c));
    c->netdev = -1;
    return c;
}

/* -nic user's own items: model=, mac= and id= (of its netdev). */
struct nic_user {
    struct nic_opt *nic;
    struct netdev_opt *netdev;
};

static int nic_own_item(void *ctx, const char *item)
{
    struct nic_user *u = ctx;
    if (!strncmp(item, "model=", 6))
        return parse_model(item + 6, &u->nic->model) ? 2 : 0;
    if (!strncmp(item, "mac=", 4)) {
        if (!parse_mac(item + 4, u->nic->mac))
            return bad("-nic: mac= takes a unicast address xx:xx:xx:xx:xx:xx", item + 4);
        u->nic->mac_given = true;
        return 0;
    }
    if (!strncmp(item, "id=", 3)) {
        if (!parse_id(item + 3, u->netdev->id))
            return bad("-nic: id= takes up to 31 letters, digits, '-', '_', '.'", item);
        return 0;
    }
    return 1;
}

int net_parse_nic(struct net_options *n, const char *spec)
{
    if (!strcmp(spec, "none"))
        return 0; /* no NIC: already the default (README) */
    if (!type_is(spec, "user"))
        return bad("unsupported -nic type (none or user)", spec);
    struct netdev_opt *d = new_netdev(n, spec);
    struct nic_opt *c = d ? new_nic(n, spec) : NULL;
    if (!c)
        return 2;
    c->model = NIC_E1000;
    struct user_given given = {0};
    struct nic_user u = {c, d};
    int r = parse_user_items(d, spec, "-nic", nic_own_item, &u, &given);
    if (r)
        return r;
    if (!d->id[0])
        snprintf(d->id, sizeof(d->id), "__nic%d", n->nnics - 1);
    memcpy(c->netdev_id, d->id, sizeof(c->netdev_id));
    return netdev_finish(d, &given, spec);
}

int net_parse_nic_device(struct net_options *n, const char *spec)
{
    enum nic_model model;
    const char *p;
    if (type_is(spec, "e1000")) {
        model = NIC_E1000;
        p = spec + 5;
    } else if (type_is(spec, "virtio-net-pci")) {
        model = NIC_VIRTIO_NET;
        p = spec + 14;
    } else {
        return 1;
    }
    const char *name = model == NIC_E1000 ? "-device e1000" : "-device virtio-net-pci";
    struct nic_opt *c = new_nic(n, spec);
    if (!c)
        return 2;
    c->model = model;
    if (*p == ',')
        p++;
    char item[256];
    bool too_long;
    while (next_item(&p, item, sizeof(item), &too_long)) {
        if (!strncmp(item, "netdev=", 7)) {
            if (!parse_id(item + 7, c->netdev_id))
                return bad("-device: bad netdev= id", item);
        } else if (!strncmp(item, "mac=", 4)) {
            if (!parse_mac(item + 4, c->mac))
                return bad("-device: mac= takes a unicast address xx:xx:xx:xx:xx:xx", item + 4);
            c->mac_given = true;
        } else if (strncmp(item, "id=", 3) && strncmp(item, "addr=", 5) && strncmp(item, "bus=", 4)) {
            fprintf(stderr, "turtles: unknown %s property: '%s'\n", name, item);
            return 2;
        }
    }
    if (too_long)
        return bad("-device: property too long", p);
    if (!c->netdev_id[0]) {
        fprintf(stderr, "turtles: %s needs netdev=ID: '%s'\n", name, spec);
        return 2;
    }
    return 0;
}

int net_parse_object(struct net_options *n, const char *spec)
{
    if (!type_is(spec, "filter-dump"))
        return bad("unsupported -object (only filter-dump)", spec);
    if (n->ndumps == MAX_NET_FILTERS)
        return bad("too many -object filter-dump (at most 4)", spec);
    struct filter_dump_opt *f = &n->dumps[n->ndumps++];
    memset(f, 0, sizeof(*f));
    f->netdev = -1;
    const char *p = spec + 11;
    if (*p == ',')
        p++;
    char item[4096];
    bool too_long;
    while (next_item(&p, item, sizeof(item), &too_long)) {
        if (!strncmp(item, "id=", 3)) {
            if (!parse_id(item + 3, f->id))
                return bad("-object filter-dump: bad id=", item);
        } else if (!strncmp(item, "netdev=", 7)) {
            if (!parse_id(item + 7, f->netdev_id))
                return bad("-object filter-dump: bad netdev=", item);
        } else if (!strncmp(item, "file=", 5) && item[5]) {
            f->file = strdup(item + 5);
            if (!f->file)
                return bad("out of memory", spec);
        } else if (!strncmp(item, "maxlen=", 7)) {
            /* accepted: frames are never cut (snaplen 65535) */
        } else {
            return bad("unknown -object filter-dump property (id, netdev, file)", item);
        }
    }
    if (too_long)
        return bad("-object filter-dump: property too long", p);
    if (!f->id[0] || !f->netdev_id[0] || !f->file)
        return bad("-object filter-dump needs id=, netdev= and file=", spec);
    return 0;
}

int net_options_finish(struct net_options *n)
{
    for (int i = 0; i < n->nnetdevs; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(n->netdevs[i].id, n->netdevs[k].id))
                return bad("-netdev/-nic: duplicate id", n->netdevs[i].id);
    for (int i = 0; i < n->nnics; i++) {
        struct nic_opt *c = &n->nics[i];
        c->netdev = find_netdev(n, c->netdev_id);
        if (c->netdev < 0)
            return bad("no -netdev with that id", c->netdev_id);
        for (int k = 0; k < i; k++)
            if (n->nics[k].netdev == c->netdev)
                return bad("-netdev used by two NICs", c->netdev_id);
        if (!c->mac_given) {
            /* QEMU's default, one more per NIC. */
            static const uint8_t base[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
            memcpy(c->mac, base, 6);
            c->mac[5] = (uint8_t)(base[5] + i);
        }
    }
    for (int i = 0; i < n->ndumps; i++) {
        struct filter_dump_opt *f = &n->dumps[i];
        f->netdev = find_netdev(n, f->netdev_id);
        if (f->netdev < 0)
            return bad("-object filter-dump: no -netdev with that id", f->netdev_id);
        for (int k = 0; k < i; k++)
            if (!strcmp(n->dumps[k].id, f->id))
                return bad("-object: duplicate id", f->id);
    }
    return 0;
}

/* -netdev user: the user-mode network through libslirp (frontend/net_slirp.h).
 *
 * slirp's clock and timers are the machine clock's (struct clock), so its
 * TCP timers, DHCP lease times and router advertisements move with machine
 * time, not host time. Its sockets are polled from the machine loop
 * (net_backend_ops.poll), and the frames it sends the guest are queued by
 * net_backend_input and reach the NIC at the next turn boundary. */
#define _POSIX_C_SOURCE 200809L
#include "frontend/net_slirp.h"

#include <arpa/inet.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* For how long after the guest's last frame an idle machine waits for an
 * answer from the host side (host time). */
#define REPLY_WINDOW_NS 500000000ull

struct slirp_timer {
    struct timer t;
    struct slirp_backend *sb;
    SlirpTimerId id;
    void *cb_opaque;
};

struct slirp_backend {
    struct net_backend nb;   /* first: the NIC sees this */
    Slirp *slirp;
    struct clock *clock;
    struct pollfd *fds;
    unsigned nfds, cap;
    bool fill_failed;        /* out of memory for the poll set */
    uint64_t last_send_host_ns;
};

static uint64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- slirp's callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct slirp_backend *sb = opaque;
    net_backend_input(&sb->nb, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    (void)msg;
    (void)opaque; /* a malformed packet from the guest: slirp drops it */
}

static int64_t cb_clock_get_ns(void *opaque)
{
    struct slirp_backend *sb = opaque;
    return (int64_t)clock_now(sb->clock);
}

static void timer_fire(void *opaque, uint64_t now_ns)
{
    (void)now_ns;
    struct slirp_timer *st = opaque;
    slirp_handle_timer(st->sb->slirp, st->id, st->cb_opaque);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct slirp_timer *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->sb = opaque;
    st->id = id;
    st->cb_opaque = cb_opaque;
    timer_init(&st->t, timer_fire, st, "slirp");
    return st;
}

static void cb_timer_free(void *timer, void *opaque)
{
    struct slirp_backend *sb = opaque;
    struct slirp_timer *st = timer;
    if (!st)
        return;
    timer_disarm(sb->clock, &st->t);
    free(st);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct slirp_backend *sb = opaque;
    struct slirp_timer *st = timer;
    if (!st)
        return;
    timer_arm(sb->clock, &st->t, expire_ms < 0 ? 0 : (uint64_t)expire_ms * 1000000ull);
}

static void cb_fd_noop(int fd, void *opaque)
{
    (void)fd;
    (void)opaque; /* the poll set is rebuilt by slirp_pollfds_fill every time */
}

static void cb_notify(void *opaque)
{
    (void)opaque;
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_fd_noop,
    .unregister_poll_fd = cb_fd_noop,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- polling ---- */

static int add_poll(int fd, int events, void *opaque)
{
    struct slirp_backend *sb = opaque;
    if (sb->nfds == sb->cap) {
        unsigned cap = sb->cap ? sb->cap * 2 : 16;
        struct pollfd *f = realloc(sb->fds, cap * sizeof(*f));
        if (!f) {
            sb->fill_failed = true;
            return -1;
        }
        sb->fds = f;
        sb->cap = cap;
    }
    short ev = 0;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    sb->fds[sb->nfds] = (struct pollfd){.fd = fd, .events = ev};
    return (int)sb->nfds++;
}

static int get_revents(int idx, void *opaque)
{
    struct slirp_backend *sb = opaque;
    if (idx < 0 || (unsigned)idx >= sb->nfds)
        return 0;
    short r = sb->fds[idx].revents;
    int ev = 0;
    if (r & POLLIN)
        ev |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        ev |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        ev |= SLIRP_POLL_PRI;
    if (r & (POLLERR | POLLNVAL))
        ev |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        ev |= SLIRP_POLL_HUP;
    return ev;
}

static bool slirp_poll(struct net_backend *nb, int timeout_ms)
{
    struct slirp_backend *sb = (struct slirp_backend *)nb;
    uint32_t timeout = timeout_ms < 0 ? 0 : (uint32_t)timeout_ms;
    sb->nfds = 0;
    sb->fill_failed = false;
    slirp_pollfds_fill(sb->slirp, &timeout, add_poll, sb);
    /* slirp's own timeout suggestion is in its (machine) time; the wait
     * here is host time and only for the caller's idle machine. */
    int wait = timeout_ms < 0 ? 0 : timeout_ms;
    int r = sb->nfds ? poll(sb->fds, sb->nfds, wait) : 0;
    unsigned before = sb->nb.queue_len;
    slirp_pollfds_poll(sb->slirp, r < 0, get_revents, sb);
    return r > 0 || sb->nb.queue_len != before;
}

static bool slirp_has_io(struct net_backend *nb)
{
    return ((struct slirp_backend *)nb)->nfds > 0;
}

static bool slirp_awaits_reply(struct net_backend *nb)
{
    struct slirp_backend *sb = (struct slirp_backend *)nb;
    return sb->nfds > 0 && host_now_ns() - sb->last_send_host_ns < REPLY_WINDOW_NS;
}

static int slirp_send(struct net_backend *nb, const uint8_t *frame, size_t len)
{
    struct slirp_backend *sb = (struct slirp_backend *)nb;
    sb->last_send_host_ns = host_now_ns();
    slirp_input(sb->slirp, frame, (int)len);
    return 0;
}

static void slirp_destroy(struct net_backend *nb)
{
    struct slirp_backend *sb = (struct slirp_backend *)nb;
    if (sb->slirp)
        slirp_cleanup(sb->slirp);
    free(sb->fds);
    free(sb);
}

static const struct net_backend_ops slirp_ops = {
    .send = slirp_send,
    .poll = slirp_poll,
    .has_io = slirp_has_io,
    .awaits_reply = slirp_awaits_reply,
    .destroy = slirp_destroy,
};

static struct in_addr in4(uint32_t host_order)
{
    return (struct in_addr){.s_addr = htonl(host_order)};
}

static void ip_text(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

struct net_backend *net_slirp_new(const struct netdev_opt *d, struct clock *clock)
{
    struct slirp_backend *sb = calloc(1, sizeof(*sb));
    if (!sb) {
        fprintf(stderr, "turtles: -netdev %s: out of memory\n", d->id);
        return NULL;
    }
    net_backend_init(&sb->nb, &slirp_ops, d->id);
    sb->clock = clock;
    SlirpConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.version = 4;
    cfg.restricted = d->restricted;
    cfg.in_enabled = true;
    cfg.vnetwork = in4(d->net);
    cfg.vnetmask = in4(d->mask);
    cfg.vhost = in4(d->host);
    cfg.vdhcp_start = in4(d->dhcp_start);
    cfg.vnameserver = in4(d->dns);
    cfg.in6_enabled = d->ipv6;
    if (d->ipv6) {
        /* QEMU's defaults: fec0::/64, host fec0::2, DNS fec0::3. */
        inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
        cfg.vprefix_len = 64;
        inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
        inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
    }
    sb->slirp = slirp_new(&cfg, &slirp_callbacks, sb);
    if (!sb->slirp) {
        fprintf(stderr, "turtles: -netdev %s: libslirp refused the configuration\n", d->id);
        free(sb);
        return NULL;
    }
    for (int i = 0; i < d->nfwd; i++) {
        const struct hostfwd_opt *f = &d->fwd[i];
        if (slirp_add_hostfwd(sb->slirp, f->udp, in4(f->host_addr), f->host_port,
                              in4(f->guest_addr), f->guest_port) < 0) {
            char host[16];
            ip_text(f->host_addr, host, sizeof(host));
            fprintf(stderr, "turtles: -netdev %s: hostfwd: cannot listen on %s %s:%u (port in use?)\n",
                    d->id, f->udp ? "udp" : "tcp", host, f->host_port);
            slirp_destroy(&sb->nb);
            return NULL;
        }
    }
    return &sb->nb;
}

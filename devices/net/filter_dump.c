/* pcap capture between a NIC and its backend (devices/net/filter_dump.h).
 * File format: the classic libpcap format, version 2.4, microsecond time
 * stamps, LINKTYPE_ETHERNET (1). */
#include "devices/net/filter_dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devtime.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_SNAPLEN 65535u
#define LINKTYPE_ETHERNET 1u

struct filter_dump {
    struct net_backend nb;       /* first: the NIC sees this backend */
    struct net_backend *lower;
    const struct clock *clock;
    FILE *file;
    bool failed;                 /* a write failed: capture stops, traffic goes on */
};

static void put32(uint8_t *p, uint32_t v)
{
    /* pcap files are read in the writer's byte order, told by the magic;
     * little-endian on every host turtles is built for is simplest to
     * keep fixed. */
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void dump_frame(struct filter_dump *fd, const uint8_t *frame, size_t len)
{
    if (fd->failed)
        return;
    uint64_t now = clock_now(fd->clock);
    uint8_t rec[16];
    uint32_t incl = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
    put32(rec, (uint32_t)(now / NS_PER_SEC));
    put32(rec + 4, (uint32_t)(now % NS_PER_SEC / 1000));
    put32(rec + 8, incl);
    put32(rec + 12, (uint32_t)len);
    if (fwrite(rec, sizeof(rec), 1, fd->file) != 1 || fwrite(frame, incl, 1, fd->file) != 1 ||
        fflush(fd->file) != 0) {
        fprintf(stderr, "turtles: filter-dump %s: write failed: %s (capture stopped)\n",
                fd->nb.id, strerror(errno));
        fd->failed = true;
    }
}

static int dump_send(struct net_backend *nb, const uint8_t *frame, size_t len)
{
    struct filter_dump *fd = (struct filter_dump *)nb;
    dump_frame(fd, frame, len);
    return net_send(fd->lower, frame, len);
}

/* Frames coming up from the lower backend: recorded once the NIC took them. */
static bool dump_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct filter_dump *fd = opaque;
    if (!fd->nb.receive)
        return true; /* no NIC: the frame goes nowhere, as on an unplugged port */
    if (!fd->nb.receive(fd->nb.receive_opaque, frame, len))
        return false;
    dump_frame(fd, frame, len);
    return true;
}

static void dump_destroy(struct net_backend *nb)
{
    struct filter_dump *fd = (struct filter_dump *)nb;
    if (fd->file)
        fclose(fd->file);
    free(fd);
}

static const struct net_backend_ops dump_ops = {
    .send = dump_send,
    .destroy = dump_destroy,
};

struct net_backend *filter_dump_new(struct net_backend *lower, const char *id, const char *path,
                                    const struct clock *clock, char *err, size_t errlen)
{
    struct filter_dump *fd = calloc(1, sizeof(*fd));
    if (!fd) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    net_backend_init(&fd->nb, &dump_ops, id);
    fd->lower = lower;
    fd->clock = clock;
    fd->file = fopen(path, "wb");
    uint8_t hdr[24];
    memset(hdr, 0, sizeof(hdr));
    put32(hdr, PCAP_MAGIC);
    hdr[4] = 2; /* version 2.4 */
    hdr[6] = 4;
    put32(hdr + 16, PCAP_SNAPLEN);
    put32(hdr + 20, LINKTYPE_ETHERNET);
    if (!fd->file || fwrite(hdr, sizeof(hdr), 1, fd->file) != 1 || fflush(fd->file) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        if (fd->file)
            fclose(fd->file);
        free(fd);
        return NULL;
    }
    net_backend_attach(lower, dump_receive, fd);
    return &fd->nb;
}

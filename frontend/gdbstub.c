#define _POSIX_C_SOURCE 200809L
/* GDB remote serial protocol server (see gdbstub.h). The protocol is the
 * one documented in the GDB manual, appendix "Remote Serial Protocol";
 * the registers and their target description are gdb_regs.c's, the
 * framing gdb_packet.c's, pausing and stepping the debugger's. */
#include "frontend/gdbstub.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "frontend/debugger.h"
#include "frontend/gdb_packet.h"
#include "frontend/gdb_regs.h"
#include "frontend/machine.h"
#include "frontend/monitor.h"
#include "frontend/monitor_loop.h"
#include "vmx_emul/vmx.h"

/* While the guest runs, the socket is looked at once every this many
 * rounds of quanta: Ctrl-C latency stays far below a human's notice and
 * the syscall cost stays off the guest's path. */
#define GDB_POLL_EVERY 16

#define GDB_SIGINT 2
#define GDB_SIGTRAP 5

/* What the stub's monitor printed, for qRcmd's O packets. */
struct rcmd_output {
    char *text;
    size_t len, cap;
    bool truncated;
};

/* Pausing, stepping, breakpoints and the stop reason are the machine's
 * debugger's (frontend/debugger.h), shared with the monitor. */
struct gdbstub {
    struct machine *m;
    struct debugger *d;
    int listen_fd, fd;
    /* gdb resumed the machine and waits for a stop reply (whoever stops
     * it: a breakpoint, a step, the monitor). */
    bool awaiting_stop;
    /* A client connected and has not detached: when its socket goes away
     * (even in the middle of a reply) the stub cleans up as for D. */
    bool attached;
    int g_cpu, c_cpu;  /* vCPUs selected by Hg (registers, memory) and Hc */
    unsigned poll_count;
    /* The monitor that runs gdb's `monitor CMD` (qRcmd): one of the
     * stub's own, made at the first use, with no input or output but
     * what qRcmd gives it. */
    struct monitor *mon;
    /* A `monitor` command resumed the machine (c, s, until ...): its reply
     * waits for the next stop, which it carries as the stop line. */
    bool rcmd_running;
    struct rcmd_output rcmd;
    char in[GDB_PACKET_MAX + 8]; /* received, not yet framed */
    size_t inlen;
    struct gdb_framer frame; /* holds the packet being served */
};

/* ---- socket and packets ---- */

static void close_client(struct gdbstub *g)
{
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
    g->inlen = 0;
    gdb_framer_reset(&g->frame);
}

/* A client that reads nothing for this long while a reply waits is
 * dropped: it must not hold turtles (or a signal's stop) forever. */
#define GDB_SEND_TIMEOUT_MS 20000

static void send_raw(struct gdbstub *g, const char *data, size_t len)
{
    int waited = 0;
    while (len && g->fd >= 0) {
        ssize_t n = send(g->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The socket buffer is full: wait in slices, so that a signal
             * stopping the machine is noticed. */
            struct pollfd pfd = {.fd = g->fd, .events = POLLOUT};
            if (g->m->stop != STOP_NONE || waited >= GDB_SEND_TIMEOUT_MS) {
                close_client(g);
                return;
            }
            if (poll(&pfd, 1, 200) == 0)
                waited += 200;
            continue;
        }
        if (n <= 0) {
            close_client(g);
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void send_packet(struct gdbstub *g, const char *payload)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = strlen(payload);
    char *buf = malloc(len + 5);
    if (!buf)
        return;
    unsigned sum = 0;
    buf[0] = '$';
    for (size_t i = 0; i < len; i++) {
        sum += (unsigned char)payload[i];
        buf[1 + i] = payload[i];
    }
    buf[len + 1] = '#';
    buf[len + 2] = hex[(sum >> 4) & 15];
    buf[len + 3] = hex[sum & 15];
    send_raw(g, buf, len + 4);
    free(buf);
}

/* Read what the socket has, waiting at most timeout_ms for it. Returns
 * false when the client went away or the machine is stopping. */
static bool fill(struct gdbstub *g, int timeout_ms)
{
    if (g->fd < 0)
        return false;
    for (;;) {
        if (g->m->stop != STOP_NONE)
            return false;
        struct pollfd pfd = {.fd = g->fd, .events = POLLIN};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno != EINTR)
            return false;
        if (r <= 0)
            return true;
        if (g->inlen >= sizeof(g->in)) /* garbage without a packet end: drop it */
            g->inlen = 0;
        ssize_t n = recv(g->fd, g->in + g->inlen, sizeof(g->in) - g->inlen, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            close_client(g);
            return false;
        }
        g->inlen += (size_t)n;
        return true;
    }
}

static void consume(struct gdbstub *g, size_t n)
{
    memmove(g->in, g->in + n, g->inlen - n);
    g->inlen -= n;
}

enum { PKT_NONE, PKT_DATA, PKT_INTERRUPT };

/* Frame the input: the next packet (in g->frame.payload) or Ctrl-C.
 * Acknowledgements and stray bytes are skipped; a packet is acknowledged
 * ('+') before it is served; a bad checksum is answered '-' (gdb resends);
 * a packet longer than GDB_PACKET_MAX gets an error reply. */
static int next_packet(struct gdbstub *g)
{
    size_t i = 0;
    int kind = PKT_NONE;
    while (i < g->inlen && kind == PKT_NONE) {
        switch (gdb_framer_feed(&g->frame, (uint8_t)g->in[i++])) {
        case GDB_FRAME_MORE:
            break;
        case GDB_FRAME_INTERRUPT:
            kind = PKT_INTERRUPT;
            break;
        case GDB_FRAME_PACKET:
            send_raw(g, "+", 1);
            kind = PKT_DATA;
            break;
        case GDB_FRAME_BAD_CHECKSUM:
            send_raw(g, "-", 1);
            break;
        case GDB_FRAME_TOO_LONG:
            send_raw(g, "+", 1);
            send_packet(g, "E22");
            break;
        }
    }
    if (g->fd >= 0)
        consume(g, i);
    return kind;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void to_hex(char *out, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool from_hex(const char *s, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
        if (lo < 0)
            return false;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static uint64_t parse_hex(const char **p)
{
    uint64_t v = 0;
    int d;
    while ((d = hexval(**p)) >= 0) {
        v = v << 4 | (uint64_t)d;
        (*p)++;
    }
    return v;
}

/* ---- running and stopping ---- */

static void detach(struct gdbstub *g)
{
    /* Without a monitor that has input of its own (-monitor, a script
     * with lines left), nobody could resume a machine that stops after
     * gdb left: what gdb set through `monitor break`/`monitor watch` goes
     * with gdb's own. */
    bool alone = !g->d->mon || !monitor_can_resume(g->d->mon);
    for (int i = g->d->nbp - 1; i >= 0; i--)
        if (g->d->bp[i].from_gdb || alone)
            debugger_break_delete(g->d, g->d->bp[i].id);
    debug_watch_remove_owner(&g->m->watches, WATCH_BY_GDB);
    if (alone)
        g->m->watches.n = 0;
    machine_watches_changed(g->m);
    debugger_update_hooks(g->d);
    close_client(g);
    g->attached = false;
    g->awaiting_stop = false;
    g->rcmd_running = false;
    /* Detached or gone: the guest runs on, as with QEMU. */
    if (g->d->paused)
        debugger_resume(g->d);
}

static int stop_signal(const struct debugger *d)
{
    return d->stop_kind == DBG_STOP_USER ? GDB_SIGINT : GDB_SIGTRAP;
}

static void send_stop_reply(struct gdbstub *g)
{
    const struct debugger *d = g->d;
    char buf[96];
    int n = snprintf(buf, sizeof(buf), "T%02x", stop_signal(d));
    if (d->stop_kind == DBG_STOP_WATCH && d->stop_watch_kind)
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s:%llx;", d->stop_watch_kind,
                      (unsigned long long)d->stop_watch_addr);
    n += snprintf(buf + n, sizeof(buf) - (size_t)n, "thread:%x;", d->stop_cpu + 1);
    /* The level travels with every stop: root or non-root and the current
     * VMCS pointer, as expedited registers (gdb shows them without asking). */
    const struct cpu *c = &g->m->cpus[d->stop_cpu];
    gdb_expedited_regs(c, buf + n, sizeof(buf) - (size_t)n);
    send_packet(g, buf);
}

/* Continue (step_cpu < 0) or single-step step_cpu; gdb then waits for
 * the stop reply. */
static void resume(struct gdbstub *g, int step_cpu)
{
    g->awaiting_stop = true;
    if (step_cpu >= 0) {
        g->d->step_trace = NULL;
        debugger_step(g->d, step_cpu, 1);
    } else {
        debugger_resume(g->d);
    }
}

/* ---- commands ---- */

enum { CMD_STAY, CMD_RESUME, CMD_KILL };

/* A thread id of an H/T/vCont packet: 1-based vCPU numbers; 0 (any) and
 * -1 (all) select the current one. Returns the index, or -1 if invalid. */
static int thread_index(struct gdbstub *g, const char *p, int current)
{
    if (p[0] == '-' || (p[0] == '0' && (p[1] == '\0' || p[1] == ';')) || p[0] == '\0')
        return current;
    uint64_t id = parse_hex(&p);
    if (id < 1 || id > (uint64_t)g->m->ncpus)
        return -1;
    return (int)id - 1;
}

static void cmd_read_regs(struct gdbstub *g, struct cpu *c)
{
    uint8_t b[16];
    char *out = malloc(2 * 16 * GDB_NREGS + 1), *p = out;
    if (!out)
        return;
    for (int r = 0; r < GDB_NREGS; r++) {
        unsigned n = gdb_reg_size(r);
        gdb_reg_get(c, r, b);
        to_hex(p, b, n);
        p += 2 * n;
    }
    send_packet(g, out);
    free(out);
}

static void cmd_write_regs(struct gdbstub *g, struct cpu *c, const char *hex)
{
    uint8_t b[16];
    bool refused = false;
    for (int r = 0; r < GDB_NREGS && *hex; r++) {
        unsigned n = gdb_reg_size(r);
        if (strlen(hex) < 2 * n || !from_hex(hex, b, n)) {
            send_packet(g, "E22");
            return;
        }
        refused |= !gdb_reg_set(c, r, b);
        hex += 2 * n;
    }
    send_packet(g, refused ? "E22" : "OK");
}

/* m/M/X ADDR,LEN[:DATA]; args_end bounds X's binary data, which may hold
 * NUL bytes. */
static void cmd_memory(struct gdbstub *g, struct cpu *c, const char *args, const char *args_end,
                       char kind)
{
    const char *p = args;
    uint64_t addr = parse_hex(&p);
    if (*p++ != ',') {
        send_packet(g, "E22");
        return;
    }
    uint64_t len = parse_hex(&p);
    if (len > GDB_PACKET_MAX / 2) {
        send_packet(g, "E22");
        return;
    }
    uint8_t *buf = malloc(len ? len : 1);
    char *out = malloc(2 * len + 1);
    if (!buf || !out) {
        free(buf);
        free(out);
        send_packet(g, "E12");
        return;
    }
    if (kind == 'm') {
        if (debugger_mem_xfer(c, addr, buf, len, false)) {
            to_hex(out, buf, len);
            send_packet(g, out);
        } else {
            send_packet(g, "E14");
        }
    } else {
        bool ok = *p++ == ':';
        if (ok && kind == 'M') {
            ok = strlen(p) >= 2 * len && from_hex(p, buf, len);
        } else if (ok) { /* X: binary, '}' escapes the next byte XOR 0x20 */
            for (uint64_t i = 0; i < len && ok; i++) {
                if (*p == '}' && p + 1 < args_end) {
                    buf[i] = (uint8_t)(p[1] ^ 0x20);
                    p += 2;
                } else if (p < args_end && *p != '}') {
                    buf[i] = (uint8_t)*p++;
                } else {
                    ok = false;
                }
            }
        }
        if (!ok)
            send_packet(g, "E22");
        else
            send_packet(g, debugger_mem_xfer(c, addr, buf, len, true) ? "OK" : "E14");
    }
    free(buf);
    free(out);
}

/* Z2/Z3/Z4 (write, read, access watchpoints) ADDR,LEN: the machine's
 * watchpoint set (cpu/debug.h), shared with the monitor's `watch`. */
static void cmd_watchpoint(struct gdbstub *g, bool insert, char type, const char *p)
{
    uint64_t addr = parse_hex(&p);
    if (*p++ != ',') {
        send_packet(g, "E22");
        return;
    }
    uint64_t len = parse_hex(&p);
    if (*p && *p != ';') {
        send_packet(g, "E22");
        return;
    }
    unsigned kind = type == '2'   ? DEBUG_WATCH_WRITE
                    : type == '3' ? DEBUG_WATCH_READ
                                  : DEBUG_WATCH_READ | DEBUG_WATCH_WRITE;
    if (insert) {
        if (!len || len > DEBUG_WATCH_MAX_LEN) {
            send_packet(g, "E22");
            return;
        }
        if (debug_watch_add(&g->m->watches, addr, len, kind, WATCH_BY_GDB) < 0) {
            send_packet(g, "E28"); /* the set is full */
            return;
        }
    } else {
        /* Removing one that is not there is no error (gdb may retry). */
        debug_watch_remove(&g->m->watches, addr, len, kind, WATCH_BY_GDB);
    }
    machine_watches_changed(g->m);
    send_packet(g, "OK");
}

/* Z0 (software) and Z1 (hardware) breakpoints are the same thing here:
 * an address in the stub's set, checked before each instruction (guest
 * memory is never patched, and DR0-DR3 stay the guest's). */
static void cmd_breakpoint(struct gdbstub *g, const char *pkt)
{
    bool insert = pkt[0] == 'Z';
    if (pkt[1] < '0' || pkt[1] > '4') {
        send_packet(g, ""); /* a kind this stub does not know */
        return;
    }
    const char *p = pkt + 2;
    if (*p++ != ',') {
        send_packet(g, "E22");
        return;
    }
    if (pkt[1] >= '2') {
        cmd_watchpoint(g, insert, pkt[1], p);
        return;
    }
    const char *start = p;
    uint64_t addr = parse_hex(&p);
    if (p == start || *p != ',') {
        send_packet(g, "E22");
        return;
    }
    if (insert) {
        bool have = false;
        for (int i = 0; i < g->d->nbp; i++)
            have |= g->d->bp[i].from_gdb && g->d->bp[i].addr == addr;
        if (!have && !debugger_break_add(g->d, addr, DBG_COND_ANY, 0, true)) {
            send_packet(g, "E28");
            return;
        }
    } else {
        debugger_break_delete_gdb(g->d, addr);
    }
    send_packet(g, "OK");
}

static void cmd_xfer_features(struct gdbstub *g, const char *args)
{
    /* args: "target.xml:OFFSET,LENGTH" */
    if (strncmp(args, "target.xml:", 11)) {
        send_packet(g, "E00");
        return;
    }
    const char *p = args + 11;
    uint64_t off = parse_hex(&p);
    if (*p++ != ',') {
        send_packet(g, "E22");
        return;
    }
    uint64_t len = parse_hex(&p);
    size_t total;
    const char *target_xml = gdb_target_xml(&total);
    if (off > total)
        off = total;
    if (len > GDB_PACKET_MAX - 2)
        len = GDB_PACKET_MAX - 2;
    size_t n = total - off < len ? total - off : len;
    char *out = malloc(n + 2);
    if (!out)
        return;
    out[0] = off + n < total ? 'm' : 'l';
    memcpy(out + 1, target_xml + off, n);
    out[n + 1] = '\0';
    send_packet(g, out);
    free(out);
}

/* More than any view prints (`vmcs` is a few KiB); past it the rest is
 * dropped with a note, so a runaway command cannot eat the host. */
#define RCMD_OUTPUT_MAX (1u << 20)

/* Send what the monitor printed as O packets (each within PacketSize). */
static void rcmd_flush(struct gdbstub *g)
{
    struct rcmd_output *o = &g->rcmd;
    const size_t chunk = (GDB_PACKET_MAX - 1) / 2;
    char *pkt = o->len || o->truncated ? malloc(2 * chunk + 2) : NULL;
    for (size_t off = 0; pkt && off < o->len; off += chunk) {
        size_t len = o->len - off < chunk ? o->len - off : chunk;
        pkt[0] = 'O';
        to_hex(pkt + 1, (const uint8_t *)o->text + off, len);
        send_packet(g, pkt);
    }
    if (pkt && o->truncated) {
        static const char note[] = "(output truncated)\n";
        pkt[0] = 'O';
        to_hex(pkt + 1, (const uint8_t *)note, sizeof(note) - 1);
        send_packet(g, pkt);
    }
    free(pkt);
    o->len = 0;
    o->truncated = false;
}

/* The stub's monitor prints here: collected while its command runs, sent
 * at once while a command that resumed the machine waits for the stop
 * (`s N` traces each instruction then). */
static void rcmd_output(void *opaque, const char *text)
{
    struct gdbstub *g = opaque;
    struct rcmd_output *o = &g->rcmd;
    size_t n = strlen(text);
    if (o->truncated || o->len + n > RCMD_OUTPUT_MAX) {
        o->truncated = true;
        return;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *t = realloc(o->text, cap);
        if (!t) {
            o->truncated = true;
            return;
        }
        o->text = t;
        o->cap = cap;
    }
    memcpy(o->text + o->len, text, n + 1);
    o->len += n;
    if (g->rcmd_running)
        rcmd_flush(g);
}

/* qRcmd,HEX: gdb's `monitor CMD`. The line runs in the monitor (the same
 * commands and views as -monitor; the vCPU it looks at is gdb's Hg
 * thread); what it prints comes back as O packets, then OK. */
static void cmd_monitor(struct gdbstub *g, const char *hex)
{
    size_t n = strlen(hex);
    char *line = n % 2 ? NULL : malloc(n / 2 + 1);
    if (!line || !from_hex(hex, (uint8_t *)line, n / 2)) {
        free(line);
        send_packet(g, "E22");
        return;
    }
    line[n / 2] = '\0'; /* a NUL inside ends the line early, like a newline */
    if (!g->mon)
        g->mon = monitor_new_detached(g->m, rcmd_output, g);
    if (!g->mon) {
        free(line);
        send_packet(g, "E12");
        return;
    }
    monitor_select_cpu(g->mon, g->g_cpu);
    bool was_paused = g->d->paused;
    monitor_execute_line(g->mon, line, NULL, NULL);
    free(line);
    rcmd_flush(g);
    if (was_paused && !g->d->paused && g->m->stop == STOP_NONE) {
        /* It resumed the machine: gdb still believes it stopped, so the
         * command returns only when it stops again (as in a monitor
         * script), with the stop line (gdbstub_announce_stop). */
        g->rcmd_running = true;
        return;
    }
    send_packet(g, "OK");
}

/* The end of a `monitor` command that ran the machine: the stop line as
 * its last output, then OK. */
static void finish_rcmd(struct gdbstub *g, bool stopped)
{
    g->rcmd_running = false;
    if (stopped) {
        char line[320];
        debugger_stop_line(g->d, g->d->stop_cpu, g->d->stop_why, line, sizeof(line));
        rcmd_output(g, line);
        rcmd_output(g, "\n");
    }
    rcmd_flush(g);
    send_packet(g, "OK");
}

static void cmd_query(struct gdbstub *g, const char *pkt)
{
    char buf[64];
    if (!strncmp(pkt, "qSupported", 10)) {
        snprintf(buf, sizeof(buf), "PacketSize=%x;qXfer:features:read+;vContSupported+",
                 GDB_PACKET_MAX);
        send_packet(g, buf);
    } else if (!strncmp(pkt, "qXfer:features:read:", 20)) {
        cmd_xfer_features(g, pkt + 20);
    } else if (!strncmp(pkt, "qRcmd,", 6)) {
        cmd_monitor(g, pkt + 6);
    } else if (!strcmp(pkt, "qAttached")) {
        send_packet(g, "1");
    } else if (!strcmp(pkt, "qC")) {
        snprintf(buf, sizeof(buf), "QC%x", g->g_cpu + 1);
        send_packet(g, buf);
    } else if (!strcmp(pkt, "qfThreadInfo")) {
        char list[8 * MACHINE_MAX_CPUS + 2] = "m";
        for (int i = 0; i < g->m->ncpus; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof(list) - l, "%s%x", i ? "," : "", i + 1);
        }
        send_packet(g, list);
    } else if (!strcmp(pkt, "qsThreadInfo")) {
        send_packet(g, "l");
    } else if (!strncmp(pkt, "qThreadExtraInfo,", 17)) {
        /* "vCPU 1, non-root, VMCS 0x21000, halted": what `info threads`
         * shows for each vCPU. */
        int i = thread_index(g, pkt + 17, g->g_cpu);
        const struct cpu *t = &g->m->cpus[i < 0 ? 0 : i];
        char text[96], hex[2 * sizeof(text) + 1];
        int n = snprintf(text, sizeof(text), "vCPU %d", i < 0 ? 0 : i);
        if (vmx_in_operation(t) && t->vmx->current_vmcs_ptr != ~0ull)
            n += snprintf(text + n, sizeof(text) - (size_t)n, ", %s, VMCS 0x%llx",
                          t->vmx_nonroot ? "non-root" : "root",
                          (unsigned long long)t->vmx->current_vmcs_ptr);
        else if (vmx_in_operation(t))
            n += snprintf(text + n, sizeof(text) - (size_t)n, ", root, no VMCS");
        snprintf(text + n, sizeof(text) - (size_t)n, "%s",
                 t->wait_for_sipi ? ", waiting for SIPI" : t->halted ? ", halted" : "");
        to_hex(hex, (const uint8_t *)text, strlen(text));
        send_packet(g, hex);
    } else if (!strncmp(pkt, "qSymbol", 7)) {
        send_packet(g, "OK");
    } else {
        send_packet(g, "");
    }
}

/* vCont;ACTION[:TID];...: 's' for a thread steps it; the rest continue. */
static int cmd_vcont(struct gdbstub *g, const char *pkt)
{
    if (!strcmp(pkt, "vCont?")) {
        send_packet(g, "vCont;c;C;s;S");
        return CMD_STAY;
    }
    const char *p = pkt + 5;
    int step_cpu = -1;
    while (*p == ';') {
        p++;
        char action = *p;
        while (*p && *p != ':' && *p != ';')
            p++;
        int cpu = g->c_cpu;
        if (*p == ':') {
            cpu = thread_index(g, p + 1, g->c_cpu);
            while (*p && *p != ';')
                p++;
        }
        if ((action == 's' || action == 'S') && step_cpu < 0 && cpu >= 0)
            step_cpu = cpu;
    }
    resume(g, step_cpu);
    return CMD_RESUME;
}

/* One packet of len bytes (NUL-terminated too; only X's binary data may
 * hold NULs before the end). */
static int handle_packet(struct gdbstub *g, const char *pkt, size_t len)
{
    struct cpu *c = &g->m->cpus[g->g_cpu];
    switch (pkt[0]) {
    case '?':
        send_stop_reply(g);
        return CMD_STAY;
    case 'g':
        cmd_read_regs(g, c);
        return CMD_STAY;
    case 'G':
        cmd_write_regs(g, c, pkt + 1);
        return CMD_STAY;
    case 'p': {
        const char *p = pkt + 1;
        uint64_t r = parse_hex(&p);
        if (r >= GDB_NREGS) {
            send_packet(g, "E45");
            return CMD_STAY;
        }
        uint8_t b[16];
        char hex[33];
        gdb_reg_get(c, (int)r, b);
        to_hex(hex, b, gdb_reg_size((int)r));
        send_packet(g, hex);
        return CMD_STAY;
    }
    case 'P': {
        const char *p = pkt + 1;
        uint64_t r = parse_hex(&p);
        uint8_t b[16];
        if (r >= GDB_NREGS || *p++ != '=' || strlen(p) < 2 * gdb_reg_size((int)r) ||
            !from_hex(p, b, gdb_reg_size((int)r))) {
            send_packet(g, "E22");
            return CMD_STAY;
        }
        send_packet(g, gdb_reg_set(c, (int)r, b) ? "OK" : "E22");
        return CMD_STAY;
    }
    case 'm':
    case 'M':
    case 'X':
        cmd_memory(g, c, pkt + 1, pkt + len, pkt[0]);
        return CMD_STAY;
    case 'c':
    case 's':
    case 'C':
    case 'S': {
        /* c[ADDR] / s[ADDR]; C/S carry a signal first, which is dropped. */
        struct cpu *rc = &g->m->cpus[g->c_cpu];
        const char *p = pkt + 1;
        if (pkt[0] == 'C' || pkt[0] == 'S') {
            parse_hex(&p);
            p = *p == ';' ? p + 1 : p;
        }
        if (*p)
            rc->rip = parse_hex(&p);
        bool step = pkt[0] == 's' || pkt[0] == 'S';
        resume(g, step ? g->c_cpu : -1);
        return CMD_RESUME;
    }
    case 'H': {
        if (pkt[1] != 'g' && pkt[1] != 'c') {
            send_packet(g, "E22");
            return CMD_STAY;
        }
        int i = thread_index(g, pkt + 2, pkt[1] == 'g' ? g->g_cpu : g->c_cpu);
        if (i < 0) {
            send_packet(g, "E22");
        } else {
            if (pkt[1] == 'g')
                g->g_cpu = i;
            else
                g->c_cpu = i;
            send_packet(g, "OK");
        }
        return CMD_STAY;
    }
    case 'T':
        send_packet(g, thread_index(g, pkt + 1, -1) >= 0 ? "OK" : "E22");
        return CMD_STAY;
    case 'Z':
    case 'z':
        cmd_breakpoint(g, pkt);
        return CMD_STAY;
    case 'k':
        return CMD_KILL;
    case 'D':
        send_packet(g, "OK");
        detach(g);
        return CMD_RESUME;
    case 'q':
        cmd_query(g, pkt);
        return CMD_STAY;
    case 'v':
        if (!strncmp(pkt, "vCont", 5))
            return cmd_vcont(g, pkt);
        if (!strncmp(pkt, "vKill", 5)) {
            send_packet(g, "OK");
            return CMD_KILL;
        }
        send_packet(g, "");
        return CMD_STAY;
    default:
        send_packet(g, "");
        return CMD_STAY;
    }
}

/* ---- the machine loop's side ---- */

static bool accept_client(struct gdbstub *g, int timeout_ms)
{
    for (;;) {
        if (g->m->stop != STOP_NONE)
            return false;
        struct pollfd pfd = {.fd = g->listen_fd, .events = POLLIN};
        int r = poll(&pfd, 1, timeout_ms);
        if (r > 0) {
            int fd = accept(g->listen_fd, NULL, NULL);
            if (fd >= 0) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                g->fd = fd;
                g->inlen = 0;
                g->attached = true;
                return true;
            }
        }
        return false;
    }
}

void gdbstub_poll_running(struct gdbstub *g)
{
    if (++g->poll_count % GDB_POLL_EVERY)
        return;
    if (g->attached && g->fd < 0) {
        detach(g); /* the connection broke while sending */
        return;
    }
    if (g->fd < 0) {
        /* gdb attaching stops the guest, as with QEMU (gdb asks '?'). */
        if (accept_client(g, 0))
            debugger_pause(g->d, g->c_cpu, DBG_STOP_ATTACH, "gdb attached");
        return;
    }
    bool alive = fill(g, 0);
    /* Only Ctrl-C is expected while running (after late acks); a packet
     * waits for the next stop. */
    while (g->inlen && (g->in[0] == '+' || g->in[0] == '-'))
        consume(g, 1);
    if (g->inlen && g->in[0] == 0x03 && g->frame.state == GDB_FRAMER_IDLE) {
        next_packet(g);
        debugger_pause(g->d, g->c_cpu, DBG_STOP_USER, "interrupted by gdb");
    } else if (!alive) {
        detach(g);
    }
}

void gdbstub_announce_stop(struct gdbstub *g)
{
    g->g_cpu = g->c_cpu = g->d->stop_cpu;
    if (g->rcmd_running && g->fd >= 0)
        finish_rcmd(g, true);
    else if (g->awaiting_stop && g->fd >= 0)
        send_stop_reply(g);
    g->awaiting_stop = false;
    g->rcmd_running = false;
}

bool gdbstub_connected(const struct gdbstub *g)
{
    return g->fd >= 0;
}

bool gdbstub_serve_paused(struct gdbstub *g, int timeout_ms)
{
    /* The connection broke in the middle of a reply (send_raw closed
     * it): gdb is gone as if it had detached, and the guest runs on. */
    if (g->attached && g->fd < 0) {
        detach(g);
        return false;
    }
    /* A signal stopping the machine ends the wait; it is no kill. */
    if (g->fd < 0) {
        accept_client(g, timeout_ms);
        return false;
    }
    int kind = next_packet(g);
    if (kind == PKT_NONE) {
        if (!fill(g, timeout_ms) && g->m->stop == STOP_NONE)
            detach(g); /* gdb went away: the guest runs on */
        return false;
    }
    if (kind == PKT_INTERRUPT)
        return false; /* already stopped */
    if (handle_packet(g, g->frame.payload, g->frame.len) == CMD_KILL) {
        close_client(g);
        return true;
    }
    return false;
}

/* A listening socket on host:port (a name or a numeric IPv4/IPv6
 * address: the first of its addresses that binds), or -1 after a message. */
static int listen_on(const char *host, int port)
{
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *list;
    int err = getaddrinfo(host, service, &hints, &list);
    if (err) {
        fprintf(stderr, "turtles: gdb stub: cannot listen on %s:%d: %s\n", host, port,
                gai_strerror(err));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = list; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    if (fd < 0)
        fprintf(stderr, "turtles: gdb stub: cannot listen on %s:%d: %s\n", host, port,
                strerror(saved));
    return fd;
}

struct gdbstub *gdbstub_new(struct machine *m, struct debugger *d, const char *host, int port)
{
    struct gdbstub *g = calloc(1, sizeof(*g));
    if (!g) {
        fprintf(stderr, "turtles: out of memory\n");
        return NULL;
    }
    g->m = m;
    g->fd = -1;
    g->d = d;
    g->listen_fd = listen_on(host && *host ? host : "127.0.0.1", port);
    if (g->listen_fd < 0) {
        free(g);
        return NULL;
    }
    return g;
}

void gdbstub_free(struct gdbstub *g)
{
    if (!g)
        return;
    if (g->fd >= 0 && g->rcmd_running) {
        /* The `monitor` command ran to the end of the machine. */
        if (g->m->stop_message) {
            rcmd_output(g, "turtles: ");
            rcmd_output(g, g->m->stop_message);
            rcmd_output(g, "\n");
        }
        finish_rcmd(g, false);
    }
    if (g->fd >= 0) {
        /* The machine is going away with gdb attached: tell gdb the exit
         * status instead of just dropping the connection. */
        char buf[8];
        snprintf(buf, sizeof(buf), "W%02x", g->m->exit_status & 0xff);
        send_packet(g, buf);
    }
    close_client(g);
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    monitor_free(g->mon);
    free(g->rcmd.text);
    free(g);
}

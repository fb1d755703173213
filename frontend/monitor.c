#define _POSIX_C_SOURCE 200809L
/* The monitor's core (see monitor.h): its inputs (stdio, a unix socket,
 * a script), splitting a line into words, finding the command in the
 * tables, help, and the output of the command being run. The commands
 * themselves live in the files monitor_tables.c lists. */
#include "frontend/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "frontend/debugger.h"
#include "frontend/line_editor.h"
#include "frontend/machine.h"
#include "frontend/monitor_loop.h"

/* A line longer than this is refused as a whole (error, then the next line). */
#define MON_LINE_MAX 1024
#define MON_MAX_WORDS 32
/* While the guest runs, input is looked at once every this many rounds of
 * quanta: a command typed while it runs is served within milliseconds and
 * the poll syscall stays off the guest's path. */
#define MON_POLL_EVERY 16
#define MON_PROMPT "(turtles) "

/* One source of command lines. */
struct mon_input {
    int fd;          /* -1: closed */
    bool is_socket;  /* a unix-socket client: output goes back to it */
    bool tty;        /* stdin on a terminal: line editing, a prompt */
    bool prompted;   /* the prompt for the next line is on screen */
    char buf[MON_LINE_MAX + 2];
    size_t len;
    bool overlong;   /* the current line passed MON_LINE_MAX: drop it at its end */
};

struct monitor {
    struct machine *m;
    int cpu_index;
    unsigned errors;
    unsigned poll_count;

    /* Output of the command being run. */
    int out_fd;
    void (*out_fn)(void *opaque, const char *text);
    void *out_opaque;

    FILE *script;          /* -turtles-monitor-script: NULL when done or none */
    const char *script_name;
    unsigned script_line;

    struct mon_input stdio; /* -monitor stdio or the shared stdio */
    bool shared;            /* stdio shared with COM1: bytes arrive by monitor_feed_input */
    bool focus;             /* shared stdio: the monitor has it (Ctrl-A c) */
    struct line_editor *editor;

    int listen_fd;          /* -monitor unix:...,server */
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct mon_input client;
};

/* ---- output ---- */

static void write_all(int fd, const char *s, size_t n)
{
    while (n && fd >= 0) {
        ssize_t w = fd == STDOUT_FILENO ? write(fd, s, n) : send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void emit(struct monitor *mon, const char *text)
{
    if (mon->out_fn)
        mon->out_fn(mon->out_opaque, text);
    else
        write_all(mon->out_fd, text, strlen(text));
}

static void vemit(struct monitor *mon, const char *prefix, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if (prefix)
        emit(mon, prefix);
    if ((size_t)n < sizeof(small)) {
        emit(mon, small);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            emit(mon, big);
            free(big);
        }
    }
    va_end(ap2);
}

void monitor_printf(struct monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(mon, NULL, fmt, ap);
    va_end(ap);
}

void monitor_error(struct monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(mon, "error: ", fmt, ap);
    va_end(ap);
    emit(mon, "\n");
    mon->errors++;
}

struct machine *monitor_machine(struct monitor *mon)
{
    return mon->m;
}

struct cpu *monitor_cpu(struct monitor *mon)
{
    return &mon->m->cpus[mon->cpu_index];
}

int monitor_cpu_index(struct monitor *mon)
{
    return mon->cpu_index;
}

void monitor_select_cpu(struct monitor *mon, int index)
{
    if (index >= 0 && index < mon->m->ncpus)
        mon->cpu_index = index;
}

/* ---- numbers ---- */

static bool parse_plain(const char *s, uint64_t *out)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false; /* does not fit in 64 bits */
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static const char *const gpr_names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                          "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                          "r12", "r13", "r14", "r15"};

static bool reg_value(const struct cpu *c, const char *name, uint64_t *out)
{
    for (int i = 0; i < 16; i++) {
        if (!strcmp(name, gpr_names[i])) {
            *out = c->gpr[i];
            return true;
        }
        /* eax...edi: the low 32 bits, as in gdb. */
        if (i < 8 && name[0] == 'e' && !strcmp(name + 1, gpr_names[i] + 1)) {
            *out = c->gpr[i] & 0xffffffffu;
            return true;
        }
    }
    static const struct { const char *name; size_t off; } regs[] = {
        {"rip", offsetof(struct cpu, rip)},   {"rflags", offsetof(struct cpu, rflags)},
        {"eflags", offsetof(struct cpu, rflags)}, {"cr0", offsetof(struct cpu, cr0)},
        {"cr2", offsetof(struct cpu, cr2)},   {"cr3", offsetof(struct cpu, cr3)},
        {"cr4", offsetof(struct cpu, cr4)},   {"cr8", offsetof(struct cpu, cr8)},
        {"efer", offsetof(struct cpu, efer)},
    };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
        if (!strcmp(name, regs[i].name)) {
            *out = *(const uint64_t *)((const char *)c + regs[i].off);
            return true;
        }
    }
    if (!strcmp(name, "eip")) {
        *out = c->rip & 0xffffffffu;
        return true;
    }
    static const char *const segs[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
    for (int i = 0; i < 6; i++) {
        if (!strcmp(name, segs[i])) {
            *out = c->seg[i].sel;
            return true;
        }
        /* fs_base, gs_base...: the hidden base (what a linear address adds). */
        if (!strncmp(name, segs[i], 2) && !strcmp(name + 2, "_base")) {
            *out = c->seg[i].base;
            return true;
        }
    }
    return false;
}

bool monitor_parse_number(struct monitor *mon, const char *s, uint64_t *out)
{
    if (!s)
        return false;
    if (s[0] == '$')
        return reg_value(monitor_cpu(mon), s + 1, out);
    return parse_plain(s, out);
}

/* ---- finding a command ---- */

/* How many of `words` the command's name takes (its one or two words),
 * or 0 when it does not match. */
static int name_match(const char *name, char **words, int nwords)
{
    int used = 0;
    const char *p = name;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (used >= nwords || strlen(words[used]) != len || strncmp(words[used], p, len))
            return 0;
        used++;
        p += len;
        while (*p == ' ')
            p++;
    }
    return used;
}

static const struct monitor_command *find_command(char **words, int nwords, int *used)
{
    const struct monitor_command *best = NULL;
    int best_used = 0;
    for (int t = 0; monitor_tables[t]; t++) {
        for (const struct monitor_command *c = monitor_tables[t]; c->name; c++) {
            int u = name_match(c->name, words, nwords);
            if (u > best_used) {
                best = c;
                best_used = u;
            }
        }
    }
    *used = best_used;
    return best;
}

/* Split a line into words in place; gdb-style `x/4g` becomes the two
 * words "x" and "/4g" so that the handler sees the format as argv[0]. */
static int split_words(char *line, char **words, int max, char *fmtbuf, size_t fmtlen)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (n == max)
            return -1;
        words[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
    if (n > 0) {
        char *slash = strchr(words[0], '/');
        if (slash && slash != words[0]) {
            if (n == max)
                return -1;
            snprintf(fmtbuf, fmtlen, "%s", slash);
            *slash = '\0';
            memmove(words + 2, words + 1, (size_t)(n - 1) * sizeof(words[0]));
            words[1] = fmtbuf;
            n++;
        }
    }
    return n;
}

static void print_usage(struct monitor *mon, const struct monitor_command *c)
{
    monitor_printf(mon, "%s%s%s -- %s\n", c->name, c->args[0] ? " " : "", c->args, c->help);
}

static int run_help(struct monitor *mon, int argc, char **argv)
{
    if (argc == 0) {
        for (int t = 0; monitor_tables[t]; t++)
            for (const struct monitor_command *c = monitor_tables[t]; c->name; c++)
                print_usage(mon, c);
        return 0;
    }
    int used;
    const struct monitor_command *c = find_command(argv, argc, &used);
    if (c && used == argc) {
        print_usage(mon, c);
        if (c->more)
            monitor_printf(mon, "%s\n", c->more);
        return 0;
    }
    /* "help info": every command whose name starts with that word. */
    bool any = false;
    size_t len = strlen(argv[0]);
    for (int t = 0; monitor_tables[t]; t++) {
        for (const struct monitor_command *k = monitor_tables[t]; k->name; k++) {
            if (!strncmp(k->name, argv[0], len) && (k->name[len] == ' ' || !k->name[len])) {
                print_usage(mon, k);
                any = true;
            }
        }
    }
    if (!any) {
        monitor_error(mon, "no command '%s' (help lists them)", argv[0]);
        return -1;
    }
    return 0;
}

static int run_info_version(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc) {
        monitor_error(mon, "info version takes no arguments");
        return -1;
    }
    monitor_printf(mon, "turtles %s\n", TURTLES_VERSION);
    return 0;
}

const struct monitor_command monitor_core_commands[] = {
    {"help", "[CMD]", "list the commands, or show how CMD is used", NULL, run_help},
    {"info version", "", "the version of turtles", NULL, run_info_version},
    {NULL, NULL, NULL, NULL, NULL},
};

int monitor_execute_line(struct monitor *mon, const char *line,
                         void (*out)(void *opaque, const char *text), void *opaque)
{
    void (*saved_fn)(void *, const char *) = mon->out_fn;
    void *saved_opaque = mon->out_opaque;
    if (out) {
        mon->out_fn = out;
        mon->out_opaque = opaque;
    }
    int r = 0;
    size_t len = strlen(line);
    char *copy = NULL;
    char fmt[64];
    char *words[MON_MAX_WORDS];
    if (len > MON_LINE_MAX) {
        monitor_error(mon, "line too long (at most %d characters)", MON_LINE_MAX);
        r = -1;
        goto out;
    }
    copy = malloc(len + 1);
    if (!copy) {
        monitor_error(mon, "out of memory");
        r = -1;
        goto out;
    }
    memcpy(copy, line, len + 1);
    /* A comment, and control characters a terminal or a fuzzer sends. */
    for (char *p = copy; *p; p++) {
        if (*p == '#') {
            *p = '\0';
            break;
        }
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
    int n = split_words(copy, words, MON_MAX_WORDS, fmt, sizeof(fmt));
    if (n < 0) {
        monitor_error(mon, "too many words (at most %d)", MON_MAX_WORDS - 1);
        r = -1;
        goto out;
    }
    if (n == 0)
        goto out;
    int used;
    const struct monitor_command *c = find_command(words, n, &used);
    if (!c) {
        monitor_error(mon, "unknown command '%s' (help lists them)", words[0]);
        r = -1;
        goto out;
    }
    r = c->run(mon, n - used, words + used) < 0 ? -1 : 0;
out:
    free(copy);
    mon->out_fn = saved_fn;
    mon->out_opaque = saved_opaque;
    return r;
}

/* ---- inputs ---- */

static void input_init(struct mon_input *in, int fd)
{
    memset(in, 0, sizeof(*in));
    in->fd = fd;
}

static void prompt(struct monitor *mon, struct mon_input *in)
{
    if (in->prompted || in->fd < 0)
        return;
    if (in->is_socket) {
        write_all(in->fd, MON_PROMPT, strlen(MON_PROMPT));
    } else if (in->tty && mon->editor) {
        line_editor_prompt(mon->editor);
    } else {
        return;
    }
    in->prompted = true;
}

/* Run one line that came from `in`; its output goes back where it came from. */
static void run_line(struct monitor *mon, struct mon_input *in, const char *line)
{
    mon->out_fd = in->is_socket ? in->fd : STDOUT_FILENO;
    in->prompted = false;
    monitor_execute_line(mon, line, NULL, NULL);
    mon->out_fd = STDOUT_FILENO;
    /* A socket client reads the prompt as "this command is done", also
     * while the guest runs (nothing else would print it then). */
    if (in->is_socket)
        prompt(mon, in);
}

/* Take the complete lines out of in->buf; with only_one, at most one
 * (a paused machine runs one command, then looks whether it resumed). */
static bool take_lines(struct monitor *mon, struct mon_input *in, bool only_one)
{
    bool ran = false;
    for (;;) {
        char *nl = memchr(in->buf, '\n', in->len);
        if (!nl) {
            if (in->len >= MON_LINE_MAX) {
                in->overlong = true;
                in->len = 0;
            }
            return ran;
        }
        *nl = '\0';
        size_t used = (size_t)(nl - in->buf) + 1;
        if (nl > in->buf && nl[-1] == '\r')
            nl[-1] = '\0';
        if (in->overlong) {
            in->overlong = false;
            struct mon_input saved = *in;
            (void)saved;
            mon->out_fd = in->is_socket ? in->fd : STDOUT_FILENO;
            monitor_error(mon, "line too long (at most %d characters)", MON_LINE_MAX);
            mon->out_fd = STDOUT_FILENO;
            in->prompted = false;
        } else {
            char line[MON_LINE_MAX + 2];
            memcpy(line, in->buf, used);
            memmove(in->buf, in->buf + used, in->len - used);
            in->len -= used;
            run_line(mon, in, line);
            ran = true;
            if (only_one)
                return true;
            continue;
        }
        memmove(in->buf, in->buf + used, in->len - used);
        in->len -= used;
    }
}

static void close_input(struct mon_input *in)
{
    if (in->fd >= 0 && in->fd != STDIN_FILENO)
        close(in->fd);
    in->fd = -1;
    in->len = 0;
}

/* Read what `in` has. False on end of input. */
static bool fill_input(struct monitor *mon, struct mon_input *in)
{
    if (in->tty && mon->editor) {
        /* The line editor echoes and edits; it hands over whole lines. */
        char bytes[64];
        ssize_t n = read(in->fd, bytes, sizeof(bytes));
        if (n < 0)
            return errno == EINTR || errno == EAGAIN;
        if (n == 0)
            return false;
        monitor_feed_input(mon, bytes, (size_t)n);
        return true;
    }
    if (in->len >= sizeof(in->buf) - 1) {
        in->overlong = true;
        in->len = 0;
    }
    ssize_t n = read(in->fd, in->buf + in->len, sizeof(in->buf) - 1 - in->len);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0) {
        /* The last line may lack its newline. */
        if (in->len && in->len < sizeof(in->buf) - 1)
            in->buf[in->len++] = '\n';
        return false;
    }
    in->len += (size_t)n;
    return true;
}

static void accept_client(struct monitor *mon)
{
    int fd = accept(mon->listen_fd, NULL, NULL);
    if (fd < 0)
        return;
    if (mon->client.fd >= 0) {
        /* One user at a time, as QEMU's monitor socket. */
        const char *busy = "error: the monitor already has a user\n";
        write_all(fd, busy, strlen(busy));
        close(fd);
        return;
    }
    input_init(&mon->client, fd);
    mon->client.is_socket = true;
    char banner[96];
    snprintf(banner, sizeof(banner), "turtles %s monitor - type 'help' for more information\n",
             TURTLES_VERSION);
    write_all(fd, banner, strlen(banner));
    prompt(mon, &mon->client);
}

/* Serve input that is there (or arrives within timeout_ms): at most one
 * command line when paused, every complete line otherwise. Returns true
 * when a line ran. */
static bool serve_inputs(struct monitor *mon, int timeout_ms, bool paused)
{
    struct pollfd pfd[3];
    struct mon_input *who[3];
    int n = 0;
    bool stdio_direct = mon->stdio.fd >= 0 && !mon->shared;
    if (stdio_direct) {
        if (paused)
            prompt(mon, &mon->stdio);
        pfd[n] = (struct pollfd){.fd = mon->stdio.fd, .events = POLLIN};
        who[n++] = &mon->stdio;
    }
    if (mon->listen_fd >= 0) {
        pfd[n] = (struct pollfd){.fd = mon->listen_fd, .events = POLLIN};
        who[n++] = NULL;
    }
    if (mon->client.fd >= 0) {
        pfd[n] = (struct pollfd){.fd = mon->client.fd, .events = POLLIN};
        who[n++] = &mon->client;
    }
    /* Lines already buffered run first. */
    if (mon->stdio.len && take_lines(mon, &mon->stdio, paused))
        return true;
    if (mon->client.len && take_lines(mon, &mon->client, paused))
        return true;
    if (mon->shared && mon->focus && paused)
        prompt(mon, &mon->stdio);
    if (n == 0) {
        if (timeout_ms > 0)
            poll(NULL, 0, timeout_ms);
        return false;
    }
    int r = poll(pfd, (nfds_t)n, timeout_ms);
    if (r <= 0)
        return false;
    bool ran = false;
    for (int i = 0; i < n; i++) {
        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (!who[i]) {
            accept_client(mon);
            continue;
        }
        struct mon_input *in = who[i];
        bool alive = fill_input(mon, in);
        if (take_lines(mon, in, paused))
            ran = true;
        if (!alive) {
            if (in == &mon->client || !in->tty)
                take_lines(mon, in, false);
            close_input(in);
        }
        if (ran && paused)
            return true;
    }
    return ran;
}

void monitor_poll_running(struct monitor *mon)
{
    if (++mon->poll_count % MON_POLL_EVERY)
        return;
    serve_inputs(mon, 0, false);
}

bool monitor_can_resume(const struct monitor *mon)
{
    return mon->script || mon->stdio.fd >= 0 || mon->listen_fd >= 0 ||
           (mon->shared && mon->stdio.fd >= 0);
}

bool monitor_serve_paused(struct monitor *mon, int timeout_ms)
{
    if (mon->script) {
        char line[MON_LINE_MAX + 2];
        if (!fgets(line, sizeof(line), mon->script)) {
            fclose(mon->script);
            mon->script = NULL;
        } else {
            mon->script_line++;
            size_t len = strlen(line);
            if (len && line[len - 1] == '\n') {
                line[--len] = '\0';
            } else if (!feof(mon->script)) {
                int ch;
                while ((ch = fgetc(mon->script)) != EOF && ch != '\n')
                    ;
                monitor_error(mon, "%s:%u: line too long (at most %d characters)",
                              mon->script_name, mon->script_line, MON_LINE_MAX);
                return true;
            }
            if (len && line[len - 1] == '\r')
                line[--len] = '\0';
            mon->out_fd = STDOUT_FILENO;
            /* The script's commands are echoed so that its output reads
             * like a session (lessons paste it). */
            const char *p = line;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p && *p != '#')
                monitor_printf(mon, MON_PROMPT "%s\n", line);
            monitor_execute_line(mon, line, NULL, NULL);
            return true;
        }
    }
    if (!monitor_can_resume(mon))
        return false;
    serve_inputs(mon, timeout_ms, true);
    return true;
}

void monitor_announce_stop(struct monitor *mon, const char *line)
{
    mon->out_fd = STDOUT_FILENO;
    if (mon->client.fd >= 0) {
        write_all(mon->client.fd, line, strlen(line));
        write_all(mon->client.fd, "\n", 1);
        mon->client.prompted = false;
    }
    if (mon->script || mon->stdio.fd >= 0 || mon->client.fd < 0) {
        if (mon->stdio.prompted && mon->editor)
            line_editor_clear(mon->editor);
        mon->stdio.prompted = false;
        write_all(STDOUT_FILENO, line, strlen(line));
        write_all(STDOUT_FILENO, "\n", 1);
    }
}

void monitor_feed_input(struct monitor *mon, const char *bytes, size_t n)
{
    struct mon_input *in = &mon->stdio;
    for (size_t i = 0; i < n; i++) {
        if (mon->editor) {
            char line[MON_LINE_MAX + 2];
            if (line_editor_feed(mon->editor, bytes[i], line, sizeof(line)) > 0) {
                size_t len = strlen(line);
                if (in->len + len + 1 <= sizeof(in->buf)) {
                    memcpy(in->buf + in->len, line, len);
                    in->buf[in->len + len] = '\n';
                    in->len += len + 1;
                }
            }
            continue;
        }
        if (in->len >= sizeof(in->buf) - 1) {
            in->overlong = true;
            in->len = 0;
        }
        in->buf[in->len++] = bytes[i] == '\r' ? '\n' : bytes[i];
    }
}

void monitor_set_focus(struct monitor *mon, bool focus)
{
    mon->focus = focus;
    mon->stdio.prompted = false;
    const char *msg = focus ? "\r\n[monitor: Ctrl-A c returns to the serial console]\r\n"
                            : "\r\n[serial console]\r\n";
    write_all(STDOUT_FILENO, msg, strlen(msg));
}

/* ---- setting up ---- */

/* unix:PATH[,server][,nowait] (also QEMU's newer server=on, wait=off). */
static int open_unix(struct monitor *mon, const char *spec)
{
    char path[sizeof(mon->sock_path)];
    const char *p = spec + 5;
    size_t plen = strcspn(p, ",");
    if (plen == 0 || plen >= sizeof(path)) {
        fprintf(stderr, "turtles: -monitor %s: socket path empty or longer than %zu bytes\n",
                spec, sizeof(path) - 1);
        return -1;
    }
    memcpy(path, p, plen);
    path[plen] = '\0';
    bool server = false, wait = true;
    p += plen;
    while (*p == ',') {
        p++;
        size_t len = strcspn(p, ",");
        if ((len == 6 && !strncmp(p, "server", 6)) || (len == 9 && !strncmp(p, "server=on", 9)))
            server = true;
        else if ((len == 6 && !strncmp(p, "nowait", 6)) || (len == 8 && !strncmp(p, "wait=off", 8)))
            wait = false;
        else if (len == 7 && !strncmp(p, "wait=on", 7))
            wait = true;
        else {
            fprintf(stderr, "turtles: -monitor %s: unknown option '%.*s'\n", spec, (int)len, p);
            return -1;
        }
        p += len;
    }
    if (!server) {
        fprintf(stderr, "turtles: -monitor %s: turtles listens: add ,server\n", spec);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "turtles: -monitor: socket: %s\n", strerror(errno));
        return -1;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, plen + 1);
    /* A stale socket from an earlier run is replaced; any other file is not. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        fprintf(stderr, "turtles: -monitor: cannot listen on %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    mon->listen_fd = fd;
    memcpy(mon->sock_path, path, plen + 1);
    if (wait) {
        fprintf(stderr, "turtles: waiting for a connection on %s\n", path);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        while (mon->m->stop == STOP_NONE && poll(&pfd, 1, 200) <= 0)
            ;
        if (mon->m->stop == STOP_NONE)
            accept_client(mon);
    }
    return 0;
}

struct monitor *monitor_new(struct machine *m, const struct options *opt, bool *failed)
{
    *failed = false;
    bool direct_stdio = opt->monitor && !strcmp(opt->monitor, "stdio") && !opt->monitor_shared;
    bool unix_sock = opt->monitor && !strncmp(opt->monitor, "unix:", 5);
    /* mon:stdio on a pipe or a file (CI) with the serial console in
     * front: nothing could ever switch to the monitor. */
    bool shared = opt->monitor_shared && (opt->monitor_focus || isatty(STDIN_FILENO));
    if (!direct_stdio && !unix_sock && !shared && !opt->monitor_script)
        return NULL;
    struct monitor *mon = calloc(1, sizeof(*mon));
    if (!mon) {
        fprintf(stderr, "turtles: out of memory\n");
        *failed = true;
        return NULL;
    }
    mon->m = m;
    mon->out_fd = STDOUT_FILENO;
    mon->listen_fd = -1;
    input_init(&mon->stdio, -1);
    input_init(&mon->client, -1);
    if (opt->monitor_script) {
        mon->script = fopen(opt->monitor_script, "r");
        struct stat st;
        if (mon->script && (fstat(fileno(mon->script), &st) < 0 || S_ISDIR(st.st_mode))) {
            fclose(mon->script);
            mon->script = NULL;
            errno = EISDIR;
        }
        if (!mon->script) {
            fprintf(stderr, "turtles: -turtles-monitor-script '%s': %s\n", opt->monitor_script,
                    strerror(errno));
            goto fail;
        }
        mon->script_name = opt->monitor_script;
    }
    if (direct_stdio || shared) {
        input_init(&mon->stdio, STDIN_FILENO);
        mon->stdio.tty = isatty(STDIN_FILENO);
        mon->shared = shared;
        mon->focus = opt->monitor_focus;
        if (mon->stdio.tty)
            mon->editor = line_editor_new(STDIN_FILENO, STDOUT_FILENO, MON_PROMPT, !mon->shared);
    }
    if (unix_sock && open_unix(mon, opt->monitor) < 0)
        goto fail;
    return mon;
fail:
    *failed = true;
    monitor_free(mon);
    return NULL;
}

void monitor_free(struct monitor *mon)
{
    if (!mon)
        return;
    if (mon->script)
        fclose(mon->script);
    close_input(&mon->client);
    if (mon->listen_fd >= 0) {
        close(mon->listen_fd);
        unlink(mon->sock_path);
    }
    line_editor_free(mon->editor);
    free(mon);
}

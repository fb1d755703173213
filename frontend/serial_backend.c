#define _XOPEN_SOURCE 700
#include "frontend/serial_backend.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_termios;
static bool termios_saved;

static void restore_tty(void)
{
    if (termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static const char *unfit_output(mode_t mode)
{
    if (S_ISREG(mode) || S_ISCHR(mode))
        return NULL;
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

int output_file_open(const char *option, const char *path)
{
    if (!*path) {
        fprintf(stderr, "turtles: %s: no file name given\n", option);
        return -1;
    }
    struct stat st;
    const char *why = NULL;
    /* A FIFO is fine while something reads it (a pipe into tee): the
     * non-blocking open below succeeds then, and fails with ENXIO when no
     * reader is there, which would otherwise block forever. */
    bool exists = stat(path, &st) == 0;
    bool fifo = exists && S_ISFIFO(st.st_mode);
    if (exists && !fifo && (why = unfit_output(st.st_mode))) {
        fprintf(stderr, "turtles: %s '%s': %s, not a regular file\n", option, path, why);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) {
        if (fifo && errno == ENXIO)
            fprintf(stderr, "turtles: %s '%s': a FIFO with no reader\n", option, path);
        else
            fprintf(stderr, "turtles: %s '%s': %s\n", option, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && !S_ISFIFO(st.st_mode) && (why = unfit_output(st.st_mode))) {
        fprintf(stderr, "turtles: %s '%s': %s, not a regular file\n", option, path, why);
        close(fd);
        return -1;
    }
    /* Output blocks from here on, as writing to a pipe should. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

int serial_backend_open(struct serial_backend *s, const char *option, const char *spec)
{
    memset(s, 0, sizeof(*s));
    s->out_fd = s->in_fd = -1;
    if (!strcmp(spec, "null") || !strcmp(spec, "none")) {
        s->kind = SERIAL_NULL;
        return 0;
    }
    if (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio")) {
        s->kind = SERIAL_STDIO;
        s->out_fd = STDOUT_FILENO;
        s->in_fd = STDIN_FILENO;
        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
            struct termios t = saved_termios;
            /* Raw input so the guest sees every key; Ctrl-A x quits (QEMU's escape). */
            t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
            t.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
            t.c_cc[VMIN] = 0;
            t.c_cc[VTIME] = 0;
            if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
                termios_saved = true;
                s->raw_tty = true;
                atexit(restore_tty);
            }
        }
        return 0;
    }
    if (!strncmp(spec, "file:", 5)) {
        s->kind = SERIAL_FILE;
        s->out_fd = output_file_open(option, spec + 5);
        return s->out_fd < 0 ? -1 : 0;
    }
    if (!strcmp(spec, "pty")) {
        s->kind = SERIAL_PTY;
        int fd = posix_openpt(O_RDWR | O_NOCTTY);
        if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0) {
            fprintf(stderr, "turtles: cannot create a pty: %s\n", strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        const char *name = ptsname(fd);
        snprintf(s->pty_name, sizeof(s->pty_name), "%s", name ? name : "?");
        fprintf(stderr, "char device redirected to %s (label serial0)\n", s->pty_name);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        s->out_fd = s->in_fd = fd;
        return 0;
    }
    fprintf(stderr, "turtles: unsupported serial backend '%s'\n", spec);
    return -1;
}

void serial_backend_close(struct serial_backend *s)
{
    if (s->kind == SERIAL_FILE || s->kind == SERIAL_PTY)
        close(s->out_fd);
    if (s->raw_tty)
        restore_tty();
    s->kind = SERIAL_NULL;
}

void serial_backend_write(void *opaque, const uint8_t *buf, size_t n)
{
    struct serial_backend *s = opaque;
    if (s->out_fd < 0)
        return;
    while (n) {
        ssize_t w = write(s->out_fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* a closed pty or pipe: the guest keeps running */
        }
        buf += w;
        n -= (size_t)w;
    }
}

size_t serial_backend_poll(struct serial_backend *s, uint8_t *buf, size_t max)
{
    if (s->in_fd < 0 || (max == 0 && !s->to_monitor))
        return 0;
    if (s->kind == SERIAL_STDIO && !s->raw_tty)
        return 0; /* stdin is a pipe or file: do not consume CI input */
    uint8_t tmp[64];
    size_t want = s->to_monitor ? sizeof(tmp) : max < sizeof(tmp) ? max : sizeof(tmp);
    ssize_t r = read(s->in_fd, tmp, want);
    if (r <= 0)
        return 0;
    size_t n = 0;
    char mon[64];
    size_t nmon = 0;
    for (ssize_t i = 0; i < r; i++) {
        uint8_t c = tmp[i];
        if (s->kind == SERIAL_STDIO) {
            if (s->escape) {
                s->escape = false;
                if (c == 'x') {
                    s->quit_requested = true;
                    continue;
                }
                if (c == 'c' && s->monitor_input) {
                    /* QEMU's mux: Ctrl-A c switches between the serial
                     * console and the monitor. */
                    if (nmon)
                        s->monitor_input(s->monitor_opaque, mon, nmon);
                    nmon = 0;
                    s->to_monitor = !s->to_monitor;
                    s->monitor_focus(s->monitor_opaque, s->to_monitor);
                    continue;
                }
                if (c != 1)
                    continue; /* unknown escape: ignored */
            } else if (c == 1) {
                s->escape = true;
                continue;
            }
        }
        if (s->to_monitor)
            mon[nmon++] = (char)c;
        else if (n < max)
            buf[n++] = c;
    }
    if (nmon)
        s->monitor_input(s->monitor_opaque, mon, nmon);
    return n;
}

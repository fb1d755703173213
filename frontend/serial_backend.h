/* Host side of a serial port: stdio (with QEMU's Ctrl-A escapes), a file,
 * a pty, or nothing. Output is unbuffered so a CI log sees every byte. */
#ifndef TURTLES_FRONTEND_SERIAL_BACKEND_H
#define TURTLES_FRONTEND_SERIAL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum serial_kind { SERIAL_NULL, SERIAL_STDIO, SERIAL_FILE, SERIAL_PTY };

struct serial_backend {
    enum serial_kind kind;
    int out_fd, in_fd;
    bool raw_tty;        /* stdin switched to raw mode (restored at exit) */
    bool escape;         /* Ctrl-A seen */
    bool quit_requested; /* Ctrl-A x */
    char pty_name[64];
    /* mon:stdio: the monitor shares stdin. Ctrl-A c hands the input to
     * the monitor (monitor_input gets the bytes) and back; monitor_focus
     * is told each switch. NULL: no monitor here. */
    void (*monitor_input)(void *opaque, const char *bytes, size_t n);
    void (*monitor_focus)(void *opaque, bool focus);
    void *monitor_opaque;
    bool to_monitor;     /* the monitor has the input now */
};

/* spec: stdio | mon:stdio | file:PATH | null | none | pty; option names
 * it in messages ("-serial"). Returns -1 with a message printed on
 * failure. */
int serial_backend_open(struct serial_backend *s, const char *option, const char *spec);

/* Opens (creates, truncates) PATH for output, never blocking: refuses
 * FIFOs, directories, sockets and block devices (a character device such
 * as /dev/null is fine). Returns the fd, or -1 with a message naming the
 * option and the file printed. */
int output_file_open(const char *option, const char *path);
void serial_backend_close(struct serial_backend *s);
void serial_backend_write(void *opaque, const uint8_t *buf, size_t n);
/* Poll host input without blocking; returns bytes for the guest (escape
 * sequences removed). While the monitor has the input it gets the bytes
 * instead (and reads go on even when max is 0). */
size_t serial_backend_poll(struct serial_backend *s, uint8_t *buf, size_t max);

#endif

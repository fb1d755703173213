/* QEMU's isa-debug-exit device and the port 0x80 POST code sink.
 *
 * A write of v to the debug-exit range asks the machine to exit with
 * status (v << 1) | 1, so a test guest can never produce status 0 by
 * accident. */
#ifndef TURTLES_DEVICES_DEBUG_EXIT_H
#define TURTLES_DEVICES_DEBUG_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define DEBUG_EXIT_DEFAULT_IOBASE 0x501
#define DEBUG_EXIT_DEFAULT_IOSIZE 2
#define POST_CODE_PORT 0x80

typedef void (*debug_exit_fn)(void *opaque, int status);

struct debug_exit {
    uint16_t iobase, iosize;
    bool exit_requested;
    int exit_status;
    uint8_t post_code;        /* last byte written to port 0x80 */
    debug_exit_fn on_exit;    /* may be NULL: the machine polls exit_requested */
    void *opaque;
    struct device_env env;
};

/* iosize 0 registers no debug-exit range (port 0x80 only). */
void debug_exit_init(struct debug_exit *d, const struct device_env *env, uint16_t iobase,
                     uint16_t iosize, debug_exit_fn on_exit, void *opaque);
void debug_exit_reset(struct debug_exit *d);

uint32_t debug_exit_io_read(void *opaque, uint16_t port, unsigned size);
void debug_exit_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif

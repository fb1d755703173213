/* isa-debug-exit and POST code port. */
#include "devices/debug_exit.h"

#include <string.h>

uint32_t debug_exit_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct debug_exit *d = opaque;
    (void)size;
    if (port == POST_CODE_PORT && !(d->iosize && port >= d->iobase &&
                                    (uint32_t)port < (uint32_t)d->iobase + d->iosize))
        return d->post_code;
    return 0;   /* QEMU's debug-exit reads as zero */
}

void debug_exit_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct debug_exit *d = opaque;
    if (d->iosize && port >= d->iobase && (uint32_t)port < (uint32_t)d->iobase + d->iosize) {
        uint32_t mask = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        /* The status is an int; the top bit of a 32-bit value is lost as
         * in QEMU, whose exit() keeps only the low 8 bits anyway. */
        d->exit_status = (int)((((value & mask) << 1) | 1) & 0x7fffffffu);
        d->exit_requested = true;
        if (d->on_exit)
            d->on_exit(d->opaque, d->exit_status);
        return;
    }
    if (port == POST_CODE_PORT)
        d->post_code = (uint8_t)value;
}

void debug_exit_reset(struct debug_exit *d)
{
    d->exit_requested = false;
    d->exit_status = 0;
    d->post_code = 0;
}

void debug_exit_init(struct debug_exit *d, const struct device_env *env, uint16_t iobase,
                     uint16_t iosize, debug_exit_fn on_exit, void *opaque)
{
    memset(d, 0, sizeof(*d));
    if (env)
        d->env = *env;
    d->iobase = iobase;
    d->iosize = iosize;
    d->on_exit = on_exit;
    d->opaque = opaque;
    if (env && env->io) {
        iobus_register(env->io, POST_CODE_PORT, 1, d, debug_exit_io_read, debug_exit_io_write,
                       "post-code");
        /* Registered second so that a range covering 0x80 wins there. */
        if (iosize)
            iobus_register(env->io, iobase, iosize, d, debug_exit_io_read, debug_exit_io_write,
                           "debug-exit");
    }
}

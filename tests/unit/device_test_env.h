/* A machine-less environment for device unit tests: an I/O bus, a clock,
 * optional RAM, and recorders for interrupt lines and messages. */
#ifndef TURTLES_TESTS_DEVICE_TEST_ENV_H
#define TURTLES_TESTS_DEVICE_TEST_ENV_H

#include <stdlib.h>
#include <string.h>

#include "devices/bus.h"

#define TEST_MAX_MSGS 64

struct test_env {
    struct iobus io;
    struct clock clock;
    struct physmem mem;
    bool have_mem;
    bool level[32];
    unsigned rises[32];     /* 0 -> 1 transitions per line */
    unsigned calls[32];
    struct apic_msg msgs[TEST_MAX_MSGS];
    unsigned nmsgs;
    struct device_env env;
};

static inline void test_env_set_irq(void *opaque, unsigned line, bool level)
{
    struct test_env *t = opaque;
    if (line >= 32)
        return;
    if (level && !t->level[line])
        t->rises[line]++;
    t->level[line] = level;
    t->calls[line]++;
}

static inline void test_env_send_msg(void *opaque, const struct apic_msg *msg)
{
    struct test_env *t = opaque;
    if (t->nmsgs < TEST_MAX_MSGS)
        t->msgs[t->nmsgs] = *msg;
    t->nmsgs++;
}

/* Heap-allocated: struct iobus is large. ram_size 0: no memory. */
static inline struct test_env *test_env_new(uint64_t ram_size)
{
    struct test_env *t = calloc(1, sizeof(*t));
    iobus_init(&t->io);
    clock_init(&t->clock, 0, false);
    if (ram_size) {
        if (physmem_init(&t->mem, ram_size, ram_size) == 0)
            t->have_mem = true;
    }
    t->env = (struct device_env){
        .io = &t->io, .mem = t->have_mem ? &t->mem : NULL, .clock = &t->clock,
        .set_irq = test_env_set_irq, .irq_opaque = t,
        .send_msg = test_env_send_msg, .msg_opaque = t,
    };
    return t;
}

static inline void test_env_free(struct test_env *t)
{
    if (t->have_mem)
        physmem_destroy(&t->mem);
    free(t);
}

static inline uint8_t inb(struct test_env *t, uint16_t port)
{
    return (uint8_t)iobus_read(&t->io, port, 1);
}

static inline void outb(struct test_env *t, uint16_t port, uint8_t v)
{
    iobus_write(&t->io, port, v, 1);
}

static inline uint16_t inw(struct test_env *t, uint16_t port)
{
    return (uint16_t)iobus_read(&t->io, port, 2);
}

static inline void outw(struct test_env *t, uint16_t port, uint16_t v)
{
    iobus_write(&t->io, port, v, 2);
}

static inline uint32_t inl(struct test_env *t, uint16_t port)
{
    return iobus_read(&t->io, port, 4);
}

static inline void outl(struct test_env *t, uint16_t port, uint32_t v)
{
    iobus_write(&t->io, port, v, 4);
}

static inline void advance_ns(struct test_env *t, uint64_t ns)
{
    clock_advance_to(&t->clock, t->clock.now_ns + ns);
}

#endif

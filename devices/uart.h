/* National Semiconductor 16550A UART (COM1-4). */
#ifndef TURTLES_DEVICES_UART_H
#define TURTLES_DEVICES_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"

#define UART_COM1_PORT 0x3f8
#define UART_COM2_PORT 0x2f8
#define UART_COM3_PORT 0x3e8
#define UART_COM4_PORT 0x2e8
#define UART_COM1_IRQ 4
#define UART_COM2_IRQ 3
#define UART_COM3_IRQ 4
#define UART_COM4_IRQ 3
#define UART_FIFO_SIZE 16

/* Output backend (stdio, file, socket). Bytes are passed on unbuffered. */
struct chardev {
    void *opaque;
    void (*write)(void *opaque, const uint8_t *buf, size_t n);
};

struct uart {
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    uint16_t divisor;
    uint8_t ier, lcr, mcr, lsr, msr_delta, scr, fcr;
    bool thr_ipending;       /* THRE interrupt latched (cleared by IIR read or THR write) */
    bool irq_level;          /* level currently driven on the IRQ line */
    uint16_t iobase;
    uint8_t irq;
    struct chardev out;
    struct device_env env;
};

/* `out` may be NULL (output discarded). */
void uart_init(struct uart *u, const struct device_env *env, uint16_t iobase, unsigned irq,
               const struct chardev *out);
void uart_reset(struct uart *u);
/* Host input. Bytes beyond the free FIFO space are an overrun (LSR.OE), as
 * on the chip; use uart_can_receive() to pace input. */
void uart_receive(struct uart *u, const uint8_t *buf, size_t n);
size_t uart_can_receive(const struct uart *u);

uint32_t uart_io_read(void *opaque, uint16_t port, unsigned size);
void uart_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif

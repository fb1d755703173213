/* 16550A UART (TI/National PC16550D datasheet). Transmission is
 * instantaneous: a byte written to THR goes straight to the backend and
 * THR is empty again at once, which Linux's 8250 driver accepts. The
 * receive character timeout fires as soon as data sits below the trigger
 * level (no 4-character delay), which keeps runs deterministic and input
 * responsive. */
#include "devices/uart.h"

#include <string.h>

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS 0x1e

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

static unsigned rx_capacity(const struct uart *u)
{
    return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart *u)
{
    static const uint8_t levels[4] = {1, 4, 8, 14};
    return (u->fcr & FCR_ENABLE) ? levels[u->fcr >> 6] : 1;
}

/* Modem status inputs: in loopback they are wired to the modem control
 * outputs (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD); otherwise a terminal
 * that is always ready is assumed. */
static uint8_t msr_status(const struct uart *u)
{
    if (u->mcr & MCR_LOOP) {
        return (uint8_t)(((u->mcr & MCR_RTS) ? MSR_CTS : 0) | ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
                         ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0));
    }
    return MSR_CTS | MSR_DSR | MSR_DCD;
}

/* Highest-priority pending interrupt as an IIR identification code. */
static uint8_t pending_iir(const struct uart *u)
{
    if ((u->ier & IER_RLSI) && (u->lsr & LSR_ERRORS))
        return IIR_RLSI;
    if ((u->ier & IER_RDI) && u->rx_count) {
        if (u->rx_count >= rx_trigger(u))
            return IIR_RDI;
        return (u->fcr & FCR_ENABLE) ? IIR_CTI : IIR_RDI;
    }
    if ((u->ier & IER_THRI) && u->thr_ipending)
        return IIR_THRI;
    if ((u->ier & IER_MSI) && (u->msr_delta & 0x0f))
        return IIR_MSI;
    return IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
    /* On the PC the IRQ line is gated by OUT2; in loopback the chip holds
     * its modem control outputs inactive, so the line stays off. */
    bool gate = (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);
    bool level = gate && pending_iir(u) != IIR_NO_INT;
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->env.set_irq)
            device_set_irq(&u->env, u->irq, level);
    }
}

static void rx_push(struct uart *u, uint8_t b)
{
    if (u->rx_count >= rx_capacity(u)) {
        u->lsr |= LSR_OE;
        return;
    }
    u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = b;
    u->rx_count++;
    u->lsr |= LSR_DR;
}

static uint8_t rx_pop(struct uart *u)
{
    if (!u->rx_count)
        return 0;
    uint8_t b = u->rx_fifo[u->rx_head];
    u->rx_head = (uint8_t)((u->rx_head + 1) % UART_FIFO_SIZE);
    u->rx_count--;
    if (!u->rx_count)
        u->lsr &= (uint8_t)~LSR_DR;
    return b;
}

static void rx_clear(struct uart *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->lsr &= (uint8_t)~LSR_DR;
}

size_t uart_can_receive(const struct uart *u)
{
    return rx_capacity(u) - u->rx_count;
}

void uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
    if (u->mcr & MCR_LOOP)
        return;   /* the serial input is disconnected in loopback */
    for (size_t i = 0; i < n; i++)
        rx_push(u, buf[i]);
    update_irq(u);
}

static void transmit(struct uart *u, uint8_t b)
{
    if (u->mcr & MCR_LOOP)
        rx_push(u, b);
    else if (u->out.write)
        u->out.write(u->out.opaque, &b, 1);
    u->lsr |= LSR_THRE | LSR_TEMT;
    u->thr_ipending = true;
}

static void set_mcr(struct uart *u, uint8_t val)
{
    uint8_t old_msr = msr_status(u);
    u->mcr = val & 0x1f;
    uint8_t new_msr = msr_status(u);
    uint8_t changed = old_msr ^ new_msr;
    /* Delta bits: DCTS, DDSR, TERI (RI falling edge only), DDCD. */
    if (changed & MSR_CTS)
        u->msr_delta |= 0x01;
    if (changed & MSR_DSR)
        u->msr_delta |= 0x02;
    if ((old_msr & MSR_RI) && !(new_msr & MSR_RI))
        u->msr_delta |= 0x04;
    if (changed & MSR_DCD)
        u->msr_delta |= 0x08;
}

uint32_t uart_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct uart *u = opaque;
    (void)size;
    uint8_t v = 0;
    switch ((port - u->iobase) & 7) {
    case 0:
        if (u->lcr & LCR_DLAB) {
            v = (uint8_t)u->divisor;
        } else {
            v = rx_pop(u);
            update_irq(u);
        }
        break;
    case 1:
        v = (u->lcr & LCR_DLAB) ? (uint8_t)(u->divisor >> 8) : u->ier;
        break;
    case 2: {
        uint8_t id = pending_iir(u);
        /* Reading IIR while it reports THRE acknowledges that interrupt. */
        if (id == IIR_THRI) {
            u->thr_ipending = false;
            update_irq(u);
        }
        v = (uint8_t)(id | ((u->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0));
        break;
    }
    case 3:
        v = u->lcr;
        break;
    case 4:
        v = u->mcr;
        break;
    case 5:
        v = u->lsr;
        u->lsr &= (uint8_t)~(LSR_ERRORS);   /* error bits clear on read */
        update_irq(u);
        break;
    case 6:
        v = (uint8_t)(msr_status(u) | (u->msr_delta & 0x0f));
        u->msr_delta = 0;
        update_irq(u);
        break;
    default:
        v = u->scr;
        break;
    }
    return v;
}

void uart_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct uart *u = opaque;
    (void)size;
    uint8_t val = (uint8_t)value;
    switch ((port - u->iobase) & 7) {
    case 0:
        if (u->lcr & LCR_DLAB) {
            u->divisor = (uint16_t)((u->divisor & 0xff00) | val);
        } else {
            u->thr_ipending = false;
            transmit(u, val);
        }
        break;
    case 1:
        if (u->lcr & LCR_DLAB) {
            u->divisor = (uint16_t)((u->divisor & 0x00ff) | (val << 8));
        } else {
            uint8_t old = u->ier;
            u->ier = val & 0x0f;
            /* Enabling THRI while THR is empty raises THRE at once: Linux's
             * 8250 driver checks this (UART_BUG_THRE test). */
            if ((u->ier & IER_THRI) && !(old & IER_THRI) && (u->lsr & LSR_THRE))
                u->thr_ipending = true;
        }
        break;
    case 2: {
        bool was_enabled = u->fcr & FCR_ENABLE;
        bool enable = val & FCR_ENABLE;
        /* Toggling the FIFO enable resets both FIFOs. */
        if (was_enabled != enable || (val & FCR_CLEAR_RX))
            rx_clear(u);
        u->fcr = enable ? (uint8_t)(val & 0xc9) : 0;
        break;
    }
    case 3:
        u->lcr = val;
        break;
    case 4:
        set_mcr(u, val);
        break;
    case 5:
    case 6:
        break;   /* LSR and MSR are read-only (factory test writes ignored) */
    default:
        u->scr = val;
        break;
    }
    update_irq(u);
}

void uart_reset(struct uart *u)
{
    rx_clear(u);
    u->divisor = 12;   /* 9600 baud; undefined on the chip */
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->lsr = LSR_THRE | LSR_TEMT;
    u->msr_delta = 0;
    u->scr = 0;
    u->fcr = 0;
    u->thr_ipending = false;
    update_irq(u);
}

void uart_init(struct uart *u, const struct device_env *env, uint16_t iobase, unsigned irq,
               const struct chardev *out)
{
    memset(u, 0, sizeof(*u));
    if (env)
        u->env = *env;
    u->iobase = iobase;
    u->irq = (uint8_t)irq;
    if (out)
        u->out = *out;
    uart_reset(u);
    if (env && env->io)
        iobus_register(env->io, iobase, 8, u, uart_io_read, uart_io_write, "uart");
}

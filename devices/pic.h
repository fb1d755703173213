/* Intel 8259A programmable interrupt controller, master/slave pair as on
 * the PC (slave cascaded on master IR2), plus the PIIX edge/level control
 * registers (ELCR) at 0x4D0/0x4D1. */
#ifndef TURTLES_DEVICES_PIC_H
#define TURTLES_DEVICES_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xa0
#define PIC_ELCR_PORT 0x4d0

struct pic_chip {
    uint8_t irr;           /* interrupt request register */
    uint8_t isr;           /* in-service register */
    uint8_t imr;           /* interrupt mask register */
    uint8_t line_level;    /* current input levels, for edge detection */
    uint8_t elcr;          /* 1 = level-triggered input (PIIX ELCR) */
    uint8_t elcr_mask;     /* which ELCR bits are writable */
    uint8_t vector_base;   /* ICW2 & 0xf8 */
    uint8_t top_priority_ir; /* IR input with the highest priority now (0 until rotated) */
    uint8_t init_step;     /* 0 ready, 1 expect ICW2, 2 expect ICW3, 3 expect ICW4 */
    uint8_t icw3;
    bool icw4_needed;
    bool single;           /* ICW1.SNGL */
    bool ltim;             /* ICW1.LTIM: all inputs level-triggered */
    bool auto_eoi;         /* ICW4.AEOI */
    bool sfnm;             /* ICW4.SFNM special fully nested mode */
    bool rotate_on_aeoi;   /* OCW2 R=1 SL=0 EOI=0 */
    bool read_isr;         /* OCW3 RR/RIS: read ISR instead of IRR */
    bool poll;             /* OCW3 P: next read is a poll */
    bool special_mask;     /* OCW3 SMM */
};

typedef void (*pic_output_fn)(void *opaque, bool level);

struct pic {
    struct pic_chip chip[2];   /* 0 master, 1 slave */
    struct device_env env;
    bool output;               /* INTR pin of the master */
    pic_output_fn output_changed; /* optional: INTR level changes (to LINT0) */
    void *output_opaque;
};

/* `output_changed` may be NULL; the machine can poll pic_has_interrupt(). */
void pic_init(struct pic *pic, const struct device_env *env, pic_output_fn output_changed,
              void *opaque);
void pic_reset(struct pic *pic);
/* Drive ISA IRQ line 0-15 (2 is the cascade and is ignored). */
void pic_set_irq(struct pic *pic, unsigned irq, bool level);
/* True while the master's INTR output is asserted. */
bool pic_has_interrupt(const struct pic *pic);
/* INTA cycle: returns the vector and updates ISR/IRR. Without a pending
 * request it returns the spurious IRQ7 (or IRQ15) vector. */
uint8_t pic_acknowledge(struct pic *pic);

/* Port handlers, exposed for tests and for machines without an iobus. */
uint32_t pic_io_read(void *opaque, uint16_t port, unsigned size);
void pic_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

/* Some input line of the pair is not masked: an interrupt could still
 * reach the CPU through INTR (the slave's lines count only while the
 * master passes IRQ 2). */
bool pic_any_unmasked(const struct pic *p);

#endif

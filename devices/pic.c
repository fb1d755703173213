/* 8259A PIC pair. The logic follows the 8259A datasheet (Intel order
 * no. 231468): priority resolution over IRR & ~IMR against ISR, with a
 * rotating lowest priority; ICW1-4 initialization sequence; OCW1-3. */
#include "devices/pic.h"

#include <string.h>

/* Number of priority steps from the highest-priority position to the first
 * set bit of `mask`, or 8 when the mask is empty. */
static int priority_of(const struct pic_chip *c, uint8_t mask)
{
    if (!mask)
        return 8;
    int p = 0;
    while (!(mask & (1u << ((p + c->top_priority_ir) & 7))))
        p++;
    return p;
}

static bool chip_is_level(const struct pic_chip *c, unsigned irq)
{
    return c->ltim || (c->elcr >> irq) & 1;
}

/* The IR input the chip would present at INTA, or -1. */
static int chip_pending(const struct pic_chip *c, bool is_master)
{
    int p = priority_of(c, c->irr & ~c->imr);
    if (p == 8)
        return -1;
    uint8_t in_service = c->isr;
    /* Special mask mode: masked levels do not block lower priorities. */
    if (c->special_mask)
        in_service &= ~c->imr;
    /* Special fully nested mode: an in-service slave does not block further
     * (higher priority) requests from that same slave. */
    if (is_master && c->sfnm)
        in_service &= ~(1u << 2);
    int cur = priority_of(c, in_service);
    return p < cur ? (int)((p + c->top_priority_ir) & 7) : -1;
}

static void update(struct pic *pic)
{
    struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
    /* The cascade input follows the slave's INT output as a level: the
     * slave keeps INT high while it has an unserviced request. */
    bool slave_int = chip_pending(s, false) >= 0;
    if (slave_int)
        m->irr |= 1u << 2;
    else
        m->irr &= (uint8_t)~(1u << 2);
    bool out = chip_pending(m, true) >= 0;
    if (out != pic->output) {
        pic->output = out;
        if (pic->output_changed)
            pic->output_changed(pic->output_opaque, out);
    }
}

static void chip_set_input(struct pic_chip *c, unsigned irq, bool level)
{
    uint8_t bit = (uint8_t)(1u << irq);
    if (chip_is_level(c, irq)) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= (uint8_t)~bit;
    } else if (level && !(c->line_level & bit)) {
        c->irr |= bit;   /* rising edge latches the request */
    }
    if (level)
        c->line_level |= bit;
    else
        c->line_level &= (uint8_t)~bit;
}

void pic_set_irq(struct pic *pic, unsigned irq, bool level)
{
    if (irq >= 16 || irq == 2)
        return;
    chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
    update(pic);
}

bool pic_has_interrupt(const struct pic *pic)
{
    return pic->output;
}

/* The INTA effect on one chip for input `irq`. */
static void chip_ack(struct pic_chip *c, int irq)
{
    uint8_t bit = (uint8_t)(1u << irq);
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi)
            c->top_priority_ir = (uint8_t)((irq + 1) & 7);
    } else {
        c->isr |= bit;
    }
    /* An edge request is consumed; a level request stays while the line is high. */
    if (!chip_is_level(c, (unsigned)irq))
        c->irr &= (uint8_t)~bit;
    else if (!(c->line_level & bit))
        c->irr &= (uint8_t)~bit;
}

uint8_t pic_acknowledge(struct pic *pic)
{
    struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
    uint8_t vector;
    int irq = chip_pending(m, true);
    if (irq < 0) {
        /* Request went away before INTA: spurious IR7, ISR untouched. */
        vector = (uint8_t)(m->vector_base + 7);
    } else if (irq == 2) {
        int sirq = chip_pending(s, false);
        chip_ack(m, 2);
        if (sirq >= 0) {
            chip_ack(s, sirq);
            vector = (uint8_t)(s->vector_base + sirq);
        } else {
            vector = (uint8_t)(s->vector_base + 7);   /* spurious IRQ15 */
        }
    } else {
        chip_ack(m, irq);
        vector = (uint8_t)(m->vector_base + irq);
    }
    update(pic);
    return vector;
}

void pic_reset(struct pic *pic)
{
    /* The ELCR belongs to the PIIX and is cleared by a system reset too. */
    memset(pic->chip, 0, sizeof(pic->chip));
    pic->chip[0].elcr_mask = 0xf8;   /* IRQ0-2 are always edge (PIIX) */
    pic->chip[1].elcr_mask = 0xde;   /* IRQ8 and IRQ13 are always edge */
    bool was = pic->output;
    pic->output = false;
    if (was && pic->output_changed)
        pic->output_changed(pic->output_opaque, false);
}

/* OCW2 (8259A datasheet, "Operation Command Word 2"). */
static void chip_write_ocw2(struct pic_chip *c, uint8_t val)
{
    unsigned cmd = val >> 5, irq = val & 7;
    switch (cmd) {
    case 0: /* rotate in automatic EOI mode: clear */
    case 4: /* set */
        c->rotate_on_aeoi = cmd == 4;
        break;
    case 1: /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        int p = priority_of(c, c->isr);
        if (p != 8) {
            unsigned served = (unsigned)(p + c->top_priority_ir) & 7;
            c->isr &= (uint8_t)~(1u << served);
            if (cmd == 5)
                c->top_priority_ir = (uint8_t)((served + 1) & 7);
        }
        break;
    }
    case 3: /* specific EOI */
        c->isr &= (uint8_t)~(1u << irq);
        break;
    case 7: /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << irq);
        c->top_priority_ir = (uint8_t)((irq + 1) & 7);
        break;
    case 6: /* set priority: irq becomes the lowest */
        c->top_priority_ir = (uint8_t)((irq + 1) & 7);
        break;
    default: /* 2: no operation */
        break;
    }
}

static void chip_write(struct pic_chip *c, unsigned a0, uint8_t val)
{
    if (a0 == 0) {
        if (val & 0x10) {
            /* ICW1 clears IMR, ISR, special mask, IRR edge latches,
             * resets priority, selects IRR for reads. */
            c->irr &= c->elcr;      /* level inputs that are high stay requested */
            c->irr &= c->line_level;
            c->isr = 0;
            c->imr = 0;
            c->top_priority_ir = 0;
            c->special_mask = false;
            c->read_isr = false;
            c->poll = false;
            c->rotate_on_aeoi = false;
            c->icw4_needed = val & 1;
            c->single = (val >> 1) & 1;
            c->ltim = (val >> 3) & 1;
            if (!c->icw4_needed) {
                c->auto_eoi = false;
                c->sfnm = false;
            }
            c->init_step = 1;
        } else if (val & 0x08) {
            /* OCW3 */
            if (val & 0x04)
                c->poll = true;
            if (val & 0x02)
                c->read_isr = val & 1;
            if (val & 0x40)
                c->special_mask = (val >> 5) & 1;
        } else {
            chip_write_ocw2(c, val);
        }
        return;
    }
    switch (c->init_step) {
    case 1: /* ICW2 */
        c->vector_base = val & 0xf8;
        c->init_step = c->single ? (c->icw4_needed ? 3 : 0) : 2;
        break;
    case 2: /* ICW3 */
        c->icw3 = val;
        c->init_step = c->icw4_needed ? 3 : 0;
        break;
    case 3: /* ICW4 */
        c->auto_eoi = (val >> 1) & 1;
        c->sfnm = (val >> 4) & 1;
        c->init_step = 0;
        break;
    default: /* OCW1 */
        c->imr = val;
        break;
    }
}

/* Poll command: the read acts as an INTA and returns 0x80 | level. */
static uint8_t poll_read(struct pic *pic, int chipno)
{
    struct pic_chip *c = &pic->chip[chipno];
    c->poll = false;
    int irq = chip_pending(c, chipno == 0);
    if (irq < 0)
        return 0;
    if (chipno == 0 && irq == 2) {
        /* Polling the master for a cascaded request: acknowledge both, as
         * the master reports IR2. */
        int sirq = chip_pending(&pic->chip[1], false);
        if (sirq >= 0)
            chip_ack(&pic->chip[1], sirq);
    }
    chip_ack(c, irq);
    return (uint8_t)(0x80 | irq);
}

uint32_t pic_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct pic *pic = opaque;
    (void)size;
    if (port == PIC_ELCR_PORT || port == PIC_ELCR_PORT + 1)
        return pic->chip[port - PIC_ELCR_PORT].elcr;
    int chipno = (port & 0x80) ? 1 : 0;
    struct pic_chip *c = &pic->chip[chipno];
    uint8_t v;
    if (c->poll) {
        v = poll_read(pic, chipno);
        update(pic);
    } else if ((port & 1) == 0) {
        v = c->read_isr ? c->isr : c->irr;
    } else {
        v = c->imr;
    }
    return v;
}

void pic_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pic *pic = opaque;
    (void)size;
    uint8_t val = (uint8_t)value;
    if (port == PIC_ELCR_PORT || port == PIC_ELCR_PORT + 1) {
        struct pic_chip *c = &pic->chip[port - PIC_ELCR_PORT];
        c->elcr = val & c->elcr_mask;
        /* Inputs switched to edge lose a latched level request only on
         * their next edge; switched to level, IRR follows the line now. */
        for (unsigned i = 0; i < 8; i++)
            if ((c->elcr >> i) & 1) {
                if ((c->line_level >> i) & 1)
                    c->irr |= (uint8_t)(1u << i);
                else
                    c->irr &= (uint8_t)~(1u << i);
            }
        update(pic);
        return;
    }
    int chipno = (port & 0x80) ? 1 : 0;
    chip_write(&pic->chip[chipno], port & 1, val);
    update(pic);
}

void pic_init(struct pic *pic, const struct device_env *env, pic_output_fn output_changed,
              void *opaque)
{
    memset(pic, 0, sizeof(*pic));
    if (env)
        pic->env = *env;
    pic->output_changed = output_changed;
    pic->output_opaque = opaque;
    pic_reset(pic);
    if (env && env->io) {
        iobus_register(env->io, PIC_MASTER_PORT, 2, pic, pic_io_read, pic_io_write, "pic-master");
        iobus_register(env->io, PIC_SLAVE_PORT, 2, pic, pic_io_read, pic_io_write, "pic-slave");
        iobus_register(env->io, PIC_ELCR_PORT, 2, pic, pic_io_read, pic_io_write, "elcr");
    }
}

bool pic_any_unmasked(const struct pic *p)
{
    uint8_t master = (uint8_t)~p->chip[0].imr;
    uint8_t slave = (uint8_t)~p->chip[1].imr;
    return (master & ~(1u << 2)) != 0 || ((master & (1u << 2)) && slave != 0);
}

/* 8042 keyboard controller and PS/2 keyboard. Commands complete at once,
 * so the input buffer is never full (status bit 1 always 0). Command set as
 * in the IBM PS/2 Technical Reference and the 8042 BIOS interface. */
#include "devices/i8042.h"

#include <stdio.h>
#include <string.h>

#define STAT_OBF 0x01
#define STAT_SYS 0x04
#define STAT_CMD 0x08
#define STAT_UNLOCKED 0x10
#define STAT_AUX_OBF 0x20
#define STAT_TIMEOUT 0x40

#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_SYS 0x04
#define CB_KBD_DISABLE 0x10
#define CB_AUX_DISABLE 0x20
#define CB_TRANSLATE 0x40

#define OUT_RESET 0x01   /* active low: 0 asserts system reset */
#define OUT_A20 0x02

static void update_irq(struct i8042 *k)
{
    bool kbd = false, aux = false;
    if (k->q_count) {
        const struct i8042_out_byte *b = &k->queue[k->q_head];
        if (b->source == 1)
            aux = k->ram[0] & CB_AUX_INT;
        else
            kbd = k->ram[0] & CB_KBD_INT;
    }
    if (kbd != k->kbd_irq) {
        k->kbd_irq = kbd;
        if (k->env.set_irq)
            device_set_irq(&k->env, I8042_KBD_IRQ, kbd);
    }
    if (aux != k->aux_irq) {
        k->aux_irq = aux;
        if (k->env.set_irq)
            device_set_irq(&k->env, I8042_AUX_IRQ, aux);
    }
}

static void queue_byte(struct i8042 *k, uint8_t data, uint8_t source, bool timeout)
{
    if (k->q_count >= I8042_QUEUE_SIZE)
        return;   /* keyboard buffer overrun: the byte is lost */
    k->queue[(k->q_head + k->q_count) % I8042_QUEUE_SIZE] =
        (struct i8042_out_byte){.data = data, .source = source, .timeout = timeout};
    k->q_count++;
    update_irq(k);
}

static void queue_ctrl(struct i8042 *k, uint8_t data)
{
    queue_byte(k, data, 0, false);
}

static bool a20_of(const struct i8042 *k)
{
    return (k->output_port & OUT_A20) || (k->port92 & 0x02);
}

bool i8042_a20_enabled(const struct i8042 *k)
{
    return a20_of(k);
}

static void set_a20_sources(struct i8042 *k, uint8_t output_port, uint8_t port92)
{
    bool before = a20_of(k);
    k->output_port = output_port;
    k->port92 = port92;
    bool after = a20_of(k);
    if (before != after && k->cb.set_a20)
        k->cb.set_a20(k->cb.opaque, after);
}

static void system_reset(struct i8042 *k)
{
    if (k->cb.reset)
        k->cb.reset(k->cb.opaque);
}

static void write_output_port(struct i8042 *k, uint8_t val)
{
    set_a20_sources(k, val | OUT_RESET, k->port92);
    if (!(val & OUT_RESET))
        system_reset(k);
}

bool i8042_translation_enabled(const struct i8042 *k)
{
    return k->ram[0] & CB_TRANSLATE;
}

uint8_t i8042_scancode_set(const struct i8042 *k)
{
    return k->scancode_set;
}

static void kbd_defaults(struct i8042 *k)
{
    k->scancode_set = 2;
    k->kbd_enabled = true;
}

void i8042_kbd_put(struct i8042 *k, const uint8_t *bytes, unsigned n)
{
    if (!k->kbd_enabled || (k->ram[0] & CB_KBD_DISABLE))
        return;
    for (unsigned i = 0; i < n; i++)
        queue_byte(k, bytes[i], 0, false);
}

bool i8042_kbd_key(struct i8042 *k, unsigned hid_usage, bool down)
{
    uint8_t seq[PS2_MAX_SEQUENCE], out[PS2_MAX_SEQUENCE];
    unsigned n = ps2_key_sequence(hid_usage, down, k->scancode_set, seq);
    if (!n)
        return false;
    if (!k->kbd_enabled || (k->ram[0] & CB_KBD_DISABLE))
        return true;
    /* A sequence that does not fit is dropped whole: half a key (a make
     * code without its E0 prefix) would confuse the guest more. */
    if ((unsigned)(I8042_QUEUE_SIZE - k->q_count) < n)
        return true;
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        if (k->scancode_set != 1 && (k->ram[0] & CB_TRANSLATE)) {
            if (ps2_translate_set2(&k->xlat, seq[i], &out[m]))
                m++;
        } else {
            out[m++] = seq[i];
        }
    }
    for (unsigned i = 0; i < m; i++)
        queue_byte(k, out[i], 0, false);
    return true;
}

/* ---- PS/2 mouse ---- */

static void queue_aux(struct i8042 *k, uint8_t data)
{
    queue_byte(k, data, 1, false);
}

static void mouse_defaults(struct ps2_mouse *ms)
{
    ms->reporting = false;
    ms->remote = false;
    ms->scaling21 = false;
    ms->resolution = 2;
    ms->sample_rate = 100;
    ms->pending_cmd = 0;
    ms->dx = ms->dy = ms->dz = 0;
}

static void mouse_reset(struct ps2_mouse *ms)
{
    mouse_defaults(ms);
    ms->wrap = false;
    ms->id = 0;
    ms->rates[0] = ms->rates[1] = ms->rates[2] = 0;
}

static int clamp_take(int32_t *acc, int lo, int hi)
{
    int v = *acc < lo ? lo : *acc > hi ? hi : (int)*acc;
    *acc -= v;
    return v;
}

/* One movement packet from the accumulated motion; false when the queue
 * has no room for a whole packet (the motion waits for the next event). */
static bool mouse_send_packet(struct i8042 *k)
{
    struct ps2_mouse *ms = &k->mouse;
    unsigned size = ms->id == 3 ? 4 : 3;
    if ((unsigned)(I8042_QUEUE_SIZE - k->q_count) < size)
        return false;
    int dx = clamp_take(&ms->dx, -256, 255), dy = clamp_take(&ms->dy, -256, 255);
    int dz = clamp_take(&ms->dz, -8, 7);
    uint8_t b0 = (uint8_t)(0x08 | (ms->buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0));
    queue_aux(k, b0);
    queue_aux(k, (uint8_t)dx);
    queue_aux(k, (uint8_t)dy);
    if (size == 4)
        queue_aux(k, (uint8_t)(dz & 0x0f));
    return true;
}

void i8042_mouse_event(struct i8042 *k, int dx, int dy, int dz, unsigned buttons)
{
    struct ps2_mouse *ms = &k->mouse;
    bool buttons_changed = (buttons & 7) != ms->buttons;
    ms->buttons = buttons & 7;
    if (!ms->reporting || ms->remote || ms->wrap || (k->ram[0] & CB_AUX_DISABLE)) {
        ms->dx = ms->dy = ms->dz = 0;
        return;
    }
    /* Bounded so a burst of host motion cannot grow without limit. */
    ms->dx = ms->dx + dx < -4096 ? -4096 : ms->dx + dx > 4096 ? 4096 : ms->dx + dx;
    ms->dy = ms->dy + dy < -4096 ? -4096 : ms->dy + dy > 4096 ? 4096 : ms->dy + dy;
    if (ms->id == 3)
        ms->dz = ms->dz + dz < -64 ? -64 : ms->dz + dz > 64 ? 64 : ms->dz + dz;
    bool first = true;
    while (first || ms->dx || ms->dy || ms->dz) {
        if (first && !buttons_changed && !ms->dx && !ms->dy && !ms->dz)
            break;
        first = false;
        if (!mouse_send_packet(k))
            break;
    }
}

/* A byte sent to the mouse (controller command 0xD4, then the byte). */
static void mouse_write(struct i8042 *k, uint8_t val)
{
    struct ps2_mouse *ms = &k->mouse;
    if (ms->pending_cmd) {
        uint8_t cmd = ms->pending_cmd;
        ms->pending_cmd = 0;
        if (cmd == 0xf3) {
            ms->sample_rate = val;
            ms->rates[0] = ms->rates[1];
            ms->rates[1] = ms->rates[2];
            ms->rates[2] = val;
            if (ms->rates[0] == 200 && ms->rates[1] == 100 && ms->rates[2] == 80)
                ms->id = 3;
        } else { /* 0xE8 */
            ms->resolution = val & 3;
        }
        queue_aux(k, 0xfa);
        return;
    }
    if (ms->wrap && val != 0xec && val != 0xff) {
        queue_aux(k, val); /* wrap mode echoes everything else */
        return;
    }
    switch (val) {
    case 0xe6: ms->scaling21 = false; queue_aux(k, 0xfa); break;
    case 0xe7: ms->scaling21 = true; queue_aux(k, 0xfa); break;
    case 0xe8: case 0xf3: ms->pending_cmd = val; queue_aux(k, 0xfa); break;
    case 0xe9: /* status request */
        queue_aux(k, 0xfa);
        queue_aux(k, (uint8_t)((ms->remote ? 0x40 : 0) | (ms->reporting ? 0x20 : 0) |
                               (ms->scaling21 ? 0x10 : 0) | (ms->buttons & 7)));
        queue_aux(k, ms->resolution);
        queue_aux(k, ms->sample_rate);
        break;
    case 0xea: ms->remote = false; ms->dx = ms->dy = ms->dz = 0; queue_aux(k, 0xfa); break;
    case 0xeb: /* read data */
        queue_aux(k, 0xfa);
        mouse_send_packet(k);
        break;
    case 0xec: ms->wrap = false; queue_aux(k, 0xfa); break;
    case 0xee: ms->wrap = true; queue_aux(k, 0xfa); break;
    case 0xf0: ms->remote = true; queue_aux(k, 0xfa); break;
    case 0xf2: queue_aux(k, 0xfa); queue_aux(k, ms->id); break;
    case 0xf4: ms->reporting = true; queue_aux(k, 0xfa); break;
    case 0xf5: ms->reporting = false; queue_aux(k, 0xfa); break;
    case 0xf6: mouse_defaults(ms); queue_aux(k, 0xfa); break;
    case 0xfe: queue_aux(k, 0xfa); break; /* resend: our last byte was always an ACK */
    case 0xff: /* reset: ACK, self-test passed, device ID */
        mouse_reset(ms);
        queue_aux(k, 0xfa);
        queue_aux(k, 0xaa);
        queue_aux(k, 0x00);
        break;
    default: queue_aux(k, 0xfe); break; /* not a command: resend */
    }
}

/* A byte sent to the keyboard (data port write with no controller command
 * pending). */
static void kbd_write(struct i8042 *k, uint8_t val)
{
    if (k->kbd_pending_cmd) {
        uint8_t cmd = k->kbd_pending_cmd;
        k->kbd_pending_cmd = 0;
        if (cmd == 0xf0) {
            if (val == 0) {
                queue_ctrl(k, 0xfa);
                uint8_t set = k->scancode_set;
                /* With translation on, the controller converts the answer
                 * like any set-2 code: 1->0x43, 2->0x41, 3->0x3f. */
                if (k->ram[0] & CB_TRANSLATE)
                    set = set == 1 ? 0x43 : set == 2 ? 0x41 : 0x3f;
                queue_ctrl(k, set);
                return;
            }
            if (val >= 1 && val <= 3) {
                k->scancode_set = val;
                queue_ctrl(k, 0xfa);
            } else {
                queue_ctrl(k, 0xfe);
            }
            return;
        }
        queue_ctrl(k, 0xfa);   /* LED state (0xED) or typematic rate (0xF3) */
        return;
    }
    switch (val) {
    case 0xed: /* set LEDs */
    case 0xf3: /* set typematic rate */
    case 0xf0: /* get/set scancode set */
        k->kbd_pending_cmd = val;
        queue_ctrl(k, 0xfa);
        break;
    case 0xee: /* echo */
        queue_ctrl(k, 0xee);
        break;
    case 0xf2: /* identify: MF2 keyboard */
        queue_ctrl(k, 0xfa);
        queue_ctrl(k, 0xab);
        queue_ctrl(k, (k->ram[0] & CB_TRANSLATE) ? 0x41 : 0x83);
        break;
    case 0xf4: /* enable scanning */
        k->kbd_enabled = true;
        queue_ctrl(k, 0xfa);
        break;
    case 0xf5: /* disable scanning and restore defaults */
        kbd_defaults(k);
        k->kbd_enabled = false;
        queue_ctrl(k, 0xfa);
        break;
    case 0xf6: /* set defaults */
        kbd_defaults(k);
        queue_ctrl(k, 0xfa);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa:
    case 0xfb: case 0xfc: case 0xfd: /* set-3 key type commands */
        queue_ctrl(k, 0xfa);
        break;
    case 0xfe: /* resend: the last byte was an ACK in every case we produce */
        queue_ctrl(k, 0xfa);
        break;
    case 0xff: /* reset and self-test (BAT) */
        kbd_defaults(k);
        queue_ctrl(k, 0xfa);
        queue_ctrl(k, 0xaa);
        break;
    default:
        queue_ctrl(k, 0xfe);
        break;
    }
}

static void controller_command(struct i8042 *k, uint8_t cmd)
{
    if (cmd >= 0x20 && cmd <= 0x3f) {   /* read internal RAM, 0x20: command byte */
        queue_ctrl(k, k->ram[cmd & 0x1f]);
        return;
    }
    if ((cmd >= 0x60 && cmd <= 0x7f) || cmd == 0xd1 || cmd == 0xd2 || cmd == 0xd3 ||
        cmd == 0xd4) {
        k->pending_cmd = cmd;   /* the data byte follows on port 0x60 */
        return;
    }
    if (cmd >= 0xf0) {
        /* Pulse output port lines whose bit is 0 in the low nibble; bit 0
         * is the system reset line. */
        if (!(cmd & 0x01))
            system_reset(k);
        return;
    }
    switch (cmd) {
    case 0xa1: /* controller version */
        queue_ctrl(k, 0x00);
        break;
    case 0xa7: /* disable aux */
        k->ram[0] |= CB_AUX_DISABLE;
        break;
    case 0xa8: /* enable aux */
        k->ram[0] &= (uint8_t)~CB_AUX_DISABLE;
        break;
    case 0xa9: /* aux interface test: no error */
        queue_ctrl(k, 0x00);
        break;
    case 0xaa: /* controller self-test */
        k->ram[0] |= CB_SYS;
        queue_ctrl(k, 0x55);
        break;
    case 0xab: /* keyboard interface test: no error */
        queue_ctrl(k, 0x00);
        break;
    case 0xad: /* disable keyboard interface */
        k->ram[0] |= CB_KBD_DISABLE;
        break;
    case 0xae: /* enable keyboard interface */
        k->ram[0] &= (uint8_t)~CB_KBD_DISABLE;
        break;
    case 0xc0: /* read input port: keyboard not inhibited */
        queue_ctrl(k, 0x80);
        break;
    case 0xd0: /* read output port */
        queue_ctrl(k, (uint8_t)(k->output_port | (k->q_count ? 0x10 : 0)));
        break;
    case 0xdd: /* disable A20 (HP Vectra) */
        set_a20_sources(k, k->output_port & (uint8_t)~OUT_A20, k->port92);
        break;
    case 0xdf: /* enable A20 */
        set_a20_sources(k, k->output_port | OUT_A20, k->port92);
        break;
    case 0xe0: /* read test inputs */
        queue_ctrl(k, 0x00);
        break;
    default:
        /* Unknown commands are ignored. */
        if (device_logs_guest_errors(&k->env)) {
            char what[64];
            snprintf(what, sizeof(what), "unknown controller command 0x%02x ignored", cmd);
            device_guest_error(&k->env, "i8042", what);
        }
        break;
    }
}

static void data_write(struct i8042 *k, uint8_t val)
{
    uint8_t cmd = k->pending_cmd;
    k->pending_cmd = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
        k->ram[cmd & 0x1f] = val;
        update_irq(k);
        return;
    }
    switch (cmd) {
    case 0xd1:
        write_output_port(k, val);
        break;
    case 0xd2: /* as if the keyboard sent it */
        queue_byte(k, val, 0, false);
        break;
    case 0xd3: /* as if the aux device sent it */
        queue_byte(k, val, 1, false);
        break;
    case 0xd4: /* to the mouse */
        k->ram[0] &= (uint8_t)~CB_AUX_DISABLE;
        mouse_write(k, val);
        break;
    default:
        k->ram[0] &= (uint8_t)~CB_KBD_DISABLE;   /* sending to the keyboard enables its clock */
        kbd_write(k, val);
        break;
    }
}

static uint8_t status(const struct i8042 *k)
{
    uint8_t st = STAT_UNLOCKED;
    if (k->ram[0] & CB_SYS)
        st |= STAT_SYS;
    if (k->last_was_cmd)
        st |= STAT_CMD;
    if (k->q_count) {
        const struct i8042_out_byte *b = &k->queue[k->q_head];
        st |= STAT_OBF;
        if (b->source == 1)
            st |= STAT_AUX_OBF;
        if (b->timeout)
            st |= STAT_TIMEOUT;
    }
    return st;
}

uint32_t i8042_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct i8042 *k = opaque;
    (void)size;
    if (port == I8042_PORT92)
        return (uint32_t)(k->port92 & 0x02);
    if (port == I8042_CMD_PORT)
        return status(k);
    if (port != I8042_DATA_PORT)
        return 0xff;
    if (!k->q_count) {
        /* Reading an empty buffer returns the last byte again. */
        return k->queue[(k->q_head + I8042_QUEUE_SIZE - 1) % I8042_QUEUE_SIZE].data;
    }
    uint8_t v = k->queue[k->q_head].data;
    k->q_head = (uint8_t)((k->q_head + 1) % I8042_QUEUE_SIZE);
    k->q_count--;
    /* Every byte is an interrupt of its own: the 8042 drops IRQ1/IRQ12 when
     * the output buffer is read and raises it again when the next byte
     * arrives from the device. Dropping the line here gives an edge-triggered
     * input (the I/O APIC's ISA pins, the PIC) an edge for each queued byte:
     * otherwise a keyboard's multi-byte answer (FA AB 41 to identify, E0
     * prefixes) would interrupt once and leave the rest unread. */
    if (k->kbd_irq) {
        k->kbd_irq = false;
        if (k->env.set_irq)
            device_set_irq(&k->env, I8042_KBD_IRQ, false);
    }
    if (k->aux_irq) {
        k->aux_irq = false;
        if (k->env.set_irq)
            device_set_irq(&k->env, I8042_AUX_IRQ, false);
    }
    update_irq(k);
    return v;
}

void i8042_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct i8042 *k = opaque;
    (void)size;
    uint8_t val = (uint8_t)value;
    if (port == I8042_PORT92) {
        set_a20_sources(k, k->output_port, val & 0x03);
        if (val & 0x01)   /* fast reset, the bit self-clears */
            system_reset(k);
        k->port92 &= 0x02;
        return;
    }
    if (port == I8042_CMD_PORT) {
        k->last_was_cmd = true;
        k->pending_cmd = 0;
        controller_command(k, val);
    } else if (port == I8042_DATA_PORT) {
        k->last_was_cmd = false;
        data_write(k, val);
    }
}

void i8042_reset(struct i8042 *k)
{
    k->q_head = 0;
    k->q_count = 0;
    memset(k->queue, 0, sizeof(k->queue));
    memset(k->ram, 0, sizeof(k->ram));
    k->ram[0] = CB_KBD_INT | CB_TRANSLATE;
    k->pending_cmd = 0;
    k->kbd_pending_cmd = 0;
    k->last_was_cmd = false;
    kbd_defaults(k);
    k->xlat.pending_break = false;
    mouse_reset(&k->mouse);
    k->mouse.buttons = 0;
    /* A20 enabled after reset, as QEMU and SeaBIOS expect; no callback
     * here: the machine resets its A20 state itself. */
    k->output_port = OUT_RESET | OUT_A20;
    k->port92 = 0;
    update_irq(k);
}

void i8042_init(struct i8042 *k, const struct device_env *env, const struct i8042_callbacks *cb)
{
    memset(k, 0, sizeof(*k));
    if (env)
        k->env = *env;
    if (cb)
        k->cb = *cb;
    i8042_reset(k);
    if (env && env->io) {
        iobus_register(env->io, I8042_DATA_PORT, 1, k, i8042_io_read, i8042_io_write, "i8042-data");
        iobus_register(env->io, I8042_CMD_PORT, 1, k, i8042_io_read, i8042_io_write, "i8042-cmd");
        iobus_register(env->io, I8042_PORT92, 1, k, i8042_io_read, i8042_io_write, "port92");
    }
}

/* Intel 8042 keyboard controller with a PS/2 keyboard (ports 0x60/0x64,
 * IRQ1), plus the A20/reset lines of its output port and port 0x92
 * ("fast A20", PS/2 system control port A), which drive the same A20 line.
 * A PS/2 mouse (with the IntelliMouse wheel) answers on the auxiliary
 * channel (IRQ12). */
#ifndef TURTLES_DEVICES_I8042_H
#define TURTLES_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/ps2_keymap.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_PORT92 0x92
#define I8042_KBD_IRQ 1
#define I8042_AUX_IRQ 12
#define I8042_QUEUE_SIZE 32

typedef void (*i8042_a20_fn)(void *opaque, bool enabled);
typedef void (*i8042_reset_fn)(void *opaque);

struct i8042_callbacks {
    i8042_a20_fn set_a20;       /* may be NULL */
    i8042_reset_fn reset;       /* system reset request; may be NULL */
    void *opaque;
};

/* One byte waiting for the output buffer and where it came from. */
struct i8042_out_byte {
    uint8_t data;
    uint8_t source;   /* 0 controller/keyboard, 1 aux */
    bool timeout;     /* status bit 6 accompanies it (no device answered) */
};

/* The PS/2 mouse (IBM PS/2 Technical Reference, "Pointing Device"), with
 * Microsoft's IntelliMouse extension: sample rates 200, 100, 80 in a row
 * switch it to device ID 3 and 4-byte packets carrying the wheel. */
struct ps2_mouse {
    uint8_t pending_cmd;      /* command waiting for its parameter byte, 0 none */
    bool reporting;           /* stream mode data reporting (0xF4) */
    bool remote;              /* remote mode (0xF0): packets only on 0xEB */
    bool wrap;                /* wrap (echo) mode (0xEE) */
    bool scaling21;           /* 2:1 scaling (0xE7) */
    uint8_t resolution;       /* 0-3: 1, 2, 4, 8 counts/mm */
    uint8_t sample_rate;
    uint8_t id;               /* 0 standard, 3 IntelliMouse */
    uint8_t rates[3];         /* the last three sample rates set */
    uint8_t buttons;          /* bit 0 left, 1 right, 2 middle */
    int32_t dx, dy, dz;       /* motion not yet reported (dy positive: up) */
};

struct i8042 {
    struct i8042_out_byte queue[I8042_QUEUE_SIZE];
    uint8_t q_head, q_count;
    uint8_t ram[32];          /* ram[0] is the command byte */
    uint8_t pending_cmd;      /* controller command waiting for its data byte, 0 none */
    uint8_t kbd_pending_cmd;  /* keyboard command waiting for its parameter, 0 none */
    uint8_t output_port;
    uint8_t port92;
    uint8_t scancode_set;     /* 1-3 */
    bool kbd_enabled;         /* keyboard scanning enabled (0xF4/0xF5) */
    bool last_was_cmd;        /* status bit 3: last write went to 0x64 */
    bool kbd_irq, aux_irq;    /* levels driven on IRQ1/IRQ12 */
    struct ps2_translation xlat; /* set 2 -> set 1 state while translating */
    struct ps2_mouse mouse;
    struct i8042_callbacks cb;
    struct device_env env;
};

void i8042_init(struct i8042 *k, const struct device_env *env, const struct i8042_callbacks *cb);
void i8042_reset(struct i8042 *k);
/* Host key event: raw scancode bytes in the set the guest has selected
 * (translation of set 2 to set 1 is up to the frontend, see
 * i8042_translation_enabled()). Dropped while scanning is disabled. */
void i8042_kbd_put(struct i8042 *k, const uint8_t *bytes, unsigned n);
bool i8042_translation_enabled(const struct i8042 *k);
/* Host key event (USB HID usage, devices/ps2_keymap.h): the keyboard sends
 * the key's codes in its current scan code set, and the controller
 * translates set 2 to set 1 when the command byte says so. A repeated
 * press (typematic) is another down event. Returns false for a key a PC
 * keyboard does not have. */
bool i8042_kbd_key(struct i8042 *k, unsigned hid_usage, bool down);
/* Host mouse event: relative motion (dy positive: up, as PS/2 counts it),
 * wheel steps (positive: towards the user, as IntelliMouse reports), and
 * the buttons held. Sent as packets while the guest has reporting on;
 * motion beyond one packet's range goes out in further packets. */
void i8042_mouse_event(struct i8042 *k, int dx, int dy, int dz, unsigned buttons);
uint8_t i8042_scancode_set(const struct i8042 *k);
bool i8042_a20_enabled(const struct i8042 *k);

uint32_t i8042_io_read(void *opaque, uint16_t port, unsigned size);
void i8042_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size);

#endif

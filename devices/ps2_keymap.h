/* PC keyboard scan codes: which bytes a PS/2 keyboard sends for a key, in
 * scan code set 1 (XT) and set 2 (AT, the keyboard's default), and the
 * 8042 controller's translation of set 2 into set 1 (IBM PS/2 Technical
 * Reference, keyboard and 8042 chapters).
 *
 * Keys are named by their USB HID usage ID (HID Usage Tables, page 7:
 * keyboard), which is also SDL's scancode numbering, so the host side
 * needs no table of its own. */
#ifndef TURTLES_DEVICES_PS2_KEYMAP_H
#define TURTLES_DEVICES_PS2_KEYMAP_H

#include <stdbool.h>
#include <stdint.h>

#define PS2_MAX_SEQUENCE 8

/* HID usage IDs used by name elsewhere (the grab release, tests). */
enum {
    HID_A = 0x04, HID_G = 0x0a, HID_1 = 0x1e, HID_ENTER = 0x28, HID_ESCAPE = 0x29,
    HID_PRINTSCREEN = 0x46, HID_PAUSE = 0x48, HID_KP_ENTER = 0x58, HID_LCTRL = 0xe0,
    HID_LSHIFT = 0xe1, HID_LALT = 0xe2, HID_RCTRL = 0xe4, HID_RALT = 0xe6,
};

/* The bytes a key sends when pressed (down) or released, in scan code set
 * `set` (1 or 2; set 3 keyboards are sent set 2). Returns how many (at
 * most PS2_MAX_SEQUENCE), 0 for a usage no PC keyboard has. Pause sends
 * its whole sequence when pressed and nothing when released, as the real
 * key does. */
unsigned ps2_key_sequence(unsigned hid_usage, bool down, unsigned set, uint8_t *out);

/* The 8042's set 2 -> set 1 translation, one byte at a time: a set-2 break
 * prefix F0 is swallowed and sets bit 7 of the next translated byte.
 * Returns false when `in` produced no byte. */
struct ps2_translation {
    bool pending_break;
};
bool ps2_translate_set2(struct ps2_translation *t, uint8_t in, uint8_t *out);

#endif

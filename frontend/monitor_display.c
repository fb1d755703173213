/* The monitor's display commands (frontend/monitor.h): screendump and
 * sendkey as QEMU spells them, and `info screen`, the text a VGA text
 * mode shows. They work with any display backend and headless. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "devices/ps2_keymap.h"
#include "devices/vga_render.h"
#include "frontend/machine.h"
#include "frontend/monitor.h"
#include "frontend/platform.h"
#include "frontend/screendump.h"

static struct vga *machine_vga(struct monitor *mon)
{
    struct machine *m = monitor_machine(mon);
    return m && m->platform ? m->platform->vga : NULL;
}

/* screendump [-f ppm|png] FILE (the -f also after FILE, as QEMU takes it) */
static int cmd_screendump(struct monitor *mon, int argc, char **argv)
{
    enum screendump_format fmt = SCREENDUMP_PPM;
    const char *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-f")) {
            if (i + 1 >= argc) {
                monitor_error(mon, "screendump: -f needs a format (ppm or png)");
                return -1;
            }
            const char *f = argv[++i];
            if (!strcmp(f, "ppm")) {
                fmt = SCREENDUMP_PPM;
            } else if (!strcmp(f, "png")) {
                fmt = SCREENDUMP_PNG;
            } else {
                monitor_error(mon, "screendump: unknown format '%s' (ppm or png)", f);
                return -1;
            }
        } else if (!file) {
            file = argv[i];
        } else {
            monitor_error(mon, "screendump: unexpected argument '%s'", argv[i]);
            return -1;
        }
    }
    if (!file) {
        monitor_error(mon, "screendump: no file name given");
        return -1;
    }
    struct vga *v = machine_vga(mon);
    if (!v) {
        monitor_error(mon, "screendump: this machine has no display device (-vga none)");
        return -1;
    }
    char err[300];
    if (screendump_vga(v, fmt, file, err, sizeof(err)) < 0) {
        monitor_error(mon, "screendump: %s", err);
        return -1;
    }
    return 0;
}

/* QEMU's key names (its QKeyCode names as sendkey takes them) and the
 * USB HID usage of the key. */
static const struct { const char *name; uint8_t hid; } key_names[] = {
    {"ret", 0x28}, {"esc", 0x29}, {"backspace", 0x2a}, {"tab", 0x2b}, {"spc", 0x2c},
    {"minus", 0x2d}, {"equal", 0x2e}, {"bracket_left", 0x2f}, {"bracket_right", 0x30},
    {"backslash", 0x31}, {"semicolon", 0x33}, {"apostrophe", 0x34}, {"grave_accent", 0x35},
    {"comma", 0x36}, {"dot", 0x37}, {"slash", 0x38}, {"caps_lock", 0x39},
    {"f1", 0x3a}, {"f2", 0x3b}, {"f3", 0x3c}, {"f4", 0x3d}, {"f5", 0x3e}, {"f6", 0x3f},
    {"f7", 0x40}, {"f8", 0x41}, {"f9", 0x42}, {"f10", 0x43}, {"f11", 0x44}, {"f12", 0x45},
    {"print", 0x46}, {"sysrq", 0x46}, {"scroll_lock", 0x47}, {"pause", 0x48},
    {"insert", 0x49}, {"home", 0x4a}, {"pgup", 0x4b}, {"delete", 0x4c}, {"end", 0x4d},
    {"pgdn", 0x4e}, {"right", 0x4f}, {"left", 0x50}, {"down", 0x51}, {"up", 0x52},
    {"num_lock", 0x53}, {"kp_divide", 0x54}, {"kp_multiply", 0x55}, {"kp_subtract", 0x56},
    {"kp_add", 0x57}, {"kp_enter", 0x58}, {"kp_1", 0x59}, {"kp_2", 0x5a}, {"kp_3", 0x5b},
    {"kp_4", 0x5c}, {"kp_5", 0x5d}, {"kp_6", 0x5e}, {"kp_7", 0x5f}, {"kp_8", 0x60},
    {"kp_9", 0x61}, {"kp_0", 0x62}, {"kp_decimal", 0x63}, {"less", 0x64}, {"menu", 0x65},
    {"ctrl", 0xe0}, {"shift", 0xe1}, {"alt", 0xe2}, {"meta_l", 0xe3}, {"ctrl_r", 0xe4},
    {"shift_r", 0xe5}, {"alt_r", 0xe6}, {"altgr", 0xe6}, {"meta_r", 0xe7},
};

static int key_hid(const char *name, size_t len)
{
    if (len == 1 && name[0] >= 'a' && name[0] <= 'z')
        return 0x04 + (name[0] - 'a');
    if (len == 1 && name[0] >= '1' && name[0] <= '9')
        return 0x1e + (name[0] - '1');
    if (len == 1 && name[0] == '0')
        return 0x27;
    for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
        if (strlen(key_names[i].name) == len && !strncasecmp(key_names[i].name, name, len))
            return key_names[i].hid;
    return -1;
}

#define SENDKEY_MAX 16

/* sendkey KEYS: keys joined by '-' are pressed in order and released in
 * the reverse order (ctrl-alt-f1, shift-a, ret). The optional hold time
 * of QEMU's sendkey is accepted; the keys go to the keyboard at once. */
static int cmd_sendkey(struct monitor *mon, int argc, char **argv)
{
    if (argc < 1 || argc > 2) {
        monitor_error(mon, "sendkey: usage: sendkey KEYS [HOLD_MS] (e.g. ctrl-alt-f1)");
        return -1;
    }
    struct machine *m = monitor_machine(mon);
    if (!m || !m->platform) {
        monitor_error(mon, "sendkey: no keyboard");
        return -1;
    }
    int keys[SENDKEY_MAX], n = 0;
    const char *p = argv[0];
    while (*p) {
        /* "-" alone or at the end names the minus key: "ctrl-minus" is
         * spelled out, so a '-' is always a separator here. */
        size_t len = strcspn(p, "-");
        int hid = len ? key_hid(p, len) : -1;
        if (hid < 0) {
            monitor_error(mon, "sendkey: unknown key '%.*s'", (int)(len ? len : 1), p);
            return -1;
        }
        if (n == SENDKEY_MAX) {
            monitor_error(mon, "sendkey: at most %d keys at once", SENDKEY_MAX);
            return -1;
        }
        keys[n++] = hid;
        p += len;
        if (*p == '-') {
            p++;
            if (!*p) {
                monitor_error(mon, "sendkey: '%s' ends with '-'", argv[0]);
                return -1;
            }
        }
    }
    struct i8042 *k = &m->platform->kbd;
    for (int i = 0; i < n; i++)
        i8042_kbd_key(k, (unsigned)keys[i], true);
    for (int i = n - 1; i >= 0; i--)
        i8042_kbd_key(k, (unsigned)keys[i], false);
    return 0;
}

/* info screen: the characters of a text mode, or what a graphics mode is. */
static int cmd_info_screen(struct monitor *mon, int argc, char **argv)
{
    (void)argv;
    if (argc) {
        monitor_error(mon, "info screen: takes no arguments");
        return -1;
    }
    struct vga *v = machine_vga(mon);
    if (!v) {
        monitor_error(mon, "info screen: this machine has no display device (-vga none)");
        return -1;
    }
    static char text[256 * 130 + 1];
    int cols = 0;
    int rows = vga_text_screen(v, text, sizeof(text), &cols);
    if (rows > 0) {
        monitor_printf(mon, "text %dx%d\n%s", cols, rows, text);
        return 0;
    }
    struct vga_render_mode md;
    vga_render_mode_of(v, &md);
    if (md.kind == VGA_RENDER_VBE)
        monitor_printf(mon, "graphics %dx%d %u bpp (VBE)\n", md.width, md.height, md.bpp);
    else if (md.kind == VGA_RENDER_BLANK)
        monitor_printf(mon, "blank %dx%d\n", md.width, md.height);
    else
        monitor_printf(mon, "graphics %dx%d (VGA)\n", md.width, md.height);
    return 0;
}

const struct monitor_command monitor_display_commands[] = {
    {"screendump", "[-f ppm|png] FILE", "write the screen to FILE (PPM, or PNG with -f png)",
     "The picture of the display device as it is now, in any mode, also\n"
     "without a window (-display none).", cmd_screendump},
    {"sendkey", "KEYS [HOLD_MS]", "press and release keys, QEMU's names: ctrl-alt-f1, ret, a",
     "Keys joined by '-' go down in order and come up in reverse order.\n"
     "Names: a-z 0-9 ret esc spc tab backspace f1-f12 up down left right\n"
     "home end pgup pgdn insert delete ctrl shift alt ctrl_r alt_r meta_l\n"
     "minus equal comma dot slash kp_0-kp_9 kp_enter print pause ...", cmd_sendkey},
    {"info screen", "", "the text of a VGA text screen, or the graphics mode shown", NULL,
     cmd_info_screen},
    {NULL, NULL, NULL, NULL, NULL},
};

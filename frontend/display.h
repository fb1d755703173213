/* The display: shows the VGA's picture on the host and feeds host keys
 * and mouse to the i8042, through a display backend (DESIGN.md: a small
 * struct of function pointers; `sdl` is the one window backend, and no
 * backend at all is -display none / -nographic).
 *
 * The machine loop calls display_tick() often; it does work only at the
 * refresh rate (60 Hz host time), and then only for what the guest
 * changed (devices/vga_render.h), so an idle screen costs nothing. */
#ifndef TURTLES_FRONTEND_DISPLAY_H
#define TURTLES_FRONTEND_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/i8042.h"
#include "devices/vga.h"
#include "devices/vga_render.h"
#include "frontend/options.h"

#define DISPLAY_REFRESH_NS (1000000000ull / 60)

struct display;

struct display_backend {
    const char *name;
    /* Open the window; -1 with a one-line reason in err. */
    int (*open)(struct display *d, char *err, size_t errlen);
    /* Show f; scan lines [y0, y1) changed (all of them after a resize). */
    void (*update)(struct display *d, const struct vga_frame *f, int y0, int y1);
    /* Deliver host events through display_key(), display_mouse(),
     * display_grab_click(), display_close_request(). */
    void (*poll)(struct display *d);
    void (*set_title)(struct display *d, const char *title);
    void (*set_grab)(struct display *d, bool grab);
    void (*close)(struct display *d);
};

struct display {
    const struct display_backend *be;
    void *be_state;           /* the backend's own */
    struct vga *vga;          /* NULL with -vga none: the window stays black */
    struct i8042 *kbd;
    struct vga_frame frame;
    const char *name;         /* -name, for the title */
    bool window_close_off;    /* -display sdl,window-close=off */
    bool quit;                /* the window was closed */
    bool grabbed;
    bool ctrl_l, ctrl_r, alt_l, alt_r; /* for the Ctrl-Alt-G release */
    bool hotkey_down;         /* G went down as the release hotkey: swallow its release */
    uint64_t next_tick_ns;
    char title[192];
};

/* Chooses the display from the options: -display sdl, -display none,
 * -nographic, or (none of those) SDL when $DISPLAY or $WAYLAND_DISPLAY is
 * set and SDL starts, else no display and o->nographic set, with the line
 * for stderr that says so in note (printed once the machine has started,
 * so a start that fails still prints one line). Returns the display
 * (NULL: none), or sets *failed after printing why an explicitly asked
 * display could not open. */
struct display *display_open(struct options *o, bool *failed, char *note, size_t notelen);
/* Where the picture and the input go (after the devices exist). */
void display_attach(struct display *d, struct vga *vga, struct i8042 *kbd);
void display_close(struct display *d);

/* Called from the machine loop: at most every DISPLAY_REFRESH_NS of host
 * time, handles host events, redraws what changed and the title. Returns
 * true when the user closed the window (turtles should quit). */
bool display_tick(struct display *d, bool paused, bool nonroot);

/* The backends' reports (HID usage IDs, as SDL scancodes are). */
void display_key(struct display *d, unsigned hid_usage, bool down);
void display_mouse(struct display *d, int dx, int dy, int dz, unsigned buttons);
void display_grab_click(struct display *d);
void display_close_request(struct display *d);

/* The backends (NULL when turtles was built without that library). */
const struct display_backend *display_sdl_backend(void);

#endif

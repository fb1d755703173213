/* The display core (frontend/display.h): backend choice, refresh pacing,
 * title, and host input to the i8042. */
#define _POSIX_C_SOURCE 200809L
#include "frontend/display.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

static struct display *try_open(const struct display_backend *be, const struct options *o,
                                char *err, size_t errlen)
{
    struct display *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->be = be;
    d->name = o->name ? o->name : "turtles";
    d->window_close_off = o->window_close_off;
    vga_frame_init(&d->frame);
    if (be->open(d, err, errlen) < 0) {
        free(d);
        return NULL;
    }
    return d;
}

struct display *display_open(struct options *o, bool *failed, char *note, size_t notelen)
{
    *failed = false;
    if (notelen)
        note[0] = 0;
    char err[256] = "";
    const struct display_backend *sdl = display_sdl_backend();
    if (o->nographic || (o->display && !strcmp(o->display, "none")))
        return NULL;
    if (o->display && !strcmp(o->display, "sdl")) {
        /* Without a display server SDL may still start on another video
         * driver (the Linux console's KMS, an offscreen one): only when
         * $SDL_VIDEODRIVER asks for that. */
        if (!env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY") && !env_set("SDL_VIDEODRIVER")) {
            fprintf(stderr, "turtles: -display sdl: neither $DISPLAY nor $WAYLAND_DISPLAY is set\n");
            *failed = true;
            return NULL;
        }
        if (!sdl) {
            fprintf(stderr, "turtles: -display sdl: this turtles was built without SDL2\n");
            *failed = true;
            return NULL;
        }
        struct display *d = try_open(sdl, o, err, sizeof(err));
        if (!d) {
            fprintf(stderr, "turtles: -display sdl: %s\n", err);
            *failed = true;
        }
        return d;
    }
    /* No choice given: a window when there is somewhere to show it. */
    const char *why = NULL;
    struct display *d = NULL;
    if (!sdl)
        why = "built without SDL2";
    else if (!env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY"))
        why = "neither $DISPLAY nor $WAYLAND_DISPLAY is set";
    else if (!(d = try_open(sdl, o, err, sizeof(err))))
        why = err;
    if (d) {
        o->display = "sdl";
        return d;
    }
    snprintf(note, notelen, "turtles: no display (%s): running as with -nographic", why);
    o->nographic = true;
    return NULL;
}

void display_attach(struct display *d, struct vga *vga, struct i8042 *kbd)
{
    if (!d)
        return;
    d->vga = vga;
    d->kbd = kbd;
    if (vga)
        vga_mark_all_dirty(vga);
}

void display_close(struct display *d)
{
    if (!d)
        return;
    d->be->close(d);
    vga_frame_free(&d->frame);
    free(d);
}

static void update_title(struct display *d, bool paused, bool nonroot)
{
    char t[sizeof(d->title)];
    snprintf(t, sizeof(t), "turtles: %s [%s, %s] - %s", d->name, paused ? "paused" : "running",
             nonroot ? "non-root" : "root",
             d->grabbed ? "Ctrl-Alt-G releases the mouse" : "click to grab the mouse");
    if (strcmp(t, d->title)) {
        memcpy(d->title, t, sizeof(t));
        d->be->set_title(d, d->title);
    }
}

static void set_grab(struct display *d, bool grab)
{
    if (d->grabbed == grab)
        return;
    d->grabbed = grab;
    d->be->set_grab(d, grab);
}

void display_key(struct display *d, unsigned hid, bool down)
{
    switch (hid) {
    case HID_LCTRL: d->ctrl_l = down; break;
    case HID_RCTRL: d->ctrl_r = down; break;
    case HID_LALT: d->alt_l = down; break;
    case HID_RALT: d->alt_r = down; break;
    default: break;
    }
    /* Ctrl-Alt-G (QEMU's grab hotkey) is the host's: it releases the grab
     * and the guest sees neither its press nor its release. */
    if (hid == HID_G && down && (d->ctrl_l || d->ctrl_r) && (d->alt_l || d->alt_r)) {
        d->hotkey_down = true;
        set_grab(d, false);
        return;
    }
    if (hid == HID_G && !down && d->hotkey_down) {
        d->hotkey_down = false;
        return;
    }
    if (d->kbd)
        i8042_kbd_key(d->kbd, hid, down);
}

void display_mouse(struct display *d, int dx, int dy, int dz, unsigned buttons)
{
    if (d->grabbed && d->kbd)
        i8042_mouse_event(d->kbd, dx, dy, dz, buttons);
}

void display_grab_click(struct display *d)
{
    set_grab(d, true);
}

void display_close_request(struct display *d)
{
    if (!d->window_close_off)
        d->quit = true;
}

bool display_tick(struct display *d, bool paused, bool nonroot)
{
    uint64_t now = host_ns();
    if (now < d->next_tick_ns)
        return false;
    d->next_tick_ns = now + DISPLAY_REFRESH_NS;
    d->be->poll(d);
    if (d->quit)
        return true;
    update_title(d, paused, nonroot);
    if (!d->vga)
        return false;
    int y0, y1;
    int old_w = d->frame.width, old_h = d->frame.height;
    int n = vga_render(d->vga, &d->frame, true, now / 1000000, &y0, &y1);
    if (n > 0) {
        if (d->frame.width != old_w || d->frame.height != old_h) {
            y0 = 0;
            y1 = d->frame.height;
        }
        d->be->update(d, &d->frame, y0, y1);
    }
    return false;
}

/* The SDL2 display backend (frontend/display.h): one window, the VGA
 * picture in a streaming texture scaled to the window with its aspect
 * kept (letterboxed), keys by scancode (SDL's scancodes are USB HID usage
 * IDs), the mouse in relative mode while grabbed. SDL runs in the main
 * thread, polled by display_tick(). */
#include "frontend/display.h"

#ifdef TURTLES_HAVE_SDL

#include <SDL.h>
#include <stdlib.h>

struct sdl_state {
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    int tex_w, tex_h;
    unsigned buttons;   /* PS/2 order: bit 0 left, 1 right, 2 middle */
};

static struct sdl_state *st(struct display *d)
{
    return d->be_state;
}

/* A window for a small picture (320x200) starts at twice its size. */
static void window_size_for(int w, int h, int *ww, int *wh)
{
    int scale = (w <= 400 && h <= 300) ? 2 : 1;
    *ww = w * scale;
    *wh = h * scale;
}

static int sdl_open(struct display *d, char *err, size_t errlen)
{
    /* turtles' own SIGINT/SIGTERM handling stops the machine cleanly. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        snprintf(err, errlen, "SDL_Init failed: %s", SDL_GetError());
        return -1;
    }
    struct sdl_state *s = calloc(1, sizeof(*s));
    if (!s) {
        SDL_Quit();
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->window = SDL_CreateWindow("turtles", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 640,
                                 480, SDL_WINDOW_RESIZABLE);
    if (s->window) {
        s->renderer = SDL_CreateRenderer(s->window, -1, 0);
        if (!s->renderer) /* no GPU (Xvfb, a remote X server): software */
            s->renderer = SDL_CreateRenderer(s->window, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!s->window || !s->renderer) {
        snprintf(err, errlen, "cannot open a window: %s", SDL_GetError());
        if (s->window)
            SDL_DestroyWindow(s->window);
        free(s);
        SDL_Quit();
        return -1;
    }
    /* Smooth scaling for odd window sizes; the aspect stays the picture's. */
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    SDL_RenderSetLogicalSize(s->renderer, 640, 480);
    SDL_SetRenderDrawColor(s->renderer, 0, 0, 0, 255);
    SDL_RenderClear(s->renderer);
    SDL_RenderPresent(s->renderer);
    d->be_state = s;
    return 0;
}

static void present(struct sdl_state *s)
{
    SDL_RenderClear(s->renderer);
    if (s->texture)
        SDL_RenderCopy(s->renderer, s->texture, NULL, NULL);
    SDL_RenderPresent(s->renderer);
}

static void sdl_update(struct display *d, const struct vga_frame *f, int y0, int y1)
{
    struct sdl_state *s = st(d);
    if (!s->texture || s->tex_w != f->width || s->tex_h != f->height) {
        if (s->texture)
            SDL_DestroyTexture(s->texture);
        s->texture = SDL_CreateTexture(s->renderer, SDL_PIXELFORMAT_RGB888,
                                       SDL_TEXTUREACCESS_STREAMING, f->width, f->height);
        if (!s->texture)
            return;
        s->tex_w = f->width;
        s->tex_h = f->height;
        SDL_RenderSetLogicalSize(s->renderer, f->width, f->height);
        if (!(SDL_GetWindowFlags(s->window) & (SDL_WINDOW_MAXIMIZED | SDL_WINDOW_FULLSCREEN))) {
            int ww, wh;
            window_size_for(f->width, f->height, &ww, &wh);
            SDL_SetWindowSize(s->window, ww, wh);
        }
        y0 = 0;
        y1 = f->height;
    }
    SDL_Rect r = {0, y0, f->width, y1 - y0};
    SDL_UpdateTexture(s->texture, &r, f->pixels + (size_t)y0 * (size_t)f->width,
                      f->width * (int)sizeof(uint32_t));
    present(s);
}

static unsigned ps2_button(uint8_t sdl_button)
{
    switch (sdl_button) {
    case SDL_BUTTON_LEFT: return 1;
    case SDL_BUTTON_RIGHT: return 2;
    case SDL_BUTTON_MIDDLE: return 4;
    default: return 0;
    }
}

static void sdl_poll(struct display *d)
{
    struct sdl_state *s = st(d);
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        switch (e.type) {
        case SDL_QUIT:
            display_close_request(d);
            break;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_CLOSE)
                display_close_request(d);
            else if (e.window.event == SDL_WINDOWEVENT_EXPOSED ||
                     e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                present(s);
            else if (e.window.event == SDL_WINDOWEVENT_FOCUS_LOST)
                d->ctrl_l = d->ctrl_r = d->alt_l = d->alt_r = false;
            break;
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            /* A held key repeats as further presses, as a PS/2 keyboard's
             * typematic repeat does. */
            display_key(d, (unsigned)e.key.keysym.scancode, e.type == SDL_KEYDOWN);
            break;
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP: {
            if (!d->grabbed) {
                if (e.type == SDL_MOUSEBUTTONDOWN && e.button.button == SDL_BUTTON_LEFT)
                    display_grab_click(d); /* the grabbing click is not the guest's */
                break;
            }
            unsigned b = ps2_button(e.button.button);
            if (e.type == SDL_MOUSEBUTTONDOWN)
                s->buttons |= b;
            else
                s->buttons &= ~b;
            display_mouse(d, 0, 0, 0, s->buttons);
            break;
        }
        case SDL_MOUSEMOTION:
            /* SDL's y grows downwards, PS/2's upwards. */
            if (d->grabbed)
                display_mouse(d, e.motion.xrel, -e.motion.yrel, 0, s->buttons);
            break;
        case SDL_MOUSEWHEEL:
            /* Wheel away from the user (SDL y > 0) is a negative
             * IntelliMouse Z count. */
            if (d->grabbed)
                display_mouse(d, 0, 0, -e.wheel.y, s->buttons);
            break;
        default:
            break;
        }
    }
}

static void sdl_set_title(struct display *d, const char *title)
{
    SDL_SetWindowTitle(st(d)->window, title);
}

static void sdl_set_grab(struct display *d, bool grab)
{
    struct sdl_state *s = st(d);
    SDL_SetWindowGrab(s->window, grab ? SDL_TRUE : SDL_FALSE);
    SDL_SetRelativeMouseMode(grab ? SDL_TRUE : SDL_FALSE);
    if (!grab)
        s->buttons = 0;
}

static void sdl_close(struct display *d)
{
    struct sdl_state *s = st(d);
    if (!s)
        return;
    if (s->texture)
        SDL_DestroyTexture(s->texture);
    SDL_DestroyRenderer(s->renderer);
    SDL_DestroyWindow(s->window);
    free(s);
    d->be_state = NULL;
    /* No SDL_Quit: it unloads the X11 libraries SDL opened, whose
     * allocations a leak checker then cannot name (the process is ending;
     * the X server drops the window and any grab with the connection). */
}

static const struct display_backend sdl_backend = {
    .name = "sdl",
    .open = sdl_open,
    .update = sdl_update,
    .poll = sdl_poll,
    .set_title = sdl_set_title,
    .set_grab = sdl_set_grab,
    .close = sdl_close,
};

const struct display_backend *display_sdl_backend(void)
{
    return &sdl_backend;
}

#else /* built without SDL2 */

const struct display_backend *display_sdl_backend(void)
{
    return 0;
}

#endif

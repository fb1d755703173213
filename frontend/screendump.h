/* Writing the screen to a file: QEMU's `screendump` (PPM, the default) and
 * PNG through libpng. The picture is a full render of the VGA's current
 * state (devices/vga_render.h), so it works with any display backend or
 * none, and does not disturb the window's incremental updates. */
#ifndef TURTLES_FRONTEND_SCREENDUMP_H
#define TURTLES_FRONTEND_SCREENDUMP_H

#include <stddef.h>

#include "devices/vga_render.h"

enum screendump_format { SCREENDUMP_PPM, SCREENDUMP_PNG };

/* Writes f's pixels to path. Returns 0, or -1 with a one-line reason in
 * err ("cannot write /x: No such file or directory"). */
int screendump_write_frame(const struct vga_frame *f, enum screendump_format fmt,
                           const char *path, char *err, size_t errlen);

/* Renders v afresh and writes it. Returns 0 or -1 with err set. */
int screendump_vga(struct vga *v, enum screendump_format fmt, const char *path, char *err,
                   size_t errlen);

#endif

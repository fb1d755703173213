/* Screen to file (frontend/screendump.h). */
#include "frontend/screendump.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *path, const char *why)
{
    snprintf(err, errlen, "cannot write %s: %s", path, why);
    return -1;
}

static void rgb_row(const struct vga_frame *f, int y, uint8_t *out)
{
    const uint32_t *p = f->pixels + (size_t)y * (size_t)f->width;
    for (int x = 0; x < f->width; x++) {
        out[3 * x] = (uint8_t)(p[x] >> 16);
        out[3 * x + 1] = (uint8_t)(p[x] >> 8);
        out[3 * x + 2] = (uint8_t)p[x];
    }
}

static int write_ppm(const struct vga_frame *f, FILE *out, uint8_t *row)
{
    /* Netpbm P6: binary RGB, maximum value 255. */
    if (fprintf(out, "P6\n%d %d\n255\n", f->width, f->height) < 0)
        return -1;
    for (int y = 0; y < f->height; y++) {
        rgb_row(f, y, row);
        if (fwrite(row, 3, (size_t)f->width, out) != (size_t)f->width)
            return -1;
    }
    return 0;
}

/* libpng reports errors by longjmp: nothing with automatic storage that is
 * changed after setjmp is read after it. */
static int write_png(const struct vga_frame *f, FILE *out, uint8_t *row)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png)
        return -1;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, out);
    png_set_IHDR(png, info, (png_uint_32)f->width, (png_uint_32)f->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < f->height; y++) {
        rgb_row(f, y, row);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int screendump_write_frame(const struct vga_frame *f, enum screendump_format fmt,
                           const char *path, char *err, size_t errlen)
{
    if (!f->valid || f->width <= 0 || f->height <= 0)
        return fail(err, errlen, path, "no picture");
    uint8_t *row = malloc((size_t)f->width * 3);
    if (!row)
        return fail(err, errlen, path, "out of memory");
    FILE *out = fopen(path, "wb");
    if (!out) {
        free(row);
        return fail(err, errlen, path, strerror(errno));
    }
    int r = fmt == SCREENDUMP_PNG ? write_png(f, out, row) : write_ppm(f, out, row);
    int saved = errno;
    free(row);
    if (fclose(out) != 0 && r == 0) {
        saved = errno;
        r = -1;
    }
    if (r < 0) {
        remove(path);
        return fail(err, errlen, path, saved ? strerror(saved) : "write error");
    }
    return 0;
}

int screendump_vga(struct vga *v, enum screendump_format fmt, const char *path, char *err,
                   size_t errlen)
{
    struct vga_frame f;
    vga_frame_init(&f);
    int y0, y1;
    int r;
    if (vga_render(v, &f, false, 0, &y0, &y1) < 0)
        r = fail(err, errlen, path, "out of memory");
    else
        r = screendump_write_frame(&f, fmt, path, err, errlen);
    vga_frame_free(&f);
    return r;
}

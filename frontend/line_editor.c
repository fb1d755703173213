#define _POSIX_C_SOURCE 200809L
/* The monitor's line editor (see line_editor.h). Terminal control is the
 * ANSI/VT100 subset every terminal emulator understands: CR, "ESC [ K"
 * (erase to end of line) and "ESC [ N D" (cursor left N). */
#include "frontend/line_editor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define LE_MAX 1024
#define LE_HISTORY 64

struct line_editor {
    int in_fd, out_fd;
    const char *prompt;
    bool raw;
    struct termios saved;
    char line[LE_MAX + 1];
    size_t len, pos;
    char *history[LE_HISTORY];
    int nhistory;
    int browse;      /* history entry shown: nhistory = the line being typed */
    char draft[LE_MAX + 1];
    int esc;         /* 0, 1 after ESC, 2 after ESC [ */
    char esc_arg;
};

static void out(struct line_editor *ed, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(ed->out_fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void outs(struct line_editor *ed, const char *s)
{
    out(ed, s, strlen(s));
}

struct line_editor *line_editor_new(int in_fd, int out_fd, const char *prompt, bool own_tty)
{
    struct line_editor *ed = calloc(1, sizeof(*ed));
    if (!ed)
        return NULL;
    ed->in_fd = in_fd;
    ed->out_fd = out_fd;
    ed->prompt = prompt;
    if (own_tty && tcgetattr(in_fd, &ed->saved) == 0) {
        struct termios t = ed->saved;
        /* Byte by byte, no echo; signals (Ctrl-C) still stop turtles. */
        t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        t.c_iflag &= ~(tcflag_t)ICRNL;
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        ed->raw = tcsetattr(in_fd, TCSANOW, &t) == 0;
    }
    return ed;
}

void line_editor_free(struct line_editor *ed)
{
    if (!ed)
        return;
    if (ed->raw)
        tcsetattr(ed->in_fd, TCSANOW, &ed->saved);
    for (int i = 0; i < ed->nhistory; i++)
        free(ed->history[i]);
    free(ed);
}

/* Redraw the prompt and the line, the cursor at pos. */
static void refresh(struct line_editor *ed)
{
    outs(ed, "\r");
    outs(ed, ed->prompt);
    out(ed, ed->line, ed->len);
    outs(ed, "\x1b[K");
    if (ed->len > ed->pos) {
        char back[24];
        snprintf(back, sizeof(back), "\x1b[%zuD", ed->len - ed->pos);
        outs(ed, back);
    }
}

void line_editor_prompt(struct line_editor *ed)
{
    if (ed)
        refresh(ed);
}

void line_editor_clear(struct line_editor *ed)
{
    if (ed)
        outs(ed, "\r\x1b[K");
}

static void set_line(struct line_editor *ed, const char *s)
{
    size_t n = strlen(s);
    if (n > LE_MAX)
        n = LE_MAX;
    memcpy(ed->line, s, n);
    ed->line[n] = '\0';
    ed->len = ed->pos = n;
}

static void browse(struct line_editor *ed, int to)
{
    if (to < 0 || to > ed->nhistory)
        return;
    if (ed->browse == ed->nhistory) {
        ed->line[ed->len] = '\0';
        memcpy(ed->draft, ed->line, ed->len + 1);
    }
    ed->browse = to;
    set_line(ed, to == ed->nhistory ? ed->draft : ed->history[to]);
    refresh(ed);
}

static void remember(struct line_editor *ed)
{
    if (!ed->len)
        return;
    if (ed->nhistory && !strcmp(ed->history[ed->nhistory - 1], ed->line))
        return; /* the same command again: one entry */
    char *copy = strdup(ed->line);
    if (!copy)
        return;
    if (ed->nhistory == LE_HISTORY) {
        free(ed->history[0]);
        memmove(ed->history, ed->history + 1, (LE_HISTORY - 1) * sizeof(ed->history[0]));
        ed->nhistory--;
    }
    ed->history[ed->nhistory++] = copy;
}

static void escape_key(struct line_editor *ed, char ch)
{
    switch (ch) {
    case 'A': browse(ed, ed->browse - 1); break;
    case 'B': browse(ed, ed->browse + 1); break;
    case 'C': if (ed->pos < ed->len) { ed->pos++; refresh(ed); } break;
    case 'D': if (ed->pos > 0) { ed->pos--; refresh(ed); } break;
    case 'H': ed->pos = 0; refresh(ed); break;
    case 'F': ed->pos = ed->len; refresh(ed); break;
    case '~':
        if (ed->esc_arg == '1' || ed->esc_arg == '7') {
            ed->pos = 0;
        } else if (ed->esc_arg == '4' || ed->esc_arg == '8') {
            ed->pos = ed->len;
        } else if (ed->esc_arg == '3' && ed->pos < ed->len) { /* Delete */
            memmove(ed->line + ed->pos, ed->line + ed->pos + 1, ed->len - ed->pos - 1);
            ed->len--;
        }
        refresh(ed);
        break;
    default:
        break;
    }
}

int line_editor_feed(struct line_editor *ed, char ch, char *outbuf, size_t outsize)
{
    if (ed->esc == 1) {
        ed->esc = (ch == '[' || ch == 'O') ? 2 : 0;
        ed->esc_arg = 0;
        return 0;
    }
    if (ed->esc == 2) {
        if (ch >= '0' && ch <= '9') {
            ed->esc_arg = ch;
            return 0;
        }
        ed->esc = 0;
        escape_key(ed, ch);
        return 0;
    }
    switch (ch) {
    case '\r':
    case '\n': {
        outs(ed, "\r\n");
        ed->line[ed->len] = '\0';
        remember(ed);
        snprintf(outbuf, outsize, "%s", ed->line);
        ed->len = ed->pos = 0;
        ed->browse = ed->nhistory;
        return 1;
    }
    case 0x1b:
        ed->esc = 1;
        return 0;
    case 0x7f:
    case 0x08: /* backspace */
        if (ed->pos > 0) {
            memmove(ed->line + ed->pos - 1, ed->line + ed->pos, ed->len - ed->pos);
            ed->pos--;
            ed->len--;
            refresh(ed);
        }
        return 0;
    case 0x02: /* Ctrl-B */
        escape_key(ed, 'D');
        return 0;
    case 0x06: /* Ctrl-F */
        escape_key(ed, 'C');
        return 0;
    case 0x05: /* Ctrl-E */
        escape_key(ed, 'F');
        return 0;
    case 0x10: /* Ctrl-P */
        escape_key(ed, 'A');
        return 0;
    case 0x0e: /* Ctrl-N */
        escape_key(ed, 'B');
        return 0;
    case 0x15: /* Ctrl-U: the whole line */
        ed->len = ed->pos = 0;
        refresh(ed);
        return 0;
    default:
        if ((unsigned char)ch < 0x20 || ed->len >= LE_MAX)
            return 0;
        memmove(ed->line + ed->pos + 1, ed->line + ed->pos, ed->len - ed->pos);
        ed->line[ed->pos++] = ch;
        ed->len++;
        if (ed->pos == ed->len)
            out(ed, &ch, 1);
        else
            refresh(ed);
        return 0;
    }
}

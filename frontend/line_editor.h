/* A small line editor for the monitor on a terminal: insert and delete
 * anywhere in the line (arrows, Home/End, Ctrl-B/F/E, backspace, Ctrl-U),
 * and a history walked with the up and down arrows. It is fed the bytes
 * the terminal sends (raw mode) and hands over whole lines; it echoes on
 * its own. Not used when stdin is a pipe or a file. */
#ifndef TURTLES_FRONTEND_LINE_EDITOR_H
#define TURTLES_FRONTEND_LINE_EDITOR_H

#include <stdbool.h>
#include <stddef.h>

struct line_editor;

/* own_tty: put in_fd's terminal in raw mode (restored by line_editor_free);
 * false when the serial console's stdio backend has done it already. */
struct line_editor *line_editor_new(int in_fd, int out_fd, const char *prompt, bool own_tty);
void line_editor_free(struct line_editor *ed);
/* Show the prompt and the line being typed. */
void line_editor_prompt(struct line_editor *ed);
/* Erase the prompt line (before other output is printed there). */
void line_editor_clear(struct line_editor *ed);
/* One byte from the terminal. Returns 1 and the finished line (no
 * newline) in out when Enter ended it, 0 otherwise. */
int line_editor_feed(struct line_editor *ed, char ch, char *out, size_t outsize);

#endif

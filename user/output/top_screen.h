/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace top's full screen (ncurses): draws a model (top_model.h) and
 * reads keys. One terminal, so one screen: its state is this file's. The
 * terminal is put back on every way out: top_screen__close, exit(), a
 * fatal signal, or top_screen__restore_now from a signal handler.
 */
#ifndef MEMTRACE_TOP_SCREEN_H
#define MEMTRACE_TOP_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "output/top_model.h"

/* The smallest terminal the screen is drawn in. */
#define TOP_MIN_COLS 80
#define TOP_MIN_ROWS 24

/*
 * Whether stdin and stdout are a terminal of at least TOP_MIN_COLS x
 * TOP_MIN_ROWS: 0, or -ENOTTY, or -ERANGE with its size in *cols, *rows,
 * or -ENOENT when terminfo knows no TERM of that name that can move the
 * cursor (unset, "dumb").
 */
int top_screen__check(int *cols, int *rows);
/*
 * Takes the terminal: ncurses' screen, keys without echo, and stderr kept
 * aside until top_screen__close writes it out (a message would tear the
 * screen). 0 or a negative errno.
 */
int top_screen__open(void);
/* Gives the terminal back and writes out what stderr got meanwhile. Idempotent. */
void top_screen__close(void);
/* The terminal's modes and main screen back, async-signal-safe: for a dying memtrace. */
void top_screen__restore_now(void);

/* What the screen shows beside the model. */
struct top_screen_extra {
	const char *status;		/* the bottom line's message; NULL: the keys */
	const char *stack;		/* the expanded site's lines, each ended by '\n'; or NULL */
	bool editing_filter;		/* '/' pressed: the filter is being typed */
	double refresh_s;
};

void top_screen__draw(const struct top_model *m, const struct top_screen_extra *x);
/* The next key pressed (ncurses' codes), or -1 when none is waiting. */
int top_screen__key(void);
/* The fd to watch for keys. */
int top_screen__input_fd(void);

/*
 * A sparkline of n samples, scaled to their largest, in buf: Unicode blocks
 * (U+2581..U+2588) when utf8, else "_.:-=+*#". Tested without a terminal.
 */
const char *top_screen__sparkline(const uint64_t *v, size_t n, bool utf8, char *buf, size_t len);

#endif /* MEMTRACE_TOP_SCREEN_H */

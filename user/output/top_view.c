// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "output/top_batch.h"
#include "output/top_model.h"
#include "output/top_rows.h"
#include "output/top_screen.h"
#include "output/top_view.h"

/* A message on the bottom line stays this many frames, or until the next key. */
#define STATUS_FRAMES 5
#define KEY_ESC 27
#define KEY_CTRL_L 12

struct top_view {
	struct top_view_opts o;
	struct top_model model;
	struct top_stack_lines stack;	/* the expanded site's */
	char status[512];
	int status_frames;
	bool editing_filter;
	bool screen;			/* not --batch */
};

int top_view__check(const struct mt_config *cfg)
{
	int cols, rows, err;

	if (cfg->top_batch)
		return 0;
	err = top_screen__check(&cols, &rows);
	if (err == -ENOTTY)
		fprintf(stderr, "memtrace: top needs a terminal on stdin and stdout; "
				"--batch prints plain text frames instead\n");
	else if (err == -ERANGE)
		fprintf(stderr, "memtrace: top needs a terminal of at least %dx%d, this one is "
				"%dx%d; --batch prints plain text frames instead\n",
			TOP_MIN_COLS, TOP_MIN_ROWS, cols, rows);
	else if (err)
		fprintf(stderr, "memtrace: top cannot draw on this terminal: TERM=%s is no terminal "
				"terminfo knows to move the cursor on; --batch prints plain text "
				"frames instead\n",
			getenv("TERM") ? getenv("TERM") : "(unset)");
	return err;
}

int top_view__open(const struct top_view_opts *opts, struct top_view **out)
{
	struct top_view *v = calloc(1, sizeof(*v));
	int err;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v->o = *opts;
	v->screen = !opts->cfg->top_batch;
	top_model__init(&v->model, opts->cfg->top_refresh_ns / 1e9);
	if (v->screen) {
		err = top_screen__open();
		if (err) {
			fprintf(stderr, "memtrace: cannot take the terminal: %s\n", strerror(-err));
			top_view__free(v);
			return err;
		}
	}
	*out = v;
	return 0;
}

void top_view__free(struct top_view *v)
{
	if (!v)
		return;
	if (v->screen)
		top_screen__close();
	top_model__release(&v->model);
	top_stack_lines__release(&v->stack);
	free(v);
}

static void draw(struct top_view *v)
{
	struct top_screen_extra x = {
		.status = v->status_frames > 0 ? v->status : NULL,
		.stack = v->stack.text,
		.editing_filter = v->editing_filter,
		.refresh_s = v->model.refresh_s,
	};

	top_screen__draw(&v->model, &x);
}

static void say(struct top_view *v, const char *msg, const char *arg)
{
	snprintf(v->status, sizeof(v->status), msg, arg);
	v->status_frames = STATUS_FRAMES;
}

/* The expanded site's stack, from sum. */
static int take_stack(struct top_view *v, const struct run_summary *sum)
{
	const struct top_model *m = &v->model;

	if (!m->expanded) {
		top_stack_lines__release(&v->stack);
		return 0;
	}
	return top_rows__stack(sum, m->expanded_pid, m->expanded_stack, m->expanded_allocator,
			       &v->stack);
}

int top_view__refresh(struct top_view *v, const struct run_summary *sum)
{
	const struct mt_config *cfg = v->o.cfg;
	int err;

	if (v->model.paused && v->screen)
		return 0;
	err = top_rows__collect(sum, &v->model) ?: take_stack(v, sum);
	if (err)
		return err;
	if (!v->screen) {
		/* stdout gone (| head): the frames have no reader; tracing ends as -n would */
		if (top_batch__write(&v->model, (size_t)cfg->top, stdout))
			return SIGTERM;
	} else {
		if (v->status_frames > 0)
			v->status_frames--;
		draw(v);
	}
	return cfg->top_frames && v->model.frames >= cfg->top_frames ? SIGTERM : 0;
}

void top_view__last_frame(struct top_view *v, const struct run_summary *sum)
{
	const struct mt_config *cfg = v->o.cfg;

	if (v->screen || (cfg->top_frames && v->model.frames >= cfg->top_frames))
		return;
	/* a failure was said, or stdout is gone: nothing more to do at the end */
	(void)top_view__refresh(v, sum);
}

/* The s key: a snapshot to -o now, as an --interval one is written. */
static void snapshot_now(struct top_view *v)
{
	struct run_summary sum;
	char *where = NULL;
	int err;

	if (!v->o.cfg->output) {
		say(v, "s: no -o FILE was given: nowhere to write a snapshot%s", "");
		return;
	}
	err = session__snapshot_now(v->o.session, &sum);
	if (err) {
		say(v, "s: cannot take a snapshot: %s", strerror(-err));
		return;
	}
	err = v->o.snapshot(v->o.ctx, &sum, &where);
	run_summary__release(&sum);
	if (err)
		say(v, "s: cannot write the snapshot: %s", strerror(-err));
	else
		say(v, "snapshot written to %s", where ? where : v->o.cfg->output);
	free(where);
}

/* The expanded site's stack now, rather than at the next frame. */
static void load_stack(struct top_view *v)
{
	struct run_summary sum;

	if (!v->model.expanded || session__summarize_now(v->o.session, &sum)) {
		top_stack_lines__release(&v->stack);
		return;
	}
	if (take_stack(v, &sum))
		say(v, "cannot read the stack: %s", strerror(ENOMEM));
	run_summary__release(&sum);
}

static void edit_filter(struct top_view *v, int key)
{
	struct top_model *m = &v->model;
	char f[TOP_FILTER_LEN];
	size_t len = strlen(m->filter);

	snprintf(f, sizeof(f), "%s", m->filter);
	if (key == '\r' || key == '\n' || key == KEY_ENTER) {
		v->editing_filter = false;
		return;
	}
	if (key == KEY_ESC) {
		v->editing_filter = false;
		f[0] = '\0';
	} else if ((key == KEY_BACKSPACE || key == 127 || key == 8) && len) {
		f[len - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(f)) {
		f[len] = (char)key;
		f[len + 1] = '\0';
	}
	top_model__set_filter(m, f);
}

/* The keys that move about the rows. false: not one of them. */
static bool move_key(struct top_view *v, int key)
{
	struct top_model *m = &v->model;
	long page = LINES > 10 ? LINES - 10 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
		top_model__select(m, -1);
		break;
	case KEY_DOWN:
	case 'j':
		top_model__select(m, 1);
		break;
	case KEY_PPAGE:
		top_model__select(m, -page);
		break;
	case KEY_NPAGE:
		top_model__select(m, page);
		break;
	case KEY_HOME:
		top_model__select(m, -(long)m->nr_order);
		break;
	case KEY_END:
		top_model__select(m, (long)m->nr_order);
		break;
	default:
		return false;
	}
	/* the stack shown follows the selection */
	if (m->expanded)
		load_stack(v);
	return true;
}

/* One key; a signal number when it ends tracing. */
static int handle_key(struct top_view *v, int key)
{
	struct top_model *m = &v->model;

	if (v->editing_filter) {
		edit_filter(v, key);
		return 0;
	}
	v->status_frames = 0;
	if (move_key(v, key))
		return 0;
	switch (key) {
	case 'q':
	case 'Q':
		/* as SIGTERM would: CMD gets it too, and the report and snapshot are written */
		return SIGTERM;
	case 'p':
		top_model__set_view(m, TOP_VIEW_PROCESSES);
		break;
	case 't':
		top_model__set_view(m, TOP_VIEW_THREADS);
		break;
	case 'S':
		top_model__set_view(m, TOP_VIEW_SITES);
		break;
	case '\t':
		top_model__set_view(m, (m->view + 1) % TOP_VIEW_COUNT);
		break;
	case '<':
		top_model__move_sort(m, -1);
		break;
	case '>':
		top_model__move_sort(m, 1);
		break;
	case 'r':
		top_model__reverse_sort(m);
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		top_model__toggle_expand(m);
		load_stack(v);
		break;
	case '/':
		v->editing_filter = true;
		break;
	case ' ':
		m->paused = !m->paused;
		break;
	case 'e':
		top_model__toggle_ended(m);
		break;
	case 's':
		snapshot_now(v);
		break;
	case KEY_CTRL_L:
		clearok(curscr, TRUE);
		break;
	default:
		break;
	}
	return 0;
}

int top_view__input(struct top_view *v)
{
	int c, stop = 0;

	while (!stop && (c = top_screen__key()) >= 0)
		stop = handle_key(v, c);
	if (!stop)
		draw(v);
	return stop;
}

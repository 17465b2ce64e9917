/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace top: a run's summary every refresh, as a full screen
 * (top_screen.h) or --batch's text frames (top_batch.h), and the keys that
 * steer it. Tracing itself is the session's, as in a run without top.
 */
#ifndef MEMTRACE_TOP_VIEW_H
#define MEMTRACE_TOP_VIEW_H

#include "account/run_summary.h"
#include "ingest/session.h"
#include "util/config.h"

/*
 * Writes sum as a snapshot to -o now (the s key); *where gets the path
 * written (freed by the caller). 0 or a negative errno, said already.
 */
typedef int (*top_snapshot_fn)(void *ctx, const struct run_summary *sum, char **where);

struct top_view_opts {
	const struct mt_config *cfg;
	struct session *session;
	top_snapshot_fn snapshot;
	void *ctx;
};

struct top_view;

/*
 * Before tracing: whether top can run as asked (a terminal of at least
 * 80x24, or --batch). Prints the one-line reason and returns -ENOTTY or
 * -ERANGE when not.
 */
int top_view__check(const struct mt_config *cfg);
/* Takes the terminal (not with --batch). 0 or a negative errno, said. */
int top_view__open(const struct top_view_opts *opts, struct top_view **out);
/* A new frame from sum: drawn or printed. 0; SIGTERM once -n frames are out; -errno. */
int top_view__refresh(struct top_view *v, const struct run_summary *sum);
/*
 * --batch: the run's end as one frame more, unless -n's frames were all
 * shown: a CMD that ends before the first refresh still has its frame.
 */
void top_view__last_frame(struct top_view *v, const struct run_summary *sum);
/* Keys pressed: 0, a signal number that ends tracing (q), or a negative errno. */
int top_view__input(struct top_view *v);
/* The terminal given back (stderr's lines written out); NULL-safe. */
void top_view__free(struct top_view *v);

#endif /* MEMTRACE_TOP_VIEW_H */

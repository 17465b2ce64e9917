/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace top's model: the rows of a frame (processes, threads, sites),
 * their rates against the frame before, the last minute of live bytes,
 * and what the person chose to see (view, sort column, filter, selection).
 * No terminal here: top_screen.c draws it, top_batch.c prints it, and the
 * unit tests read it. The rows come from a run summary (top_rows.h).
 */
#ifndef MEMTRACE_TOP_MODEL_H
#define MEMTRACE_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOP_NAME_LEN 64		/* a comm, escaped (text_escape.h) */
#define TOP_SITE_NAME_LEN 256	/* "train_step (model.c:42)" */
#define TOP_ALLOCATOR_LEN 24
#define TOP_FILTER_LEN 64
/* the sparkline's minute: at the shortest --refresh, 0.1 s, 600 samples */
#define TOP_HISTORY_S 60.0
#define TOP_HISTORY_MAX 600

enum top_view_kind {
	TOP_VIEW_PROCESSES,
	TOP_VIEW_THREADS,
	TOP_VIEW_SITES,
	TOP_VIEW_COUNT,
};

/*
 * A thread's resource profile (a process's: its threads' summed), as
 * cumulative counters: the model turns them into rates as it does the
 * allocation counters. known stays false until the profile is gathered,
 * and its columns read "-".
 */
struct top_resources {
	bool known;
	uint64_t cpu_ns;		/* on CPU, by the scheduler's clock (not in ticks) */
	uint64_t faults;		/* minor and major page faults */
	uint64_t io_bytes;		/* read and written */
	uint64_t net_bytes;		/* sent and received */
	char bottleneck[16];		/* the verdict: cpu, memory, io, network, gpu, ... */
};

/* A process (tid 0) or a thread. */
struct top_row {
	uint32_t pid, tid;
	char comm[TOP_NAME_LEN];	/* printable already */
	bool exited;			/* its process's image ended (exit, exec): a key, with pid and tid */
	bool ended;			/* it exited, or its process: hidden unless show_ended */
	uint64_t live, peak, allocated, freed;
	bool has_gpu;			/* the process probed a GPU library or made a GPU call */
	uint64_t gpu_live;
	double alloc_rate, free_rate;	/* bytes/s since the frame before: the model's */
	struct top_resources res;
	/* res as rates since the frame before: the model's */
	double cpu_pct, faults_rate, io_rate, net_rate;
};

/* A (process, allocator, stack) with live blocks. */
struct top_site {
	uint32_t pid, stack;
	uint64_t stack_id;		/* the kernel's: a stack table entry can be used again */
	char allocator[TOP_ALLOCATOR_LEN];
	uint64_t live, blocks;
	bool estimated;			/* --sample-bytes: the figures are estimates */
	char name[TOP_SITE_NAME_LEN];	/* its leaf frame, printable already */
	double growth;			/* live bytes/s since the frame before: the model's */
};

struct top_totals {
	uint32_t processes, running;
	uint64_t host_live, gpu_live;
	uint64_t lost;			/* lost events (run_summary__lost_events) */
	double elapsed_s;
};

struct top_list {
	void *items;			/* struct top_row or struct top_site */
	size_t n, cap;
};

/* How a column's value reads: on the screen, and in --batch's plain figures. */
enum top_format {
	TOP_FMT_ID,		/* a number as is */
	TOP_FMT_TEXT,
	TOP_FMT_BYTES,		/* "1.5M"; raw: bytes */
	TOP_FMT_RATE,		/* "1.5M/s"; raw: bytes per second, rounded */
	TOP_FMT_PERCENT,	/* "12.5" */
	TOP_FMT_COUNT,		/* "1.2k"; raw: as is, rounded */
};

/*
 * A column of the process and thread table. A value not gathered yet
 * (num and text NULL) reads "-", and sorts as equal: the resource
 * profile's columns are there already, one getter each to fill in.
 */
struct top_column {
	const char *title;
	int width;
	enum top_format format;
	double (*num)(const struct top_row *r);
	const char *(*text)(const struct top_row *r);
	bool threads_only;	/* TID: not in the processes view */
};

extern const struct top_column top_row_columns[];
extern const size_t top_nr_row_columns;

/* The sites' columns, in order: LIVE, BLOCKS, GROWTH/s, PID, ALLOCATOR, SITE. */
enum top_site_column {
	TOP_SITE_LIVE,
	TOP_SITE_BLOCKS,
	TOP_SITE_GROWTH,
	TOP_SITE_PID,
	TOP_SITE_ALLOCATOR,
	TOP_SITE_NAME,
	TOP_SITE_COLUMNS,
};

struct top_model {
	double refresh_s;
	uint64_t frames;		/* frames taken */
	struct top_totals totals;
	struct top_list procs, threads, sites;		/* this frame's */
	struct top_list old_procs, old_threads, old_sites; /* the frame before, sorted by key */
	double old_elapsed_s;
	/* host and GPU live bytes, a sample a frame, the oldest at pos once full */
	uint64_t host_history[TOP_HISTORY_MAX], gpu_history[TOP_HISTORY_MAX];
	size_t history_n, history_pos;
	/* what is shown */
	enum top_view_kind view;
	int sort[TOP_VIEW_COUNT];	/* column index by view */
	bool ascending[TOP_VIEW_COUNT];
	char filter[TOP_FILTER_LEN];	/* a substring of the names shown; "" for all */
	/* the rows of the view, sorted and filtered: indexes into its list */
	size_t *order;
	size_t nr_order, order_cap;
	size_t selected;		/* in order */
	bool expanded;			/* the selected site's stack is shown */
	uint32_t expanded_pid, expanded_stack;	/* which site is expanded */
	char expanded_allocator[TOP_ALLOCATOR_LEN];
	bool paused;
	bool show_ended;		/* the rows of ended processes and threads are listed too */
};

void top_model__init(struct top_model *m, double refresh_s);
void top_model__release(struct top_model *m);
/* A new frame begins: its rows follow, then top_model__end. */
void top_model__begin(struct top_model *m, const struct top_totals *totals);
/* The row is copied; -ENOMEM. */
int top_model__add_process(struct top_model *m, const struct top_row *r);
int top_model__add_thread(struct top_model *m, const struct top_row *r);
int top_model__add_site(struct top_model *m, const struct top_site *s);
/* Rates against the frame before (a row new since: from 0), the history, the order. -ENOMEM. */
int top_model__end(struct top_model *m);

/* The view's rows again, after a change of view, sort or filter. -ENOMEM. */
int top_model__order(struct top_model *m);
void top_model__set_view(struct top_model *m, enum top_view_kind view);
/* Moves the view's sort column by delta (-1, +1), within its columns. */
void top_model__move_sort(struct top_model *m, int delta);
void top_model__reverse_sort(struct top_model *m);
void top_model__set_filter(struct top_model *m, const char *filter);
/* Moves the selection by delta rows, within the view's rows. */
void top_model__select(struct top_model *m, long delta);
/* Expands the selected site (sites view), or folds the one expanded. */
void top_model__toggle_expand(struct top_model *m);
/* Lists the rows of ended processes and threads, or hides them again. */
void top_model__toggle_ended(struct top_model *m);
/*
 * Between top_model__begin and __end: the frame before's site of the same
 * (pid, stack, allocator) as key, or NULL. Its name is key's: a stack's
 * symbols do not change.
 */
const struct top_site *top_model__old_site(const struct top_model *m, const struct top_site *key);

static inline const struct top_row *top_model__row(const struct top_model *m, size_t i)
{
	const struct top_list *l = m->view == TOP_VIEW_THREADS ? &m->threads : &m->procs;

	return &((const struct top_row *)l->items)[m->order[i]];
}

static inline const struct top_site *top_model__site(const struct top_model *m, size_t i)
{
	return &((const struct top_site *)m->sites.items)[m->order[i]];
}

/* The title of the view's sort column. */
const char *top_model__sort_title(const struct top_model *m);
/* A site column's value as text (screen or raw). */
const char *top_model__site_value(const struct top_site *s, enum top_site_column c, bool raw,
				  char *buf, size_t len);
/* A row column's value as text: screen ("1.5M") or raw (--batch); "-" when not gathered. */
const char *top_model__row_value(const struct top_column *c, const struct top_row *r, bool raw,
				 char *buf, size_t len);
/* The last samples of host (gpu false) or GPU live bytes, oldest first, at most max: *n. */
size_t top_model__history(const struct top_model *m, bool gpu, uint64_t *out, size_t max);
/*
 * The whole minute of history in at most width values, oldest first: each
 * the largest of its share of the samples (a peak is never averaged away).
 */
size_t top_model__history_columns(const struct top_model *m, bool gpu, uint64_t *out,
				  size_t width);

#endif /* MEMTRACE_TOP_MODEL_H */

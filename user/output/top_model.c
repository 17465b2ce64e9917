// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/top_model.h"
#include "util/array.h"

static double row_pid(const struct top_row *r)
{
	return r->pid;
}

static double row_tid(const struct top_row *r)
{
	return r->tid;
}

static const char *row_comm(const struct top_row *r)
{
	return r->comm;
}

static double row_live(const struct top_row *r)
{
	return (double)r->live;
}

static double row_peak(const struct top_row *r)
{
	return (double)r->peak;
}

static double row_alloc_rate(const struct top_row *r)
{
	return r->alloc_rate;
}

static double row_free_rate(const struct top_row *r)
{
	return r->free_rate;
}

/* NAN: a process that never touched a GPU library has no GPU figure, not a zero one */
static double row_gpu_live(const struct top_row *r)
{
	return r->has_gpu ? (double)r->gpu_live : NAN;
}

/* The resource profile's columns: "-" while it is not gathered (res.known false). */
static double row_cpu(const struct top_row *r)
{
	return r->res.known ? r->cpu_pct : NAN;
}

static double row_faults(const struct top_row *r)
{
	return r->res.known ? r->faults_rate : NAN;
}

static double row_io(const struct top_row *r)
{
	return r->res.known ? r->io_rate : NAN;
}

static double row_net(const struct top_row *r)
{
	return r->res.known ? r->net_rate : NAN;
}

static const char *row_bottleneck(const struct top_row *r)
{
	return r->res.known && r->res.bottleneck[0] ? r->res.bottleneck : "-";
}

/*
 * The table, left to right: a column is one line here, and the screen and
 * --batch follow. CPU% to BOTTLENECK are the per-thread resource
 * profile's (struct top_resources, filled in by top_rows.c).
 */
const struct top_column top_row_columns[] = {
	{ "PID", 7, TOP_FMT_ID, row_pid, NULL, false },
	{ "TID", 7, TOP_FMT_ID, row_tid, NULL, true },
	{ "COMM", 15, TOP_FMT_TEXT, NULL, row_comm, false },
	{ "LIVE", 7, TOP_FMT_BYTES, row_live, NULL, false },
	{ "PEAK", 7, TOP_FMT_BYTES, row_peak, NULL, false },
	{ "ALLOC/s", 8, TOP_FMT_RATE, row_alloc_rate, NULL, false },
	{ "FREE/s", 8, TOP_FMT_RATE, row_free_rate, NULL, false },
	{ "GPU", 7, TOP_FMT_BYTES, row_gpu_live, NULL, false },
	{ "CPU%", 5, TOP_FMT_PERCENT, row_cpu, NULL, false },
	{ "FLT/s", 6, TOP_FMT_COUNT, row_faults, NULL, false },
	{ "IO/s", 7, TOP_FMT_RATE, row_io, NULL, false },
	{ "NET/s", 7, TOP_FMT_RATE, row_net, NULL, false },
	{ "BOTTLENECK", 10, TOP_FMT_TEXT, NULL, row_bottleneck, false },
};
const size_t top_nr_row_columns = sizeof(top_row_columns) / sizeof(top_row_columns[0]);

#define COL_LIVE 3	/* the default sort of the process and thread tables */

/* the sites' sort titles (top_screen.c draws their columns) */
static const char *const site_titles[TOP_SITE_COLUMNS] = {
	[TOP_SITE_LIVE] = "LIVE",	   [TOP_SITE_BLOCKS] = "BLOCKS",
	[TOP_SITE_GROWTH] = "GROWTH/s",	   [TOP_SITE_PID] = "PID",
	[TOP_SITE_ALLOCATOR] = "ALLOCATOR", [TOP_SITE_NAME] = "SITE",
};

void top_model__init(struct top_model *m, double refresh_s)
{
	*m = (struct top_model){ .refresh_s = refresh_s };
	m->sort[TOP_VIEW_PROCESSES] = COL_LIVE;
	m->sort[TOP_VIEW_THREADS] = COL_LIVE;
	m->sort[TOP_VIEW_SITES] = TOP_SITE_LIVE;
}

static void list__release(struct top_list *l)
{
	free(l->items);
	*l = (struct top_list){};
}

void top_model__release(struct top_model *m)
{
	list__release(&m->procs);
	list__release(&m->threads);
	list__release(&m->sites);
	list__release(&m->old_procs);
	list__release(&m->old_threads);
	list__release(&m->old_sites);
	free(m->order);
	m->order = NULL;
}

static void list__swap(struct top_list *a, struct top_list *b)
{
	struct top_list t = *a;

	*a = *b;
	*b = t;
}

static int row_key_cmp(const void *a, const void *b);
static int site_key_cmp(const void *a, const void *b);

void top_model__begin(struct top_model *m, const struct top_totals *totals)
{
	/* this frame's rows become the frame before, by key: the rates find theirs */
	list__swap(&m->procs, &m->old_procs);
	list__swap(&m->threads, &m->old_threads);
	list__swap(&m->sites, &m->old_sites);
	if (m->old_procs.n)
		qsort(m->old_procs.items, m->old_procs.n, sizeof(struct top_row), row_key_cmp);
	if (m->old_threads.n)
		qsort(m->old_threads.items, m->old_threads.n, sizeof(struct top_row), row_key_cmp);
	if (m->old_sites.n)
		qsort(m->old_sites.items, m->old_sites.n, sizeof(struct top_site), site_key_cmp);
	m->procs.n = m->threads.n = m->sites.n = 0;
	if (m->frames)
		m->old_elapsed_s = m->totals.elapsed_s;
	m->totals = *totals;
}

static int list__add(struct top_list *l, const void *item, size_t size)
{
	if (array__reserve(&l->items, &l->cap, l->n + 1, size))
		return -ENOMEM;
	memcpy((char *)l->items + l->n++ * size, item, size);
	return 0;
}

int top_model__add_process(struct top_model *m, const struct top_row *r)
{
	return list__add(&m->procs, r, sizeof(*r));
}

int top_model__add_thread(struct top_model *m, const struct top_row *r)
{
	return list__add(&m->threads, r, sizeof(*r));
}

int top_model__add_site(struct top_model *m, const struct top_site *s)
{
	return list__add(&m->sites, s, sizeof(*s));
}

/* Rows by (pid, exited, tid): an exec-ed image and the new one share a PID. */
static int row_key_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->exited != y->exited)
		return x->exited < y->exited ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return 0;
}

static int site_key_cmp(const void *a, const void *b)
{
	const struct top_site *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	return strcmp(x->allocator, y->allocator);
}

/* Bytes/s from old to now; a counter that went back (not the same row after all) is 0. */
static double rate(uint64_t now, uint64_t old, double dt)
{
	return now > old && dt > 0 ? (double)(now - old) / dt : 0;
}

static void row_rates(struct top_list *rows, struct top_list *old, double dt)
{
	struct top_row *r = rows->items;

	for (size_t i = 0; i < rows->n; i++) {
		const struct top_row *o = old->n ? bsearch(&r[i], old->items, old->n, sizeof(*r),
							   row_key_cmp)
						 : NULL;

		r[i].alloc_rate = rate(r[i].allocated, o ? o->allocated : 0, dt);
		r[i].free_rate = rate(r[i].freed, o ? o->freed : 0, dt);
		if (!r[i].res.known)
			continue;
		/* a row whose profile was not known before counts from 0, as a new row */
		if (o && !o->res.known)
			o = NULL;
		r[i].cpu_pct = rate(r[i].res.cpu_ns, o ? o->res.cpu_ns : 0, dt) / 1e7;
		r[i].faults_rate = rate(r[i].res.faults, o ? o->res.faults : 0, dt);
		r[i].io_rate = rate(r[i].res.io_bytes, o ? o->res.io_bytes : 0, dt);
		r[i].net_rate = rate(r[i].res.net_bytes, o ? o->res.net_bytes : 0, dt);
	}
}

const struct top_site *top_model__old_site(const struct top_model *m, const struct top_site *key)
{
	if (!m->old_sites.n)
		return NULL;
	return bsearch(key, m->old_sites.items, m->old_sites.n, sizeof(*key), site_key_cmp);
}

static void site_rates(struct top_list *sites, struct top_list *old, double dt)
{
	struct top_site *s = sites->items;

	for (size_t i = 0; i < sites->n; i++) {
		const struct top_site *o = old->n ? bsearch(&s[i], old->items, old->n, sizeof(*s),
							    site_key_cmp)
						  : NULL;
		double before = o ? (double)o->live : 0;

		s[i].growth = dt > 0 ? ((double)s[i].live - before) / dt : 0;
	}
}

static size_t history_cap(const struct top_model *m)
{
	size_t cap = m->refresh_s > 0 ? (size_t)ceil(TOP_HISTORY_S / m->refresh_s) : 60;

	return cap < 1 ? 1 : cap > TOP_HISTORY_MAX ? TOP_HISTORY_MAX : cap;
}

static void history_push(struct top_model *m)
{
	size_t cap = history_cap(m);

	if (m->history_n < cap) {
		m->host_history[m->history_n] = m->totals.host_live;
		m->gpu_history[m->history_n++] = m->totals.gpu_live;
		return;
	}
	m->host_history[m->history_pos] = m->totals.host_live;
	m->gpu_history[m->history_pos] = m->totals.gpu_live;
	m->history_pos = (m->history_pos + 1) % cap;
}

size_t top_model__history(const struct top_model *m, bool gpu, uint64_t *out, size_t max)
{
	const uint64_t *h = gpu ? m->gpu_history : m->host_history;
	size_t n = m->history_n < max ? m->history_n : max;
	size_t skip = m->history_n - n;

	for (size_t i = 0; i < n; i++)
		out[i] = h[(m->history_pos + skip + i) % m->history_n];
	return n;
}

size_t top_model__history_columns(const struct top_model *m, bool gpu, uint64_t *out,
				  size_t width)
{
	uint64_t all[TOP_HISTORY_MAX];
	size_t n = top_model__history(m, gpu, all, TOP_HISTORY_MAX);

	if (n <= width) {
		memcpy(out, all, n * sizeof(*all));
		return n;
	}
	for (size_t c = 0; c < width; c++) {
		size_t from = c * n / width, to = (c + 1) * n / width;

		out[c] = 0;
		for (size_t i = from; i < to; i++)
			out[c] = all[i] > out[c] ? all[i] : out[c];
	}
	return width;
}

int top_model__end(struct top_model *m)
{
	double dt = m->totals.elapsed_s - m->old_elapsed_s;

	row_rates(&m->procs, &m->old_procs, dt);
	row_rates(&m->threads, &m->old_threads, dt);
	site_rates(&m->sites, &m->old_sites, dt);
	history_push(m);
	m->frames++;
	return top_model__order(m);
}

static int num_cmp(double a, double b)
{
	/* NAN ("-") sorts below every figure */
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b) ? (isnan(a) ? -1 : 1) : 0;
	return a < b ? -1 : a > b;
}

static int row_cmp(const struct top_column *c, const struct top_row *a, const struct top_row *b)
{
	if (c->num)
		return num_cmp(c->num(a), c->num(b));
	if (c->text)
		return strcmp(c->text(a), c->text(b));
	return 0;
}

static int site_cmp(enum top_site_column c, const struct top_site *a, const struct top_site *b)
{
	switch (c) {
	case TOP_SITE_LIVE:
		return num_cmp((double)a->live, (double)b->live);
	case TOP_SITE_BLOCKS:
		return num_cmp((double)a->blocks, (double)b->blocks);
	case TOP_SITE_GROWTH:
		return num_cmp(a->growth, b->growth);
	case TOP_SITE_PID:
		return num_cmp(a->pid, b->pid);
	case TOP_SITE_ALLOCATOR:
		return strcmp(a->allocator, b->allocator);
	default:
		return strcmp(a->name, b->name);
	}
}

static int order_cmp(const void *a, const void *b, void *ctx)
{
	const struct top_model *m = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c;

	if (m->view == TOP_VIEW_SITES) {
		const struct top_site *s = m->sites.items;

		c = site_cmp(m->sort[m->view], &s[i], &s[j]);
	} else {
		const struct top_row *r = m->view == TOP_VIEW_THREADS ? m->threads.items
								      : m->procs.items;

		c = row_cmp(&top_row_columns[m->sort[m->view]], &r[i], &r[j]);
	}
	if (!m->ascending[m->view])
		c = -c;
	/* ties in the order they came (by PID, TID or size): a steady screen */
	return c ? c : (i > j) - (i < j);
}

static bool matches(const struct top_model *m, size_t i)
{
	const struct top_row *r;

	if (m->view == TOP_VIEW_SITES) {
		const struct top_site *s = &((const struct top_site *)m->sites.items)[i];

		return !m->filter[0] || strcasestr(s->name, m->filter) ||
		       strcasestr(s->allocator, m->filter);
	}
	r = &((const struct top_row *)(m->view == TOP_VIEW_THREADS ? m->threads.items
								   : m->procs.items))[i];
	if (r->ended && !m->show_ended)
		return false;
	return !m->filter[0] || strcasestr(r->comm, m->filter);
}

/* After a new order, the expanded site keeps the selection wherever it went. */
static void follow_expanded(struct top_model *m)
{
	if (m->view != TOP_VIEW_SITES || !m->expanded)
		return;
	for (size_t i = 0; i < m->nr_order; i++) {
		const struct top_site *s = top_model__site(m, i);

		if (s->pid == m->expanded_pid && s->stack == m->expanded_stack &&
		    !strcmp(s->allocator, m->expanded_allocator)) {
			m->selected = i;
			return;
		}
	}
}

int top_model__order(struct top_model *m)
{
	const struct top_list *l = m->view == TOP_VIEW_SITES	 ? &m->sites
				   : m->view == TOP_VIEW_THREADS ? &m->threads
								 : &m->procs;

	if (ARRAY_RESERVE(&m->order, &m->order_cap, l->n ? l->n : 1))
		return -ENOMEM;
	m->nr_order = 0;
	for (size_t i = 0; i < l->n; i++)
		if (matches(m, i))
			m->order[m->nr_order++] = i;
	if (m->nr_order)
		qsort_r(m->order, m->nr_order, sizeof(*m->order), order_cmp, m);
	follow_expanded(m);
	if (m->selected >= m->nr_order)
		m->selected = m->nr_order ? m->nr_order - 1 : 0;
	return 0;
}

void top_model__set_view(struct top_model *m, enum top_view_kind view)
{
	if (view == m->view)
		return;
	m->view = view;
	m->selected = 0;
	top_model__order(m);
}

void top_model__move_sort(struct top_model *m, int delta)
{
	int n = m->view == TOP_VIEW_SITES ? TOP_SITE_COLUMNS : (int)top_nr_row_columns;
	int c = m->sort[m->view];

	do
		c = (c + delta + n) % n;
	while (m->view == TOP_VIEW_PROCESSES && top_row_columns[c].threads_only);
	m->sort[m->view] = c;
	/* a name sorts A to Z, a figure largest first */
	m->ascending[m->view] = m->view == TOP_VIEW_SITES
					? c == TOP_SITE_PID || c >= TOP_SITE_ALLOCATOR
					: top_row_columns[c].format == TOP_FMT_TEXT ||
						  top_row_columns[c].format == TOP_FMT_ID;
	top_model__order(m);
}

void top_model__reverse_sort(struct top_model *m)
{
	m->ascending[m->view] = !m->ascending[m->view];
	top_model__order(m);
}

void top_model__set_filter(struct top_model *m, const char *filter)
{
	snprintf(m->filter, sizeof(m->filter), "%s", filter);
	m->selected = 0;
	top_model__order(m);
}

void top_model__select(struct top_model *m, long delta)
{
	long s = (long)m->selected + delta;

	if (s >= (long)m->nr_order)
		s = (long)m->nr_order - 1;
	m->selected = s < 0 ? 0 : (size_t)s;
	/* the expanded stack follows the selection */
	if (m->expanded && m->nr_order) {
		const struct top_site *site = top_model__site(m, m->selected);

		m->expanded_pid = site->pid;
		m->expanded_stack = site->stack;
		snprintf(m->expanded_allocator, sizeof(m->expanded_allocator), "%s",
			 site->allocator);
	}
}

void top_model__toggle_expand(struct top_model *m)
{
	if (m->view != TOP_VIEW_SITES || (!m->expanded && !m->nr_order)) {
		m->expanded = false;
		return;
	}
	m->expanded = !m->expanded;
	if (m->expanded)
		top_model__select(m, 0);
}

void top_model__toggle_ended(struct top_model *m)
{
	m->show_ended = !m->show_ended;
	top_model__order(m);
}

const char *top_model__sort_title(const struct top_model *m)
{
	if (m->view == TOP_VIEW_SITES)
		return site_titles[m->sort[m->view]];
	return top_row_columns[m->sort[m->view]].title;
}

/* "512B", "1.5K", "12M": four characters or so, for the table. */
static const char *short_bytes(double v, const char *suffix, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	int u = 0;

	while (fabs(v) >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f%c%s", v, units[u], suffix);
	else
		snprintf(buf, len, fabs(v) < 10 ? "%.1f%c%s" : "%.0f%c%s", v, units[u], suffix);
	return buf;
}

static const char *format_value(enum top_format f, double v, bool raw, char *buf, size_t len)
{
	if (isnan(v))
		return "-";
	if (raw && f != TOP_FMT_PERCENT) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	switch (f) {
	case TOP_FMT_BYTES:
		return short_bytes(v, "", buf, len);
	case TOP_FMT_RATE:
		return short_bytes(v, "/s", buf, len);
	case TOP_FMT_PERCENT:
		snprintf(buf, len, "%.1f", v);
		return buf;
	case TOP_FMT_COUNT:
		if (v >= 100000)
			snprintf(buf, len, "%.0fk", v / 1000);
		else
			snprintf(buf, len, "%.0f", v);
		return buf;
	default:
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
}

const char *top_model__row_value(const struct top_column *c, const struct top_row *r, bool raw,
				 char *buf, size_t len)
{
	if (c->text)
		return c->text(r);
	if (!c->num)
		return "-";
	return format_value(c->format, c->num(r), raw, buf, len);
}

const char *top_model__site_value(const struct top_site *s, enum top_site_column c, bool raw,
				  char *buf, size_t len)
{
	switch (c) {
	case TOP_SITE_LIVE:
		return format_value(TOP_FMT_BYTES, (double)s->live, raw, buf, len);
	case TOP_SITE_BLOCKS:
		return format_value(TOP_FMT_COUNT, (double)s->blocks, raw, buf, len);
	case TOP_SITE_GROWTH:
		if (raw)
			snprintf(buf, len, "%.0f", s->growth);
		else if (s->growth < 0)
			short_bytes(s->growth, "/s", buf, len);
		else
			short_bytes(s->growth, "/s", buf + 1, len - 1), buf[0] = '+';
		return buf;
	case TOP_SITE_PID:
		snprintf(buf, len, "%u", s->pid);
		return buf;
	case TOP_SITE_ALLOCATOR:
		return s->allocator;
	default:
		return s->name;
	}
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "account/gpu_accounting.h"
#include "account/process_timeline.h"
#include "attach/allocator_funcs.h"
#include "attach/gpu_funcs.h"
#include "output/timeline_snapshot.h"

/* What a series reads from a point; NULL picks by index i (allocator or kind). */
typedef uint64_t (*series_fn)(const struct timeline_values *v, unsigned int i);

static uint64_t host_of(const struct timeline_values *v, unsigned int i)
{
	return v->host[i];
}

static uint64_t gpu_of(const struct timeline_values *v, unsigned int i)
{
	return v->gpu[i];
}

static uint64_t host_peak_of(const struct timeline_values *v, unsigned int i)
{
	(void)i;
	return v->host_peak;
}

static uint64_t gpu_peak_of(const struct timeline_values *v, unsigned int i)
{
	(void)i;
	return v->gpu_peak;
}

static uint64_t anon_of(const struct timeline_values *v, unsigned int i)
{
	(void)i;
	return v->anon_bytes;
}

static uint64_t brk_of(const struct timeline_values *v, unsigned int i)
{
	(void)i;
	return v->brk_bytes;
}

static uint64_t rss_of(const struct timeline_values *v, unsigned int i)
{
	(void)i;
	return v->rss_bytes;
}

static double seconds(const struct run_summary *s, uint64_t ts_ns)
{
	return ts_ns > s->start_ns ? (ts_ns - s->start_ns) / 1e9 : 0;
}

/*
 * Point i's values: the open point's are the process's state now (as at
 * its end, for one that ended), its peaks at least that.
 */
static void point_values(const struct mt_process *p, size_t i, struct timeline_values *v)
{
	const struct timeline *tl = &p->timeline;
	const struct timeline_point *pt = timeline__point(tl, i);

	if (i < tl->nr) {
		*v = pt->v;
		return;
	}
	process_timeline__values(p, v);
	if (pt->v.host_peak > v->host_peak)
		v->host_peak = pt->v.host_peak;
	if (pt->v.gpu_peak > v->gpu_peak)
		v->gpu_peak = pt->v.gpu_peak;
}

static bool series_used(const struct mt_process *p, series_fn fn, unsigned int idx)
{
	struct timeline_values v;

	for (size_t i = 0; i < timeline__nr_points(&p->timeline); i++) {
		point_values(p, i, &v);
		if (fn(&v, idx))
			return true;
	}
	return false;
}

static void write_series(const struct mt_process *p, const char *key, series_fn fn,
			 unsigned int idx, struct json_writer *w)
{
	struct timeline_values v;

	json_writer__key(w, key);
	json_writer__begin_array(w);
	for (size_t i = 0; i < timeline__nr_points(&p->timeline); i++) {
		point_values(p, i, &v);
		json_writer__u64(w, fn(&v, idx));
	}
	json_writer__end_array(w);
}

static void write_times(const struct run_summary *s, const struct timeline *tl,
			struct json_writer *w)
{
	json_writer__key(w, "t_s");
	json_writer__begin_array(w);
	for (size_t i = 0; i < timeline__nr_points(tl); i++) {
		uint64_t start_ns = tl->origin_ns + timeline__point(tl, i)->slot * tl->res_ns;

		json_writer__double(w, seconds(s, start_ns));
	}
	json_writer__end_array(w);
}

/* Allocators (kinds) that never held a byte in the run are left out, as in "allocators". */
static void write_by(const struct mt_process *p, const char *key, series_fn fn, unsigned int n,
		     const char *(*name)(unsigned int), struct json_writer *w)
{
	json_writer__key(w, key);
	json_writer__begin_object(w);
	for (unsigned int i = 0; i < n; i++)
		if (series_used(p, fn, i))
			write_series(p, name(i), fn, i, w);
	json_writer__end_object(w);
}

static const char *allocator_name(unsigned int i)
{
	return allocator_funcs__name(i);
}

static const char *kind_name(unsigned int i)
{
	return gpu_funcs__kind_name(i);
}

static void write_points(const struct run_summary *s, const struct mt_process *p,
			 struct json_writer *w)
{
	json_writer__kv_double(w, "resolution_s", p->timeline.res_ns / 1e9);
	write_times(s, &p->timeline, w);
	write_by(p, "host_bytes", host_of, MT_ALLOC_COUNT, allocator_name, w);
	write_series(p, "host_peak_bytes", host_peak_of, 0, w);
	if (p->gpu) {
		write_by(p, "gpu_bytes", gpu_of, GPU_KIND_COUNT, kind_name, w);
		write_series(p, "gpu_peak_bytes", gpu_peak_of, 0, w);
	}
	if (p->mappings) {
		write_series(p, "anon_bytes", anon_of, 0, w);
		write_series(p, "brk_bytes", brk_of, 0, w);
	}
	/* the resource reads' (every second), carried by the points the records make */
	if (p->rss_bytes)
		write_series(p, "rss_bytes", rss_of, 0, w);
}

enum event_type { EV_START, EV_GC, EV_OOM, EV_STEP, EV_END };

struct event_ref {
	uint64_t ts_ns;
	enum event_type type;
	const void *what;		/* timeline_event, gpu_oom; NULL for start and end */
};

static int by_time(const void *a, const void *b)
{
	const struct event_ref *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return (int)x->type - (int)y->type;
}

static void write_event(const struct run_summary *s, const struct mt_process *p,
			const struct event_ref *ev, struct json_writer *w)
{
	static const char *const types[] = { "start", "gc", "oom", "step", "end" };
	const struct timeline_event *te = ev->what;
	const struct gpu_oom *oom = ev->what;

	json_writer__begin_object(w);
	json_writer__kv_double(w, "t_s", seconds(s, ev->ts_ns));
	json_writer__kv_string(w, "type", types[ev->type]);
	if (ev->type == EV_START)
		json_writer__kv_string(w, "by", p->exec_ts ? "exec" : p->forked ? "fork" : "seen");
	else if (ev->type == EV_END)
		json_writer__kv_string(w, "by", p->end == PROCESS_EXECED ? "exec" : "exit");
	else if (ev->type == EV_GC) {
		json_writer__kv_double(w, "duration_s", te->duration_ns / 1e9);
		json_writer__kv_i64(w, "generation", te->generation);
	} else if (ev->type == EV_OOM) {
		json_writer__kv_u64(w, "size", oom->size);
		json_writer__kv_string(w, "kind", gpu_funcs__kind_name(oom->kind));
		json_writer__kv_u64(w, "gpu_live_bytes", oom->gpu_live_bytes);
	}
	json_writer__end_object(w);
}

/* Every event of the process, start and end too, in time order; *nr of them; NULL: -ENOMEM. */
static struct event_ref *collect_events(const struct mt_process *p, size_t *nr)
{
	const struct timeline *tl = &p->timeline;
	size_t n = 0, max = 2 + tl->gcs.nr + tl->steps.nr + (p->gpu ? p->gpu->nr_ooms : 0);
	struct event_ref *evs = calloc(max, sizeof(*evs));

	if (!evs)
		return NULL;
	evs[n++] = (struct event_ref){ p->begin_ns, EV_START, NULL };
	if (p->end != PROCESS_RUNNING && p->end_ns)
		evs[n++] = (struct event_ref){ p->end_ns, EV_END, NULL };
	for (size_t i = 0; i < tl->gcs.nr; i++)
		evs[n++] = (struct event_ref){ tl->gcs.e[i].ts_ns, EV_GC, &tl->gcs.e[i] };
	for (size_t i = 0; i < tl->steps.nr; i++)
		evs[n++] = (struct event_ref){ tl->steps.e[i].ts_ns, EV_STEP, &tl->steps.e[i] };
	for (uint32_t i = 0; p->gpu && i < p->gpu->nr_ooms; i++)
		evs[n++] = (struct event_ref){ p->gpu->ooms[i].ts_ns, EV_OOM, &p->gpu->ooms[i] };
	qsort(evs, n, sizeof(*evs), by_time);
	*nr = n;
	return evs;
}

/* Events past what is kept, by type: only types that lost some. */
static void write_omitted(const struct mt_process *p, struct json_writer *w)
{
	const struct timeline *tl = &p->timeline;
	uint64_t gc = tl->gcs.seen - tl->gcs.nr, step = tl->steps.seen - tl->steps.nr;
	uint64_t oom = p->gpu ? p->gpu->ooms_omitted : 0;

	json_writer__key(w, "events_omitted");
	json_writer__begin_object(w);
	if (gc)
		json_writer__kv_u64(w, "gc", gc);
	if (oom)
		json_writer__kv_u64(w, "oom", oom);
	if (step)
		json_writer__kv_u64(w, "step", step);
	json_writer__end_object(w);
}

int timeline_snapshot__write_process(const struct run_summary *s, const struct mt_process *p,
				     struct json_writer *w)
{
	struct event_ref *evs;
	size_t nr = 0;

	if (!timeline__nr_points(&p->timeline))
		return 0;
	evs = collect_events(p, &nr);
	if (!evs)
		return -ENOMEM;
	json_writer__key(w, "timeline");
	json_writer__begin_object(w);
	write_points(s, p, w);
	json_writer__key(w, "events");
	json_writer__begin_array(w);
	for (size_t i = 0; i < nr; i++)
		write_event(s, p, &evs[i], w);
	json_writer__end_array(w);
	write_omitted(p, w);
	json_writer__end_object(w);
	free(evs);
	return 0;
}

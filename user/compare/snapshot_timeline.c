// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every series of a timeline has one value per point: a file where they
 * differ is refused, so a renderer can index them all by the same point.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/snapshot_timeline.h"

/*
 * A field's path for messages, cut at FIELDS_PATH_LEN: not snprintf, whose
 * truncation warning cannot know how long the paths it is given are.
 */
__attribute__((format(printf, 2, 3))) static const char *at(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, FIELDS_PATH_LEN, fmt, ap);
	va_end(ap);
	return buf;
}

/* The integers of the array at where.key (nr of them) into *out; absent: *out stays NULL. */
static int read_values(const struct field_reader *r, json_t *obj, const char *where,
		       const char *key, size_t nr, uint64_t **out)
{
	char path[FIELDS_PATH_LEN];
	json_t *arr;
	int err;

	err = fields__array(r, obj, where, key, false, &arr);
	if (err || !arr)
		return err;
	if (json_array_size(arr) != nr)
		return fields__fail(r, -EINVAL, ": %s.%s: %zu values for %zu points of t_s", where,
				    key, json_array_size(arr), nr);
	*out = calloc(nr ? nr : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		json_t *v = json_array_get(arr, i);

		at(path, "%s.%s[%zu]", where, key, i);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return fields__wrong_type(r, path, NULL, "a non-negative integer", v);
		(*out)[i] = (uint64_t)json_integer_value(v);
	}
	return 0;
}

/* An object of named series ("host_bytes": {"libc": [...]}). */
static int read_by(const struct field_reader *r, json_t *tl, const char *where, const char *key,
		   size_t nr_points, struct snap_series **out, size_t *nr)
{
	char path[FIELDS_PATH_LEN];
	const char *name;
	json_t *obj, *v;
	int err;

	err = fields__object(r, tl, where, key, &obj);
	if (err || !obj || !json_object_size(obj))
		return err;
	*out = calloc(json_object_size(obj), sizeof(**out));
	if (!*out)
		return -ENOMEM;
	at(path, "%s.%s", where, key);
	json_object_foreach(obj, name, v) {
		struct snap_series *s = &(*out)[(*nr)++];

		(void)v;
		s->name = strdup(name);
		if (!s->name)
			return -ENOMEM;
		err = read_values(r, obj, path, name, nr_points, &s->v);
		if (err)
			return err;
	}
	return 0;
}

static int read_times(const struct field_reader *r, json_t *tl, const char *where,
		      struct snap_timeline *t)
{
	char path[FIELDS_PATH_LEN];
	json_t *arr;
	int err;

	err = fields__array(r, tl, where, "t_s", true, &arr);
	if (err)
		return err;
	t->nr_points = json_array_size(arr);
	t->t_s = calloc(t->nr_points ? t->nr_points : 1, sizeof(*t->t_s));
	if (!t->t_s)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr_points; i++) {
		json_t *v = json_array_get(arr, i);

		at(path, "%s.t_s[%zu]", where, i);
		if (!json_is_number(v) || json_number_value(v) < 0)
			return fields__wrong_type(r, path, NULL, "a non-negative number", v);
		t->t_s[i] = json_number_value(v);
		if (i && t->t_s[i] < t->t_s[i - 1])
			return fields__fail(r, -EINVAL, ": %s: earlier than the point before", path);
	}
	return 0;
}

static int read_event(const struct field_reader *r, json_t *v, const char *tl_where, size_t i,
		      struct snap_event *e)
{
	char where[FIELDS_PATH_LEN];
	uint64_t generation = UINT64_MAX;
	int err;

	at(where, "%s.events[%zu]", tl_where, i);
	if (!json_is_object(v))
		return fields__wrong_type(r, where, NULL, "an object", v);
	e->generation = -1;
	err = fields__number(r, v, where, "t_s", NULL, &e->t_s);
	if (!err)
		err = fields__string(r, v, where, "type", NULL, &e->type);
	if (!err && !e->type)
		err = fields__missing(r, where, "type");
	if (!err)
		err = fields__string(r, v, where, "by", NULL, &e->by);
	if (!err)
		err = fields__number(r, v, where, "duration_s", NULL, &e->duration_s);
	if (!err)
		err = fields__u64(r, v, where, "generation", false, INT64_MAX, &generation);
	if (!err)
		err = fields__u64(r, v, where, "size", false, UINT64_MAX, &e->size);
	if (!err)
		err = fields__string(r, v, where, "kind", NULL, &e->kind);
	if (!err)
		err = fields__u64(r, v, where, "gpu_live_bytes", false, UINT64_MAX,
				  &e->gpu_live_bytes);
	if (generation != UINT64_MAX)
		e->generation = (int64_t)generation;
	return err;
}

static int read_events(const struct field_reader *r, json_t *tl, const char *where,
		       struct snap_timeline *t)
{
	char path[FIELDS_PATH_LEN];
	json_t *arr, *omitted;
	int err;

	err = fields__array(r, tl, where, "events", false, &arr);
	if (!err && arr && json_array_size(arr)) {
		t->events = calloc(json_array_size(arr), sizeof(*t->events));
		if (!t->events)
			return -ENOMEM;
		t->nr_events = json_array_size(arr);
	}
	for (size_t i = 0; i < t->nr_events && !err; i++)
		err = read_event(r, json_array_get(arr, i), where, i, &t->events[i]);
	if (!err)
		err = fields__object(r, tl, where, "events_omitted", &omitted);
	if (err || !omitted)
		return err;
	at(path, "%s.events_omitted", where);
	err = fields__u64(r, omitted, path, "gc", false, UINT64_MAX, &t->gc_omitted);
	if (!err)
		err = fields__u64(r, omitted, path, "oom", false, UINT64_MAX, &t->oom_omitted);
	if (!err)
		err = fields__u64(r, omitted, path, "step", false, UINT64_MAX, &t->step_omitted);
	return err;
}

static int read_timeline(const struct field_reader *r, json_t *proc, const char *proc_where,
			 struct snap_timeline *t)
{
	char where[FIELDS_PATH_LEN];
	json_t *tl;
	int err;

	err = fields__object(r, proc, proc_where, "timeline", &tl);
	if (err || !tl)
		return err;
	at(where, "%s.timeline", proc_where);
	t->present = true;
	err = fields__number(r, tl, where, "resolution_s", NULL, &t->resolution_s);
	if (!err)
		err = read_times(r, tl, where, t);
	if (!err)
		err = read_by(r, tl, where, "host_bytes", t->nr_points, &t->host, &t->nr_host);
	if (!err)
		err = read_by(r, tl, where, "gpu_bytes", t->nr_points, &t->gpu, &t->nr_gpu);
	if (!err)
		err = read_values(r, tl, where, "host_peak_bytes", t->nr_points, &t->host_peak);
	if (!err)
		err = read_values(r, tl, where, "gpu_peak_bytes", t->nr_points, &t->gpu_peak);
	if (!err)
		err = read_values(r, tl, where, "anon_bytes", t->nr_points, &t->anon);
	if (!err)
		err = read_values(r, tl, where, "brk_bytes", t->nr_points, &t->brk);
	if (!err)
		err = read_events(r, tl, where, t);
	return err;
}

struct res_field {
	const char *group, *key;
	size_t offset;
};

#define RES(g, k, f) { g, k, offsetof(struct snap_resources, f) }
static const struct res_field res_fields[] = {
	RES("cpu", "on_cpu_ns", on_cpu_ns),
	RES("cpu", "runqueue_ns", runqueue_ns),
	RES("memory", "minor_faults", minor_faults),
	RES("memory", "major_faults", major_faults),
	RES("memory", "fault_ns", fault_ns),
	RES("io", "read_bytes", read_bytes),
	RES("io", "write_bytes", write_bytes),
	RES("io", "blocked_ns", blocked_ns),
	RES("network", "tx_bytes", tx_bytes),
	RES("network", "rx_bytes", rx_bytes),
	RES("gpu", "sync_ns", gpu_sync_ns),
	RES("wall", "wall_ns", wall_ns),
};
#undef RES

/* gpu's bytes copied, in every direction the snapshot names */
static const char *const gpu_byte_keys[] = { "h2d_bytes", "d2h_bytes", "d2d_bytes",
					     "other_bytes" };

static int read_group(const struct field_reader *r, json_t *res, const char *where,
		      const char *name, json_t **out)
{
	char path[FIELDS_PATH_LEN];

	return fields__object(r, res, at(path, "%s.resources", where), name, out);
}

/* The parts of a resource profile the pages show; null (--no-resources) leaves it absent. */
static int read_resources(const struct field_reader *r, json_t *v, const char *where,
			  struct snap_resources *out)
{
	char path[FIELDS_PATH_LEN];
	json_t *res, *g = NULL;
	int err;

	err = fields__object(r, v, where, "resources", &res);
	if (err || !res)
		return err;
	out->present = true;
	for (size_t i = 0; i < sizeof(res_fields) / sizeof(res_fields[0]) && !err; i++) {
		const struct res_field *f = &res_fields[i];

		err = read_group(r, res, where, f->group, &g);
		if (!err && g)
			err = fields__u64(r, g, at(path, "%s.resources.%s", where, f->group),
					  f->key, false, UINT64_MAX,
					  (uint64_t *)((char *)out + f->offset));
	}
	if (!err)
		err = read_group(r, res, where, "gpu", &g);
	for (size_t i = 0; g && i < sizeof(gpu_byte_keys) / sizeof(gpu_byte_keys[0]) && !err;
	     i++) {
		uint64_t b = 0;

		err = fields__u64(r, g, at(path, "%s.resources.gpu", where), gpu_byte_keys[i],
				  false, UINT64_MAX, &b);
		out->gpu_bytes += b;
	}
	if (!err)
		err = read_group(r, res, where, "bottleneck", &g);
	if (err || !g)
		return err;
	at(path, "%s.resources.bottleneck", where);
	err = fields__string(r, g, path, "verdict", NULL, &out->verdict);
	if (!err)
		err = fields__number(r, g, path, "share", NULL, &out->share);
	return err;
}

static int read_thread(const struct field_reader *r, json_t *v, const char *proc_where, size_t i,
		       struct snap_thread *t)
{
	char where[FIELDS_PATH_LEN];
	int err;

	at(where, "%s.threads[%zu]", proc_where, i);
	if (!json_is_object(v))
		return fields__wrong_type(r, where, NULL, "an object", v);
	err = fields__u32(r, v, where, "tid", &t->tid);
	if (!err)
		err = fields__string(r, v, where, "comm", "", &t->comm);
	if (!err)
		err = fields__bool(r, v, where, "exited", &t->exited);
	if (!err)
		err = fields__counters(r, v, where, false, &t->c);
	if (!err)
		err = read_resources(r, v, where, &t->res);
	return err;
}

int snapshot_timeline__read(const struct field_reader *r, json_t *v, size_t i,
			    struct snap_process *p)
{
	char where[FIELDS_PATH_LEN];
	json_t *threads;
	int err;

	at(where, "processes[%zu]", i);
	err = read_timeline(r, v, where, &p->timeline);
	if (!err)
		err = read_resources(r, v, where, &p->res);
	if (!err)
		err = fields__array(r, v, where, "threads", false, &threads);
	if (err || !threads || !json_array_size(threads))
		return err;
	p->threads = calloc(json_array_size(threads), sizeof(*p->threads));
	if (!p->threads)
		return -ENOMEM;
	p->nr_threads = json_array_size(threads);
	for (size_t j = 0; j < p->nr_threads && !err; j++)
		err = read_thread(r, json_array_get(threads, j), where, j, &p->threads[j]);
	return err;
}

static void release_series(struct snap_series *s, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(s[i].name);
		free(s[i].v);
	}
	free(s);
}

void snapshot_timeline__release(struct snap_process *p)
{
	struct snap_timeline *t = &p->timeline;

	for (size_t i = 0; i < p->nr_threads; i++) {
		free(p->threads[i].comm);
		free(p->threads[i].res.verdict);
	}
	free(p->res.verdict);
	p->res.verdict = NULL;
	free(p->threads);
	release_series(t->host, t->nr_host);
	release_series(t->gpu, t->nr_gpu);
	free(t->t_s);
	free(t->host_peak);
	free(t->gpu_peak);
	free(t->anon);
	free(t->brk);
	for (size_t i = 0; i < t->nr_events; i++) {
		free(t->events[i].type);
		free(t->events[i].by);
		free(t->events[i].kind);
	}
	free(t->events);
	p->threads = NULL;
	p->nr_threads = 0;
	memset(t, 0, sizeof(*t));
}

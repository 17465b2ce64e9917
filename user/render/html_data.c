// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Numbers go out as the reader read them: the page shows them, sums them
 * where it must (a flame graph's boxes), and never rounds one it shows as
 * exact. Integers past 2^53 would lose their last digits in JavaScript; no
 * byte count of a real run comes near.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/counters.h"
#include "render/html_data.h"
#include "render/site_names.h"
#include "util/array.h"

#define NAME_LEN 1024

static uint32_t intern(struct html_tables *t, const char *s, int *err)
{
	bool added;
	int64_t i;

	if (!s)
		return HTML_NONE;
	i = str_map__intern(&t->strings, s, strlen(s), &added);
	if (i < 0) {
		*err = (int)i;
		return HTML_NONE;
	}
	return (uint32_t)i;
}

/* A frame's number: frames alike in name, file, line and module are one. */
static int64_t intern_frame(struct html_tables *t, const struct snap_frame *f)
{
	struct html_frame hf;
	char name[NAME_LEN], *key = NULL;
	int err = 0, len;
	bool added;
	int64_t i;

	site_names__frame(f, name, sizeof(name));
	hf = (struct html_frame){.name = intern(t, name, &err),
				 .file = intern(t, f->file, &err),
				 .module = intern(t, f->module, &err),
				 .line = f->line};
	if (err)
		return err;
	len = asprintf(&key, "%u %u %u %u", hf.name, hf.file, hf.module, hf.line);
	if (len < 0)
		return -ENOMEM;
	i = str_map__intern(&t->frame_keys, key, (size_t)len, &added);
	free(key);
	if (i < 0 || !added)
		return i;
	if (ARRAY_RESERVE(&t->frames, &t->cap, (size_t)i + 1))
		return -ENOMEM;
	t->frames[i] = hf;
	return i;
}

int html_tables__stack(struct html_tables *t, struct json_writer *w, const struct snap_leak *l,
		       size_t n)
{
	if (!n || n > l->nr_frames)
		n = l->nr_frames;
	json_writer__key(w, "stack");
	json_writer__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		int64_t f = intern_frame(t, &l->frames[i]);

		if (f < 0)
			return (int)f;
		json_writer__u64(w, (uint64_t)f);
	}
	json_writer__end_array(w);
	return 0;
}

static void number_or_null(struct json_writer *w, uint32_t v)
{
	if (v == HTML_NONE)
		json_writer__null(w);
	else
		json_writer__u64(w, v);
}

void html_tables__write(const struct html_tables *t, struct json_writer *w)
{
	json_writer__key(w, "strings");
	json_writer__begin_array(w);
	for (size_t i = 0; i < t->strings.n; i++)
		json_writer__string_len(w, t->strings.keys[i].key, t->strings.keys[i].len);
	json_writer__end_array(w);
	/* [name, file, line, module]: four numbers a frame, not four keys */
	json_writer__key(w, "frames");
	json_writer__begin_array(w);
	for (size_t i = 0; i < t->frame_keys.n; i++) {
		const struct html_frame *f = &t->frames[i];

		json_writer__begin_array(w);
		number_or_null(w, f->name);
		number_or_null(w, f->file);
		json_writer__u64(w, f->line);
		number_or_null(w, f->module);
		json_writer__end_array(w);
	}
	json_writer__end_array(w);
}

void html_tables__release(struct html_tables *t)
{
	str_map__release(&t->strings);
	str_map__release(&t->frame_keys);
	free(t->frames);
	memset(t, 0, sizeof(*t));
}

void html_data__counters(struct json_writer *w, const char *key, const struct mt_counters *c)
{
	json_writer__key(w, key);
	json_writer__begin_object(w);
	counters__write_json(c, w);
	json_writer__end_object(w);
}

static void write_values(struct json_writer *w, const char *key, const uint64_t *v, size_t n)
{
	if (!v)
		return;
	json_writer__key(w, key);
	json_writer__begin_array(w);
	for (size_t i = 0; i < n; i++)
		json_writer__u64(w, v[i]);
	json_writer__end_array(w);
}

static void write_series(struct json_writer *w, const char *key, const struct snap_series *s,
			 size_t nr, size_t points)
{
	json_writer__key(w, key);
	json_writer__begin_object(w);
	for (size_t i = 0; i < nr; i++)
		write_values(w, s[i].name, s[i].v, points);
	json_writer__end_object(w);
}

static void write_event(struct json_writer *w, const struct snap_event *e)
{
	json_writer__begin_object(w);
	json_writer__kv_double(w, "t_s", e->t_s);
	json_writer__kv_string(w, "type", e->type);
	if (e->by)
		json_writer__kv_string(w, "by", e->by);
	if (!strcmp(e->type, "gc")) {
		json_writer__kv_double(w, "duration_s", e->duration_s);
		json_writer__kv_i64(w, "generation", e->generation);
	} else if (!strcmp(e->type, "oom")) {
		json_writer__kv_u64(w, "size", e->size);
		json_writer__kv_string(w, "kind", e->kind);
		json_writer__kv_u64(w, "gpu_live_bytes", e->gpu_live_bytes);
	}
	json_writer__end_object(w);
}

static void write_timeline(struct json_writer *w, const struct snap_timeline *tl)
{
	json_writer__key(w, "timeline");
	if (!tl->present) {
		json_writer__null(w);
		return;
	}
	json_writer__begin_object(w);
	json_writer__kv_double(w, "resolution_s", tl->resolution_s);
	json_writer__key(w, "t_s");
	json_writer__begin_array(w);
	for (size_t i = 0; i < tl->nr_points; i++)
		json_writer__double(w, tl->t_s[i]);
	json_writer__end_array(w);
	write_series(w, "host_bytes", tl->host, tl->nr_host, tl->nr_points);
	write_series(w, "gpu_bytes", tl->gpu, tl->nr_gpu, tl->nr_points);
	write_values(w, "host_peak_bytes", tl->host_peak, tl->nr_points);
	write_values(w, "gpu_peak_bytes", tl->gpu_peak, tl->nr_points);
	write_values(w, "anon_bytes", tl->anon, tl->nr_points);
	write_values(w, "brk_bytes", tl->brk, tl->nr_points);
	json_writer__key(w, "events");
	json_writer__begin_array(w);
	for (size_t i = 0; i < tl->nr_events; i++)
		write_event(w, &tl->events[i]);
	json_writer__end_array(w);
	json_writer__key(w, "events_omitted");
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "gc", tl->gc_omitted);
	json_writer__kv_u64(w, "oom", tl->oom_omitted);
	json_writer__kv_u64(w, "step", tl->step_omitted);
	json_writer__end_object(w);
	json_writer__end_object(w);
}

/* The profile as the threads table shows it; null without one (--no-resources, older files). */
static void write_resources(struct json_writer *w, const struct snap_resources *r)
{
	json_writer__key(w, "resources");
	if (!r->present) {
		json_writer__null(w);
		return;
	}
	json_writer__begin_object(w);
	json_writer__kv_string(w, "verdict", r->verdict);
	json_writer__kv_double(w, "share", r->share);
	json_writer__kv_u64(w, "on_cpu_ns", r->on_cpu_ns);
	json_writer__kv_u64(w, "runqueue_ns", r->runqueue_ns);
	json_writer__kv_u64(w, "minor_faults", r->minor_faults);
	json_writer__kv_u64(w, "major_faults", r->major_faults);
	json_writer__kv_u64(w, "fault_ns", r->fault_ns);
	json_writer__kv_u64(w, "read_bytes", r->read_bytes);
	json_writer__kv_u64(w, "write_bytes", r->write_bytes);
	json_writer__kv_u64(w, "blocked_ns", r->blocked_ns);
	json_writer__kv_u64(w, "tx_bytes", r->tx_bytes);
	json_writer__kv_u64(w, "rx_bytes", r->rx_bytes);
	json_writer__kv_u64(w, "gpu_bytes", r->gpu_bytes);
	json_writer__kv_u64(w, "gpu_sync_ns", r->gpu_sync_ns);
	json_writer__kv_u64(w, "wall_ns", r->wall_ns);
	json_writer__end_object(w);
}

static void write_process(struct json_writer *w, const struct snap_process *p)
{
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "pid", p->pid);
	json_writer__kv_string(w, "comm", p->comm);
	json_writer__kv_string(w, "exe", p->exe);
	json_writer__kv_bool(w, "exited", p->exited);
	json_writer__kv_string(w, "source", p->source);
	html_data__counters(w, "counters", &p->c);
	json_writer__key(w, "threads");
	json_writer__begin_array(w);
	for (size_t i = 0; i < p->nr_threads; i++) {
		json_writer__begin_object(w);
		json_writer__kv_u64(w, "tid", p->threads[i].tid);
		json_writer__kv_string(w, "comm", p->threads[i].comm);
		json_writer__kv_bool(w, "exited", p->threads[i].exited);
		html_data__counters(w, "counters", &p->threads[i].c);
		write_resources(w, &p->threads[i].res);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	write_resources(w, &p->res);
	write_timeline(w, &p->timeline);
	json_writer__end_object(w);
}

void html_data__snapshot(struct json_writer *w, const struct snapshot *s)
{
	json_writer__begin_object(w);
	json_writer__kv_string(w, "path", s->path);
	json_writer__kv_string(w, "host", s->host);
	json_writer__kv_string(w, "started_at", s->started_at);
	json_writer__kv_double(w, "duration_s", s->duration_s);
	json_writer__kv_u64(w, "lost_events", s->lost_events);
	json_writer__key(w, "command");
	json_writer__begin_array(w);
	for (size_t i = 0; i < s->nr_command; i++)
		json_writer__string(w, s->command[i]);
	json_writer__end_array(w);
	html_data__counters(w, "totals", &s->totals);
	json_writer__key(w, "gpu_kinds");
	json_writer__begin_object(w);
	for (size_t i = 0; i < s->nr_gpu_kinds; i++)
		html_data__counters(w, s->gpu_kinds[i].name, &s->gpu_kinds[i].c);
	json_writer__end_object(w);
	json_writer__kv_u64(w, "gpu_oom_events", s->gpu_oom_events);
	json_writer__key(w, "processes");
	json_writer__begin_array(w);
	for (size_t i = 0; i < s->nr_procs; i++)
		write_process(w, &s->procs[i]);
	json_writer__end_array(w);
	json_writer__end_object(w);
}

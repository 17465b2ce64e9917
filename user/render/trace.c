// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How Perfetto's JSON importer reads what is written here (its
 * json_trace_parser): a "C" event's every args key is a counter track of
 * the process, named "NAME KEY"; an "i" event with "s": "p" goes on the
 * process's instant track, with "s": "g" on one global track; an "X" event
 * is a slice of its thread, dur long; "M" events process_name and
 * thread_name name them (a thread by its tid alone: hence tids unique over
 * the whole trace). chrome://tracing reads the same.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/trace.h"
#include "util/json_writer.h"

struct trace_ids {
	uint32_t pid;		/* the process's trace pid, and its main thread's tid */
	uint32_t next_tid;	/* the next trace tid for any other thread, over the trace */
};

/* Seconds from the start of tracing as the trace's microseconds, to the nanosecond. */
static double micros(double s)
{
	return round(s * 1e9) / 1e3;
}

static void begin_event(struct json_writer *w, const char *name, const char *ph, uint32_t pid,
			uint32_t tid, double t_s)
{
	json_writer__begin_object(w);
	json_writer__kv_string(w, "name", name);
	json_writer__kv_string(w, "ph", ph);
	json_writer__kv_double(w, "ts", micros(t_s));
	json_writer__kv_u64(w, "pid", pid);
	json_writer__kv_u64(w, "tid", tid);
}

/* "process_name" or "thread_name" metadata. */
static void name_event(struct json_writer *w, const char *kind, uint32_t pid, uint32_t tid,
		       const char *name)
{
	begin_event(w, kind, "M", pid, tid, 0);
	json_writer__key(w, "args");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "name", name);
	json_writer__end_object(w);
	json_writer__end_object(w);
}

/* "comm (id)", "comm (id) LABEL"; "id" alone for a nameless one. NULL without memory. */
static char *entity_name(const char *comm, uint32_t id, const char *label)
{
	char *s;
	int n;

	if (comm && *comm)
		n = asprintf(&s, "%s (%u)%s%s", comm, id, label ? " " : "", label ? label : "");
	else
		n = asprintf(&s, "%u%s%s", id, label ? " " : "", label ? label : "");
	return n < 0 ? NULL : s;
}

/*
 * What tells a process of this snapshot from another's with its PID: a
 * merged record's source, else, with several snapshots, "FILE@HOST" as
 * memtrace merge would label it. NULL for none; *err on ENOMEM.
 */
static char *snapshot_label(const struct snapshot *s, const struct snap_process *p, size_t nr,
			    int *err)
{
	const char *base, *host = s->host ? s->host : "unknown";
	char *label = NULL;

	if (p->source) {
		label = strdup(p->source);
	} else if (nr > 1) {
		base = strrchr(s->path, '/');
		if (asprintf(&label, "%s@%s", base ? base + 1 : s->path, host) < 0)
			label = NULL;
	} else {
		return NULL;
	}
	if (!label)
		*err = -ENOMEM;
	return label;
}

static bool has_gc(const struct snap_timeline *t)
{
	for (size_t i = 0; i < t->nr_events; i++)
		if (!strcmp(t->events[i].type, "gc"))
			return true;
	return false;
}

/* The process's and its threads' names; *gc_tid the "gc" thread's tid, when it has one. */
static int write_names(struct json_writer *w, const struct snapshot *s, size_t nr,
		       const struct snap_process *p, struct trace_ids *ids, uint32_t *gc_tid)
{
	int err = 0;
	char *label = snapshot_label(s, p, nr, &err), *name;

	if (err)
		return err;
	name = entity_name(p->comm, p->pid, label);
	free(label);
	if (!name)
		return -ENOMEM;
	name_event(w, "process_name", ids->pid, ids->pid, name);
	free(name);
	for (size_t i = 0; i < p->nr_threads; i++) {
		const struct snap_thread *t = &p->threads[i];
		uint32_t tid = t->tid == p->pid ? ids->pid : ids->next_tid++;

		name = entity_name(t->comm, t->tid, NULL);
		if (!name)
			return -ENOMEM;
		name_event(w, "thread_name", ids->pid, tid, name);
		free(name);
	}
	if (has_gc(&p->timeline)) {
		*gc_tid = ids->next_tid++;
		name_event(w, "thread_name", ids->pid, *gc_tid, "gc");
	}
	return 0;
}

/* One counter event: values[i] of each of series, by name. */
static void counter_by(struct json_writer *w, const char *name, const struct snap_series *series,
		       size_t nr, size_t i, uint32_t pid, double t_s)
{
	if (!nr)
		return;
	begin_event(w, name, "C", pid, pid, t_s);
	json_writer__key(w, "args");
	json_writer__begin_object(w);
	for (size_t k = 0; k < nr; k++)
		json_writer__kv_u64(w, series[k].name, series[k].v[i]);
	json_writer__end_object(w);
	json_writer__end_object(w);
}

/* The same for up to two named columns; a NULL column is left out, both NULL: no event. */
static void counter_cols(struct json_writer *w, const char *name, const char *key_a,
			 const uint64_t *a, const char *key_b, const uint64_t *b, size_t i,
			 uint32_t pid, double t_s)
{
	if (!a && !b)
		return;
	begin_event(w, name, "C", pid, pid, t_s);
	json_writer__key(w, "args");
	json_writer__begin_object(w);
	if (a)
		json_writer__kv_u64(w, key_a, a[i]);
	if (b)
		json_writer__kv_u64(w, key_b, b[i]);
	json_writer__end_object(w);
	json_writer__end_object(w);
}

static void write_points(struct json_writer *w, const struct snap_timeline *t, uint32_t pid)
{
	for (size_t i = 0; i < t->nr_points; i++) {
		double t_s = t->t_s[i];

		counter_by(w, "host live bytes", t->host, t->nr_host, i, pid, t_s);
		counter_cols(w, "host peak", "bytes", t->host_peak, NULL, NULL, i, pid, t_s);
		counter_by(w, "gpu live bytes", t->gpu, t->nr_gpu, i, pid, t_s);
		counter_cols(w, "gpu peak", "bytes", t->gpu_peak, NULL, NULL, i, pid, t_s);
		counter_cols(w, "mapped bytes", "anon", t->anon, "brk", t->brk, i, pid, t_s);
	}
}

/* A collection as a slice of the "gc" thread; anything else an instant of the process. */
static void write_event(struct json_writer *w, const struct snap_event *e, uint32_t pid,
			uint32_t gc_tid)
{
	bool gc = !strcmp(e->type, "gc");

	begin_event(w, e->type, gc ? "X" : "i", pid, gc ? gc_tid : pid, e->t_s);
	if (gc)
		json_writer__kv_double(w, "dur", micros(e->duration_s));
	else
		json_writer__kv_string(w, "s", "p");
	json_writer__key(w, "args");
	json_writer__begin_object(w);
	if (e->by)
		json_writer__kv_string(w, "by", e->by);
	if (gc && e->generation >= 0)
		json_writer__kv_i64(w, "generation", e->generation);
	if (!strcmp(e->type, "oom")) {
		json_writer__kv_u64(w, "size", e->size);
		json_writer__kv_string(w, "kind", e->kind);
		json_writer__kv_u64(w, "gpu_live_bytes", e->gpu_live_bytes);
	}
	json_writer__end_object(w);
	json_writer__end_object(w);
}

static int write_process(struct json_writer *w, const struct snapshot *s, size_t nr,
			 const struct snap_process *p, struct trace_ids *ids)
{
	uint32_t gc_tid = 0;
	int err = write_names(w, s, nr, p, ids, &gc_tid);

	if (err)
		return err;
	write_points(w, &p->timeline, ids->pid);
	for (size_t i = 0; i < p->timeline.nr_events; i++)
		write_event(w, &p->timeline.events[i], ids->pid, gc_tid);
	return 0;
}

/* Who made the trace, and the host when there is one snapshot (else each name has it). */
static void write_other(struct json_writer *w, const struct snapshot *snaps, size_t nr)
{
	json_writer__key(w, "otherData");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "tool", "memtrace");
	if (nr == 1 && snaps[0].host)
		json_writer__kv_string(w, "host", snaps[0].host);
	json_writer__end_object(w);
}

int trace__write(const struct snapshot *snaps, size_t nr, FILE *out)
{
	struct json_writer *w = json_writer__new(out, false);
	struct trace_ids ids = { .pid = 0 };
	size_t nr_procs = 0;
	int err = 0;

	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++)
		nr_procs += snaps[i].nr_procs;
	/* trace pids 1..nr_procs, then the other threads' tids */
	ids.next_tid = (uint32_t)nr_procs + 1;
	/*
	 * The other keys first: Perfetto's tokenizer reads the file in chunks
	 * and takes a displayTimeUnit past the first as too late.
	 */
	json_writer__begin_object(w);
	json_writer__kv_string(w, "displayTimeUnit", "ms");
	write_other(w, snaps, nr);
	json_writer__key(w, "traceEvents");
	json_writer__begin_array(w);
	for (size_t i = 0; i < nr && !err; i++) {
		for (size_t j = 0; j < snaps[i].nr_procs && !err; j++) {
			ids.pid++;
			err = write_process(w, &snaps[i], nr, &snaps[i].procs[j], &ids);
		}
	}
	json_writer__end_array(w);
	json_writer__end_object(w);
	if (!err)
		err = json_writer__error(w);
	json_writer__free(w);
	if (!err && (fputc('\n', out) == EOF || ferror(out)))
		err = -EIO;
	return err;
}

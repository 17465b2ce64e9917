// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>

#include "compare/diff_report.h"
#include "util/json_writer.h"

/* {"before", "after", "change", "change_pct"}; change_pct null from 0 */
static void write_change(struct json_writer *w, const char *key, uint64_t before, uint64_t after)
{
	json_writer__key(w, key);
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "before", before);
	json_writer__kv_u64(w, "after", after);
	json_writer__kv_i64(w, "change", (int64_t)(after - before));
	json_writer__key(w, "change_pct");
	if (before)
		json_writer__double(w, ((double)after - (double)before) * 100.0 / (double)before);
	else
		json_writer__null(w);
	json_writer__end_object(w);
}

static void write_metrics(const struct diff *d, size_t pair, struct json_writer *w)
{
	uint64_t before, after;

	for (int m = 0; m < METRIC_COUNT; m++) {
		if (m == METRIC_LOST_EVENTS && pair != METRIC_TOTALS)
			continue;
		diff__values(d, m, pair, &before, &after);
		write_change(w, metric__name(m), before, after);
	}
}

static void write_snapshot(const struct snapshot *s, struct json_writer *w)
{
	json_writer__begin_object(w);
	json_writer__kv_string(w, "file", s->path);
	json_writer__kv_string(w, "host", s->host);
	json_writer__kv_double(w, "duration_s", s->duration_s);
	json_writer__end_object(w);
}

static void write_side(const struct snapshot *s, size_t proc, struct json_writer *w)
{
	const struct snap_process *p;

	if (proc == PROCESS_ABSENT) {
		json_writer__null(w);
		return;
	}
	p = &s->procs[proc];
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "pid", p->pid);
	json_writer__kv_string(w, "comm", p->comm);
	json_writer__kv_string(w, "exe", p->exe);
	json_writer__kv_string(w, "source", p->source);
	json_writer__end_object(w);
}

static void write_processes(const struct diff *d, struct json_writer *w)
{
	json_writer__key(w, "processes");
	json_writer__begin_array(w);
	for (size_t i = 0; i < d->nr_pairs; i++) {
		const struct process_pair *p = &d->pairs[i];
		const struct snap_process *named = p->new != PROCESS_ABSENT
							   ? &d->new->procs[p->new]
							   : &d->base->procs[p->base];

		json_writer__begin_object(w);
		json_writer__kv_string(w, "name", snap_process__name(named));
		json_writer__kv_string(w, "status", p->base == PROCESS_ABSENT ? "new"
						    : p->new == PROCESS_ABSENT ? "gone"
									       : "matched");
		json_writer__key(w, "before");
		write_side(d->base, p->base, w);
		json_writer__key(w, "after");
		write_side(d->new, p->new, w);
		json_writer__key(w, "metrics");
		json_writer__begin_object(w);
		write_metrics(d, i, w);
		json_writer__end_object(w);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static void write_frames(const struct diff *d, const struct snap_leak *leak,
			 struct json_writer *w)
{
	size_t n = d->depth && leak->nr_frames > d->depth ? d->depth : leak->nr_frames;

	json_writer__key(w, "frames");
	json_writer__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct snap_frame *f = &leak->frames[i];

		json_writer__begin_object(w);
		json_writer__kv_string(w, "kind", f->python ? "python" : "native");
		json_writer__kv_string(w, "symbol", f->symbol);
		json_writer__kv_string(w, "linkage_name", f->linkage_name);
		json_writer__kv_string(w, "module", f->module);
		json_writer__kv_string(w, "file", f->file);
		json_writer__key(w, "line");
		if (f->line)
			json_writer__u64(w, f->line);
		else
			json_writer__null(w);
		json_writer__kv_bool(w, "inlined", f->inlined);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static void write_growing(struct json_writer *w, const char *key, const struct site *s)
{
	json_writer__key(w, key);
	if (s)
		json_writer__bool(w, s->growing);
	else
		json_writer__null(w);
}

static void write_sites(const struct diff *d, struct json_writer *w)
{
	json_writer__key(w, "sites_summary");
	json_writer__begin_object(w);
	for (int st = 0; st < SITE_STATUS_COUNT; st++)
		json_writer__kv_u64(w, site_status__name(st), d->by_status[st]);
	json_writer__end_object(w);
	json_writer__key(w, "sites");
	json_writer__begin_array(w);
	for (size_t i = 0; i < d->nr_sites; i++) {
		const struct diff_site *s = &d->sites[i];
		const struct site *site = diff_site__site(s);

		json_writer__begin_object(w);
		json_writer__kv_string(w, "status", site_status__name(s->status));
		json_writer__kv_string(w, "key", site->key);
		json_writer__kv_string(w, "allocator", site->allocator);
		json_writer__key(w, "process");
		if (s->pair == SIZE_MAX)
			json_writer__null(w);
		else
			json_writer__u64(w, s->pair);
		write_change(w, "bytes", diff_site__before(s), diff_site__after(s));
		write_change(w, "count", s->before ? s->before->count : 0,
			     s->after ? s->after->count : 0);
		write_growing(w, "growing_before", s->before);
		write_growing(w, "growing_after", s->after);
		write_frames(d, site->shown, w);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static void write_rules(const struct rule_results *rules, struct json_writer *w)
{
	json_writer__key(w, "rules");
	json_writer__begin_array(w);
	for (size_t i = 0; rules && i < rules->n; i++) {
		const struct rule_result *r = &rules->items[i];

		json_writer__begin_object(w);
		json_writer__kv_string(w, "rule", r->rule->text);
		json_writer__kv_string(w, "metric", metric__name(r->rule->metric));
		json_writer__key(w, "process");
		if (r->scope == METRIC_TOTALS)
			json_writer__null(w);
		else
			json_writer__u64(w, r->scope);
		json_writer__kv_u64(w, "before", r->before);
		json_writer__kv_u64(w, "after", r->after);
		json_writer__kv_bool(w, "broken", r->broken);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__kv_u64(w, "rules_broken", rules ? rules->nr_broken : 0);
}

int diff_json__write(const struct diff *d, const struct rule_results *rules, FILE *out)
{
	struct json_writer *w = json_writer__new(out, true);
	int err;

	if (!w)
		return -ENOMEM;
	json_writer__begin_object(w);
	json_writer__kv_string(w, "schema", DIFF_SCHEMA);
	json_writer__key(w, "tool");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "name", "memtrace");
	json_writer__kv_string(w, "version", MEMTRACE_VERSION);
	json_writer__end_object(w);
	json_writer__key(w, "base");
	write_snapshot(d->base, w);
	json_writer__key(w, "new");
	write_snapshot(d->new, w);
	json_writer__kv_u64(w, "depth", d->depth);
	json_writer__key(w, "totals");
	json_writer__begin_object(w);
	write_metrics(d, METRIC_TOTALS, w);
	json_writer__end_object(w);
	write_processes(d, w);
	json_writer__key(w, "allocators");
	json_writer__begin_array(w);
	for (size_t i = 0; i < d->nr_allocators; i++) {
		const struct diff_allocator *a = &d->allocators[i];

		json_writer__begin_object(w);
		json_writer__kv_string(w, "allocator", a->name);
		write_change(w, "leak_bytes", a->before_bytes, a->after_bytes);
		write_change(w, "leak_count", a->before_count, a->after_count);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	write_sites(d, w);
	write_rules(rules, w);
	json_writer__end_object(w);
	err = json_writer__error(w);
	json_writer__free(w);
	if (!err && fflush(out))
		err = -EIO;
	return err;
}

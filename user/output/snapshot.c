// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "account/allocator_stats.h"
#include "attach/alloc_funcs.h"
#include "attach/libc_locate.h"
#include "output/frames.h"
#include "output/gc_snapshot.h"
#include "output/gpu_snapshot.h"
#include "output/mapping_snapshot.h"
#include "output/resources_snapshot.h"
#include "output/snapshot.h"
#include "output/timeline_snapshot.h"
#include "util/array.h"
#include "util/json_writer.h"
#include "util/str_map.h"

static const char *const drop_names[RUN_DROP_COUNT] = {
	[MT_DROP_RINGBUF_FULL] = "ringbuf_full",
	[MT_DROP_CALL_MAP_FULL] = "call_map_full",
	[MT_DROP_MISSED_ENTRY] = "missed_entry",
	[MT_DROP_STACK_RINGBUF] = "stack_ringbuf_full",
	[MT_DROP_STACK_ERROR] = "stack_unwind_error",
	[MT_DROP_PROCESS_NOT_FOLLOWED] = "process_not_followed",
	[MT_DROP_OTHER_RECORD] = "other_records_lost",
	[RUN_DROP_SHORT_RECORD] = "short_records",
	[RUN_DROP_UNKNOWN_RECORD] = "unknown_records",
};

/* --max-live: the cap, and the allocations past it, counted but not kept. */
static void write_untracked(const struct live_cap *cap, struct json_writer *w)
{
	json_writer__key(w, "untracked");
	json_writer__begin_object(w);
	json_writer__key(w, "max_live");
	if (cap->max)
		json_writer__u64(w, cap->max);
	else
		json_writer__null(w);
	json_writer__kv_u64(w, "blocks", cap->untracked_blocks);
	json_writer__kv_u64(w, "bytes", cap->untracked_bytes);
	json_writer__end_object(w);
}

/* --max-exited: the ended processes summed up instead of listed, when there were any. */
static void write_folded(const struct folded_processes *f, struct json_writer *w)
{
	if (!f->processes)
		return;
	json_writer__key(w, "folded");
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "processes", f->processes);
	counters__write_json(&f->c, w);
	json_writer__kv_u64(w, "live_blocks", f->live_blocks);
	json_writer__end_object(w);
}

/*
 * Python frames, when a stack had any: how many distinct ones, and what
 * could not be named or placed. Absent otherwise: a run without Python
 * writes the snapshot it always did.
 */
static void write_python(const struct py_frame_table *t, struct json_writer *w)
{
	const struct py_frame_stats *st = &t->stats;

	if (!t->n && !st->unreadable_code && !st->approximate_stacks && !st->no_interpreter)
		return;
	json_writer__key(w, "python");
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "frames", t->n);
	json_writer__kv_u64(w, "unreadable_code", st->unreadable_code);
	json_writer__kv_u64(w, "approximate_stacks", st->approximate_stacks);
	json_writer__kv_u64(w, "no_interpreter", st->no_interpreter);
	json_writer__end_object(w);
}

/* The run's figures by allocator, folded processes' included. */
static void write_allocator_totals(const struct run_summary *s, struct json_writer *w)
{
	struct allocator_stats all;

	tracker__allocator_totals(s->tracker, &all);
	allocator_stats__write_json(&all, w);
}

static const char *stack_mode_name(enum mt_stack_mode mode)
{
	switch (mode) {
	case MT_STACK_NONE:
		return "none";
	case MT_STACK_DWARF:
		return "dwarf";
	case MT_STACK_KERNEL_DWARF:
		return "kernel-dwarf";
	case MT_STACK_FP:
		break;
	}
	return "fp";
}

/* kernel-dwarf: its tables in the kernel at the end, and the modules that did not fit. */
static void write_unwind_tables(const struct unwind_loader *ul, struct json_writer *w)
{
	struct unwind_loader_stats st;

	if (!ul)
		return;
	unwind_loader__stats(ul, &st);
	json_writer__key(w, "unwind_tables");
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "modules", st.modules);
	json_writer__kv_u64(w, "bytes", st.bytes);
	json_writer__kv_u64(w, "max_bytes", st.max_bytes);
	json_writer__key(w, "not_fitted");
	json_writer__begin_array(w);
	for (size_t i = 0; i < st.not_fitted; i++)
		json_writer__string(w, unwind_loader__not_fitted(ul, i));
	json_writer__end_array(w);
	json_writer__end_object(w);
}

static void write_header(const struct run_summary *s, struct json_writer *w)
{
	char when[64], ms[8], host[256];
	struct tm tm;

	gmtime_r(&s->started_at.tv_sec, &tm);
	strftime(when, sizeof(when) - sizeof(ms), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ms, sizeof(ms), ".%03dZ", (int)(s->started_at.tv_nsec / 1000000) % 1000);
	strcat(when, ms);
	json_writer__kv_string(w, "schema", SNAPSHOT_SCHEMA);
	json_writer__key(w, "tool");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "name", "memtrace");
	json_writer__kv_string(w, "version", MEMTRACE_VERSION);
	json_writer__end_object(w);
	json_writer__kv_string(w, "started_at", when);
	/* which machine: merged snapshots of one job's ranks are told apart by it */
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	json_writer__kv_string(w, "host", host);
	json_writer__kv_double(w, "duration_s", s->duration_s);
	if (s->command) {
		json_writer__key(w, "command");
		json_writer__begin_array(w);
		for (char **arg = s->command; *arg; arg++)
			json_writer__string(w, *arg);
		json_writer__end_array(w);
	}
	json_writer__kv_string(w, "stack_mode", stack_mode_name(s->stack_mode));
	json_writer__kv_u64(w, "sample_bytes", s->sample_bytes);
	write_unwind_tables(s->unwind, w);
	json_writer__kv_u64(w, "lost_events", run_summary__lost_events(s));
	json_writer__kv_u64(w, "lost_stacks", run_summary__lost_stacks(s));
	json_writer__key(w, "drops");
	json_writer__begin_object(w);
	for (int i = 0; i < RUN_DROP_COUNT; i++)
		json_writer__kv_u64(w, drop_names[i], s->drops[i]);
	json_writer__end_object(w);
	json_writer__key(w, "totals");
	json_writer__begin_object(w);
	counters__write_json(&s->tracker->totals, w);
	json_writer__end_object(w);
	write_allocator_totals(s, w);
	gpu_snapshot__write_totals(&s->tracker->gpu, w);
	mapping_snapshot__write_totals(s->tracker, w);
	resources_snapshot__write_run(&s->tracker->res, w);
	write_folded(&s->tracker->folded, w);
	write_untracked(&s->tracker->live_cap, w);
	write_python(&s->tracker->py_frames, w);
	json_writer__kv_bool(w, "final", !s->interval);
	json_writer__key(w, "interval_s");
	if (s->interval_ns)
		json_writer__double(w, s->interval_ns / 1e9);
	else
		json_writer__null(w);
	json_writer__kv_double(w, "leak_age_s", s->leak_age_ns / 1e9);
}

/* Where each function's probe went, and why: probe placement is a trade-off worth showing. */
static void write_probes(const struct mt_process *p, struct json_writer *w)
{
	const struct libc_image *img = p->libc;

	json_writer__key(w, "probes");
	json_writer__begin_object(w);
	/* --preload: one site in memtrace's own library counts every call */
	json_writer__kv_string(w, "method", p->preload ? "preload" : "uprobes");
	json_writer__kv_string(w, "module", p->preload ? p->preload : img->path);
	json_writer__key(w, "sites");
	json_writer__begin_array(w);
	for (int i = 0; img && i < img->nr_sites; i++) {
		const struct libc_site *site = &img->sites[i];

		json_writer__begin_object(w);
		json_writer__kv_string(w, "function", alloc_funcs__name(site->func));
		if (site->alias_of >= 0) {
			json_writer__kv_string(w, "same_address_as",
					       alloc_funcs__name(img->sites[site->alias_of].func));
		} else {
			json_writer__kv_u64(w, "offset", site->probe_offset - site->file_offset);
			json_writer__kv_string(w, "instruction", site->placement.insn);
			json_writer__kv_bool(w, "emulated", site->placement.emulated);
			json_writer__kv_string(w, "why", site->placement.why);
		}
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__end_object(w);
}

/* Where the process came from and how its record ended. */
static void write_lifecycle(const struct run_summary *s, const struct mt_process *p,
			    struct json_writer *w)
{
	if (p->ns_pid)
		json_writer__kv_u64(w, "ns_pid", p->ns_pid);
	if (p->ppid)
		json_writer__kv_u64(w, "ppid", p->ppid);
	if (p->end == PROCESS_RUNNING)
		return;
	json_writer__kv_string(w, "ended_by", p->end == PROCESS_EXECED ? "exec" : "exit");
	if (p->end_ns)
		json_writer__kv_double(w, "end_s", p->end_ns > s->start_ns
							   ? (p->end_ns - s->start_ns) / 1e9
							   : 0);
	if (p->end == PROCESS_EXECED) {
		json_writer__kv_u64(w, "exec_dropped_blocks", p->exec_dropped_blocks);
		json_writer__kv_u64(w, "exec_dropped_bytes", p->exec_dropped_bytes);
	} else if (p->exit_seen && WIFSIGNALED(p->exit_code)) {
		json_writer__kv_u64(w, "exit_signal", WTERMSIG(p->exit_code));
	} else if (p->exit_seen) {
		json_writer__kv_u64(w, "exit_code", WEXITSTATUS(p->exit_code));
	}
}

/* 0 or -ENOMEM: the process is written whole all the same, but for its timeline. */
static int write_process(const struct run_summary *s, const struct mt_process *p,
			 struct json_writer *w)
{
	int err;

	json_writer__begin_object(w);
	json_writer__kv_u64(w, "pid", p->pid);
	if (p->start_time)
		json_writer__kv_u64(w, "start_time", p->start_time);
	json_writer__kv_string(w, "comm", p->comm);
	json_writer__kv_string(w, "exe", p->exe);
	json_writer__kv_bool(w, "exited", p->exited);
	write_lifecycle(s, p, w);
	counters__write_json(&p->c, w);
	json_writer__kv_u64(w, "live_blocks", process__live_blocks(p));
	if (p->untracked_blocks) {
		json_writer__kv_u64(w, "untracked_blocks", p->untracked_blocks);
		json_writer__kv_u64(w, "untracked_bytes", p->untracked_bytes);
	}
	allocator_stats__write_json(&p->by_allocator, w);
	json_writer__key(w, "steps");
	if (p->step_probe_attached)
		json_writer__u64(w, p->steps);
	else
		json_writer__null(w);
	json_writer__key(w, "threads");
	json_writer__begin_array(w);
	for (uint32_t i = 0; i < p->nr_threads; i++) {
		const struct mt_thread *t = &p->threads[i];

		json_writer__begin_object(w);
		json_writer__kv_u64(w, "tid", t->tid);
		json_writer__kv_string(w, "comm", t->comm);
		json_writer__kv_bool(w, "exited", t->exited);
		counters__write_json(&t->c, w);
		gpu_snapshot__write_thread(p, i, w);
		resources_snapshot__write_thread(&s->tracker->res, p, i, w);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	if (p->libc || p->preload)
		write_probes(p, w);
	gpu_snapshot__write_process(s, p, w);
	gc_snapshot__write_process(p, w);
	mapping_snapshot__write_process(p, w);
	resources_snapshot__write_process(&s->tracker->res, p, w);
	err = timeline_snapshot__write_process(s, p, w);
	json_writer__key(w, "size_histogram");
	json_writer__begin_array(w);
	for (unsigned int i = 0; i < SIZE_HISTOGRAM_BUCKETS; i++) {
		if (!p->sizes.count[i])
			continue;
		json_writer__begin_object(w);
		json_writer__kv_u64(w, "le", size_histogram__le(i));
		json_writer__kv_u64(w, "count", p->sizes.count[i]);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
	json_writer__end_object(w);
	return err;
}

static void write_double_or_null(struct json_writer *w, const char *key, bool known, double v)
{
	json_writer__key(w, key);
	if (known)
		json_writer__double(w, v);
	else
		json_writer__null(w);
}

/* When the site first allocated, whether it grows, and how long its blocks live. */
static void write_trends(const struct run_summary *s, const struct leak_site *site,
			 struct json_writer *w)
{
	json_writer__kv_double(w, "first_seen_s", site->first_ns > s->start_ns
							  ? (site->first_ns - s->start_ns) / 1e9
							  : 0);
	json_writer__kv_bool(w, "growing", site->growth.growing);
	write_double_or_null(w, "growth_bytes_per_s", site->growth.has_rate,
			     site->growth.bytes_per_s);
	write_double_or_null(w, "growth_bytes_per_step", site->growth.has_per_step,
			     site->growth.bytes_per_step);
	json_writer__key(w, "lifetimes");
	json_writer__begin_array(w);
	for (unsigned int i = 0; i < LIFETIME_BUCKETS; i++) {
		if (!site->freed[i] && !site->live_ages[i])
			continue;
		json_writer__begin_object(w);
		json_writer__kv_u64(w, "le_ns", lifetime_histogram__le(i));
		json_writer__kv_u64(w, "freed", site->freed[i]);
		json_writer__kv_u64(w, "live", site->live_ages[i]);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

/*
 * The modules the sites' frames name, each once, with its build id: what
 * pprof's mappings and a symbol server need to find the very file.
 */
struct modules {
	struct str_map paths;
	const char **build_ids;		/* by the path's index; NULL: none */
	size_t cap;
	int err;
};

static void modules__add(struct modules *m, const struct leak_frame *frames, size_t n)
{
	for (size_t i = 0; i < n && !m->err; i++) {
		const char *path = frames[i].info.module;
		bool added;
		int64_t idx;

		if (!path || frames[i].info.python)
			continue;
		idx = str_map__intern(&m->paths, path, strlen(path), &added);
		if (idx < 0) {
			m->err = (int)idx;
			break;
		}
		if (added && ARRAY_RESERVE(&m->build_ids, &m->cap, (size_t)idx + 1)) {
			m->err = -ENOMEM;
			break;
		}
		if (added || !m->build_ids[idx])
			m->build_ids[idx] = frames[i].info.build_id;
	}
}

static void modules__write(const struct modules *m, struct json_writer *w)
{
	json_writer__key(w, "modules");
	json_writer__begin_array(w);
	for (size_t i = 0; i < m->paths.n; i++) {
		json_writer__begin_object(w);
		json_writer__kv_string(w, "path", m->paths.keys[i].key);
		json_writer__kv_string(w, "build_id", m->build_ids[i]);
		json_writer__end_object(w);
	}
	json_writer__end_array(w);
}

static void modules__release(struct modules *m)
{
	str_map__release(&m->paths);
	free(m->build_ids);
}

/* Since tracing began; the one thread that allocated every block of the site, or null. */
static void write_totals(const struct leak_site *site, struct json_writer *w)
{
	const struct mt_process *p = site->process;
	bool one = site->thread < p->nr_threads;

	json_writer__kv_u64(w, "allocs", site->allocs);
	json_writer__kv_u64(w, "allocated_bytes", site->allocated_bytes);
	json_writer__kv_u64(w, "frees", site->frees);
	json_writer__kv_u64(w, "freed_bytes", site->freed_bytes);
	json_writer__key(w, "tid");
	if (one)
		json_writer__u64(w, p->threads[site->thread].tid);
	else
		json_writer__null(w);
	json_writer__kv_string(w, "thread_comm", one ? p->threads[site->thread].comm : NULL);
}

static void write_leak(const struct run_summary *s, const struct leak_site *site,
		       struct modules *mods, struct json_writer *w)
{
	const struct mt_stack *stack = stack_table__get(&s->tracker->stacks, site->stack);
	struct leak_frame frames[LEAK_MAX_FRAMES];
	const char *why;
	bool truncated;
	size_t n;

	n = leaks__frames(s->tracker, s->sym, site, frames, LEAK_MAX_FRAMES, &truncated);
	modules__add(mods, frames, n);
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "pid", site->process->pid);
	/* with pid, names the process though its PID may have been used again in the run */
	if (site->process->start_time)
		json_writer__kv_u64(w, "start_time", site->process->start_time);
	json_writer__kv_string(w, "allocator", site->allocator);
	json_writer__kv_u64(w, "bytes", site->bytes);
	json_writer__kv_u64(w, "count", site->count);
	write_totals(site, w);
	json_writer__kv_double(w, "oldest_age_s",
			       s->now_ns > site->oldest_ns ? (s->now_ns - site->oldest_ns) / 1e9 : 0);
	why = run_summary__no_stack_reason(s, site->stack, stack->received);
	json_writer__kv_bool(w, "stack_lost", why && !strcmp(why, "stack lost"));
	/* false only in older snapshots, for their group of blocks without a sampled stack */
	json_writer__kv_bool(w, "sampled", true);
	/* only where sampling ran: without it the snapshot is as it always was */
	if (s->tracker->sample_bytes)
		json_writer__kv_bool(w, "estimated", site->estimated);
	json_writer__kv_bool(w, "truncated", truncated);
	/* where a frame-pointer chain broke: code built without frame pointers */
	json_writer__kv_string(w, "truncated_in", truncated && n ? frames[n - 1].info.module : NULL);
	write_trends(s, site, w);
	json_writer__key(w, "stack");
	frames__write_json(frames, n, w);
	json_writer__end_object(w);
}

/* A report's sites, and what --max-sites left out of it under omitted_key. */
static void write_sites(const struct run_summary *s, const struct leak_report *r,
			const char *key, const char *omitted_key, bool freed,
			struct modules *mods, struct json_writer *w)
{
	json_writer__key(w, omitted_key);
	json_writer__begin_object(w);
	json_writer__kv_u64(w, "sites", r->omitted_sites);
	json_writer__kv_u64(w, freed ? "allocated_bytes" : "bytes", r->omitted_bytes);
	json_writer__kv_u64(w, freed ? "allocs" : "count", r->omitted_count);
	json_writer__end_object(w);
	json_writer__key(w, key);
	json_writer__begin_array(w);
	for (size_t i = 0; i < r->n; i++)
		write_leak(s, &r->sites[i], mods, w);
	json_writer__end_array(w);
}

int snapshot__write(const struct run_summary *s, FILE *out)
{
	struct json_writer *w = json_writer__new(out, true);
	struct modules mods = {};
	int err, proc_err = 0;

	if (!w)
		return -ENOMEM;
	json_writer__begin_object(w);
	write_header(s, w);
	json_writer__key(w, "processes");
	json_writer__begin_array(w);
	for (uint32_t i = 0; i < s->tracker->nr_procs; i++) {
		err = write_process(s, s->tracker->procs[i], w);
		if (err && !proc_err)
			proc_err = err;
	}
	json_writer__end_array(w);
	write_sites(s, &s->leaks, "leaks", "leaks_omitted", false, &mods, w);
	write_sites(s, &s->freed, "freed_sites", "freed_sites_omitted", true, &mods, w);
	modules__write(&mods, w);
	json_writer__end_object(w);
	err = proc_err ? proc_err : mods.err ? mods.err : json_writer__error(w);
	json_writer__free(w);
	modules__release(&mods);
	/* the writer knows that a write failed; the stream's last flush says why (ENOSPC, EPIPE) */
	if (fflush(out) && (!err || err == -EIO))
		err = -errno;
	return err;
}

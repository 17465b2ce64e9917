// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/allocator_stats.h"
#include "output/frames.h"
#include "output/gc_report.h"
#include "output/gpu_report.h"
#include "output/mapping_report.h"
#include "output/report.h"
#include "util/text_escape.h"
#include "util/units.h"

#define REPORT_FRAMES 16

static void write_counters_line(const struct mt_counters *c, FILE *out)
{
	char cur[UNITS_BUF], peak[UNITS_BUF], total[UNITS_BUF];

	fprintf(out, "current %s, peak %s, %s allocated | %llu allocs, %llu frees, %llu reallocs, "
		     "%llu failed, %llu unknown frees\n",
		units__bytes(c->current_bytes, cur), units__bytes(c->peak_bytes, peak),
		units__bytes(c->allocated_bytes, total), (unsigned long long)c->allocs,
		(unsigned long long)c->frees, (unsigned long long)c->reallocs,
		(unsigned long long)c->failed_allocs, (unsigned long long)c->unknown_frees);
}

/* The run's figures by allocator: one line each. */
static void write_allocator_totals(const struct tracker *t, FILE *out)
{
	struct allocator_stats all;

	tracker__allocator_totals(t, &all);
	allocator_stats__write_text(&all, "  ", out);
}

/* Python frames that could not be named or placed: the stacks are still there, less exact */
static void write_python_losses(const struct py_frame_stats *st, FILE *out)
{
	if (st->unreadable_code)
		fprintf(out, "WARNING: %llu Python frames with a code object memtrace could not read "
			     "(freed before the stack came): shown as %s\n",
			(unsigned long long)st->unreadable_code, PY_FRAME_UNKNOWN_CODE);
	if (st->approximate_stacks)
		fprintf(out, "WARNING: %llu stacks with Python frames not all in place (the native "
			     "walk stopped short): the rest are at the outer end\n",
			(unsigned long long)st->approximate_stacks);
	if (st->no_interpreter)
		fprintf(out, "WARNING: %llu stacks with Python frames in processes whose interpreter "
			     "memtrace could not read: native frames only\n",
			(unsigned long long)st->no_interpreter);
}

static void write_losses(const struct run_summary *s, FILE *out)
{
	uint64_t lost = run_summary__lost_events(s), stacks = run_summary__lost_stacks(s);

	/* lost stacks only hide names: the counts are still exact */
	if (!lost)
		fprintf(out, "Lost events: 0\n");
	else
		fprintf(out, "WARNING: %llu events lost (ring buffer full %llu, call map full %llu, "
			     "missed entries %llu): counts are lower bounds\n",
			(unsigned long long)lost,
			(unsigned long long)s->drops[MT_DROP_RINGBUF_FULL],
			(unsigned long long)s->drops[MT_DROP_CALL_MAP_FULL],
			(unsigned long long)s->drops[MT_DROP_MISSED_ENTRY]);
	/* with --sample-bytes, a sampled call that lost its stack is in no site: as if unsampled */
	if (stacks)
		fprintf(out, "WARNING: %llu stacks lost: their bytes show under \"stack lost\"%s\n",
			(unsigned long long)stacks,
			s->tracker->sample_bytes ? " or in the totals only: estimates may be short"
						 : "");
	if (s->drops[MT_DROP_OTHER_RECORD])
		fprintf(out, "WARNING: %llu other records lost (fork, exec, exit, mapping, GC or step): "
			     "process and mapping figures may be short\n",
			(unsigned long long)s->drops[MT_DROP_OTHER_RECORD]);
	write_python_losses(&s->tracker->py_frames.stats, out);
	if (run_summary__unread_records(s))
		fprintf(out, "WARNING: %llu records unreadable (too short %llu, unknown kind %llu): "
			     "memtrace's BPF side does not match its user side; figures may be short\n",
			(unsigned long long)run_summary__unread_records(s),
			(unsigned long long)s->drops[RUN_DROP_SHORT_RECORD],
			(unsigned long long)s->drops[RUN_DROP_UNKNOWN_RECORD]);
}

static void write_process(const struct run_summary *s, const struct mt_process *p, FILE *out)
{
	char cur[UNITS_BUF], peak[UNITS_BUF], total[UNITS_BUF], exe[PATH_MAX];
	char comm[COMM_LEN * TEXT_ESCAPE_RATIO];

	fprintf(out, "\nPID %u  %s  (%s)", p->pid, frames__printable(p->comm, comm, sizeof(comm)),
		frames__printable(p->exe, exe, sizeof(exe)));
	if (p->ns_pid && p->ns_pid != p->pid)
		fprintf(out, "  PID %u in its namespace", p->ns_pid);
	if (p->ppid)
		fprintf(out, "  parent %u", p->ppid);
	if (p->end == PROCESS_EXECED)
		fprintf(out, "  exec-ed: %llu blocks of %llu bytes gone with the image",
			(unsigned long long)p->exec_dropped_blocks,
			(unsigned long long)p->exec_dropped_bytes);
	else if (p->exited)
		fprintf(out, "  exited");
	fprintf(out, "\n  ");
	write_counters_line(&p->c, out);
	allocator_stats__write_text(&p->by_allocator, "  ", out);
	gpu_report__write_line(p, out);
	gc_report__write_line(p, out);
	mapping_report__write_line(p, out);
	if (p->step_probe_attached)
		fprintf(out, "  %llu step%s\n", (unsigned long long)p->steps, p->steps == 1 ? "" : "s");
	fprintf(out, "  %-8s %-16s %10s %10s %10s %10s %10s %8s\n", "TID", "THREAD", "CURRENT",
		"PEAK", "ALLOCATED", "ALLOCS", "FREES", "FAILED");
	for (uint32_t i = 0; i < p->nr_threads; i++) {
		const struct mt_thread *t = &p->threads[i];

		fprintf(out, "  %-8u %-16s %10s %10s %10s %10llu %10llu %8llu\n", t->tid,
			frames__printable(t->comm, comm, sizeof(comm)),
			units__bytes(t->c.current_bytes, cur), units__bytes(t->c.peak_bytes, peak),
			units__bytes(t->c.allocated_bytes, total), (unsigned long long)t->c.allocs,
			(unsigned long long)t->c.frees, (unsigned long long)t->c.failed_allocs);
	}
	gpu_report__write_section(s, p, out);
}

/* "+1.20 MiB/s" */
static const char *rate(double bytes, const char *per, char buf[UNITS_BUF])
{
	char num[UNITS_BUF];

	snprintf(buf, UNITS_BUF, "+%s/%s", units__bytes(bytes > 0 ? (uint64_t)bytes : 0, num), per);
	return buf;
}

/* Before a figure that is an estimate (--sample-bytes): "~1.2 MiB". */
static const char *approx(bool estimated)
{
	return estimated ? "~" : "";
}

/* How a person names a site: its innermost function and line, "train_step (model.c:42)". */
static const char *site_name(const struct run_summary *s, const struct leak_site *site,
			     char *buf, size_t len)
{
	return frames__leaf_name(s, site->process, site->stack, buf, len);
}

/* Order of the sites in the report: growing ones, steepest first, then the largest. */
static size_t report_order(const struct leak_report *r, size_t *order, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		double slope = r->sites[i].growth.bytes_per_s;
		size_t j;

		if (!r->sites[i].growth.growing)
			continue;
		for (j = n++; j && r->sites[order[j - 1]].growth.bytes_per_s < slope; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (size_t i = 0; i < r->n; i++)
		if (!r->sites[i].growth.growing)
			order[n++] = i;
	return n < max ? n : max;
}

/*
 * Five seconds' reading: which sites grow and how fast, and what the leak
 * candidates hold.
 */
static void write_summary(const struct run_summary *s, FILE *out)
{
	const struct leak_report *r = &s->leaks;
	char name[PATH_MAX], buf[UNITS_BUF], age[UNITS_BUF];
	size_t growing = 0, said = 0;
	uint64_t bytes = r->omitted_bytes, count = r->omitted_count;

	for (size_t i = 0; i < r->n; i++) {
		growing += r->sites[i].growth.growing;
		bytes += r->sites[i].bytes;
		count += r->sites[i].count;
	}
	if (!s->interval_ns)
		fprintf(out, "Summary: growth not measured: it needs --interval\n");
	else if (!growing)
		fprintf(out, "Summary: no site growing\n");
	else
		fprintf(out, "Summary: %zu site%s GROWING:", growing, growing == 1 ? "" : "s");
	for (size_t i = 0; i < r->n && growing && said < 3; i++) {
		const struct leak_site *site = &r->sites[i];

		if (!site->growth.growing)
			continue;
		fprintf(out, "%s %s%s", said++ ? "," : "", approx(site->estimated),
			rate(site->growth.bytes_per_s, "s", buf));
		if (site->growth.has_per_step)
			fprintf(out, " (%s%s)", approx(site->estimated),
				rate(site->growth.bytes_per_step, "step", buf));
		fprintf(out, " at %s", site_name(s, site, name, sizeof(name)));
	}
	if (growing)
		fprintf(out, growing > said ? ", and %zu more\n" : "\n", growing - said);
	fprintf(out, "         %zu leak site%s hold%s %s%s in %s%llu block%s",
		r->n + r->omitted_sites, r->n + r->omitted_sites == 1 ? "" : "s",
		r->n + r->omitted_sites == 1 ? "s" : "",
		approx(r->estimated), units__bytes(bytes, buf), approx(r->estimated),
		(unsigned long long)count, count == 1 ? "" : "s");
	if (s->leak_age_ns)
		fprintf(out, " at least %s old", units__duration(s->leak_age_ns / 1e9, age));
	if (r->n)
		fprintf(out, "; the largest, %s%s, at %s", approx(r->sites[0].estimated),
			units__bytes(r->sites[0].bytes, buf),
			site_name(s, &r->sites[0], name, sizeof(name)));
	fprintf(out, "\n");
}

/* The end of a site's header line: growth, when it grows. */
static void write_growth(const struct leak_site *site, FILE *out)
{
	char buf[UNITS_BUF];

	if (site->growth.growing) {
		fprintf(out, "  GROWING %s%s", approx(site->estimated),
			rate(site->growth.bytes_per_s, "s", buf));
		if (site->growth.has_per_step)
			fprintf(out, ", %s%s", approx(site->estimated),
				rate(site->growth.bytes_per_step, "step", buf));
	}
	fprintf(out, "\n");
}

/* Under a site's stack: when it first allocated, and how long its blocks live. */
static void write_lifetimes(const struct run_summary *s, const struct leak_site *site, FILE *out)
{
	char first[UNITS_BUF];
	bool any = false;

	fprintf(out, "    first seen at %s; lifetimes:",
		units__duration(site->first_ns > s->start_ns ? (site->first_ns - s->start_ns) / 1e9
							      : 0,
				first));
	for (unsigned int i = 0; i < LIFETIME_BUCKETS; i++) {
		if (!site->freed[i])
			continue;
		fprintf(out, "%s %llu <=%s", any ? "," : " freed", (unsigned long long)site->freed[i],
			lifetime_histogram__label(i));
		any = true;
	}
	fprintf(out, "%s live", any ? ";" : " none freed;");
	any = false;
	for (unsigned int i = 0; i < LIFETIME_BUCKETS; i++) {
		if (!site->live_ages[i])
			continue;
		fprintf(out, "%s %llu <=%s", any ? "," : "", (unsigned long long)site->live_ages[i],
			lifetime_histogram__label(i));
		any = true;
	}
	fprintf(out, "\n");
}

static void write_site(const struct run_summary *s, const struct leak_site *site, size_t rank,
		       FILE *out)
{
	const struct mt_stack *stack = stack_table__get(&s->tracker->stacks, site->stack);
	struct leak_frame frames[REPORT_FRAMES];
	char bytes[UNITS_BUF], age[UNITS_BUF], path[PATH_MAX];
	size_t n, shown;
	bool truncated;

	fprintf(out, "\n#%zu  %s%s in %s%llu block%s  PID %u", rank, approx(site->estimated),
		units__bytes(site->bytes, bytes), approx(site->estimated),
		(unsigned long long)site->count, site->count == 1 ? "" : "s", site->process->pid);
	/* libc is what a site is unless it says otherwise */
	if (site->gpu || strcmp(site->allocator, "libc"))
		fprintf(out, "  %s", site->allocator);
	fprintf(out, "  oldest %s",
		units__duration(s->now_ns > site->oldest_ns ? (s->now_ns - site->oldest_ns) / 1e9 : 0,
				age));
	write_growth(site, out);
	if (!stack->received) {
		fprintf(out, "    (%s)\n", run_summary__no_stack_reason(s, site->stack, false));
		return;
	}
	n = leaks__frames(s->tracker, s->sym, site, frames, REPORT_FRAMES, &truncated);
	frames__write_text(frames, n, out);
	shown = n ? frames[n - 1].addr + 1u : 0;
	if (stack->python_truncated)
		fprintf(out, "    ... (Python frames stop here: the walk's bound, or a frame it "
			     "could not read)\n");
	else if (truncated && s->stack_mode == MT_STACK_DWARF)
		fprintf(out, "    ... (unwinding stopped: no CFI here, or the stack copy ended)\n");
	else if (truncated && s->stack_mode == MT_STACK_KERNEL_DWARF &&
		 stack->nr_frames >= MT_MAX_FRAMES)
		fprintf(out, "    ... (unwinding stopped at the bound of %d frames)\n", MT_MAX_FRAMES);
	else if (truncated && s->stack_mode == MT_STACK_KERNEL_DWARF)
		fprintf(out, "    ... (unwinding stopped: no CFI rule the kernel follows here)\n");
	else if (truncated && n && frames[n - 1].info.module)
		fprintf(out, "    ... (stack ends: no frame pointers in %s)\n",
			frames__printable(strrchr(frames[n - 1].info.module, '/')
						  ? strrchr(frames[n - 1].info.module, '/') + 1
						  : frames[n - 1].info.module,
					  path, sizeof(path)));
	else if (truncated)
		fprintf(out, "    ... (stack ends: no frame pointers beyond this frame)\n");
	else if (shown < stack->nr_frames)
		fprintf(out, "    ... (%zu more callers in the snapshot)\n",
			stack->nr_frames - shown);
}

#define SAMPLING_NOTE_LEN (64 + UNITS_BUF)

/* What "~" means, after the sites' heading, when some site's figures are estimates. */
static const char *sampling_note(const struct run_summary *s, char *buf, size_t len)
{
	char every[UNITS_BUF];

	if (!s->leaks.estimated)
		return "";
	snprintf(buf, len, " (~: estimated from one stack per %s, --sample-bytes)",
		 units__bytes(s->tracker->sample_bytes, every));
	return buf;
}

/* Above the sites: how many are shown, or why there are none. */
static void write_sites_heading(const struct run_summary *s, size_t shown, FILE *out)
{
	char age[UNITS_BUF], sample[SAMPLING_NOTE_LEN], live[UNITS_BUF], every[UNITS_BUF];
	uint64_t live_bytes = s->tracker->totals.current_bytes;

	if (s->leaks.n)
		fprintf(out, "\nLive allocations by stack%s%s%s: top %zu of %zu sites%s\n",
			s->leak_age_ns ? ", at least " : "",
			s->leak_age_ns ? units__duration(s->leak_age_ns / 1e9, age) : "",
			s->leak_age_ns ? " old" : "", shown, s->leaks.n + s->leaks.omitted_sites,
			sampling_note(s, sample, sizeof(sample)));
	else if (s->tracker->sample_bytes && live_bytes && !s->leak_age_ns)
		/* "no live allocations" would deny the totals: the few blocks were not sampled */
		fprintf(out, "\nLive allocations by stack: none sampled (one stack per %s, "
			     "--sample-bytes); their %s are in the totals\n",
			units__bytes(s->tracker->sample_bytes, every), units__bytes(live_bytes, live));
	else
		fprintf(out, "\nNo live allocations%s%s%s.\n", s->leak_age_ns ? " at least " : "",
			s->leak_age_ns ? units__duration(s->leak_age_ns / 1e9, age) : "",
			s->leak_age_ns ? " old" : "");
}

int report__write(const struct run_summary *s, int top, FILE *out)
{
	const struct tracker *t = s->tracker;
	size_t *order = calloc(s->leaks.n ? s->leaks.n : 1, sizeof(*order));
	char dur[UNITS_BUF];
	size_t shown;

	if (!order)
		return -ENOMEM;
	shown = report_order(&s->leaks, order, (size_t)top);
	/* reports follow each other on one stream: a blank line between them */
	if (s->interval_ns && s->interval != 1)
		fprintf(out, "\n");
	if (s->interval)
		fprintf(out, "memtrace: interval %lu: ", s->interval);
	else
		fprintf(out, "memtrace: ");
	fprintf(out, "%u process%s traced for %s\n", t->nr_procs, t->nr_procs == 1 ? "" : "es",
		units__duration(s->duration_s, dur));
	if (t->live_cap.untracked_blocks)
		fprintf(out, "memtrace: %llu allocations (%llu bytes) past --max-live %llu: counted, "
			     "their blocks not kept (their frees count as unknown)\n",
			(unsigned long long)t->live_cap.untracked_blocks,
			(unsigned long long)t->live_cap.untracked_bytes,
			(unsigned long long)t->live_cap.max);
	if (t->folded.processes)
		fprintf(out, "memtrace: and %llu older exited processes, summed up (--max-exited): "
			     "%llu allocs, %llu bytes live at their exit\n",
			(unsigned long long)t->folded.processes,
			(unsigned long long)t->folded.c.allocs,
			(unsigned long long)t->folded.c.current_bytes);
	write_summary(s, out);
	fprintf(out, "Totals: ");
	write_counters_line(&t->totals, out);
	write_allocator_totals(t, out);
	gpu_report__write_totals(t, out);
	mapping_report__write_totals(t, out);
	write_losses(s, out);
	for (uint32_t i = 0; i < t->nr_procs; i++)
		write_process(s, t->procs[i], out);
	write_sites_heading(s, shown, out);
	for (size_t i = 0; i < shown; i++) {
		write_site(s, &s->leaks.sites[order[i]], i + 1, out);
		write_lifetimes(s, &s->leaks.sites[order[i]], out);
	}
	free(order);
	/* the flush's errno says why (EPIPE: the reader of stdout is gone) */
	if (fflush(out))
		return -errno;
	return ferror(out) ? -EIO : 0;
}

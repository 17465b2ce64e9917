// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "units.h"

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
	if (stacks)
		fprintf(out, "WARNING: %llu stacks lost: their bytes show under \"stack lost\"\n",
			(unsigned long long)stacks);
}

/* A name a program chose, made safe for a terminal: control bytes become '?'. */
static const char *printable(const char *name, char *buf, size_t len)
{
	size_t i;

	if (!name || !name[0])
		return "?";
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	buf[i] = '\0';
	return buf;
}

static void write_process(const struct mt_process *p, FILE *out)
{
	char cur[UNITS_BUF], peak[UNITS_BUF], total[UNITS_BUF], comm[COMM_LEN], exe[PATH_MAX];

	fprintf(out, "\nPID %u  %s  (%s)%s\n  ", p->pid, printable(p->comm, comm, sizeof(comm)),
		printable(p->exe, exe, sizeof(exe)), p->exited ? "  exited" : "");
	write_counters_line(&p->c, out);
	fprintf(out, "  %-8s %-16s %10s %10s %10s %10s %10s %8s\n", "TID", "THREAD", "CURRENT",
		"PEAK", "ALLOCATED", "ALLOCS", "FREES", "FAILED");
	for (uint32_t i = 0; i < p->nr_threads; i++) {
		const struct mt_thread *t = &p->threads[i];

		fprintf(out, "  %-8u %-16s %10s %10s %10s %10llu %10llu %8llu\n", t->tid,
			printable(t->comm, comm, sizeof(comm)), units__bytes(t->c.current_bytes, cur),
			units__bytes(t->c.peak_bytes, peak),
			units__bytes(t->c.allocated_bytes, total), (unsigned long long)t->c.allocs,
			(unsigned long long)t->c.frees, (unsigned long long)t->c.failed_allocs);
	}
}

static void write_site(const struct run_summary *s, const struct leak_site *site, size_t rank,
		       FILE *out)
{
	const struct mt_stack *stack = stack_table__get(&s->tracker->stacks, site->stack);
	struct leak_frame frames[REPORT_FRAMES];
	char bytes[UNITS_BUF], age[UNITS_BUF], path[PATH_MAX];
	bool truncated;
	size_t n;

	fprintf(out, "\n#%zu  %s in %llu block%s  PID %u  oldest %s\n", rank,
		units__bytes(site->bytes, bytes), (unsigned long long)site->count,
		site->count == 1 ? "" : "s", site->process->pid,
		units__duration(s->now_ns > site->oldest_ns ? (s->now_ns - site->oldest_ns) / 1e9 : 0,
				age));
	if (!stack->received) {
		fprintf(out, "    (stack lost)\n");
		return;
	}
	n = leaks__frames(s->tracker, s->sym, site, frames, REPORT_FRAMES, &truncated);
	for (size_t i = 0; i < n; i++) {
		const struct frame_info *f = &frames[i].info;

		const char *base = f->module ? strrchr(f->module, '/') : NULL;

		if (f->symbol)
			fprintf(out, "    %s+0x%llx", f->symbol, (unsigned long long)f->symbol_offset);
		else if (f->module)
			/* stable across runs, unlike the address: for addr2line -e MODULE */
			fprintf(out, "    %s+0x%llx", base ? base + 1 : f->module,
				(unsigned long long)f->module_offset);
		else
			fprintf(out, "    0x%llx", (unsigned long long)frames[i].ip);
		fprintf(out, "  (%s)\n", printable(f->module, path, sizeof(path)));
	}
	if (truncated)
		fprintf(out, "    ... (stack ends: no frame pointers beyond this frame)\n");
	else if (n == REPORT_FRAMES && stack->nr_frames > REPORT_FRAMES)
		fprintf(out, "    ... (%u more frames in the snapshot)\n",
			stack->nr_frames - REPORT_FRAMES);
}

int report__write(const struct run_summary *s, int top, FILE *out)
{
	const struct tracker *t = s->tracker;
	char dur[UNITS_BUF];
	size_t shown = (size_t)top < s->leaks.n ? (size_t)top : s->leaks.n;

	fprintf(out, "memtrace: %u process%s traced for %s\n", t->nr_procs,
		t->nr_procs == 1 ? "" : "es", units__duration(s->duration_s, dur));
	fprintf(out, "Totals: ");
	write_counters_line(&t->totals, out);
	write_losses(s, out);
	for (uint32_t i = 0; i < t->nr_procs; i++)
		write_process(t->procs[i], out);
	if (s->leaks.n)
		fprintf(out, "\nLive allocations by stack: top %zu of %zu sites\n", shown,
			s->leaks.n);
	else
		fprintf(out, "\nNo live allocations.\n");
	for (size_t i = 0; i < shown; i++)
		write_site(s, &s->leaks.sites[i], i + 1, out);
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "attach/allocator_funcs.h"
#include "attach/gpu_funcs.h"
#include "output/prom_series.h"
#include "output/prometheus.h"
#include "util/text_escape.h"

enum prom_labels {
	BY_COMM,
	BY_ALLOCATOR,		/* and comm */
	BY_KIND,		/* and comm: GPU memory */
};

/*
 * One metric. A gauge is what running processes hold now: a name with none
 * running has no sample. A counter sums every record of the name.
 */
struct prom_family {
	const char *name, *type, *help;
	enum prom_labels labels;
	uint64_t (*value)(const struct prom_comm *c, int i);	/* i: allocator or kind */
	bool gpu;		/* only for names with a GPU library probed or a GPU call made */
};

static uint64_t processes(const struct prom_comm *c, int i)
{
	(void)i;
	return c->running;
}

static uint64_t live_bytes(const struct prom_comm *c, int i)
{
	return c->live.a[i].live_bytes;
}

static uint64_t live_blocks(const struct prom_comm *c, int i)
{
	return c->live.a[i].live_blocks;
}

static uint64_t peak_bytes(const struct prom_comm *c, int i)
{
	(void)i;
	return c->peak_bytes;
}

static uint64_t allocs(const struct prom_comm *c, int i)
{
	(void)i;
	return c->all.allocs;
}

static uint64_t frees(const struct prom_comm *c, int i)
{
	(void)i;
	return c->all.frees;
}

static uint64_t reallocs(const struct prom_comm *c, int i)
{
	(void)i;
	return c->all.reallocs;
}

static uint64_t failed_allocs(const struct prom_comm *c, int i)
{
	(void)i;
	return c->all.failed_allocs;
}

static uint64_t unknown_frees(const struct prom_comm *c, int i)
{
	(void)i;
	return c->all.unknown_frees;
}

static uint64_t allocated_bytes(const struct prom_comm *c, int i)
{
	(void)i;
	return c->all.allocated_bytes;
}

static uint64_t freed_bytes(const struct prom_comm *c, int i)
{
	(void)i;
	return c->all.freed_bytes;
}

static uint64_t allocator_calls(const struct prom_comm *c, int i)
{
	return c->all_by_allocator.a[i].calls;
}

static uint64_t gpu_live_bytes(const struct prom_comm *c, int i)
{
	return c->gpu_live[i];
}

static uint64_t gpu_allocs(const struct prom_comm *c, int i)
{
	return c->gpu_all[i].allocs;
}

static uint64_t gpu_frees(const struct prom_comm *c, int i)
{
	return c->gpu_all[i].frees;
}

static uint64_t gpu_allocated_bytes(const struct prom_comm *c, int i)
{
	return c->gpu_all[i].allocated_bytes;
}

static uint64_t gpu_oom_events(const struct prom_comm *c, int i)
{
	(void)i;
	return c->gpu_oom_events;
}

/* README, "Prometheus", lists these: keep it in step. */
static const struct prom_family families[] = {
	{ "memtrace_processes", "gauge", "Traced processes of this name running now.", BY_COMM,
	  processes, false },
	{ "memtrace_live_bytes", "gauge",
	  "Host heap bytes live in the running processes of this name, by allocator.",
	  BY_ALLOCATOR, live_bytes, false },
	{ "memtrace_live_blocks", "gauge",
	  "Host heap blocks live in the running processes of this name, by allocator.",
	  BY_ALLOCATOR, live_blocks, false },
	{ "memtrace_peak_bytes", "gauge",
	  "The highest host heap bytes live in one running process of this name.", BY_COMM,
	  peak_bytes, false },
	{ "memtrace_allocations_total", "counter", "Successful host allocations.", BY_COMM,
	  allocs, false },
	{ "memtrace_frees_total", "counter", "Frees of host blocks allocated while traced.",
	  BY_COMM, frees, false },
	{ "memtrace_reallocs_total", "counter", "Host reallocs that moved or resized a block.",
	  BY_COMM, reallocs, false },
	{ "memtrace_failed_allocations_total", "counter", "Host allocations that failed.",
	  BY_COMM, failed_allocs, false },
	{ "memtrace_unknown_frees_total", "counter",
	  "Frees of host blocks allocated before tracing began.", BY_COMM, unknown_frees, false },
	{ "memtrace_allocated_bytes_total", "counter", "Host bytes allocated.", BY_COMM,
	  allocated_bytes, false },
	{ "memtrace_freed_bytes_total", "counter", "Host bytes freed.", BY_COMM, freed_bytes,
	  false },
	{ "memtrace_allocator_calls_total", "counter",
	  "Allocator calls (allocations, frees, reallocs, failures), by allocator.",
	  BY_ALLOCATOR, allocator_calls, false },
	{ "memtrace_gpu_live_bytes", "gauge",
	  "GPU memory bytes live in the running processes of this name, by kind.", BY_KIND,
	  gpu_live_bytes, true },
	{ "memtrace_gpu_allocations_total", "counter", "Successful GPU allocations, by kind.",
	  BY_KIND, gpu_allocs, true },
	{ "memtrace_gpu_frees_total", "counter",
	  "Frees of GPU blocks allocated while traced, by kind.", BY_KIND, gpu_frees, true },
	{ "memtrace_gpu_allocated_bytes_total", "counter", "GPU bytes allocated, by kind.",
	  BY_KIND, gpu_allocated_bytes, true },
	{ "memtrace_gpu_oom_events_total", "counter", "GPU allocations that failed out of memory.",
	  BY_COMM, gpu_oom_events, true },
};

/*
 * A label value as the exposition format escapes it (\\, \", \n), every
 * other byte of well-formed UTF-8 as it is, and each byte that starts no
 * well-formed sequence as U+FFFD: Prometheus refuses a value that is not
 * UTF-8, and the JSON snapshot names the same process the same way.
 */
static void write_label(FILE *f, const char *name, const char *value)
{
	const unsigned char *p = (const unsigned char *)value, *end = p + strlen(value);
	size_t n;

	fprintf(f, "%s=\"", name);
	while (p < end) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			fputc('\\', f);
			fputc(*p == '\n' ? 'n' : *p, f);
			p++;
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else if ((n = text_escape__utf8_len(p, end - p))) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\xef\xbf\xbd", f);
			p++;
		}
	}
	fputc('"', f);
}

struct prom_out {
	FILE *f;
	const char *job;
	bool begun;		/* the family's HELP and TYPE are written */
};

/* HELP and TYPE once, before the family's first sample: a family without samples has none. */
static void begin_sample(struct prom_out *o, const struct prom_family *fam)
{
	if (!o->begun)
		fprintf(o->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
			fam->type);
	o->begun = true;
	fprintf(o->f, "%s{", fam->name);
	write_label(o->f, "job", o->job);
}

static void write_sample(struct prom_out *o, const struct prom_family *fam,
			 const struct prom_comm *c, const char *label, const char *value,
			 uint64_t v)
{
	begin_sample(o, fam);
	fputc(',', o->f);
	write_label(o->f, "comm", c->comm);
	if (label) {
		fputc(',', o->f);
		write_label(o->f, label, value);
	}
	fprintf(o->f, "} %" PRIu64 "\n", v);
}

/* The allocators a name called or that still hold its blocks, as in the snapshot. */
static bool allocator_used(const struct prom_comm *c, int a)
{
	return c->all_by_allocator.a[a].calls || c->all_by_allocator.a[a].live_blocks;
}

static void write_family(struct prom_out *o, const struct prom_family *fam,
			 const struct prom_series *ps)
{
	bool gauge = fam->type[0] == 'g';

	o->begun = false;
	for (size_t i = 0; i < ps->n; i++) {
		const struct prom_comm *c = &ps->comms[i];

		if ((gauge && !c->running) || (fam->gpu && !c->gpu))
			continue;
		switch (fam->labels) {
		case BY_COMM:
			write_sample(o, fam, c, NULL, NULL, fam->value(c, 0));
			break;
		case BY_ALLOCATOR:
			for (int a = 0; a < MT_ALLOC_COUNT; a++)
				if (allocator_used(c, a))
					write_sample(o, fam, c, "allocator",
						     allocator_funcs__name(a), fam->value(c, a));
			break;
		case BY_KIND:
			for (int k = 0; k < GPU_KIND_COUNT; k++)
				write_sample(o, fam, c, "kind", gpu_funcs__kind_name(k),
					     fam->value(c, k));
			break;
		}
	}
}

/* What the whole run lost: no comm, since a lost record names no process. */
static void write_run(struct prom_out *o, const struct run_summary *s)
{
	const struct prom_family lost[] = {
		{ "memtrace_lost_events_total", "counter",
		  "Allocator calls the kernel could not deliver (the snapshot's lost_events).",
		  BY_COMM, NULL, false },
		{ "memtrace_lost_stacks_total", "counter",
		  "Calls counted without their stack (the snapshot's lost_stacks).", BY_COMM,
		  NULL, false },
	};
	const uint64_t v[] = { run_summary__lost_events(s), run_summary__lost_stacks(s) };

	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
		o->begun = false;
		begin_sample(o, &lost[i]);
		fprintf(o->f, "} %" PRIu64 "\n", v[i]);
	}
}

int prometheus__write(const struct run_summary *s, const char *job, FILE *out)
{
	struct prom_out o = { .f = out, .job = job };
	struct prom_series ps;
	int err;

	err = prom_series__collect(s->tracker, &ps);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		write_family(&o, &families[i], &ps);
	write_run(&o, s);
	prom_series__release(&ps);
	if (fflush(out))
		return -errno;
	return ferror(out) ? -EIO : 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <limits.h>
#include <string.h>

#include "output/frames.h"
#include "output/gpu_report.h"
#include "util/units.h"

static bool run_active(const struct tracker *t)
{
	for (uint32_t i = 0; i < t->nr_procs; i++)
		if (gpu_accounting__active(t->procs[i]->gpu))
			return true;
	return false;
}

/* " device current 1.00 MiB, peak 2.00 MiB; pinned ...": the kinds that saw a call. */
static bool write_kinds(const struct mt_counters *kinds, FILE *out)
{
	char cur[UNITS_BUF], peak[UNITS_BUF];
	bool any = false;

	for (int kind = 0; kind < GPU_KIND_COUNT; kind++) {
		const struct mt_counters *c = &kinds[kind];

		if (!gpu_accounting__kind_active(c))
			continue;
		fprintf(out, "%s %s current %s, peak %s", any ? ";" : "",
			gpu_funcs__kind_name(kind), units__bytes(c->current_bytes, cur),
			units__bytes(c->peak_bytes, peak));
		any = true;
	}
	return any;
}

void gpu_report__write_totals(const struct tracker *t, FILE *out)
{
	if (!run_active(t))
		return;
	fprintf(out, "GPU:");
	if (!write_kinds(t->gpu.kinds, out))
		fprintf(out, " no GPU memory calls");
	fprintf(out, " | %llu OOM event%s\n", (unsigned long long)t->gpu.oom_events,
		t->gpu.oom_events == 1 ? "" : "s");
}

void gpu_report__write_line(const struct mt_process *p, FILE *out)
{
	const struct gpu_state *gs = p->gpu;
	char cur[UNITS_BUF], peak[UNITS_BUF], pcur[UNITS_BUF], ppeak[UNITS_BUF];

	if (!gpu_accounting__active(gs))
		return;
	/* pinned memory is the host's, page-locked: apart from what lives on the GPU */
	fprintf(out, "  GPU current %s, peak %s | host-pinned current %s, peak %s\n",
		units__bytes(gs->live_bytes, cur), units__bytes(gs->live_peak, peak),
		units__bytes(gs->kinds[GPU_KIND_PINNED].current_bytes, pcur),
		units__bytes(gs->kinds[GPU_KIND_PINNED].peak_bytes, ppeak));
}

static void write_device(const struct gpu_device *d, FILE *out)
{
	if (d->device >= 0)
		fprintf(out, "    device %d:", d->device);
	else
		fprintf(out, "    device unknown:");
	write_kinds(d->kinds, out);
	fprintf(out, "\n");
}

static void write_oom(const struct run_summary *s, const struct mt_process *p,
		      const struct gpu_oom *oom, FILE *out)
{
	char when[UNITS_BUF], size[UNITS_BUF], live[UNITS_BUF], name[PATH_MAX];

	fprintf(out, "    OOM at %s: %s of %s with %s of GPU memory live, TID %u",
		units__duration(oom->ts_ns > s->start_ns ? (oom->ts_ns - s->start_ns) / 1e9 : 0,
				when),
		gpu_funcs__name(oom->func), units__bytes(oom->size, size),
		units__bytes(oom->gpu_live_bytes, live), oom->tid);
	if (oom->device >= 0)
		fprintf(out, ", device %d", oom->device);
	fprintf(out, ", at %s\n", frames__leaf_name(s, p, oom->stack, name, sizeof(name)));
}

void gpu_report__write_section(const struct run_summary *s, const struct mt_process *p, FILE *out)
{
	const struct gpu_state *gs = p->gpu;
	char cur[UNITS_BUF], peak[UNITS_BUF], path[PATH_MAX];

	if (!gpu_accounting__active(gs))
		return;
	fprintf(out, "  GPU libraries:");
	for (uint32_t i = 0; i < gs->nr_libraries; i++)
		fprintf(out, "%s %s", i ? "," : "",
			frames__printable(gs->libraries[i], path, sizeof(path)));
	fprintf(out, gs->nr_libraries ? "\n" : " none seen\n");
	fprintf(out, "  %-17s %10s %10s %10s %10s %8s %8s\n", "GPU KIND", "CURRENT", "PEAK",
		"ALLOCS", "FREES", "FAILED", "UNKNOWN");
	for (int kind = 0; kind < GPU_KIND_COUNT; kind++) {
		const struct mt_counters *c = &gs->kinds[kind];

		if (!gpu_accounting__kind_active(c))
			continue;
		fprintf(out, "  %-17s %10s %10s %10llu %10llu %8llu %8llu\n",
			gpu_funcs__kind_name(kind), units__bytes(c->current_bytes, cur),
			units__bytes(c->peak_bytes, peak), (unsigned long long)c->allocs,
			(unsigned long long)c->frees, (unsigned long long)c->failed_allocs,
			(unsigned long long)c->unknown_frees);
	}
	for (uint32_t i = 0; i < gs->nr_devices; i++)
		write_device(&gs->devices[i], out);
	for (uint32_t i = 0; i < gs->nr_ooms; i++)
		write_oom(s, p, &gs->ooms[i], out);
	if (gs->ooms_omitted)
		fprintf(out, "    ... and %llu more OOM event%s\n",
			(unsigned long long)gs->ooms_omitted, gs->ooms_omitted == 1 ? "" : "s");
}

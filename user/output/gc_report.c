// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/gc_stats.h"
#include "output/gc_report.h"

/* HotSpot's generations as its probe tells them apart (MT_GC_JVM_*). */
static const char *const jvm_names[] = {"young", "full"};

static void write_generation(const struct gc_stats *gs, int gen, bool first, FILE *out)
{
	const struct gc_generation *g = &gs->gens[gen];

	if (gs->runtime == MT_GC_JVM)
		fprintf(out, "%s %s %llu", first ? " |" : ";", jvm_names[gen],
			(unsigned long long)g->collections);
	else
		fprintf(out, "%s gen%d %llu", first ? " |" : ";", gen,
			(unsigned long long)g->collections);
	fprintf(out, ", %.2f ms, max %.2f ms", g->total_ns / 1e6, g->max_ns / 1e6);
	if (gs->collected_known)
		fprintf(out, ", %llu collected", (unsigned long long)g->collected);
}

void gc_report__write_line(const struct mt_process *p, FILE *out)
{
	const struct gc_stats *gs = p->gc;
	bool first = true;
	uint64_t n;

	if (!gs)
		return;
	n = gc_stats__collections(gs);
	fprintf(out, "  GC %s: %llu collection%s, %.2f ms", gc_stats__runtime_name(gs->runtime),
		(unsigned long long)n, n == 1 ? "" : "s", gc_stats__total_ns(gs) / 1e6);
	for (int gen = 0; gen < GC_GENERATIONS; gen++) {
		if (!gs->gens[gen].collections)
			continue;
		write_generation(gs, gen, first, out);
		first = false;
	}
	if (gs->unmatched)
		fprintf(out, " (%llu unmatched start or end)", (unsigned long long)gs->unmatched);
	fputc('\n', out);
}

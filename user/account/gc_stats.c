// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account/gc_stats.h"

struct gc_stats *gc_stats__new(enum mt_gc_runtime runtime, const char *probed)
{
	struct gc_stats *gs = calloc(1, sizeof(*gs));

	if (!gs)
		return NULL;
	gs->runtime = runtime;
	gs->collected_known = runtime == MT_GC_PYTHON;
	if (probed && !(gs->probed = strdup(probed))) {
		free(gs);
		return NULL;
	}
	return gs;
}

void gc_stats__free(struct gc_stats *gs)
{
	if (!gs)
		return;
	free(gs->probed);
	free(gs->pending);
	free(gs);
}

const char *gc_stats__runtime_name(enum mt_gc_runtime runtime)
{
	return runtime == MT_GC_JVM ? "jvm" : "python";
}

static struct gc_pending *find_pending(struct gc_stats *gs, uint32_t tid)
{
	for (uint32_t i = 0; i < gs->nr_pending; i++)
		if (gs->pending[i].tid == tid)
			return &gs->pending[i];
	return NULL;
}

static int start(struct gc_stats *gs, const struct mt_gc_event *e)
{
	struct gc_pending *p = find_pending(gs, e->tid);

	if (e->generation < 0 || e->generation >= GC_GENERATIONS) {
		gs->unmatched++;
		return 0;
	}
	if (p) {
		gs->unmatched++;
	} else {
		if (gs->nr_pending == gs->pending_cap) {
			uint32_t cap = gs->pending_cap ? 2 * gs->pending_cap : 4;
			struct gc_pending *grown = reallocarray(gs->pending, cap, sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			gs->pending = grown;
			gs->pending_cap = cap;
		}
		p = &gs->pending[gs->nr_pending++];
	}
	*p = (struct gc_pending){.tid = e->tid, .generation = e->generation, .start_ns = e->ts_ns};
	return 0;
}

static void done(struct gc_stats *gs, const struct mt_gc_event *e)
{
	struct gc_pending *p = find_pending(gs, e->tid);
	struct gc_generation *g;
	uint64_t ns;

	if (!p) {
		gs->unmatched++;
		return;
	}
	g = &gs->gens[p->generation];
	/* one thread's records arrive in order; a clock step back would only make it 0 */
	ns = e->ts_ns > p->start_ns ? e->ts_ns - p->start_ns : 0;
	g->collections++;
	g->total_ns += ns;
	if (g->collections == 1 || ns < g->min_ns)
		g->min_ns = ns;
	if (ns > g->max_ns)
		g->max_ns = ns;
	if (e->collected > 0)
		g->collected += (uint64_t)e->collected;
	gs->last_start_ns = p->start_ns;
	gs->last_ns = ns;
	gs->last_generation = p->generation;
	*p = gs->pending[--gs->nr_pending];
}

int gc_stats__apply(struct gc_stats **gs, const struct mt_gc_event *e)
{
	if (!*gs) {
		*gs = gc_stats__new(e->runtime, NULL);
		if (!*gs)
			return -ENOMEM;
	}
	if (e->phase == MT_GC_START)
		return start(*gs, e);
	if (e->phase == MT_GC_DONE)
		done(*gs, e);
	return 0;
}

uint64_t gc_stats__collections(const struct gc_stats *gs)
{
	uint64_t n = 0;

	for (int i = 0; gs && i < GC_GENERATIONS; i++)
		n += gs->gens[i].collections;
	return n;
}

uint64_t gc_stats__total_ns(const struct gc_stats *gs)
{
	uint64_t ns = 0;

	for (int i = 0; gs && i < GC_GENERATIONS; i++)
		ns += gs->gens[i].total_ns;
	return ns;
}

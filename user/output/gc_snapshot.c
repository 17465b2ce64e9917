// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/gc_stats.h"
#include "output/gc_snapshot.h"

static void write_generation(const struct gc_stats *gs, int gen, struct json_writer *w)
{
	const struct gc_generation *g = &gs->gens[gen];

	json_writer__begin_object(w);
	json_writer__kv_i64(w, "generation", gen);
	json_writer__kv_u64(w, "collections", g->collections);
	json_writer__kv_double(w, "total_ms", g->total_ns / 1e6);
	json_writer__kv_double(w, "min_ms", g->min_ns / 1e6);
	json_writer__kv_double(w, "max_ms", g->max_ns / 1e6);
	/* HotSpot's probes do not say: null, not a 0 that would read as "nothing freed" */
	json_writer__key(w, "collected");
	if (gs->collected_known)
		json_writer__u64(w, g->collected);
	else
		json_writer__null(w);
	json_writer__end_object(w);
}

void gc_snapshot__write_process(const struct mt_process *p, struct json_writer *w)
{
	const struct gc_stats *gs = p->gc;

	if (!gs)
		return;
	json_writer__key(w, "gc");
	json_writer__begin_object(w);
	json_writer__kv_string(w, "runtime", gc_stats__runtime_name(gs->runtime));
	json_writer__kv_string(w, "probed", gs->probed);
	json_writer__kv_u64(w, "collections", gc_stats__collections(gs));
	json_writer__kv_double(w, "total_ms", gc_stats__total_ns(gs) / 1e6);
	json_writer__kv_u64(w, "unmatched", gs->unmatched);
	json_writer__key(w, "generations");
	json_writer__begin_array(w);
	/* every generation the runtime has, collected or not: a 0 is worth seeing */
	for (int gen = 0; gen < (gs->runtime == MT_GC_JVM ? 2 : GC_GENERATIONS); gen++)
		write_generation(gs, gen, w);
	json_writer__end_array(w);
	json_writer__end_object(w);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "account/timeline.h"
#include "util/array.h"

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * later absorbs earlier, its neighbour in the same slot. The values are
 * the state at a slot's end, and the later point's end is the merged
 * slot's end: it keeps its own. The peaks are the larger, so that no spike
 * shrinks as the resolution coarsens.
 */
static void merge_into(struct timeline_point *later, const struct timeline_point *earlier)
{
	later->v.host_peak = max_u64(later->v.host_peak, earlier->v.host_peak);
	later->v.gpu_peak = max_u64(later->v.gpu_peak, earlier->v.gpu_peak);
}

static uint64_t slot_end(const struct timeline *tl)
{
	return tl->origin_ns + (tl->cur.slot + 1) * tl->res_ns;
}

void timeline__halve(struct timeline *tl)
{
	size_t out = 0;

	for (size_t i = 0; i < tl->nr; i++) {
		struct timeline_point pt = tl->points[i];

		pt.slot >>= 1;
		if (out && tl->points[out - 1].slot == pt.slot) {
			merge_into(&pt, &tl->points[out - 1]);
			out--;
		}
		tl->points[out++] = pt;
	}
	tl->nr = out;
	tl->res_ns *= 2;
	tl->cur.slot >>= 1;
	if (tl->nr && tl->points[tl->nr - 1].slot == tl->cur.slot)
		merge_into(&tl->cur, &tl->points[--tl->nr]);
	tl->slot_end_ns = slot_end(tl);
}

static void open_point(struct timeline *tl, uint64_t ts_ns, const struct timeline_values *now)
{
	/* a record from before the run's start (its probes went in first) counts at 0 */
	tl->cur.slot = ts_ns > tl->origin_ns ? (ts_ns - tl->origin_ns) / tl->res_ns : 0;
	tl->cur.v = *now;
	tl->slot_end_ns = slot_end(tl);
}

int timeline__advance(struct timeline *tl, uint64_t origin_ns, uint64_t res_ns, uint64_t ts_ns,
		      const struct timeline_values *now)
{
	int err;

	if (!tl->res_ns) {
		tl->origin_ns = origin_ns;
		tl->res_ns = res_ns ? res_ns : TIMELINE_RESOLUTION_NS;
		open_point(tl, ts_ns, now);
		return 0;
	}
	if (ts_ns < tl->slot_end_ns) {
		tl->cur.v.host_peak = max_u64(tl->cur.v.host_peak, now->host_peak);
		tl->cur.v.gpu_peak = max_u64(tl->cur.v.gpu_peak, now->gpu_peak);
		return 0;
	}
	err = ARRAY_RESERVE(&tl->points, &tl->cap, tl->nr + 1);
	if (err)
		return err;
	tl->points[tl->nr] = tl->cur;
	tl->points[tl->nr].v.host_peak = max_u64(tl->cur.v.host_peak, now->host_peak);
	tl->points[tl->nr].v.gpu_peak = max_u64(tl->cur.v.gpu_peak, now->gpu_peak);
	for (unsigned int i = 0; i < MT_ALLOC_COUNT; i++)
		tl->points[tl->nr].v.host[i] = now->host[i];
	for (unsigned int i = 0; i < GPU_KIND_COUNT; i++)
		tl->points[tl->nr].v.gpu[i] = now->gpu[i];
	tl->points[tl->nr].v.anon_bytes = now->anon_bytes;
	tl->points[tl->nr].v.brk_bytes = now->brk_bytes;
	tl->nr++;
	open_point(tl, ts_ns, now);
	/* the open point counts too: at most TIMELINE_MAX_POINTS in all */
	while (tl->nr + 1 > TIMELINE_MAX_POINTS)
		timeline__halve(tl);
	return 0;
}

const struct timeline_point *timeline__point(const struct timeline *tl, size_t i)
{
	return i < tl->nr ? &tl->points[i] : &tl->cur;
}

int timeline__add_event(struct timeline_events *ev, uint64_t ts_ns, uint64_t duration_ns,
			int32_t generation)
{
	uint64_t n = ev->seen++;
	int err;

	if (n & ((1ULL << ev->stride_log) - 1))
		return 0;
	if (ev->nr == TIMELINE_MAX_EVENTS) {
		size_t out = 0;

		/* kept ones are every 2^k-th seen: every second of them is every 2^(k+1)-th */
		for (size_t i = 0; i < ev->nr; i += 2)
			ev->e[out++] = ev->e[i];
		ev->nr = out;
		ev->stride_log++;
		if (n & ((1ULL << ev->stride_log) - 1))
			return 0;
	}
	err = ARRAY_RESERVE(&ev->e, &ev->cap, ev->nr + 1);
	if (err) {
		ev->seen--;
		return err;
	}
	ev->e[ev->nr++] = (struct timeline_event){
		.ts_ns = ts_ns, .duration_ns = duration_ns, .generation = generation};
	return 0;
}

void timeline__release(struct timeline *tl)
{
	free(tl->points);
	free(tl->gcs.e);
	free(tl->steps.e);
	*tl = (struct timeline){0};
}

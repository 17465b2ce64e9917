/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process's memory over time (README, "Snapshot", "timeline"): one point
 * per slot of res_ns since the run's start, each the state at the slot's
 * end and the peaks inside it, plus its collections and steps. Points are
 * sparse: a slot with no record changes nothing and gets none.
 *
 * Bounded whatever the run's length: past TIMELINE_MAX_POINTS points the
 * resolution halves, and neighbours that fall into one slot merge (the
 * later one's values, the larger peaks). A week at 100 ms, 6 million
 * slots, ends at 204.8 s with under 3000 points. Events past
 * TIMELINE_MAX_EVENTS are thinned the same way: every second one goes,
 * and from then on only every 2^k-th is kept, so what is left is spread
 * over the whole run rather than its first hours.
 */
#ifndef MEMTRACE_TIMELINE_H
#define MEMTRACE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "attach/gpu_funcs.h"

#define TIMELINE_RESOLUTION_NS 100000000ULL /* 100 ms */
#define TIMELINE_MAX_POINTS 4096
#define TIMELINE_MAX_EVENTS 1024	    /* per kind: collections, steps */

/* The state a point keeps: every series of the snapshot's timeline. */
struct timeline_values {
	uint64_t host[MT_ALLOC_COUNT];	/* live bytes by allocator */
	uint64_t gpu[GPU_KIND_COUNT];	/* live bytes by kind */
	uint64_t anon_bytes;		/* anonymous mappings (mapping_accounting.h) */
	uint64_t brk_bytes;
	uint64_t rss_bytes;		/* resident, from /proc at the last resource read; 0: none yet */
	uint64_t host_peak;		/* the most host bytes live at once in the slot */
	uint64_t gpu_peak;		/* the same of GPU device memory (gpu_state.live_bytes) */
};

struct timeline_point {
	uint64_t slot;			/* [slot * res_ns, (slot + 1) * res_ns) from origin */
	struct timeline_values v;	/* host..brk_bytes: at the slot's end */
};

struct timeline_event {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	uint64_t duration_ns;		/* collections; 0 for steps */
	int32_t generation;		/* collections; -1 for steps */
};

struct timeline_events {
	struct timeline_event *e;
	size_t nr, cap;
	uint64_t seen;			/* every one, kept or not */
	unsigned int stride_log;	/* only every 2^stride_log-th seen is kept */
};

struct timeline {
	uint64_t origin_ns;		/* slot 0 begins here: the run's start */
	uint64_t res_ns;		/* 0: no point yet */
	/* the open point's end: a record before it changes only its peaks */
	uint64_t slot_end_ns;
	struct timeline_point cur;	/* the open point, whose values are read when written */
	struct timeline_point *points;	/* closed, oldest first */
	size_t nr, cap;
	struct timeline_events gcs, steps;
};

/*
 * A record at ts_ns, now the state as it found it. Inside the open slot,
 * now's peaks raise the point's; past it (or at the first), the open point
 * closes with now and a point opens at ts_ns with now as its peaks.
 * origin_ns and res_ns are used only by the first call. 0 or -ENOMEM,
 * which leaves the timeline as it was.
 */
int timeline__advance(struct timeline *tl, uint64_t origin_ns, uint64_t res_ns, uint64_t ts_ns,
		      const struct timeline_values *now);
/* The points in all, the open one too. */
static inline size_t timeline__nr_points(const struct timeline *tl)
{
	return tl->res_ns ? tl->nr + 1 : 0;
}
/* Point i, oldest first (the last is the open one, its values those it was last given). */
const struct timeline_point *timeline__point(const struct timeline *tl, size_t i);
/* Merges neighbours two by two: the resolution halves. */
void timeline__halve(struct timeline *tl);
/* Keeps the event, or counts it when thinned out. 0 or -ENOMEM. */
int timeline__add_event(struct timeline_events *ev, uint64_t ts_ns, uint64_t duration_ns,
			int32_t generation);
void timeline__release(struct timeline *tl);

#endif /* MEMTRACE_TIMELINE_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process's garbage collections, from the runtime's USDT probes
 * (gc_probe.h): start and end records paired per thread into collections,
 * counted per generation with their durations and what they collected.
 */
#ifndef MEMTRACE_GC_STATS_H
#define MEMTRACE_GC_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include <memtrace/event.h>

/* CPython has three generations; HotSpot's records say young or full (MT_GC_JVM_*). */
#define GC_GENERATIONS 3

struct gc_generation {
	uint64_t collections;
	uint64_t total_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t collected; /* objects, when the runtime says (CPython) */
};

/* A thread inside a collection: its start, waiting for the end. */
struct gc_pending {
	uint32_t tid;
	int32_t generation;
	uint64_t start_ns;
};

struct gc_stats {
	enum mt_gc_runtime runtime;
	char *probed;	      /* the file whose probes were attached; NULL: not known */
	bool collected_known; /* the runtime reports objects collected */
	struct gc_generation gens[GC_GENERATIONS];
	/*
	 * Ends without a start (tracing began mid-collection) and starts with
	 * a generation out of range: seen, never counted as collections.
	 */
	uint64_t unmatched;
	/* the last collection counted, for the timeline: its start, length and generation */
	uint64_t last_start_ns, last_ns;
	int32_t last_generation;
	struct gc_pending *pending;
	uint32_t nr_pending, pending_cap;
};

/* Stats for runtime, probed in file probed (may be NULL); NULL on -ENOMEM. */
struct gc_stats *gc_stats__new(enum mt_gc_runtime runtime, const char *probed);
void gc_stats__free(struct gc_stats *gs);
/*
 * One record; *gs is made at the first if it is NULL. 0 or -ENOMEM. A
 * start while the thread's last one is still open replaces it (the end
 * was lost): that one counts as unmatched.
 */
int gc_stats__apply(struct gc_stats **gs, const struct mt_gc_event *e);
/* "python" or "jvm" */
const char *gc_stats__runtime_name(enum mt_gc_runtime runtime);
/* Sums over the generations. */
uint64_t gc_stats__collections(const struct gc_stats *gs);
uint64_t gc_stats__total_ns(const struct gc_stats *gs);

#endif /* MEMTRACE_GC_STATS_H */

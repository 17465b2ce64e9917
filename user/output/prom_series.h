/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracker's processes summed up by name (comm), for --prometheus: a
 * fleet's Prometheus wants one series per program, not one per PID, which
 * would make a new series at every process start and never end them.
 *
 * Gauges (what is held now) sum the running processes only: an exited
 * process holds nothing. Counters sum every record of the name, ended ones
 * too, so that they only grow while memtrace keeps the records; the
 * records --max-exited folded have lost their names and are summed under
 * the empty comm. Every figure is read from the structures the snapshot
 * writes: each is a sum (or, for peak_bytes, the largest) of the
 * snapshot's per-process numbers.
 */
#ifndef MEMTRACE_PROM_SERIES_H
#define MEMTRACE_PROM_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account/tracker.h"

struct prom_comm {
	char comm[COMM_LEN];
	uint32_t running;			/* processes of the name running now */
	/* running processes: what they hold now */
	struct allocator_stats live;		/* live_bytes, live_blocks by allocator */
	uint64_t peak_bytes;			/* the largest peak_bytes of one of them */
	uint64_t gpu_live[GPU_KIND_COUNT];	/* current_bytes of each GPU kind */
	/* every record of the name: the counters' sums (their current_bytes and peak_bytes unused) */
	struct mt_counters all;
	struct allocator_stats all_by_allocator; /* calls, alloc_bytes */
	struct mt_counters gpu_all[GPU_KIND_COUNT];
	uint64_t gpu_oom_events;
	bool gpu;				/* a GPU library probed or a GPU call made */
};

struct prom_series {
	struct prom_comm *comms;		/* by comm, in strcmp order */
	size_t n;
};

/* Sums t's processes up by comm into out. 0 or -ENOMEM. */
int prom_series__collect(const struct tracker *t, struct prom_series *out);
/* NULL-safe on a zeroed struct. */
void prom_series__release(struct prom_series *s);

#endif /* MEMTRACE_PROM_SERIES_H */

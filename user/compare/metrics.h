/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The numbers that --fail-on rules limit (memtrace diff, check): a
 * snapshot's counters, and what its leak sites add up to, for the whole run
 * or for one process.
 */
#ifndef MEMTRACE_METRICS_H
#define MEMTRACE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare/site_set.h"
#include "compare/snapshot_reader.h"

/* Order: as the snapshot writes the counters, then the leak figures. */
enum metric {
	METRIC_CURRENT_BYTES,
	METRIC_PEAK_BYTES,
	METRIC_ALLOCS,
	METRIC_FREES,
	METRIC_REALLOCS,
	METRIC_FAILED_ALLOCS,
	METRIC_ALLOCATED_BYTES,
	METRIC_FREED_BYTES,
	METRIC_UNKNOWN_FREES,
	METRIC_LOST_EVENTS,	/* totals only: the kernel does not know whose record it lost */
	METRIC_LEAK_BYTES,
	METRIC_LEAK_COUNT,
	METRIC_LEAK_SITES,
	METRIC_GROWING_SITES,
	METRIC_NEW_LEAK_SITES,	/* memtrace diff only: sites the base lacks */
	METRIC_COUNT,
};

/* metric__value's process index for the whole run */
#define METRIC_TOTALS SIZE_MAX

const char *metric__name(enum metric m);
/* The metric called name[0..len), or -ENOENT. */
int metric__lookup(const char *name, size_t len);
/* counts bytes (units apply), rather than calls, blocks or sites */
bool metric__is_bytes(enum metric m);

/*
 * m in snapshot s (whose sites are sites) for process proc, an index into
 * s->procs, or METRIC_TOTALS. METRIC_NEW_LEAK_SITES needs two snapshots:
 * 0 here (diff.h counts them).
 */
uint64_t metric__value(enum metric m, const struct snapshot *s, const struct site_set *sites,
		       size_t proc);

#endif /* MEMTRACE_METRICS_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Everything a report or a snapshot is made from, gathered when tracing ends. */
#ifndef MEMTRACE_RUN_SUMMARY_H
#define MEMTRACE_RUN_SUMMARY_H

#include <stdint.h>
#include <time.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "leaks.h"
#include "symbolizer.h"
#include "tracker.h"

struct run_summary {
	const struct tracker *tracker;
	struct symbolizer *sym;
	struct leak_report leaks;
	uint64_t drops[MT_DROP_COUNT];
	struct timespec started_at;	/* CLOCK_REALTIME */
	double duration_s;
	uint64_t now_ns;		/* CLOCK_MONOTONIC when tracing ended: ages count to here */
	char **command;			/* launch mode's CMD, or NULL */
	const char *stack_mode;		/* "fp" or "none" */
};

/* Call records the kernel could not deliver (stack losses are apart). */
static inline uint64_t run_summary__lost_events(const struct run_summary *s)
{
	return s->drops[MT_DROP_RINGBUF_FULL] + s->drops[MT_DROP_CALL_MAP_FULL] +
	       s->drops[MT_DROP_MISSED_ENTRY];
}

static inline uint64_t run_summary__lost_stacks(const struct run_summary *s)
{
	return s->drops[MT_DROP_STACK_RINGBUF] + s->drops[MT_DROP_STACK_ERROR];
}

#endif /* MEMTRACE_RUN_SUMMARY_H */

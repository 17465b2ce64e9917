/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Everything a report or a snapshot is made from, gathered when tracing ends. */
#ifndef MEMTRACE_RUN_SUMMARY_H
#define MEMTRACE_RUN_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <linux/types.h>
#include <memtrace/event.h>

#include "account/leaks.h"
#include "attach/unwind_loader.h"
#include "account/tracker.h"
#include "symbolize/symbolizer.h"

/*
 * Records user space could not read, after the kernel's reasons (enum
 * mt_drop) in run_summary.drops: ingest/dispatch.c counts them.
 */
enum run_drop {
	RUN_DROP_SHORT_RECORD = MT_DROP_COUNT,	/* shorter than its kind's record */
	RUN_DROP_UNKNOWN_RECORD,		/* of a kind this build does not know */
	RUN_DROP_COUNT,
};

struct run_summary {
	const struct tracker *tracker;
	struct symbolizer *sym;
	struct leak_report leaks;
	struct leak_report freed;	/* sites that allocated, none of their blocks live */
	uint64_t drops[RUN_DROP_COUNT];	/* enum mt_drop, then enum run_drop */
	struct timespec started_at;	/* CLOCK_REALTIME */
	double duration_s;
	uint64_t now_ns;		/* CLOCK_MONOTONIC of the report: ages count to here */
	char **command;			/* launch mode's CMD, or NULL */
	enum mt_stack_mode stack_mode;	/* --stack as resolved: text only where it is written */
	uint64_t sample_bytes;		/* --sample-bytes, 0: every allocation */
	const struct unwind_loader *unwind; /* kernel-dwarf's tables; NULL under other modes */
	uint64_t start_ns;		/* CLOCK_MONOTONIC when tracing started */
	uint64_t leak_age_ns;		/* --leak-age */
	uint64_t interval_ns;		/* --interval, 0: none */
	unsigned long interval;		/* an --interval report's number (1, 2, ...); 0: the final one */
};

/* Call records the kernel could not deliver (stack losses are apart). */
static inline uint64_t run_summary__lost_events(const struct run_summary *s)
{
	return s->drops[MT_DROP_RINGBUF_FULL] + s->drops[MT_DROP_CALL_MAP_FULL] +
	       s->drops[MT_DROP_MISSED_ENTRY];
}

/*
 * Why a site has no frames: NULL when it has them, else "stacks off"
 * (--stack=none) or "stack lost". The blocks --sample-bytes leaves without a
 * stack are in no site (leaks_opts.sample_bytes).
 */
static inline const char *run_summary__no_stack_reason(const struct run_summary *s,
						       uint32_t stack, bool received)
{
	if (received)
		return NULL;
	if (stack == 0 && s->stack_mode == MT_STACK_NONE)
		return "stacks off";
	return "stack lost";
}

/* What summarizing allocated: the live and the freed sites. */
static inline void run_summary__release(struct run_summary *s)
{
	leaks__release(&s->leaks);
	leaks__release(&s->freed);
}

static inline uint64_t run_summary__lost_stacks(const struct run_summary *s)
{
	return s->drops[MT_DROP_STACK_RINGBUF] + s->drops[MT_DROP_STACK_ERROR];
}

/* Records that came but could not be read: a build of the BPF side that does not match. */
static inline uint64_t run_summary__unread_records(const struct run_summary *s)
{
	return s->drops[RUN_DROP_SHORT_RECORD] + s->drops[RUN_DROP_UNKNOWN_RECORD];
}

#endif /* MEMTRACE_RUN_SUMMARY_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process's timeline (timeline.h) fed from its accounting: every record
 * of the process ticks it with its time before it is applied, so the state
 * it finds is the one the record's predecessors left. Within a slot a tick
 * is a compare or two; only a record in a later slot reads every series.
 */
#ifndef MEMTRACE_PROCESS_TIMELINE_H
#define MEMTRACE_PROCESS_TIMELINE_H

#include <stdint.h>

#include "account/process.h"
#include "account/timeline.h"

/* Out of line: once per slot, or the process's first record. 0 or -ENOMEM. */
int process_timeline__advance(struct mt_process *p, uint64_t origin_ns, uint64_t ts_ns);

/* A record of p at ts_ns; origin_ns is the run's start (0: the first record's time). */
static inline int process_timeline__tick(struct mt_process *p, uint64_t origin_ns, uint64_t ts_ns)
{
	struct timeline *tl = &p->timeline;

	if (ts_ns < tl->slot_end_ns) {
		if (p->c.current_bytes > tl->cur.v.host_peak)
			tl->cur.v.host_peak = p->c.current_bytes;
		return 0;
	}
	return process_timeline__advance(p, origin_ns, ts_ns);
}
/* The same for a GPU record, whose process's GPU peak may move too. */
int process_timeline__tick_gpu(struct mt_process *p, uint64_t origin_ns, uint64_t ts_ns);
/* The process's series as they stand (the open point's values when written). */
void process_timeline__values(const struct mt_process *p, struct timeline_values *v);
/* A collection that ended; the step probe's hits. 0 or -ENOMEM. */
int process_timeline__gc(struct mt_process *p, uint64_t start_ns, uint64_t duration_ns,
			 int32_t generation);
int process_timeline__step(struct mt_process *p, uint64_t ts_ns);

#endif /* MEMTRACE_PROCESS_TIMELINE_H */

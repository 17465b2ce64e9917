/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything collected in a run: the traced processes, the stacks and the
 * totals. Ring buffer records go in through tracker__handle_record.
 */
#ifndef MEMTRACE_TRACKER_H
#define MEMTRACE_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "gpu_accounting.h"
#include "id_map.h"
#include "process.h"
#include "stack_table.h"

struct tracker {
	struct mt_process **procs;
	uint32_t nr_procs, procs_cap;
	struct id_map by_pid;
	struct mt_process *last;	/* the process of the last record: they come in runs */
	struct stack_table stacks;
	struct mt_counters totals;
	uint64_t records;		/* ring buffer records consumed */
	uint64_t stray_records;		/* records of processes not traced (never expected) */
	int err;			/* first fatal error (-ENOMEM) while consuming */
	/* GPU memory, by kind (gpu_accounting.h): after the fields every record touches */
	struct gpu_totals gpu;
};

int tracker__init(struct tracker *t);
void tracker__release(struct tracker *t);
/* Adds a traced process, or returns the one already there; NULL on -ENOMEM. */
struct mt_process *tracker__add_process(struct tracker *t, uint32_t pid);
struct mt_process *tracker__process(const struct tracker *t, uint32_t pid);
/* ring_buffer_sample_fn: ctx is the tracker. Returns 0 or a negative errno. */
int tracker__handle_record(void *ctx, void *data, size_t size);

#endif /* MEMTRACE_TRACKER_H */

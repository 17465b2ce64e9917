/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where every ring buffer record goes: its header's kind says the size it
 * must have and what applies it; its pid, through the tracker, which
 * process. A record too short for its kind, or of a kind this build does
 * not know, is counted, never read.
 */
#ifndef MEMTRACE_DISPATCH_H
#define MEMTRACE_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "account/run_summary.h"
#include "account/tracker.h"

struct dispatch {
	struct tracker *tracker;
	uint64_t short_records;		/* shorter than their kind's record, or than a header */
	uint64_t unknown_records;	/* of a kind not in enum mt_record_kind */
};

/*
 * ring_buffer_sample_fn: ctx is a struct dispatch. 0, or the tracker's
 * first fatal error (-ENOMEM), which stops the consuming.
 */
int dispatch__record(void *ctx, void *data, size_t size);
/* Puts the records counted and not read into drops (enum run_drop). */
void dispatch__read_drops(const struct dispatch *d, uint64_t drops[RUN_DROP_COUNT]);

#endif /* MEMTRACE_DISPATCH_H */

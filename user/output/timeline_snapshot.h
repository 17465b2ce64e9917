/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process's "timeline" object in the snapshot (README.md, "Snapshot"):
 * its memory over time from account/timeline.h, by series in columns (one
 * array per series, one element per point, all as long as "t_s"), and its
 * events in time order. Readers that do not know it skip it.
 */
#ifndef MEMTRACE_TIMELINE_SNAPSHOT_H
#define MEMTRACE_TIMELINE_SNAPSHOT_H

#include "account/process.h"
#include "account/run_summary.h"
#include "util/json_writer.h"

/* Nothing for a process with no record at all. 0 or -ENOMEM (its events' sort). */
int timeline_snapshot__write_process(const struct run_summary *s, const struct mt_process *p,
				     struct json_writer *w);

#endif /* MEMTRACE_TIMELINE_SNAPSHOT_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The GPU memory of a snapshot (README.md, "Snapshot"): the "gpu" objects. */
#ifndef MEMTRACE_GPU_SNAPSHOT_H
#define MEMTRACE_GPU_SNAPSHOT_H

#include <stdint.h>

#include "account/run_summary.h"
#include "util/json_writer.h"

/*
 * Each writes the key "gpu" and its object into the object being written,
 * the same keys with or without GPU activity: readers see one schema.
 */
/* Top level: the run's counters by kind and its OOM events. */
void gpu_snapshot__write_totals(const struct gpu_totals *g, struct json_writer *w);
/* A process: libraries, kinds, devices, OOM events. */
void gpu_snapshot__write_process(const struct run_summary *s, const struct mt_process *p,
				 struct json_writer *w);
/* A thread, by its index in p->threads: its counters by kind. */
void gpu_snapshot__write_thread(const struct mt_process *p, uint32_t thread,
				struct json_writer *w);

#endif /* MEMTRACE_GPU_SNAPSHOT_H */

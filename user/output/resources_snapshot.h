/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The resource profiles of a snapshot (README.md, "Snapshot"): the "resources" objects. */
#ifndef MEMTRACE_RESOURCES_SNAPSHOT_H
#define MEMTRACE_RESOURCES_SNAPSHOT_H

#include "account/process.h"
#include "account/resources.h"
#include "util/json_writer.h"

/* Top level: which probes ran, why some did not, the PMU, the verdict's thresholds. */
void resources_snapshot__write_run(const struct run_resources *run, struct json_writer *w);
/* A process's threads summed; null under --no-resources. */
void resources_snapshot__write_process(const struct run_resources *run,
				       const struct mt_process *p, struct json_writer *w);
/* A thread of p, by its index; null under --no-resources. */
void resources_snapshot__write_thread(const struct run_resources *run,
				      const struct mt_process *p, uint32_t thread,
				      struct json_writer *w);

#endif /* MEMTRACE_RESOURCES_SNAPSHOT_H */

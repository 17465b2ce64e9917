/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A process's "gc" object in the snapshot (README.md, "Snapshot"): only
 * for a process whose runtime's collections were probed, so snapshots of
 * other programs are unchanged.
 */
#ifndef MEMTRACE_GC_SNAPSHOT_H
#define MEMTRACE_GC_SNAPSHOT_H

#include "account/process.h"
#include "util/json_writer.h"

void gc_snapshot__write_process(const struct mt_process *p, struct json_writer *w);

#endif /* MEMTRACE_GC_SNAPSHOT_H */

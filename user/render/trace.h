/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Snapshots' timelines as Chrome Trace Event JSON (the object form:
 * {"displayTimeUnit": "ms", "otherData": {...}, "traceEvents": [...]}), for
 * Perfetto (ui.perfetto.dev) and chrome://tracing: memory beside the rest
 * of a trace.
 *
 * Each process record of each snapshot is a trace process of its own, pid
 * 1, 2, ... in input order: the same PID on two hosts, or one PID's images
 * before and after an exec, stay apart. Its real PID is in its name,
 * "comm (pid)", and with several snapshots (or a merged one) the name ends
 * with the snapshot's label ("FILE@HOST", as memtrace merge labels ranks).
 * Threads get trace tids of their own too, the main thread the process's.
 *
 * A timeline point is one counter event ("ph": "C") per counter, at the
 * point's slot start (ts: microseconds from the start of tracing, to the
 * nanosecond), with the snapshot's integers as they are: "host live bytes"
 * (a series per allocator), "host peak" ("bytes"), "gpu live bytes" (a
 * series per kind), "gpu peak" ("bytes"), "mapped bytes" ("anon", "brk").
 * Perfetto makes a track of each series ("host live bytes libc");
 * chrome://tracing stacks a counter's series, so a stack's height is the
 * sum (all host bytes, all GPU bytes).
 *
 * Events: a collection is a complete event ("ph": "X", its dur the
 * collection's) on a thread "gc" of the process, so that its length shows;
 * start, end, OOM, step and any newer type are process instants ("ph": "i",
 * "s": "p") named as the snapshot's type, with its fields as args.
 */
#ifndef MEMTRACE_TRACE_H
#define MEMTRACE_TRACE_H

#include <stddef.h>
#include <stdio.h>

#include "compare/snapshot_reader.h"

/* The trace of snaps to out; a negative errno when it cannot be made or written. */
int trace__write(const struct snapshot *snaps, size_t nr, FILE *out);

#endif /* MEMTRACE_TRACE_H */

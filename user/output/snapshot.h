/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The JSON snapshot, schema "memtrace.snapshot.v1" (README.md, "Snapshot"). */
#ifndef MEMTRACE_SNAPSHOT_H
#define MEMTRACE_SNAPSHOT_H

#include <stdio.h>

#include "account/run_summary.h"

#define SNAPSHOT_SCHEMA "memtrace.snapshot.v1"

/* 0, or -EIO / -EINVAL from the JSON writer. */
int snapshot__write(const struct run_summary *s, FILE *out);

struct json_writer;
/* A leak's frame as the snapshot writes it, for the other parts that write stacks. */
void snapshot__write_frame(const struct leak_frame *f, struct json_writer *w);

#endif /* MEMTRACE_SNAPSHOT_H */

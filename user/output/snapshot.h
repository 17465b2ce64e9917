/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The JSON snapshot, schema "memtrace.snapshot.v1" (README.md, "Snapshot"). */
#ifndef MEMTRACE_SNAPSHOT_H
#define MEMTRACE_SNAPSHOT_H

#include <stdio.h>

#include "account/run_summary.h"

#define SNAPSHOT_SCHEMA "memtrace.snapshot.v1"

/* 0, or -EIO / -EINVAL from the JSON writer. */
int snapshot__write(const struct run_summary *s, FILE *out);

#endif /* MEMTRACE_SNAPSHOT_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What only a page for people needs of a snapshot (the HTML report), read
 * as snapshot_reader.c reads the rest: when and how tracing ran (started_at,
 * command), the run's GPU memory by kind and its OOM events, and each leak
 * site's ages and lifetimes. All optional: older snapshots have none.
 */
#ifndef MEMTRACE_SNAPSHOT_DETAILS_H
#define MEMTRACE_SNAPSHOT_DETAILS_H

#include "compare/snapshot_fields.h"
#include "compare/snapshot_reader.h"

/* root's fields and leaks[].{first_seen_s, oldest_age_s, growth_bytes_per_step, lifetimes} */
int snapshot_details__read(const struct field_reader *r, json_t *root, struct snapshot *s);
void snapshot_details__release(struct snapshot *s);

#endif /* MEMTRACE_SNAPSHOT_DETAILS_H */

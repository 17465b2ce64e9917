/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The "mappings" objects of a snapshot (README.md, "Mappings"): memory
 * from mmap, munmap, mremap and brk, apart from the malloc family's
 * counters. The same keys, zeros included, whether or not a process made
 * such a call: readers see one schema.
 */
#ifndef MEMTRACE_MAPPING_SNAPSHOT_H
#define MEMTRACE_MAPPING_SNAPSHOT_H

#include "account/mapping_accounting.h"
#include "account/tracker.h"
#include "util/json_writer.h"

/* Top level: every traced process's counters summed (peaks too). */
void mapping_snapshot__write_totals(const struct tracker *t, struct json_writer *w);
/* A process's counters. */
void mapping_snapshot__write_process(const struct mt_process *p, struct json_writer *w);

#endif /* MEMTRACE_MAPPING_SNAPSHOT_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The "GC" row of the text report, under a process's memory counters. */
#ifndef MEMTRACE_GC_REPORT_H
#define MEMTRACE_GC_REPORT_H

#include <stdio.h>

#include "account/process.h"

/*
 * "  GC python: 12 collections, 3.10 ms | gen0 10, 0.50 ms, max 0.10 ms,
 * 120 collected; ...": only for a process whose collections were probed.
 */
void gc_report__write_line(const struct mt_process *p, FILE *out);

#endif /* MEMTRACE_GC_REPORT_H */

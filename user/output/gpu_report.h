/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The GPU memory of the text report, beside the host's. Only processes
 * that probed a GPU library or made a GPU call get GPU lines: a host-only
 * run's report is unchanged.
 */
#ifndef MEMTRACE_GPU_REPORT_H
#define MEMTRACE_GPU_REPORT_H

#include <stdio.h>

#include "account/run_summary.h"

/* Under the run's totals: its GPU current and peak by kind, and OOM events. */
void gpu_report__write_totals(const struct tracker *t, FILE *out);
/* Under a process's host counters: its GPU current and peak, and its pinned host memory. */
void gpu_report__write_line(const struct mt_process *p, FILE *out);
/* After a process's threads: its kinds, devices and OOM events. */
void gpu_report__write_section(const struct run_summary *s, const struct mt_process *p, FILE *out);

#endif /* MEMTRACE_GPU_REPORT_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The text report: totals, processes, threads, top live allocation sites. */
#ifndef MEMTRACE_REPORT_H
#define MEMTRACE_REPORT_H

#include <stdio.h>

#include "account/leaks.h"
#include "account/run_summary.h"

/* top: how many stack sites to show. 0, or -EIO when writing failed. */
int report__write(const struct run_summary *s, int top, FILE *out);

#endif /* MEMTRACE_REPORT_H */

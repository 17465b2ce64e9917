/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Mappings in the text report: one line under the run's totals and one
 * under each process's counters, for those that made a mapping call. They
 * say that these bytes are not in the malloc counters, and overlap them.
 */
#ifndef MEMTRACE_MAPPING_REPORT_H
#define MEMTRACE_MAPPING_REPORT_H

#include <stdio.h>

#include "account/tracker.h"

void mapping_report__write_totals(const struct tracker *t, FILE *out);
void mapping_report__write_line(const struct mt_process *p, FILE *out);

#endif /* MEMTRACE_MAPPING_REPORT_H */

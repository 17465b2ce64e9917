/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The run so far in Prometheus's text exposition format (version 0.0.4),
 * for node_exporter's textfile collector (--prometheus): a # HELP and a
 * # TYPE line before each metric's samples, labels job (--prometheus-job),
 * comm, and allocator or kind; no PID label (processes are summed by comm,
 * prom_series.h) and no timestamps (the collector refuses them). Label
 * values are escaped as the format says (\\, \", \n); a byte that starts
 * no well-formed UTF-8 sequence becomes U+FFFD, as in the JSON snapshot,
 * since Prometheus refuses a label value that is not UTF-8.
 */
#ifndef MEMTRACE_PROMETHEUS_H
#define MEMTRACE_PROMETHEUS_H

#include <stdio.h>

#include "account/run_summary.h"

/* Writes every metric of s; 0, -ENOMEM or the write's negative errno. */
int prometheus__write(const struct run_summary *s, const char *job, FILE *out);

#endif /* MEMTRACE_PROMETHEUS_H */

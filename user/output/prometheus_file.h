/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --prometheus DIR: DIR/memtrace.prom for node_exporter's textfile
 * collector, replaced whole at every write (output_file.h: written
 * unnamed or as memtrace.prom.tmp.XXXXXX, synced, then renamed over it),
 * so the collector, which reads *.prom at each scrape, never sees half a
 * file. DIR is opened when memtrace starts: an unusable one fails before
 * any tracing.
 */
#ifndef MEMTRACE_PROMETHEUS_FILE_H
#define MEMTRACE_PROMETHEUS_FILE_H

#include <stdbool.h>

#include "account/run_summary.h"

#define PROMETHEUS_FILE_NAME "memtrace.prom"

struct prometheus_file {
	char *path;		/* DIR/memtrace.prom: for messages */
	const char *job;	/* --prometheus-job */
	int dirfd;		/* valid when dir_open */
	bool dir_open;
	bool failed;		/* a write failed: said once, not at every interval */
};

/* Opens (making its last component if missing) DIR; prints one line on failure. */
int prometheus_file__open(struct prometheus_file *pf, const char *dir, const char *job);
/* Writes s's metrics in place of the last file; prints one line on the first failure. */
int prometheus_file__write(struct prometheus_file *pf, const struct run_summary *s);
/* NULL-safe on a zeroed struct. */
void prometheus_file__release(struct prometheus_file *pf);

#endif /* MEMTRACE_PROMETHEUS_FILE_H */

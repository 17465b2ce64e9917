/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memtrace top --batch: a frame as plain text, for scripts (README,
 * "memtrace top"). One line a record, its fields separated by tabs, its
 * first field its kind: "frame", then "process", "thread" and "site"
 * lines, then "end". Figures are plain numbers (bytes, bytes per second),
 * "-" where there is none. Fields are only ever added at the end of a line.
 */
#ifndef MEMTRACE_TOP_BATCH_H
#define MEMTRACE_TOP_BATCH_H

#include <stddef.h>
#include <stdio.h>

#include "output/top_model.h"

/* Writes m's frame: every process and thread, the max_sites largest sites. 0 or -EIO. */
int top_batch__write(const struct top_model *m, size_t max_sites, FILE *out);

#endif /* MEMTRACE_TOP_BATCH_H */

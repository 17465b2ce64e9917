/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* memtrace top's rows from a run summary: the figures of the report, as a model's frame. */
#ifndef MEMTRACE_TOP_ROWS_H
#define MEMTRACE_TOP_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "account/run_summary.h"
#include "output/top_model.h"

/* A new frame of m: totals, every process and thread, every leak site of s. -ENOMEM. */
int top_rows__collect(const struct run_summary *s, struct top_model *m);

/* A site's whole stack as the report writes it, a line a frame. */
struct top_stack_lines {
	char *text;		/* the lines, each ended by '\n' */
	size_t len;
};

/*
 * The stack of the site (pid, stack, allocator) of s, or a line saying why
 * there is none; the site gone: empty. Frees what lines held. -ENOMEM.
 */
int top_rows__stack(const struct run_summary *s, uint32_t pid, uint32_t stack,
		    const char *allocator, struct top_stack_lines *lines);
void top_stack_lines__release(struct top_stack_lines *lines);

#endif /* MEMTRACE_TOP_ROWS_H */

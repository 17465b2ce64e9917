/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What is live when a report is made, grouped by (process, stack) and
 * symbolized: the "leaks" of the snapshot and the top of the text report.
 */
#ifndef MEMTRACE_LEAKS_H
#define MEMTRACE_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolizer.h"
#include "tracker.h"

struct leak_site {
	const struct mt_process *process;
	uint32_t stack;		/* stack table index */
	uint64_t bytes;
	uint64_t count;
	uint64_t oldest_ns;	/* allocation time of the oldest block */
};

struct leak_report {
	struct leak_site *sites;	/* largest first */
	size_t n;
};

int leaks__collect(const struct tracker *t, struct leak_report *out);
void leaks__release(struct leak_report *r);

struct leak_frame {
	uint64_t ip;
	struct frame_info info;
};

/*
 * The symbolized frames of a site's stack, leaf first, at most max. The
 * walk stops at the first address outside every executable mapping (junk
 * from code without frame pointers): *truncated says so. Returns the
 * number of frames; 0 when the stack itself was lost.
 */
size_t leaks__frames(const struct tracker *t, struct symbolizer *sym, const struct leak_site *site,
		     struct leak_frame *frames, size_t max, bool *truncated);

#endif /* MEMTRACE_LEAKS_H */

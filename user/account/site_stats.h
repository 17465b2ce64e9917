/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What one process's allocation sites (its stacks) did over time: how long
 * their freed blocks lived, when each site first allocated, and their live
 * bytes sampled every --interval (growth.h). A site's live blocks are in
 * the process's live table; this keeps what the table forgets.
 */
#ifndef MEMTRACE_SITE_STATS_H
#define MEMTRACE_SITE_STATS_H

#include <errno.h>
#include <stdint.h>

#include "account/growth.h"
#include "account/lifetime_histogram.h"
#include "util/id_map.h"

struct site_entry {
	uint32_t stack;				/* stack table index (0: no stack) */
	struct freed_lifetimes freed;		/* see site_stats__on_free */
	struct growth growth;
};

struct site_stats {
	struct site_entry *entries;
	uint32_t n, cap;
	struct id_map index;		/* stack + 1 -> entry */
	uint32_t hint;			/* entry of the last free: frees come in runs per site */
	struct growth_clock clock;
	int err;			/* first -ENOMEM: a free went unrecorded */
};

/* The site's entry, created when new; NULL on -ENOMEM. */
struct site_entry *site_stats__entry(struct site_stats *s, uint32_t stack);
/* The site's entry, or NULL when it has none. */
const struct site_entry *site_stats__find(const struct site_stats *s, uint32_t stack);
void site_stats__release(struct site_stats *s);

/*
 * A block of the site allocated at alloc_ns was freed at free_ns. Inline:
 * every free goes through here. A failure to record is kept in s->err.
 * The tracker keeps this in the stack table instead (struct mt_stack),
 * one cache miss fewer per free, for every stack but "no stack", which
 * all processes share.
 */
static inline void site_stats__on_free(struct site_stats *s, uint32_t stack, uint64_t alloc_ns,
				       uint64_t free_ns)
{
	struct site_entry *e;

	if (s->hint < s->n && s->entries[s->hint].stack == stack) {
		e = &s->entries[s->hint];
	} else {
		e = site_stats__entry(s, stack);
		if (!e) {
			s->err = -ENOMEM;
			return;
		}
		s->hint = (uint32_t)(e - s->entries);
	}
	freed_lifetimes__add(&e->freed, alloc_ns, free_ns);
}

/* Starts a sample at t seconds after tracing began, at the process's step count. */
void site_stats__begin_sample(struct site_stats *s, double t, uint64_t steps);
/* The site's live bytes in the sample begun last. 0 or -ENOMEM. */
int site_stats__sample(struct site_stats *s, uint32_t stack, uint64_t live_bytes);

#endif /* MEMTRACE_SITE_STATS_H */

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
	/*
	 * 0: the site of a stack (growth; a GPU kind's frees). 1 + allocator:
	 * the host blocks of that allocator freed with this stack, kept here
	 * for stack 0 and for a stack's second allocator (process__block_freed).
	 */
	uint8_t tag;
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
/* The same for a tag (site_entry.tag). */
struct site_entry *site_stats__entry_tagged(struct site_stats *s, uint32_t stack, uint8_t tag);
/* The site's entry, or NULL when it has none. */
const struct site_entry *site_stats__find(const struct site_stats *s, uint32_t stack);
const struct site_entry *site_stats__find_tagged(const struct site_stats *s, uint32_t stack,
						 uint8_t tag);
void site_stats__release(struct site_stats *s);

/*
 * A block of size bytes of the site (stack, tag), allocated at alloc_ns by
 * thread, was freed at free_ns. Inline: every free goes through here. A
 * failure to record is kept in s->err; returns where it went, or NULL.
 * The tracker keeps this in the stack table instead (struct mt_stack),
 * one cache miss fewer per free, for every stack but "no stack", which
 * all processes share.
 */
static inline struct freed_lifetimes *site_stats__on_free(struct site_stats *s, uint32_t stack,
							  uint8_t tag, uint64_t alloc_ns,
							  uint64_t free_ns, uint64_t size,
							  uint32_t thread)
{
	struct site_entry *e;

	if (s->hint < s->n && s->entries[s->hint].stack == stack &&
	    s->entries[s->hint].tag == tag) {
		e = &s->entries[s->hint];
	} else {
		e = site_stats__entry_tagged(s, stack, tag);
		if (!e) {
			s->err = -ENOMEM;
			return NULL;
		}
		s->hint = (uint32_t)(e - s->entries);
	}
	freed_lifetimes__add(&e->freed, alloc_ns, free_ns, size, thread);
	return &e->freed;
}

/* Starts a sample at t seconds after tracing began, at the process's step count. */
void site_stats__begin_sample(struct site_stats *s, double t, uint64_t steps);
/* The site's live bytes in the sample begun last. 0 or -ENOMEM. */
int site_stats__sample(struct site_stats *s, uint32_t stack, uint64_t live_bytes);

#endif /* MEMTRACE_SITE_STATS_H */

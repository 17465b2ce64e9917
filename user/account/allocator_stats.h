/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-allocator figures of a process (enum mt_allocator): calls, bytes
 * allocated, and what is live. A block's live bytes stay with the
 * allocator that made it, whichever function frees it.
 */
#ifndef MEMTRACE_ALLOCATOR_STATS_H
#define MEMTRACE_ALLOCATOR_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>
#include <memtrace/event.h>

struct json_writer;

struct allocator_counts {
	uint64_t calls;		/* every call: allocations, frees, reallocs, failures */
	uint64_t alloc_bytes;	/* bytes of the blocks it handed out */
	uint64_t live_bytes;
	uint64_t live_blocks;
};

struct allocator_stats {
	struct allocator_counts a[MT_ALLOC_COUNT];
};

/* Inline: on every allocator call, as the counters are. */
static inline void allocator_stats__call(struct allocator_stats *s, unsigned int allocator)
{
	if (allocator < MT_ALLOC_COUNT)
		s->a[allocator].calls++;
}

static inline void allocator_stats__alloc(struct allocator_stats *s, unsigned int allocator,
					  uint64_t size)
{
	if (allocator >= MT_ALLOC_COUNT)
		return;
	s->a[allocator].alloc_bytes += size;
	s->a[allocator].live_bytes += size;
	s->a[allocator].live_blocks++;
}

static inline void allocator_stats__free(struct allocator_stats *s, unsigned int allocator,
					 uint64_t size)
{
	if (allocator >= MT_ALLOC_COUNT)
		return;
	s->a[allocator].live_bytes -= size;
	s->a[allocator].live_blocks--;
}

/* Adds from into into: the run's totals are the sum over its processes. */
void allocator_stats__add(struct allocator_stats *into, const struct allocator_stats *from);
/*
 * Writes "allocators": [{"name", "calls", "alloc_bytes", "live_bytes",
 * "live_blocks"}, ...] into the object being written: the allocators that
 * were called or still hold blocks, in enum order.
 */
void allocator_stats__write_json(const struct allocator_stats *s, struct json_writer *w);
/* One line per allocator used, each starting with indent. */
void allocator_stats__write_text(const struct allocator_stats *s, const char *indent,
				 FILE *out);

#endif /* MEMTRACE_ALLOCATOR_STATS_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Block lifetimes (free time - allocation time) in decades: bucket i
 * counts lifetimes in (le(i-1), le(i)], le being 1 us, 10 us, ... 10000 s,
 * then INT64_MAX ns for everything longer. Decades, because what matters
 * is the order of magnitude: churn freed within microseconds, per-step
 * buffers within a second, caches and leaks that stay for minutes.
 */
#ifndef MEMTRACE_LIFETIME_HISTOGRAM_H
#define MEMTRACE_LIFETIME_HISTOGRAM_H

#include <stdint.h>

#include "account/sample_weight.h"

#define LIFETIME_BUCKETS 12

/* Inline: every free lands in a bucket, and most lifetimes are short. */
static inline unsigned int lifetime_histogram__bucket(uint64_t ns)
{
	uint64_t le = 1000;
	unsigned int i;

	for (i = 0; i < LIFETIME_BUCKETS - 1 && ns > le; i++)
		le *= 10;
	return i;
}

/*
 * Which thread allocated a site's blocks: the index of the one thread in
 * its process, or none yet, or several (no one thread to name).
 */
#define SITE_THREAD_NONE    UINT32_MAX
#define SITE_THREAD_SEVERAL (UINT32_MAX - 1)

static inline uint32_t site_thread__merge(uint32_t site, uint32_t thread)
{
	return site == SITE_THREAD_NONE || site == thread ? thread : SITE_THREAD_SEVERAL;
}

/*
 * A site's freed blocks: how long they lived, the earliest allocation among
 * them, their bytes and who allocated them. With the site's live blocks
 * they make its allocation totals (leaks.h): nothing is counted on the
 * allocation path.
 */
struct freed_lifetimes {
	uint64_t first_ns;			/* UINT64_MAX: none freed yet */
	uint64_t bytes;				/* their bytes, unweighted */
	uint32_t thread;			/* SITE_THREAD_*, or the allocating thread */
	/*
	 * The stack table's: 1 + the allocator (enum mt_allocator) whose blocks
	 * are here, 0 before the first. Another allocator's blocks of the same
	 * stack, rare (a call through a pointer), go to the process's
	 * site_stats (process__block_freed). In what was padding, on the line
	 * the free touches anyway.
	 */
	uint8_t allocator;
	uint64_t count[LIFETIME_BUCKETS];
	/* --sample-bytes: the same blocks, each by its weight (sample_weight.h) */
	struct weighted_sum estimate;
};

#define FREED_LIFETIMES_INIT { .first_ns = UINT64_MAX, .thread = SITE_THREAD_NONE }

/* Inline: every free goes through here, on lines the free touches anyway. */
static inline void freed_lifetimes__add(struct freed_lifetimes *f, uint64_t alloc_ns,
					uint64_t free_ns, uint64_t size, uint32_t thread)
{
	f->count[lifetime_histogram__bucket(free_ns > alloc_ns ? free_ns - alloc_ns : 0)]++;
	if (alloc_ns < f->first_ns)
		f->first_ns = alloc_ns;
	f->bytes += size;
	f->thread = site_thread__merge(f->thread, thread);
}

/* The blocks freed, unweighted. */
static inline uint64_t freed_lifetimes__count(const struct freed_lifetimes *f)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < LIFETIME_BUCKETS; i++)
		n += f->count[i];
	return n;
}

/* Upper bound of a bucket in ns (INT64_MAX for the last). */
uint64_t lifetime_histogram__le(unsigned int bucket);
/* "1us", "10us", ... "10000s", "inf": the text report's column names. */
const char *lifetime_histogram__label(unsigned int bucket);

#endif /* MEMTRACE_LIFETIME_HISTOGRAM_H */

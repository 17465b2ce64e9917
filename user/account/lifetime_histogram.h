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

/* A site's freed blocks: how long they lived, and the earliest allocation among them. */
struct freed_lifetimes {
	uint64_t first_ns;			/* UINT64_MAX: none freed yet */
	uint64_t count[LIFETIME_BUCKETS];
};

static inline void freed_lifetimes__add(struct freed_lifetimes *f, uint64_t alloc_ns,
					uint64_t free_ns)
{
	f->count[lifetime_histogram__bucket(free_ns > alloc_ns ? free_ns - alloc_ns : 0)]++;
	if (alloc_ns < f->first_ns)
		f->first_ns = alloc_ns;
}

/* Upper bound of a bucket in ns (INT64_MAX for the last). */
uint64_t lifetime_histogram__le(unsigned int bucket);
/* "1us", "10us", ... "10000s", "inf": the text report's column names. */
const char *lifetime_histogram__label(unsigned int bucket);

#endif /* MEMTRACE_LIFETIME_HISTOGRAM_H */

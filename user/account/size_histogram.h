/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Requested sizes in power-of-two buckets. Bucket i counts sizes in
 * (le(i-1), le(i)]: le is 0, 1, 2, 4, ... 2^62, then INT64_MAX for
 * everything larger (the largest value JSON readers take as an integer).
 */
#ifndef MEMTRACE_SIZE_HISTOGRAM_H
#define MEMTRACE_SIZE_HISTOGRAM_H

#include <stdint.h>

#define SIZE_HISTOGRAM_BUCKETS 65

struct size_histogram {
	uint64_t count[SIZE_HISTOGRAM_BUCKETS];
};

/* Inline, with __add: every allocation lands in a bucket. */
static inline unsigned int size_histogram__bucket(uint64_t size)
{
	if (size <= 1)
		return (unsigned int)size;
	if (size > (1ULL << 62))
		return SIZE_HISTOGRAM_BUCKETS - 1;
	/* ceil(log2(size)) + 1: 2 -> 2, 3..4 -> 3, 5..8 -> 4 */
	return 64 - __builtin_clzll(size - 1) + 1;
}

static inline void size_histogram__add(struct size_histogram *h, uint64_t size)
{
	h->count[size_histogram__bucket(size)]++;
}

uint64_t size_histogram__le(unsigned int bucket);

#endif /* MEMTRACE_SIZE_HISTOGRAM_H */

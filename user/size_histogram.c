// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "size_histogram.h"

unsigned int size_histogram__bucket(uint64_t size)
{
	if (size <= 1)
		return (unsigned int)size;
	if (size > (1ULL << 62))
		return SIZE_HISTOGRAM_BUCKETS - 1;
	/* ceil(log2(size)) + 1: 2 -> 2, 3..4 -> 3, 5..8 -> 4 */
	return 64 - __builtin_clzll(size - 1) + 1;
}

uint64_t size_histogram__le(unsigned int bucket)
{
	if (bucket == 0)
		return 0;
	if (bucket >= SIZE_HISTOGRAM_BUCKETS - 1)
		return INT64_MAX;
	return 1ULL << (bucket - 1);
}

void size_histogram__add(struct size_histogram *h, uint64_t size)
{
	h->count[size_histogram__bucket(size)]++;
}

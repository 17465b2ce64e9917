// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/lifetime_histogram.h"

uint64_t lifetime_histogram__le(unsigned int bucket)
{
	uint64_t le = 1000;

	if (bucket >= LIFETIME_BUCKETS - 1)
		return INT64_MAX;
	while (bucket--)
		le *= 10;
	return le;
}

const char *lifetime_histogram__label(unsigned int bucket)
{
	static const char *const labels[LIFETIME_BUCKETS] = {
		"1us", "10us", "100us", "1ms", "10ms", "100ms",
		"1s",  "10s",  "100s",  "1000s", "10000s", "longer",
	};

	return bucket < LIFETIME_BUCKETS ? labels[bucket] : "longer";
}

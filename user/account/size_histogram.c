// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "account/size_histogram.h"

uint64_t size_histogram__le(unsigned int bucket)
{
	if (bucket == 0)
		return 0;
	if (bucket >= SIZE_HISTOGRAM_BUCKETS - 1)
		return INT64_MAX;
	return 1ULL << (bucket - 1);
}

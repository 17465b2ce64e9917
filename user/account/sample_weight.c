// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>

#include "account/sample_weight.h"

double sample_weight__of(uint64_t size, uint64_t sample_bytes)
{
	if (!sample_weight__estimated(size, sample_bytes))
		return 1.0;
	/* -expm1(-x) is 1 - exp(-x) without the cancellation at small x (64 B of 512 KiB) */
	return 1.0 / -expm1(-(double)size / (double)sample_bytes);
}

uint64_t weighted_sum__round(double v)
{
	/* exact below 2^53, as the sums of unweighted blocks always are */
	return v <= 0 ? 0 : (uint64_t)llround(v);
}

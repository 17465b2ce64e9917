/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --sample-bytes: the bytes from one sampled allocation to the next,
 * exponential with mean sample_bytes, as Go's runtime and tcmalloc draw
 * them. The exponential is memoryless: whatever a thread allocated since
 * its last sample, an allocation of s bytes is sampled with probability
 * 1 - exp(-s / sample_bytes), which user space inverts into the weight of
 * a sampled block (user/account/sample_weight.h).
 */
#ifndef MEMTRACE_SAMPLE_GAP_BPF_H
#define MEMTRACE_SAMPLE_GAP_BPF_H

#include "maps.bpf.h"
#include <memtrace/sample_gaps.h>

/*
 * One of the table's 1024 quantiles of -ln(u), scaled: at most 7.7 x
 * sample_bytes (2^31), so the product stays below 2^50. At least 1: a
 * thread's counter is 0 only before its first gap is drawn. The +1 and the
 * rounding down cancel: the sample falls within an allocation of s bytes
 * exactly when N * t < s.
 */
static __always_inline __s64 sample_gap__next(void)
{
	__u32 t = mt_sample_gaps[bpf_get_prandom_u32() & (MT_SAMPLE_GAPS - 1)];

	return 1 + (__s64)((sample_bytes * t) >> MT_SAMPLE_GAP_SHIFT);
}

#endif /* MEMTRACE_SAMPLE_GAP_BPF_H */

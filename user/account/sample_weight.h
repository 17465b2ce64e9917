/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --sample-bytes N: what a block with a stack stands for. The kernel samples
 * an allocation of s < N bytes with probability p(s) = 1 - exp(-s/N), each
 * one on its own (bpf/sample_gap.bpf.h), and every allocation of N bytes or
 * more. A sampled block weighs 1/p(s): summed over a site's sampled blocks,
 * bytes x weight and weight are unbiased estimates of the site's bytes and
 * blocks (the Horvitz-Thompson estimator, as Go's heap profile and
 * tcmalloc's use). Blocks without a stack only count in the exact totals.
 */
#ifndef MEMTRACE_SAMPLE_WEIGHT_H
#define MEMTRACE_SAMPLE_WEIGHT_H

#include <stdbool.h>
#include <stdint.h>

/* A site's blocks and bytes, each block counted by its weight. */
struct weighted_sum {
	double bytes;
	double blocks;
};

/* Whether a block of size bytes stands for more than itself: sampled, and under N. */
static inline bool sample_weight__estimated(uint64_t size, uint64_t sample_bytes)
{
	return sample_bytes && size && size < sample_bytes;
}

/*
 * 1 / p(size) with sample_bytes N; 1 when the block was certain to have its
 * stack (N = 0, or size >= N). A block of 0 bytes is never sampled below N
 * (it runs no counter down): if one had a stack, it stands for itself.
 */
double sample_weight__of(uint64_t size, uint64_t sample_bytes);

static inline void weighted_sum__add(struct weighted_sum *w, uint64_t size, double weight)
{
	w->bytes += (double)size * weight;
	w->blocks += weight;
}

/* A sum as the integer a report shows: rounded to nearest. */
uint64_t weighted_sum__round(double v);

#endif /* MEMTRACE_SAMPLE_WEIGHT_H */

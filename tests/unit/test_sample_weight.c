// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --sample-bytes: the kernel's table of exponential gaps, entry by entry;
 * the sampling rate it gives against the probability user space inverts;
 * and the weights and sums of sampled blocks, to the last digit.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <linux/types.h>
#include <memtrace/sample_gaps.h>

#include "account/sample_weight.h"

/* Every entry as tools/gen-sample-gaps.py computes it: -ln((i + 0.5) / 1024) in Q16. */
static void test_table_exact(void **state)
{
	(void)state;
	for (int i = 0; i < MT_SAMPLE_GAPS; i++)
		assert_int_equal(mt_sample_gaps[i],
				 lround(-log((i + 0.5) / MT_SAMPLE_GAPS) * 65536));
	/* bpf/sample_gap.bpf.h multiplies by up to 2^31 (--sample-bytes' cap): below 2^50 */
	assert_true(mt_sample_gaps[0] < 1u << 19);
	assert_int_equal(mt_sample_gaps[MT_SAMPLE_GAPS - 1], 32);
}

/*
 * A thread allocating s bytes at a time under --sample-bytes N samples the
 * k-th allocation after a sample, k = ceil(G / s), G the gap the kernel draws
 * (1 + N * t >> 16 for an entry t): a sampled fraction of 1 / E[k]. That is
 * the p(s) = 1 - e^(-s/N) the weights invert, within 0.07% for every table
 * entry's rounding and the 1024 quantiles (0.1% checked), N = 2 to 2^31.
 */
static void test_table_rate(void **state)
{
	static const uint64_t cases[][2] = {
		{ 64, 65536 },	  { 1000, 65536 },    { 60000, 65536 },
		{ 64, 524288 },	  { 4096, 524288 },   { 500000, 524288 },
		{ 1, 1ULL << 31 }, { 100, 1ULL << 31 }, { (1ULL << 31) - 1, 1ULL << 31 },
		{ 1, 2 },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t s = cases[c][0], n = cases[c][1];
		double mean_k = 0;

		for (int i = 0; i < MT_SAMPLE_GAPS; i++) {
			uint64_t gap = 1 + ((n * mt_sample_gaps[i]) >> MT_SAMPLE_GAP_SHIFT);

			mean_k += (double)((gap + s - 1) / s) / MT_SAMPLE_GAPS;
		}
		assert_true(fabs(1 / mean_k / -expm1(-(double)s / n) - 1) < 1e-3);
	}
}

static void test_weight(void **state)
{
	(void)state;
	/* no sampling, at or past N, and 0 bytes (never sampled below N): the block itself */
	assert_true(sample_weight__of(64, 0) == 1.0);
	assert_true(sample_weight__of(65536, 65536) == 1.0);
	assert_true(sample_weight__of(1 << 20, 65536) == 1.0);
	assert_true(sample_weight__of(0, 65536) == 1.0);
	assert_false(sample_weight__estimated(65536, 65536));
	assert_false(sample_weight__estimated(0, 65536));
	assert_false(sample_weight__estimated(64, 0));
	assert_true(sample_weight__estimated(65535, 65536));
	/* 1 / (1 - e^(-s/N)), to double precision */
	assert_true(fabs(sample_weight__of(64, 65536) - 1024.5000813802149) < 1e-9);
	assert_true(fabs(sample_weight__of(1000, 65536) - 66.03727156082084) < 1e-11);
	assert_true(fabs(sample_weight__of(65535, 65536) - 1.581990755465433) < 1e-13);
	/* a byte of 2 GiB: expm1 keeps every digit where 1 - exp() keeps none */
	assert_true(fabs(sample_weight__of(1, 1ULL << 31) / 2147483648.5 - 1) < 1e-12);
}

/* A site of 2 sampled 64-byte blocks and one of 100 KiB, N = 64 KiB. */
static void test_sums(void **state)
{
	struct weighted_sum w = {};

	(void)state;
	weighted_sum__add(&w, 64, sample_weight__of(64, 65536));
	weighted_sum__add(&w, 64, sample_weight__of(64, 65536));
	weighted_sum__add(&w, 102400, sample_weight__of(102400, 65536));
	/* 2 x 1024.50008138 + 1 blocks; 2 x 64 x 1024.50008138 + 102400 bytes */
	assert_true(fabs(w.blocks - 2050.0001627604297) < 1e-9);
	assert_true(fabs(w.bytes - 233536.0104166675) < 1e-7);
	assert_int_equal(weighted_sum__round(w.blocks), 2050);
	assert_int_equal(weighted_sum__round(w.bytes), 233536);
	/* to nearest, halves away from zero; never below 0; exact where doubles are */
	assert_int_equal(weighted_sum__round(2.5), 3);
	assert_int_equal(weighted_sum__round(2.4999), 2);
	assert_int_equal(weighted_sum__round(0), 0);
	assert_int_equal(weighted_sum__round(-1), 0);
	assert_int_equal(weighted_sum__round(9007199254740992.0), 9007199254740992ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_exact),
		cmocka_unit_test(test_table_rate),
		cmocka_unit_test(test_weight),
		cmocka_unit_test(test_sums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

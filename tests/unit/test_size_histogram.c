// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "account/size_histogram.h"

#define P2(k) (1ULL << (k))

/* Bucket 0 holds only 0 and bucket 1 only 1: the "zero-size" calls stay visible. */
static void test_small_sizes(void **state)
{
	(void)state;
	assert_int_equal(size_histogram__bucket(0), 0);
	assert_int_equal(size_histogram__bucket(1), 1);
	assert_int_equal(size_histogram__bucket(2), 2);
	assert_int_equal(size_histogram__bucket(3), 3);
	assert_int_equal(size_histogram__bucket(4), 3);
	assert_int_equal(size_histogram__bucket(5), 4);
	assert_int_equal(size_histogram__bucket(8), 4);
	assert_int_equal(size_histogram__bucket(9), 5);
}

static void test_le_values(void **state)
{
	(void)state;
	assert_int_equal(size_histogram__le(0), 0);
	assert_int_equal(size_histogram__le(1), 1);
	assert_int_equal(size_histogram__le(2), 2);
	assert_int_equal(size_histogram__le(3), 4);
	assert_int_equal(size_histogram__le(4), 8);
	for (unsigned int b = 1; b < SIZE_HISTOGRAM_BUCKETS - 1; b++)
		assert_int_equal(size_histogram__le(b), P2(b - 1));
	assert_int_equal(size_histogram__le(SIZE_HISTOGRAM_BUCKETS - 2), P2(62));
	/* the catch-all bucket: the largest integer JSON readers keep exact */
	assert_int_equal(size_histogram__le(SIZE_HISTOGRAM_BUCKETS - 1), INT64_MAX);
	/* out-of-range indices do not read past the table */
	assert_int_equal(size_histogram__le(SIZE_HISTOGRAM_BUCKETS), INT64_MAX);
	assert_int_equal(size_histogram__le(~0U), INT64_MAX);
}

/* Every power of two is the inclusive top of its bucket; one more starts the next. */
static void test_powers_of_two(void **state)
{
	(void)state;
	for (unsigned int k = 1; k <= 62; k++) {
		unsigned int b = size_histogram__bucket(P2(k));

		assert_int_equal(b, k + 1);
		assert_int_equal(size_histogram__le(b), P2(k));
		assert_int_equal(size_histogram__bucket(P2(k) + 1), k + 2);
		assert_int_equal(size_histogram__bucket(P2(k) - 1), k == 1 ? 1 : k + 1);
	}
}

static void test_top_buckets(void **state)
{
	(void)state;
	assert_int_equal(size_histogram__bucket(P2(62)), SIZE_HISTOGRAM_BUCKETS - 2);
	assert_int_equal(size_histogram__bucket(P2(62) + 1), SIZE_HISTOGRAM_BUCKETS - 1);
	assert_int_equal(size_histogram__bucket(P2(63)), SIZE_HISTOGRAM_BUCKETS - 1);
	assert_int_equal(size_histogram__bucket(INT64_MAX), SIZE_HISTOGRAM_BUCKETS - 1);
	/* above INT64_MAX the last bucket's le understates: it means "+Inf" there */
	assert_int_equal(size_histogram__bucket((uint64_t)INT64_MAX + 1), SIZE_HISTOGRAM_BUCKETS - 1);
	assert_int_equal(size_histogram__bucket(UINT64_MAX), SIZE_HISTOGRAM_BUCKETS - 1);
}

static void assert_in_bucket(uint64_t s)
{
	unsigned int b = size_histogram__bucket(s);

	assert_in_range(b, 0, SIZE_HISTOGRAM_BUCKETS - 1);
	if (b > 0)
		assert_true(size_histogram__le(b - 1) < s);
	assert_true(s <= size_histogram__le(b));
}

/*
 * le(b-1) < s <= le(b) for every size a JSON integer can hold: each power
 * of two and its neighbours, plus a spread of values in between.
 */
static void test_every_size_in_its_bucket(void **state)
{
	uint64_t x = 0x243f6a8885a308d3ULL;

	(void)state;
	for (uint64_t s = 0; s <= 70000; s++)
		assert_in_bucket(s);
	for (unsigned int k = 0; k < 63; k++) {
		assert_in_bucket(P2(k) - 1);
		assert_in_bucket(P2(k));
		assert_in_bucket(P2(k) + 1);
	}
	assert_in_bucket(INT64_MAX - 1);
	assert_in_bucket(INT64_MAX);
	for (int i = 0; i < 100000; i++) {
		/* xorshift64, masked to random widths so small sizes are common too */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		assert_in_bucket((x >> 1) >> (x % 63));
	}
}

static void test_add_counts_non_cumulative(void **state)
{
	static const uint64_t sizes[] = { 0, 0, 1, 2, 3, 4, 5, 8, 9, 4096, 4097, P2(62), UINT64_MAX };
	uint64_t want[SIZE_HISTOGRAM_BUCKETS] = {
		[0] = 2,	/* 0, 0 */
		[1] = 1,	/* 1 */
		[2] = 1,	/* 2 */
		[3] = 2,	/* 3, 4 */
		[4] = 2,	/* 5, 8 */
		[5] = 1,	/* 9 */
		[13] = 1,	/* 4096 */
		[14] = 1,	/* 4097 */
		[63] = 1,	/* 2^62 */
		[64] = 1,	/* UINT64_MAX */
	};
	struct size_histogram h;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		size_histogram__add(&h, sizes[i]);
	for (unsigned int b = 0; b < SIZE_HISTOGRAM_BUCKETS; b++)
		assert_int_equal(h.count[b], want[b]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_sizes),
		cmocka_unit_test(test_le_values),
		cmocka_unit_test(test_powers_of_two),
		cmocka_unit_test(test_top_buckets),
		cmocka_unit_test(test_every_size_in_its_bucket),
		cmocka_unit_test(test_add_counts_non_cumulative),
	};

	return cmocka_run_group_tests_name("unit: size_histogram", tests, NULL, NULL);
}

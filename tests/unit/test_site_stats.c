// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-site statistics: the lifetime histogram's buckets, frees landing in
 * their site's histogram, the earliest allocation kept, and live bytes
 * sampled into a site's growth series.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "account/site_stats.h"

#define US 1000ULL
#define MS 1000000ULL
#define S  1000000000ULL

static void test_buckets(void **state)
{
	(void)state;
	/* (le(i-1), le(i)]: a bound belongs to the bucket it closes */
	assert_int_equal(lifetime_histogram__bucket(0), 0);
	assert_int_equal(lifetime_histogram__bucket(1 * US), 0);
	assert_int_equal(lifetime_histogram__bucket(1 * US + 1), 1);
	assert_int_equal(lifetime_histogram__bucket(10 * US), 1);
	assert_int_equal(lifetime_histogram__bucket(999 * US), 3);
	assert_int_equal(lifetime_histogram__bucket(1 * S), 6);
	assert_int_equal(lifetime_histogram__bucket(1 * S + 1), 7);
	assert_int_equal(lifetime_histogram__bucket(10000 * S), 10);
	assert_int_equal(lifetime_histogram__bucket(10000 * S + 1), 11);
	assert_int_equal(lifetime_histogram__bucket(UINT64_MAX), LIFETIME_BUCKETS - 1);
	for (unsigned int i = 0; i + 1 < LIFETIME_BUCKETS; i++) {
		assert_int_equal(lifetime_histogram__bucket(lifetime_histogram__le(i)), i);
		assert_int_equal(lifetime_histogram__bucket(lifetime_histogram__le(i) + 1), i + 1);
	}
	assert_int_equal(lifetime_histogram__le(0), 1 * US);
	assert_int_equal(lifetime_histogram__le(6), 1 * S);
	assert_int_equal(lifetime_histogram__le(LIFETIME_BUCKETS - 1), INT64_MAX);
	assert_string_equal(lifetime_histogram__label(3), "1ms");
	assert_string_equal(lifetime_histogram__label(LIFETIME_BUCKETS - 1), "longer");
}

static void test_on_free(void **state)
{
	struct site_stats s = {};
	const struct site_entry *e7, *e0;

	(void)state;
	/* churn at stack 7: 1000 blocks living 500 ns; two long-lived ones */
	for (int i = 0; i < 1000; i++)
		site_stats__on_free(&s, 7, 0, 10 * S + i, 10 * S + i + 500, 16, 3);
	site_stats__on_free(&s, 7, 0, 3 * S, 3 * S + 2 * S, 100, 3);
	/* stack 0 ("no stack") is a site of its own, interleaved with 7 */
	site_stats__on_free(&s, 0, 0, 1 * S, 1 * S + 50 * MS, 5, 1);
	site_stats__on_free(&s, 7, 0, 2 * S, 200 * S, 1000, 3);
	/* a free seen before its allocation's timestamp (clocks of two CPUs): lifetime 0 */
	site_stats__on_free(&s, 0, 0, 5 * S, 5 * S - 10, 7, 2);
	/* a tag keeps an allocator's frees of stack 7 apart from the stack's own entry */
	site_stats__on_free(&s, 7, 2, 4 * S, 4 * S + 1, 64, 3);
	assert_int_equal(s.err, 0);

	e7 = site_stats__find(&s, 7);
	e0 = site_stats__find(&s, 0);
	assert_non_null(e7);
	assert_non_null(e0);
	assert_null(site_stats__find(&s, 8));
	assert_int_equal(e7->freed.count[0], 1000);
	assert_int_equal(e7->freed.count[7], 1);	/* 2 s: (1 s, 10 s] */
	assert_int_equal(e7->freed.count[9], 1);	/* 198 s: (100 s, 1000 s] */
	assert_int_equal(e7->freed.first_ns, 2 * S);
	assert_int_equal(e0->freed.count[5], 1);	/* 50 ms: (10 ms, 100 ms] */
	assert_int_equal(e0->freed.count[0], 1);
	assert_int_equal(e0->freed.first_ns, 1 * S);
	/* the totals: bytes, blocks, and the one thread, or several */
	assert_int_equal(e7->freed.bytes, 1000 * 16 + 100 + 1000);
	assert_int_equal(freed_lifetimes__count(&e7->freed), 1002);
	assert_int_equal(e7->freed.thread, 3);
	assert_int_equal(e0->freed.bytes, 12);
	assert_int_equal(e0->freed.thread, SITE_THREAD_SEVERAL);
	e7 = site_stats__find_tagged(&s, 7, 2);
	assert_non_null(e7);
	assert_int_equal(e7->freed.bytes, 64);
	assert_int_equal(freed_lifetimes__count(&e7->freed), 1);
	assert_null(site_stats__find_tagged(&s, 0, 2));
	site_stats__release(&s);
}

/* Many sites: the entries array moves as it grows; lookups still land right. */
static void test_many_sites(void **state)
{
	struct site_stats s = {};

	(void)state;
	for (uint32_t round = 0; round < 3; round++)
		for (uint32_t stack = 0; stack < 5000; stack++)
			site_stats__on_free(&s, stack, 0, round, round + 100, 1, 0);
	assert_int_equal(s.n, 5000);
	for (uint32_t stack = 0; stack < 5000; stack++) {
		const struct site_entry *e = site_stats__find(&s, stack);

		assert_non_null(e);
		assert_int_equal(e->stack, stack);
		assert_int_equal(e->freed.count[0], 3);
		assert_int_equal(e->freed.first_ns, 0);
	}
	site_stats__release(&s);
}

static void test_sample(void **state)
{
	struct growth_opts opts = { .intervals = 3 };
	struct site_stats s = {};
	struct growth_result r;

	(void)state;
	for (int k = 1; k <= 4; k++) {
		site_stats__begin_sample(&s, k * 0.5, 0);
		assert_int_equal(site_stats__sample(&s, 3, 1000 * (uint64_t)k), 0);
		assert_int_equal(site_stats__sample(&s, 4, 1000), 0);
	}
	growth__eval(&site_stats__find(&s, 3)->growth, &s.clock, &opts, &r);
	assert_true(r.growing);
	assert_true(r.bytes_per_s > 1999.999 && r.bytes_per_s < 2000.001);
	growth__eval(&site_stats__find(&s, 4)->growth, &s.clock, &opts, &r);
	assert_false(r.growing);
	/* sampled but never freed: no earliest free yet */
	assert_int_equal(site_stats__find(&s, 3)->freed.first_ns, UINT64_MAX);
	site_stats__release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_on_free),
		cmocka_unit_test(test_many_sites),
		cmocka_unit_test(test_sample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --sample-bytes: each sampled block stands for the blocks its size's
 * sampling probability implies, so a site's figures are unbiased estimates,
 * marked as such; totals stay exact. tests/progs/sampled_sites.c leaks
 * 192000 x 64 B, 12000 x 1000 B and 20 x 100 KiB from three functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define SMALL_BLOCKS 192000ULL
#define MEDIUM_BLOCKS 12000ULL
#define LARGE_BLOCKS 20ULL
#define LARGE_SIZE (100 * 1024ULL)
#define TOTAL_BYTES (SMALL_BLOCKS * 64 + MEDIUM_BLOCKS * 1000 + LARGE_BLOCKS * LARGE_SIZE)

/* The leak whose innermost frame is in function fn. */
static json_t *leak_in(const json_t *snap, const char *fn)
{
	json_t *leak;
	size_t i;

	json_array_foreach(json_object_get(snap, "leaks"), i, leak) {
		json_t *frame = json_array_get(json_object_get(leak, "stack"), 0);
		const char *symbol = json_string_value(json_object_get(frame, "symbol"));

		if (symbol && !strcmp(symbol, fn))
			return leak;
	}
	fail_msg("no leak in %s", fn);
	return NULL;
}

/* value within pct % of truth */
static void assert_near(uint64_t value, uint64_t truth, double pct, const char *what)
{
	double off = ((double)value - (double)truth) / (double)truth * 100;

	if (off > pct || off < -pct)
		fail_msg("%s: %llu, %.2f%% off %llu (bound %.0f%%)", what,
			 (unsigned long long)value, off, (unsigned long long)truth, pct);
}

/* The exact totals, and every site with its whole stack: none stands for the unsampled. */
static void assert_exact_totals(const json_t *snap)
{
	json_t *p = harness__only_process(snap), *leak;
	size_t i;

	assert_int_equal(harness__u64(snap, "lost_events"), 0);
	assert_int_equal(harness__u64(snap, "lost_stacks"), 0);
	assert_int_equal(harness__u64(p, "allocs"), SMALL_BLOCKS + MEDIUM_BLOCKS + LARGE_BLOCKS);
	assert_int_equal(harness__u64(p, "allocated_bytes"), TOTAL_BYTES);
	assert_int_equal(harness__u64(p, "current_bytes"), TOTAL_BYTES);
	json_array_foreach(json_object_get(snap, "leaks"), i, leak) {
		assert_true(json_array_size(json_object_get(leak, "stack")) > 0);
		assert_true(json_is_true(json_object_get(leak, "sampled")));
		assert_true(json_is_false(json_object_get(leak, "stack_lost")));
	}
}

/*
 * One stack per 4 KiB on average. Each allocation below 4 KiB is sampled on
 * its own with p = 1 - e^(-s/4096) (bpf/sample_gap.bpf.h): a site's
 * estimate is its sampled count X ~ Binomial(n, p) times s/p, whose
 * relative standard deviation is sqrt((1 - p) / (n p)):
 *   64 B:   p = 0.015504, n p = 2977 samples, 1.82%;
 *   1000 B: p = 0.216623, n p = 2599 samples, 1.74%.
 * A 10% bound is 5.5 standard deviations: a false failure once in ~10^7
 * runs. The 100 KiB blocks are past N: always sampled, exact.
 */
static void test_sites_estimated(void **state)
{
	struct mt_run run;
	json_t *small, *medium, *large;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--stack=fp", "--sample-bytes=4K", "--",
						   PROG("sampled_sites"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_int_equal(harness__u64(run.snap, "sample_bytes"), 4096);
	assert_exact_totals(run.snap);
	small = leak_in(run.snap, "leak_small");
	medium = leak_in(run.snap, "leak_medium");
	large = leak_in(run.snap, "leak_large");
	assert_true(json_is_true(json_object_get(small, "estimated")));
	assert_near(harness__u64(small, "count"), SMALL_BLOCKS, 10, "leak_small blocks");
	assert_near(harness__u64(small, "bytes"), SMALL_BLOCKS * 64, 10, "leak_small bytes");
	assert_true(json_is_true(json_object_get(medium, "estimated")));
	assert_near(harness__u64(medium, "count"), MEDIUM_BLOCKS, 10, "leak_medium blocks");
	assert_near(harness__u64(medium, "bytes"), MEDIUM_BLOCKS * 1000, 10, "leak_medium bytes");
	assert_true(json_is_false(json_object_get(large, "estimated")));
	assert_int_equal(harness__u64(large, "count"), LARGE_BLOCKS);
	assert_int_equal(harness__u64(large, "bytes"), LARGE_BLOCKS * LARGE_SIZE);
	/* the text report marks the estimates */
	harness__release(&run);
	harness__run(&run, (const char *const[]){ "--stack=fp", "--sample-bytes=4K", "--",
						   PROG("sampled_sites"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(
		strstr(run.out, "(~: estimated from one stack per 4.00 KiB, --sample-bytes)"));
	assert_non_null(strstr(run.out, "1.95 MiB in 20 blocks"));
	assert_null(strstr(run.out, "not sampled"));
	harness__release(&run);
}

/* Every allocation with its stack: exact sites, and no "estimated" in the snapshot. */
static void test_every_allocation_exact(void **state)
{
	struct mt_run run;
	json_t *small, *medium;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--stack=fp", "--sample-bytes=0", "--",
						   PROG("sampled_sites"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_exact_totals(run.snap);
	small = leak_in(run.snap, "leak_small");
	medium = leak_in(run.snap, "leak_medium");
	assert_int_equal(harness__u64(small, "count"), SMALL_BLOCKS);
	assert_int_equal(harness__u64(medium, "bytes"), MEDIUM_BLOCKS * 1000);
	assert_null(json_object_get(small, "estimated"));
	assert_null(json_object_get(leak_in(run.snap, "leak_large"), "estimated"));
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sites_estimated),
		cmocka_unit_test(test_every_allocation_exact),
	};

	harness__require_bpf("sampling");
	return cmocka_run_group_tests_name("integration: sampling", tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every probed libc function, traced from launch: exact counts and bytes
 * per calling function (tests/progs/alloc_patterns.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static struct mt_run run;
static pid_t pid;

static int setup(void **state)
{
	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("alloc_patterns"), NULL });
	if (run.status != 0 || !run.snap) {
		fprintf(stderr, "memtrace failed (status %d):\n%s", run.status, run.err);
		return -1;
	}
	pid = (pid_t)harness__u64(harness__only_process(run.snap), "pid");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	harness__release(&run);
	return 0;
}

static void assert_site(const char *caller, uint64_t bytes, uint64_t count)
{
	struct leak_sum sum = harness__leaks_by_caller(run.snap, pid, caller);

	if (sum.bytes != bytes || sum.count != count)
		fail_msg("%s: expected %llu bytes in %llu blocks, got %llu in %llu", caller,
			 (unsigned long long)bytes, (unsigned long long)count,
			 (unsigned long long)sum.bytes, (unsigned long long)sum.count);
}

static void test_malloc_and_calloc_sites(void **state)
{
	(void)state;
	assert_site("call_malloc", 3000, 3);
	assert_site("call_calloc", 2000, 2);
}

static void test_realloc_sites(void **state)
{
	(void)state;
	/* realloc(NULL, 64) then realloc(p, 4096): one live block of 4096 */
	assert_site("call_realloc", 4096, 1);
	/* realloc(p, 0) frees p */
	assert_site("call_realloc_to_zero", 0, 0);
}

/* glibc's reallocarray jumps into realloc: the nested call must not count again */
static void test_reallocarray_counts_once(void **state)
{
	(void)state;
	assert_site("call_reallocarray", 160, 1);
}

static void test_aligned(void **state)
{
	(void)state;
	assert_site("call_posix_memalign", 1024, 2);
	/* aligned_alloc and memalign are one address in glibc: one probe, one count each */
	assert_site("call_aligned_alloc", 1024, 1);
	assert_site("call_memalign", 2048, 1);
	assert_site("call_valloc", 3000, 1);
	/* requested bytes, not the page-rounded size */
	assert_site("call_pvalloc", 5000, 1);
}

static void test_freed_sites_absent(void **state)
{
	(void)state;
	assert_site("call_malloc_free", 0, 0);
	assert_site("call_failing", 0, 0);
}

/*
 * The process counters, exactly: allocations 3+2 + 2 (realloc) + 1 (malloc 77)
 * + 2 (reallocarray) + 2 + 1 + 1 + 1 + 1 + 5 = 21; frees: realloc's old
 * block, realloc(p, 0), reallocarray's old block, 5 free()s = 8.
 */
static void test_process_counters(void **state)
{
	json_t *p = harness__only_process(run.snap);
	const uint64_t live = 3000 + 2000 + 4096 + 160 + 1024 + 1024 + 2048 + 3000 + 5000;
	const uint64_t freed = 64 + 77 + 80 + 5 * 10;

	(void)state;
	assert_int_equal(harness__u64(p, "allocs"), 21);
	assert_int_equal(harness__u64(p, "frees"), 8);
	assert_int_equal(harness__u64(p, "reallocs"), 2);
	assert_int_equal(harness__u64(p, "failed_allocs"), 2);
	assert_int_equal(harness__u64(p, "unknown_frees"), 0);
	assert_int_equal(harness__u64(p, "current_bytes"), live);
	assert_int_equal(harness__u64(p, "allocated_bytes"), live + freed);
	assert_int_equal(harness__u64(p, "freed_bytes"), freed);
	/* the peak: everything live plus one malloc(10) of call_malloc_free */
	assert_int_equal(harness__u64(p, "peak_bytes"), live + 10);
	assert_int_equal(harness__u64(run.snap, "lost_events"), 0);
	assert_true(json_is_true(json_object_get(p, "exited")));
}

/* Each leak's stack starts at the allocator's caller, then that caller's caller. */
static void test_stacks_start_at_caller(void **state)
{
	json_t *leaks = json_object_get(run.snap, "leaks"), *leak;
	size_t i;

	(void)state;
	assert_true(json_array_size(leaks) > 0);
	json_array_foreach(leaks, i, leak) {
		json_t *stack = json_object_get(leak, "stack");
		const char *leaf = harness__str(json_array_get(stack, 0), "symbol");

		assert_true(!strncmp(leaf, "call_", 5));
		assert_string_equal(harness__str(json_array_get(stack, 1), "symbol"), "main");
		assert_string_equal(harness__str(leak, "allocator"), "libc");
		assert_true(strstr(harness__str(json_array_get(stack, 0), "module"),
				   "alloc_patterns") != NULL);
	}
}

/* Sizes by bucket: (le/2, le], non-cumulative, successful allocations only. */
static void test_size_histogram(void **state)
{
	static const struct {
		uint64_t le, count;
	} want[] = {
		{ 16, 5 },	/* malloc(10) x5 */
		{ 64, 1 },	/* realloc(NULL, 64) */
		{ 128, 2 },	/* malloc(77), reallocarray 80 */
		{ 256, 1 },	/* reallocarray 160 */
		{ 512, 2 },	/* posix_memalign 512 x2 */
		{ 1024, 6 },	/* malloc 1000 x3, calloc 1000 x2, aligned_alloc 1024 */
		{ 2048, 1 },	/* memalign 2048 */
		{ 4096, 2 },	/* realloc 4096, valloc 3000 */
		{ 8192, 1 },	/* pvalloc 5000 */
	};
	json_t *hist = json_object_get(harness__only_process(run.snap), "size_histogram");

	(void)state;
	assert_int_equal(json_array_size(hist), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *b = json_array_get(hist, i);

		assert_int_equal(harness__u64(b, "le"), want[i].le);
		assert_int_equal(harness__u64(b, "count"), want[i].count);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malloc_and_calloc_sites),
		cmocka_unit_test(test_realloc_sites),
		cmocka_unit_test(test_reallocarray_counts_once),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_freed_sites_absent),
		cmocka_unit_test(test_process_counters),
		cmocka_unit_test(test_stacks_start_at_caller),
		cmocka_unit_test(test_size_histogram),
	};

	harness__require_bpf("libc calls");
	return cmocka_run_group_tests_name("integration: libc calls", tests, setup, teardown);
}

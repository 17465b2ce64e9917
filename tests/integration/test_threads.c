// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-thread attribution with 8 threads (tests/progs/threads8.c): thread i
 * allocates i+1 blocks of 1000*(i+1) bytes and frees its first block; the
 * main thread frees thread i's last block for i >= 1. Bytes belong to the
 * allocating thread, whichever thread frees them. glibc's own frees at a
 * thread's exit are left out (tests/progs/thread_exits.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "harness.h"

static void test_eight_threads(void **state)
{
	struct mt_run run;
	json_t *p;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("threads8"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	p = harness__only_process(run.snap);
	for (int i = 0; i < 8; i++) {
		char name[16];
		json_t *t;
		uint64_t size = 1000 * (uint64_t)(i + 1), blocks = i + 1;
		uint64_t freed = i == 0 ? 1 : 2;

		snprintf(name, sizeof(name), "worker-%d", i);
		t = harness__thread_by_comm(p, name);
		assert_int_equal(harness__u64(t, "allocs"), blocks);
		assert_int_equal(harness__u64(t, "allocated_bytes"), blocks * size);
		assert_int_equal(harness__u64(t, "frees"), freed);
		assert_int_equal(harness__u64(t, "freed_bytes"), freed * size);
		assert_int_equal(harness__u64(t, "current_bytes"), (blocks - freed) * size);
		assert_int_equal(harness__u64(t, "peak_bytes"), blocks * size);
		assert_true(json_is_true(json_object_get(t, "exited")));
	}
	/* every worker's live bytes are under its own allocation site */
	assert_int_equal(harness__leaks_by_caller(run.snap, (pid_t)harness__u64(p, "pid"),
						  "thread_alloc").bytes,
			 1 * 3000 + 2 * 4000 + 3 * 5000 + 4 * 6000 + 5 * 7000 + 6 * 8000);
	assert_int_equal(harness__u64(run.snap, "lost_events"), 0);
	/* glibc's frees of its thread caches at each worker's exit are not the program's */
	assert_int_equal(harness__u64(p, "unknown_frees"), 0);
	harness__release(&run);
}

/*
 * tests/progs/thread_exits.c: 16 threads, each 5 blocks made and freed into
 * glibc's thread cache, which glibc frees at the thread's exit, with the
 * cache itself (6 frees of blocks the program never had, per thread).
 * None counts: no unknown frees, and each worker's frees are its own 5.
 */
static void test_thread_exit_frees(void **state)
{
	struct mt_run run;
	size_t i, workers = 0;
	json_t *p, *threads, *t;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("thread_exits"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	p = harness__only_process(run.snap);
	assert_int_equal(harness__u64(p, "unknown_frees"), 0);
	assert_int_equal(harness__u64(p, "frees"), 16 * 5);
	threads = json_object_get(p, "threads");
	json_array_foreach(threads, i, t) {
		if (harness__u64(t, "tid") == harness__u64(p, "pid"))
			continue;
		workers++;
		assert_int_equal(harness__u64(t, "allocs"), 5);
		assert_int_equal(harness__u64(t, "frees"), 5);
		assert_int_equal(harness__u64(t, "unknown_frees"), 0);
		assert_int_equal(harness__u64(t, "current_bytes"), 0);
	}
	assert_int_equal(workers, 16);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eight_threads),
		cmocka_unit_test(test_thread_exit_frees),
	};

	harness__require_bpf("threads");
	return cmocka_run_group_tests_name("integration: threads", tests, NULL, NULL);
}

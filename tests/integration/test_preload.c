// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace --preload: the same exact numbers as the libc probes, through
 * one probe site in memtrace's preload library; libc probes where the
 * library does not load; and the one documented gap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static const char *probe_method(const json_t *snap)
{
	return harness__str(json_object_get(harness__only_process(snap), "probes"), "method");
}

/* Every counter and every leak site as with the libc probes. */
static void test_same_numbers(void **state)
{
	static const char *const counters[] = { "allocs", "frees", "reallocs", "failed_allocs",
						"allocated_bytes", "freed_bytes", "current_bytes",
						"peak_bytes", "unknown_frees" };
	static const char *const callers[] = { "call_malloc", "call_calloc", "call_realloc",
					       "call_reallocarray", "call_posix_memalign",
					       "call_aligned_alloc", "call_memalign", "call_valloc",
					       "call_pvalloc", "call_malloc_free" };
	struct mt_run pre, libc;
	json_t *p, *q;

	(void)state;
	harness__run(&pre, (const char *const[]){ "--json", "--preload", "--",
						   PROG("alloc_patterns"), NULL });
	harness__run(&libc, (const char *const[]){ "--json", "--", PROG("alloc_patterns"), NULL });
	assert_int_equal(pre.status, 0);
	assert_non_null(pre.snap);
	assert_non_null(libc.snap);
	assert_string_equal(probe_method(pre.snap), "preload");
	assert_string_equal(probe_method(libc.snap), "uprobes");
	p = harness__only_process(pre.snap);
	q = harness__only_process(libc.snap);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		assert_int_equal(harness__u64(p, counters[i]), harness__u64(q, counters[i]));
	for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
		struct leak_sum a = harness__leaks_by_caller(pre.snap, harness__u64(p, "pid"),
							     callers[i]);
		struct leak_sum b = harness__leaks_by_caller(libc.snap, harness__u64(q, "pid"),
							     callers[i]);

		assert_int_equal(a.bytes, b.bytes);
		assert_int_equal(a.count, b.count);
	}
	assert_int_equal(harness__u64(pre.snap, "lost_events"), 0);
	harness__release(&pre);
	harness__release(&libc);
}

/* Threads: each one's numbers, as threads8 makes them. */
static void test_threads(void **state)
{
	struct mt_run run;
	json_t *p;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--preload", "--", PROG("threads8"),
						   NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	p = harness__only_process(run.snap);
	for (int i = 0; i < 8; i++) {
		char name[16];
		json_t *t;

		snprintf(name, sizeof(name), "worker-%d", i);
		t = harness__thread_by_comm(p, name);
		assert_int_equal(harness__u64(t, "allocs"), (uint64_t)i + 1);
		assert_int_equal(harness__u64(t, "allocated_bytes"),
				 1000 * (uint64_t)(i + 1) * (i + 1));
	}
	harness__release(&run);
}

/* Stacks through the wrapper: dwarf names every frame from the caller on, like the libc probes. */
static void test_dwarf_stack_through_wrapper(void **state)
{
	static const char *const chain[] = { "level6", "level5", "level4", "level3", "level2",
					     "level1", "main" };
	json_t *leaks, *leak, *stack = NULL;
	struct mt_run run;
	size_t i;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--preload", "--stack=dwarf",
						   "--sample-bytes=0", "--", PROG("deep_nofp"), NULL });
	assert_non_null(run.snap);
	leaks = json_object_get(run.snap, "leaks");
	json_array_foreach(leaks, i, leak)
		if (harness__u64(leak, "bytes") == 6666)
			stack = json_object_get(leak, "stack");
	assert_non_null(stack);
	for (i = 0; i < sizeof(chain) / sizeof(chain[0]); i++)
		assert_string_equal(harness__str(json_array_get(stack, i), "symbol"), chain[i]);
	harness__release(&run);
}

/* A static program cannot load the library: the libc probes count it. */
static void test_static_falls_back(void **state)
{
	struct mt_run run;
	json_t *p;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--preload", "--stack=fp", "--",
						   PROG("static_alloc"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_string_equal(probe_method(run.snap), "uprobes");
	p = harness__only_process(run.snap);
	assert_int_equal(harness__leaks_by_caller(run.snap, harness__u64(p, "pid"), "static_leak")
				 .bytes,
			 4 * 321);
	harness__release(&run);
}

/*
 * The documented gap: a call through a pointer the program took from libc
 * itself (Python's ctypes: CDLL("libc.so.6").malloc) bypasses the wrapper.
 */
static void test_dlsym_pointer_is_missed(void **state)
{
	struct mt_run run;
	json_t *leaks, *leak;
	bool seen = false;
	size_t i;

	(void)state;
	harness__run(&run, (const char *const[]){ "-o", "/tmp/memtrace-test-preload.json",
						   "--preload", "--stack=none", "--",
						   "/usr/bin/python3.11", "tests/progs/py_ctypes_leak.py",
						   NULL });
	assert_int_equal(run.status, 0);
	json_decref(run.snap);
	run.snap = json_load_file("/tmp/memtrace-test-preload.json", 0, NULL);
	remove("/tmp/memtrace-test-preload.json");
	assert_non_null(run.snap);
	assert_string_equal(probe_method(run.snap), "preload");
	leaks = json_object_get(run.snap, "leaks");
	/* the interpreter's own allocations are there; ctypes' malloc is not */
	assert_true(harness__u64(json_object_get(run.snap, "totals"), "allocs") > 1000);
	json_array_foreach(leaks, i, leak)
		seen |= harness__u64(leak, "bytes") == 7777777;
	assert_false(seen);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_numbers),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_dwarf_stack_through_wrapper),
		cmocka_unit_test(test_static_falls_back),
		cmocka_unit_test(test_dlsym_pointer_is_missed),
	};

	harness__require_bpf("preload");
	return cmocka_run_group_tests_name("integration: --preload", tests, NULL, NULL);
}

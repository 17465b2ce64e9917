// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --stack=fp|dwarf|none and --sample-bytes on code without frame pointers:
 * tests/progs/deep_nofp.c (a 6-deep chain, -O2 -fomit-frame-pointer) and
 * Debian's python3.11 calling malloc through ctypes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3.11"

static void test_dwarf_names_every_frame(void **state)
{
	static const char *const chain[] = { "level6", "level5", "level4", "level3",
					     "level2", "level1", "main" };
	struct mt_run run;
	json_t *leak, *stack;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--stack=dwarf", "--sample-bytes=0", "--",
						   PROG("deep_nofp"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leak = harness__leak_of(run.snap, 6666);
	stack = json_object_get(leak, "stack");
	for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
		json_t *frame = json_array_get(stack, i);
		const char *file = harness__str(frame, "file");

		assert_string_equal(harness__frame_symbol(leak, i), chain[i]);
		/* with file:line: the line of each call in the chain */
		assert_string_equal(strrchr(file, '/') ? strrchr(file, '/') + 1 : file,
				    "deep_nofp.c");
		assert_int_equal(harness__u64(frame, "line"),
				 harness__marker_line("tests/progs/deep_nofp.c", chain[i]));
	}
	/* on through libc to the program's entry point: the whole stack */
	assert_string_equal(harness__frame_symbol(leak, json_array_size(stack) - 1), "_start");
	assert_false(json_is_true(json_object_get(leak, "truncated")));
	assert_string_equal(harness__str(run.snap, "stack_mode"), "dwarf");
	harness__release(&run);
}

static void test_fp_marks_truncated(void **state)
{
	struct mt_run run;
	json_t *leak;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--stack=fp", "--", PROG("deep_nofp"),
						   NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leak = harness__leak_of(run.snap, 6666);
	/* the direct caller is there, read at the stack pointer; nothing made up after it */
	assert_string_equal(harness__frame_symbol(leak, 0), "level6");
	assert_int_equal(json_array_size(json_object_get(leak, "stack")), 1);
	assert_true(json_is_true(json_object_get(leak, "truncated")));
	/* where the chain broke: the program itself has no frame pointers */
	assert_non_null(strstr(harness__str(leak, "truncated_in"), "/deep_nofp"));
	harness__release(&run);
}

static void test_none_counts_without_stacks(void **state)
{
	struct mt_run run;
	json_t *leak;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--stack=none", "--", PROG("deep_nofp"),
						   NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	leak = harness__leak_of(run.snap, 6666);
	assert_int_equal(json_array_size(json_object_get(leak, "stack")), 0);
	harness__release(&run);
}

/* Debian's python3.11 has no frame pointers: DWARF goes through its evaluator to _start. */
static void test_dwarf_through_python(void **state)
{
	struct mt_run run;
	json_t *leak, *stack;
	bool evaluator = false;
	char out[64];

	(void)state;
	if (access(PYTHON, X_OK))
		fail_msg("%s is missing: make deps installs it", PYTHON);
	/* this run's own name: two test runs on one machine must not share the file */
	snprintf(out, sizeof(out), "/tmp/memtrace-test-py-%d.json", getpid());
	harness__run(&run, (const char *const[]){ "-o", out, "--stack=dwarf", "--", PYTHON,
						   "tests/progs/py_ctypes_leak.py", NULL });
	assert_int_equal(run.status, 0);
	json_decref(run.snap);
	run.snap = json_load_file(out, 0, NULL);
	unlink(out);
	assert_non_null(run.snap);
	/* 7777777 bytes: above the default 512 KiB sampling period, so always sampled */
	leak = harness__leak_of(run.snap, 7777777);
	stack = json_object_get(leak, "stack");
	for (size_t i = 0; i < json_array_size(stack); i++) {
		const char *s = harness__frame_symbol(leak, i);

		evaluator |= !strcmp(s, "_PyEval_EvalFrameDefault");
	}
	assert_true(evaluator);
	assert_string_equal(harness__frame_symbol(leak, json_array_size(stack) - 1), "_start");
	assert_false(json_is_true(json_object_get(leak, "truncated")));
	harness__release(&run);
}

/* Sampling changes which calls get a stack, never what is counted. */
static void test_sampling_counts_exactly(void **state)
{
	static const char *const counters[] = { "allocs", "frees", "reallocs", "failed_allocs",
						"allocated_bytes", "freed_bytes", "current_bytes" };
	struct mt_run all, sampled;
	json_t *p, *q;

	(void)state;
	harness__run(&all, (const char *const[]){ "--json", "--", PROG("alloc_patterns"), NULL });
	harness__run(&sampled, (const char *const[]){ "--json", "--stack=dwarf",
						       "--sample-bytes=1M", "--",
						       PROG("alloc_patterns"), NULL });
	assert_non_null(all.snap);
	assert_non_null(sampled.snap);
	p = harness__only_process(all.snap);
	q = harness__only_process(sampled.snap);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		assert_int_equal(harness__u64(p, counters[i]), harness__u64(q, counters[i]));
	assert_int_equal(harness__u64(sampled.snap, "sample_bytes"), 1 << 20);
	harness__release(&all);
	harness__release(&sampled);
}

/* An allocation of at least --sample-bytes always gets its stack. */
static void test_large_allocations_always_sampled(void **state)
{
	struct mt_run run;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--stack=fp", "--sample-bytes=4096",
						   "--", PROG("alloc_patterns"), NULL });
	assert_non_null(run.snap);
	/* pvalloc(5000) and realloc to 4096: never left without a stack */
	assert_string_equal(harness__frame_symbol(harness__leak_of(run.snap, 5000), 0), "call_pvalloc");
	assert_string_equal(harness__frame_symbol(harness__leak_of(run.snap, 4096), 0), "call_realloc");
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dwarf_names_every_frame),
		cmocka_unit_test(test_fp_marks_truncated),
		cmocka_unit_test(test_none_counts_without_stacks),
		cmocka_unit_test(test_dwarf_through_python),
		cmocka_unit_test(test_sampling_counts_exactly),
		cmocka_unit_test(test_large_allocations_always_sampled),
	};

	harness__require_bpf("stack modes");
	return cmocka_run_group_tests_name("integration: stack modes", tests, NULL, NULL);
}

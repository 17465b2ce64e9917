// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Leak frames carry the source file and line of each call, and a call
 * inlined at an address is a frame of its own (tests/progs/inline_alloc.c,
 * whose MARK comments give the expected lines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define SOURCE "tests/progs/inline_alloc.c"

static struct mt_run run;

static int setup(void **state)
{
	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("inline_alloc"), NULL });
	if (run.status != 0 || !run.snap) {
		fprintf(stderr, "memtrace failed (status %d):\n%s", run.status, run.err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	harness__release(&run);
	return 0;
}

static void assert_frame(const json_t *leak, size_t i, const char *symbol, const char *mark,
			 bool inlined)
{
	json_t *frame = json_array_get(json_object_get(leak, "stack"), i);
	const char *file, *base;

	assert_non_null(frame);
	assert_string_equal(harness__str(frame, "symbol"), symbol);
	file = harness__str(frame, "file");
	base = strrchr(file, '/');
	assert_string_equal(base ? base + 1 : file, "inline_alloc.c");
	assert_int_equal(harness__u64(frame, "line"), harness__marker_line(SOURCE, mark));
	assert_int_equal(json_is_true(json_object_get(frame, "inlined")), inlined);
	assert_true(json_is_boolean(json_object_get(frame, "inlined")));
	/* every frame of the address is in the program */
	assert_non_null(strstr(harness__str(frame, "module"), "/inline_alloc"));
}

static void test_direct_call(void **state)
{
	json_t *leak = harness__leak_of(run.snap, 1234);

	(void)state;
	assert_frame(leak, 0, "alloc_direct", "direct_malloc", false);
}

/* Leaf first: the inlined helper, then the function it was inlined into, then main. */
static void test_inlined_call(void **state)
{
	json_t *leak = harness__leak_of(run.snap, 4321), *helper, *caller;

	(void)state;
	assert_frame(leak, 0, "make_buffer", "malloc_in_helper", true);
	assert_frame(leak, 1, "alloc_via_helper", "helper_call", false);
	assert_frame(leak, 2, "main", "main_calls_helper", false);
	/* both frames of one address: one ip; the inlined one has no offset of its own */
	helper = json_array_get(json_object_get(leak, "stack"), 0);
	caller = json_array_get(json_object_get(leak, "stack"), 1);
	assert_string_equal(harness__str(helper, "ip"), harness__str(caller, "ip"));
	assert_true(json_is_null(json_object_get(helper, "offset")));
	assert_true(json_is_integer(json_object_get(caller, "offset")));
}

static void test_report_lines(void **state)
{
	struct mt_run text;
	char want[128];

	(void)state;
	harness__run(&text, (const char *const[]){ "--", PROG("inline_alloc"), NULL });
	assert_int_equal(text.status, 0);
	snprintf(want, sizeof(want), "\n    make_buffer [inlined] (inline_alloc.c:%u)  (",
		 harness__marker_line(SOURCE, "malloc_in_helper"));
	assert_non_null(strstr(text.out, want));
	assert_non_null(strstr(text.out, "\n    alloc_via_helper+0x"));
	snprintf(want, sizeof(want), " (inline_alloc.c:%u)  (", harness__marker_line(SOURCE, "helper_call"));
	assert_non_null(strstr(text.out, want));
	harness__release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_call),
		cmocka_unit_test(test_inlined_call),
		cmocka_unit_test(test_report_lines),
	};

	harness__require_bpf("source_lines");
	return cmocka_run_group_tests_name("integration: source lines", tests, setup, teardown);
}

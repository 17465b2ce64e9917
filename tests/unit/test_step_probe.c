// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --step-probe without a kernel: the BINARY:SYMBOL form, a module the
 * process does not map yet (a later try), and a symbol the file lacks (an
 * error before anything is attached).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "attach/step_probe.h"

#define PIE_PATH "build/tests/fixtures/fixture_pie"
/* Above any pid_max: nothing in /proc */
#define PID 0x7ffffff0

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(step_probe__check("libtorch.so:step"), 0);
	assert_int_equal(step_probe__check("./train:train_step"), 0);
	/* the last colon splits: a path may hold one */
	assert_int_equal(step_probe__check("/opt/a:b/train:_Z4stepv"), 0);
	assert_int_equal(step_probe__check("train_step"), -EINVAL);
	assert_int_equal(step_probe__check(":train_step"), -EINVAL);
	assert_int_equal(step_probe__check("train:"), -EINVAL);
}

/* Nothing to do without --step-probe, and nothing yet for a module not mapped. */
static void test_not_mapped_yet(void **state)
{
	struct proc_maps maps = {};
	bool attached = false;

	(void)state;
	assert_int_equal(proc_maps__parse("7f0000000000-7f0000001000 r-xp 00000000 08:01 42 "
					  "/usr/lib/libtorch_cpu.so\n"
					  "7f0000001000-7f0000002000 r--p 00000000 08:01 43 "
					  "/usr/lib/libtorch.so.2.1\n",
					  &maps),
			 0);
	/* the loader is never touched: NULL would crash */
	assert_int_equal(step_probe__attach(NULL, NULL, PID, &maps, false, &attached), 0);
	/* libtorch.so is mapped, but not executable; libtorch_cpu.so is another module */
	assert_int_equal(step_probe__attach("libtorch.so:step", NULL, PID, &maps, false, &attached),
			 0);
	assert_false(attached);
	proc_maps__release(&maps);
}

/* A symbol the file lacks fails at once, before any probe is attached. */
static void test_missing_symbol(void **state)
{
	struct proc_maps maps = {};
	bool attached = false;

	(void)state;
	assert_int_equal(step_probe__attach(PIE_PATH ":no_such_function", NULL, PID, &maps, false,
					    &attached),
			 -ENOENT);
	assert_int_equal(step_probe__attach("build/tests/fixtures/absent:f", NULL, PID, &maps,
					    false, &attached),
			 -ENOENT);
	assert_false(attached);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_not_mapped_yet),
		cmocka_unit_test(test_missing_symbol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

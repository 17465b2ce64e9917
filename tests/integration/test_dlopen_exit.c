// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A library dlopen'ed after the attach, allocated from, and the process gone
 * at once (tests/progs/dlopen_exit.c): its /proc/PID/maps is gone before
 * memtrace looks, and the stack must still be named, from the kernel's own
 * mmap records.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define LIB PROG("libdlopened.so")
#define LEAK_BYTES 4321

static void assert_named(const json_t *snap, pid_t pid)
{
	char lib[PATH_MAX], exe[PATH_MAX];
	json_t *leak, *found = NULL, *stack;
	size_t i;

	assert_non_null(realpath(LIB, lib));
	assert_non_null(realpath(PROG("dlopen_exit"), exe));
	json_array_foreach(json_object_get(snap, "leaks"), i, leak) {
		if (harness__u64(leak, "pid") == (uint64_t)pid &&
		    harness__u64(leak, "bytes") == LEAK_BYTES)
			found = leak;
	}
	assert_non_null(found);
	assert_int_equal(harness__u64(found, "count"), 1);
	stack = json_object_get(found, "stack");
	assert_string_equal(harness__str(json_array_get(stack, 0), "symbol"), "dl_leak");
	assert_string_equal(harness__str(json_array_get(stack, 0), "module"), lib);
	assert_string_equal(harness__str(json_array_get(stack, 1), "symbol"), "call_dlopened");
	assert_string_equal(harness__str(json_array_get(stack, 1), "module"), exe);
}

static void test_attached_pid(void **state)
{
	struct mt_run run;
	pid_t pid;

	(void)state;
	harness__trace_running((const char *const[]){ PROG("dlopen_exit"), LIB, "--wait", NULL },
			       &run, &pid);
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_named(run.snap, pid);
	harness__release(&run);
}

static void test_launched(void **state)
{
	struct mt_run run;
	json_t *p;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("dlopen_exit"), LIB, NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	p = harness__only_process(run.snap);
	assert_named(run.snap, (pid_t)harness__u64(p, "pid"));
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attached_pid),
		cmocka_unit_test(test_launched),
	};

	harness__require_bpf("dlopen then exit");
	return cmocka_run_group_tests_name("integration: dlopen then exit", tests, NULL, NULL);
}

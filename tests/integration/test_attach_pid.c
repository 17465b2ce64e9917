// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace -p on a process that is already running
 * (tests/progs/wait_then_alloc.c): only what happens after the attach is
 * counted, and a block from before it is an unknown free.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static void test_attach_running(void **state)
{
	struct mt_run run;
	pid_t pid;
	json_t *p;

	(void)state;
	harness__trace_running((const char *const[]){ PROG("wait_then_alloc"), NULL }, &run, &pid);
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);

	p = harness__process(run.snap, pid);
	assert_string_equal(harness__str(p, "comm"), "wait_then_alloc");
	assert_true(json_is_true(json_object_get(p, "exited")));
	assert_int_equal(harness__u64(p, "allocs"), 7);
	assert_int_equal(harness__u64(p, "allocated_bytes"), 7 * 700);
	assert_int_equal(harness__u64(p, "frees"), 2);
	assert_int_equal(harness__u64(p, "unknown_frees"), 1);
	assert_int_equal(harness__u64(p, "current_bytes"), 5 * 700);
	assert_int_equal(harness__leaks_by_caller(run.snap, pid, "after_attach").bytes,
			 5 * 700);
	assert_int_equal(harness__u64(run.snap, "lost_events"), 0);
	harness__release(&run);
}

/* The same counts where each probe has a perf-event link of its own (kernels before 6.6). */
static void test_attach_running_per_probe_links(void **state)
{
	setenv("MEMTRACE_NO_UPROBE_MULTI", "1", 1);
	test_attach_running(state);
	unsetenv("MEMTRACE_NO_UPROBE_MULTI");
}

/* -p twice: both processes, each with its own numbers. */
static void test_attach_two(void **state)
{
	struct harness_child a, b;
	struct harness_tracer tracer;
	struct mt_run run;
	char pa[16], pb[16];

	(void)state;
	assert_int_equal(harness__spawn(&a, (const char *const[]){ PROG("wait_then_alloc"), NULL }),
			 0);
	assert_int_equal(harness__spawn(&b, (const char *const[]){ PROG("wait_then_alloc"), NULL }),
			 0);
	assert_int_equal(harness__expect_line(a.out, "ready"), 0);
	assert_int_equal(harness__expect_line(b.out, "ready"), 0);
	snprintf(pa, sizeof(pa), "%d", a.pid);
	snprintf(pb, sizeof(pb), "%d", b.pid);
	assert_int_equal(harness__start_tracer(&tracer,
					       (const char *const[]){ "--json", "-p", pa, "-p", pb,
								      NULL },
					       b.pid),
			 0);
	assert_int_equal(write(a.in, "go\n", 3), 3);
	assert_int_equal(write(b.in, "go\n", 3), 3);
	harness__wait(&a);
	harness__wait(&b);
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	assert_int_equal(run.status, 0);
	assert_int_equal(json_array_size(json_object_get(run.snap, "processes")), 2);
	assert_int_equal(harness__u64(harness__process(run.snap, a.pid), "allocs"), 7);
	assert_int_equal(harness__u64(harness__process(run.snap, b.pid), "allocs"), 7);
	assert_int_equal(harness__u64(json_object_get(run.snap, "totals"), "allocs"), 14);
	assert_int_equal(harness__u64(json_object_get(run.snap, "totals"), "current_bytes"),
			 10 * 700);
	harness__release(&run);
}

/* Ctrl-C (SIGINT) on memtrace -p: the report comes out, the target lives on. */
static void test_sigint_reports(void **state)
{
	struct harness_child target;
	struct harness_tracer tracer;
	struct mt_run run;
	char pid_arg[16];

	(void)state;
	assert_int_equal(harness__spawn(&target, (const char *const[]){ PROG("wait_then_alloc"),
									NULL }),
			 0);
	assert_int_equal(harness__expect_line(target.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", target.pid);
	assert_int_equal(harness__start_tracer(&tracer,
					       (const char *const[]){ "--json", "-p", pid_arg,
								      NULL },
					       target.pid),
			 0);
	kill(tracer.pid, SIGINT);
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_false(json_is_true(json_object_get(harness__process(run.snap, target.pid),
						  "exited")));
	assert_int_equal(kill(target.pid, 0), 0);
	assert_int_equal(write(target.in, "go\n", 3), 3);
	harness__wait(&target);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_running),
		cmocka_unit_test(test_attach_running_per_probe_links),
		cmocka_unit_test(test_attach_two),
		cmocka_unit_test(test_sigint_reports),
	};

	harness__require_bpf("attach -p");
	return cmocka_run_group_tests_name("integration: attach -p", tests, NULL, NULL);
}

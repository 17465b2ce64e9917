// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Lost data is never silent. A 1 MiB ring buffer whose consumer is frozen
 * (SIGSTOP) cannot carry a burst of 2N calls: each call is then either in
 * the counters or counted as lost, allocs + frees + lost_events = 2N
 * exactly, with losses; with a 16 KiB stack copy per allocation
 * (--stack=dwarf --sample-bytes=0) the stacks lost are counted too.
 * Records that are not calls (the target's exit) count apart, in
 * other_records_lost.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PAIRS 20000

struct burst_run {
	struct mt_run run;
	json_t *totals, *drops;
};

/* burst PAIRS traced with args; freeze: memtrace stopped during the burst. */
static void trace_burst(const char *const *args, bool freeze, struct burst_run *b)
{
	const char *argv[16] = { "--json", "--ringbuf-size", "1" };
	struct harness_child target;
	struct harness_tracer t;
	char pid[16], pairs[16];
	size_t n = 3;

	snprintf(pairs, sizeof(pairs), "%d", PAIRS);
	assert_int_equal(harness__spawn(&target, (const char *const[]){ PROG("burst"), pairs, NULL }),
			 0);
	assert_int_equal(harness__expect_line(target.out, "ready"), 0);
	snprintf(pid, sizeof(pid), "%d", target.pid);
	while (*args)
		argv[n++] = *args++;
	argv[n++] = "-p";
	argv[n++] = pid;
	assert_int_equal(harness__start_tracer(&t, argv, target.pid), 0);
	if (freeze)
		kill(t.pid, SIGSTOP);
	assert_int_equal(write(target.in, "go\n", 3), 3);
	assert_int_equal(harness__expect_line(target.out, "done"), 0);
	if (freeze)
		kill(t.pid, SIGCONT);
	assert_int_equal(harness__wait(&target), 0);
	assert_int_equal(harness__finish_tracer(&t, &b->run), 0);
	assert_int_equal(b->run.status, 0);
	assert_non_null(b->run.snap);
	b->totals = json_object_get(b->run.snap, "totals");
	b->drops = json_object_get(b->run.snap, "drops");
	/* lost_events sums the call records' reasons */
	assert_int_equal(harness__u64(b->run.snap, "lost_events"),
			 harness__u64(b->drops, "ringbuf_full") +
				 harness__u64(b->drops, "call_map_full") +
				 harness__u64(b->drops, "missed_entry"));
}

static void test_calls_delivered_or_counted(void **state)
{
	struct burst_run b;
	uint64_t lost;

	(void)state;
	trace_burst((const char *const[]){ "--stack=none", NULL }, true, &b);
	lost = harness__u64(b.run.snap, "lost_events");
	/* 40000 records of 64 bytes do not fit in 1 MiB: losses there must be */
	assert_true(lost > 0);
	assert_int_equal(harness__u64(b.totals, "allocs") + harness__u64(b.totals, "frees") + lost,
			 2 * PAIRS);
	harness__release(&b.run);
}

static void test_stacks_lost_counted(void **state)
{
	struct burst_run b;

	(void)state;
	trace_burst((const char *const[]){ "--stack=dwarf", "--sample-bytes=0", NULL }, true, &b);
	assert_true(harness__u64(b.run.snap, "lost_stacks") > 0);
	assert_int_equal(harness__u64(b.totals, "allocs") + harness__u64(b.totals, "frees") +
				 harness__u64(b.run.snap, "lost_events"),
			 2 * PAIRS);
	harness__release(&b.run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_delivered_or_counted),
		cmocka_unit_test(test_stacks_lost_counted),
	};

	harness__require_bpf("lost_events");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The snapshot's timeline of a real run, without --interval:
 * tests/progs/timeline_steps.c allocates 10 MiB, 500 ms later 10 MiB more,
 * 500 ms later frees 15 MiB, 500 ms later exits, and writes down when each
 * phase ended. The libc series holds exactly those amounts, and the points'
 * times are the program's own to within one resolution step (both are
 * rounded down to a slot: their differences are off by less than one).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define MIB (1024 * 1024ULL)
#define RES_S 0.1

/* The program's phase ends, CLOCK_MONOTONIC seconds: 10 MiB, 20, 5, about to exit. */
static void read_phases(const char *path, double t[4])
{
	FILE *f = fopen(path, "r");
	unsigned long long ns;

	assert_non_null(f);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(fscanf(f, "%llu", &ns), 1);
		t[i] = ns / 1e9;
	}
	fclose(f);
	unlink(path);
}

static uint64_t at(const json_t *arr, size_t i)
{
	return (uint64_t)json_integer_value(json_array_get(arr, i));
}

/* The first point from i on whose libc bytes are want; fails the test when none is. */
static size_t first_at(const json_t *libc, size_t i, uint64_t want)
{
	for (; i < json_array_size(libc); i++)
		if (at(libc, i) == want)
			return i;
	fail_msg("no point with %llu libc bytes", (unsigned long long)want);
	return 0;
}

static void assert_within_step(double got, double want, const char *what)
{
	if (fabs(got - want) >= RES_S)
		fail_msg("%s: %.3f s apart on the timeline, %.3f s in the program", what, got,
			 want);
}

/* Every column as long as t_s, t_s rising, the events in time order from start to exit. */
static void check_shape(const json_t *tl)
{
	json_t *ts = json_object_get(tl, "t_s"), *v, *ev;
	size_t n = json_array_size(ts), i;
	const char *key;
	double last = -1;

	assert_true(n >= 3 && n <= 4096);
	json_array_foreach(ts, i, v) {
		assert_true(json_number_value(v) > last);
		last = json_number_value(v);
	}
	json_object_foreach(json_object_get(tl, "host_bytes"), key, v)
		assert_int_equal(json_array_size(v), n);
	assert_int_equal(json_array_size(json_object_get(tl, "host_peak_bytes")), n);
	assert_int_equal(json_array_size(json_object_get(tl, "anon_bytes")), n);
	assert_int_equal(json_array_size(json_object_get(tl, "brk_bytes")), n);
	ev = json_object_get(tl, "events");
	assert_true(json_array_size(ev) >= 2);
	assert_string_equal(harness__str(json_array_get(ev, 0), "type"), "start");
	v = json_array_get(ev, json_array_size(ev) - 1);
	assert_string_equal(harness__str(v, "type"), "end");
	assert_string_equal(harness__str(v, "by"), "exit");
	last = -1;
	json_array_foreach(ev, i, v) {
		assert_true(json_number_value(json_object_get(v, "t_s")) >= last);
		last = json_number_value(json_object_get(v, "t_s"));
	}
}

static void test_known_amounts(void **state)
{
	char path[64];
	const json_t *proc, *tl, *libc, *ts, *peaks, *anon;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), max_peak = 0;
	size_t i10, i20, i5, last;
	struct mt_run run;
	double t[4];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/memtrace-timeline-%d", (int)getpid());
	harness__run(&run, (const char *const[]){ "--json", "--", PROG("timeline_steps"), path,
						  NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	read_phases(path, t);
	proc = harness__only_process(run.snap);
	tl = json_object_get(proc, "timeline");
	assert_non_null(tl);
	check_shape(tl);
	assert_true(json_number_value(json_object_get(tl, "resolution_s")) == RES_S);
	ts = json_object_get(tl, "t_s");
	libc = json_object_get(json_object_get(tl, "host_bytes"), "libc");
	peaks = json_object_get(tl, "host_peak_bytes");
	anon = json_object_get(tl, "anon_bytes");

	/* nothing before the first block; then each phase's amount, exactly */
	i10 = first_at(libc, 0, 10 * MIB);
	for (size_t i = 0; i < i10; i++)
		assert_int_equal(at(libc, i), 0);
	i20 = first_at(libc, i10, 20 * MIB);
	i5 = first_at(libc, i20, 5 * MIB);
	last = json_array_size(ts) - 1;
	for (size_t i = i5; i <= last; i++)
		assert_int_equal(at(libc, i), 5 * MIB);
	assert_within_step(json_number_value(json_array_get(ts, i20)) -
				   json_number_value(json_array_get(ts, i10)),
			   t[1] - t[0], "10 MiB to 20 MiB");
	assert_within_step(json_number_value(json_array_get(ts, i5)) -
				   json_number_value(json_array_get(ts, i20)),
			   t[2] - t[1], "20 MiB to 5 MiB");
	/* the last point is the exit's slot, which closed the one before with 5 MiB */
	assert_within_step(json_number_value(json_array_get(ts, last)) -
				   json_number_value(json_array_get(ts, i5)),
			   t[3] - t[2], "5 MiB to the exit");

	/* the peak is the 20 MiB point's, and the process's peak */
	assert_int_equal(at(peaks, i20), 20 * MIB);
	for (size_t i = 0; i <= last; i++)
		max_peak = at(peaks, i) > max_peak ? at(peaks, i) : max_peak;
	assert_int_equal(max_peak, harness__u64(proc, "peak_bytes"));
	assert_int_equal(max_peak, 20 * MIB);

	/* libc's malloc maps each block with its header in a page of its own */
	assert_int_equal(at(anon, i20) - at(anon, i10), 10 * MIB + 2 * page);
	assert_int_equal(at(anon, i20) - at(anon, i5), 15 * MIB + 2 * page);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_amounts),
	};

	harness__require_bpf("timeline");
	return cmocka_run_group_tests_name("integration: timeline", tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Leak detection over time, with the real tracer: --interval growth
 * (tests/progs/growth_sites.c: one site grows 640 KiB/s, one plateaus),
 * --step-probe (tests/progs/train_steps.c: 20 steps, 1000 bytes leaked a
 * step), --leak-age, and the snapshot trail of -o DIR/ and -o FILE, also
 * when memtrace is killed.
 */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define GROW_BYTES_PER_S (64.0 * 1024 / 0.1)

/* The largest leak whose stack starts in caller. */
static json_t *leak_at(const json_t *snap, const char *caller)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak, *best = NULL;
	size_t i;

	json_array_foreach(leaks, i, leak) {
		json_t *symbol = json_object_get(json_array_get(json_object_get(leak, "stack"), 0),
						 "symbol");

		if (json_is_string(symbol) && !strcmp(json_string_value(symbol), caller) &&
		    (!best || harness__u64(leak, "bytes") > harness__u64(best, "bytes")))
			best = leak;
	}
	if (!best)
		fail_msg("no leak at %s in the snapshot", caller);
	return best;
}

static double number(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		fail_msg("snapshot field \"%s\" is missing or not a number", key);
	return json_number_value(v);
}

static void assert_within(double got, double want, double rel)
{
	if (fabs(got - want) > rel * want)
		fail_msg("%.1f is not within %.0f%% of %.1f", got, rel * 100, want);
}

static json_t *load(const char *dir, const char *name)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *snap;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snap = json_load_file(path, 0, &jerr);
	if (!snap)
		fail_msg("%s does not parse: %s", path, jerr.text);
	return snap;
}

static void remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * The test: only the site that grows every interval is growing, at
 * its true slope. The same run's text report puts it first, marked, and
 * names it in the summary.
 */
static void test_growing_and_plateau(void **state)
{
	char dir[] = "/tmp/memtrace-growth-XXXXXX", path[PATH_MAX];
	json_t *snap, *grow, *plateau;
	struct mt_run run;
	const char *final;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run.json", dir);
	harness__run(&run, (const char *const[]){ "-o", path, "--interval", "0.25", "--",
						   PROG("growth_sites"), NULL });
	assert_int_equal(run.status, 0);
	snap = load(dir, "run.json");
	assert_true(json_is_true(json_object_get(snap, "final")));
	assert_within(number(snap, "interval_s"), 0.25, 1e-9);
	grow = leak_at(snap, "grow_site");
	plateau = leak_at(snap, "plateau_site");
	assert_int_equal(harness__u64(grow, "count"), 20);
	assert_int_equal(harness__u64(plateau, "count"), 2);
	assert_true(json_is_true(json_object_get(grow, "growing")));
	assert_false(json_is_true(json_object_get(plateau, "growing")));
	assert_within(number(grow, "growth_bytes_per_s"), GROW_BYTES_PER_S, 0.10);
	/* flat over the last intervals */
	assert_true(fabs(number(plateau, "growth_bytes_per_s")) < 0.01 * GROW_BYTES_PER_S);
	/* no step probe: no steps, no bytes per step */
	assert_true(json_is_null(json_object_get(grow, "growth_bytes_per_step")));
	assert_true(json_is_null(json_object_get(harness__only_process(snap), "steps")));
	/* both sites start at the program's first tick */
	assert_true(number(grow, "first_seen_s") > 0);
	assert_true(number(grow, "first_seen_s") < number(snap, "duration_s"));
	assert_true(fabs(number(grow, "first_seen_s") - number(plateau, "first_seen_s")) < 0.01);

	/* interval reports, then the final one */
	assert_non_null(strstr(run.out, "memtrace: interval 1: 1 process traced for "));
	final = strstr(run.out, "\nmemtrace: 1 process traced for ");
	assert_non_null(final);
	assert_non_null(strstr(final, "\nSummary: 1 site GROWING: +"));
	assert_non_null(strstr(final, " at grow_site (growth_sites.c:"));
	assert_non_null(strstr(final, "\n#2  "));
	assert_true(strstr(final, "  GROWING +") < strstr(final, "\n#2  "));
	assert_true(strstr(final, "    grow_site+0x") < strstr(final, "\n#2  "));
	assert_non_null(strstr(final, "; lifetimes: none freed; live "));
	json_decref(snap);
	harness__release(&run);
	remove_tree(dir);
}

static void test_step_probe(void **state)
{
	struct mt_run run;
	json_t *leak, *once;

	(void)state;
	/* BINARY as a path */
	harness__run(&run, (const char *const[]){ "--json", "--interval", "0.25", "--step-probe",
						   PROG("train_steps") ":train_step", "--",
						   PROG("train_steps"), NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_int_equal(harness__u64(harness__only_process(run.snap), "steps"), 20);
	leak = leak_at(run.snap, "step_leak");
	once = leak_at(run.snap, "setup_once");
	assert_int_equal(harness__u64(leak, "count"), 20);
	assert_true(json_is_true(json_object_get(leak, "growing")));
	/* exact, unless a sample fell between a step's marker and its malloc (a loaded machine) */
	assert_within(number(leak, "growth_bytes_per_step"), 1000, 0.05);
	assert_false(json_is_true(json_object_get(once, "growing")));
	assert_true(fabs(number(once, "growth_bytes_per_step")) < 1);
	harness__release(&run);
}

/* BINARY as the name of a mapped module; and growth per step after 2 intervals, N = 8. */
static void test_step_probe_module(void **state)
{
	struct mt_run run;
	json_t *leak;

	(void)state;
	harness__run(&run, (const char *const[]){ "--json", "--interval", "0.25",
						   "--growth-intervals", "8", "--step-probe",
						   "train_steps:train_step", "--",
						   PROG("train_steps"), "12", NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_int_equal(harness__u64(harness__only_process(run.snap), "steps"), 12);
	leak = leak_at(run.snap, "step_leak");
	/* 0.6 s: fewer than 8 intervals, but more than 8 steps over at least 2 of them */
	assert_true(json_is_true(json_object_get(leak, "growing")));
	assert_within(number(leak, "growth_bytes_per_step"), 1000, 0.05);
	harness__release(&run);
}

/* --leak-age: only old blocks are leak candidates; the live totals are all of them. */
static void test_leak_age(void **state)
{
	struct mt_run run;
	json_t *grow, *proc;
	uint64_t count;

	(void)state;
	/* ticks at 0, 0.1, ... 0.9 s; tracing ends at the last: ages 0.9 s down to 0 */
	harness__run(&run, (const char *const[]){ "--json", "--leak-age", "0.45", "--",
						   PROG("growth_sites"), "10", NULL });
	assert_int_equal(run.status, 0);
	assert_non_null(run.snap);
	assert_within(number(run.snap, "leak_age_s"), 0.45, 1e-9);
	proc = harness__only_process(run.snap);
	assert_int_equal(harness__u64(proc, "current_bytes"), 12 * 64 * 1024);
	grow = leak_at(run.snap, "grow_site");
	count = harness__u64(grow, "count");
	/* 5 (ages 0.9 to 0.5 s), give or take a late tick */
	assert_true(count >= 4 && count <= 6);
	assert_int_equal(harness__u64(grow, "bytes"), count * 64 * 1024);
	assert_int_equal(harness__u64(leak_at(run.snap, "plateau_site"), "count"), 2);
	harness__release(&run);
}

/* The directory's snap-*.json names, sorted; returns how many. */
static int trail(const char *dir, char names[][NAME_MAX + 1], int max)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort), found = 0;

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (!strncmp(list[i]->d_name, "snap-", 5) && found < max)
			snprintf(names[found++], NAME_MAX + 1, "%s", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return found;
}

/* -o DIR/: a snapshot each interval, the final one last; --keep bounds them. */
static void test_directory_trail(void **state)
{
	char dir[] = "/tmp/memtrace-trail-XXXXXX", out[PATH_MAX], names[16][NAME_MAX + 1];
	struct mt_run run;
	json_t *last, *before;
	int n, first;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/trail/", dir);
	harness__run(&run, (const char *const[]){ "-o", out, "--interval", "0.25", "--keep", "3",
						   "--", PROG("growth_sites"), "12", NULL });
	assert_int_equal(run.status, 0);
	n = trail(out, names, 16);
	assert_int_equal(n, 3);
	/* 1.1 s traced: 4 interval snapshots and the final one; the newest 3 kept */
	first = atoi(names[0] + 5);
	assert_true(first >= 3);
	assert_int_equal(atoi(names[1] + 5), first + 1);
	assert_int_equal(atoi(names[2] + 5), first + 2);
	last = load(out, names[2]);
	before = load(out, names[1]);
	assert_true(json_is_true(json_object_get(last, "final")));
	assert_false(json_is_true(json_object_get(before, "final")));
	/* the k-th report in a fresh directory: k intervals in, or more if ticks were missed */
	assert_true(number(before, "duration_s") >= 0.25 * (first + 1) - 0.01);
	assert_true(number(before, "duration_s") < number(last, "duration_s"));
	assert_int_equal(harness__u64(leak_at(last, "grow_site"), "count"), 12);
	json_decref(last);
	json_decref(before);
	harness__release(&run);
	remove_tree(dir);
}

/* grow_site's blocks in the snapshot at path; 0 before there is one (it is whole or absent). */
static uint64_t grown(const char *path)
{
	json_t *snap = json_load_file(path, 0, NULL), *leak, *leaks = json_object_get(snap, "leaks");
	uint64_t count = 0;
	size_t i;

	json_array_foreach(leaks, i, leak) {
		json_t *frame = json_array_get(json_object_get(leak, "stack"), 0);
		const char *symbol = json_string_value(json_object_get(frame, "symbol"));

		if (symbol && !strcmp(symbol, "grow_site"))
			count += json_integer_value(json_object_get(leak, "count"));
	}
	json_decref(snap);
	return count;
}

/* -o FILE with --interval: replaced each interval, so a killed memtrace leaves the last one. */
static void test_killed_leaves_snapshot(void **state)
{
	char dir[] = "/tmp/memtrace-kill-XXXXXX", path[PATH_MAX];
	struct timespec pause = { .tv_nsec = 20000000 };
	uint64_t seen = 0;
	json_t *snap;
	pid_t tracer;
	int status;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run.json", dir);
	tracer = fork();
	assert_true(tracer >= 0);
	if (!tracer) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(MEMTRACE, MEMTRACE, "-o", path, "--interval", "0.2", "--",
		      PROG("growth_sites"), "60", (char *)NULL);
		_exit(127);
	}
	/* the file is replaced as intervals pass: wait until one shows 3 of grow_site's blocks */
	for (int i = 0; i < 1000 && seen < 3; i++) {
		nanosleep(&pause, NULL);
		seen = grown(path);
	}
	kill(tracer, SIGKILL);
	assert_int_equal(waitpid(tracer, &status, 0), tracer);
	assert_true(seen >= 3);
	snap = load(dir, "run.json");
	assert_false(json_is_true(json_object_get(snap, "final")));
	assert_true(harness__u64(leak_at(snap, "grow_site"), "count") >= seen);
	/* the target runs on untraced: end it */
	kill((pid_t)harness__u64(harness__only_process(snap), "pid"), SIGKILL);
	json_decref(snap);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growing_and_plateau),
		cmocka_unit_test(test_step_probe),
		cmocka_unit_test(test_step_probe_module),
		cmocka_unit_test(test_leak_age),
		cmocka_unit_test(test_directory_trail),
		cmocka_unit_test(test_killed_leaves_snapshot),
	};

	harness__require_bpf("growth");
	return cmocka_run_group_tests_name("integration: growth", tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Soak: thousands of short-lived processes under -a, each leaking 5000
 * bytes (tests/progs/exec_leaker.c) and exiting. memtrace keeps the last
 * --max-exited records whole and sums up the rest, so its own anonymous
 * memory must not grow with the number of processes: the growth between a
 * warm-up and the end is printed and bounded. MEMTRACE_SOAK_PROCS sets
 * the number after the warm-up (make soak runs 50000).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define EXEC_LEAKER PROG("exec_leaker")
#define WARMUP_PROCS 1000
#define DEFAULT_PROCS 3000
#define MAX_EXITED "200"
/*
 * Heap noise between two readings reached 350 kB here; the failure this
 * guards against (records never freed) grew 10 kB a process, 30 MB here.
 */
#define MAX_GROWTH_KB 1024

static void spawn_leakers(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			execl(EXEC_LEAKER, EXEC_LEAKER, (char *)NULL);
			_exit(122);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	}
}

/* A field of /proc/PID/status, in kB. */
static long status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':')
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	assert_true(kb >= 0);
	return kb;
}

/* Lets memtrace drain what the processes sent, then reads its heap. */
static long settled_anon_kb(pid_t tracer)
{
	struct timespec pause = { .tv_nsec = 500 * 1000 * 1000 };

	nanosleep(&pause, NULL);
	return status_kb(tracer, "RssAnon");
}

static void test_soak_all(void **state)
{
	const char *env = getenv("MEMTRACE_SOAK_PROCS");
	unsigned int procs = env ? (unsigned int)strtoul(env, NULL, 10) : DEFAULT_PROCS;
	struct harness_tracer tracer;
	long warm_kb, end_kb, rss_kb;
	struct timespec t0, t1;
	json_t *folded;
	struct mt_run run;

	(void)state;
	assert_int_equal(harness__start_tracer_until(&tracer,
						     (const char *const[]){ "-a", "--json",
									    "--no-gpu", "--max-exited",
									    MAX_EXITED, NULL },
						     "memtrace: tracing every process"),
			 0);
	spawn_leakers(WARMUP_PROCS);
	warm_kb = settled_anon_kb(tracer.pid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	spawn_leakers(procs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	end_kb = settled_anon_kb(tracer.pid);
	rss_kb = status_kb(tracer.pid, "VmRSS");
	fprintf(stderr,
		"soak: %u processes in %.1f s after %u to warm up; memtrace's anonymous memory "
		"%ld kB then %ld kB (%+ld kB), VmRSS %ld kB with the ring buffer\n",
		procs, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		WARMUP_PROCS, warm_kb, end_kb, end_kb - warm_kb, rss_kb);
	kill(tracer.pid, SIGINT);
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	assert_int_equal(run.status, 0);
	assert_true(end_kb - warm_kb <= MAX_GROWTH_KB);
	/* every leaker is a record or in the folded sums: none went uncounted */
	folded = json_object_get(run.snap, "folded");
	assert_non_null(folded);
	assert_true(harness__u64(folded, "processes") + json_array_size(json_object_get(
								run.snap, "processes")) >=
		    WARMUP_PROCS + procs);
	if (harness__u64(run.snap, "lost_events")) {
		json_t *drops = json_object_get(run.snap, "drops");

		fail_msg("lost events: ringbuf_full %llu, call_map_full %llu, missed_entry %llu",
			 (unsigned long long)harness__u64(drops, "ringbuf_full"),
			 (unsigned long long)harness__u64(drops, "call_map_full"),
			 (unsigned long long)harness__u64(drops, "missed_entry"));
	}
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak_all),
	};

	harness__require_bpf("soak");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

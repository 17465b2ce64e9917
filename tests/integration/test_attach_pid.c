// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace -p on a process that is already running
 * (tests/progs/wait_then_alloc.c): only what happens after the attach is
 * counted, and a block from before it is an unknown free; a process whose
 * libc was deleted under it is traced all the same.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * A libc deleted under a running process, as a glibc upgrade leaves a
 * long-running job: a copy of ours, loaded through LD_LIBRARY_PATH by
 * tests/progs/alloc_between_lines.c and then removed, so that its maps say
 * "libc.so.6 (deleted)". memtrace -p reaches it through
 * /proc/PID/map_files: the probes land on the very inode the process maps.
 */
struct deleted_libc {
	char dir[64];
	char mapped[160];	/* the path its maps show: DIR/libc.so.6 (deleted) */
	struct harness_child target;
	char pid_arg[16];
};

/* The libc this test binary maps: the target's copy is of the same file. */
static void own_libc(char *out, size_t len)
{
	char line[512], *path;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		path = strchr(line, '/');
		if (path && strstr(path, "/libc.so")) {
			snprintf(out, len, "%s", path);
			break;
		}
	}
	fclose(f);
	assert_true(out[0] == '/');
}

static bool maps_show(pid_t pid, const char *path)
{
	size_t n, k = strlen(path);
	char maps[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		n = strlen(line);
		found = n > k && !strcmp(line + n - k, path) && line[n - k - 1] == ' ';
	}
	fclose(f);
	return found;
}

static void start_on_deleted_libc(struct deleted_libc *d)
{
	char libc[256], copy[128], cmd[512];

	own_libc(libc, sizeof(libc));
	snprintf(d->dir, sizeof(d->dir), "/tmp/memtrace-deleted-libc-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(copy, sizeof(copy), "%s/libc.so.6", d->dir);
	snprintf(d->mapped, sizeof(d->mapped), "%s (deleted)", copy);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", libc, copy);
	assert_int_equal(system(cmd), 0);
	setenv("LD_LIBRARY_PATH", d->dir, 1);
	assert_int_equal(harness__spawn(&d->target, (const char *const[]){
						PROG("alloc_between_lines"), NULL }),
			 0);
	unsetenv("LD_LIBRARY_PATH");
	assert_int_equal(harness__expect_line(d->target.out, "ready"), 0);
	/* it runs on the copy, and the copy is gone */
	assert_true(maps_show(d->target.pid, copy));
	assert_int_equal(unlink(copy), 0);
	assert_true(maps_show(d->target.pid, d->mapped));
	assert_int_equal(rmdir(d->dir), 0);
	snprintf(d->pid_arg, sizeof(d->pid_arg), "%d", d->target.pid);
}

/* The first frame's symbol and module of the leak site of pid whose stack starts with caller. */
static const json_t *leak_stack(const json_t *snap, pid_t pid, const char *caller)
{
	json_t *leaks = json_object_get(snap, "leaks"), *leak;
	size_t i;

	json_array_foreach(leaks, i, leak) {
		json_t *stack = json_object_get(leak, "stack");
		json_t *symbol = json_object_get(json_array_get(stack, 0), "symbol");

		if (harness__u64(leak, "pid") == (uint64_t)pid && json_is_string(symbol) &&
		    !strcmp(json_string_value(symbol), caller))
			return stack;
	}
	fail_msg("no leak site of PID %d at %s", pid, caller);
	return NULL;
}

/* Exactly what alloc_between_lines allocated after the attach, named in the deleted libc too. */
static void check_deleted_libc_run(const struct deleted_libc *d, const struct mt_run *run)
{
	pid_t pid = d->target.pid;
	struct leak_sum sum;
	const json_t *p, *stack;

	if (run->status != 0 || !run->snap)
		fail_msg("memtrace failed (status %d):\n%s", run->status, run->err);
	p = harness__process(run->snap, pid);
	assert_string_equal(harness__str(json_object_get(p, "probes"), "module"), d->mapped);
	assert_int_equal(harness__u64(p, "allocs"), 4);
	assert_int_equal(harness__u64(p, "allocated_bytes"), 3 * 700 + 99);
	assert_int_equal(harness__u64(p, "current_bytes"), 3 * 700 + 99);
	assert_int_equal(harness__u64(p, "frees"), 0);
	assert_int_equal(harness__u64(p, "unknown_frees"), 0);
	assert_int_equal(harness__u64(run->snap, "lost_events"), 0);
	sum = harness__leaks_by_caller(run->snap, pid, "three_blocks");
	assert_int_equal(sum.bytes, 3 * 700);
	assert_int_equal(sum.count, 3);
	/* strdup's malloc: its caller, in the deleted file, is named from the file's own symbols */
	sum = harness__leaks_by_caller(run->snap, pid, "strdup");
	assert_int_equal(sum.bytes, 99);
	assert_int_equal(sum.count, 1);
	stack = leak_stack(run->snap, pid, "strdup");
	assert_string_equal(harness__str(json_array_get(stack, 0), "module"), d->mapped);
	/* below main: a local symbol, from the debug file the deleted file's build id names */
	stack = leak_stack(run->snap, pid, "three_blocks");
	assert_string_equal(harness__str(json_array_get(stack, 1), "symbol"), "main");
	assert_string_equal(harness__str(json_array_get(stack, 2), "symbol"),
			    "__libc_start_call_main");
	assert_string_equal(harness__str(json_array_get(stack, 2), "module"), d->mapped);
}

/*
 * memtrace -p, then Ctrl-C while the target still runs on its deleted
 * libc. DWARF stacks unwind through the deleted file's CFI: strdup's
 * caller is there.
 */
static void test_deleted_libc(void **state)
{
	struct harness_tracer tracer;
	struct deleted_libc d;
	struct mt_run run;
	const json_t *stack;

	(void)state;
	start_on_deleted_libc(&d);
	assert_int_equal(harness__start_tracer(&tracer,
					       (const char *const[]){ "--json", "--stack=dwarf",
								      "--sample-bytes=0", "-p",
								      d.pid_arg, NULL },
					       d.target.pid),
			 0);
	assert_int_equal(write(d.target.in, "go\n", 3), 3);
	assert_int_equal(harness__expect_line(d.target.out, "done"), 0);
	kill(tracer.pid, SIGINT);
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	check_deleted_libc_run(&d, &run);
	stack = leak_stack(run.snap, d.target.pid, "strdup");
	assert_string_equal(harness__str(json_array_get(stack, 1), "symbol"), "dup_site");
	assert_int_equal(write(d.target.in, "\n", 1), 1);
	assert_int_equal(harness__wait(&d.target), 0);
	harness__release(&run);
}

/*
 * The same when the target exits first: the deleted file is then out of
 * reach; its names were read while it lived.
 */
static void test_deleted_libc_exited(void **state)
{
	struct harness_tracer tracer;
	struct deleted_libc d;
	struct mt_run run;

	(void)state;
	start_on_deleted_libc(&d);
	assert_int_equal(harness__start_tracer(&tracer,
					       (const char *const[]){ "--json", "--stack=fp", "-p",
								      d.pid_arg, NULL },
					       d.target.pid),
			 0);
	assert_int_equal(write(d.target.in, "go\n", 3), 3);
	assert_int_equal(harness__expect_line(d.target.out, "done"), 0);
	assert_int_equal(write(d.target.in, "\n", 1), 1);
	assert_int_equal(harness__wait(&d.target), 0);
	/* it stops by itself once its only target has exited */
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	check_deleted_libc_run(&d, &run);
	assert_true(json_is_true(json_object_get(harness__process(run.snap, d.target.pid),
						 "exited")));
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_running),
		cmocka_unit_test(test_attach_running_per_probe_links),
		cmocka_unit_test(test_attach_two),
		cmocka_unit_test(test_sigint_reports),
		cmocka_unit_test(test_deleted_libc),
		cmocka_unit_test(test_deleted_libc_exited),
	};

	harness__require_bpf("attach -p");
	return cmocka_run_group_tests_name("integration: attach -p", tests, NULL, NULL);
}

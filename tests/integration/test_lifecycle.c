// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Whole jobs: -f follows a process's children and execs, an exec starts
 * the process's table afresh, and the scopes (--cgroup, --comm, -a) pick
 * up processes that start after memtrace. tests/progs/fork_tree.c leaks
 * 700 bytes, forks 4 children leaking (i+1) * 1000 bytes each, then execs
 * tests/progs/exec_leaker.c, which leaks 5000 bytes and exits with 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define FORK_TREE PROG("fork_tree")
#define EXEC_LEAKER PROG("exec_leaker")

/* The record of pid whose comm is comm (a PID has one per image). */
static json_t *record_of(const json_t *snap, pid_t pid, const char *comm)
{
	json_t *procs = json_object_get(snap, "processes"), *p;
	json_t *found = NULL;
	size_t i;

	json_array_foreach(procs, i, p) {
		if ((pid_t)json_integer_value(json_object_get(p, "pid")) == pid &&
		    !strcmp(harness__str(p, "comm"), comm)) {
			assert_null(found);
			found = p;
		}
	}
	if (!found) {
		json_array_foreach(procs, i, p)
			fprintf(stderr, "  record: PID %lld %s\n",
				(long long)json_integer_value(json_object_get(p, "pid")),
				harness__str(p, "comm"));
		fail_msg("no record of PID %d named %s", pid, comm);
	}
	return found;
}

static size_t records_of_pid(const json_t *snap, pid_t pid)
{
	json_t *procs = json_object_get(snap, "processes"), *p;
	size_t i, n = 0;

	json_array_foreach(procs, i, p)
		n += (pid_t)json_integer_value(json_object_get(p, "pid")) == pid;
	return n;
}

/* The 4 children of parent: each exited, with its exact numbers. */
static void check_children(const json_t *snap, pid_t parent, bool ppid_known)
{
	json_t *procs = json_object_get(snap, "processes"), *p;
	bool seen[4] = {};
	size_t i;

	json_array_foreach(procs, i, p) {
		pid_t pid = (pid_t)json_integer_value(json_object_get(p, "pid"));
		uint64_t cur;

		if (pid == parent || strcmp(harness__str(p, "comm"), "fork_tree"))
			continue;
		if (ppid_known)
			assert_int_equal(harness__u64(p, "ppid"), parent);
		else if (harness__u64(p, "allocs") != 2 || harness__u64(p, "frees") != 1)
			continue; /* -a: another fork_tree of the machine's */
		cur = harness__u64(p, "current_bytes");
		assert_true(cur >= 1000 && cur <= 4000 && cur % 1000 == 0);
		assert_false(seen[cur / 1000 - 1]);
		seen[cur / 1000 - 1] = true;
		assert_int_equal(harness__u64(p, "allocs"), 2);
		assert_int_equal(harness__u64(p, "frees"), 1);
		assert_int_equal(harness__u64(p, "allocated_bytes"), cur + 64);
		assert_string_equal(harness__str(p, "ended_by"), "exit");
		assert_int_equal(harness__u64(p, "exit_code"), 0);
		assert_int_equal(harness__leaks_by_caller(snap, pid, "child_leak").bytes, cur);
	}
	for (int k = 0; k < 4; k++)
		assert_true(seen[k]);
}

/* fork_tree's exec into exec_leaker: the old image's 700 bytes went with it. */
static void check_exec(const json_t *snap, pid_t pid, uint64_t parent_allocs)
{
	json_t *old = record_of(snap, pid, "fork_tree"), *img = record_of(snap, pid, "exec_leaker");

	assert_int_equal(records_of_pid(snap, pid), 2);
	/* each image's own file, though the second exec came before the first was read */
	assert_non_null(strstr(harness__str(old, "exe"), "/fork_tree"));
	assert_non_null(strstr(harness__str(img, "exe"), "/exec_leaker"));
	/* one process, two images: the same start */
	assert_true(harness__u64(old, "start_time") > 0);
	assert_int_equal(harness__u64(old, "start_time"), harness__u64(img, "start_time"));
	assert_string_equal(harness__str(old, "ended_by"), "exec");
	assert_int_equal(harness__u64(old, "allocs"), parent_allocs);
	assert_int_equal(harness__u64(old, "current_bytes"), 0);
	assert_int_equal(harness__u64(old, "live_blocks"), 0);
	assert_int_equal(harness__u64(old, "exec_dropped_bytes"), parent_allocs * 700);
	assert_int_equal(harness__u64(img, "allocs"), 1);
	assert_int_equal(harness__u64(img, "current_bytes"), 5000);
	assert_string_equal(harness__str(img, "ended_by"), "exit");
	assert_int_equal(harness__u64(img, "exit_code"), 3);
	assert_int_equal(harness__leaks_by_caller(snap, pid, "exec_leak").bytes, 5000);
	/* the pre-exec image holds no leak: its blocks are gone */
	assert_int_equal(harness__leaks_by_caller(snap, pid, "parent_leak").bytes, 0);
}

static pid_t launched_pid(const json_t *snap)
{
	json_t *procs = json_object_get(snap, "processes"), *p;
	size_t i;

	json_array_foreach(procs, i, p)
		if (!strcmp(harness__str(p, "comm"), "exec_leaker"))
			return (pid_t)json_integer_value(json_object_get(p, "pid"));
	fail_msg("no exec_leaker in the snapshot");
	return 0;
}

/* Launch mode with -f: six records, every byte where it was leaked. */
static void test_follow_launch(void **state)
{
	struct mt_run run;
	pid_t pid;

	(void)state;
	assert_int_equal(harness__run(&run, (const char *const[]){ "-f", "--json", "--", FORK_TREE,
								   EXEC_LEAKER, NULL }),
			 0);
	assert_int_equal(run.status, 3);
	assert_non_null(run.snap);
	assert_int_equal(json_array_size(json_object_get(run.snap, "processes")), 6);
	pid = launched_pid(run.snap);
	check_exec(run.snap, pid, 1);
	check_children(run.snap, pid, true);
	assert_int_equal(harness__u64(run.snap, "lost_events"), 0);
	harness__release(&run);
}

/* -f -p on a running parent: its children and exec, seen from their first call. */
static void test_follow_pid(void **state)
{
	struct harness_tracer tracer;
	struct harness_child child;
	struct mt_run run;
	char pid_arg[16];
	int status;

	(void)state;
	assert_int_equal(harness__spawn(&child, (const char *const[]){ FORK_TREE, "--wait",
									EXEC_LEAKER, NULL }),
			 0);
	assert_int_equal(harness__expect_line(child.out, "ready"), 0);
	snprintf(pid_arg, sizeof(pid_arg), "%d", child.pid);
	assert_int_equal(harness__start_tracer(&tracer,
					       (const char *const[]){ "-f", "--json", "-p",
								      pid_arg, NULL },
					       child.pid),
			 0);
	assert_int_equal(write(child.in, "go\n", 3), 3);
	status = harness__wait(&child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	/* it stops by itself once the last process it followed has exited */
	assert_int_equal(harness__finish_tracer(&tracer, &run), 0);
	assert_int_equal(run.status, 0);
	assert_int_equal(json_array_size(json_object_get(run.snap, "processes")), 6);
	/* parent_leak ran before the attach */
	check_exec(run.snap, child.pid, 0);
	check_children(run.snap, child.pid, true);
	assert_int_equal(harness__u64(run.snap, "lost_events"), 0);
	harness__release(&run);
}

/* Without -f, an exec still starts the table afresh; the children are not traced. */
static void test_exec_resets_table(void **state)
{
	struct mt_run run;
	json_t *procs, *old, *img;

	(void)state;
	assert_int_equal(harness__run(&run, (const char *const[]){ "--json", "--", EXEC_LEAKER,
								   EXEC_LEAKER, NULL }),
			 0);
	assert_int_equal(run.status, 3);
	procs = json_object_get(run.snap, "processes");
	assert_int_equal(json_array_size(procs), 2);
	old = json_array_get(procs, 0);
	img = json_array_get(procs, 1);
	assert_int_equal(harness__u64(old, "pid"), harness__u64(img, "pid"));
	assert_string_equal(harness__str(old, "ended_by"), "exec");
	assert_int_equal(harness__u64(old, "allocs"), 1);
	assert_int_equal(harness__u64(old, "exec_dropped_blocks"), 1);
	assert_int_equal(harness__u64(old, "exec_dropped_bytes"), 5000);
	assert_int_equal(harness__u64(old, "current_bytes"), 0);
	assert_string_equal(harness__str(img, "ended_by"), "exit");
	assert_int_equal(harness__u64(img, "allocs"), 1);
	assert_int_equal(harness__u64(img, "current_bytes"), 5000);
	/* only the new image's block is live: one leak of 5000, not two */
	assert_int_equal(harness__leaks_by_caller(run.snap, (pid_t)harness__u64(img, "pid"),
						  "exec_leak").count,
			 1);
	assert_int_equal(harness__u64(json_object_get(run.snap, "totals"), "current_bytes"), 5000);
	harness__release(&run);
}

/*
 * Plain launch mode, a shell that execs: the shell's record keeps the
 * shell's name and file, the image it exec-ed into has its own, and each
 * holds its own allocations.
 */
static void test_exec_keeps_names(void **state)
{
	char bash[PATH_MAX], leaker[PATH_MAX];
	struct mt_run run;
	json_t *procs, *old, *img;

	(void)state;
	assert_non_null(realpath("/bin/bash", bash));
	assert_non_null(realpath(EXEC_LEAKER, leaker));
	/* fp: exec_leaker has frame pointers, and every stack is taken (dwarf samples) */
	assert_int_equal(harness__run(&run, (const char *const[]){ "--json", "--stack=fp", "--",
								   "/bin/bash", "-c",
								   "exec " EXEC_LEAKER, NULL }),
			 0);
	assert_int_equal(run.status, 3);
	procs = json_object_get(run.snap, "processes");
	assert_int_equal(json_array_size(procs), 2);
	old = json_array_get(procs, 0);
	img = json_array_get(procs, 1);
	assert_int_equal(harness__u64(old, "pid"), harness__u64(img, "pid"));
	assert_string_equal(harness__str(old, "comm"), "bash");
	assert_string_equal(harness__str(old, "exe"), bash);
	assert_string_equal(harness__str(old, "ended_by"), "exec");
	/* bash's own: its number depends on the bash, the 5000-byte block is not among them */
	assert_true(harness__u64(old, "allocs") > 0);
	assert_int_equal(harness__u64(old, "current_bytes"), 0);
	assert_string_equal(harness__str(img, "comm"), "exec_leaker");
	assert_string_equal(harness__str(img, "exe"), leaker);
	assert_string_equal(harness__str(img, "ended_by"), "exit");
	assert_int_equal(harness__u64(img, "allocs"), 1);
	assert_int_equal(harness__u64(img, "allocated_bytes"), 5000);
	assert_int_equal(harness__u64(img, "current_bytes"), 5000);
	assert_int_equal(harness__leaks_by_caller(run.snap, (pid_t)harness__u64(img, "pid"),
						  "exec_leak").bytes,
			 5000);
	assert_int_equal(harness__u64(json_object_get(run.snap, "totals"), "current_bytes"), 5000);
	harness__release(&run);
}

/* Where cgroup v2 is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified beside v1. */
static int cgroup2_root(char *out, size_t len)
{
	char dev[256], dir[256], type[64];
	FILE *f = fopen("/proc/mounts", "re");
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			found = 0;
			break;
		}
	fclose(f);
	return found;
}

/* A process that stops at a pipe, joins the cgroup, then execs argv. */
static pid_t spawn_joiner(const char *cgroup, const char *const *argv, int *go)
{
	char procs[600];
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		int fd;

		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(120);
		/* "0" moves the writer itself */
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(121);
		close(fd);
		execv(argv[0], (char *const *)argv);
		_exit(122);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Starts argv (a program of ours: it exits with 3), without waiting. */
static pid_t start(const char *const *argv)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(122);
	}
	return pid;
}

static void wait_for_leaker(pid_t pid)
{
	int status = wait_status(pid);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

/* A scope runs until told to stop: Ctrl-C, then its snapshot. */
static void stop_tracer(struct harness_tracer *tracer, struct mt_run *run)
{
	kill(tracer->pid, SIGINT);
	assert_int_equal(harness__finish_tracer(tracer, run), 0);
	assert_int_equal(run->status, 0);
}

/*
 * --cgroup: a process that joins after memtrace started is traced from its
 * exec, with its children; a process outside is not.
 */
static void test_cgroup(void **state)
{
	char root[256], cgroup[512];
	struct harness_tracer tracer;
	struct mt_run run;
	pid_t inside, outside;
	int go;

	(void)state;
	assert_int_equal(cgroup2_root(root, sizeof(root)), 0);
	snprintf(cgroup, sizeof(cgroup), "%s/memtrace-test-%d", root, getpid());
	assert_true(mkdir(cgroup, 0755) == 0 || errno == EEXIST);
	inside = spawn_joiner(cgroup, (const char *const[]){ FORK_TREE, EXEC_LEAKER, NULL }, &go);
	assert_int_equal(harness__start_tracer_until(&tracer,
						     (const char *const[]){ "--json", "--cgroup",
									    cgroup, NULL },
						     "memtrace: tracing 0 processes of "),
			 0);
	outside = start((const char *const[]){ EXEC_LEAKER, NULL });
	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	wait_for_leaker(inside);
	wait_for_leaker(outside);
	stop_tracer(&tracer, &run);
	rmdir(cgroup);
	/* joined at its exec of fork_tree: the 700 bytes it leaked there, gone at its next exec */
	check_exec(run.snap, inside, 1);
	check_children(run.snap, inside, true);
	assert_int_equal(records_of_pid(run.snap, outside), 0);
	assert_int_equal(json_array_size(json_object_get(run.snap, "processes")), 6);
	harness__release(&run);
}

/* --comm: a process that execs under the name later is traced from its exec. */
static void test_comm(void **state)
{
	struct harness_tracer tracer;
	struct mt_run run;
	pid_t pid;
	json_t *p;

	(void)state;
	assert_int_equal(harness__start_tracer_until(&tracer,
						     (const char *const[]){ "--json", "--comm",
									    "exec_leaker", NULL },
						     "memtrace: tracing "),
			 0);
	pid = start((const char *const[]){ EXEC_LEAKER, NULL });
	wait_for_leaker(pid);
	stop_tracer(&tracer, &run);
	p = record_of(run.snap, pid, "exec_leaker");
	assert_int_equal(harness__u64(p, "allocs"), 1);
	assert_int_equal(harness__u64(p, "current_bytes"), 5000);
	assert_int_equal(harness__u64(p, "exit_code"), 3);
	harness__release(&run);
}

/* -a: a process started after memtrace, its children and its exec, with no -p. */
static void test_all(void **state)
{
	struct harness_tracer tracer;
	struct mt_run run;
	pid_t pid;

	(void)state;
	assert_int_equal(harness__start_tracer_until(&tracer,
						     (const char *const[]){ "-a", "--json",
									    "--no-gpu", NULL },
						     "memtrace: tracing every process"),
			 0);
	pid = start((const char *const[]){ FORK_TREE, EXEC_LEAKER, NULL });
	wait_for_leaker(pid);
	stop_tracer(&tracer, &run);
	check_exec(run.snap, pid, 1);
	check_children(run.snap, pid, false);
	harness__release(&run);
}

/* A process in its own PID namespace: the host's PID and its own (1) both reported. */
static void test_pid_namespace(void **state)
{
	struct mt_run run;
	json_t *p;

	(void)state;
	assert_int_equal(harness__run(&run, (const char *const[]){ "-f", "--json", "--",
								   "/usr/bin/unshare", "--pid",
								   "--fork", EXEC_LEAKER, NULL }),
			 0);
	assert_int_equal(run.status, 3);
	p = record_of(run.snap, launched_pid(run.snap), "exec_leaker");
	assert_int_equal(harness__u64(p, "ns_pid"), 1);
	assert_int_not_equal(harness__u64(p, "pid"), 1);
	assert_int_equal(harness__u64(p, "current_bytes"), 5000);
	harness__release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow_launch), cmocka_unit_test(test_follow_pid),
		cmocka_unit_test(test_exec_resets_table), cmocka_unit_test(test_exec_keeps_names),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_comm), cmocka_unit_test(test_all),
		cmocka_unit_test(test_pid_namespace),
	};

	harness__require_bpf("lifecycle");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

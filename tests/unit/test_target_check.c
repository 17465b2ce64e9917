// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A -p target's checks on a /proc written by hand: each kind of process
 * that cannot be traced gets its errno and its exact line, and a name with
 * ')' and control bytes in it is parsed and shown escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/target_check.h"

#define SELF 4000

static char proc[] = "/tmp/memtrace-proc-XXXXXX";

static void put(int pid, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", proc, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/%s", proc, pid, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A task: /proc/PID/stat with state, ppid and flags; status with Tgid and Threads. */
static void task(int pid, const char *comm, char state, int ppid, unsigned int flags, int tgid,
		 int threads, const char *maps)
{
	char text[512];

	snprintf(text, sizeof(text), "%d (%s) %c %d %d %d 0 -1 %u 100 0 0 0 1 2 0 0 20 0 1 0 77\n",
		 pid, comm, state, ppid, pid, pid, flags);
	put(pid, "stat", text);
	snprintf(text, sizeof(text), "Name:\tx\nUmask:\t0022\nState:\t%c\nTgid:\t%d\nNgid:\t0\n"
				     "Pid:\t%d\nThreads:\t%d\n",
		 state, tgid, pid, threads);
	put(pid, "status", text);
	if (maps)
		put(pid, "maps", maps);
}

static int setup(void **state)
{
	char path[128];

	(void)state;
	if (!mkdtemp(proc))
		return -1;
	task(100, "app", 'S', 1, 0x400100, 100, 1,
	     "55d0c0000000-55d0c0001000 r--p 00000000 08:01 42 /usr/bin/app\n");
	task(101, "z", 'Z', 50, 0x40040c, 101, 1, "");
	task(102, "kthreadd", 'S', 0, 0x208040, 102, 1, "");
	task(103, "worker", 'S', 1, 0x400040, 100, 1, "x\n");
	task(104, "app", 'S', 1, 0x400100, 104, 1, NULL);
	snprintf(path, sizeof(path), "%s/104/maps", proc);
	mkdir(path, 0755);
	task(105, "a) b\x1b[0m", 'S', 1, 0x400100, 105, 1, NULL);
	snprintf(path, sizeof(path), "%s/105/maps", proc);
	mkdir(path, 0755);
	task(107, "app", 'S', 1, 0x400100, 107, 1, "");
	task(108, "leader", 'Z', 1, 0x400104, 108, 3, "");
	task(109, "gone", 'X', 1, 0x400104, 109, 1, "");
	put(110, "stat", "110 garbled\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", proc);
	return system(cmd);
}

/* target_check__pid_at's return, and what it wrote on stderr into line. */
static int check(int pid, char *line, size_t len)
{
	FILE *f = tmpfile();
	int saved, ret;
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	ret = target_check__pid_at(proc, SELF, pid);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(line, 1, len - 1, f);
	line[n] = '\0';
	fclose(f);
	return ret;
}

static void test_targets(void **state)
{
	char got[512], want[512];

	(void)state;
	assert_int_equal(check(100, got, sizeof(got)), 0);
	assert_string_equal(got, "");

	assert_int_equal(check(SELF, got, sizeof(got)), -EINVAL);
	assert_string_equal(got, "memtrace: cannot trace memtrace itself (PID 4000)\n");

	assert_int_equal(check(106, got, sizeof(got)), -ESRCH);
	assert_string_equal(got, "memtrace: cannot attach to PID 106: no such process\n");
	assert_int_equal(check(109, got, sizeof(got)), -ESRCH);
	assert_string_equal(got, "memtrace: cannot attach to PID 109: no such process\n");

	assert_int_equal(check(101, got, sizeof(got)), -ESRCH);
	assert_string_equal(got, "memtrace: cannot attach to PID 101 (z): it is a zombie (it has "
				 "exited; its parent, PID 50, has not reaped it)\n");

	assert_int_equal(check(108, got, sizeof(got)), -ESRCH);
	assert_string_equal(got, "memtrace: cannot attach to PID 108 (leader): its main thread has "
				 "exited (its other threads run on; its memory map cannot be read "
				 "through it)\n");

	assert_int_equal(check(102, got, sizeof(got)), -EINVAL);
	assert_string_equal(got, "memtrace: no allocator found in PID 102 (kthreadd): it is a "
				 "kernel thread, with no user memory\n");

	assert_int_equal(check(103, got, sizeof(got)), -EINVAL);
	assert_string_equal(got, "memtrace: PID 103 is a thread of process 100: give -p 100\n");

	assert_int_equal(check(104, got, sizeof(got)), -EISDIR);
	assert_string_equal(got, "memtrace: cannot read the memory map of PID 104 (app): Is a "
				 "directory\n");

	/* the name runs to the last ')', and shows escaped */
	assert_int_equal(check(105, got, sizeof(got)), -EISDIR);
	assert_string_equal(got, "memtrace: cannot read the memory map of PID 105 (a) b\\x1b[0m): "
				 "Is a directory\n");

	assert_int_equal(check(107, got, sizeof(got)), -ESRCH);
	assert_string_equal(got, "memtrace: PID 107 exited during attach\n");

	assert_int_equal(check(110, got, sizeof(got)), -EINVAL);
	snprintf(want, sizeof(want),
		 "memtrace: cannot attach to PID 110: %s/110/stat does not parse\n",
		 proc);
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets),
	};

	return cmocka_run_group_tests_name("unit: target_check", tests, setup, teardown);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bad input: one clear line on stderr, a non-zero exit, nothing traced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static void expect_error(const char *const *args, int status, const char *message)
{
	struct mt_run run;

	harness__run(&run, args);
	if (run.status != status || !strstr(run.err, message))
		fail_msg("expected status %d and \"%s\", got status %d and: %s", status, message,
			 run.status, run.err);
	assert_string_equal(run.out, "");
	harness__release(&run);
}

/* A PID that surely does not exist: a child of ours, already reaped. */
static pid_t gone_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void test_no_such_pid(void **state)
{
	char arg[16], msg[64];
	pid_t pid = gone_pid();

	(void)state;
	snprintf(arg, sizeof(arg), "%d", pid);
	snprintf(msg, sizeof(msg), "cannot attach to PID %d: no such process\n", pid);
	expect_error((const char *const[]){ "-p", arg, NULL }, 1, msg);
}

static void test_no_libc(void **state)
{
	(void)state;
	/* PID 2 is kthreadd: no user memory at all */
	expect_error((const char *const[]){ "-p", "2", NULL }, 1,
		     "no allocator found in PID 2 (kthreadd)");
}

static void test_unwritable_output(void **state)
{
	(void)state;
	expect_error((const char *const[]){ "-o", "/nonexistent-dir/snap.json", "--", "/bin/true",
					     NULL },
		     1, "cannot write snapshot to /nonexistent-dir/snap.json: No such file or directory");
	expect_error((const char *const[]){ "-o", "/tmp", "--", "/bin/true", NULL }, 1,
		     "cannot write snapshot to /tmp: is a directory");
}

static void test_bad_usage(void **state)
{
	(void)state;
	expect_error((const char *const[]){ "--bogus", NULL }, 64, "unrecognized option");
	expect_error((const char *const[]){ NULL }, 64, "nothing to trace");
	expect_error((const char *const[]){ "-p", "abc", NULL }, 64, "invalid PID 'abc'");
	expect_error((const char *const[]){ "-d", "-1", "-p", "1", NULL }, 64,
		     "invalid duration '-1'");
	expect_error((const char *const[]){ "-p", "1", "--", "/bin/true", NULL }, 64,
		     "-p and a command cannot be combined");
}

static void test_command_not_found(void **state)
{
	(void)state;
	expect_error((const char *const[]){ "--", "no-such-command-memtrace", NULL }, 1,
		     "cannot run 'no-such-command-memtrace': command not found");
	/* not an executable format */
	expect_error((const char *const[]){ "--", "/etc/hostname", NULL }, 1, "cannot run");
}

/* Without root (nobody, no capabilities): says so, before anything else. */
static void test_not_root(void **state)
{
	struct harness_child c;
	char err[512] = "";
	ssize_t n;
	int status;

	(void)state;
	assert_int_equal(harness__spawn(&c, (const char *const[]){ "/usr/bin/setpriv",
								  "--reuid=65534", "--regid=65534",
								  "--clear-groups", "--inh-caps=-all",
								  "/bin/sh", "-c", MEMTRACE " -p 1 2>&1",
								  NULL }),
			 0);
	n = read(c.out, err, sizeof(err) - 1);
	err[n > 0 ? n : 0] = '\0';
	status = harness__wait(&c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_string_equal(err, "memtrace: needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE): "
				 "run it with sudo\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_such_pid),
		cmocka_unit_test(test_no_libc),
		cmocka_unit_test(test_unwritable_output),
		cmocka_unit_test(test_bad_usage),
		cmocka_unit_test(test_command_not_found),
		cmocka_unit_test(test_not_root),
	};

	harness__require_bpf("errors");
	return cmocka_run_group_tests_name("integration: errors", tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memtrace top's command line: the tracing options parsed as memtrace's
 * own (one parser), top's --refresh, --batch and -n on top of them, CMD's
 * output kept off the terminal; top's options are not memtrace's; bad
 * values are one line and exit status 64, named "memtrace top".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/config.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])) - 1)

static void test_defaults(void **state)
{
	char *argv[] = { "memtrace", "top", "-p", "42", NULL };
	struct mt_config cfg;

	(void)state;
	assert_int_equal(cli__parse(ARGC(argv), argv, &cfg), 0);
	assert_true(cfg.top_mode);
	assert_int_equal(cfg.top_refresh_ns, 1000000000ULL);
	assert_false(cfg.top_batch);
	assert_int_equal(cfg.top_frames, 0);
	assert_int_equal(cfg.nr_pids, 1);
	assert_int_equal(cfg.pids[0], 42);
	assert_false(cfg.command_quiet);
	config__release(&cfg);
}

/* top's options with the tracing ones, in any order; CMD's own options stay its own */
static void test_options(void **state)
{
	char *argv[] = { "memtrace", "top", "--refresh", "0.5", "-o", "out/", "--batch",
			 "--stack", "none", "-n", "3", "--sample-bytes", "64K", "--",
			 "/bin/true", "-n", "9", NULL };
	struct mt_config cfg;

	(void)state;
	assert_int_equal(cli__parse(ARGC(argv), argv, &cfg), 0);
	assert_true(cfg.top_mode);
	assert_int_equal(cfg.top_refresh_ns, 500000000ULL);
	assert_true(cfg.top_batch);
	assert_int_equal(cfg.top_frames, 3);
	assert_string_equal(cfg.output, "out/");
	assert_int_equal(cfg.stack_mode, MT_STACK_NONE);
	assert_int_equal(cfg.sample_bytes, 64 * 1024);
	assert_non_null(cfg.command);
	assert_string_equal(cfg.command[0], "/bin/true");
	assert_string_equal(cfg.command[1], "-n");
	assert_true(cfg.command_quiet);
	config__release(&cfg);
}

/* "top" as the first argument only: memtrace -p 1 is no top */
static void test_not_top(void **state)
{
	char *argv[] = { "memtrace", "-p", "1", NULL };
	struct mt_config cfg;

	(void)state;
	assert_int_equal(cli__parse(ARGC(argv), argv, &cfg), 0);
	assert_false(cfg.top_mode);
	assert_false(cfg.command_quiet);
	config__release(&cfg);
}

/* A parse that exits (argp): its status and stderr's first line. */
static int parse_fails(char **argv, int argc, char *err, size_t len)
{
	int pipefd[2], status;
	struct mt_config cfg;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		cli__parse(argc, argv, &cfg);
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], err, len - 1);
	close(pipefd[0]);
	err[n > 0 ? n : 0] = '\0';
	if (strchr(err, '\n'))
		*strchr(err, '\n') = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_bad_values(void **state)
{
	char *refresh[] = { "memtrace", "top", "--refresh", "0.05", "-p", "1", NULL };
	char *frames[] = { "memtrace", "top", "-n", "0", "-p", "1", NULL };
	char *not_trace[] = { "memtrace", "--batch", "-p", "1", NULL };
	char *nothing[] = { "memtrace", "top", NULL };
	char err[512];

	(void)state;
	assert_int_equal(parse_fails(refresh, ARGC(refresh), err, sizeof(err)), 64);
	assert_string_equal(err, "memtrace top: --refresh must be a duration from 0.1 s to 8760h "
				 "(a year), got '0.05'");
	assert_int_equal(parse_fails(frames, ARGC(frames), err, sizeof(err)), 64);
	assert_string_equal(err, "memtrace top: invalid -n '0': a number of frames from 1");
	/* --batch is top's alone */
	assert_int_equal(parse_fails(not_trace, ARGC(not_trace), err, sizeof(err)), 64);
	assert_non_null(strstr(err, "batch"));
	/* the tracing options' own checks hold for top */
	assert_int_equal(parse_fails(nothing, ARGC(nothing), err, sizeof(err)), 64);
	assert_string_equal(err, "memtrace top: nothing to trace: give -p PID, -- CMD, -a, --comm "
				 "or --cgroup");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_not_top),
		cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --python: mixed by default, only and off when asked, and a bad value is
 * one line on stderr and a usage status, as with the other options (argp
 * exits: each bad parse runs in a child).
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

static enum mt_python_mode parse(const char *opt)
{
	char *argv[] = { (char *)"memtrace", (char *)"-p", (char *)"1", (char *)opt, NULL };
	enum mt_python_mode mode;
	struct mt_config cfg;

	assert_int_equal(cli__parse(opt ? 4 : 3, argv, &cfg), 0);
	mode = cfg.python_mode;
	config__release(&cfg);
	return mode;
}

static void test_modes(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), MT_PYTHON_MIXED);
	assert_int_equal(parse("--python=mixed"), MT_PYTHON_MIXED);
	assert_int_equal(parse("--python=only"), MT_PYTHON_ONLY);
	assert_int_equal(parse("--python=off"), MT_PYTHON_OFF);
}

static void test_bad_value(void **state)
{
	char buf[512] = "";
	int err_pipe[2], status;
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(err_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(err_pipe[1], STDERR_FILENO);
		parse("--python=full");
		_exit(0);
	}
	close(err_pipe[1]);
	n = read(err_pipe[0], buf, sizeof(buf) - 1);
	close(err_pipe[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(n > 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_non_null(strstr(buf, "--python must be mixed, only or off, got 'full'\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_bad_value),
	};

	return cmocka_run_group_tests_name("unit: cli --python", tests, NULL, NULL);
}

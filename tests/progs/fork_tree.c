// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For -f: leaks 700 bytes (parent_leak), says "ready" and waits for a line
 * on stdin when given --wait, forks 4 children (child i leaks (i+1) * 1000
 * bytes in child_leak and frees one 64-byte block), waits for them, then
 * execs argv[1] (exec_leaker) with the rest of the arguments. The children
 * leave with _exit: nothing runs in them but child_leak.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) void parent_leak(void)
{
	sink = malloc(700);
}

__attribute__((noinline)) void child_leak(int i)
{
	sink = malloc(64);
	free(sink);
	sink = malloc((size_t)(i + 1) * 1000);
}

int main(int argc, char **argv)
{
	int arg = 1;
	char c;

	parent_leak();
	if (argc > arg && !strcmp(argv[arg], "--wait")) {
		arg++;
		if (write(STDOUT_FILENO, "ready\n", 6) != 6)
			return 1;
		while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
			;
	}
	for (int i = 0; i < 4; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			child_leak(i);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	if (argc > arg)
		execv(argv[arg], &argv[arg]);
	return argc > arg ? 127 : 0;
}

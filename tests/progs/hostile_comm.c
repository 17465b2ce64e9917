// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A program that names itself with a terminal escape and a newline
 * (prctl PR_SET_NAME, as any program may), then leaks from that name:
 * N blocks of 100 bytes at leak_here (N = argv[1], default 4), in this
 * process and in a child it forks after the rename (a child keeps its
 * parent's name). What memtrace prints of the name must be its escape,
 * never the raw bytes. Nothing else allocates: no stdio.
 */
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* 11 bytes of the 15 a comm holds: ESC [ 3 1 m turns a terminal red */
#define NAME "ev\x1b[31mil\nx"

static void *volatile sink;

__attribute__((noinline)) void leak_here(void)
{
	sink = malloc(100); /* MARK: leak_here */
}

static void leak(int n)
{
	for (int i = 0; i < n; i++)
		leak_here();
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pid_t child;

	if (prctl(PR_SET_NAME, NAME))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	leak(n);
	if (child == 0)
		_exit(0);
	return waitpid(child, NULL, 0) == child ? 0 : 1;
}

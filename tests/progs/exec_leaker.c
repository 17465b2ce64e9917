// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The image a traced process execs into: leaks 5000 bytes (exec_leak) and
 * exits with status 3, or execs argv[1] after its leak when given one.
 */
#include <stdlib.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) void exec_leak(void)
{
	sink = malloc(5000);
}

int main(int argc, char **argv)
{
	exec_leak();
	if (argc > 1)
		execv(argv[1], &argv[1]);
	return 3;
}

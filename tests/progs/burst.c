// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * burst N: says "ready", waits for a line, then makes N malloc(64)+free
 * pairs as fast as it can (2N allocator calls, nothing else allocates),
 * says "done" and exits. For the lost-events test: more than a small ring
 * buffer can carry.
 */
#include <stdlib.h>
#include <unistd.h>

static void *volatile sink;

static void wait_line(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
}

__attribute__((noinline)) void burst(long n)
{
	for (long i = 0; i < n; i++) {
		sink = malloc(64);
		free(sink);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;

	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		return 1;
	wait_line();
	burst(n);
	return write(STDOUT_FILENO, "done\n", 5) != 5;
}

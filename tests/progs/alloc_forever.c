// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A long-running target for the do-no-harm tests: names itself argv[1]
 * (its comm, for --comm), says "ready", then allocates and frees for ever.
 */
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) void churn(void)
{
	sink = malloc(64);
	free(sink);
	sink = calloc(2, 32);
	sink = realloc(sink, 128);
	free(sink);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		prctl(PR_SET_NAME, argv[1]);
	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		return 1;
	for (;;) {
		churn();
		usleep(1000);
	}
}

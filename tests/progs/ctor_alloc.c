// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Allocates in a constructor, before main, and exits at once. */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) void ctor_leak(void)
{
	sink = malloc(4242);
}

__attribute__((constructor)) static void before_main(void)
{
	ctor_leak();
}

int main(int argc, char **argv)
{
	/* exit status for memtrace to pass on: 0, or the first argument */
	return argc > 1 ? atoi(argv[1]) : 0;
}

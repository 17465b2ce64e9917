// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 300 calls deep, then a 5555-byte leak: deeper than the 127 frames a
 * stack keeps, so its stack must be marked truncated.
 */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) void recurse(int depth)
{
	if (depth)
		recurse(depth - 1);
	else
		sink = malloc(5555);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	recurse(300);
	return 0;
}

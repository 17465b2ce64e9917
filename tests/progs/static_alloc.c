// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Linked statically: its malloc lives in the executable, not in a libc.so. */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) void static_leak(void)
{
	for (int i = 0; i < 4; i++)
		sink = malloc(321);
}

int main(void)
{
	static_leak();
	return 0;
}

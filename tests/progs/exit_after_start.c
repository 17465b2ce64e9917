// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Launch-mode target: a few allocations, then "done" on stdout and exit status 7. */
#include <stdio.h>
#include <stdlib.h>

static void *volatile sink;

int main(void)
{
	for (int i = 0; i < 3; i++)
		sink = malloc(100);
	printf("done\n");
	return 7;
}

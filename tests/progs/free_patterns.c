// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Frees that a probe placed past free()'s NULL check must all see: 1000
 * malloc/free pairs and 500 free(NULL), with 10 blocks left live.
 */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) void free_pairs(void)
{
	for (int i = 0; i < 1000; i++) {
		void *p = malloc(48);

		sink = p;
		free(p);
	}
}

__attribute__((noinline)) void free_nulls(void)
{
	for (int i = 0; i < 500; i++)
		free(sink ? NULL : NULL);
}

__attribute__((noinline)) void keep_some(void)
{
	for (int i = 0; i < 10; i++)
		sink = malloc(4000);
}

int main(void)
{
	free_pairs();
	free_nulls();
	keep_some();
	return 0;
}

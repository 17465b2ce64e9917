// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * qsort calling back a comparator that allocates (-O2
 * -fomit-frame-pointer): its first call leaks 4321 bytes, whose stack runs
 * from the comparator through libc's sort, which has no frame pointers
 * either, back to main.
 */
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) static int compare_alloc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (!sink)
		sink = malloc(4321); /* MARK: compare_alloc */
	return (x > y) - (x < y);
}

int main(void)
{
	int v[64];

	for (int i = 0; i < 64; i++)
		v[i] = (i * 37) % 64;
	qsort(v, 64, sizeof(v[0]), compare_alloc); /* MARK: main */
	__asm__ volatile("" ::: "memory");
	return v[0];
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 16 threads, one after another so that each gets a cache of its own;
 * each makes 5 small blocks and frees them, which puts them in glibc's
 * per-thread cache, then exits, when glibc frees what its cache holds and
 * the cache itself (tests/integration/test_threads.c: none of those frees
 * is the program's).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NR_THREADS 16
#define NR_BLOCKS 5

static void *volatile sink;

__attribute__((noinline)) void *churn_then_exit(void *arg)
{
	void *blocks[NR_BLOCKS];

	(void)arg;
	for (int b = 0; b < NR_BLOCKS; b++)
		blocks[b] = malloc(64 + 16 * b);
	for (int b = 0; b < NR_BLOCKS; b++) {
		sink = blocks[b];
		free(blocks[b]);
	}
	return NULL;
}

int main(void)
{
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, churn_then_exit, NULL) || pthread_join(t, NULL))
			return 1;
	}
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 8 named threads; thread i makes i+1 blocks of 1000*(i+1) bytes and frees
 * its first block itself. Thread 0's remaining block... it has none; the
 * main thread frees every other thread's last block after join, so those
 * bytes go back to the allocating thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NR_THREADS 8
#define MAX_BLOCKS NR_THREADS

static void *blocks[NR_THREADS][MAX_BLOCKS];

__attribute__((noinline)) void *thread_alloc(void *arg)
{
	int i = (int)(long)arg;

	for (int b = 0; b <= i; b++)
		blocks[i][b] = malloc(1000 * (size_t)(i + 1));
	free(blocks[i][0]);
	return NULL;
}

static void *thread_main(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "worker-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	return thread_alloc(arg);
}

int main(void)
{
	pthread_t t[NR_THREADS];

	for (long i = 0; i < NR_THREADS; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)i))
			return 1;
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	/* cross-thread frees: thread i's last block, for i >= 1 */
	for (int i = 1; i < NR_THREADS; i++)
		free(blocks[i][i]);
	return 0;
}

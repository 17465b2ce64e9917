// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-site allocation totals with known truths (tests/integration/test_pprof.c):
 *
 *   kept_site   main thread, 5 x 100 B, all kept:      allocs 5,  500 B, live 5, 500 B
 *   churn_site  main thread, 10 x 64 B, each freed:    allocs 10, 640 B, nothing live
 *   half_site   main thread, 6 x 200 B, 4 freed:       allocs 6, 1200 B, live 2, 400 B
 *   lone_site   thread "lone", 3 x 300 B, kept:        allocs 3,  900 B, live 3, 900 B
 *   pair_site   threads "pair" twice (one stack), 2 x 50 B each, kept:
 *                                                      allocs 4,  200 B, live 4, 200 B
 *
 * Threads are created before anything else (pthread_create's own allocations
 * are libc's sites, not these) and run one after the other.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;

NOINLINE void kept_site(void)
{
	for (int i = 0; i < 5; i++)
		sink = malloc(100);
}

NOINLINE void churn_site(void)
{
	for (int i = 0; i < 10; i++) {
		sink = malloc(64);
		free(sink);
	}
}

NOINLINE void half_site(void)
{
	void *blocks[6];

	for (int i = 0; i < 6; i++)
		blocks[i] = malloc(200);
	for (int i = 0; i < 4; i++)
		free(blocks[i]);
	sink = blocks[5];
}

NOINLINE void lone_site(void)
{
	for (int i = 0; i < 3; i++)
		sink = malloc(300);
}

NOINLINE void pair_site(void)
{
	for (int i = 0; i < 2; i++)
		sink = malloc(50);
}

static void *lone_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "lone");
	lone_site();
	return NULL;
}

static void *pair_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "pair");
	pair_site();
	return NULL;
}

static void run(void *(*fn)(void *))
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, NULL))
		exit(1);
	pthread_join(t, NULL);
}

int main(void)
{
	run(lone_main);
	run(pair_main);
	run(pair_main);
	kept_site();
	churn_site();
	half_site();
	return 0;
}

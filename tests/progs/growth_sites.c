// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For growth tests: a tick every 100 ms, paced by CLOCK_MONOTONIC
 * deadlines (no drift however late a tick runs). At each tick grow_site
 * leaks 64 KiB (640 KiB/s); plateau_site leaks 64 KiB at the first 2
 * ticks only, then stays flat (so however the ticks fall into a tracer's
 * intervals, it rises in at most 2); churn_site allocates and frees.
 * Usage: growth_sites [TICKS] (default 20: 2 s); exits right after the
 * last tick.
 */
#include <stdlib.h>
#include <time.h>

#define TICK_NS	   100000000L
#define GROW_BYTES (64 * 1024)

static void *volatile sink;

__attribute__((noinline)) void grow_site(void)
{
	sink = malloc(GROW_BYTES);
}

__attribute__((noinline)) void plateau_site(void)
{
	sink = malloc(GROW_BYTES);
}

__attribute__((noinline)) void churn_site(void)
{
	sink = malloc(100);
	free(sink);
}

int main(int argc, char **argv)
{
	int ticks = argc > 1 ? atoi(argv[1]) : 20;
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	for (int i = 0; i < ticks; i++) {
		/* the first deadline is now: one call site for every tick's calls */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
		deadline.tv_nsec += TICK_NS;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_nsec -= 1000000000L;
			deadline.tv_sec++;
		}
		grow_site();
		if (i < 2)
			plateau_site();
		churn_site();
	}
	return 0;
}

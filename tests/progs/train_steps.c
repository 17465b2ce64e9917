// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For --step-probe tests: STEPS training steps (default 20), one every
 * 50 ms from 25 ms after the start. Each begins with a call of train_step, the step marker, then
 * leaks 1000 bytes in step_leak and 100 bytes a step in setup_once's
 * first step only. Usage: train_steps [STEPS]
 */
#include <stdlib.h>
#include <time.h>

#define STEP_NS 50000000L

static void *volatile sink;

/* The marker: an empty function the program calls once per step. */
__attribute__((noinline)) void train_step(int step)
{
	__asm__ volatile("" : : "r"(step) : "memory");
}

__attribute__((noinline)) void step_leak(void)
{
	sink = malloc(1000);
}

__attribute__((noinline)) void setup_once(void)
{
	sink = malloc(100);
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 20;
	struct timespec deadline;

	/*
	 * Half a step late: the tests sample every 250 ms from about the start,
	 * and a sample at the very moment of a step could see its marker
	 * without its malloc (both processes wake on the same tick).
	 */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += STEP_NS / 2;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_nsec -= 1000000000L;
		deadline.tv_sec++;
	}
	for (int i = 0; i < steps; i++) {
		/* one call site for every tick's calls */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
		deadline.tv_nsec += STEP_NS;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_nsec -= 1000000000L;
			deadline.tv_sec++;
		}
		train_step(i);
		step_leak();
		if (!i)
			setup_once();
	}
	return 0;
}

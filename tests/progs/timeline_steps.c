// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known amounts at known times, for the snapshot's timeline
 * (tests/integration/test_timeline.c): 10 MiB, 500 ms later 10 MiB more (two
 * blocks of 5 MiB), 500 ms later 15 MiB freed, 500 ms later the exit with
 * 5 MiB left. Nothing else allocates between: the phases' times, CLOCK_MONOTONIC
 * ns taken right after each, go to argv[1] only at the end, with no stdio.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define PHASES 3

static void *volatile sink;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void pause_500ms(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 500000000 };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) void *grow(size_t bytes)
{
	void *p = malloc(bytes);

	sink = p;
	return p;
}

int main(int argc, char **argv)
{
	unsigned long long t[PHASES + 1];
	char line[32 * (PHASES + 1)];
	void *a, *b, *c;
	int fd, n = 0;

	if (argc != 2)
		return 2;
	a = grow(10 * MIB);
	t[0] = now_ns();
	pause_500ms();
	b = grow(5 * MIB);
	c = grow(5 * MIB);
	t[1] = now_ns();
	pause_500ms();
	free(a);
	free(b);
	t[2] = now_ns();
	pause_500ms();
	sink = c;
	t[3] = now_ns();
	for (int i = 0; i <= PHASES; i++)
		n += snprintf(line + n, sizeof(line) - n, "%llu\n", t[i]);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, n) != n)
		return 1;
	close(fd);
	return 0;
}

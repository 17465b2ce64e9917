// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory that rises and falls on a known schedule, for memtrace top
 * (tests/integration/test_top.c): top_leak_step allocates 1 MiB every
 * 200 ms, STEPS times; the blocks are held HOLD_MS, all freed at once, and
 * the program sleeps HOLD_MS more before it exits. After each change it
 * writes its own figure to FILE (replaced whole): "rising K BYTES T0",
 * "holding K BYTES T0", "freed K 0 T0", T0 the CLOCK_MONOTONIC ns right
 * after its first block. Nothing else allocates: no stdio.
 * Usage: top_leak FILE STEPS HOLD_MS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define MAX_STEPS 256

static void *blocks[MAX_STEPS];
static unsigned long long first_ns;

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* The figure, replaced whole: a reader never sees half of it. */
static void say(const char *file, const char *phase, int steps, unsigned long long bytes)
{
	char tmp[4096], line[128];
	int fd, len;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	len = snprintf(line, sizeof(line), "%s %d %llu %llu\n", phase, steps, bytes, first_ns);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, (size_t)len) != len || close(fd) || rename(tmp, file))
		exit(1);
}

__attribute__((noinline)) void top_leak_step(int i)
{
	blocks[i] = malloc(MIB); /* MARK: leak */
	memset(blocks[i], 1, MIB);
}

__attribute__((noinline)) void top_leak_release(int n)
{
	for (int i = 0; i < n; i++)
		free(blocks[i]);
}

int main(int argc, char **argv)
{
	int steps;
	long hold_ms;

	if (argc != 4)
		return 2;
	steps = atoi(argv[2]);
	hold_ms = atol(argv[3]);
	if (steps < 1 || steps > MAX_STEPS)
		return 2;
	for (int i = 0; i < steps; i++) {
		top_leak_step(i);
		if (!i) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			first_ns = ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
		}
		say(argv[1], i + 1 == steps ? "holding" : "rising", i + 1,
		    (unsigned long long)(i + 1) * MIB);
		if (i + 1 < steps)
			sleep_ms(200);
	}
	sleep_ms(hold_ms);
	top_leak_release(steps);
	say(argv[1], "freed", steps, 0);
	sleep_ms(hold_ms);
	return 0;
}

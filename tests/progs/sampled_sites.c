// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Three leak sites of known size for --sample-bytes' estimates
 * (tests/integration/test_sampling.c holds the numbers): 192000 blocks of
 * 64 bytes from leak_small, 12000 of 1000 bytes from leak_medium, 20 of
 * 100 KiB from leak_large, interleaved, none freed. Nothing else
 * allocates: no stdio.
 */
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

#define ROUNDS 12000
#define SMALL_PER_ROUND 16
#define LARGE_EVERY 600

/* The compiler must not drop the leaks. */
static void *volatile sink;

NOINLINE void leak_small(void)
{
	sink = malloc(64);
}

NOINLINE void leak_medium(void)
{
	sink = malloc(1000);
}

NOINLINE void leak_large(void)
{
	sink = malloc(100 * 1024);
}

int main(void)
{
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < SMALL_PER_ROUND; i++)
			leak_small();
		leak_medium();
		if (r % LARGE_EVERY == 0)
			leak_large();
		/* 17 records a round: a breath every ~1 MiB of them lets memtrace drain the ring */
		if (r % 1000 == 999)
			usleep(2000);
	}
	return 0;
}

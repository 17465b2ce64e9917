// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Calls every probed libc function from its own caller, with known sizes
 * and counts (tests/integration/test_libc_calls.c holds the expected
 * numbers). Nothing else allocates: no stdio.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

/* The compiler must not see through or drop the pairs below. */
static void *volatile sink;

NOINLINE void call_malloc(void)
{
	for (int i = 0; i < 3; i++)
		sink = malloc(1000);
}

NOINLINE void call_calloc(void)
{
	for (int i = 0; i < 2; i++)
		sink = calloc(10, 100);
}

NOINLINE void call_realloc(void)
{
	void *p = realloc(NULL, 64);

	sink = realloc(p, 4096);
}

NOINLINE void call_realloc_to_zero(void)
{
	void *p = malloc(77);

	/* glibc frees p and returns NULL */
	sink = realloc(p, 0);
}

NOINLINE void call_reallocarray(void)
{
	void *p = reallocarray(NULL, 10, 8);

	sink = reallocarray(p, 20, 8);
}

NOINLINE void call_posix_memalign(void)
{
	void *p;

	for (int i = 0; i < 2; i++) {
		if (posix_memalign(&p, 64, 512) == 0)
			sink = p;
	}
}

NOINLINE void call_aligned_alloc(void)
{
	sink = aligned_alloc(128, 1024);
}

NOINLINE void call_memalign(void)
{
	sink = memalign(256, 2048);
}

NOINLINE void call_valloc(void)
{
	sink = valloc(3000);
}

NOINLINE void call_pvalloc(void)
{
	sink = pvalloc(5000);
}

NOINLINE void call_malloc_free(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = malloc(10);

		sink = p;
		free(p);
	}
	free(NULL);
}

/* volatile: sizes the compiler would reject if it could see them */
static volatile size_t huge = SIZE_MAX - 4096, half = SIZE_MAX / 2;

NOINLINE void call_failing(void)
{
	sink = malloc(huge);
	sink = calloc(half, 4);
}

int main(void)
{
	call_malloc();
	call_calloc();
	call_realloc();
	call_realloc_to_zero();
	call_reallocarray();
	call_posix_memalign();
	call_aligned_alloc();
	call_memalign();
	call_valloc();
	call_pvalloc();
	call_malloc_free();
	call_failing();
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A C program linked with a malloc replacement: with -ljemalloc
 * (jemalloc_calls, which also calls jemalloc's own mallocx and dallocx),
 * jemalloc linked into the executable (jemalloc_linked_in, and the static
 * jemalloc_static), -ltcmalloc (tcmalloc_calls) and -lmimalloc
 * (mimalloc_calls). Sizes no startup code asks for, each from its own
 * caller (tests/integration/test_allocators.c holds the numbers). With
 * --wait, for attach tests: says "ready" and waits for a line on stdin
 * first, so that a tracer attached meanwhile sees the program's calls and
 * nothing of its startup.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef WITH_JEMALLOC_API
#include <jemalloc/jemalloc.h>
#endif

#define NOINLINE __attribute__((noinline))

static void *volatile sink;

NOINLINE void call_malloc(void)
{
	for (int i = 0; i < 4; i++)
		sink = malloc(1111);
}

NOINLINE void call_calloc(void)
{
	for (int i = 0; i < 2; i++)
		sink = calloc(3, 333);
}

NOINLINE void call_realloc(void)
{
	void *p = realloc(NULL, 77);

	sink = realloc(p, 5555);
}

NOINLINE void call_free(void)
{
	for (int i = 0; i < 3; i++)
		free(malloc(2222));
}

NOINLINE void call_posix_memalign(void)
{
	void *p;

	if (posix_memalign(&p, 256, 768) == 0)
		sink = p;
}

#ifdef WITH_JEMALLOC_API
NOINLINE void call_mallocx(void)
{
	void *p = mallocx(4444, 0);

	sink = mallocx(4444, 0);
	dallocx(p, 0);
}
#endif

int main(int argc, char **argv)
{
	char c;

	if (argc > 1 && !strcmp(argv[1], "--wait")) {
		if (write(STDOUT_FILENO, "ready\n", 6) != 6)
			return 1;
		while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
			;
	}
	call_malloc();
	call_calloc();
	call_realloc();
	call_free();
	call_posix_memalign();
#ifdef WITH_JEMALLOC_API
	call_mallocx();
#endif
	return 0;
}

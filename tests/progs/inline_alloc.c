// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Two leaks with known source lines (tests/integration/test_source_lines.c
 * finds them by the MARK comments): one allocated in a function of its
 * own, one in a helper inlined into its caller (always_inline survives the
 * -fno-inline the test programs are built with).
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink[2];

static inline __attribute__((always_inline)) void *make_buffer(size_t size)
{
	return malloc(size); /* MARK: malloc_in_helper */
}

NOINLINE void alloc_via_helper(void)
{
	sink[0] = make_buffer(4321); /* MARK: helper_call */
}

NOINLINE void alloc_direct(void)
{
	sink[1] = malloc(1234); /* MARK: direct_malloc */
}

int main(void)
{
	alloc_via_helper(); /* MARK: main_calls_helper */
	alloc_direct();
	return 0;
}
